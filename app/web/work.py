"""Staff pages of 菜单式普法: order queues and actions, the 需求 board, the menu, deliveries and
their photos, the 责任清单, the calendar, a lecturer's talks. Views parse the form, call one
service function and render; the services check every permission."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, send_file, url_for
from marshmallow import ValidationError

from app.models import Issuer
from app.models.outreach import DUTY_CATEGORIES, DUTY_STATUSES, MENU_STATES
from app.services import auth as auth_service
from app.services import deliveries, duties
from app.services import menu as menu_service
from app.services import orders as order_service
from app.services.taxonomy import all_terms
from app.web.auth import field_errors, login_required

bp = Blueprint("work", __name__, url_prefix="/work")


def _ids(name: str) -> list[str]:
    """Repeated form values (checkbox lists)."""
    return [v for v in request.form.getlist(name) if v.strip()]


def _fields(*names: str) -> dict[str, Any]:
    """The named form fields as posted ("" when absent)."""
    return {name: request.form.get(name, "") for name in names}


def _posted_ids(name: str) -> set[int]:
    """Repeated numeric form values as a set (to re-check boxes after an error)."""
    return {int(v) for v in request.form.getlist(name) if v.isdigit()}


def _organisations() -> list[Issuer]:
    """Every organisation, for selects."""
    return auth_service.organisations()


def _terms(scheme: str) -> list:
    """Taxonomy terms of one scheme, for selects."""
    return [t for t in all_terms() if t.scheme == scheme]


# ---- orders --------------------------------------------------------------------------------
@bp.get("/orders")
@login_required
def orders():
    """The actor's order queue (the 普法办: dispatch; an organisation: its own orders)."""
    page = order_service.queue(g.user, request.args.get("tab", "todo"), request.args.get("overdue") == "1")
    return render_template("work/orders.html", page=page, overdue_only=request.args.get("overdue") == "1")


def _order_page(order_id: int, errors: dict | None = None, status: int = 200):
    """One order for the staff handling it: contact details, timeline and the next actions."""
    order = order_service.get_for_staff(g.user, order_id)
    return render_template(
        "work/order.html", order=order, errors=errors or {}, form=request.form,
        suggestions=order_service.suggested_organisations(order) if g.user.role == "reviewer" else [],
        lecturers=menu_service.lecturers_of(order.organisation_id) if order.organisation_id else [],
        code=order_service.display_code(order.tracking_code), today=dt.date.today()), status


@bp.get("/orders/<int:order_id>")
@login_required
def order(order_id: int):
    """One order."""
    return _order_page(order_id)


def _act(order_id: int, action, done: str):
    """Run one transition; field errors re-render the order page."""
    try:
        action()
    except ValidationError as exc:
        return _order_page(order_id, field_errors(exc), 400)
    flash(done, "info")
    return redirect(url_for("work.order", order_id=order_id))


@bp.post("/orders/<int:order_id>/dispatch")
@login_required
def dispatch(order_id: int):
    """派单."""
    organisation_id, note = request.form.get("organisation_id", type=int), request.form.get("note", "")
    return _act(order_id, lambda: order_service.dispatch(g.user, order_id, organisation_id, note), "已派单。")


@bp.post("/orders/<int:order_id>/accept")
@login_required
def accept(order_id: int):
    """接单."""
    return _act(order_id, lambda: order_service.accept(g.user, order_id), "已接单，请安排时间与讲师。")


@bp.post("/orders/<int:order_id>/decline")
@login_required
def decline(order_id: int):
    """拒单 with a reason."""
    order_service.get_for_staff(g.user, order_id)
    try:
        order_service.decline(g.user, order_id, request.form.get("reason", ""))
    except ValidationError as exc:
        return _order_page(order_id, field_errors(exc), 400)
    flash("已拒单，点单已退回普法办重新派单。", "info")
    return redirect(url_for("work.orders"))


@bp.post("/orders/<int:order_id>/schedule")
@login_required
def schedule(order_id: int):
    """排期."""
    raw = {"date": request.form.get("date", ""), "time": request.form.get("time", ""),
           "place": request.form.get("place", ""), "lecturer_ids": _ids("lecturer_ids")}
    return _act(order_id, lambda: order_service.schedule(g.user, order_id, raw), "已排期。")


@bp.post("/orders/<int:order_id>/cancel")
@login_required
def cancel(order_id: int):
    """The 普法办 cancels an order."""
    return _act(order_id, lambda: order_service.cancel_by_staff(g.user, order_id, request.form.get("reason", "")),
                "已取消该点单。")


@bp.post("/orders/<int:order_id>/archive")
@login_required
def archive(order_id: int):
    """归档."""
    return _act(order_id, lambda: order_service.archive(g.user, order_id), "已归档。")


def _delivery_form_data() -> dict:
    """The delivery fields posted."""
    data = _fields("title", "held_on", "place", "attendance", "audience_type", "form", "lecturer_names", "summary",
                   "collection_id")
    data["lecturer_ids"] = _ids("lecturer_ids")
    data["case_ids"] = [str(i) for i in menu_service.parse_case_refs(request.form.get("case_refs", ""))] + \
        _ids("case_ids")
    return data


