"""`capnuoc validate` is the contract: shapes first, one root cause per mistake, huge numbers, swapped headers, assumption ids.

Each class of fault of issue 10 item 7 is tested over every table or column it can hit,
in-process (the data package loader, or the CLI through typer's test runner).
"""

from __future__ import annotations

import csv
import shutil

import pytest
from openpyxl import load_workbook

from capnuoc_model.data import io

from capnuoc_model.data.errors import CapnuocInputError
from capnuoc_model.data.schema import TABLES, TABLES_BY_NAME
from capnuoc_model.evaluation import actuals_io

from .conftest import DATA, REPO, edit_cell, some_cases_fast
from .corruptions import invoke, read_rows, rejected_properly, write_rows


def errors_of(data_dir) -> list:
    with pytest.raises(CapnuocInputError) as info:
        io.load_package(data_dir)
    return [v for v in info.value.violations if v.severity == "error"]


NEED_ROWS = [t.name for t in TABLES if t.min_rows > 0]


def test_header_only_tables_are_one_root_cause_each(data_copy):
    """Every table that needs rows, header-only at once: one message per file, nothing that follows from it."""
    for table in NEED_ROWS:
        path = data_copy / f"{table}.csv"
        write_rows(path, read_rows(path)[:1])
    found = errors_of(data_copy)
    assert sorted((v.file.rsplit("/", 1)[-1], v.code) for v in found) == sorted((f"{t}.csv", "data.too_few_rows") for t in NEED_ROWS)
    assert all("0 dòng số liệu" in v.problem for v in found)


def test_missing_required_columns_are_one_root_cause_each(data_copy):
    """The first column (the key of most tables) dropped from every table: one message per file, never a KeyError."""
    dropped = {}
    for table in TABLES:
        path = data_copy / table.file
        rows = read_rows(path)
        dropped[table.file] = rows[0][0]
        write_rows(path, [row[1:] for row in rows])
    found = errors_of(data_copy)
    assert sorted((v.file.rsplit("/", 1)[-1], v.code, v.column, v.row) for v in found) == sorted(
        (file, "data.column_missing", column, 1) for file, column in dropped.items()), [str(v) for v in found]
    for v in found:
        assert TABLES_BY_NAME[v.file.rsplit("/", 1)[-1][:-4]].label(v.column) in v.problem


@pytest.mark.parametrize("table, first, second", some_cases_fast([
    ("urban_areas", "area_id", "name_vi"),
    ("systems", "system_id", "name_vi"),
    ("projects", "project_id", "name_vi"),
    ("sources", "source_id", "title"),
], 2))
def test_swapped_headers_are_named_once(data_copy, table, first, second):
    path = data_copy / f"{table}.csv"
    rows = read_rows(path)
    i, j = rows[0].index(first), rows[0].index(second)
    rows[0][i], rows[0][j] = rows[0][j], rows[0][i]
    write_rows(path, rows)
    found = errors_of(data_copy)
    swapped = [v for v in found if v.code == "data.columns_swapped"]
    assert len(swapped) == 1 and {first, second} <= set(swapped[0].problem.replace("(", " ").split()), [str(v) for v in found]
    assert "đổi chỗ" in swapped[0].problem
    assert not [v for v in found if v.file == swapped[0].file and v.code != "data.columns_swapped"], [str(v) for v in found]


WHOLE_NUMBER_COLUMNS = [(t.name, f.name) for t in TABLES for f in t.columns() if f.kind == "int"]


@pytest.mark.parametrize("value", some_cases_fast(["1E+20", "99999999999999999999", "-1e30"], 2))
def test_huge_integer_in_every_whole_number_column_is_located(data_copy, value):
    placed = {}
    for table, column in WHOLE_NUMBER_COLUMNS:  # each in a row of its own, so that every one is a separate message
        path = data_copy / f"{table}.csv"
        rows = read_rows(path)
        row = 1 + sum(1 for t, _ in placed if t == table) % (len(rows) - 1)
        rows[row][rows[0].index(column)] = value
        write_rows(path, rows)
        placed[(table, column)] = row + 1
    found = {(v.file.rsplit("/", 1)[-1][:-4], v.column): v for v in errors_of(data_copy) if "quá lớn" in v.problem}
    for (table, column), line in placed.items():
        assert (table, column) in found and found[(table, column)].row == line, (table, column)


def test_huge_integer_in_a_workbook_is_located(tmp_path, package):
    workbook = tmp_path / "bao_cao.xlsx"
    shutil.copy(DATA / "examples" / "thuc_hien_2026_minh_hoa.xlsx", workbook)
    wb = load_workbook(workbook)
    ws = wb["Đô thị"]
    ids = [c.value for c in ws[3]]
    ws.cell(row=4, column=ids.index("population_persons") + 1, value=1e20)
    wb.save(workbook)
    with pytest.raises(CapnuocInputError) as info:
        actuals_io.load_actuals(workbook, package, 2026)
    messages = [str(v) for v in info.value.violations]
    assert any("[Đô thị]:4:" in m and "quá lớn" in m for m in messages), messages


PEOPLE_AND_NETWORK_PROJECTS = [row["project_id"] for row in csv.DictReader((DATA / "projects.csv").open(encoding="utf-8"))
                               if row["beneficiaries_basis"] == "additional" or row["kind"] == "network"]


