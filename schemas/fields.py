"""marshmallow fields and validators with Chinese error messages."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate

# The largest id a path may carry: SQLite and PostgreSQL integers are signed 64-bit.
MAX_ID = 2**63 - 1
_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\<>\"'`]")

_BASE = {
    "required": "缺少必填字段。",
    "null": "该字段不能为空值。",
    "validator_failed": "取值无效。",
}


class ChineseSchema(Schema):
    """Base schema: unknown fields are rejected with a Chinese message."""

    error_messages = {"type": "数据格式无效，应为 JSON 对象。", "unknown": "未知字段。"}


class Str(fields.String):
    """String, stripped of surrounding whitespace; blank counts as missing when not required."""

    default_error_messages = {**_BASE, "invalid": "应为字符串。", "invalid_utf8": "不是有效的 UTF-8 字符串。"}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise self.make_error("invalid")
        return text.strip()


class Int(fields.Integer):
    """Strict-ish integer (no floats like 1.5)."""

    default_error_messages = {**_BASE, "invalid": "应为整数。", "too_large": "数值过大。"}


class Date(fields.Date):
    """Date in YYYY-MM-DD."""

    default_error_messages = {**_BASE, "invalid": "应为有效日期，格式 YYYY-MM-DD。", "format": "无法格式化日期。"}

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        if isinstance(value, str) and len(value) != 10 or not dt.date(1900, 1, 1) <= result <= dt.date(2100, 1, 1):
            raise self.make_error("invalid")
        return result


class List(fields.List):
    """List of items."""

    default_error_messages = {**_BASE, "invalid": "应为列表。"}


class Nested(fields.Nested):
    """Nested object."""

    default_error_messages = {**_BASE, "type": "应为 JSON 对象。"}


def length(max_len: int, min_len: int | None = None) -> validate.Length:
    """Length validator with a Chinese message."""
    if min_len:
        return validate.Length(min=min_len, max=max_len, error=f"长度应在 {min_len} 到 {max_len} 之间。")
    return validate.Length(max=max_len, error=f"长度不能超过 {max_len}。")


def one_of(choices, label: str = "取值") -> validate.OneOf:
    """Choice validator with a Chinese message listing the allowed values."""
    return validate.OneOf(choices, error=f"{label}无效，应为以下之一：{'、'.join(map(str, choices))}。")


def in_range(low: int, high: int) -> validate.Range:
    """Range validator with a Chinese message."""
    return validate.Range(min=low, max=high, error=f"应在 {low} 到 {high} 之间。")


def is_web_address(url: str) -> bool:
    """True for an absolute http(s) address with a host and nothing a browser would re-read as script.

    Browsers strip tabs and newlines and fold case before they look at the scheme, so
    " JaVaScRiPt:alert(1)" is a script link: only a plain http:// or https:// address is a link.
    """
    if not url or _UNSAFE_URL_CHARS.search(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def web_address(url: str) -> None:
    """Validator: only http:// or https:// addresses may be stored as links."""
    if url and not is_web_address(url):
        raise ValidationError("链接只能是以 http:// 或 https:// 开头的完整网址，且不能含空格或引号。")
