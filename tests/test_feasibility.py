"""What it takes (capnuoc_model.model.feasibility): the loss cut, its least-cost allocation, the minimal uptake, unit costs."""

from __future__ import annotations

import numpy as np
import pytest

from capnuoc_model.model import engine, feasibility, projection
from capnuoc_model.model.scenario import load_scenario

from .conftest import REPO

SCENARIOS = REPO / "analysis" / "scenarios"
COVERAGE_TARGET_PCT, LOSS_TARGET_PCT = 87.4, 15.0  # the shipped plan's (targets_province.csv)
FULL_FIRST_YEAR = ["loss_programme.first_year_realisation.distribution=null", "loss_programme.first_year_realisation=1"]
FAST_LOW_UTILISATION = ["extension.low_utilisation_gap_closed_per_year.distribution=null",
                        "extension.low_utilisation_gap_closed_per_year=0.5"]


def make_setup(package, name: str = "baseline", sets: list[str] | None = None) -> projection.Setup:
    return projection.setup(package, load_scenario(SCENARIOS / f"{name}.yaml", sets or []))


@pytest.fixture(scope="module")
def baseline(package):
    return make_setup(package)


SLOW_FIRST_YEAR = ["loss_programme.first_year_realisation.distribution=null", "loss_programme.first_year_realisation=0.3"]


@pytest.fixture(scope="module")
def infeasible(package):
    """Only 30 % of each measure's effect realised by 31/12/2026: 15 % cannot be bought in 2026."""
    return make_setup(package, sets=SLOW_FIRST_YEAR)


@pytest.fixture(scope="module")
def feasible(package):
    """The whole first-year effect of each measure realised by 31/12/2026: 15 % can be bought."""
    return make_setup(package, sets=FULL_FIRST_YEAR)


# ----------------------------------------------------------------------------- cut_needed


def test_cut_needed_by_hand():
    # 1.000 m³/day lost of 5.000 produced (20 %). Removing x m³/day of loss removes it from production too:
    # (1000 − x) / (5000 − x) = 0,15  ⇔  1000 − x = 750 − 0,15x  ⇔  0,85x = 250  ⇔  x = 294,1176…
    assert feasibility.cut_needed(1000, 5000, 15) == pytest.approx(250 / 0.85, rel=1e-12)
    assert feasibility.cut_needed(1000, 5000, 15) == pytest.approx(294.1176470588, rel=1e-10)
    x = feasibility.cut_needed(1000, 5000, 15)
    assert (1000 - x) / (5000 - x) == pytest.approx(0.15, rel=1e-12)
    # a 10 % target: (1000 − x) / (5000 − x) = 0,1 ⇔ 0,9x = 500 ⇔ x = 555,5…
    assert feasibility.cut_needed(1000, 5000, 10) == pytest.approx(500 / 0.9, rel=1e-12)
    # the baseline province in 2025: 17,9 % of 17.113 m³/day; no cut when already at or under the target
    assert feasibility.cut_needed(750, 5000, 15) == 0.0
    assert feasibility.cut_needed(100, 5000, 15) == 0.0


def test_cut_needed_matches_the_no_programme_state_of_2026(baseline):
    answer = feasibility.least_cost_loss_cut(baseline)
    none = projection.deterministic(baseline, {**baseline.values, "loss_programme.effort": 0.0})
    y = none.years.index(2026)
    loss = np.where(none.active[0, y], none.loss[0, y], 0).sum()
    production = np.where(none.active[0, y], none.production[0, y], 0).sum()
    assert answer.loss_pct_without_programme == pytest.approx(none.province_loss_pct[0, y], rel=1e-12)
    assert answer.cut_needed_m3_per_day == pytest.approx((loss - 0.15 * production) / 0.85, rel=1e-12)
    assert answer.cut_needed_m3_per_day > 0


# ----------------------------------------------------------------------------- measures and the LP


def test_measure_options_follow_the_plan_groups(baseline):
    options, loss, production = feasibility.measure_options(baseline)
    inp = baseline.inputs
    assert set(options["system_id"]) == {sid for sid, on in zip(inp.system_ids, inp.operating_base) if on}
    for sid, group in options.groupby("system_id"):
        j = inp.system_ids.index(sid)
        measures = set(group["measure"])
        if inp.is_low_loss[j]:
            assert measures == {"maintenance"}, sid
        elif inp.is_recent[j]:
            assert measures == {"dma_leak_repair", "pressure_management", "meter_replacement", "customer_records"}, sid
        else:
            assert measures == {"dma_leak_repair", "pressure_management", "meter_replacement", "pipe_renewal"}, sid
    assert (options["removable_m3_per_day"] >= 0).all() and (options["cost_billion_vnd"] >= 0).all()
    assert (options["system_headroom_m3_per_day"] >= 0).all()
    assert 0 < loss < production


