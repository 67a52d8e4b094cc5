"""Issue 12 item 7: "Dự báo" is always the median of the draws with its khoảng dự báo 90 %, per area too,
so that a forecast never sits beside a probability of meeting the target that contradicts it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from capnuoc_model.data.io import REPO_ROOT
from capnuoc_model.publish import report_tables as rt

from .conftest import report_inputs


@pytest.fixture(scope="module")
def ctx(report_inputs_cache):
    return report_inputs(report_inputs_cache)


def test_area_forecasts_agree_with_their_probabilities(ctx):
    """A forecast that meets its target comes with a probability of at least about one half, and the reverse."""
    frame = rt.bieu04_frame(ctx)
    plan = ctx.plan
    targets = ctx.table("targets")
    targets = targets[targets["indicator"] == "coverage_pct"].set_index("scope")
    for row in frame.itertuples():
        assert row.value == pytest.approx(targets.loc[row.area_id, "p50"])
        assert row.p5 - 1e-9 <= row.value <= row.p95 + 1e-9, row.name_vi
        meets = bool(plan.meets("coverage", row.value)) if np.isnan(row.target) else row.value >= row.target - 0.05
        if meets:
            assert row.p_meet >= 0.45, f"{row.name_vi}: forecast {row.value} meets {row.target} but p = {row.p_meet}"
        else:
            assert row.p_meet <= 0.55, f"{row.name_vi}: forecast {row.value} misses {row.target} but p = {row.p_meet}"


def test_province_and_system_forecasts_are_medians(ctx):
    province = ctx.table("province")
    table = rt.province_projection(ctx)
    assert np.allclose(table["Bao phủ, dự báo (%)"], province["coverage_p50"])
    assert np.allclose(table["Thất thoát, dự báo (%)"], province["loss_p50"])
    year = ctx.plan.plan_year
    systems = rt.systems_projection(ctx, year)
    running = ctx.table("systems")
    running = running[(running["year"] == year) & running["is_running"]]
    assert np.allclose(systems["Thất thoát, dự báo (%)"], running["loss_p50"], equal_nan=True)
    assert any("khoảng dự báo 90 %" in column for column in table.columns)


def test_the_notebooks_call_the_range_a_forecast_range():
    for path in sorted((REPO_ROOT / "notebooks").glob("0*.ipynb")):
        source = "".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"])
        assert "khoảng tin cậy 90" not in source and "khoảng 90 %" not in source, path.name
