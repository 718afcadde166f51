"""Chinese and Arabic numerals as written in legal texts (第一千一百六十五条, 第1165条, 第（三）项)."""
from __future__ import annotations

import re

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
NUMERAL = r"[0-9０-９零〇一二两三四五六七八九十百千]+"
_ARABIC = re.compile(r"[0-9０-９]+")


def to_int(text: str) -> int:
    """一千一百六十五 → 1165, 十二 → 12, 一百零六 → 106, 1165 → 1165; ValueError if not a numeral."""
    text = text.strip()
    if _ARABIC.fullmatch(text):
        return int(text.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    if not text or any(ch not in DIGITS and ch not in UNITS and ch != "万" for ch in text):
        raise ValueError(f"not a numeral: {text!r}")
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in DIGITS:
            digit = DIGITS[ch]
        elif ch == "万":
            total += (section + digit) * 10000
            section, digit = 0, 0
        else:  # 十 百 千: a bare 十 means 一十
            section += (digit or 1) * UNITS[ch]
            digit = 0
    return total + section + digit
