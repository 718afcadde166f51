"""The assessment figures checked against the database: one service function feeds the
dashboard, the .xlsx export, the public figures page and the JSON API, and they agree; read
counts; the rubric; the 责任清单; feeds; the 普法 calendar."""
import datetime as dt
import io
import logging
import threading
import xml.etree.ElementTree as ET

import pytest
from marshmallow import ValidationError
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Case, Issuer, KeyDate, PageView
from app.services import duties, reads, stats
from app.services.auth import PermissionDenied
from tests.helpers import CSRF
from tests.outreach_helpers import TODAY, advance, delivery_form, place, publish_case

BROWSER = {"User-Agent": "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 Chrome/126.0 Mobile "
                         "Safari/537.36"}
YEAR = TODAY.year


def this_year() -> stats.Period:
    """The current calendar year."""
    return stats.period_for(YEAR)


def row(report, org) -> stats.OrgFigures:
    """One organisation's row."""
    return next(r for r in report.rows if r.organisation_id == org.id)


@pytest.fixture()
def activity(app, accounts):
    """Two bodies' cases (one dated last year), a delivered and evaluated order, an own-initiative talk."""
    a1 = publish_case(accounts, "甲机构案例一")
    a2 = publish_case(accounts, "甲机构案例二")
    b1 = publish_case(accounts, "乙机构案例", publisher=accounts.other_publisher)
    old = db.session.get(Case, a2)
    old.published_date = dt.date(YEAR - 1, 6, 1)
    db.session.commit()
    order = advance(accounts, place(), "evaluated")
    from app.services import deliveries

    deliveries.record(accounts.other_publisher, delivery_form(attendance="120"), [])
    return {"a": [a1, a2], "b": [b1], "order": order}


def test_cases_per_organisation_sum_to_the_librarys_published_total(app, activity, accounts):
    for period in (this_year(), stats.period_for(YEAR - 1), stats.period_for(start=dt.date(YEAR - 1, 1, 1),
                                                                              end=dt.date(YEAR, 12, 31))):
        report = stats.organisation_report(period)
        counted = db.session.scalar(select(func.count()).select_from(Case).where(
            Case.is_public, Case.published_date.between(period.start, period.end)))
        assert sum(r.cases_published for r in report.rows) == report.library_published == counted
        assert report.totals.cases_published == counted
    report = stats.organisation_report(this_year())
    assert (row(report, accounts.org_a).cases_published, row(report, accounts.org_b).cases_published) == (1, 1)
    assert row(report, accounts.org_a).cases_by_hot_issue  # the sample case is tagged (房产物业)


def test_a_withdrawn_case_leaves_the_figures(app, activity, accounts):
    from app.services import workflow

    before = stats.organisation_report(this_year()).library_published
    workflow.withdraw(accounts.reviewer, activity["b"][0], "测试撤回")
    assert stats.organisation_report(this_year()).library_published == before - 1


def test_talks_audience_orders_and_satisfaction(app, activity, accounts):
    report = stats.organisation_report(this_year())
    a, b = row(report, accounts.org_a), row(report, accounts.org_b)
    assert (a.talks_delivered, a.audience) == (1, 58) and (b.talks_delivered, b.audience) == (1, 120)
    assert (a.orders_received, a.orders_accepted, a.orders_completed, a.orders_on_time) == (1, 1, 1, 1)
    assert a.satisfaction == pytest.approx((5 + 4 + 5) / 3, abs=0.01) and a.evaluations == 1
    assert b.orders_completed == 0 and b.satisfaction is None
    assert report.totals.audience == 178 and report.totals.talks_delivered == 2
    assert a.review_days_median is not None and a.returned_share == 0


def test_returned_share_and_review_days_come_from_the_review_log(app, accounts):
    from app.services import revisions, workflow
    from tests.outreach_helpers import sample_record

    record = sample_record(title="退回后发布的案例")
    record.pop("issuer")
    record.pop("source_id")
    revision = revisions.save(accounts.publisher, None, record)
    workflow.submit(accounts.publisher, revision.id)
    workflow.send_back(accounts.reviewer, revision.id, "请补充")
    workflow.submit(accounts.publisher, revision.id)
    workflow.approve(accounts.reviewer, revision.id)
    a = row(stats.organisation_report(this_year()), accounts.org_a)
    assert (a.reviews_returned, a.reviews_published) == (1, 1) and a.returned_share == 0.5
    assert a.review_days_median == 0.0


