"""Population projection: the log-linear fit, the anchored forecast and its interval, the Monte Carlo draws."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capnuoc_model import io
from capnuoc_model import population as pop


def _history(scope: str, years: list[int], persons: list[float], covers: str = "whole", measure: str = "total") -> pd.DataFrame:
    return pd.DataFrame({
        "scope": scope, "unit_vi": scope, "year": years, "population_persons": persons,
        "measure": measure, "covers": covers, "source": "test", "note": None,
    })


def _areas(populations: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"area_id": list(populations), "population_2025_persons": list(populations.values())})


@pytest.fixture(scope="module")
def package():
    return io.load_package()


@pytest.fixture(scope="module")
def province_fit(package):
    return pop.fit_growth(package.population_history)


@pytest.fixture(scope="module")
def projection(package):
    return pop.project_population(package.urban_areas, package.population_history)


# --- fit_growth ------------------------------------------------------------------


def test_fit_recovers_exact_exponential_rate():
    years = [2001, 2004, 2010, 2013, 2021]
    rate = 0.0123
    hist = _history("province", years, [400_000 * (1 + rate) ** (y - 2001) for y in years])
    fit = pop.fit_growth(hist)
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
    fit = pop.fit_growth(hist)
    assert fit.n_obs == 4
    assert fit.growth_pct_per_year == pytest.approx(1.0, rel=1e-9)


def test_fit_needs_three_points():
    with pytest.raises(ValueError, match="≥ 3"):
        pop.fit_growth(_history("province", [2019, 2020], [10.0, 11.0]))


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


# --- project_population -------------------------------------------------------------


def test_projection_shape_and_anchor(package, projection):
    areas = package.urban_areas
    assert len(projection) == 6 * len(areas)
    assert not projection.duplicated(["area_id", "year"]).any()
    base = projection[projection.year == 2025].set_index("area_id")
    expected = areas.set_index("area_id")["population_2025_persons"].astype(float)
    for column in ("population_persons", "population_lo_persons", "population_hi_persons"):
        assert (base[column] == expected.reindex(base.index)).all(), column  # exactly, zero width


def test_interval_brackets_point_and_widens(projection):
    assert (projection.population_lo_persons <= projection.population_persons).all()
    assert (projection.population_persons <= projection.population_hi_persons).all()
    for _, rows in projection.sort_values("year").groupby("area_id"):
        width = (rows.population_hi_persons - rows.population_lo_persons).to_numpy()
        assert width[0] == 0 and (np.diff(width) > 0).all()
        assert (np.diff(rows.population_persons.to_numpy()) > 0).all()  # shipped rate is positive


def test_point_follows_fitted_rate(projection, province_fit):
    row = projection[(projection.area_id == "dong_khe") & (projection.year == 2030)].iloc[0]
    assert row.population_persons == pytest.approx(4845 * (1 + province_fit.growth_pct_per_year / 100) ** 5, rel=1e-12)


def test_province_rate_interval_includes_area_deviation(projection, province_fit):
    from scipy import stats
    row = projection[(projection.area_id == "dong_khe") & (projection.year == 2030)].iloc[0]
    half_log = math.log(row.population_hi_persons / row.population_persons)
    t_q = stats.t.ppf(0.95, province_fit.df_resid)
    expected = t_q * math.hypot(province_fit.slope_se, pop.AREA_DEVIATION_SD_LOG_PER_YEAR) * 5
    assert half_log == pytest.approx(expected, rel=1e-9)
    assert half_log > t_q * province_fit.slope_se * 5 * 1.5  # the deviation term is not negligible


def test_shipped_areas_all_use_province_rate(projection):
    # no area has ≥ 4 whole total figures of its own in the shipped data
    assert (projection.method == "province_rate").all()
    notes = projection.drop_duplicates("area_id").set_index("area_id")["method_note"]
    assert "1 whole-area total figure of its own (2009)" in notes["bao_lac"]
    assert "0 whole-area total figures" in notes["phuc_hoa"]  # its 2019 figure covers part only
    assert "2019, 2020" in notes["thuc_phan"]                   # the old city's history
    assert all("2005-2022" in note for note in notes)


def test_own_trend_when_enough_observations():
    years = [2010, 2014, 2018, 2022]
    hist = pd.concat([
        _history("province", [2005, 2010, 2015, 2020], [100.0, 101.0, 103.0, 104.0]),
        _history("fast_town", years, [5000 * 1.03 ** (y - 2010) for y in years]),
        _history("thin_town", [2019], [3000.0]),
    ], ignore_index=True)
    out = pop.project_population(_areas({"fast_town": 6000.0, "thin_town": 3100.0}), hist)
    methods = out.drop_duplicates("area_id").set_index("area_id")
    assert methods.loc["fast_town", "method"] == "own_trend"
    assert methods.loc["fast_town", "growth_pct_per_year"] == pytest.approx(3.0, rel=1e-9)
    assert methods.loc["thin_town", "method"] == "province_rate"
    assert methods.loc["thin_town", "growth_pct_per_year"] < 1.5
    assert (methods["method_note"].str.len() > 20).all()
    assert "own fitted rate" in methods.loc["fast_town", "method_note"]
    assert "province rate" in methods.loc["thin_town", "method_note"]
    # raising min_obs above what the town has sends it to the province rate
    stricter = pop.project_population(_areas({"fast_town": 6000.0}), hist, min_obs=5)
    assert (stricter.method == "province_rate").all()


def test_projection_rejects_bad_arguments(package):
    with pytest.raises(ValueError):
        pop.project_population(package.urban_areas, package.population_history, interval=1.0)
    with pytest.raises(ValueError):
        pop.project_population(package.urban_areas, package.population_history, min_obs=2)


@settings(max_examples=60, deadline=None)
@given(
    population=st.floats(min_value=1.0, max_value=1e8, allow_nan=False, allow_infinity=False),
    horizon=st.integers(min_value=0, max_value=40),
    interval=st.floats(min_value=0.5, max_value=0.99),
)
def test_interval_property(package, population, horizon, interval):
    out = pop.project_population(_areas({"x": population}), package.population_history,
                                 years=[2025, 2025 + horizon], interval=interval)
    lo, point, hi = (out[c].to_numpy() for c in ("population_lo_persons", "population_persons", "population_hi_persons"))
    assert (lo > 0).all() and np.isfinite(hi).all()
    assert (lo <= point).all() and (point <= hi).all()
    assert point[0] == population


# --- growth_draws ---------------------------------------------------------------------


def test_draws_shape_and_reproducible(province_fit):
    ids = ["a", "b", "c"]
    first = pop.growth_draws(province_fit, 500, np.random.default_rng(7), ids)
    again = pop.growth_draws(province_fit, 500, np.random.default_rng(7), ids)
    other = pop.growth_draws(province_fit, 500, np.random.default_rng(8), ids)
    assert first.shape == (500, 3)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_draws_centre_and_spread(province_fit):
    n = 200_000
    draws = pop.growth_draws(province_fit, n, np.random.default_rng(2025), ["a", "b"])
    log_growth = np.log1p(draws)
    df = province_fit.df_resid
    var_slope = province_fit.slope_se**2 * df / (df - 2)  # variance of se·t_df
    sd = math.sqrt(var_slope + pop.AREA_DEVIATION_SD_LOG_PER_YEAR**2)
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
    log_growth = np.log1p(pop.growth_draws(fit, n, np.random.default_rng(11), ["a", "b"]))
    var_slope = fit.slope_se**2 * 60 / 58
    sd = math.sqrt(var_slope + pop.AREA_DEVIATION_SD_LOG_PER_YEAR**2)
    assert log_growth.std(axis=0) == pytest.approx(np.full(2, sd), rel=0.02)
    # the province slope is shared within a draw: columns correlate by var_slope / sd² (≈ 0.39)
    assert np.corrcoef(log_growth.T)[0, 1] == pytest.approx(var_slope / sd**2, abs=0.02)


def test_draws_without_area_deviation_are_shared(province_fit):
    draws = pop.growth_draws(province_fit, 1000, np.random.default_rng(1), ["a", "b", "c"], deviation_sd_log=0.0)
    assert np.array_equal(draws[:, 0], draws[:, 1]) and np.array_equal(draws[:, 0], draws[:, 2])
    assert draws[:, 0].std() > 0
