"""Service-layer exceptions; the error handlers (app/errors.py) turn each into a Chinese answer."""
from __future__ import annotations


class PermissionDenied(Exception):
    """The acting user may not do this (answered with 403)."""

    def __init__(self, message: str = "您没有执行此操作的权限。"):
        super().__init__(message)
        self.message = message


class Missing(Exception):
    """The requested user, case or revision does not exist (answered with 404)."""


class WorkflowError(Exception):
    """A transition that the case's current state does not allow (answered with 409)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class PersonalDataFound(WorkflowError):
    """Submission stopped: the de-identification check flagged personal data."""

    def __init__(self, revision_id: int, count: int):
        super().__init__("personal_data", f"发现 {count} 处疑似个人信息：请一键替换，或确认不属于个人信息后再提交。")
        self.revision_id, self.count = revision_id, count
