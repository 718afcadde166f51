"""菜单式普法 in a real headless Chromium, as issue 13's "done when" says: a citizen orders a talk
on a phone → the 普法办 dispatches → the organisation's publisher accepts and schedules →
records the delivery with a photo → the citizen evaluates by the tracking link → the dashboard
counts it; plus the decline, cancellation and overdue paths. Screenshots of every new page."""
import datetime as dt
import re

import pytest

from app.extensions import db
from app.models import Order
from app.services import duties
from app.services import orders as order_service
from tests.helpers import chromium, csp_violations, new_page, screenshot_dir, serve, sign_in
from tests.outreach_helpers import FUTURE, TODAY, jpeg_with_exif, listed_item, place, publish_case

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")
PHONE = (390, 844)


@pytest.fixture()
def live(app, accounts):
    """This test's app (a listed menu item, a published case, the national key dates) on a free port."""
    case_id = publish_case(accounts, "某物业公司未尽安全保障义务案")
    listed_item(accounts, case_ids=[str(case_id)], summary="结合典型案例讲解物业服务合同中的安全保障义务、维修资金使用和业主权利。")
    duties.load_national_dates()
    with serve(app) as url:
        yield url


@pytest.fixture()
def browser():
    """A headless Chromium."""
    with chromium() as instance:
        yield instance


@pytest.fixture()
def shots(tmp_path):
    """Where screenshots go."""
    return screenshot_dir(tmp_path)


def shoot(page, path) -> None:
    """A full-page screenshot of a page that broke no rule of the strict CSP."""
    assert csp_violations(page) == [], page.url
    page.screenshot(path=path, full_page=True)


