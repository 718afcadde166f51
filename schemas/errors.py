"""The one error body: {"code", "message", "errors": [{"field": "dotted.path", "messages": [...]}]}."""
from __future__ import annotations

from marshmallow import Schema, fields


def flatten(messages, prefix: str = "") -> list[dict]:
    """Turn marshmallow's nested error dict into a flat list with dotted field paths."""
    if isinstance(messages, list):
        return [{"field": prefix or "_schema", "messages": [str(m) for m in messages]}]
    if isinstance(messages, str):
        return [{"field": prefix or "_schema", "messages": [messages]}]
    out = []
    for key, value in messages.items():
        if key == "_schema":  # an error about the object itself belongs to the object's path
            path = prefix or "_schema"
        else:
            path = f"{prefix}.{key}" if prefix else str(key)
        out += flatten(value, path)
    return out


def error_body(code: str, message: str, messages=None) -> dict:
    """The JSON body of every API error."""
    return {"code": code, "message": message, "errors": flatten(messages) if messages else []}


class FieldErrorSchema(Schema):
    """One field's messages."""

    field = fields.String()
    messages = fields.List(fields.String())


class ErrorSchema(Schema):
    """An API error (for the OpenAPI document)."""

    code = fields.String()
    message = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))
