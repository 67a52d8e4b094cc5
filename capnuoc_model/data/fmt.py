"""Vietnamese number formats through Babel (locale vi): 17,9 %; 2.600 người; 42,43 tỷ đồng.

Every number shown to a person, in the terminal, a table or a document, goes
through :func:`vn`; the other helpers are its common shapes.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal

LOCALE = "vi_VN"
MISSING = "—"
NOT_REPORTED = "chưa có số liệu"
NBSP = "\u00a0"
UNIT_SPACE = " "  # between a number and its unit; documents use NBSP (join_units), so no line break parts them


def join_units(no_break: bool = True) -> None:
    """From now on write number and unit with a no-break space ("17,9\u00a0%"), or with a plain one.

    The documents' notebooks call it (``notebook_output.start_chapter``): a line break never separates a number
    from its "%" or unit. The terminal and the CSV files keep the plain space.
    """
    global UNIT_SPACE
    UNIT_SPACE = NBSP if no_break else " "
_BEFORE_UNIT = re.compile(r"(?<=[\d)]) (?=%|(?:người|giờ|m³|tỷ|điểm|tháng|hộ|lần)(?![^\W\d_]))")
_AFTER_SIGN = re.compile(r"(?<=[≥≤<>±]) (?=\d)")


def _pattern(decimals: int, trim: bool) -> str:
    if decimals <= 0:
        return "#,##0"
    return "#,##0." + ("#" if trim else "0") * decimals


def vn(value: float | int | None, decimals: int = 0, *, trim: bool = False, unit: str = "") -> str:
    """A number in Vietnamese format: '.' groups thousands, ',' marks decimals.

    ``trim`` drops trailing zero decimals (0,169 and 0,2 from the same call);
    ``unit`` is appended after :data:`UNIT_SPACE`. Missing values give '—'.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    # Reports round half away from zero (2,5 -> 3); Babel alone would round half to even.
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # −0,04 rounds to 0,0, never "−0,0"
    text = format_decimal(rounded, format=_pattern(decimals, trim), locale=LOCALE)
    return f"{text}{UNIT_SPACE}{unit}" if unit else text


def pct(value: float | None, decimals: int = 1) -> str:
    """17,9 %"""
    return vn(value, decimals, unit="%")


def persons(value: float | None) -> str:
    """2.600 người"""
    return vn(value, 0, unit="người")


def billion_vnd(value: float | None) -> str:
    """42,43 tỷ đồng (up to three decimals, as the plan prints 0,169)."""
    return vn(value, 3, trim=True, unit="tỷ đồng")


def m3_per_day(value: float | None) -> str:
    """4.829 m³/ngày đêm"""
    return vn(value, 0, unit="m³/ngày đêm")


def spans(low, high, decimals: int = 1) -> list[str]:
    """'82,6–84,6' for each pair of lower and upper bounds (ranges in tables)."""
    return [f"{vn(a, decimals)}–{vn(b, decimals)}" for a, b in zip(low, high)]


def keep_units(text: str) -> str:
    """'81,9 %' → '81,9\u00a0%' (also '≥ 87,4', '2.600 người'): a number never wraps away from its unit or sign.

    For documents, where lines break at ordinary spaces; terminal output keeps plain spaces.
    """
    return _AFTER_SIGN.sub(NBSP, _BEFORE_UNIT.sub(NBSP, text)).replace("điểm %", f"điểm{NBSP}%")
