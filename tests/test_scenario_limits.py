"""Physical limits belong to the model (issue 10 item 3): no scenario, defaults file or --set passes them,
and no accepted override takes the projection out of the physical domain."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capnuoc_model.data.errors import CapnuocInputError
from capnuoc_model.model import projection
from capnuoc_model.model import scenario as sc
from capnuoc_model.model.limits import physical_limit

from .conftest import REPO, examples, run_cli

BASELINE = REPO / "analysis" / "scenarios" / "baseline.yaml"
DEFAULTS = REPO / "analysis" / "assumptions" / "defaults.yaml"
ISSUE_CHAIN = ["demand.max_coverage_pct.max=500", "demand.max_coverage_pct=500", "uptake.final_share.max=5",
               "uptake.final_share.distribution=null", "uptake.final_share=5"]
TOL = 1e-9


@pytest.mark.slow
def test_the_issues_chain_is_rejected_with_located_vietnamese_messages(tmp_path):
    args = [a for s in ISSUE_CHAIN for a in ("--set", s)]
    result = run_cli("check", "--draws", "100", *args)
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    err = result.stderr
    assert "--set:1:demand.max_coverage_pct.max: max 500 vượt giới hạn vật lý: tỷ lệ bao phủ không vượt quá 100 %" in err
    assert "--set:3:uptake.final_share.max: max 5 vượt giới hạn vật lý" in err
    assert "CÓ" not in result.stdout and "108" not in result.stdout


@pytest.mark.parametrize("sets, where", [
    (["demand.max_coverage_pct.max=101"], "demand.max_coverage_pct.max"),
    (["uptake.final_share.min=-0.1"], "uptake.final_share.min"),
    (["projects.pac_mieu_supply.commissioning_month.min=-3"], "projects.pac_mieu_supply.commissioning_month.min"),
    (["projects.pac_mieu_supply.capacity_m3_per_day.min=-1"], "projects.pac_mieu_supply.capacity_m3_per_day.min"),
    (["losses.floor_pct.max=100"], "losses.floor_pct.max"),
    (["demand.max_utilisation_pct.min=0", "demand.max_utilisation_pct=0"], "demand.max_utilisation_pct.min"),
    (["projects.tan_giang_network.real_loss_cut_pct.max=101"], "projects.tan_giang_network.real_loss_cut_pct.max"),
    (["losses.apparent_loss_position.max=1.5"], "losses.apparent_loss_position.max"),
])
def test_overrides_beyond_a_physical_limit_are_rejected(sets, where):
    with pytest.raises(CapnuocInputError) as info:
        sc.load_scenario(BASELINE, sets)
    assert any(v.column == where and "giới hạn vật lý" in v.problem for v in info.value.violations), info.value.render()


def test_the_defaults_file_cannot_widen_a_physical_limit_either(tmp_path):
    text = DEFAULTS.read_text(encoding="utf-8")
    old = "  final_share:\n    value: 0.9\n    unit: fraction\n    min: 0\n    max: 1\n"
    assert old in text
    (tmp_path / "defaults.yaml").write_text(text.replace(old, old.replace("max: 1", "max: 5")), encoding="utf-8")
    with pytest.raises(CapnuocInputError) as info:
        sc.load_defaults(tmp_path / "defaults.yaml")
    [violation] = info.value.violations
    assert violation.column == "uptake.final_share.max" and "giới hạn vật lý" in violation.problem
    assert violation.row == text[: text.index(old)].count("\n") + 1 + old.count("\n") - 1


def test_every_numeric_assumption_of_the_model_has_a_physical_limit():
    """New assumptions must say what their domain is (a year is bounded by the data, not by physics)."""
    tree = sc.load_defaults(DEFAULTS)
    missing = [p for p in tree.paths() if isinstance(tree.value(p), (int, float)) and not isinstance(tree.value(p), bool)
               and tree.get(p).unit != "year" and physical_limit(p, tree.get(p).unit) is None]
    assert missing == []


# ----------------------------------------------------------------------------- property test


TREE = sc.load_defaults(DEFAULTS)
NUMERIC = [p for p in TREE.paths() if isinstance(TREE.value(p), (int, float)) and not isinstance(TREE.value(p), bool)]
NUMBERS = st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from([-5, -1, -0.5, 0, 0.5, 1, 1.5, 5, 12, 48, 99, 100,
                                                                           101, 130, 500, 1e12, -1e12, 1e308]))


@st.composite
def overrides(draw) -> list[str]:
    out = []
    for _ in range(draw(st.integers(1, 5))):
        path = draw(st.sampled_from(NUMERIC))
        leaf = TREE.get(path)
        fields = ["", ".min", ".max", ".distribution=null"]
        if leaf.distribution is not None:
            fields += [f".distribution.{f}" for f in type(leaf.distribution).model_fields if f != "kind"]
        field = draw(st.sampled_from(fields))
        out.append(path + field if field.endswith("null") else f"{path}{field}={draw(NUMBERS)!r}")
    return out


def _inside(values: np.ndarray, limit) -> bool:
    values = np.asarray(values, float)
    return bool(np.all([limit.contains(float(v)) for v in np.unique(values)]))


@pytest.mark.slow
@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sets=overrides())
def test_accepted_overrides_never_leave_the_physical_domain(package, sets):
    try:
        scenario = sc.load_scenario(BASELINE, sets)
    except CapnuocInputError as error:
        assert all(v.file == "--set" and v.row is not None for v in error.violations)
        return
    # every value and every draw lies inside its physical limit
    samples = sc.sample_all(scenario, 200, 3)
    for path in NUMERIC:
        limit = physical_limit(path, scenario.get(path).unit)
        if limit is not None:
            assert limit.contains(float(scenario.value(path))), path
            if path in samples:
                assert _inside(samples[path], limit), path
    s = projection.setup(package, scenario)
    for r in (projection.deterministic(s), projection.monte_carlo(s, 200, 3)):
        _assert_physical(r)


def _assert_physical(r) -> None:
    finite = [r.population, r.served, r.production, r.billed, r.real_loss, r.apparent_loss, r.capacity, r.unserved]
    assert all(np.isfinite(a).all() for a in finite)
    assert np.all(r.population > 0) and np.all(r.served >= -TOL) and np.all(r.served <= r.population * (1 + 1e-12))
    cov = r.province_coverage_pct
    assert np.all((cov >= -TOL) & (cov <= 100 + TOL))
    assert np.all(r.billed >= -TOL) and np.all(r.real_loss >= -TOL) and np.all(r.apparent_loss >= -TOL)
    assert np.all(r.production >= r.billed - TOL)
    assert np.all(r.production[:, 1:] <= r.production_limit[:, 1:] * (1 + 1e-12) + TOL)
    assert np.all(r.capacity >= 0) and np.all(r.unserved >= 0)
    with np.errstate(invalid="ignore"):
        loss = r.loss_pct
    running = np.isfinite(loss)
    assert np.all((loss[running] >= -TOL) & (loss[running] < 100))


def test_a_distribution_without_min_and_max_is_held_to_the_physical_limit(tmp_path):
    text = DEFAULTS.read_text(encoding="utf-8")
    old = "    unit: fraction\n    min: 0\n    max: 1\n    description: Share of a project's stated beneficiaries"
    assert old in text
    changed = text.replace(old, old.replace("    min: 0\n    max: 1\n", ""))
    (tmp_path / "defaults.yaml").write_text(changed, encoding="utf-8")
    sc.load_defaults(tmp_path / "defaults.yaml")  # triangular(0,7; 0,9; 1) stays inside [0, 1]
    with pytest.raises(CapnuocInputError) as info:
        sc.load_scenario(None, ["uptake.final_share.distribution.high=1.2"], defaults_path=tmp_path / "defaults.yaml")
    [violation] = info.value.violations
    assert violation.column == "uptake.final_share.distribution.high" and "giới hạn vật lý" in violation.problem
    # a value moved to the limit is clipped there, not beyond
    moved = sc.load_scenario(None, ["uptake.final_share=1"], defaults_path=tmp_path / "defaults.yaml")
    assert sc.support(moved.get("uptake.final_share").distribution) == (pytest.approx(0.8), 1)
