"""Runs of a scenario (capnuoc_model.model.projection, runs): determinism, quantiles, target probabilities, sensitivity, tables."""

from __future__ import annotations

import math

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

from capnuoc_model.data import io

from capnuoc_model.model import projection, projection_run
from capnuoc_model.model.scenario import load_scenario, support

from .conftest import REPO

BASELINE = REPO / "analysis" / "scenarios" / "baseline.yaml"
DRAWS = 300
SENSITIVITY_DRAWS = 10  # for the test of determinism: the same draws twice, however many


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def run(package, scenario):
    return projection_run.full_run(package, scenario, draws=DRAWS, seed=123, with_sensitivity=False)


@pytest.fixture(scope="module")
def sensitivity(run):
    return projection.sensitivity_table(run.projection, draws=100)  # the directions below hold draw by draw (common random numbers)


def _tables(p: projection.Projection) -> dict[str, pd.DataFrame]:
    return {"province": projection.province_table(p), "areas": projection.areas_table(p),
            "systems": projection.systems_table(p), "targets": projection.targets_table(p),
            "sensitivity": projection.sensitivity_table(p, draws=SENSITIVITY_DRAWS)}


def _written(tables: dict[str, pd.DataFrame], folder) -> dict[str, bytes]:
    io.write_tables(tables, folder)
    return {f.name: f.read_bytes() for f in sorted(folder.iterdir())}


# ----------------------------------------------------------------------------- determinism


@pytest.mark.slow  # two projections and two sensitivity tables; test_full_run_tables_are_identical_between_runs is the fast check
def test_same_scenario_and_seed_write_identical_files(package, scenario, tmp_path):
    first = _written(_tables(projection.project(package, scenario, DRAWS, 77)), tmp_path / "a")
    second = _written(_tables(projection.project(package, load_scenario(BASELINE), DRAWS, 77)), tmp_path / "b")
    assert set(first) == {"province.csv", "areas.csv", "systems.csv", "targets.csv", "sensitivity.csv"}
    for name in first:
        assert first[name] == second[name], name
        assert len(first[name].splitlines()) > 2


def test_full_run_tables_are_identical_between_runs(package, scenario, run, tmp_path):
    again = projection_run.full_run(package, scenario, draws=DRAWS, seed=123, with_sensitivity=False)
    assert _written(run.tables, tmp_path / "a") == _written(again.tables, tmp_path / "b")


def test_a_different_seed_changes_the_monte_carlo_quantiles(package, scenario):
    a = projection.areas_table(projection.project(package, scenario, DRAWS, 1))
    b = projection.areas_table(projection.project(package, scenario, DRAWS, 2))
    later = a["year"] > 2025
    assert not np.allclose(a.loc[later, "coverage_p5"], b.loc[later, "coverage_p5"])
    assert not np.allclose(a.loc[later, "coverage_p95"], b.loc[later, "coverage_p95"])
    # the deterministic columns do not depend on the seed
    pd.testing.assert_series_equal(a["coverage_pct"], b["coverage_pct"])
    pd.testing.assert_series_equal(a["served"], b["served"])


def test_draws_of_one_seed_are_reproducible_and_streams_independent(package, scenario):
    s = projection.setup(package, scenario)
    samples_a, growth_a = projection.draws_for(s, 50, 9)
    samples_b, growth_b = projection.draws_for(s, 50, 9)
    assert samples_a.keys() == samples_b.keys() == set(scenario.uncertain_paths())
    for path in samples_a:
        np.testing.assert_array_equal(samples_a[path], samples_b[path])
    np.testing.assert_array_equal(growth_a, growth_b)
    assert growth_a.shape == (50, s.inputs.n_areas)


# ----------------------------------------------------------------------------- quantiles and probabilities


def _ordered(frame: pd.DataFrame, prefix: str) -> None:
    lo, mid, hi = (frame[f"{prefix}_p{q}"].to_numpy(float) for q in (5, 50, 95))
    missing = np.isnan(lo)
    assert np.array_equal(missing, np.isnan(mid)) and np.array_equal(missing, np.isnan(hi))
    ok = ~missing
    assert ok.any()
    assert np.all(lo[ok] <= mid[ok] + 1e-12) and np.all(mid[ok] <= hi[ok] + 1e-12), frame.loc[~((lo <= mid) & (mid <= hi)) & ok]


def test_p5_p50_p95_are_ordered_everywhere(run):
    _ordered(run.tables["areas"], "coverage")
    _ordered(run.tables["systems"], "loss")
    _ordered(run.tables["province"], "coverage")
    _ordered(run.tables["province"], "loss")
    targets = run.tables["targets"].dropna(subset=["p5"])
    assert (targets["p5"] <= targets["p95"] + 1e-12).all()