def _photos() -> list[tuple[str, bytes]]:
    """Uploaded photos as (name, bytes)."""
    return [(f.filename or "", f.read()) for f in request.files.getlist("photos") if f and f.filename]


@bp.route("/orders/<int:order_id>/deliver", methods=["GET", "POST"])
@login_required
def deliver(order_id: int):
    """送单: record the talk held for an order, with photos."""
    order = order_service.get_for_staff(g.user, order_id)
    auth_service.require_for_organisation(g.user, "delivery.record", order.organisation_id)
    errors: dict = {}
    if request.method == "POST":
        try:
            deliveries.record(g.user, _delivery_form_data(), _photos(), order_id=order_id)
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            flash("已登记送单，群众可通过查询链接评单。", "info")
            return redirect(url_for("work.order", order_id=order_id))
    defaults = {"title": order.subject, "place": order.scheduled_place or "", "audience_type": order.audience_type,
                "held_on": order.scheduled_at.date().isoformat() if order.scheduled_at else "",
                "form": (order.menu_item.forms or ["lecture"])[0] if order.menu_item else "lecture"}
    return render_template("work/delivery_form.html", order=order, form=request.form if errors else defaults,
                           errors=errors, lecturers=menu_service.lecturers_of(order.organisation_id),
                           suggested_cases=order.menu_item.cases if order.menu_item else [],
                           collections=menu_service.published_collections(),
                           chosen_lecturers=_posted_ids("lecturer_ids") if errors else {u.id for u in order.lecturers}
                           ), 400 if errors else 200


@bp.get("/demand")
@login_required
def demand():
    """The 需求 board: what people ask for that the menu does not offer."""
    return render_template("work/demand.html", board=order_service.demand_board(g.user))


@bp.get("/talks")
@login_required
def talks():
    """A lecturer's scheduled and delivered talks."""
    return render_template("work/talks.html", orders=order_service.lecturer_talks(g.user))


# ---- deliveries and photos -----------------------------------------------------------------
@bp.get("/deliveries")
@login_required
def delivery_list():
    """Delivery records (the organisation's, or all for the 普法办)."""
    return render_template("work/deliveries.html", deliveries=deliveries.organisation_deliveries(g.user))


@bp.route("/deliveries/new", methods=["GET", "POST"])
@login_required
def delivery_new():
    """Record an activity the body held on its own initiative (no order)."""
    auth_service.require_for_organisation(g.user, "delivery.record", g.user.organisation_id)
    errors: dict = {}
    if request.method == "POST":
        try:
            record = deliveries.record(g.user, _delivery_form_data(), _photos())
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            flash("已登记宣讲活动。", "info")
            return redirect(url_for("work.delivery", delivery_id=record.id))
    return render_template("work/delivery_form.html", order=None, form=request.form, errors=errors,
                           lecturers=menu_service.lecturers_of(g.user.organisation_id), suggested_cases=[],
                           collections=menu_service.published_collections(),
                           chosen_lecturers=_posted_ids("lecturer_ids")), 400 if errors else 200


@bp.get("/deliveries/<int:delivery_id>")
@login_required
def delivery(delivery_id: int):
    """One delivery record with its photos."""
    return render_template("work/delivery.html", delivery=deliveries.get(g.user, delivery_id))


