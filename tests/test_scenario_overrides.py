"""A new value moves its distribution (issue 10 item 1) and every assumption draws from its own random
stream (issue 16 item 12)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capnuoc_model.model import projection
from capnuoc_model.model import scenario as sc

from .conftest import REPO, examples

FIX = Path(__file__).resolve().parent / "fixtures" / "scenario"
DEFAULTS = FIX / "defaults.yaml"
BASELINE = REPO / "analysis" / "scenarios" / "baseline.yaml"
LATE = {"pac_mieu_supply": 15, "dong_khe_supply": 15, "tra_linh_renovation": 16, "hoa_an_capacity": 14}
LATE_SETS = [f"projects.{pid}.commissioning_month={month}" for pid, month in LATE.items()]


# ----------------------------------------------------------------------------- the rule


finite = st.floats(-1e3, 1e3, allow_nan=False)


@st.composite
def distribution_and_bounds(draw):
    """A distribution, limits [lower, upper] around it (sometimes unbounded) and a new value inside them."""
    low = draw(finite)
    high = low + draw(st.floats(1e-2, 1e3))
    kind = draw(st.sampled_from(["triangular", "uniform", "normal", "beta"]))
    if kind == "triangular":
        d = sc.Triangular(kind=kind, low=low, mode=low + draw(st.floats(0, 1)) * (high - low), high=high)
    elif kind == "uniform":
        d = sc.Uniform(kind=kind, low=low, high=high)
    elif kind == "normal":
        d = sc.Normal(kind=kind, mean=(low + high) / 2, sd=draw(st.floats(1e-2, 1e3)), low=low, high=high)
    else:
        d = sc.Beta(kind=kind, alpha=draw(st.floats(0.5, 20)), beta=draw(st.floats(0.5, 20)), low=low, high=high)
    lower = draw(st.one_of(st.just(-math.inf), st.floats(low - 1e3, low)))
    upper = draw(st.one_of(st.just(math.inf), st.floats(high, high + 1e3)))
    value = draw(st.floats(max(lower, low - 2e3), min(upper, high + 2e3)))
    return d, lower, upper, value


@settings(max_examples=examples(400), deadline=None)
@given(distribution_and_bounds())
def test_a_moved_distribution_is_centred_on_the_value_keeps_its_width_and_stays_within_the_limits(case):
    d, lower, upper, value = case
    moved = sc.move_distribution(d, value, lower, upper)
    width = sc.support(d)[1] - sc.support(d)[0]
    if moved is None:  # nothing of the width is left inside the limits (the value is on one): fixed
        assert min(abs(value - lower), abs(value - upper)) <= 1e-9 * max(1.0, abs(value))
        return
    low, high = sc.support(moved)
    assert type(moved) is type(d)
    assert lower <= low < high <= upper
    assert low <= value <= high
    cut = low > sc.support(d)[0] + value - sc.centre(d) + 1e-9 or high < sc.support(d)[1] + value - sc.centre(d) - 1e-9
    if not cut:
        assert high - low == pytest.approx(width, rel=1e-9, abs=1e-9)
    if not isinstance(moved, sc.Uniform) or not cut:
        assert sc.centre(moved) == pytest.approx(value, rel=1e-9, abs=1e-6)
    if isinstance(moved, sc.Normal):
        assert moved.sd == d.sd
    if isinstance(moved, sc.Beta):
        assert moved.alpha + moved.beta == pytest.approx(d.alpha + d.beta, rel=1e-9)


def test_the_rule_on_each_kind():
    tri = sc.Triangular(kind="triangular", low=6, mode=9, high=15)
    assert sc.move_distribution(tri, 15) == sc.Triangular(kind="triangular", low=12, mode=15, high=21)
    assert sc.move_distribution(tri, 2, 0, 48) == sc.Triangular(kind="triangular", low=0, mode=2, high=8)
    moved = sc.move_distribution(sc.Uniform(kind="uniform", low=0.02, high=0.06), 0.1)
    assert isinstance(moved, sc.Uniform) and (moved.low, moved.high) == (pytest.approx(0.08), pytest.approx(0.12))
    normal = sc.Normal(kind="normal", mean=0, sd=0.5, low=-1, high=1)
    moved = sc.move_distribution(normal, 0.9, -1, 1)
    assert (moved.mean, moved.sd, moved.low, moved.high) == (0.9, 0.5, pytest.approx(-0.1), 1)
    beta = sc.Beta(kind="beta", alpha=5, beta=15, low=0, high=1)
    moved = sc.move_distribution(beta, 0.5, 0, 1)
    # shifted to [0,25; 1,25], cut at 1: mean 0,5 on [0,25; 1] is a third of the way, with α + β = 20 kept
    assert (moved.low, moved.high, moved.alpha, moved.beta) == (0.25, 1, pytest.approx(20 / 3), pytest.approx(40 / 3))
    # a triangular whose mode is its low end, moved onto its upper limit, has no width left: fixed
    assert sc.move_distribution(sc.Triangular(kind="triangular", low=0, mode=0, high=1), 5, 0, 5) is None


def test_a_scalar_override_in_a_scenario_file_and_a_set_follow_the_same_rule(tmp_path):
    (tmp_path / "s.yaml").write_text("name: s\ndescription: Only the value.\noverrides:\n  demand:\n"
                                     "    uptake_half_life_months: 12\n", encoding="utf-8")
    by_file = sc.load_scenario(tmp_path / "s.yaml", defaults_path=DEFAULTS)
    by_set = sc.load_scenario(None, ["demand.uptake_half_life_months=12"], defaults_path=DEFAULTS)
    expected = sc.Triangular(kind="triangular", low=9, mode=12, high=15)
    assert by_file.get("demand.uptake_half_life_months").distribution == expected
    assert by_set.get("demand.uptake_half_life_months").distribution == expected
    assert by_file.fingerprint() == by_set.fingerprint()


def test_setting_the_distribution_too_overrides_the_rule():
    s = sc.load_scenario(None, ["demand.per_capita_lpd=200", "demand.per_capita_lpd.distribution=null",
                                "supply.tariff_growth=0.05", "supply.tariff_growth.distribution.high=0.1"],
                         defaults_path=DEFAULTS)
    assert s.get("demand.per_capita_lpd").distribution is None
    # the value moved uniform(0.02, 0.06) to (0.03, 0.07), then the high end was set
    tariff = s.get("supply.tariff_growth").distribution
    assert isinstance(tariff, sc.Uniform) and (tariff.low, tariff.high) == (pytest.approx(0.03), 0.1)
    # a whole distribution given with the value is taken as given
    t = sc.load_scenario(REPO / "analysis" / "scenarios" / "projects_slip.yaml")
    assert sc.describe_distribution(t.get("projects.pac_mieu_supply.commissioning_month")) == "triangular(11, 15, 20)"


def test_a_move_is_clipped_to_the_leafs_min_max():
    s = sc.load_scenario(None, ["demand.uptake_half_life_months=35"], defaults_path=DEFAULTS)  # max 36
    assert s.get("demand.uptake_half_life_months").distribution == sc.Triangular(kind="triangular", low=32, mode=35, high=36)
    # a beta on [0, 1] for a fraction (physical limit [0, 1]) keeps its concentration
    t = sc.load_scenario(None, ["supply.loss_fraction=0.9"], defaults_path=DEFAULTS)
    d = t.get("supply.loss_fraction").distribution
    assert (d.low, d.high) == (0.9 - 0.25, 1) and d.alpha + d.beta == pytest.approx(20)
    assert sc.centre(d) == pytest.approx(0.9)


def test_changes_list_what_was_overridden_and_how_the_distribution_followed(tmp_path):
    s = sc.load_scenario(FIX / "slip.yaml", ["supply.tariff_growth=0.05", "supply.loss_fraction.distribution=null"],
                         defaults_path=DEFAULTS)
    changes = {c.path: c for c in s.changes}
    assert list(changes) == sorted(changes)
    assert set(changes) == {"demand.per_capita_lpd", "demand.uptake_half_life_months", "supply.project_delay_months",
                            "supply.tariff_growth", "supply.loss_fraction"}
    assert changes["demand.per_capita_lpd"].how == "moved"
    assert changes["demand.uptake_half_life_months"].how == "set"
    assert changes["supply.project_delay_months"].how == "fixed"
    assert changes["supply.tariff_growth"].sources == ("--set:1",)
    assert changes["demand.per_capita_lpd"].sources[0].endswith(f"slip.yaml:{8}")
    sentence = changes["demand.per_capita_lpd"].sentence()
    assert sentence == ("demand.per_capita_lpd: 120 → 110; phân phối dịch theo giá trị mới: tam giác (100; 120; 150) "
                        "→ tam giác (90; 110; 140)")
    assert sc.load_scenario(None, defaults_path=DEFAULTS).changes == ()
    assert s.label == "projects_slip (--set supply.tariff_growth=0.05; supply.loss_fraction.distribution=null)"


def test_the_issues_example_moves_the_range_and_the_probability(package):
    """Four projects commissioned in months 14-16: main kept drawing months 5-18, so its range (82,6-84,6 %)
    was the unchanged plan's; the draws now follow the new months and the range collapses onto the late case."""
    base = projection.project(package, sc.load_scenario(BASELINE), 400, projection.DEFAULT_SEED)
    late = projection.project(package, sc.load_scenario(BASELINE, LATE_SETS), 400, projection.DEFAULT_SEED)
    for pid, month in LATE.items():
        d = late.scenario.get(f"projects.{pid}.commissioning_month").distribution
        assert d.mode == month and d.low > 10
    samples, _ = projection.draws_for(late.setup, 400, projection.DEFAULT_SEED)
    assert samples["projects.pac_mieu_supply.commissioning_month"].min() >= 12  # never in 2026
    y = base.mc.years.index(2026)
    b, a = base.mc.province_coverage_pct[:, y], late.mc.province_coverage_pct[:, y]
    assert np.percentile(a, 95) < np.percentile(b, 50) - 0.3
    assert np.percentile(a, 95) - np.percentile(a, 5) < 0.5 * (np.percentile(b, 95) - np.percentile(b, 5))
    # the loss target: the late systems no longer run in most draws, the probability moves with them
    assert (late.mc.active[:, y, late.setup.inputs.system_ids.index("pac_mieu")]).mean() == 0
    assert (base.mc.active[:, y, base.setup.inputs.system_ids.index("pac_mieu")]).mean() > 0.5


