"""Issue 12 item 5: in Biểu 01-04 and the tables built from them, the estimated cells are marked (italics and "*",
with the legend), and the cells marked are exactly those the data package's provenance columns record as
estimates, or computed from one."""

from __future__ import annotations

import json
import re
import types

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capnuoc_model.data.io import REPO_ROOT
from capnuoc_model.publish import notebook_output as show
from capnuoc_model.publish import report_tables as rt

from .conftest import examples, report_inputs

SYSTEM_COLUMNS = ("design_capacity_m3_per_day", "production_m3_per_day", "billed_m3_per_day")
AREA_COLUMNS = ("population_base_persons", "served_base_persons")


@pytest.fixture(scope="module")
def ctx(report_inputs_cache):
    return report_inputs(report_inputs_cache)


def _with_sources(ctx, systems_given: dict, areas_given: dict, targets_given: set):
    """``ctx`` whose package records the listed (id, column) values as given (a published source), not estimated."""
    package = ctx.package
    systems, areas, targets = package.systems.copy(), package.urban_areas.copy(), package.targets_area.copy()
    for (sid, column) in systems_given:
        systems.loc[systems["system_id"] == sid, f"{column}_source"] = "plan2026"
    for (aid, column) in areas_given:
        areas.loc[areas["area_id"] == aid, f"{column}_source"] = "plan2026"
    targets.loc[targets["area_id"].isin(targets_given), "source"] = "plan2026"
    fake_package = types.SimpleNamespace(systems=systems, urban_areas=areas, targets_area=targets,
                                         operators=package.operators, plan=package.plan)
    return types.SimpleNamespace(package=fake_package, systems=ctx.systems, areas=ctx.areas, plan=ctx.plan,
                                 table=ctx.table)


def _estimated(table: pd.DataFrame, key: str, column: str) -> pd.Series:
    return table.set_index(key)[f"{column}_source"].astype(str).str.startswith("estimate:")


@settings(max_examples=examples(12), deadline=None)
@given(st.data())
def test_the_marked_cells_are_exactly_the_estimated_values(ctx, data):
    running = list(ctx.systems.loc[ctx.systems["status"] == "operating", "system_id"])
    area_ids = list(ctx.areas["area_id"])
    systems_given = data.draw(st.sets(st.tuples(st.sampled_from(running), st.sampled_from(SYSTEM_COLUMNS)), max_size=12))
    areas_given = data.draw(st.sets(st.tuples(st.sampled_from(area_ids), st.sampled_from(AREA_COLUMNS)), max_size=12))
    targets_given = data.draw(st.sets(st.sampled_from(area_ids), max_size=8))
    fake = _with_sources(ctx, systems_given, areas_given, targets_given)
    s = {c: _estimated(fake.package.systems, "system_id", c).loc[running].to_numpy() for c in SYSTEM_COLUMNS}
    a = {c: _estimated(fake.package.urban_areas, "area_id", c).loc[area_ids].to_numpy() for c in AREA_COLUMNS}
    cap, prod, billed = s["design_capacity_m3_per_day"], s["production_m3_per_day"], s["billed_m3_per_day"]
    pop, served = a["population_base_persons"], a["served_base_persons"]

    b1 = rt.bieu01_estimated(fake)
    assert b1.shape == rt.bieu01(fake).shape
    assert not b1.iloc[:, :2].to_numpy().any()
    np.testing.assert_array_equal(b1.iloc[:, 2], cap)
    np.testing.assert_array_equal(b1.iloc[:, 3], prod)
    np.testing.assert_array_equal(b1.iloc[:, 4], cap | prod)

    b2 = rt.bieu02_estimated(fake)
    assert not b2.iloc[:, 0].any()
    np.testing.assert_array_equal(b2.iloc[:, 1], prod)
    np.testing.assert_array_equal(b2.iloc[:, 2], billed)
    np.testing.assert_array_equal(b2.iloc[:, 4], prod | billed)
    assert (b2.iloc[:, 6] == (prod | billed).any()).all()

    b3 = rt.bieu03_estimated(fake)
    assert not b3.iloc[:, 0].any()
    np.testing.assert_array_equal(b3.iloc[:, 1], pop)
    np.testing.assert_array_equal(b3.iloc[:, 2], served)
    np.testing.assert_array_equal(b3.iloc[:, 3], pop | served)

    b4 = rt.bieu04_estimated(fake)
    order = list(rt.bieu04_frame(fake)["area_id"])
    position = {aid: i for i, aid in enumerate(area_ids)}
    np.testing.assert_array_equal(b4.iloc[:, 1], [(pop | served)[position[x]] for x in order])
    np.testing.assert_array_equal(b4.iloc[:, 2], [x not in targets_given for x in order])
    assert not b4.iloc[:, 3:].to_numpy().any()  # the simulation's forecast is not a data estimate

    projection = rt.population_projection_estimated(fake)
    np.testing.assert_array_equal(projection[f"{ctx.plan.base_year} (người)"], pop)
    assert projection.drop(columns=f"{ctx.plan.base_year} (người)").to_numpy().sum() == 0

    ops = rt.operators_estimated(fake)
    assert not ops.iloc[:, :2].to_numpy().any()
    assert ops.iloc[-1, 2] == prod.any() and ops.iloc[-1, 3] == (prod | billed).any()


