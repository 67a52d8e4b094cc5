"""The model's physical domain: limits that no assumption can pass, whatever its ``min`` and ``max`` say.

An assumption's ``min`` and ``max`` in ``analysis/assumptions/defaults.yaml`` are judgements that
advisers may edit; the limits here are what the quantities are: a share lies in [0, 1], coverage
cannot pass 100 %, people, months, volumes, capacities and costs are not negative, a loss rate is
below 100 % (at 100 % no water reaches anyone). :mod:`capnuoc_model.model.scenario` checks the value,
``min``, ``max`` and the distribution's support of every leaf against them, in the defaults file,
in scenario files and in ``--set``; the property test ``tests/test_scenario_limits.py`` checks that
no accepted override takes the projection outside the physical domain.

A limit is found by the leaf's path (``PATH_LIMITS``, shell patterns, first match) and by its unit
(``UNIT_LIMITS``); when both match, the leaf must satisfy both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fnmatch import fnmatchcase

from capnuoc_model.data import fmt


@dataclass(frozen=True)
class Limit:
    """A closed interval, or half-open at the top (``high_open``), with what it means in Vietnamese."""

    what: str
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def contains(self, x: float) -> bool:
        above = x > self.low if self.low_open else x >= self.low
        below = x < self.high if self.high_open else x <= self.high
        return above and below

    def describe(self) -> str:
        """'từ 0 đến 1', 'không âm', 'lớn hơn 0', 'từ 0 đến dưới 100'."""
        low, high = (fmt.vn(x, 6, trim=True) if math.isfinite(x) else "" for x in (self.low, self.high))
        if math.isinf(self.high):
            return f"lớn hơn {low}" if self.low_open else ("không âm" if self.low == 0 else f"từ {low} trở lên")
        return f"từ {low} đến {'dưới ' if self.high_open else ''}{high}"

    def intersect(self, other: Limit) -> Limit:
        low = max((self, other), key=lambda lim: (lim.low, lim.low_open))
        high = min((self, other), key=lambda lim: (lim.high, not lim.high_open))
        return Limit(f"{self.what}; {other.what}", low.low, high.high, low.low_open, high.high_open)


SHARE = "một tỷ lệ (phần) nằm trong khoảng từ 0 đến 1"
NOT_NEGATIVE = "đại lượng này không thể âm"
LOSS_RATE = "tỷ lệ thất thoát phải dưới 100 % (ở 100 % không còn nước đến người dùng)"

PATH_LIMITS: tuple[tuple[str, Limit], ...] = (
    ("demand.max_coverage_pct", Limit("tỷ lệ bao phủ không vượt quá 100 %", 0, 100)),
    ("demand.max_utilisation_pct", Limit("công trình phải được phép sản xuất (khai thác công suất lớn hơn 0 %)", 0, low_open=True)),
    ("losses.new_system_loss_pct", Limit(LOSS_RATE, 0, 100, high_open=True)),
    ("losses.floor_pct", Limit(LOSS_RATE, 0, 100, high_open=True)),
    ("losses.ageing_real_loss_growth_pct_per_year", Limit("thất thoát không thể giảm quá 100 % mỗi năm", -100)),
    ("losses.apparent_loss_position", Limit("vị trí trong khoảng 95 % của cân bằng nước, từ −1 (cận dưới) đến +1 (cận trên)", -1, 1)),
    ("projects.*.real_loss_cut_pct", Limit("không thể giảm quá 100 % lượng thất thoát", 0, 100)),
    ("population.area_deviation_sd_pct_per_year", Limit("độ lệch chuẩn không thể âm", 0)),
    ("loss_programme.effort", Limit("cường độ chương trình không thể âm", 0)),
    ("loss_programme.pressure_management.n1_exponent", Limit("số mũ FAVAD không thể âm", 0)),
)
UNIT_LIMITS: tuple[tuple[str, Limit], ...] = (
    ("fraction", Limit(SHARE, 0, 1)),
    ("fraction/year", Limit(SHARE, 0, 1)),
    ("months*", Limit("số tháng không thể âm", 0)),
    ("m³/day", Limit("công suất, sản lượng không thể âm", 0)),
    ("l/person/day", Limit("lượng nước dùng mỗi người không thể âm", 0)),
    ("1/month", Limit(NOT_NEGATIVE, 0)),
    ("billion VND*", Limit("chi phí không thể âm", 0)),
)


def physical_limit(path: str, unit: str) -> Limit | None:
    """The limit of the leaf at ``path`` with ``unit``, or None where the model sets none (a year, a text)."""
    found = [next((lim for pattern, lim in PATH_LIMITS if fnmatchcase(path, pattern)), None),
             next((lim for pattern, lim in UNIT_LIMITS if fnmatchcase(unit, pattern)), None)]
    found = [lim for lim in found if lim is not None]
    if not found:
        return None
    return found[0] if len(found) == 1 else found[0].intersect(found[1])
