"""Population growth: the log-linear fit, what the engine does with it, the Monte Carlo draws."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capnuoc_model.data import io
from capnuoc_model.model import population as pop


def _history(scope: str, years: list[int], persons: list[float], covers: str = "whole", measure: str = "total") -> pd.DataFrame:
    return pd.DataFrame({
        "scope": scope, "unit_vi": scope, "year": years, "population_persons": persons,
        "measure": measure, "covers": covers, "source": "test", "note": None,
    })


@pytest.fixture(scope="module")
def package():
    return io.load_package()


BASE = 2025  # the anchor year of the fits below (any year: the slope does not depend on it)
DEVIATION = 0.005  # the default area deviation, as a fraction of log growth per year


@pytest.fixture(scope="module")
def province_fit(package):
    return pop.fit_growth(package.population_history, base_year=package.plan.base_year)


# --- fit_growth ------------------------------------------------------------------


def test_fit_recovers_exact_exponential_rate():
    years = [2001, 2004, 2010, 2013, 2021]
    rate = 0.0123
    hist = _history("province", years, [400_000 * (1 + rate) ** (y - 2001) for y in years])
    fit = pop.fit_growth(hist, base_year=BASE)
    assert fit.growth_pct_per_year == pytest.approx(100 * rate, rel=1e-9)
    assert fit.slope == pytest.approx(math.log1p(rate), rel=1e-9)
    assert fit.r_squared == pytest.approx(1.0, abs=1e-12)
    assert fit.n_obs == 5 and fit.df_resid == 3 and fit.years == tuple(years)


def test_fit_excludes_part_rows_other_measures_and_duplicate_years():
    years = [2000, 2005, 2010, 2015]
    hist = pd.concat([
        _history("province", years, [1000 * 1.01 ** (y - 2000) for y in years]),
        _history("province", [2012], [5.0], covers="part"),      # would wreck the fit if used
        _history("province", [2013], [7.0], measure="urban"),
        _history("province", [2015], [9.0]),                     # duplicate year: first row kept
    ], ignore_index=True)
    fit = pop.fit_growth(hist, base_year=BASE)
    assert fit.n_obs == 4
    assert fit.growth_pct_per_year == pytest.approx(1.0, rel=1e-9)


def test_fit_needs_three_points():
    with pytest.raises(ValueError, match="≥ 3"):
        pop.fit_growth(_history("province", [2019, 2020], [10.0, 11.0]), base_year=BASE)


def test_fit_on_shipped_province_series(package, province_fit):
    hist = package.population_history
    whole_total = hist[(hist.scope == "province") & (hist.measure == "total") & (hist.covers == "whole")]
    assert province_fit.n_obs == whole_total["year"].nunique() == 6
    assert province_fit.years[0] == 2005 and province_fit.years[-1] == 2022  # the 2005→2009 dip is kept
    assert 0 < province_fit.growth_pct_per_year < 1.5
    assert province_fit.growth_se_pct_per_year > 0 and province_fit.slope_se > 0
    assert province_fit.df_resid == 4
    assert 0 < province_fit.r_squared < 1
    assert province_fit.method == "loglinear_ols"
    assert f"{province_fit.growth_pct_per_year:.3f}" in province_fit.note_en
    assert f"{province_fit.growth_pct_per_year:.3f}" in province_fit.note_vi


def test_fit_table_lists_the_fit(province_fit):
    table = pop.fit_table(province_fit).set_index("parameter")["value"]
    assert list(table.index) == ["observations", "years", "growth_pct_per_year", "growth_se_pct_per_year",
                                 "r_squared", "df_resid", "method"]
    assert table["observations"] == 6
    assert table["growth_pct_per_year"] == province_fit.growth_pct_per_year
    assert table["years"] == "2005, 2009, 2015, 2019, 2020, 2022"


# --- what the engine does with the fit (the module docstring) ------------------------------------


def test_engine_population_follows_the_fitted_rate_from_the_base_year(package):
    """The deterministic run grows every area at the fitted province rate from its base-year anchor."""
    from capnuoc_model.model import projection
    from capnuoc_model.model.scenario import load_scenario

    s = projection.setup(package, load_scenario(io.REPO_ROOT / "analysis" / "scenarios" / "baseline.yaml"))
    result = projection.deterministic(s)
    plan = package.plan
    anchors = package.urban_areas.set_index("area_id")["population_base_persons"].astype(float)
    growth = s.fit.growth_pct_per_year / 100
    for y, year in enumerate(result.years):
        expected = anchors.reindex(result.area_ids).to_numpy() * (1 + growth) ** (year - plan.base_year)
        assert result.population[0, y] == pytest.approx(expected, rel=1e-12)
    assert not hasattr(pop, "project_population")  # no second, unused projection method


# --- growth_draws ---------------------------------------------------------------------


def test_draws_shape_and_reproducible(province_fit):
    ids = ["a", "b", "c"]
    first = pop.growth_draws(province_fit, 500, np.random.default_rng(7), ids, DEVIATION)
    again = pop.growth_draws(province_fit, 500, np.random.default_rng(7), ids, DEVIATION)
    other = pop.growth_draws(province_fit, 500, np.random.default_rng(8), ids, DEVIATION)
    assert first.shape == (500, 3)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_draws_centre_and_spread(province_fit):
    n = 200_000
    draws = pop.growth_draws(province_fit, n, np.random.default_rng(2025), ["a", "b"], DEVIATION)
    log_growth = np.log1p(draws)
    df = province_fit.df_resid
    var_slope = province_fit.slope_se**2 * df / (df - 2)  # variance of se·t_df
    sd = math.sqrt(var_slope + DEVIATION**2)
    # log scale is unbiased: mean within 5 standard errors of the mean (sd/√n ≈ 1.1e-5)
    assert np.abs(log_growth.mean(axis=0) - province_fit.slope).max() < 5 * sd / math.sqrt(n)
    # rate scale: same, plus the convexity bias of exp (≈ var/2 ≈ 1.3e-5)
    rate = province_fit.growth_pct_per_year / 100
    assert np.abs(draws.mean(axis=0) - rate).max() < 5 * sd / math.sqrt(n) + sd**2


def test_draws_spread_and_shared_slope(province_fit):
    # a fit with large df and a visible se: the t draws then have finite 4th moments and
    # sample variances/correlations settle (with df = 4 they would not)
    fit = dataclasses.replace(province_fit, slope_se=0.004, df_resid=60.0)
    n = 100_000
    log_growth = np.log1p(pop.growth_draws(fit, n, np.random.default_rng(11), ["a", "b"], DEVIATION))
    var_slope = fit.slope_se**2 * 60 / 58
    sd = math.sqrt(var_slope + DEVIATION**2)
    assert log_growth.std(axis=0) == pytest.approx(np.full(2, sd), rel=0.02)
    # the province slope is shared within a draw: columns correlate by var_slope / sd² (≈ 0.39)
    assert np.corrcoef(log_growth.T)[0, 1] == pytest.approx(var_slope / sd**2, abs=0.02)


def test_draws_without_area_deviation_are_shared(province_fit):
    draws = pop.growth_draws(province_fit, 1000, np.random.default_rng(1), ["a", "b", "c"], deviation_sd_log=0.0)
    assert np.array_equal(draws[:, 0], draws[:, 1]) and np.array_equal(draws[:, 0], draws[:, 2])
    assert draws[:, 0].std() > 0