def test_every_value_of_the_shipped_bieu_is_an_estimate(ctx):
    """Today every volume, population and per-area target of the package is estimated: every such cell is marked."""
    for name in ("bieu01", "bieu02", "bieu03"):
        mask = getattr(rt, f"{name}_estimated")(ctx)
        assert mask.iloc[:, 1 if name != "bieu01" else 2:].to_numpy().all(), name


@settings(max_examples=examples(25), deadline=None)
@given(st.data())
def test_the_marks_are_rendered_in_markdown_and_html_exactly_where_estimated(data):
    rows, cols = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 4))
    values = data.draw(st.lists(st.lists(st.integers(0, 99999), min_size=cols, max_size=cols), min_size=rows, max_size=rows))
    frame = show.format_frame(pd.DataFrame(values, columns=[f"Cột {i}" for i in range(cols)]))
    mask = pd.DataFrame(np.array(data.draw(st.lists(st.lists(st.booleans(), min_size=cols, max_size=cols),
                                                    min_size=rows, max_size=rows))), columns=frame.columns)
    out = show.TableOutput(frame, "Bảng 1.1", "Thử", [True] * cols, show.ESTIMATE_LEGEND, estimated=mask)
    body = [line for line in out._markdown().splitlines() if line.startswith("| ")][1:]
    for line, marks in zip(body, mask.to_numpy()):
        cells = [c.strip() for c in line.strip("| ").split(" | ")]
        assert [bool(re.fullmatch(r"\*[^*]+\*\\\*", c)) for c in cells] == list(marks)
    html_rows = re.findall(r"<tr>(.*?)</tr>", out._html())[1:]
    for row, marks in zip(html_rows, mask.to_numpy()):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        assert [c.startswith("<em>") and c.endswith("</em>*") for c in cells] == list(marks)


def test_the_legend_comes_with_the_marks_only():
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401 - display() needs IPython

    frame = pd.DataFrame({"A (người)": [1, 2]})
    shown = []
    import IPython.display

    real = IPython.display.display
    IPython.display.display = shown.append
    try:
        show.table(frame, "Thử", estimated=pd.DataFrame({"A (người)": [True, False]}))
        show.table(frame, "Thử", estimated=pd.DataFrame({"A (người)": [False, False]}))
    finally:
        IPython.display.display = real
    assert show.ESTIMATE_LEGEND in shown[0].note and not shown[1].note


@pytest.mark.parametrize("notebook, functions", [
    ("01_hien_trang.ipynb", ("operators", "bieu01", "bieu02", "bieu03")),
    ("02_muc_tieu.ipynb", ("bieu04",)),
    ("05_du_bao.ipynb", ("population_projection",)),
])
def test_the_plan_shows_each_bieu_with_its_estimates(notebook, functions):
    source = "".join("".join(c["source"]) for c in json.loads(
        (REPO_ROOT / "notebooks" / notebook).read_text(encoding="utf-8"))["cells"])
    for name in functions:
        call = source.index(f"rt.{name}(ctx)")
        assert f"estimated=rt.{name}_estimated(ctx)" in source[call:call + 400], name
