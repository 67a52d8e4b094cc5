"""Population growth for the projection: a log-linear trend (statsmodels OLS) on the province series, and its draws.

Method (what :func:`capnuoc_model.model.projection.setup` and the engine do)
------------------------------------------------------------------------
:func:`fit_growth` fits ``log(population)`` on ``year − base year`` by ordinary
least squares (statsmodels ``OLS`` with an intercept) over the province's total
figures from ``population.trend_start_year`` on; the annual growth is
``exp(b) − 1`` and its standard error comes from the delta method,
``exp(b) · se_b``. Only whole-scope figures of the chosen measure enter the fit
(a figure covering part of a scope is a different quantity); when a year appears
twice the first row in file order is kept. No point is removed to improve the fit.

Every urban area is anchored at its base-year population
(``urban_areas.csv`` ``population_base_persons``) and grows as
``P_t = P_base · (1 + g)^(t − base)``. The deterministic run uses the fitted rate
``g`` for every area. The Monte Carlo run draws, per draw, one province slope
``b + se_b · T`` (``T`` Student t with the fit's residual degrees of freedom,
shared by all areas) plus an independent normal deviation per area with standard
deviation ``population.area_deviation_sd_pct_per_year`` (:func:`growth_draws`).
Towns have too few figures of their own to fit: the province rate with an area
deviation is all the model uses, so published figures of areas (or of an old city
shared by several areas) serve the derivation of the base year, not the growth.

Assumptions: the area deviation is a judgement, not an estimate; the base-year
anchor is treated as known; growth is constant in log terms over the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

METHOD_ID = "loglinear_ols"


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


def fit_growth(history: pd.DataFrame, scope: str = "province", measure: str = "total", *, base_year: int) -> GrowthFit:
    """OLS of log(population) on (year − ``base_year``) for one scope; needs ≥ 3 years for a standard error."""
    rows = _series(history, scope, measure)
    if len(rows) < 3:
        raise ValueError(f"{scope}/{measure}: {len(rows)} whole-scope figure(s); a fit with a standard error needs ≥ 3")
    # statsmodels' regression module only, imported here: `statsmodels.api` loads its graphics, datasets, formulas
    # and time series too, seconds at every start of the command line and of each notebook kernel
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    years = rows["year"].astype("int64").to_numpy()
    x = add_constant((years - base_year).astype(float))
    result = OLS(np.log(rows["population_persons"].astype(float).to_numpy()), x).fit()
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


def growth_draws(
    fit: GrowthFit,
    n: int,
    rng: np.random.Generator,
    area_ids: list[str],
    deviation_sd_log: float,
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
