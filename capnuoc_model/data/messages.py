"""The catalogue of everything capnuoc says to people, in Vietnamese, keyed by stable ids.

The templates live in ``messages.yaml`` beside this module; code names a message by
its id (``data.column_missing``) and passes the values to fill in. A message about
bad input is a pair: what is wrong (``problem``) and what is expected (``expected``);
:func:`capnuoc_model.data.errors.violation` makes the located :class:`~capnuoc_model.data.errors.Violation` of it.

Identifiers appear in messages only where they quote what the user typed or name a
column together with its Vietnamese label; numbers go through :mod:`capnuoc_model.data.fmt`.
"""

from __future__ import annotations

import functools
import string
from pathlib import Path
from typing import Any

from capnuoc_model.data.yaml_reading import safe_load

CATALOGUE_FILE = Path(__file__).resolve().parent / "messages.yaml"


@functools.lru_cache(maxsize=1)
def catalogue() -> dict[str, Any]:
    """id -> template (text) or {problem, expected} (a located input problem)."""
    return safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))


def _fill(template: str, key: str, params: dict[str, Any]) -> str:
    try:
        return template.format(**params)
    except (KeyError, IndexError) as exc:  # a programming error: the call does not match the catalogue
        raise KeyError(f"message {key!r} needs {exc}") from None


def text(key: str, /, **params: Any) -> str:
    """The message ``key`` with ``params`` filled in."""
    entry = catalogue()[key]
    if not isinstance(entry, str):
        raise KeyError(f"message {key!r} is a problem/expected pair: use pair() or errors.violation()")
    return _fill(entry, key, params)


def pair(key: str, /, **params: Any) -> tuple[str, str]:
    """(problem, expected) of an input-problem message."""
    entry = catalogue()[key]
    return _fill(entry["problem"], key, params), _fill(entry["expected"], key, params)


def placeholders(template: str) -> set[str]:
    """The names a template fills in (for the catalogue's own tests)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def listing(items, limit: int = 8) -> str:
    """'a, b, c' (with '…' after ``limit`` items): lists inside messages."""
    items = [str(i) for i in items]
    return ", ".join(items[:limit]) + (", …" if len(items) > limit else "")


__all__ = ["text", "pair", "catalogue", "listing"]


def unit_vi(unit: str) -> str:
    """A unit of the registry (English, as in data/README.md) as Vietnamese readers write it."""
    return catalogue()["units"].get(unit, unit) if unit else ""
