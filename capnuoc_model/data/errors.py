"""Located input errors: every bad value is reported with file, row, column, what and expected.

The words come from the catalogue (:mod:`capnuoc_model.data.messages`); a violation also
carries the catalogue id of its message (``code``), so code can test what went wrong
without matching on the wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from capnuoc_model.data.messages import pair, text


@dataclass(frozen=True, order=True)
class Violation:
    """One problem in one cell (row 1 is the header line; None row means the whole file)."""

    file: str
    row: int | None
    column: str | None
    problem: str
    expected: str
    severity: str = "error"  # or "warning": reported, but the input is still used
    code: str = field(default="", compare=False)  # the catalogue id of the message

    def __str__(self) -> str:
        location = self.file
        if self.row is not None:
            location += f":{self.row}"
        if self.column is not None:
            location += f":{self.column}"
        prefix = text("violation.warning_prefix") if self.severity == "warning" else ""
        return text("violation.line", location=location, prefix=prefix, problem=self.problem, expected=self.expected)


class CapnuocInputError(Exception):
    """Bad input: carries every violation found, so the user can fix them all at once."""

    def __init__(self, violations: list[Violation], summary: str | None = None):
        self.violations = sorted(set(violations), key=_sort_key)
        errors = [v for v in self.violations if v.severity == "error"]
        self.summary = summary or text("summary.input", count=len(errors))
        super().__init__(self.render())

    def render(self) -> str:
        lines = [str(v) for v in self.violations]
        return "\n".join(lines + [self.summary])

    def has(self, code: str) -> bool:
        """Whether one of the violations has this catalogue id."""
        return any(v.code == code for v in self.violations)


def violation(file: str, row: int | None, column: str | None, key: str, /, *, severity: str = "error", **params: Any) -> Violation:
    """A located problem whose words come from the catalogue entry ``key``."""
    problem, expected = pair(key, **params)
    return Violation(file, row, column, problem, expected, severity, key)


def _sort_key(v: Violation) -> tuple:
    return (v.file, v.row if v.row is not None else 0, v.column or "", v.problem)
