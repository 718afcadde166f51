"""QR codes for public addresses (segno: pure Python, no image library needed)."""
from __future__ import annotations

import io

import segno


def png(url: str, scale: int = 8) -> bytes:
    """A PNG QR code of `url` (error correction M, the standard quiet zone of 4 modules)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def svg_data_uri(url: str, scale: int = 4) -> str:
    """A QR code of `url` as an SVG data: URI for an <img> (allowed by the CSP's img-src data:)."""
    return segno.make(url, error="m").svg_data_uri(scale=scale, border=4)
