"""Reading numbers as people type them: '17,9' and '2.600' (Vietnamese Excel) as well as '17.9' and '2,600'.

A cell can be unambiguous ('17,9' has a decimal comma; '1.234.567' groups
thousands with dots) or ambiguous ('2.600' is 2600 with a thousands dot or 2,6
with a decimal point). An ambiguous cell is resolved, in this order, by what
the column allows (a whole-number column, the column's range) and then by the
file's own convention, detected from its unambiguous cells and its separator.
When none of these decides, the cell is rejected with a message that says how
to write it; a number is never guessed silently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

DOT = "dot"  # '.' decimal mark, ',' groups thousands (the data package's own format)
COMMA = "comma"  # ',' decimal mark, '.' groups thousands (Vietnamese)
MIXED = "mixed"  # the file uses both conventions: ambiguous cells are rejected

MAX_MAGNITUDE = 1e15  # no count, volume or share of a province comes near; beyond it numbers lose their units digit

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_PLAIN = re.compile(r"^\d+$")
_GROUPED_ONCE = re.compile(r"^(\d{1,3})([.,])(\d{3})$")  # the ambiguous shape
_GROUPED = {DOT: re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$"), COMMA: re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")}
_DECIMAL = {DOT: re.compile(r"^\d*\.\d+$"), COMMA: re.compile(r"^\d*,\d+$")}
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE][+-]?\d+$")
_EVIDENCE = {DOT: re.compile(r"^-?(\d+\.(\d{1,2}|\d{4,})|\d{1,3}(,\d{3})+\.\d+)$"),
             COMMA: re.compile(r"^-?(\d+,(\d{1,2}|\d{4,})|\d{1,3}(\.\d{3})+,\d+)$")}


def detect_style(cells: Iterable[str], separator: str = ",") -> str:
    """The file's decimal convention from its unambiguous numeric cells, else from its separator."""
    votes = {DOT: 0, COMMA: 0}
    for cell in cells:
        text = _SPACES.sub("", str(cell))
        for style, pattern in _EVIDENCE.items():
            if pattern.match(text):
                votes[style] += 1
    if votes[DOT] and votes[COMMA]:
        return MIXED
    if votes[DOT] or votes[COMMA]:
        return DOT if votes[DOT] else COMMA
    return COMMA if separator == ";" else DOT


def _candidates(body: str) -> dict[str, float]:
    """Interpretations of an unsigned numeric text, keyed by the convention that gives them."""
    if _PLAIN.match(body):
        return {DOT: float(body), COMMA: float(body)}
    once = _GROUPED_ONCE.match(body)
    if once:
        whole, mark, rest = once.groups()
        grouped, decimal = float(whole + rest), float(f"{whole}.{rest}")
        return {DOT: grouped, COMMA: decimal} if mark == "," else {DOT: decimal, COMMA: grouped}
    out = {}
    for style in (DOT, COMMA):
        group, point = (",", ".") if style == DOT else (".", ",")
        if _GROUPED[style].match(body) or _DECIMAL[style].match(body):
            out[style] = float(body.replace(group, "").replace(point, "."))
    if not out and _SCIENTIFIC.match(body):
        out = {DOT: float(body)}
    return out


def parse_number(text: str, *, integer: bool, style: str = DOT,
                 bounds: tuple[float | None, float | None] = (None, None)) -> tuple[float | int | None, str | None]:
    """(value, problem) for one cell; ``bounds`` is the column's allowed range used to resolve ambiguity."""
    raw = text.strip()
    body = _SPACES.sub("", raw)
    if body.endswith("%"):
        body = body[:-1]
    sign = -1.0 if body.startswith("-") else 1.0
    body = body.lstrip("+-")
    if body.lower() in ("inf", "infinity", "nan"):
        return None, _text("number.not_finite", raw=raw)
    options = _candidates(body)
    if not options:
        return None, _text("number.not_a_number", raw=raw)
    values = {style_: sign * value for style_, value in options.items()}

    def allowed(value: float) -> bool:
        low, high = bounds
        whole = not integer or float(value).is_integer()
        return whole and (low is None or value >= low) and (high is None or value <= high)

    distinct = set(values.values())
    if len(distinct) > 1:
        fitting = {v for v in distinct if allowed(v)}
        if len(fitting) == 1:
            value = fitting.pop()
        elif style in (DOT, COMMA):
            value = values[style]
        else:
            low, high = sorted(distinct)
            return None, _text("number.ambiguous", raw=raw, high=_show(high), low=_show(low))
    else:
        value = distinct.pop()
    if not math.isfinite(value):
        return None, _text("number.not_finite", raw=raw)
    if abs(value) >= MAX_MAGNITUDE:
        return None, _text("number.too_large", raw=raw, limit=_show(MAX_MAGNITUDE))
    if integer:
        if not float(value).is_integer():
            return None, _text("number.not_whole", raw=raw)
        return int(value), None
    return value, None


def _show(value: float) -> str:
    """A number as a Vietnamese reader writes it (2.600; 2,6)."""
    from capnuoc_model.data.fmt import vn

    return vn(value, 6, trim=True)


def _text(key: str, **params) -> str:
    from capnuoc_model.data.messages import text

    return text(key, **params)