def read(client, path: str, method: str = "GET", headers=None):
    """Fetch a page as a server would send it: the response is closed (the count runs then)."""
    response = client.open(path, method=method, headers=BROWSER if headers is None else headers)
    response.close()
    return response


def test_reading_a_case_page_counts_once_more_for_its_organisation(app, client, activity, accounts):
    case_id = activity["a"][0]
    before = row(stats.organisation_report(this_year()), accounts.org_a).page_views
    assert read(client, f"/cases/{case_id}").status_code == 200
    report = stats.organisation_report(this_year())
    assert row(report, accounts.org_a).page_views == before + 1
    assert row(report, accounts.org_b).page_views == 0
    assert read(client, f"/cases/{case_id}").status_code == 200
    assert db.session.scalar(select(PageView.n).filter_by(kind="case", object_id=case_id, day=TODAY)) == 2
    columns = {c.name for c in PageView.__table__.columns}
    assert columns == {"kind", "object_id", "day", "organisation_id", "n"}  # nothing about the reader


@pytest.mark.parametrize("headers, method", [
    ({"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}, "GET"),
    ({"User-Agent": "Mozilla/5.0 (compatible; Baiduspider/2.0)"}, "GET"),
    ({"User-Agent": "curl/8.5.0"}, "GET"),
    ({"User-Agent": "python-requests/2.32"}, "GET"),
    ({"User-Agent": "Mozilla/5.0 HeadlessChrome/126.0"}, "GET"),
    ({"User-Agent": ""}, "GET"),
    ({**BROWSER, "Sec-Purpose": "prefetch"}, "GET"),
    (BROWSER, "HEAD"),
])
def test_robots_prefetches_and_head_requests_are_not_counted(app, client, activity, headers, method):
    assert read(client, f"/cases/{activity['a'][0]}", method, headers).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(PageView)) == 0


def test_a_broken_counter_never_breaks_the_case_page(app, client, activity, caplog):
    logging.getLogger("app.services.reads").disabled = False  # the migrations' logging config turns it off
    db.session.execute(text("ALTER TABLE page_views RENAME TO page_views_away"))
    db.session.commit()
    try:
        response = read(client, f"/cases/{activity['a'][0]}")
        assert response.status_code == 200 and "甲机构案例一" in response.get_data(as_text=True)
        assert "read count failed" in caplog.text
        assert reads.count_view("case", activity["a"][0], 1) is False
    finally:
        db.session.rollback()
        db.session.execute(text("ALTER TABLE page_views_away RENAME TO page_views"))
        db.session.commit()


def test_concurrent_reads_lose_no_increment(app, activity):
    case_id, threads, each = activity["a"][0], 4, 25
    results: list[bool] = []

    def read_many():
        with app.app_context():
            for _ in range(each):
                results.append(reads.count_view("case", case_id, 1))

    workers = [threading.Thread(target=read_many) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert all(results) and len(results) == threads * each
    db.session.expire_all()
    assert db.session.scalar(select(PageView.n).filter_by(kind="case", object_id=case_id)) == threads * each


def test_dashboard_export_public_page_and_api_agree(app, client, runner, login, activity, accounts, tmp_path):
    read(client, f"/cases/{activity['a'][0]}")
    report = stats.organisation_report(this_year())
    expected = {r.organisation: (r.cases_published, r.page_views, r.talks_delivered, r.audience) for r in report.rows}
    # the JSON API
    body = client.get(f"/api/v1/stats/organisations?year={YEAR}").get_json()
    assert body["period"] == {"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31", "label": f"{YEAR}年", "days": 365
                              if YEAR % 4 else 366}
    assert body["units"]["cases_published"] == "件" and body["units"]["audience"] == "人次"
    assert body["library_cases_published"] == sum(o["cases_published"] for o in body["organisations"])
    assert {o["organisation"]: (o["cases_published"], o["page_views"], o["talks_delivered"], o["audience"])
            for o in body["organisations"]} == expected
    assert {"organisation", "kind", "cases_published", "page_views", "talks_delivered", "audience"} <= \
        set(body["organisations"][0])
    # the .xlsx from the CLI and from the dashboard
    out = tmp_path / "figures.xlsx"
    result = runner.invoke(args=["stats", "export", "--year", str(YEAR), "-o", str(out)])
    assert result.exit_code == 0, result.output
    login(client, accounts.reviewer)
    download = client.get(f"/assessment/export.xlsx?year={YEAR}")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    for data in (out.read_bytes(), download.data):
        sheet = load_workbook(io.BytesIO(data))["机构统计"]
        assert f"{YEAR}年" in sheet["A1"].value
        headers = [c.value for c in sheet[3]]
        index = {name: headers.index(f"{label}（{unit}）") for name, label, unit in stats.COLUMNS if name != "rank"}
        table = {r[1]: (r[index["cases_published"]], r[index["page_views"]], r[index["talks_delivered"]],
                        r[index["audience"]]) for r in sheet.iter_rows(min_row=4, values_only=True) if r[1] != "合计"}
        assert table == expected
    # the dashboard and the public page show the same numbers
    dashboard = client.get(f"/assessment?year={YEAR}").get_data(as_text=True)
    public = client.get(f"/figures?year={YEAR}").get_data(as_text=True)
    for name in expected:
        assert name in dashboard and name in public
    a = row(report, accounts.org_a)
    for html in (dashboard, public):
        assert f'data-metric="page_views">{a.page_views}<' in html
    assert f'data-metric="audience">{report.totals.audience}<' in dashboard


@pytest.mark.parametrize("query, field", [
    ("year=abc", "year"), ("year=1800", "year"), ("from=2024-13-01", "from"), ("year=2024&from=2024-01-01", "year"),
    ("from=2024-06-01&to=2024-01-01", "to"), ("from=2000-01-01&to=2024-01-01", "to")])
def test_api_period_arguments_are_checked_in_chinese(app, client, query, field):
    response = client.get(f"/api/v1/stats/organisations?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "validation_error" and field in {e["field"] for e in body["errors"]}
    assert all("\u4e00" <= m[0] <= "\u9fff" or m[0].isascii() for e in body["errors"] for m in e["messages"])


def test_api_range_and_default_period(app, client, activity):
    body = client.get(f"/api/v1/stats/organisations?from={YEAR}-01-01&to={YEAR}-06-30").get_json()
    assert body["period"]["label"] == f"{YEAR}-01-01 至 {YEAR}-06-30"
    assert client.get("/api/v1/stats/organisations").get_json()["period"]["from"] == f"{YEAR}-01-01"
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/stats/organisations" in spec["paths"]


def test_the_cli_export_refuses_bad_periods(app, runner, tmp_path):
    out = str(tmp_path / "x.xlsx")
    result = runner.invoke(args=["stats", "export", "--year", "2024", "--from", "2024-01-01", "-o", out])
    assert result.exit_code != 0 and "不能同时使用" in result.output
    result = runner.invoke(args=["stats", "export", "--from", "2024-05-01", "--to", "2024-01-01", "-o", out])
    assert result.exit_code == 1 and "结束日期不能早于开始日期" in result.output
    assert not (tmp_path / "x.xlsx").exists()


# ---- the rubric ----------------------------------------------------------------------------
def test_the_rubric_weights_change_score_and_ranking(app, activity, accounts):
    form = {f"weight_{c.metric}": "0" for c in stats.DEFAULT_RUBRIC} | {f"target_{c.metric}": "1"
                                                                        for c in stats.DEFAULT_RUBRIC}
    stats.save_rubric(accounts.reviewer, form | {"weight_audience": "100", "target_audience": "100"})
    report = stats.organisation_report(this_year())
    assert report.rows[0].organisation_id == accounts.org_b.id  # 120 人次 ≥ target: full marks
    assert report.rows[0].score == 100.0 and row(report, accounts.org_a).score == 58.0
    stats.save_rubric(accounts.reviewer, form | {"weight_satisfaction": "100", "target_satisfaction": "5"})
    report = stats.organisation_report(this_year())
    assert report.rows[0].organisation_id == accounts.org_a.id and row(report, accounts.org_b).score == 0.0


def test_bad_rubric_input_is_refused_and_the_wrong_role_too(app, accounts):
    with pytest.raises(ValidationError) as refused:
        stats.save_rubric(accounts.reviewer, {"weight_cases_published": "-5", "target_cases_published": "abc"})
    assert "权重应为" in str(refused.value.messages) and "目标值应为" in str(refused.value.messages)
    for user in (accounts.publisher, accounts.admin, accounts.lecturer, None):
        with pytest.raises(PermissionDenied):
            stats.save_rubric(user, {})
    assert stats.rubric() == stats.DEFAULT_RUBRIC


def test_the_dashboard_pages(app, client, login, activity, accounts):
    login(client, accounts.reviewer)
    page = client.get(f"/assessment?year={YEAR}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "考核得分" in html and "统计期间" in html
    assert client.get(f"/assessment?from={YEAR}-01-01&to={YEAR}-03-31").status_code == 200
    assert client.get("/assessment?year=oops").status_code == 400
    report = client.get(f"/assessment/report?year={YEAR}").get_data(as_text=True)
    assert "outreach-print.css" in report and "评分细则" in report
    assert client.get("/assessment/rubric").status_code == 200
    bad = client.post("/assessment/rubric", data={"csrf_token": CSRF, "weight_audience": "x"})
    assert bad.status_code == 400 and "权重应为" in bad.get_data(as_text=True)


# ---- 责任清单 and the public page ------------------------------------------------------------
def test_duty_items_with_evidence_are_public(app, client, activity, accounts):
    from app.services import deliveries

    talk = deliveries.organisation_deliveries(accounts.reviewer)[0]
    talk_of_a = next(d for d in deliveries.organisation_deliveries(accounts.publisher))
    item = duties.save_duty(accounts.publisher, None, {
        "year": str(YEAR), "category": "cases", "title": "全年发布以案释法典型案例 12 件", "owner": "研究室",
        "due_date": f"{YEAR}-12-31", "status": "in_progress", "case_ids": [str(activity["a"][0])],
        "delivery_ids": [str(talk_of_a.id)]})
    assert item.organisation_id == accounts.org_a.id and len(item.evidence) == 2
    with pytest.raises(ValidationError):  # another body's talk is not your evidence
        duties.save_duty(accounts.publisher, item.id, {"year": str(YEAR), "category": "cases", "title": "改",
                                                       "owner": "研究室", "due_date": f"{YEAR}-12-31",
                                                       "delivery_ids": [str(talk.id)] if talk.id != talk_of_a.id
                                                       else ["99999"]})
    with pytest.raises(PermissionDenied):
        duties.save_duty(accounts.other_publisher, item.id, {})
    overdue = duties.save_duty(accounts.reviewer, None, {
        "organisation_id": str(accounts.org_b.id), "year": str(YEAR), "category": "mechanism",
        "title": "制定本单位普法责任清单", "owner": "办公室", "due_date": f"{YEAR}-01-02"})
    assert overdue.status_on(dt.date(YEAR, 1, 3)) == "overdue"
    page = client.get(f"/figures?year={YEAR}").get_data(as_text=True)
    assert "全年发布以案释法典型案例 12 件" in page and "研究室" in page and "甲机构案例一" in page
    report = stats.organisation_report(this_year(), today=dt.date(YEAR, 1, 3))
    assert (row(report, accounts.org_a).duty_items, row(report, accounts.org_b).duty_overdue) == (1, 1)


# ---- feeds ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_feeds_of_new_cases_use_the_public_address(app, client, activity, accounts, fmt):
    app.config["PUBLIC_BASE_URL"] = "https://pufa.example.gov.cn"
    from app.services.catalog import term_by_code

    assert term_by_code("hot_issue", "property-housing")
    for path in (f"/feeds/hot-issues/property-housing.{fmt}", f"/feeds/organisations/{accounts.org_a.id}.{fmt}"):
        response = client.get(path)
        assert response.status_code == 200 and "xml" in response.mimetype
        root = ET.fromstring(response.data)
        xml = response.get_data(as_text=True)
        assert "甲机构案例一" in xml and f"https://pufa.example.gov.cn/cases/{activity['a'][0]}" in xml
        assert "乙机构案例" not in xml or "hot-issues" in path
        assert root.tag.endswith("feed" if fmt == "atom" else "rss")
    assert client.get(f"/feeds/law-topics/civil-commercial.{fmt}").status_code == 200
    assert client.get("/feeds/hot-issues/nope.atom").status_code == 404
    assert client.get("/feeds").status_code == 200


# ---- the calendar --------------------------------------------------------------------------
def test_key_dates_next_occurrence_and_the_home_page(app, client, accounts):
    duties.load_national_dates()
    constitution = db.session.scalar(select(KeyDate).filter_by(title="国家宪法日"))
    month = db.session.scalar(select(KeyDate).filter_by(title="民法典宣传月"))
    assert duties.next_occurrence(constitution, dt.date(2025, 11, 20)).days_away == 14
    assert duties.next_occurrence(constitution, dt.date(2025, 12, 5)).start == dt.date(2026, 12, 4)
    occurrence = duties.next_occurrence(month, dt.date(2025, 5, 10))
    assert occurrence.ongoing and occurrence.end == dt.date(2025, 5, 31)
    soon = duties.upcoming(dt.date(2025, 11, 20), days=30)
    assert [o.date.title for o in soon] == ["国家宪法日"]
    own = duties.save_key_date(accounts.publisher, None, {"title": "法院开放日", "month": "3", "day": "1"})
    assert own.organisation_id == accounts.org_a.id
    with pytest.raises(PermissionDenied):
        duties.delete_key_date(accounts.publisher, constitution.id)
    with pytest.raises(ValidationError):
        duties.save_key_date(accounts.reviewer, None, {"title": "不存在的日子", "month": "4", "day": "31"})
    app.config["CALENDAR_LOOKAHEAD_DAYS"] = 366
    home = client.get("/").get_data(as_text=True)
    assert "普法日历" in home and "国家宪法日" in home and "法院开放日" in home
    assert client.get("/calendar").status_code == 200


def test_issuer_count_stays_complete(app, activity):
    report = stats.organisation_report(this_year())
    assert len(report.rows) == db.session.scalar(select(func.count()).select_from(Issuer))
    assert [r.rank for r in report.rows] == sorted(r.rank for r in report.rows)


# ---- 专题 (issue 12's collections) -----------------------------------------------------------
def test_a_published_collection_links_menu_talks_evidence_and_counts_its_reads(app, client, activity, accounts):
    from app.models import Collection
    from app.services import collections as collection_service
    from app.services import deliveries
    from app.services import menu as menu_service

    topic = collection_service.create(accounts.publisher, {"title": "物业纠纷专题", "audience": "社区"})
    collection_service.add_case(accounts.publisher, activity["a"][0], topic.id)
    private = collection_service.create(accounts.publisher, {"title": "未公开的备课篮"})
    with pytest.raises(ValidationError):  # only a published 专题 goes on the public menu
        menu_service.save_item(accounts.publisher, None, {"title": "物业课", "audiences": ["community"],
                                                          "forms": ["lecture"], "duration_minutes": "45",
                                                          "collection_id": str(private.id)})
    collection_service.set_published(accounts.publisher, topic.id, True)
    item = menu_service.save_item(accounts.publisher, None, {"title": "物业课", "audiences": ["community"],
                                                             "forms": ["lecture"], "duration_minutes": "45",
                                                             "collection_id": str(topic.id)})
    menu_service.review_item(accounts.reviewer, menu_service.submit_item(accounts.publisher, item.id).id, "list")
    assert "物业纠纷专题" in client.get(f"/menu/{item.id}").get_data(as_text=True)
    talk = deliveries.record(accounts.publisher, {**delivery_form(), "collection_id": str(topic.id)}, [])
    assert talk.collection_id == topic.id
    duty = duties.save_duty(accounts.publisher, None, {"year": str(YEAR), "category": "innovation",
                                                       "title": "制作普法专题", "owner": "宣传科",
                                                       "due_date": f"{YEAR}-12-31", "collection_ids": [str(topic.id)]})
    assert duty.evidence[0].collection_id == topic.id
    assert "专题：物业纠纷专题" in client.get(f"/figures?year={YEAR}").get_data(as_text=True)
    token = db.session.get(Collection, topic.id).share_token
    assert read(client, f"/zhuanti/{token}").status_code == 200  # a phone opens the 专题
    a = row(stats.organisation_report(this_year()), accounts.org_a)
    assert a.collection_views == 1 and a.page_views == 0  # 专题 reads are kept apart from case-page reads
