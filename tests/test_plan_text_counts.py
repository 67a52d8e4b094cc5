"""Issue 12 item 4: nothing invented, counts add up.

The plan's table of groups shows only the groups the plan's orientation section names (a grouping the model adds
is said to be the model's), and the operators' table counts works as the plan's text does: its total is the
text's "14 công trình", each operator's count the text's count for it (the company's 10, the centre's 02)."""

from __future__ import annotations

import re
import types

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capnuoc_model.model.baseline import system_state
from capnuoc_model.publish import report_tables as rt

from .conftest import examples, report_inputs


@pytest.fixture(scope="module")
def ctx(report_inputs_cache):
    return report_inputs(report_inputs_cache)


def _orientation_text(ctx) -> str:
    """§IV.1 of the plan's own text: from its heading to the next heading."""
    text = "\n\n".join(ctx.plan.text.paragraphs())
    start = text.index("### 1. Định hướng theo khu vực đô thị")
    return text[start:text.index("###", start + 4)]


def test_the_groups_table_shows_only_the_plans_groups_and_the_areas_it_names(ctx):
    groups = ctx.package.orientation_groups.set_index("group_id")
    orientation = _orientation_text(ctx)
    table = rt.groups(ctx)
    plan_labels = set(groups.loc[groups["in_plan"].astype(bool), "label_vi"])
    assert set(table["Nhóm đô thị"]) == plan_labels
    for label in table["Nhóm đô thị"]:
        assert label.lower() in orientation.lower(), label
    for names in table["Đô thị"]:
        for name in names.split(", "):
            assert name in orientation, f"{name} is not in the plan's groups"
    assert "Trà Lĩnh" not in " ".join(table["Đô thị"]) and "Bảo Lâm" not in " ".join(table["Đô thị"])


def test_areas_outside_the_plans_groups_are_named_as_the_models_assumption(ctx):
    groups = ctx.package.orientation_groups.set_index("group_id")
    text = rt.model_groups(ctx)
    assert "giả định của mô hình" in text and "không phải nhóm của Kế hoạch" in text
    outside = ctx.areas[~ctx.areas["orientation_group"].map(groups["in_plan"]).astype(bool)]
    assert {"Trà Lĩnh", "Bảo Lâm"} <= set(outside["name_vi"])
    assert all(name in text for name in outside["name_vi"])


def _plan_counts(ctx) -> tuple[int, dict[str, int]]:
    """The text's total ("hiện có 14 công trình") and each operator's count ("… vận hành, khai thác 10 công trình";
    without a number, one work)."""
    paragraph = next(p for p in ctx.plan.text.paragraphs() if "vận hành, khai thác" in p)
    total = int(re.search(r"hiện có (\d+) công trình", paragraph).group(1))
    counts = {}
    for name in ctx.package.operators["name_vi"]:
        found = re.search(re.escape(name) + r" vận hành, khai thác (\d+)?", paragraph)
        assert found, name
        counts[name] = int(found.group(1)) if found.group(1) else 1
    return total, counts


def test_the_operators_table_counts_works_as_the_plans_text(ctx):
    table = rt.operators(ctx)
    total, per_operator = _plan_counts(ctx)
    assert table["Đơn vị cấp nước"].iloc[-1] == "Toàn tỉnh"
    assert table["Số công trình"].iloc[-1] == total == sum(table["Số công trình"].iloc[:-1])
    assert dict(zip(table["Đơn vị cấp nước"].iloc[:-1], table["Số công trình"].iloc[:-1])) == per_operator


def test_the_note_explains_the_stations_of_one_work_and_the_works_without_output(ctx):
    note = rt.operators_note(ctx)
    assert "tổ 4 Trùng Khánh" in note and "tổ 13 Trùng Khánh" in note
    assert "Trà Lĩnh (ngừng cấp nước)" in note


@settings(max_examples=examples(15), deadline=None)
@given(st.data())
def test_splitting_a_work_into_stations_keeps_the_count(package, data):
    """The class: however many stations the data package splits a work into, the table counts the plan's works."""
    systems = package.systems.copy()
    work = systems["plan_work"].where(systems["plan_work"].notna(), systems["system_id"])
    systems["plan_work"] = work
    operating = systems[(systems["status"] == "operating") & systems["operator_id"].notna()]
    row = operating.iloc[data.draw(st.integers(0, len(operating) - 1))]
    pieces = data.draw(st.integers(2, 4))
    extra = pd.DataFrame([row] * (pieces - 1))
    extra["system_id"] = [f"{row['system_id']}_tram_{i}" for i in range(pieces - 1)]
    split = pd.concat([systems, extra], ignore_index=True)
    fake = types.SimpleNamespace(package=types.SimpleNamespace(systems=split, operators=package.operators,
                                                               plan=package.plan),
                                 systems=system_state(types.SimpleNamespace(systems=split, operators=package.operators,
                                                                            plan=package.plan)))
    before = types.SimpleNamespace(package=package, systems=system_state(package))
    assert list(rt.operators(fake)["Số công trình"]) == list(rt.operators(before)["Số công trình"])