def _check_allocation(answer: feasibility.LossAnswer) -> None:
    a = answer.allocation
    assert ((a["share_used"] >= -1e-9) & (a["share_used"] <= 1 + 1e-9)).all()
    assert (a["cost_billion_vnd"] >= 0).all() and (a["cost_used_billion_vnd"] >= -1e-12).all()
    assert answer.cost_billion_vnd >= 0
    assert answer.cost_billion_vnd == pytest.approx(a["cost_used_billion_vnd"].sum(), rel=1e-9, abs=1e-12)
    removed = a.groupby("system_id")["removed_m3_per_day"].sum()
    headroom = a.groupby("system_id")["system_headroom_m3_per_day"].first()
    assert (removed <= headroom + 1e-6).all(), (removed - headroom)[removed > headroom]
    # never more expensive than taking every measure everywhere
    assert answer.cost_billion_vnd <= a["cost_billion_vnd"].sum() + 1e-9


def test_least_cost_cut_when_the_target_can_be_bought(feasible):
    answer = feasibility.least_cost_loss_cut(feasible)
    assert answer.feasible
    assert answer.cut_achievable_m3_per_day >= answer.cut_needed_m3_per_day > 0
    _check_allocation(answer)
    a = answer.allocation
    assert a["removed_m3_per_day"].sum() == pytest.approx(answer.cut_needed_m3_per_day, rel=1e-6)
    # cheaper than a uniform scaling of every measure (capped by each system's headroom), which also reaches the cut
    volumes = a["removable_m3_per_day"].to_numpy()
    per_system = a.groupby("system_id", sort=False)["removable_m3_per_day"].transform("sum").to_numpy()
    cap = np.minimum(1.0, a["system_headroom_m3_per_day"].to_numpy() / per_system)
    for alpha in np.linspace(0, 1, 201):
        share = np.minimum(alpha, cap)
        if (share * volumes).sum() >= answer.cut_needed_m3_per_day:
            assert answer.cost_billion_vnd <= (share * a["cost_billion_vnd"].to_numpy()).sum() + 1e-9
            break
    else:
        pytest.fail("a uniform scaling should reach a feasible cut")
    # and strictly cheaper than doing everything: the least-cost plan leaves measures unused
    assert answer.cost_billion_vnd < 0.5 * a["cost_billion_vnd"].sum()


def test_when_the_target_cannot_be_bought_everything_possible_is_used(infeasible):
    answer = feasibility.least_cost_loss_cut(infeasible)
    assert not answer.feasible
    assert 0 < answer.cut_achievable_m3_per_day < answer.cut_needed_m3_per_day
    _check_allocation(answer)
    a = answer.allocation
    assert a["removed_m3_per_day"].sum() == pytest.approx(answer.cut_achievable_m3_per_day, rel=1e-6)
    # the most that can be removed is each system's removable volume, capped by its floor headroom
    removable = a.groupby("system_id")["removable_m3_per_day"].sum()
    headroom = a.groupby("system_id")["system_headroom_m3_per_day"].first()
    assert answer.cut_achievable_m3_per_day == pytest.approx(np.minimum(removable, headroom).sum(), rel=1e-6)


def test_a_larger_first_year_realisation_makes_the_cut_cheaper_to_reach(baseline, feasible):
    # first_year_realisation multiplies every removable volume: 0,6 → 1 raises the achievable cut 1/0,6-fold
    # where no system hits its floor
    a, b = feasibility.least_cost_loss_cut(baseline), feasibility.least_cost_loss_cut(feasible)
    assert b.cut_achievable_m3_per_day > a.cut_achievable_m3_per_day
    assert b.cut_achievable_m3_per_day <= a.cut_achievable_m3_per_day / 0.6 + 1e-6
    # the programme-free state keeps the §VI network projects (Tân Giang, Nùng Trí Cao), realised by the same share
    assert b.cut_needed_m3_per_day < a.cut_needed_m3_per_day


def test_the_lp_never_says_infeasible_what_the_projection_achieves(package):
    s = make_setup(package, sets=["loss_programme.effort=2"])
    with_programme = projection.deterministic(s)
    without = projection.deterministic(s, {**s.values, "loss_programme.effort": 0.0})
    y = with_programme.years.index(2026)
    removed = (np.where(without.active[0, y], without.loss[0, y], 0).sum()
               - np.where(with_programme.active[0, y], with_programme.loss[0, y], 0).sum())
    assert with_programme.province_loss_pct[0, y] <= LOSS_TARGET_PCT
    answer = feasibility.least_cost_loss_cut(s)
    # the module says the linearised LP overstates what stacked measures remove
    assert answer.cut_achievable_m3_per_day >= removed
    assert answer.feasible