def _shown(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def test_quantiles_are_those_of_the_draws(run):
    mc = run.projection.mc
    province = run.tables["province"].set_index("year")
    y = mc.years.index(2026)
    assert province.loc[2026, "coverage_p50"] == pytest.approx(np.percentile(mc.province_coverage_pct[:, y], 50), rel=1e-12)
    assert province.loc[2026, "loss_p95"] == pytest.approx(np.percentile(mc.province_loss_pct[:, y], 95), rel=1e-12)
    # the plan's rule: compared as printed (one decimal, half away from zero), checked here with Decimal
    assert province.loc[2026, "p_coverage_target"] == pytest.approx(np.mean([_shown(v) >= Decimal("87.4") for v in mc.province_coverage_pct[:, y]]))
    assert province.loc[2026, "p_loss_target"] == pytest.approx(np.mean([_shown(v) <= Decimal("15") for v in mc.province_loss_pct[:, y]]))
    # 2025 is the baseline in every draw: no spread
    assert province.loc[2025, "coverage_p5"] == province.loc[2025, "coverage_p95"] == pytest.approx(81.89975, abs=1e-5)


def test_target_probabilities_are_shares_of_draws(run):
    targets = run.tables["targets"]
    assert targets["p_meet"].between(0, 1).all()
    assert np.allclose(targets["p_meet"] * DRAWS, np.round(targets["p_meet"] * DRAWS))
    for column in ("p_coverage_target", "p_loss_target"):
        assert run.tables["province"][column].between(0, 1).all()
    assert run.tables["systems"]["p_running"].between(0, 1).all()
    # one row per province target, per area, and per system running in 2026 in some draw
    assert (targets["scope"] == "province").sum() == 2
    assert set(targets.loc[targets["indicator"] == "coverage_pct", "scope"]) == {"province", *run.projection.point.area_ids}
    head = projection.headline(run.projection.mc, run.projection.setup.plan)
    province = targets.set_index(["indicator", "scope"])
    assert province.loc[("coverage_pct", "province"), "p_meet"] == pytest.approx(head["meets_coverage"].mean())
    assert province.loc[("loss_pct", "province"), "p_meet"] == pytest.approx(head["meets_loss"].mean())
    # Tĩnh Túc has no system and a 0 % target: always met
    assert province.loc[("coverage_pct", "tinh_tuc"), "p_meet"] == 1.0


def test_deterministic_columns_are_the_deterministic_run(run):
    point = run.projection.point
    areas = run.tables["areas"]
    row = areas[(areas["year"] == 2026) & (areas["area_id"] == "bao_lam")].iloc[0]
    i = point.area_ids.index("bao_lam")
    assert row["served"] == point.served[0, 1, i] and row["coverage_pct"] == pytest.approx(point.coverage_pct[0, 1, i])
    systems = run.tables["systems"]
    not_running = systems[~systems["is_running"]]
    assert not_running[["production_m3_per_day", "billed_m3_per_day", "loss_pct"]].isna().all().all()
    assert set(not_running.loc[not_running["year"] == 2025, "system_id"]) == {"tra_linh", "pac_mieu"}
    running = systems[systems["is_running"]]
    share = running.groupby("year")["share_of_province_loss_pct"].sum()
    assert np.allclose(share, 100)


# ----------------------------------------------------------------------------- sensitivity


def test_sensitivity_has_one_row_per_uncertain_assumption(run, sensitivity, scenario):
    assert sorted(sensitivity["assumption"]) == scenario.uncertain_paths()
    assert len(sensitivity) == len(scenario.uncertain_paths()) == sensitivity["assumption"].nunique()
    for column in ("p_coverage_low", "p_coverage_high", "p_loss_low", "p_loss_high"):
        assert sensitivity[column].between(0, 1).all(), column
    for row in sensitivity.itertuples():
        low, high = support(scenario.get(row.assumption).distribution)
        assert (row.low, row.high) == (low, high)
        assert math.isfinite(low) and math.isfinite(high) and low <= row.value <= high
        assert row.swing_p_coverage == pytest.approx(abs(row.p_coverage_high - row.p_coverage_low))
        assert row.swing_max == pytest.approx(max(row.swing_p_coverage, row.swing_p_loss))
    assert sensitivity["swing_max"].is_monotonic_decreasing


def test_sensitivity_points_move_the_right_way(sensitivity):
    rows = sensitivity.set_index("assumption")
    # a later project lowers 2026 coverage; a stronger first year lowers 2026 loss
    late = rows.loc["projects.tra_linh_renovation.commissioning_month"]
    assert late["coverage_pct_high"] < late["coverage_pct_low"]
    first = rows.loc["loss_programme.first_year_realisation"]
    assert first["loss_pct_high"] < first["loss_pct_low"] and first["p_loss_high"] >= first["p_loss_low"]


def test_sensitivity_points_of_the_demand_level_differ(sensitivity):
    row = sensitivity.set_index("assumption").loc["demand.centre_domestic_l_per_person_day"]
    assert row["loss_pct_high"] < row["loss_pct_low"]  # more water billed per person, same real losses


# ----------------------------------------------------------------------------- population fit


def test_the_fitted_population_table_is_present(run):
    table = run.tables["population_fit"]
    s = run.projection.setup
    values = dict(zip(table["parameter"], table["value"]))
    assert {"observations", "years", "growth_pct_per_year", "growth_se_pct_per_year", "r_squared", "df_resid", "method"} <= set(values)
    assert values["growth_pct_per_year"] == pytest.approx(s.fit.growth_pct_per_year)
    assert values["method"] == "loglinear_ols"
    assert int(values["observations"]) == s.fit.n_obs >= 3
    assert 0 < values["growth_pct_per_year"] < 2
    # the deterministic population grows at that rate
    point = run.projection.point
    ratio = point.population[0, -1].sum() / point.population[0, 0].sum()
    assert ratio == pytest.approx((1 + s.fit.growth_pct_per_year / 100) ** 5, rel=1e-12)


def test_trend_start_year_changes_the_fit(package):
    a = projection.setup(package, load_scenario(BASELINE))
    b = projection.setup(package, load_scenario(BASELINE, ["population.trend_start_year=2009"]))
    assert b.fit.growth_pct_per_year > a.fit.growth_pct_per_year  # the 2005-2009 dip is dropped
    assert b.fit.n_obs < a.fit.n_obs
