"""URL converters shared by every blueprint."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

from schemas.fields import MAX_ID


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` that matches only ids our databases can hold (1 … 2**63 − 1): larger numbers are a
    404, not an OverflowError deep in the database driver."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