# ----------------------------------------------------------------------------- minimal uptake


def test_coverage_at_uptake_is_monotone_in_the_share(baseline):
    shares = np.linspace(0, 1, 21)
    coverage = [feasibility.coverage_at_uptake(baseline, x) for x in shares]
    assert np.all(np.diff(coverage) >= -1e-9)
    assert coverage[-1] > coverage[0] + 3  # the projects carry several points of coverage


def test_minimal_uptake_when_reachable_is_the_bisection_point(package):
    s = make_setup(package, sets=FAST_LOW_UTILISATION)
    answer = feasibility.minimal_uptake(s)
    assert answer.reachable and 0 < answer.share < 1
    assert answer.shortfall_persons == 0.0
    assert s.plan.meets("coverage", feasibility.coverage_at_uptake(s, answer.share))
    assert not s.plan.meets("coverage", feasibility.coverage_at_uptake(s, answer.share - 1e-6))
    assert answer.coverage_at_full_uptake_pct == pytest.approx(feasibility.coverage_at_uptake(s, 1.0), rel=1e-12)
    assert s.plan.meets("coverage", answer.coverage_at_full_uptake_pct)
    beneficiaries = s.inputs.people_projects["beneficiaries_persons"].sum()
    assert answer.people_to_connect == pytest.approx(answer.share * beneficiaries, rel=1e-12)


def test_minimal_uptake_in_the_ambitious_scenario(package):
    s = make_setup(package, "ambitious")
    answer = feasibility.minimal_uptake(s)
    assert answer.reachable
    assert s.plan.meets("coverage", feasibility.coverage_at_uptake(s, answer.share))
    assert not s.plan.meets("coverage", feasibility.coverage_at_uptake(s, answer.share - 1e-6))


def test_minimal_uptake_when_unreachable_reports_the_shortfall_at_full_uptake(baseline):
    answer = feasibility.minimal_uptake(baseline)
    assert not answer.reachable and answer.share == 1.0
    full = projection.deterministic(baseline, {**baseline.values, engine.UPTAKE_BY_PLAN_YEAR_END: 1.0})
    y = full.years.index(2026)
    population, served = full.population[0, y].sum(), full.served[0, y].sum()
    assert answer.coverage_at_full_uptake_pct == pytest.approx(100 * served / population, rel=1e-12)
    assert not baseline.plan.meets("coverage", answer.coverage_at_full_uptake_pct)
    assert answer.shortfall_persons > 0
    assert answer.shortfall_persons == pytest.approx(0.874 * population - served, rel=1e-9)
    # served + shortfall is exactly 87,4 % of the population
    assert 100 * (served + answer.shortfall_persons) / population == pytest.approx(COVERAGE_TARGET_PCT, rel=1e-12)


def test_people_to_connect_counts_only_projects_commissioned_by_the_end_of_2026(package):
    s = make_setup(package, sets=["projects.tra_linh_renovation.commissioning_month=18"])
    answer = feasibility.minimal_uptake(s)
    projects = s.inputs.people_projects
    by_2026 = [float(s.values[f"projects.{pid}.commissioning_month"]) <= 12 for pid in projects["project_id"]]
    expected = answer.share * projects.loc[by_2026, "beneficiaries_persons"].sum()
    assert expected == pytest.approx(12834 - 3100)
    assert answer.people_to_connect == pytest.approx(expected)


# ----------------------------------------------------------------------------- unit costs


def test_project_costs(package, baseline):
    p = projection.Projection(baseline, projection.deterministic(baseline), projection.deterministic(baseline), 1, 0)
    costs = feasibility.project_costs(p).set_index("project_id")
    assert len(costs) == 8 and (costs["cost_billion_vnd"] >= 0).all()
    people = costs.dropna(subset=["beneficiaries_persons"])
    assert set(people.index) == set(baseline.inputs.people_projects["project_id"])
    # 42,43 tỷ đồng for 2.600 people = 16,32 triệu đồng per person
    assert costs.loc["pac_mieu_supply", "million_vnd_per_stated_person"] == pytest.approx(1000 * 42.43 / 2600)
    # Bảo Lâm had nobody served in 2025: its gain is what the project connected
    point = p.point
    i = baseline.inputs.area_ids.index("bao_lam")
    assert costs.loc["pac_mieu_supply", "area_gain_plan_year_persons"] == pytest.approx(point.served[0, 1, i])
    assert 0 < costs.loc["pac_mieu_supply", "area_gain_plan_year_persons"] <= 2600
    assert (people["area_gain_horizon_persons"] >= people["area_gain_plan_year_persons"] - 1e-9).all()
