"""The annual evaluation: statuses at the boundaries, missing values, the six targets, the projection error, the findings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from capnuoc_model import evaluation as ev
from capnuoc_model import io, runs
from capnuoc_model.actuals import ACTUALS_BY_NAME, RawActuals, validate_actuals
from capnuoc_model.context import BASELINE_SCENARIO
from capnuoc_model.scenario import load_scenario

from .conftest import DATA

YEAR = 2026
EXAMPLE = DATA / "examples" / "thuc_hien_2026_minh_hoa"


def reports(package, **tables: list[dict]) -> "ev.Actuals":
    """Reported tables from rows of values (as text, like a CSV file), through the same validation."""
    frames, labels = {}, {}
    for name, rows in tables.items():
        columns = [c.name for c in ACTUALS_BY_NAME[name].columns()]
        text = [{c: None if row.get(c) is None else str(row[c]) for c in columns} for row in ({"year": YEAR, **r} for r in rows)]
        frame = pd.DataFrame(text, columns=columns, dtype=object)
        frame.index = pd.Index(range(2, len(frame) + 2), name="line")
        frames[name], labels[name] = frame, f"{name}.csv"
    return validate_actuals(RawActuals(frames, labels, "test", "csv"), package, YEAR)


def all_areas(package, served: int, population: int = 10_000, **overrides) -> list[dict]:
    rows = [{"area_id": a, "population_persons": population, "served_persons": served} for a in package.urban_areas["area_id"]]
    for row in rows:
        row.update(overrides.get(row["area_id"], {}))
    return rows


def operating(package) -> list[str]:
    systems = package.systems
    return list(systems.loc[systems["status"] == "operating", "system_id"])


def all_systems(package, **columns) -> list[dict]:
    return [{"system_id": s, "volume_unit": "m3_per_day", **columns} for s in operating(package)]


def target(evaluation: ev.Evaluation, target_id: str) -> pd.Series:
    return evaluation.targets.set_index("target_id").loc[target_id]


# ---------------------------------------------------------------------------- rules


@pytest.mark.parametrize("value, low, high, expected", [
    (87.4, 87.4, None, True), (87.35, 87.4, None, True), (87.34999, 87.4, None, False), (87.3, 87.4, None, False),
    (15.0, None, 15.0, True), (15.04, None, 15.0, True), (15.05, None, 15.0, False),
    (20.0, 20, 24, True), (24.0, 20, 24, True), (19.94, 20, 24, False), (24.06, 20, 24, False),
    (None, 20, 24, None), (float("nan"), 87.4, None, None),
])
def test_meets_compares_the_printed_value(value, low, high, expected):
    assert ev.meets(value, low, high) is expected


def test_all_of():
    assert ev.all_of([True, True]) == ev.MET
    assert ev.all_of([True, None]) == ev.NOT_REPORTED
    assert ev.all_of([False, None]) == ev.NOT_MET
    assert ev.all_of([]) == ev.NOT_REPORTED


@pytest.mark.parametrize("now, before, expected", [
    (80.0, 75.0, ev.MET),  # inside 70-90 %
    (92.0, 95.0, ev.MET),  # moved towards the band
    (96.0, 95.0, ev.NOT_MET),  # moved away
    (60.0, 65.0, ev.NOT_MET),
    (65.0, 60.0, ev.MET),
    (90.0, 99.0, ev.MET),  # exactly on the edge of the band
    (np.nan, 80.0, ev.NOT_REPORTED),
    (50.0, np.nan, ev.NOT_APPLICABLE),  # a new system
])
def test_utilisation_rule(now, before, expected):
    assert ev._utilisation_status(now, before, True) == expected


def test_month_of_counts_like_the_projection(package):
    assert package.plan.month_of(pd.Timestamp("2026-10-01")) == 9
    assert package.plan.month_of(pd.Timestamp("2026-01-01")) == 0
    assert package.plan.month_text(9) == "tháng 10/2026"


# ---------------------------------------------------------------------------- the six targets at their boundaries


@pytest.mark.parametrize("served, expected", [(8740, ev.MET), (8735, ev.MET), (8734, ev.NOT_MET)])
def test_coverage_exactly_on_target_is_met(package, served, expected):
    evaluation = ev.evaluate(package, reports(package, area_results=all_areas(package, served)))
    row = target(evaluation, "coverage")
    assert row["value"] == pytest.approx(served / 100)
    assert row["status"] == expected


@pytest.mark.parametrize("billed, expected", [(850, ev.MET), (849.6, ev.MET), (849.5, ev.NOT_MET), (849, ev.NOT_MET)])
def test_loss_exactly_on_target_is_met(package, billed, expected):
    evaluation = ev.evaluate(package, reports(package, system_results=all_systems(
        package, production_volume=1000, billed_volume=billed)))
    assert target(evaluation, "loss")["status"] == expected


@pytest.mark.parametrize("hours, expected", [(20, ev.MET), (24, ev.MET), (19.95, ev.MET), (19.94, ev.NOT_MET)])
def test_supply_hours_on_the_edge(package, hours, expected):
    evaluation = ev.evaluate(package, reports(package, system_results=all_systems(package, supply_hours_per_day=hours)))
    assert target(evaluation, "supply_hours")["status"] == expected


def test_area_exactly_on_its_bieu04_target(package):
    targets = package.targets_area.set_index("area_id")["coverage_target_pct"]
    assert targets["hoa_an"] == 98.0
    evaluation = ev.evaluate(package, reports(package, area_results=[
        {"area_id": "hoa_an", "population_persons": 1000, "served_persons": 980},
        {"area_id": "dong_khe", "population_persons": 1000, "served_persons": 979},
    ]))
    areas = evaluation.areas.set_index("area_id")
    assert areas.at["hoa_an", "status"] == ev.MET and areas.at["hoa_an", "gap_pct_points"] == 0
    assert areas.at["dong_khe", "status"] == ev.NOT_MET and areas.at["dong_khe", "gap_pct_points"] == pytest.approx(0.1)


def test_the_hundred_percent_targets(package):
    ids = operating(package)
    rows = [{"system_id": s, "is_quality_published": "có", "has_safe_supply_plan": "có"} for s in ids]
    evaluation = ev.evaluate(package, reports(package, system_results=rows))
    assert target(evaluation, "water_quality")["status"] == ev.MET
    assert target(evaluation, "safe_supply_plan")["status"] == ev.MET
    rows[0]["is_quality_published"] = None  # one system did not report
    rows[-1]["has_safe_supply_plan"] = None
    evaluation = ev.evaluate(package, reports(package, system_results=rows))
    assert target(evaluation, "water_quality")["status"] == ev.NOT_REPORTED
    assert target(evaluation, "safe_supply_plan")["status"] == ev.NOT_REPORTED
    rows[1]["is_quality_published"] = "không"  # one known "no" decides, whatever is missing
    rows[1]["has_safe_supply_plan"] = "không"
    evaluation = ev.evaluate(package, reports(package, system_results=rows))
    assert target(evaluation, "water_quality")["status"] == ev.NOT_MET
    assert target(evaluation, "safe_supply_plan")["status"] == ev.NOT_MET
    operators = evaluation.operators.set_index("operator_id")
    assert operators.at["cncb", "status"] == ev.NOT_MET


@pytest.mark.parametrize("served_elsewhere, expected", [(9990, ev.MET), (8000, ev.NOT_MET), (8800, ev.NOT_REPORTED)])
def test_coverage_with_a_missing_area_is_decided_only_when_it_cannot_change(package, served_elsewhere, expected):
    rows = all_areas(package, served_elsewhere, thuc_phan={"served_persons": None})
    evaluation = ev.evaluate(package, reports(package, area_results=rows))
    row = target(evaluation, "coverage")
    assert pd.isna(row["value"]) and row["value_low"] < row["value_high"]
    assert row["status"] == expected
    assert row["reported"] == 15 and row["expected"] == 16


def test_nothing_reported_means_no_status_and_no_zero(package):
    evaluation = ev.evaluate(package, reports(package))
    assert set(evaluation.targets["status"]) == {ev.NOT_REPORTED}
    assert evaluation.areas["coverage_pct"].isna().all()
    assert (evaluation.areas["status"] == ev.NOT_REPORTED).all()
    assert evaluation.systems.loc[evaluation.systems["is_in_scope"], "loss_status"].eq(ev.NOT_REPORTED).all()
    assert (evaluation.projects["timing_status"] == ev.NOT_REPORTED).all()
    assert (evaluation.tasks["status_vi"] == ev.NOT_REPORTED).all()


def test_missing_values_stay_missing_in_the_written_tables(package, tmp_path):
    rows = all_areas(package, 9000, thuc_phan={"served_persons": None})
    evaluation = ev.evaluate(package, reports(package, area_results=rows))
    io.write_tables(evaluation.tables(), tmp_path)
    written = pd.read_csv(tmp_path / "do_thi.csv", keep_default_na=False, dtype=str).set_index("area_id")
    assert written.at["thuc_phan", "served_persons"] == "" and written.at["thuc_phan", "coverage_pct"] == ""
    assert written.at["thuc_phan", "status"] == ev.NOT_REPORTED
    assert written.at["hoa_an", "served_persons"] != ""


def test_a_stopped_system_is_out_of_scope(package):
    rows = all_systems(package, production_volume=1000, billed_volume=900, supply_hours_per_day=24)
    rows.append({"system_id": "tra_linh", "status": "stopped"})
    evaluation = ev.evaluate(package, reports(package, system_results=rows))
    systems = evaluation.systems.set_index("system_id")
    assert not systems.at["tra_linh", "is_in_scope"]
    assert systems.at["tra_linh", "loss_status"] == ev.NOT_APPLICABLE
    assert target(evaluation, "supply_hours")["expected"] == len(operating(package))


def test_volumes_reported_per_year(package):
    rows = [{"system_id": "tan_an", "volume_unit": "m3_per_year", "production_volume": 365_000, "billed_volume": 310_250}]
    systems = ev.evaluate(package, reports(package, system_results=rows)).systems.set_index("system_id")
    assert systems.at["tan_an", "production_m3_per_day"] == pytest.approx(1000)
    assert systems.at["tan_an", "loss_pct"] == pytest.approx(15.0)


# ---------------------------------------------------------------------------- the shipped example against the projection


@pytest.fixture(scope="module")
def start(package) -> ev.StartOfYear:
    run = runs.full_run(package, load_scenario(io.resolve(BASELINE_SCENARIO), []), draws=200, with_sensitivity=False)
    return ev.start_of_year(run, YEAR)


@pytest.fixture(scope="module")
def example(package, start) -> ev.Evaluation:
    return ev.evaluate(package, io.load_actuals(EXAMPLE, package, YEAR), start)


def test_example_exercises_every_status(example):
    statuses = dict(zip(example.targets["target_id"], example.targets["status"]))
    assert statuses == {"coverage": ev.NOT_MET, "loss": ev.NOT_MET, "utilisation": ev.NOT_MET,
                        "water_quality": ev.MET, "safe_supply_plan": ev.NOT_REPORTED, "supply_hours": ev.NOT_MET}
    for frame, column in ((example.areas, "status"), (example.systems, "loss_status"), (example.systems, "hours_status"),
                          (example.projects, "timing_status"), (example.projects, "people_status")):
        assert {ev.MET, ev.NOT_MET} <= set(frame[column]), column
    assert ev.NOT_REPORTED in set(example.areas["status"]) and ev.NOT_REPORTED in set(example.systems["loss_status"])
    assert ev.NOT_REPORTED in set(example.projects["timing_status"])
    assert example.is_illustrative


def test_projection_error_splits_exactly(example):
    areas = example.areas.dropna(subset=["projection_error_pct_points"])
    parts = areas[[f"effect_{c}_pct_points" for c in ("population", "timing", "uptake", "other")]].fillna(0).sum(axis=1)
    np.testing.assert_allclose(parts, areas["projection_error_pct_points"], atol=1e-9)
    by_area = areas.set_index("area_id")
    assert by_area.at["bao_lam", "effect_timing_pct_points"] > 5  # Pác Miều in use from 15/07, earlier than assumed
    assert by_area.at["dong_khe", "effect_timing_pct_points"] < 0  # project 2 a month late
    assert by_area.at["tra_linh", "effect_timing_pct_points"] < 0  # project 3 not in use in 2026
    assert by_area.at["dong_khe", "effect_uptake_pct_points"] < 0  # 350 people connected, fewer than the curve expects
    assert "tiến độ dự án" in by_area.at["bao_lam", "main_cause_vi"]
    province = example.attribution[example.attribution["scope"] == "province"]
    assert set(province["component"]) == {"population", "timing", "uptake", "other"}
    assert province["pct_points"].sum() == pytest.approx(province["actual_pct"].iloc[0] - province["projected_pct"].iloc[0])


def test_example_systems_and_projects(example):
    systems = example.systems.set_index("system_id")
    assert systems.at["xuan_hoa", "loss_pct"] == pytest.approx(100 * 460 / 860)
    assert systems.at["xuan_hoa", "loss_change_pct_points"] < 0  # against its own 2025 baseline (72,5 %)
    assert systems.at["quang_uyen", "loss_status"] == ev.NOT_REPORTED
    assert systems.at["dong_khe", "hours_status"] == ev.MET  # exactly 20 hours
    assert systems.at["bao_lac", "hours_status"] == ev.NOT_MET
    projects = example.projects.set_index("project_id")
    assert projects.at["dong_khe_supply", "delay_months"] == pytest.approx(1.0)
    assert projects.at["hoa_an_capacity", "cost_status"] == ev.NOT_MET  # 19,4 of 18,8 billion
    assert projects.at["nung_tri_cao_network", "timing_status"] == ev.NOT_REPORTED
    assert projects.at["tra_linh_renovation", "people_status"] == ev.NOT_MET


def test_findings_are_computed_from_the_results(example):
    text = "\n".join(example.findings["text"])
    assert "1/6 mục tiêu đạt, 4 không đạt, 1 chưa có số liệu" in text
    assert "Nhà máy nước Xuân Hòa 53,5 %" in text and "Nhà máy nước Tà Lùng 27,1 %" in text  # still above 25 %
    assert "Tĩnh Túc, Trà Lĩnh" in text  # still without service
    assert "dự án 3 (đang thi công)" in text and "dự án 2 (chậm 1 tháng)" in text  # late
    assert "dự án 5 (103 % tổng mức)" in text
    assert "Quảng Uyên" in text  # not reported
    assert set(example.findings["topic"]) >= {"chi_tieu", "do_thi", "cong_trinh", "du_an", "du_bao", "co_quan", "so_lieu"}


def test_evaluation_without_a_projection(package):
    evaluation = ev.evaluate(package, io.load_actuals(EXAMPLE, package, YEAR))
    assert evaluation.areas["projected_coverage_pct"].isna().all()
    assert target(evaluation, "coverage")["status"] == ev.NOT_MET
