"""Assessment dashboard render time for 100 organisations × 3 years of generated activity.

Generates into a fresh instance (SQLite file by default; DATABASE_URL for PostgreSQL), migrated to
head: per organisation and year 40 published cases with tags and review audit rows (15 % returned
once), 30 orders through the whole life with their events, 24 deliveries, 20 evaluations,
10 责任清单 items, and page-view counters for every case on 80 days a year. Then renders
GET /assessment?year=… (the full page: figures, score, ranking, three SVG charts, the table) as a
signed-in 普法办 reviewer through the Flask test client, and the service function alone.

    .venv/bin/python bench/dashboard_bench.py [--orgs 100] [--years 3] [--repeat 15] [--instance DIR]
Prints row counts, generation time and median / p95 / max milliseconds.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CASES, ORDERS, DELIVERIES, EVALUATIONS, DUTIES, READ_DAYS = 40, 30, 24, 20, 10, 80


def chunks(rows: list[dict], size: int = 5000):
    """Slices for executemany."""
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def generate(orgs: int, years: int, seed: int = 13) -> dict[str, int]:
    """Insert the activity with Core executemany (fast), return row counts."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models import (
        AuditEvent,
        Case,
        CaseTag,
        Delivery,
        DutyItem,
        Evaluation,
        Issuer,
        Order,
        OrderEvent,
        OrganisationPageView,
        PageView,
        TaxonomyTerm,
        User,
    )

    rng = random.Random(seed)
    this_year = dt.date.today().year
    first_year = this_year - years + 1
    terms = list(db.session.scalars(select(TaxonomyTerm.id).where(TaxonomyTerm.scheme == "hot_issue")))
    kinds = ["court", "procuratorate", "enforcement", "judicial_admin", "supervisory"]
    db.session.execute(insert(Issuer), [{"name": f"某市第{i + 1}机关", "kind": kinds[i % 5], "region": "某省某市"}
                                        for i in range(orgs)])
    db.session.execute(insert(User), [{"username": "bench-reviewer", "display_name": "普法办", "role": "reviewer",
                                       "password_hash": "x", "active": True, "failed_logins": 0,
                                       "must_change_password": False}])
    org_ids = list(db.session.scalars(select(Issuer.id).order_by(Issuer.id)))
    counts = dict.fromkeys(("cases", "tags", "audit", "orders", "order_events", "deliveries", "evaluations",
                            "duties", "page_views", "organisation_page_views"), 0)
    case_id = order_id = delivery_id = 0
    for year in range(first_year, this_year + 1):
        last_day = dt.date(year, 12, 31) if year < this_year else dt.date.today()
        span = (last_day - dt.date(year, 1, 1)).days

        def day(span=span, year=year) -> dt.date:
            return dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, span))

        cases, tags, audit, orders, events, deliveries, evaluations, duties, views = ([] for _ in range(9))
        for org in org_ids:
            for _ in range(CASES):
                case_id += 1
                published = day()
                cases.append({"id": case_id, "source_id": f"bench-{case_id}", "title": f"案例{case_id}",
                              "case_type": "民事", "issuer_id": org, "published_date": published,
                              "status": "published", "content_hash": "0" * 64})
                tags.append({"case_id": case_id, "term_id": rng.choice(terms), "auto": True, "evidence": ""})
                submitted = dt.datetime.combine(published, dt.time(9)) - dt.timedelta(days=rng.randint(1, 20))
                audit.append({"at": submitted, "action": "case.submit", "case_id": case_id, "actor_name": "",
                              "detail": {}})
                if rng.random() < 0.15:
                    audit.append({"at": submitted + dt.timedelta(hours=20), "action": "case.return",
                                  "case_id": case_id, "actor_name": "", "detail": {}})
                audit.append({"at": dt.datetime.combine(published, dt.time(10)), "action": "case.publish",
                              "case_id": case_id, "actor_name": "", "detail": {}})
                for read_day in rng.sample(range(span + 1), min(READ_DAYS, span + 1)):
                    views.append({"kind": "case", "object_id": case_id, "organisation_id": org,
                                  "day": dt.date(year, 1, 1) + dt.timedelta(days=read_day), "n": rng.randint(1, 9)})
            for n in range(ORDERS):
                order_id += 1
                created = dt.datetime.combine(day(), dt.time(8))
                delivered = n < DELIVERIES
                orders.append({"id": order_id, "tracking_code": f"B{order_id:011d}", "unit": "某村", "district": "某区",
                               "town": "某镇", "community": "", "audience_type": "village", "audience_size": 50,
                               "window_start": created.date(), "window_end": created.date() + dt.timedelta(days=30),
                               "organisation_id": org, "state": "evaluated" if n < EVALUATIONS else
                               "delivered" if delivered else "accepted", "topic": "土地承包",
                               "step_started_at": created, "created_at": created, "was_late": False})
                for step, hours in (("ordered", 0), ("dispatched", 20), ("accepted", 40)):
                    events.append({"order_id": order_id, "at": created + dt.timedelta(hours=hours), "state": step,
                                   "organisation_id": None if step == "ordered" else org, "note": ""})
                if delivered:
                    delivery_id += 1
                    held = min(created.date() + dt.timedelta(days=rng.randint(3, 40)), last_day)
                    deliveries.append({"id": delivery_id, "organisation_id": org, "order_id": order_id,
                                       "title": "以案释法讲座", "held_on": held, "place": "村委会",
                                       "attendance": rng.randint(20, 150), "audience_type": "village",
                                       "form": "lecture", "lecturer_names": "", "summary": "讲座"})
                    if n < EVALUATIONS:
                        evaluations.append({"order_id": order_id, "content": rng.randint(3, 5),
                                            "delivery": rng.randint(3, 5), "usefulness": rng.randint(3, 5),
                                            "comment": "", "created_at": dt.datetime.combine(held, dt.time(18))})
            for n in range(DUTIES):
                duties.append({"organisation_id": org, "year": year, "category": "public", "title": f"事项{n}",
                               "description": "", "owner": "办公室", "due_date": dt.date(year, 12, 31),
                               "status": rng.choice(["not_started", "in_progress", "done"])})
        per_body: dict[tuple, int] = {}
        for view in views:  # what reads.count_view keeps beside each per-page counter
            key = (view["organisation_id"], view["day"])
            per_body[key] = per_body.get(key, 0) + view["n"]
        body_rows = [{"organisation_id": org, "kind": "case", "day": d, "n": n} for (org, d), n in per_body.items()]
        tables = ((OrganisationPageView, body_rows, "organisation_page_views"), (Case, cases, "cases"),
                  (CaseTag, tags, "tags"), (AuditEvent, audit, "audit"),
                  (Order, orders, "orders"), (OrderEvent, events, "order_events"),
                  (Delivery, deliveries, "deliveries"), (Evaluation, evaluations, "evaluations"),
                  (DutyItem, duties, "duties"), (PageView, views, "page_views"))
        for model, rows, name in tables:
            for part in chunks(rows):
                db.session.execute(insert(model), part)
            counts[name] += len(rows)
        db.session.commit()
    return counts


