"""Located input errors: every bad value is reported with file, row, column, what and expected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Violation:
    """One problem in one cell (row 1 is the header line; None row means the whole file)."""

    file: str
    row: int | None
    column: str | None
    problem: str
    expected: str
    severity: str = "error"  # or "warning": reported, but the input is still used

    def __str__(self) -> str:
        location = self.file
        if self.row is not None:
            location += f":{self.row}"
        if self.column is not None:
            location += f":{self.column}"
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{location}: {prefix}{self.problem} (expected {self.expected})"


class CapnuocInputError(Exception):
    """Bad input: carries every violation found, so the user can fix them all at once."""

    def __init__(self, violations: list[Violation], summary: str | None = None):
        self.violations = sorted(set(violations), key=_sort_key)
        errors = [v for v in self.violations if v.severity == "error"]
        self.summary = summary or f"{len(errors)} problem(s) in the input"
        super().__init__(self.render())

    def render(self) -> str:
        lines = [str(v) for v in self.violations]
        return "\n".join(lines + [self.summary])


def _sort_key(v: Violation) -> tuple:
    return (v.file, v.row if v.row is not None else 0, v.column or "", v.problem)
