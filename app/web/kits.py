"""备课 pages: the workspace (备课篮 list and editor), 加入备课篮 from any case, exports, projection
mode, and the public 专题 page. Views parse, call one service function, render; the services check
every permission (app/services/collections.py)."""
from __future__ import annotations

from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import ValidationError

from app.models import AUDIENCES, PARTS
from app.services import auth as auth_service
from app.services import collections as collection_service
from app.services import kits as kit_service
from app.services import qr, reads
from app.services.exports import FORMATS, filename, render
from app.urls import public_url
from app.web.auth import field_errors, login_required, safe_next

bp = Blueprint("kits", __name__)
DETAIL_FIELDS = ("title", "audience", "planned_date", "place", "duration_minutes", "opening", "questions", "notes",
                 "intro")


@bp.app_context_processor
def _kit_helpers() -> dict:
    """Templates may show 加入备课篮 (can_collect) and list the user's collections (my_collections())."""
    user = g.get("user")
    allowed = auth_service.can(user, "collection.use")
    return {"can_collect": allowed, "my_collections": lambda: collection_service.list_mine(user) if allowed else [],
            "PARTS": PARTS, "qr_svg": qr.svg_data_uri}


def _details(form) -> dict:
    """A collection's details from its form (the audience select or its free-text box)."""
    data = {name: form.get(name, "") for name in DETAIL_FIELDS}
    if form.get("audience") == "其他":
        data["audience"] = form.get("audience_other", "")
    return data


def _back(default: str):
    """Redirect to the local page the form came from (`next`), else `default`."""
    return redirect(safe_next(request.form.get("next")) or default)


# ---- workspace -----------------------------------------------------------------------------
@bp.route("/kits/", methods=["GET", "POST"])
@login_required
def workspace():
    """The user's 备课篮 and a form for a new one (lecturers land here after login)."""
    errors: dict = {}
    if request.method == "POST":
        try:
            collection = collection_service.create(g.user, _details(request.form))
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            flash(f"已新建备课篮《{collection.title}》。可以从搜索结果、热点问题页或案例页把案例加入进来。", "info")
            return redirect(url_for("kits.edit", collection_id=collection.id))
    return render_template("kits/workspace.html", collections=collection_service.list_mine(g.user), errors=errors,
                           AUDIENCES=AUDIENCES, form=request.form), 400 if errors else 200


@bp.route("/kits/<int:collection_id>", methods=["GET", "POST"])
@login_required
def edit(collection_id: int):
    """One 备课篮: details, cases in order with notes and parts, exports, projection, 专题."""
    errors: dict = {}
    if request.method == "POST":
        try:
            collection_service.update(g.user, collection_id, _details(request.form))
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            flash("备课信息已保存。", "info")
            return redirect(url_for("kits.edit", collection_id=collection_id))
    collection = collection_service.get(g.user, collection_id)
    kit = kit_service.for_collection(g.user, collection_id)
    topic_url = public_url("kits.topic", token=collection.share_token) if collection.published else None
    return render_template("kits/edit.html", collection=collection, kit=kit, errors=errors, AUDIENCES=AUDIENCES,
                           FORMATS=FORMATS, topic_url=topic_url, topic_qr=qr.svg_data_uri(topic_url) if topic_url
                           else None, notices={c.case_id: c.notices for c in kit.cases}), 400 if errors else 200


@bp.post("/kits/<int:collection_id>/delete")
@login_required
def delete(collection_id: int):
    """Delete a 备课篮."""
    collection_service.delete(g.user, collection_id)
    flash("备课篮已删除。", "info")
    return redirect(url_for("kits.workspace"))


@bp.post("/kits/add")
@login_required
def add():
    """加入备课篮 from a case page or a results list (into the chosen or the most recent 备课篮)."""
    collection_id = request.form.get("collection_id", type=int)
    case_id = request.form.get("case_id", type=int)
    if case_id is None:
        abort(400)
    try:
        result = collection_service.add_case(g.user, case_id, collection_id)
    except ValidationError as exc:
        flash("；".join(m for ms in field_errors(exc).values() for m in ms), "error")
        return _back(url_for("kits.workspace"))
    link = url_for("kits.edit", collection_id=result.collection.id)
    if result.added:
        flash(f"已加入备课篮《{result.collection.title}》（共 {len(result.collection.items)} 件）。", "info")
    else:
        flash(f"该案例已在备课篮《{result.collection.title}》中。", "info")
    if request.form.get("go") == "kit":
        return redirect(link)
    return _back(link)


