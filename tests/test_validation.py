"""Each validation rule, on a broken copy of the data: every message names file, row and column."""

from pathlib import Path

import pytest

from capnuoc_model.data import io
from capnuoc_model.data.errors import CapnuocInputError

from .conftest import edit_cell, some_cases_fast


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
    ("urban_areas.csv", "area_id", "hoa_an", "population_base_persons", "abc", "'abc' không phải là số (cần: dân số đô thị năm gốc: một số nguyên (người))"),
    ("urban_areas.csv", "area_id", "hoa_an", "population_base_persons", "4582.5", "không phải là số nguyên"),
    ("urban_areas.csv", "area_id", "hoa_an", "served_base_persons", "-5", "'-5' không hợp lệ (cần: một giá trị ≥ 0)"),
    ("urban_areas.csv", "area_id", "hoa_an", "served_base_persons", "99999", "lớn hơn dân số 4.582"),
    ("urban_areas.csv", "area_id", "hoa_an", "orientation_group", "nearly_full", "mã 'nearly_full' không có trong orientation_groups.csv (cần: một mã có trong cột group_id"),
    ("urban_areas.csv", "area_id", "hoa_an", "population_base_persons_source", "", "thiếu nguồn gốc số liệu"),
    ("urban_areas.csv", "area_id", "hoa_an", "population_base_persons_source", "estimate:guess", "không có phương pháp ước tính 'guess'"),
    ("urban_areas.csv", "area_id", "hoa_an", "population_base_persons_source", "census2030", "không có nguồn 'census2030'"),
    ("urban_areas.csv", "area_id", "hoa_an", "unit_kind", "thị trấn", "(cần: một trong: phường, xã)"),
    ("systems.csv", "system_id", "tan_an", "billed_m3_per_day", "8000", "sản lượng ghi thu 8.000 lớn hơn sản lượng sản xuất 7.350"),
    ("systems.csv", "system_id", "tan_an", "design_capacity_m3_per_day", "0", "(cần: một giá trị > 0)"),
    ("systems.csv", "system_id", "tan_an", "design_capacity_m3_per_day", "", "công trình đang vận hành nhưng ô này trống"),
    ("systems.csv", "system_id", "tan_an", "status", "running", "(cần: một trong: operating, stopped, under_construction)"),
    ("systems.csv", "system_id", "tan_an", "operator_id", "", "thiếu đơn vị cấp nước"),
    ("systems.csv", "system_id", "tan_an", "operator_id", "cnbc", "mã 'cnbc' không có trong operators.csv; có phải là 'cncb'?"),
    ("systems.csv", "system_id", "tra_linh", "production_m3_per_day", "100", "tình trạng 'stopped' nhưng có sản lượng"),
    ("systems.csv", "system_id", "tan_an", "production_m3_per_day", "inf", "không phải là một số hữu hạn"),
    ("systems.csv", "system_id", "tan_an", "is_plan_high_loss", "maybe", "'maybe' không phải là có/không"),
    ("area_systems.csv", "system_id", "bao_lac", "system_id", "bao_lacc", "mã 'bao_lacc' không có trong systems.csv; có phải là 'bao_lac'? (cần: một mã có trong cột system_id của systems.csv)"),
    ("projects.csv", "project_id", "hoa_an_capacity", "area_ids", "hoa_an;hoa_ann", "mã 'hoa_ann' không có trong urban_areas.csv"),
    ("projects.csv", "project_id", "hoa_an_capacity", "beneficiaries_persons", "", "không khớp với cột số người hưởng lợi"),
    ("targets_area.csv", "area_id", "hoa_an", "coverage_target_pct", "50", "50 % không khớp với 4.525/4.617"),
    ("targets_area.csv", "area_id", "hoa_an", "coverage_target_pct", "101", "(cần: một giá trị từ 0 đến 100)"),
    ("targets_province.csv", "target_id", "utilisation", "target_min", "90", "mục tiêu không định lượng nhưng có target_min"),
    ("population_history.csv", "unit_vi", "thị trấn Đông Khê (cũ)", "scope", "dong_khee", "mã 'dong_khee' không có trong urban_areas.csv"),
    ("sources.csv", "source_id", "moc_2022", "year", "twenty", "'twenty' không phải là số"),
]