def test_renamed_projects_are_caught_by_validate(data_copy):
    lines = {p: edit_cell(data_copy / "projects.csv", "project_id", p, "project_id", p + "_moi") for p in PEOPLE_AND_NETWORK_PROJECTS}
    outcome = invoke(["validate", "--data", data_copy])
    assert rejected_properly(outcome), outcome.output
    for project_id, line in lines.items():
        assert f"projects.csv:{line}:project_id: dự án '{project_id}_moi' không có giả định projects.{project_id}_moi." in outcome.output
        assert f"mã '{project_id}' trong tệp giả định có phải là tên cũ" in outcome.output  # points at the old name
        assert f"projects.{project_id}: cảnh báo" in outcome.output  # the assumptions left behind, where they are


def test_renamed_project_is_caught_when_the_scenario_loads(data_copy):
    edit_cell(data_copy / "projects.csv", "project_id", "hoa_an_capacity", "project_id", "hoa_an_mo_rong")
    for args in (["check", "--draws", "100"], ["compare", REPO / "analysis/scenarios/baseline.yaml",
                                                REPO / "analysis/scenarios/ambitious.yaml", "--draws", "100"]):
        outcome = invoke([*args, "--data", data_copy])
        assert rejected_properly(outcome), outcome.output
        assert "hoa_an_mo_rong" in outcome.output


def test_the_library_checks_the_scenario_too(data_copy):
    """A notebook (or any caller) that projects directly meets the same located error, not a KeyError."""
    from capnuoc_model.model import projection
    from capnuoc_model.model.scenario import load_scenario

    edit_cell(data_copy / "projects.csv", "project_id", "tan_giang_network", "project_id", "tan_giang_mang")
    package = io.load_package(data_copy)
    with pytest.raises(CapnuocInputError) as info:
        projection.project(package, load_scenario(REPO / "analysis/scenarios/baseline.yaml"), 100, 1)
    assert info.value.has("assumptions.project_missing")


GROUP_ASSUMPTIONS = [(row["group_id"], column) for row in csv.DictReader((DATA / "orientation_groups.csv").open(encoding="utf-8"))
                     for column in ("extension_assumption", "demand_assumption") if row[column]]
# the fast tier: the first group naming each kind of assumption (make test: every group)
FAST_GROUPS = tuple(next(i for i, (_, c) in enumerate(GROUP_ASSUMPTIONS) if c == column)
                    for column in ("extension_assumption", "demand_assumption"))


@pytest.mark.parametrize("group, column", some_cases_fast(GROUP_ASSUMPTIONS, FAST_GROUPS), ids=[f"{g}-{c}" for g, c in GROUP_ASSUMPTIONS])
def test_a_group_naming_an_unknown_assumption_is_caught_by_validate_and_the_library(data_copy, group, column):
    """The plan's groups name assumption paths (orientation_groups.csv): validate, and any projection, name the one missing."""
    from capnuoc_model.model import projection
    from capnuoc_model.model.scenario import load_scenario

    edit_cell(data_copy / "orientation_groups.csv", "group_id", group, column, "demand.khong_co")
    outcome = invoke(["validate", "--data", data_copy])
    assert rejected_properly(outcome), outcome.output
    assert f"orientation_groups.csv:{column}: nhóm '{group}' dùng giả định 'demand.khong_co' không có trong" in outcome.output
    with pytest.raises(CapnuocInputError) as info:
        projection.project(io.load_package(data_copy), load_scenario(REPO / "analysis/scenarios/baseline.yaml"), 100, 1)
    assert info.value.has("plan.group_assumption_unknown")


def test_too_few_province_population_years(data_copy):
    path = data_copy / "population_history.csv"
    rows = read_rows(path)
    header = rows[0]
    province = [i for i, r in enumerate(rows) if i and r[header.index("scope")] == "province"]
    write_rows(path, [r for i, r in enumerate(rows) if i not in province[2:]])
    found = errors_of(data_copy)
    assert [v.code for v in found] == ["history.too_few_province_years"], [str(v) for v in found]


def test_cross_file_checks_run_against_an_empty_table(data_copy):
    """methods.csv may be empty (a package without estimates), and then every estimate naming a method is an error."""
    path = data_copy / "methods.csv"
    write_rows(path, read_rows(path)[:1])
    found = errors_of(data_copy)
    assert found and {v.code for v in found} == {"provenance.unknown_method"}


def test_an_unreadable_cell_gives_no_follow_on_message(data_copy):
    line = edit_cell(data_copy / "systems.csv", "system_id", "tan_an", "production_m3_per_day", "inf")
    found = errors_of(data_copy)
    assert [(v.row, v.column) for v in found] == [(line, "production_m3_per_day")], [str(v) for v in found]


@pytest.mark.parametrize("group, id_, known", [("systems", "song_bangg", "song_bang"), ("areas", "hoa_ann", "hoa_an"),
                                               ("projects", "pac_mieu", "pac_mieu_supply")])
def test_assumptions_under_ids_the_package_lacks_are_named(package, group, id_, known):
    """systems.<id>, areas.<id> and projects.<id> assumptions are checked against systems.csv, urban_areas.csv, projects.csv."""
    from capnuoc_model.model import assumption_checks
    from capnuoc_model.model.scenario import load_defaults

    tree = load_defaults()
    assumptions = {**tree.assumptions, f"{group}.{id_}.x": next(iter(tree.assumptions.values()))}
    found = assumption_checks.check_assumptions(package, assumptions, "defaults.yaml", tree.lines)
    assert [(v.code, v.severity, v.column) for v in found] == [("assumptions.unknown_id", "warning", f"{group}.{id_}")]
    assert f"có phải là '{known}'?" in found[0].problem
