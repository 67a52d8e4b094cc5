"""Population projection per urban area, 2025 → 2030: log-linear trend (statsmodels OLS) with a prediction interval.

Method
------
The growth rate is the slope ``b`` of an ordinary least squares fit (statsmodels
``OLS`` with an intercept) of ``log(population)`` on ``year − 2025``; the
annual growth is ``exp(b) − 1`` and its standard error comes from the delta
method, ``exp(b) · se_b``. Only whole-scope figures of the chosen measure enter
the fit (a figure covering part of a scope is a different quantity); when a
year appears twice the first row in file order is kept.

Data: the province total series 2005-2022 (six figures) is the only one long
enough to fit. Its 2005 → 2009 dip (513.696 → 507.647) is kept as published:
dropping it would raise the rate, and no point is removed to improve the fit.
The old city has two figures (2019, 2020), most towns one census figure and
some none, so every area with fewer than ``min_obs`` whole-scope total figures
of its own grows at the province rate ('province_rate'); an area with at least
``min_obs`` uses its own fit ('own_trend').

Projection: every area is anchored at its 2025 value ``population_2025_persons``
(the data package's carried-forward estimate) and grows as
``P_t = P_2025 · exp(b · (t − 2025))``. The interval on the log scale is
``log P_2025 + (b ± t_q · s) · (t − 2025)`` with ``t_q`` the Student t quantile
at ``df_resid`` and ``s`` the slope uncertainty: ``se_b`` for an own trend, and
``sqrt(se_b² + σ_a²)`` for the province rate, where
``σ_a = AREA_DEVIATION_SD_LOG_PER_YEAR`` is the spread of an area's own growth
around the province rate (combined in quadrature; using ``t_q`` for the whole
is slightly conservative).

Assumptions: σ_a = 0,5 %/year is a judgement, not an estimate (no town has a
series to estimate it from); the 2025 anchor is treated as known (its own
estimation error and year-to-year noise around the trend are not in the
interval); growth is constant in log terms over 2025-2030.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

BASE_YEAR = 2025
METHOD_ID = "loglinear_ols"
# Judgement (see module docstring): sd of an area's log growth around the province's.
AREA_DEVIATION_SD_LOG_PER_YEAR = 0.005
# The three centre wards together are the old city; its history is theirs.
SHARED_HISTORY_SCOPE = {"thuc_phan": "city_cao_bang", "nung_tri_cao": "city_cao_bang", "tan_giang": "city_cao_bang"}


@dataclass(frozen=True)
class GrowthFit:
    """A log-linear OLS fit of one population series."""

    scope: str
    n_obs: int
    years: tuple[int, ...]
    growth_pct_per_year: float
    growth_se_pct_per_year: float
    slope: float
    slope_se: float
    df_resid: float
    r_squared: float
    method: str
    note_vi: str
    note_en: str

    @property
    def span(self) -> str:
        return f"{self.years[0]}-{self.years[-1]}"


def _series(history: pd.DataFrame, scope: str, measure: str = "total") -> pd.DataFrame:
    """Whole-scope rows of one scope and measure, one per year (first kept), sorted by year."""
    rows = history[(history["scope"] == scope) & (history["measure"] == measure) & (history["covers"] == "whole")]
    rows = rows.dropna(subset=["year", "population_persons"]).drop_duplicates(subset="year", keep="first")
    return rows.sort_values("year")


def fit_growth(history: pd.DataFrame, scope: str = "province", measure: str = "total") -> GrowthFit:
    """OLS of log(population) on (year − 2025) for one scope; needs ≥ 3 years for a standard error."""
    rows = _series(history, scope, measure)
    if len(rows) < 3:
        raise ValueError(f"{scope}/{measure}: {len(rows)} whole-scope figure(s); a fit with a standard error needs ≥ 3")
    years = rows["year"].astype("int64").to_numpy()
    x = sm.add_constant((years - BASE_YEAR).astype(float))
    result = sm.OLS(np.log(rows["population_persons"].astype(float).to_numpy()), x).fit()
    slope, slope_se = float(result.params[1]), float(result.bse[1])
    growth = 100 * np.expm1(slope)
    growth_se = 100 * np.exp(slope) * slope_se  # delta method
    r2, df = float(result.rsquared), float(result.df_resid)
    span = f"{years[0]}-{years[-1]}"
    note_en = (f"OLS of log population on year, {scope} {measure}, {len(years)} figures {span}: "
               f"growth {growth:.3f} %/year (se {growth_se:.3f}), R² {r2:.3f}, residual df {df:.0f}.")
    note_vi = (f"Hồi quy OLS log dân số theo năm, {scope} ({measure}), {len(years)} số liệu {span}: "
               f"tăng {growth:.3f} %/năm (sai số chuẩn {growth_se:.3f}), R² {r2:.3f}, bậc tự do dư {df:.0f}.")
    return GrowthFit(scope=scope, n_obs=len(years), years=tuple(int(y) for y in years),
                     growth_pct_per_year=float(growth), growth_se_pct_per_year=float(growth_se),
                     slope=slope, slope_se=slope_se, df_resid=df, r_squared=r2, method=METHOD_ID,
                     note_vi=note_vi, note_en=note_en)


def _own_history_note(area_id: str, own_scope: str, own_years: list[int]) -> str:
    """'bao_lac has 1 whole-area total figure of its own (2009)' and the like."""
    k = len(own_years)
    listed = ", ".join(str(y) for y in own_years) or "none"
    shared = f"the old city {own_scope}: " if own_scope != area_id else ""
    return f"{area_id} has {k} whole-area total figure{'' if k == 1 else 's'} of its own ({shared}{listed})"


def project_population(
    urban_areas: pd.DataFrame,
    history: pd.DataFrame,
    years: Iterable[int] = range(2025, 2031),
    interval: float = 0.90,
    min_obs: int = 4,
) -> pd.DataFrame:
    """One row per (area_id, year): point forecast and `interval` prediction interval, anchored at 2025."""
    if not 0 < interval < 1:
        raise ValueError(f"interval must be in (0, 1), got {interval}")
    if min_obs < 3:
        raise ValueError(f"min_obs must be ≥ 3 (a fit needs residual df > 0), got {min_obs}")
    horizon = np.asarray(list(years), dtype="int64") - BASE_YEAR
    province = fit_growth(history, "province", "total")
    anchors = dict(zip(urban_areas["area_id"].astype(str), urban_areas["population_2025_persons"].astype(float)))
    frames = []
    for area_id, p2025 in anchors.items():
        own_scope = SHARED_HISTORY_SCOPE.get(area_id, area_id)
        own_years = [int(y) for y in _series(history, own_scope)["year"]]
        if len(own_years) >= min_obs:
            fit, method = fit_growth(history, own_scope, "total"), "own_trend"
            s = fit.slope_se  # the area's own spread is already in its residuals
            note = (f"{_own_history_note(area_id, own_scope, own_years)}, at least {min_obs}, "
                    f"so it grows at its own fitted rate. {fit.note_en}")
        else:
            fit, method = province, "province_rate"
            s = float(np.hypot(fit.slope_se, AREA_DEVIATION_SD_LOG_PER_YEAR))
            note = (f"{_own_history_note(area_id, own_scope, own_years)}, fewer than {min_obs}, so it grows at "
                    f"the province rate fitted on {fit.span}, its interval widened by an assumed "
                    f"{100 * AREA_DEVIATION_SD_LOG_PER_YEAR:.1f} %/year area deviation. {fit.note_en}")
        t_q = float(stats.t.ppf(0.5 + interval / 2, fit.df_resid))
        log_p = np.log(p2025) + fit.slope * horizon
        half = t_q * s * np.abs(horizon)
        frames.append(pd.DataFrame({
            "area_id": area_id,
            "year": horizon + BASE_YEAR,
            "population_persons": np.exp(log_p),
            "population_lo_persons": np.exp(log_p - half),
            "population_hi_persons": np.exp(log_p + half),
            "growth_pct_per_year": fit.growth_pct_per_year,
            "method": method,
            "method_note": note,
        }))
    out = pd.concat(frames, ignore_index=True)
    # exp(log p) is not always bit-identical to p: the anchor year is set exactly.
    at_base = out["year"] == BASE_YEAR
    anchor = out["area_id"].map(anchors)
    for column in ("population_persons", "population_lo_persons", "population_hi_persons"):
        out.loc[at_base, column] = anchor[at_base]
    return out


def growth_draws(
    fit: GrowthFit,
    n: int,
    rng: np.random.Generator,
    area_ids: list[str],
    deviation_sd_log: float = AREA_DEVIATION_SD_LOG_PER_YEAR,
) -> np.ndarray:
    """(n, len(area_ids)) annual growth fractions: shared t-distributed province slope + independent area deviation."""
    province = fit.slope + fit.slope_se * rng.standard_t(fit.df_resid, size=(n, 1))  # one per draw, all areas
    deviation = rng.normal(0.0, deviation_sd_log, size=(n, len(area_ids)))
    return np.expm1(province + deviation)


def fit_table(fit: GrowthFit) -> pd.DataFrame:
    """The fit as a (parameter, value) table for display."""
    rows = [
        ("observations", fit.n_obs),
        ("years", ", ".join(str(y) for y in fit.years)),
        ("growth_pct_per_year", fit.growth_pct_per_year),
        ("growth_se_pct_per_year", fit.growth_se_pct_per_year),
        ("r_squared", fit.r_squared),
        ("df_resid", fit.df_resid),
        ("method", fit.method),
    ]
    return pd.DataFrame(rows, columns=["parameter", "value"]).astype({"value": object})