@bp.post("/kits/<int:collection_id>/items/<int:item_id>")
@login_required
def item(collection_id: int, item_id: int):
    """One case of a 备课篮: save its note and parts, move it up or down, or remove it."""
    op = request.form.get("op", "save")
    anchor = f"item-{item_id}"
    try:
        if op in ("up", "down"):
            collection_service.move_item(g.user, collection_id, item_id, op)
        elif op == "remove":
            collection_service.remove_item(g.user, collection_id, item_id)
            flash("已从备课篮移除。", "info")
            anchor = "items"
        else:
            collection_service.update_item(g.user, collection_id, item_id, {
                "note": request.form.get("note", ""), "parts": request.form.getlist("parts")})
            flash("讲解要点已保存。", "info")
    except ValidationError as exc:
        flash("保存失败：" + "；".join(m for ms in field_errors(exc).values() for m in ms), "error")
    return redirect(url_for("kits.edit", collection_id=collection_id, _anchor=anchor))


@bp.post("/kits/<int:collection_id>/order")
@login_required
def order(collection_id: int):
    """A new order from drag and drop or keyboard reordering (JSON from kits.js, or a form)."""
    raw = request.get_json(silent=True) if request.is_json else {"items": request.form.getlist("items")}
    try:
        collection_service.reorder(g.user, collection_id, raw or {})
    except ValidationError as exc:
        if request.is_json:
            return jsonify(code="validation_error", message="顺序无效。", errors=field_errors(exc)), 400
        flash("；".join(m for ms in field_errors(exc).values() for m in ms), "error")
    if request.is_json:
        return jsonify(ok=True)
    return redirect(url_for("kits.edit", collection_id=collection_id, _anchor="items"))


@bp.post("/kits/<int:collection_id>/publish")
@login_required
def publish(collection_id: int):
    """Publish the 备课篮 as a public 专题 page, or take the page down."""
    wanted = request.form.get("published") == "1"
    try:
        collection = collection_service.set_published(g.user, collection_id, wanted)
    except ValidationError as exc:
        flash("；".join(m for ms in field_errors(exc).values() for m in ms), "error")
    else:
        flash("已发布为专题页，听众可扫码查看。" if collection.published else "专题页已撤下。", "info")
    return redirect(url_for("kits.edit", collection_id=collection_id, _anchor="share"))


@bp.get("/kits/<int:collection_id>/export.<fmt>")
@login_required
def export(collection_id: int, fmt: str):
    """Download the kit as a Word 讲稿, slides or an A5 booklet."""
    if fmt not in FORMATS:
        abort(404)
    kit = kit_service.for_collection(g.user, collection_id)
    response = Response(render(kit, fmt), mimetype=FORMATS[fmt].mimetype)
    # RFC 6266: an ASCII fallback name, and the Chinese title in filename* (UTF-8, percent-encoded).
    response.headers["Content-Disposition"] = (f'attachment; filename="kit-{collection_id}.{fmt}"; '
                                               f"filename*=UTF-8''{quote(filename(kit, fmt))}")
    return response


@bp.get("/kits/<int:collection_id>/present")
@login_required
def present(collection_id: int):
    """Projection mode: one case part per screen, large type, arrow keys and clickers."""
    kit = kit_service.for_collection(g.user, collection_id)
    topic_qr = qr.svg_data_uri(kit.topic_url) if kit.topic_url else None
    return render_template("kits/present.html", kit=kit, collection_id=collection_id, topic_qr=topic_qr)


# ---- public 专题 ------------------------------------------------------------------------------
@bp.get("/zhuanti/")
def topics():
    """Every published 专题."""
    return render_template("kits/topics.html", topics=collection_service.published_topics())


@bp.get("/zhuanti/<token>")
def topic(token: str):
    """A published 专题: its cases in the lecturer's order, readable on a phone, with its QR code."""
    collection = collection_service.public_by_token(token)
    kit = kit_service.from_collection(collection)
    url = public_url("kits.topic", token=collection.share_token)
    response = make_response(render_template("kits/topic.html", collection=collection, kit=kit, url=url,
                                             topic_qr=qr.svg_data_uri(url)))
    # 专题 reads count for the body of the collection's owner (issue 13's assessment); never breaks the page.
    reads.count_after_response(response, "collection", collection.id, collection.owner.organisation_id)
    return response