def timed(function, repeat: int) -> list[float]:
    """Milliseconds per call, after one warm-up."""
    function()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        out.append((time.perf_counter() - start) * 1000)
    return sorted(out)


def line(label: str, times: list[float]) -> str:
    """median / p95 / max."""
    p95 = times[max(0, int(round(len(times) * 0.95)) - 1)]
    return f"{label:34s} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   max {times[-1]:7.1f} ms"


def main() -> None:
    """Generate, then measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--instance", help="instance folder (default: a new temporary folder)")
    args = parser.parse_args()
    instance = Path(args.instance or tempfile.mkdtemp(prefix="dashboard-bench-"))
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.models import User
    from app.services import auth as auth_service
    from app.services import stats
    from app.services.taxonomy import load_terms

    app = create_app({"INSTANCE_PATH": str(instance), "APP_ENV": "production", "SEARCH_SYNC_ON_COMMIT": False})
    with app.app_context():
        upgrade()
        load_terms()
        started = time.perf_counter()
        counts = generate(args.orgs, args.years)
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        sizes = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        print(f"generated in {time.perf_counter() - started:.1f} s: {sizes}")
        year = dt.date.today().year - 1
        reviewer = db.session.query(User).filter_by(username="bench-reviewer").one()
        token = auth_service.start_session(reviewer, "127.0.0.1")
        client = app.test_client()
        with client.session_transaction() as session:
            session["sid"] = token
        response = client.get(f"/assessment?year={year}")
        assert response.status_code == 200, response.status_code
        assert response.get_data(as_text=True).count("<tr>") >= args.orgs
        report = stats.organisation_report(stats.period_for(year))
        print(f"year {year}: {len(report.rows)} organisations, {report.library_published:,} cases, "
              f"{report.totals.talks_delivered:,} talks, {report.totals.page_views:,} reads")
        print(line(f"GET /assessment?year={year}", timed(lambda: client.get(f"/assessment?year={year}"), args.repeat)))
        print(line("stats.organisation_report (year)", timed(
            lambda: stats.organisation_report(stats.period_for(year)), args.repeat)))
        three = stats.period_for(start=dt.date(year - 1, 1, 1), end=dt.date.today())
        print(line("stats.organisation_report (3 years)", timed(lambda: stats.organisation_report(three), args.repeat)))
        print(line(f"GET /assessment/export.xlsx?year={year}", timed(
            lambda: client.get(f"/assessment/export.xlsx?year={year}"), max(3, args.repeat // 3))))


if __name__ == "__main__":
    main()
