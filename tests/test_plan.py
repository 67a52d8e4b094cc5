"""The plan as data (capnuoc_model.data.plan): plan.yaml and the targets, checked with the package; the plan's API and its rules."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from capnuoc_model.data import io
from capnuoc_model.data import plan as plan_module
from capnuoc_model.data.errors import CapnuocInputError

from .conftest import edit_cell, examples, some_cases_fast


def _problems(data_dir) -> list[str]:
    with pytest.raises(CapnuocInputError) as caught:
        io.load_package(data_dir)
    return [str(v) for v in caught.value.violations]


def _edit_plan(data_dir, change) -> None:
    path = data_dir / "plan.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


# ---------------------------------------------------------------------------- the API on the shipped package


def test_the_shipped_plan(package):
    plan = package.plan
    assert (plan.base_year, plan.plan_year, plan.horizon_year) == (2025, 2026, 2030)
    assert plan.years == (2025, 2026, 2027, 2028, 2029, 2030)
    assert plan.province_vi == "Cao Bằng" and plan.source == "plan2026"
    coverage, loss = plan.target("coverage"), plan.target("loss")
    assert (coverage.comparator, coverage.low, coverage.high, coverage.baseline_value) == ("at_least", 87.4, None, 81.9)
    assert (loss.comparator, loss.low, loss.high, loss.baseline_value) == ("at_most", None, 15.0, 17.9)
    assert "system" in loss.applies_to and "province" in loss.applies_to  # §V.2: each system to 15 % too
    assert plan.target("supply_hours").text() == "20–24 giờ/ngày"
    assert coverage.text() == "≥ 87,4 %" and loss.text() == "≤ 15 %"
    assert "87,4" in coverage.wording_vi
    assert plan.loss_threshold_pct == 15.0
    assert plan.section("targets") == "Mục III.3" and plan.cite("loss_measures") == "§V.2"
    assert plan.deadline_text == "15/11/2026"
    assert plan.extension_assumptions["low_utilisation"] == "extension.low_utilisation_gap_closed_per_year"
    assert "no_system" not in plan.extension_assumptions
    assert plan.demand_assumptions["centre"] == "demand.centre_domestic_l_per_person_day"
    assert plan.evaluation_example.name == "thuc_hien_2026_minh_hoa"
    with pytest.raises(KeyError):
        plan.target("unknown")


def test_months_count_from_the_first_projected_year(package):
    plan = package.plan
    assert plan.month_end(2026) == 12 and plan.month_end(2030) == 60
    assert plan.month_text(9) == "tháng 10/2026"
    assert plan.month_text(11.7) == "tháng 12/2026"  # the month it falls in (16.13)
    assert plan.month_text(12) == "tháng 1/2027"
    assert plan.month_of("2026-10-01") == 9


# ---------------------------------------------------------------------------- one comparison rule (16.11)


def _printed_by_decimal(value: float) -> float:
    return float(Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@settings(max_examples=examples(400), deadline=None)
@given(st.floats(min_value=-1000, max_value=1000, allow_nan=False, allow_infinity=False))
def test_printed_is_what_the_documents_print(value):
    """The vectorised rounding agrees with the documents' (fmt.vn: Decimal of the value's text, half up)."""
    assert plan_module.printed(value) == _printed_by_decimal(value)


@settings(max_examples=examples(200), deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_ties_round_away_from_zero(tenths):
    value = tenths / 10 + 0.05  # 87,35 is stored as 87,3499…; it prints 87,4
    assert plan_module.printed(value) == _printed_by_decimal(value)


def test_one_rule_for_projection_and_evaluation(package):
    from capnuoc_model.evaluation import evaluation as ev

    plan = package.plan
    values = np.array([87.34, 87.35, 87.36, 87.4, 90.0, np.nan])
    expected = [False, True, True, True, True, False]
    assert list(plan.meets("coverage", values)) == expected
    assert [ev.meets(v, low=87.4) for v in values[:-1]] == expected[:-1]
    assert ev.meets(np.nan, low=87.4) is None  # missing: no status, not "not met"
    assert list(plan.meets("loss", np.array([14.9, 15.04, 15.05, 15.1]))) == [True, True, False, False]
    assert plan.meets("supply_hours", 19.96) and not plan.meets("supply_hours", 19.94)


# ---------------------------------------------------------------------------- validation of plan.yaml


def test_missing_plan_file(data_copy):
    (data_copy / "plan.yaml").unlink()
    assert any("plan.yaml: tệp bị thiếu" in m for m in _problems(data_copy))


@pytest.mark.parametrize("change, fragment", some_cases_fast([
    (lambda d: d["years"].update(plan=2024), "years: base 2025, plan 2024, horizon 2030 (cần: base < plan ≤ horizon"),
    (lambda d: d["years"].update(horizon=2025), "base < plan ≤ horizon"),
    (lambda d: d.update(source="no_such_source"), "source: mã nguồn không có trong sources.csv 'no_such_source'"),
    (lambda d: d.update(colour="blue"), "colour: khóa không biết 'colour'"),
    (lambda d: d.pop("years"), "years: thiếu giá trị"),
    (lambda d: d["years"].update(base="2025"), "years.base: giá trị không hợp lệ '2025'"),
    (lambda d: d["sections"].update(targets="3.3"), "không phải số mục dạng III.3"),
    (lambda d: d["sections"].pop("tasks"), "thiếu khóa: tasks"),
    (lambda d: d.update(report_deadline="November"), "report_deadline: giá trị không hợp lệ 'November'"),
    (lambda d: d.update(evaluation_example="examples/nowhere"), "evaluation_example: không tìm thấy 'examples/nowhere'"),
], 4))
def test_plan_file_problems_are_located(data_copy, change, fragment):
    _edit_plan(data_copy, change)
    problems = _problems(data_copy)
    assert any(m.startswith(f"{data_copy / 'plan.yaml'}") and fragment in m for m in problems), problems


def test_a_plan_file_that_is_not_yaml(data_copy):
    (data_copy / "plan.yaml").write_text("years: [2025,\n", encoding="utf-8")
    assert any("plan.yaml" in m and "không đọc được tệp YAML" in m for m in _problems(data_copy))


def test_plan_problems_come_with_the_tables_problems(data_copy):
    _edit_plan(data_copy, lambda d: d.update(colour="blue"))
    edit_cell(data_copy / "urban_areas.csv", "area_id", "hoa_an", "population_base_persons", "abc")
    problems = _problems(data_copy)
    assert any("colour" in m for m in problems) and any("population_base_persons" in m for m in problems)


# ---------------------------------------------------------------------------- validation of the targets


@pytest.mark.parametrize("target, column, value, fragment", some_cases_fast([
    ("coverage", "target_min", "-5", "giá trị không thể có -5 (cần: một số từ 0 đến 100"),
    ("coverage", "target_min", "1e308", "'1e308' quá lớn"),  # rejected when the table is read (no number that large)
    ("coverage", "target_min", "120", "giá trị không thể có 120"),
    ("loss", "target_max", "-0.5", "giá trị không thể có -0.5"),
    ("loss", "baseline_value", "250", "giá trị không thể có 250"),
    ("supply_hours", "target_max", "30", "giá trị không thể có 30 (cần: một số từ 0 đến 24"),
    ("supply_hours", "target_min", "25", "target_min 25 lớn hơn target_max 24"),
    ("coverage", "comparator", "at_most", "'at_most' không khớp với target_min/target_max"),
    ("coverage", "year", "2027", "năm 2027 khác năm kế hoạch 2026 của plan.yaml"),
    ("loss", "baseline_year", "2024", "năm 2024 khác năm hiện trạng 2025"),
    ("loss", "unit", "pct_population", "đơn vị 'pct_population' không đúng với mục tiêu 'loss'"),
    ("loss", "applies_to", "province;operator", "'operator' không áp dụng được cho mục tiêu 'loss'"),
    ("water_quality", "target_id", "drinking_water", "mã mục tiêu không được mô hình hỗ trợ 'drinking_water'"),
], 5))
def test_impossible_or_unknown_targets_are_located(data_copy, target, column, value, fragment):
    line = edit_cell(data_copy / "targets_province.csv", "target_id", target, column, value)
    problems = _problems(data_copy)
    located = f"{data_copy / 'targets_province.csv'}:{line}:{column}: "
    assert any(m.startswith(located) and fragment in m for m in problems), problems


def test_the_projection_needs_a_coverage_and_a_loss_target(data_copy):
    path = data_copy / "targets_province.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("loss,")), encoding="utf-8")
    assert any("thiếu mục tiêu 'loss'" in m for m in _problems(data_copy))


def test_area_targets_are_for_the_plan_year(data_copy):
    line = edit_cell(data_copy / "targets_area.csv", "area_id", "hoa_an", "year", "2027")
    assert any(m.startswith(f"{data_copy / 'targets_area.csv'}:{line}:year:") for m in _problems(data_copy))


def test_a_group_naming_an_unknown_assumption_is_located(package, data_copy):
    from capnuoc_model.model import projection
    from capnuoc_model.model.scenario import load_scenario

    edit_cell(data_copy / "orientation_groups.csv", "group_id", "low_utilisation", "extension_assumption", "extension.typo_rate")
    changed = io.load_package(data_copy)  # a valid path shape: the scenario decides whether it exists
    with pytest.raises(CapnuocInputError) as caught:
        projection.setup(changed, load_scenario(io.REPO_ROOT / "analysis" / "scenarios" / "baseline.yaml"))
    message = str(caught.value.violations[0])
    assert "orientation_groups.csv" in message and "extension_assumption" in message and "extension.typo_rate" in message
