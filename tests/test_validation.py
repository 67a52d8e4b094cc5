"""Each validation rule, on a broken copy of the data: every message names file, row and column."""

from pathlib import Path

import pytest

from capnuoc_model import io
from capnuoc_model.errors import CapnuocInputError

from .conftest import edit_cell


def problems(data_dir: Path) -> list[str]:
    with pytest.raises(CapnuocInputError) as info:
        io.load_package(data_dir)
    return [str(v) for v in info.value.violations]


def only_message(data_dir: Path) -> str:
    found = problems(data_dir)
    assert len(found) == 1, found
    return found[0]


def test_shipped_package_is_valid(package):
    assert set(package.tables) >= {"urban_areas", "systems", "area_systems", "projects", "sources", "methods"}


CASES = [
    # (file, key column, key, column, new value, expected fragment of the message)
    ("urban_areas.csv", "area_id", "hoa_an", "population_base_persons", "abc", "'abc' is not a number (expected a whole number in persons)"),
    ("urban_areas.csv", "area_id", "hoa_an", "population_base_persons", "4582.5", "is not a whole number"),
    ("urban_areas.csv", "area_id", "hoa_an", "served_base_persons", "-5", "'-5' is not allowed (expected a value ≥ 0)"),
    ("urban_areas.csv", "area_id", "hoa_an", "served_base_persons", "99999", "exceeds population"),
    ("urban_areas.csv", "area_id", "hoa_an", "orientation_group", "nearly_full", "unknown id 'nearly_full' (expected an id of orientation_groups.csv"),
    ("urban_areas.csv", "area_id", "hoa_an", "population_base_persons_source", "", "provenance missing"),
    ("urban_areas.csv", "area_id", "hoa_an", "population_base_persons_source", "estimate:guess", "unknown estimation method 'guess'"),
    ("urban_areas.csv", "area_id", "hoa_an", "population_base_persons_source", "census2030", "unknown source 'census2030'"),
    ("urban_areas.csv", "area_id", "hoa_an", "unit_kind", "thị trấn", "(expected one of phường, xã)"),
    ("systems.csv", "system_id", "tan_an", "billed_m3_per_day", "8000", "billed 8000 exceeds production 7350"),
    ("systems.csv", "system_id", "tan_an", "design_capacity_m3_per_day", "0", "(expected a value > 0)"),
    ("systems.csv", "system_id", "tan_an", "design_capacity_m3_per_day", "", "missing value for an operating system"),
    ("systems.csv", "system_id", "tan_an", "status", "running", "(expected one of operating, stopped, under_construction)"),
    ("systems.csv", "system_id", "tan_an", "operator_id", "", "missing operator"),
    ("systems.csv", "system_id", "tan_an", "operator_id", "cnbc", "unknown id 'cnbc'"),
    ("systems.csv", "system_id", "tra_linh", "production_m3_per_day", "100", "a stopped system has a volume"),
    ("systems.csv", "system_id", "tan_an", "production_m3_per_day", "inf", "is not a finite number"),
    ("systems.csv", "system_id", "tan_an", "is_plan_high_loss", "maybe", "'maybe' is not true/false"),
    ("area_systems.csv", "system_id", "bao_lac", "system_id", "bao_lacc", "unknown id 'bao_lacc' (expected an id of systems.csv (system_id))"),
    ("projects.csv", "project_id", "hoa_an_capacity", "area_ids", "hoa_an;hoa_ann", "unknown id 'hoa_ann'"),
    ("projects.csv", "project_id", "hoa_an_capacity", "beneficiaries_persons", "", "does not match the beneficiaries column"),
    ("targets_area.csv", "area_id", "hoa_an", "coverage_target_pct", "50", "does not match"),
    ("targets_area.csv", "area_id", "hoa_an", "coverage_target_pct", "101", "(expected a value between 0 and 100)"),
    ("targets_province.csv", "target_id", "utilisation", "target_min", "90", "is_numeric is False"),
    ("population_history.csv", "unit_vi", "thị trấn Đông Khê (cũ)", "scope", "dong_khee", "unknown id 'dong_khee'"),
    ("sources.csv", "source_id", "moc_2022", "year", "twenty", "'twenty' is not a number"),
]


@pytest.mark.parametrize("file, key_column, key, column, value, fragment", CASES, ids=[f"{c[0]}:{c[3]}:{c[4] or 'empty'}" for c in CASES])
def test_each_rule_is_located(data_copy, file, key_column, key, column, value, fragment):
    line = edit_cell(data_copy / file, key_column, key, column, value)
    messages = [m for m in problems(data_copy) if fragment in m]
    assert messages, problems(data_copy)
    located = [m for m in messages if m.startswith(f"{data_copy / file}:{line}:")]
    assert located, messages


def test_duplicate_id(data_copy):
    line = edit_cell(data_copy / "systems.csv", "system_id", "tan_an", "system_id", "song_bang")
    found = problems(data_copy)
    assert any(m.startswith(f"{data_copy / 'systems.csv'}:{line}:system_id: duplicate value 'song_bang'") for m in found)
    assert any(m.startswith(f"{data_copy / 'systems.csv'}:2:system_id: duplicate value") for m in found)


def test_shares_must_sum_to_one(data_copy):
    edit_cell(data_copy / "area_systems.csv", "system_id", "hoa_thuan", "share_of_area_served", "0.44")
    message = only_message(data_copy)
    assert "area_systems.csv:" in message and ":share_of_area_served: shares of area 'phuc_hoa' sum to 0.9" in message


def test_missing_column(data_copy):
    path = data_copy / "operators.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n", encoding="utf-8")
    assert f"{path}:1:source: column is missing" in only_message(data_copy)


def test_unknown_column_is_a_warning(data_copy):
    path = data_copy / "operators.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",colour"] + [line + ",x" for line in lines[1:]]) + "\n", encoding="utf-8")
    package = io.load_package(data_copy)
    assert [str(w) for w in package.warnings] == [
        f"{path}:1:colour: warning: unknown column, ignored (expected only the columns of data/README.md)"]
    assert "colour" not in package.operators.columns


def test_ragged_row(data_copy):
    path = data_copy / "operators.csv"
    path.write_text(path.read_text(encoding="utf-8") + "extra,row\n", encoding="utf-8")
    assert ":6: 2 fields instead of 5" in only_message(data_copy)


def test_missing_file(data_copy):
    (data_copy / "projects.csv").unlink()
    assert any("projects.csv: file is missing" in m for m in problems(data_copy))


def test_unreadable_encoding(data_copy):
    path = data_copy / "operators.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-8")[:40] + b"\x81\x8d\x8e" + b"\n")
    message = only_message(data_copy)
    assert "cannot read the text encoding" in message and "Windows-1258" in message


def test_all_problems_at_once(data_copy):
    edit_cell(data_copy / "urban_areas.csv", "area_id", "hoa_an", "population_base_persons", "abc")
    edit_cell(data_copy / "systems.csv", "system_id", "tan_an", "billed_m3_per_day", "8000")
    edit_cell(data_copy / "projects.csv", "project_id", "hoa_an_capacity", "system_ids", "nowhere")
    found = problems(data_copy)
    assert len(found) == 3, found
    assert {m.split(":")[0].rsplit("/", 1)[-1] for m in found} == {"urban_areas.csv", "systems.csv", "projects.csv"}
