"""The plan's three classification rules, with the legends and boundaries of Biểu 01-03.

Boundaries follow the plan's notes word for word:
- utilisation (Biểu 01): > 100 % "Vượt công suất"; 90-100 % "Cao"; 70-< 90 % "Trung bình";
  50-< 70 % "Thấp"; < 50 % "Rất thấp";
- loss (Biểu 02): > 50 % "Rất cao"; 25-50 % "Cao"; > threshold-< 25 % "Trung bình"; ≤ threshold
  "Thấp", the threshold being the plan's loss target (``plan.loss_threshold_pct``, 15 % in Cao Bằng);
- coverage (Biểu 03): 0 % "Chưa có dịch vụ"; < 75 % "Thấp"; 75-< 90 % "Trung bình";
  90-< 95 % "Khá"; ≥ 95 % "Cao".

Each rule has a scalar form and a vectorised form over arrays/Series; both
return the Vietnamese label (NFC). Missing values give ``None``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def utilisation_class(utilisation_pct: float | None) -> str | None:
    """Class of a capacity utilisation (production / design capacity, in %)."""
    if _missing(utilisation_pct):
        return None
    if utilisation_pct > 100:
        return "Vượt công suất"
    if utilisation_pct >= 90:
        return "Cao"
    if utilisation_pct >= 70:
        return "Trung bình"
    if utilisation_pct >= 50:
        return "Thấp"
    return "Rất thấp"


def loss_class(loss_pct: float | None, threshold_pct: float) -> str | None:
    """Class of a loss rate ((production − billed) / production, in %); ``threshold_pct``: the plan's loss target."""
    if _missing(loss_pct):
        return None
    if loss_pct > 50:
        return "Rất cao"
    if loss_pct >= 25:
        return "Cao"
    if loss_pct > threshold_pct:
        return "Trung bình"
    return "Thấp"


def coverage_class(coverage_pct: float | None) -> str | None:
    """Class of a coverage rate (served / population, in %)."""
    if _missing(coverage_pct):
        return None
    if coverage_pct <= 0:
        return "Chưa có dịch vụ"
    if coverage_pct < 75:
        return "Thấp"
    if coverage_pct < 90:
        return "Trung bình"
    if coverage_pct < 95:
        return "Khá"
    return "Cao"


def classify(values: pd.Series, rule, *args) -> pd.Series:
    """Apply one of the rules above to every value of a Series (missing stays missing); ``args`` go to the rule."""
    return pd.Series(
        [rule(None if pd.isna(v) else float(v), *args) for v in np.asarray(values, dtype=float)],
        index=values.index,
        dtype=object,
    )
