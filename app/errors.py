"""Error handlers: every error gets a Chinese message and a machine-readable code."""
from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, SecurityError

from app.extensions import db
from app.services.errors import Missing, PermissionDenied, WorkflowError
from app.web.auth import CsrfFailed
from indexer.backends.base import QueryTooExpensive, SearchUnavailable
from schemas.errors import error_body

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("bad_request", "请求无效。"),
    401: ("unauthorized", "请先登录。"),
    403: ("forbidden", "您没有执行此操作的权限。"),
    404: ("not_found", "未找到请求的内容。"),
    405: ("method_not_allowed", "不支持该请求方法。"),
    409: ("conflict", "当前状态不允许此操作，请刷新页面后重试。"),
    410: ("gone", "该内容已撤回。"),
    413: ("too_large", "请求内容过大。"),
    414: ("uri_too_long", "请求地址过长。"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试。"),
    431: ("headers_too_large", "请求头过大。"),
    500: ("internal_error", "服务器内部错误，请稍后再试。"),
    503: ("unavailable", "服务暂时不可用，请稍后再试。"),
}


def _wants_json() -> bool:
    """API paths answer JSON; pages answer HTML."""
    return request.path.startswith("/api/") or request.path == "/healthz"


def respond(status: int, code: str | None = None, message: str | None = None, messages=None):
    """An error response in the form the client expects."""
    default_code, default_message = MESSAGES.get(status, ("error", "请求出错。"))
    code, message = code or default_code, message or default_message
    if _wants_json():
        return jsonify(error_body(code, message, messages)), status
    return render_template("error.html", status=status, code=code, message=message), status


def register(app: Flask) -> None:
    """Attach the handlers."""

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        return respond(400, "validation_error", "请求参数有误。", exc.messages)

    @app.errorhandler(PermissionDenied)
    def _forbidden(exc: PermissionDenied):
        db.session.rollback()
        return respond(403, "forbidden", exc.message)

    @app.errorhandler(Missing)
    def _missing(exc: Missing):
        db.session.rollback()
        return respond(404)

    @app.errorhandler(WorkflowError)
    def _workflow(exc: WorkflowError):
        db.session.rollback()
        return respond(409, exc.code, exc.message)

    @app.errorhandler(CsrfFailed)
    def _csrf(exc: CsrfFailed):
        return respond(400, "csrf_failed", "页面已过期或请求来源无法验证，请返回上一页刷新后重试。")

    @app.errorhandler(QueryTooExpensive)
    def _too_expensive(exc: QueryTooExpensive):
        log.info("search cut off: %s", exc)
        return respond(503, "search_timeout",
                       "检索条件过于宽泛或复杂，未能及时完成，请换用更具体的词语或减少排除词后再试。")

    @app.errorhandler(SearchUnavailable)
    def _search_down(exc: SearchUnavailable):
        log.warning("search unavailable: %s", exc)
        return respond(503, "search_unavailable", "搜索服务暂时不可用，请稍后再试。")

    @app.errorhandler(SecurityError)
    def _untrusted_host(exc: SecurityError):
        # No page can be built for a Host we do not serve (url_for needs a trusted host).
        return Response("请求的主机名无效。", status=400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return respond(exc.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        db.session.rollback()  # a failed transaction must not poison the next request
        return respond(500)