@bp.get("/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    """A delivery photo, for staff who may read the delivery only."""
    response = send_file(deliveries.photo_path(g.user, photo_id), mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---- the menu ------------------------------------------------------------------------------
def _menu_form() -> dict:
    """The menu item fields posted."""
    data = _fields("title", "summary", "organisation_id", "hot_issue", "law_topic", "duration_minutes", "area",
                   "lecturer_names", "collection_id")
    data["audiences"], data["forms"], data["lecturer_ids"] = _ids("audiences"), _ids("forms"), _ids("lecturer_ids")
    data["case_ids"] = [str(i) for i in menu_service.parse_case_refs(request.form.get("case_refs", ""))]
    return data


@bp.get("/menu")
@login_required
def menu_list():
    """The items the actor keeps; the 普法办 sees pending items first."""
    return render_template("work/menu_list.html", items=menu_service.staff_items(g.user), MENU_STATES=MENU_STATES)


@bp.route("/menu/new", methods=["GET", "POST"])
@bp.route("/menu/<int:item_id>", methods=["GET", "POST"])
@login_required
def menu_edit(item_id: int | None = None):
    """Create or edit a menu item."""
    auth_service.require(g.user, "menu.edit")
    item = menu_service.get_item(g.user, item_id) if item_id else None
    errors: dict = {}
    if request.method == "POST":
        try:
            item = menu_service.save_item(g.user, item_id, _menu_form())
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            flash("课题已保存。" + ("提交上架审核后才会出现在普法菜单中。" if item.state != "listed" else ""), "info")
            return redirect(url_for("work.menu_edit", item_id=item.id))
    organisation_id = item.organisation_id if item else g.user.organisation_id
    return render_template("work/menu_form.html", item=item, errors=errors, form=request.form if errors else None,
                           organisations=_organisations(), hot_issues=_terms("hot_issue"),
                           law_topics=_terms("law_topic"), lecturers=menu_service.lecturers_of(organisation_id),
                           collections=menu_service.published_collections(),
                           MENU_STATES=MENU_STATES), 400 if errors else 200


@bp.post("/menu/<int:item_id>/submit")
@login_required
def menu_submit(item_id: int):
    """Ask for 上架 (the 普法办 lists its own items at once)."""
    item = menu_service.submit_item(g.user, item_id)
    flash("已上架。" if item.state == "listed" else "已提交上架审核。", "info")
    return redirect(url_for("work.menu_list"))


@bp.post("/menu/<int:item_id>/review")
@login_required
def menu_review(item_id: int):
    """上架 / 下架 / 退回 by the 普法办."""
    try:
        item = menu_service.review_item(g.user, item_id, request.form.get("decision", ""),
                                        request.form.get("comment", ""))
    except ValidationError as exc:
        flash("操作未完成：" + "；".join(m for ms in field_errors(exc).values() for m in ms), "error")
        return redirect(url_for("work.menu_list"))
    flash(f"《{item.title}》{item.state_label}。", "info")
    return redirect(url_for("work.menu_list"))


@bp.post("/menu/<int:item_id>/withdraw")
@login_required
def menu_withdraw(item_id: int):
    """The organisation takes its item off the menu."""
    menu_service.withdraw_item(g.user, item_id)
    flash("已下架。", "info")
    return redirect(url_for("work.menu_list"))


# ---- 责任清单 --------------------------------------------------------------------------------
def _year() -> int:
    """?year= within 2000–2100, else this year."""
    year = request.args.get("year", type=int) or dt.date.today().year
    return year if 2000 <= year <= 2100 else dt.date.today().year


def _duty_form() -> dict:
    """The duty item fields posted."""
    data = _fields("organisation_id", "year", "category", "title", "description", "owner", "due_date", "status")
    data["case_ids"] = [str(i) for i in menu_service.parse_case_refs(request.form.get("case_refs", ""))]
    data["delivery_ids"] = [str(i) for i in menu_service.parse_case_refs(request.form.get("delivery_refs", ""))]
    data["collection_ids"] = _ids("collection_ids")
    return data


@bp.get("/duties")
@login_required
def duty_list():
    """The 普法责任清单 of a year."""
    year = _year()
    return render_template("work/duties.html", items=duties.duty_items(g.user, year), year=year,
                           today=dt.date.today(), DUTY_STATUSES=DUTY_STATUSES, DUTY_CATEGORIES=DUTY_CATEGORIES)


@bp.route("/duties/new", methods=["GET", "POST"])
@bp.route("/duties/<int:item_id>", methods=["GET", "POST"])
@login_required
def duty_edit(item_id: int | None = None):
    """Create or edit a duty item and its evidence."""
    auth_service.require(g.user, "duty.edit")
    item = duties.get_duty(g.user, item_id) if item_id else None
    errors: dict = {}
    if request.method == "POST":
        try:
            item = duties.save_duty(g.user, item_id, _duty_form())
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            flash("责任清单事项已保存。", "info")
            return redirect(url_for("work.duty_list", year=item.year))
    return render_template("work/duty_form.html", item=item, errors=errors, form=request.form if errors else None,
                           organisations=_organisations(), DUTY_STATUSES=DUTY_STATUSES,
                           DUTY_CATEGORIES=DUTY_CATEGORIES, year=_year(),
                           collections=menu_service.published_collections()), 400 if errors else 200


# ---- the calendar --------------------------------------------------------------------------
def _key_date_form() -> dict:
    """The calendar date fields posted."""
    data = _fields("organisation_id", "title", "month", "day", "end_month", "end_day", "description", "hot_issue",
                   "collection_id")
    data["menu_item_ids"] = _ids("menu_item_ids")
    return data


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
def calendar():
    """The 普法 calendar: add a date (publishers: their body's 集中宣传日)."""
    auth_service.require(g.user, "calendar.edit")
    errors: dict = {}
    if request.method == "POST":
        try:
            duties.save_key_date(g.user, request.form.get("key_id", type=int), _key_date_form())
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            flash("日期已保存。", "info")
            return redirect(url_for("work.calendar"))
    organisation = g.user.organisation_id if g.user.role == "publisher" else None
    listed = [i for i in menu_service.public_menu().items if not organisation or i.organisation_id == organisation]
    return render_template("work/calendar.html", occurrences=duties.calendar(organisation_id=organisation),
                           errors=errors, form=request.form, organisations=_organisations(),
                           hot_issues=_terms("hot_issue"), menu_items=listed,
                           collections=menu_service.published_collections()), 400 if errors else 200


@bp.post("/calendar/<int:key_id>/delete")
@login_required
def calendar_delete(key_id: int):
    """Remove a calendar date."""
    duties.delete_key_date(g.user, key_id)
    flash("日期已删除。", "info")
    return redirect(url_for("work.calendar"))