def fits_width(page) -> bool:
    """No horizontal scrolling at this viewport."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def solve_challenge(page) -> None:
    """Answer the arithmetic question as a person reads it."""
    a, b = map(int, re.search(r"(\d+) 加 (\d+)", page.inner_text(".challenge-question")).groups())
    page.fill("input[name=challenge_answer]", str(a + b))


def fill_order(page, topic: str | None = None) -> None:
    """Fill the order form as a citizen would."""
    if topic:
        page.select_option("select[name=menu_item_id]", "")
        page.fill("input[name=topic]", topic)
    page.fill("input[name=unit]", "某街道幸福社区居民委员会")
    page.fill("input[name=district]", "某区")
    page.fill("input[name=town]", "某街道")
    page.fill("input[name=community]", "幸福社区")
    page.select_option("select[name=audience_type]", "community")
    page.fill("input[name=audience_size]", "80")
    page.fill("input[name=window_start]", TODAY.isoformat())
    page.fill("input[name=window_end]", FUTURE.isoformat())
    page.fill("input[name=contact_name]", "王女士")
    page.fill("input[name=contact_phone]", "138 1234 5678")
    page.fill("textarea[name=remarks]", "周末下午为宜。")
    solve_challenge(page)


def cell(page, organisation: str, metric: str) -> str:
    """A figure of one organisation in the dashboard table."""
    return page.inner_text(f"table.figures tbody tr:has(th:has-text('{organisation}')) td[data-metric={metric}]")


def test_order_dispatch_accept_schedule_deliver_evaluate_and_the_dashboard_counts_it(
        browser, live, accounts, shots, tmp_path):
    citizen = new_page(browser, *PHONE)
    citizen.goto(f"{live}/")
    assert citizen.locator(".pufa-upcoming").count() in (0, 1)  # shown only as a date approaches
    citizen.goto(f"{live}/menu")
    assert fits_width(citizen)
    shoot(citizen, shots / "menu-phone.png")
    citizen.click(".menu-card a.button:has-text('点单')")
    citizen.wait_for_url("**/orders/new?item=*")
    assert citizen.locator("select[name=menu_item_id] option:checked").inner_text().startswith("物业纠纷以案释法")
    # a mistake first: a bad phone number gets a Chinese message on its field, and nothing is lost
    fill_order(citizen)
    citizen.fill("input[name=contact_phone]", "12345")
    citizen.click("form.order-form button[type=submit]")
    assert "有效的手机号码" in citizen.inner_text("#err-contact_phone")
    assert citizen.input_value("input[name=unit]") == "某街道幸福社区居民委员会"
    assert fits_width(citizen)
    shoot(citizen, shots / "order-form-error-phone.png")
    citizen.fill("input[name=contact_phone]", "138 1234 5678")
    solve_challenge(citizen)  # a fresh question after every attempt
    shoot(citizen, shots / "order-form-phone.png")
    citizen.click("form.order-form button[type=submit]")
    citizen.wait_for_url("**/orders/track/*")
    assert "点单成功" in citizen.inner_text("main") and "已点单" in citizen.inner_text(".order-state")
    assert "138****5678" in citizen.inner_text("main") and "王女士" not in citizen.inner_text("main")
    tracking = citizen.url.split("?")[0]
    assert fits_width(citizen)
    shoot(citizen, shots / "track-phone.png")

    reviewer = sign_in(browser, live, "reviewer")
    reviewer.goto(f"{live}/work/orders")
    shoot(reviewer, shots / "queue-reviewer.png")
    reviewer.click("table.grid a:has-text('物业纠纷以案释法')")
    assert "13812345678" in reviewer.inner_text("main").replace(" ", "")  # the dispatcher sees the contact
    assert "菜单课题的提供机构" in reviewer.inner_text("select[name=organisation_id] option:checked")
    shoot(reviewer, shots / "order-dispatch.png")
    reviewer.click("form[action$='/dispatch'] button")
    assert "已派单" in reviewer.inner_text(".order-state")

    publisher = sign_in(browser, live, "publisher")
    publisher.goto(f"{live}/work/orders")
    assert "待接单" in publisher.inner_text("nav.tabs")
    shoot(publisher, shots / "queue-publisher.png")
    publisher.click("table.grid a:has-text('物业纠纷以案释法')")
    publisher.click("form[action$='/accept'] button")
    assert "已接单" in publisher.inner_text(".order-state")
    publisher.fill("input[name=date]", TODAY.isoformat())
    publisher.fill("input[name=time]", "14:30")
    publisher.fill("input[name=place]", "幸福社区党群服务中心")
    publisher.check(f"input[name=lecturer_ids][value='{accounts.lecturer.id}']")
    publisher.click("form[action$='/schedule'] button[type=submit]")
    assert "已排期" in publisher.inner_text(".order-state")
    publisher.click("a.button:has-text('登记送单')")
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(jpeg_with_exif(640, 480))
    publisher.fill("input[name=attendance]", "76")
    publisher.fill("textarea[name=summary]", "结合物业服务合同典型案例，讲解业主与物业公司的权利义务，现场解答问题 12 个。")
    publisher.set_input_files("input[name=photos]", str(photo))
    shoot(publisher, shots / "delivery-form.png")
    publisher.click("form button[type=submit]:has-text('登记送单')")
    assert "已送单" in publisher.inner_text(".order-state")
    publisher.click(".notice a")
    publisher.wait_for_function("() => { const i = document.querySelector('ul.photos img');"
                                " return i && i.complete && i.naturalWidth > 0; }")
    assert publisher.eval_on_selector("ul.photos img", "img => img.naturalWidth") == 480  # upright, EXIF gone

    citizen.goto(tracking)
    assert "已送单" in citizen.inner_text(".order-state")
    for name, score in (("content", 5), ("delivery", 4), ("usefulness", 5)):
        citizen.check(f"input[name={name}][value='{score}']")
    citizen.fill("textarea[name=comment]", "案例贴近生活，很实用。")
    shoot(citizen, shots / "evaluate-phone.png")
    citizen.click("form.evaluation button[type=submit]")
    assert "您已评价" in citizen.inner_text("main") and "已评单" in citizen.inner_text(".order-state")

    reviewer.goto(f"{live}/assessment?year={TODAY.year}")
    court = accounts.org_a.name
    assert cell(reviewer, court, "talks_delivered") == "1" and cell(reviewer, court, "audience") == "76"
    assert cell(reviewer, court, "orders_completed") == "1" and cell(reviewer, court, "orders_on_time") == "1"
    assert cell(reviewer, court, "satisfaction") == "4.67" and cell(reviewer, court, "cases_published") == "1"
    assert reviewer.locator("svg.chart").count() == 3
    shoot(reviewer, shots / "dashboard-desktop.png")
    export = reviewer.request.get(f"{live}/assessment/export.xlsx?year={TODAY.year}")  # the signed-in session
    assert export.ok and export.body()[:2] == b"PK"
    (shots / "assessment-export.xlsx").write_bytes(export.body())  # scripts/screenshots renders it to PNG
    reviewer.goto(f"{live}/assessment/report?year={TODAY.year}")
    reviewer.emulate_media(media="print")
    assert reviewer.locator("header.site").is_hidden() and reviewer.locator("form.period-form").is_hidden()
    shoot(reviewer, shots / "dashboard-print.png")
    pdf = reviewer.pdf(format="A4", landscape=True)
    assert pdf.startswith(b"%PDF")

    public = new_page(browser)
    public.goto(f"{live}/figures?year={TODAY.year}")
    row = public.locator(f"table.figures tbody tr:has(th:has-text('{court}'))")
    assert row.locator("td[data-metric=talks_delivered]").inner_text() == "1"
    assert row.locator("td[data-metric=audience]").inner_text() == "76"
    shoot(public, shots / "figures-desktop.png")
    public_phone = new_page(browser, *PHONE)
    public_phone.goto(f"{live}/figures?year={TODAY.year}")
    shoot(public_phone, shots / "figures-phone.png")
    for page in (citizen, reviewer, publisher, public, public_phone):  # the strict CSP holds on every page
        assert csp_violations(page) == [], page.url


def test_decline_goes_back_to_dispatch_and_another_body_takes_it(browser, live, app, accounts, shots):
    order = place(topic="食品安全与消费维权", hot_issue="食品安全")
    reviewer = sign_in(browser, live, "reviewer")
    reviewer.goto(f"{live}/work/orders/{order.id}")
    reviewer.select_option("select[name=organisation_id]", str(accounts.org_a.id))
    reviewer.click("form[action$='/dispatch'] button")
    publisher = sign_in(browser, live, "publisher")
    publisher.goto(f"{live}/work/orders/{order.id}")
    publisher.click("form[action$='/decline'] button")  # without a reason: refused, said so
    assert "请填写拒单理由" in publisher.inner_text("#err-reason")
    publisher.fill("input[name=reason]", "食品安全不属本院职责，建议市场监管部门承办")
    publisher.click("form[action$='/decline'] button")
    publisher.wait_for_url("**/work/orders")
    assert publisher.goto(f"{live}/work/orders/{order.id}").status == 403  # no longer theirs, nor the phone
    reviewer.goto(f"{live}/work/orders")
    assert "已拒单" in reviewer.inner_text("table.grid")
    reviewer.click("table.grid a:has-text('食品安全与消费维权')")
    assert "建议市场监管部门承办" in reviewer.inner_text("main")
    reviewer.select_option("select[name=organisation_id]", str(accounts.org_b.id))
    reviewer.click("form[action$='/dispatch'] button")
    other = sign_in(browser, live, "other_publisher")
    other.goto(f"{live}/work/orders/{order.id}")
    other.click("form[action$='/accept'] button")
    assert "已接单" in other.inner_text(".order-state")
    db.session.expire_all()
    assert [e.state for e in db.session.get(Order, order.id).events] == [
        "ordered", "dispatched", "declined", "dispatched", "accepted"]


def test_the_citizen_cancels_by_the_tracking_link(browser, live, accounts, shots):
    order = place()
    citizen = new_page(browser, *PHONE)
    citizen.goto(f"{live}/orders/track")
    citizen.fill("input[name=code]", order_service.display_code(order.tracking_code).lower())
    citizen.click("form button[type=submit]")
    citizen.wait_for_url(f"**/orders/track/{order.tracking_code}")
    citizen.click("details.cancel-order summary")
    citizen.fill("input[name=reason]", "活动改期")
    citizen.click("details.cancel-order button")
    assert "已取消" in citizen.inner_text(".order-state")
    assert citizen.locator("details.cancel-order").count() == 0
    reviewer = sign_in(browser, live, "reviewer")
    reviewer.goto(f"{live}/work/orders?tab=closed")
    assert "已取消" in reviewer.inner_text("table.grid")


def test_an_order_nobody_dispatches_turns_overdue(browser, live, app, accounts, shots):
    order = place(topic="电信网络诈骗防范", hot_issue="电信网络诈骗")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=app.config["ORDER_DISPATCH_DAYS"], hours=2)
    result = app.test_cli_runner().invoke(args=["orders", "sweep", "--now", later.strftime("%Y-%m-%dT%H:%M")])
    assert result.exit_code == 0 and "逾期未派单 1" in result.output
    reviewer = sign_in(browser, live, "reviewer")
    reviewer.goto(f"{live}/work/orders")
    reviewer.click("nav.tabs a.overdue")
    assert "逾期未派单" in reviewer.inner_text("table.grid tr.late")
    shoot(reviewer, shots / "queue-overdue.png")
    reviewer.click("table.grid a:has-text('电信网络诈骗防范')")
    assert "超过" in reviewer.inner_text("ol.timeline")
    reviewer.click("form[action$='/dispatch'] button")  # late work still gets done; the lateness stays counted
    db.session.expire_all()
    assert db.session.get(Order, order.id).was_late
    reviewer.goto(f"{live}/work/demand")
    assert "电信网络诈骗防范" in reviewer.inner_text("main")
    shoot(reviewer, shots / "demand-board.png")


def test_staff_pages_look_right(browser, live, accounts, shots):
    reviewer = sign_in(browser, live, "reviewer")
    for path, name in (("/work/menu", "menu-staff"), ("/work/menu/new", "menu-form"), ("/work/duties/new", "duty-form"),
                       ("/work/calendar", "calendar-staff"), ("/assessment/rubric", "rubric")):
        reviewer.goto(f"{live}{path}")
        assert reviewer.locator("main h1").count() == 1
        shoot(reviewer, shots / f"{name}.png")
    desktop = new_page(browser)
    for path, name in (("/menu", "menu-desktop"), ("/calendar", "calendar"), ("/feeds", "feeds")):
        desktop.goto(f"{live}{path}")
        shoot(desktop, shots / f"{name}.png")
        assert csp_violations(desktop) == [], path
    assert csp_violations(reviewer) == []