# ----------------------------------------------------------------------------- per-assumption random streams (16.12)


EXTRA_LEAF = """
  extra_uncertain:
    value: 0.5
    unit: fraction
    description: An assumption added to the tree.
    reference: "assumption: test"
    min: 0
    max: 1
    distribution: {kind: uniform, low: 0, high: 1}
"""


def test_adding_an_assumption_leaves_every_other_draw_unchanged(tmp_path):
    text = DEFAULTS.read_text(encoding="utf-8")
    # 'demand.extra_uncertain' sorts between the demand leaves, so a shared generator would shift what follows
    (tmp_path / "more.yaml").write_text(text.replace("\nsupply:\n", EXTRA_LEAF + "supply:\n"), encoding="utf-8")
    before = sc.sample_all(sc.load_scenario(None, defaults_path=DEFAULTS), 500, 7)
    after = sc.sample_all(sc.load_scenario(None, defaults_path=tmp_path / "more.yaml"), 500, 7)
    assert set(after) - set(before) == {"demand.extra_uncertain"}
    for path, draws in before.items():
        np.testing.assert_array_equal(after[path], draws, err_msg=path)


def test_changing_one_assumption_leaves_the_others_draws_unchanged():
    """Fixing the first uncertain assumption (in path order) or widening another moves only their own draws."""
    base = sc.sample_all(sc.load_scenario(None, defaults_path=DEFAULTS), 500, 11)
    other = sc.sample_all(sc.load_scenario(None, ["demand.per_capita_lpd.distribution=null",
                                                  "supply.loss_fraction.distribution.alpha=9"], defaults_path=DEFAULTS), 500, 11)
    assert list(base)[0] == "demand.per_capita_lpd" and "demand.per_capita_lpd" not in other
    assert not np.array_equal(base["supply.loss_fraction"], other["supply.loss_fraction"])
    for path in set(base) - {"demand.per_capita_lpd", "supply.loss_fraction"}:
        np.testing.assert_array_equal(base[path], other[path], err_msg=path)


def test_streams_are_distinct_and_follow_the_seed():
    a, b = sc.stream(7, "a.b").random(20_000), sc.stream(7, "a.c").random(20_000)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.05
    np.testing.assert_array_equal(a, sc.stream(7, "a.b").random(20_000))
    assert not np.array_equal(a, sc.stream(8, "a.b").random(20_000))


def test_scenarios_share_the_draws_of_what_they_do_not_change(package):
    """Common random numbers: population growth and every untouched assumption draw the same numbers."""
    base = projection.setup(package, sc.load_scenario(BASELINE))
    other = projection.setup(package, sc.load_scenario(REPO / "analysis" / "scenarios" / "ambitious.yaml"))
    s1, g1 = projection.draws_for(base, 300, 5)
    s2, g2 = projection.draws_for(other, 300, 5)
    np.testing.assert_array_equal(g1, g2)
    changed = {c.path for c in other.scenario.changes}
    untouched = set(s1) - changed
    assert len(untouched) > 10
    for path in untouched:
        np.testing.assert_array_equal(s1[path], s2[path], err_msg=path)