@pytest.mark.parametrize("file, key_column, key, column, value, fragment", some_cases_fast(CASES, 7), ids=[f"{c[0]}:{c[3]}:{c[4] or 'empty'}" for c in CASES])
def test_each_rule_is_located(data_copy, file, key_column, key, column, value, fragment):
    line = edit_cell(data_copy / file, key_column, key, column, value)
    messages = [m for m in problems(data_copy) if fragment in m]
    assert messages, problems(data_copy)
    located = [m for m in messages if m.startswith(f"{data_copy / file}:{line}:")]
    assert located, messages


def test_duplicate_id(data_copy):
    line = edit_cell(data_copy / "systems.csv", "system_id", "tan_an", "system_id", "song_bang")
    found = problems(data_copy)
    assert any(m.startswith(f"{data_copy / 'systems.csv'}:{line}:system_id: giá trị 'song_bang' bị trùng") for m in found)
    assert any(m.startswith(f"{data_copy / 'systems.csv'}:2:system_id: giá trị 'song_bang' bị trùng") for m in found)


def test_shares_must_sum_to_one(data_copy):
    edit_cell(data_copy / "area_systems.csv", "system_id", "hoa_thuan", "share_of_area_served", "0.44")
    message = only_message(data_copy)
    assert "area_systems.csv:" in message and ":share_of_area_served: tổng tỷ phần của đô thị 'phuc_hoa' là 0,9" in message


def test_missing_column(data_copy):
    path = data_copy / "operators.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n", encoding="utf-8")
    assert f"{path}:1:source: thiếu cột source (nguồn số liệu)" in only_message(data_copy)


def test_unknown_column_is_a_warning(data_copy):
    path = data_copy / "operators.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",colour"] + [line + ",x" for line in lines[1:]]) + "\n", encoding="utf-8")
    package = io.load_package(data_copy)
    assert [str(w) for w in package.warnings] == [
        f"{path}:1:colour: cảnh báo: cột «colour» không được dùng, bỏ qua "
        "(cần: chỉ các cột đã mô tả (data/README.md; trang Hướng dẫn của mẫu báo cáo); kiểm tra chính tả tiêu đề)"]
    assert "colour" not in package.operators.columns


def test_ragged_row(data_copy):
    path = data_copy / "operators.csv"
    path.write_text(path.read_text(encoding="utf-8") + "extra,row\n", encoding="utf-8")
    assert ":6: dòng có 2 ô, dòng tiêu đề có 5 cột" in only_message(data_copy)


def test_missing_file(data_copy):
    (data_copy / "projects.csv").unlink()
    assert any("projects.csv: thiếu tệp projects.csv" in m for m in problems(data_copy))


def test_unreadable_encoding(data_copy):
    path = data_copy / "operators.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-8")[:40] + b"\x81\x8d\x8e" + b"\n")
    message = only_message(data_copy)
    assert "không đọc được bảng mã của tệp" in message and "Windows-1258" in message


def test_all_problems_at_once(data_copy):
    edit_cell(data_copy / "urban_areas.csv", "area_id", "hoa_an", "population_base_persons", "abc")
    edit_cell(data_copy / "systems.csv", "system_id", "tan_an", "billed_m3_per_day", "8000")
    edit_cell(data_copy / "projects.csv", "project_id", "hoa_an_capacity", "system_ids", "nowhere")
    found = problems(data_copy)
    assert len(found) == 3, found
    assert {m.split(":")[0].rsplit("/", 1)[-1] for m in found} == {"urban_areas.csv", "systems.csv", "projects.csv"}
