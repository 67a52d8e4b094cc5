"""Reported results (actuals): every validation rule through CSV files and through the Excel workbook; the template round trip."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from capnuoc_model.data import io

from capnuoc_model.evaluation import actuals_io

from capnuoc_model.data.errors import CapnuocInputError
from capnuoc_model.evaluation import template
from capnuoc_model.evaluation.actuals import ACTUALS_BY_NAME, ACTUALS_TABLES, columns_of

from .conftest import DATA, some_cases_fast

EXAMPLE = DATA / "examples" / "thuc_hien_2026_minh_hoa"
EXAMPLE_XLSX = DATA / "examples" / "thuc_hien_2026_minh_hoa.xlsx"
YEAR = 2026


@pytest.fixture(scope="module")
def example(package):
    return actuals_io.load_actuals(EXAMPLE, package, YEAR)


@pytest.fixture()
def csv_copy(tmp_path) -> Path:
    target = tmp_path / "reports"
    shutil.copytree(EXAMPLE, target)
    return target


@pytest.fixture()
def xlsx_copy(tmp_path) -> Path:
    target = tmp_path / "bao_cao.xlsx"
    shutil.copyfile(EXAMPLE_XLSX, target)
    return target


def edit_csv(folder: Path, table: str, key: str, column: str, value: str) -> int:
    """Set one cell of a reported CSV (the row whose id column is ``key``); returns its line number."""
    path = folder / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    k, c = header.index(ACTUALS_BY_NAME[table].id_column), header.index(column)
    for number, row in enumerate(rows[1:], start=2):
        if row[k] == key:
            row[c] = value
            with path.open("w", encoding="utf-8", newline="") as handle:
                csv.writer(handle, lineterminator="\n").writerows(rows)
            return number
    raise KeyError(key)


def _typed(text: str) -> object:
    """What a person typing ``text`` into a cell leaves there: a number when it reads as one, else text."""
    if text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def sheet_columns(ws) -> dict[str, int]:
    """Column ids (hidden row) -> column number."""
    return {str(v): j for j, v in enumerate(next(ws.iter_rows(min_row=template.ID_ROW, max_row=template.ID_ROW, values_only=True)), start=1) if v}


def edit_xlsx(path: Path, table: str, key: str, column: str, value: object) -> tuple[str, int, str]:
    """Set one cell of the workbook; returns (sheet, Excel row, column letter)."""
    from openpyxl.utils import get_column_letter

    spec = ACTUALS_BY_NAME[table]
    wb = load_workbook(path)
    ws = wb[spec.sheet_vi]
    cols = sheet_columns(ws)
    for r in range(template.FIRST_DATA_ROW, ws.max_row + 1):
        if ws.cell(r, cols[spec.id_column]).value == key:
            ws.cell(r, cols[column]).value = _typed(value) if isinstance(value, str) else value
            wb.save(path)
            return spec.sheet_vi, r, get_column_letter(cols[column])
    raise KeyError(key)


def messages(path: Path, package) -> list[str]:
    with pytest.raises(CapnuocInputError) as info:
        actuals_io.load_actuals(path, package, YEAR)
    return [str(v) for v in info.value.violations]


# (table, id, column, value, fragment of the message) — each is checked through CSV and through Excel
CASES = [
    ("area_results", "hoa_an", "population_persons", "abc", "'abc' không phải là số (cần: Dân số đô thị (người): một số nguyên)"),
    ("area_results", "hoa_an", "population_persons", "4582.5", "không phải là số nguyên"),
    ("area_results", "hoa_an", "served_persons", "-5", "'-5' không hợp lệ (cần: một giá trị ≥ 0)"),
    ("area_results", "hoa_an", "served_persons", "99999", "số người được cấp nước 99.999 lớn hơn dân số 4.620"),
    ("area_results", "hoa_an", "population_persons", "0", "(cần: một giá trị > 0)"),
    ("area_results", "hoa_an", "name_vi", "Đông Khê", "'Đông Khê' không phải là tên của 'hoa_an' (Hòa An)"),
    ("area_results", "hoa_an", "year", "2025", "năm 2025 trong báo cáo của năm 2026"),
    ("area_results", "hoa_an", "year", "", "ô trống"),
    ("system_results", "bao_lac", "status", "running", "'running' không hợp lệ (cần: một trong: Đang vận hành (operating)"),
    ("system_results", "bao_lac", "volume_unit", "", "có sản lượng nhưng chưa ghi đơn vị"),
    ("system_results", "bao_lac", "volume_unit", "lít", "'lít' không hợp lệ (cần: một trong: m³/ngày đêm (m3_per_day), m³/năm (m3_per_year))"),
    ("system_results", "bao_lac", "billed_volume", "9999", "sản lượng ghi thu 9.999 lớn hơn sản lượng sản xuất 495"),
    ("system_results", "bao_lac", "production_volume", "4x95", "'4x95' không phải là số"),
    ("system_results", "bao_lac", "supply_hours_per_day", "25", "(cần: một giá trị từ 0 đến 24)"),
    ("system_results", "bao_lac", "is_quality_published", "maybe", "'maybe' không phải là có/không (cần: "),
    ("system_results", "bao_lac", "design_capacity_m3_per_day", "0", "(cần: một giá trị > 0)"),
    ("system_results", "bao_lac", "connections_households", "12.5", "không phải là số nguyên"),
    ("system_results", "tra_linh", "production_volume", "100", "công trình báo cáo «Ngừng cấp nước» nhưng có sản lượng"),
    ("project_results", "pac_mieu_supply", "commissioning_date", "31/13/2026", "'31/13/2026' không phải là ngày (cần: một ngày dạng dd/mm/yyyy"),
    ("project_results", "pac_mieu_supply", "commissioning_date", "02/01/2027", "02/01/2027 nằm ngoài khoảng"),
    ("project_results", "tra_linh_renovation", "commissioning_date", "01/10/2026", "dự án báo cáo «Đang thi công» nhưng có ngày đưa vào sử dụng"),
    ("project_results", "tra_linh_renovation", "connected_persons", "100", "dự án báo cáo «Đang thi công» nhưng có người đã đấu nối"),
    ("project_results", "pac_mieu_supply", "status", "xong", "'xong' không hợp lệ (cần: một trong: Chưa khởi công (not_started)"),
    ("project_results", "pac_mieu_supply", "disbursed_billion_vnd", "41,8 người", "ô «41,8 người» có đơn vị «người» không phải đơn vị của cột"),
    ("area_results", "hoa_an", "served_persons", "85%", "ô «85%» có đơn vị «%» không phải đơn vị của cột (cần: chỉ một số, đơn vị người)"),
    ("system_results", "bao_lac", "supply_hours_per_day", "~16", "ô «~16» có dấu hoặc chữ «~» trước số"),
    ("system_results", "bao_lac", "connections_households", "1.200 người", "có đơn vị «người» không phải đơn vị của cột"),
    ("project_results", "pac_mieu_supply", "disbursed_billion_vnd", "-1", "(cần: một giá trị ≥ 0)"),
    ("task_results", "so_y_te_1", "status", "xong rồi", "'xong rồi' không hợp lệ (cần: một trong: Chưa thực hiện (not_started)"),
    ("task_results", "so_y_te_1", "task_id", "so_y_te_9", "không có mã 'so_y_te_9' (cần: một mã của data/agency_tasks.csv (task_id)"),
    ("system_results", "bao_lac", "system_id", "bao_lacc", "không có mã 'bao_lacc' (cần: một mã của data/systems.csv (system_id); gần nhất: Nhà máy nước Bảo Lạc (bao_lac)"),
]
IDS = [f"{c[0]}:{c[2]}:{c[3] or 'empty'}" for c in CASES]


def test_example_is_valid_and_illustrative(example):
    assert example.is_illustrative
    assert {name: len(frame) for name, frame in example.tables.items()} == {
        "area_results": 16, "system_results": 16, "project_results": 8, "task_results": 25}


@pytest.mark.parametrize("table, key, column, value, fragment", some_cases_fast(CASES, 10), ids=IDS)
def test_rule_through_csv(csv_copy, package, table, key, column, value, fragment):
    line = edit_csv(csv_copy, table, key, column, value)
    found = messages(csv_copy, package)
    assert len(found) == 1, found
    assert found[0].startswith(f"{io.display_path(csv_copy / f'{table}.csv')}:{line}:"), found
    assert fragment in found[0]


@pytest.mark.slow
@pytest.mark.parametrize("table, key, column, value, fragment", CASES, ids=IDS)
def test_rule_through_excel(xlsx_copy, package, table, key, column, value, fragment):
    sheet, row, letter = edit_xlsx(xlsx_copy, table, key, column, value)
    found = messages(xlsx_copy, package)
    assert len(found) == 1, found
    label = ACTUALS_BY_NAME[table]
    header = next(c.label_vi for c in columns_of(label) if c.name == column)
    assert found[0].startswith(f"{io.display_path(xlsx_copy)}[{sheet}]:{row}:{letter} «{header}»:"), found
    assert fragment in found[0]


def test_unknown_system_name_in_a_new_row_names_sheet_row_and_column(xlsx_copy, package):
    wb = load_workbook(xlsx_copy)
    ws = wb["Công trình"]
    cols = sheet_columns(ws)
    row = ws.max_row + 1
    ws.cell(row, cols["name_vi"]).value = "Nhà máy nước Bản Giốc"
    ws.cell(row, cols["year"]).value = YEAR
    ws.cell(row, cols["supply_hours_per_day"]).value = 24
    wb.save(xlsx_copy)
    found = messages(xlsx_copy, package)
    assert len(found) == 1 and found[0].startswith(
        f"{io.display_path(xlsx_copy)}[Công trình]:{row}:B «Công trình cấp nước»: không có công trình 'Nhà máy nước Bản Giốc' "
        "(cần: tên hoặc mã một công trình đã biết; gần nhất: "), found


def test_a_row_found_by_its_name(csv_copy, package):
    edit_csv(csv_copy, "area_results", "hoa_an", "area_id", "")  # the name "Hòa An" still identifies it
    edit_csv(csv_copy, "area_results", "dong_khe", "name_vi", "ĐÔNG  KHÊ")  # case and spacing do not matter
    line = edit_csv(csv_copy, "system_results", "hoa_an", "system_id", "")
    edit_csv(csv_copy, "system_results", "", "name_vi", "Trạm cấp nước Hoà An (Nước Hai)")  # old tone-mark placement
    actuals = actuals_io.load_actuals(csv_copy, package, YEAR)
    assert "hoa_an" in set(actuals.area_results["area_id"]) and "dong_khe" in set(actuals.area_results["area_id"])
    assert "hoa_an" in set(actuals.system_results["system_id"]) and line > 1


def test_duplicate_rows(csv_copy, package):
    line = edit_csv(csv_copy, "area_results", "dong_khe", "area_id", "hoa_an")
    edit_csv(csv_copy, "area_results", "hoa_an", "name_vi", "")  # the first hoa_an row keeps its name; this one has none
    found = messages(csv_copy, package)
    assert any(f":{line}:area_id: 'hoa_an' được báo cáo hai lần" in m or ":area_id: 'hoa_an' được báo cáo hai lần" in m for m in found), found


def test_every_problem_is_reported_at_once(csv_copy, package):
    edit_csv(csv_copy, "area_results", "hoa_an", "population_persons", "abc")
    edit_csv(csv_copy, "system_results", "bao_lac", "supply_hours_per_day", "30")
    edit_csv(csv_copy, "project_results", "pac_mieu_supply", "status", "xong")
    assert len(messages(csv_copy, package)) == 3


def test_unknown_file_missing_and_unknown_columns(csv_copy, package):
    (csv_copy / "area_result.csv").write_text("area_id\n", encoding="utf-8")
    found = messages(csv_copy, package)
    assert any("area_result.csv: tệp không thuộc số liệu báo cáo (cần: một trong các tệp area_results.csv" in m for m in found), found
    (csv_copy / "area_result.csv").unlink()
    path = csv_copy / "system_results.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.drop(columns=["supply_hours_per_day", "year"]).to_csv(path, index=False)
    found = messages(csv_copy, package)
    assert any(":1:year: thiếu cột year (Năm)" in m for m in found), found  # a required column
    frame.drop(columns=["supply_hours_per_day"]).to_csv(path, index=False)
    actuals = actuals_io.load_actuals(csv_copy, package, YEAR)  # an optional column left out reads as not reported
    assert any(":1:supply_hours_per_day: cảnh báo: không có cột supply_hours_per_day" in str(w) for w in actuals.warnings)
    assert actuals.tables["system_results"]["supply_hours_per_day"].isna().all()
    frame.assign(colour="x").to_csv(path, index=False)
    actuals = actuals_io.load_actuals(csv_copy, package, YEAR)  # an unknown column is ignored, with a warning
    assert [str(w) for w in actuals.warnings] == [
        f"{io.display_path(path)}:1:colour: cảnh báo: cột «colour» không được dùng, bỏ qua "
        "(cần: chỉ các cột đã mô tả (data/README.md; trang Hướng dẫn của mẫu báo cáo); kiểm tra chính tả tiêu đề)"]


def test_unknown_sheet_and_missing_column_in_excel(xlsx_copy, package):
    wb = load_workbook(xlsx_copy)
    wb["Dự án"].title = "Du an 2026"
    ws = wb["Công trình"]
    cols = sheet_columns(ws)
    ws.delete_cols(cols["supply_hours_per_day"])
    wb.save(xlsx_copy)
    found = messages(xlsx_copy, package)
    assert found == [f"{io.display_path(xlsx_copy)}[Du an 2026]: trang «Du an 2026» có vẻ là trang «Dự án» đã bị đổi tên "
                     "(cần: tên trang đúng như mẫu: «Dự án»)"], found
    # the left-out optional column is a warning (read as not reported); the renamed required sheet is the error


def test_not_a_workbook_or_folder(tmp_path, package):
    bad = tmp_path / "bao_cao.xlsx"
    bad.write_text("not a zip", encoding="utf-8")
    assert "không đọc được tệp Excel" in messages(bad, package)[0]
    assert "không tìm thấy" in messages(tmp_path / "nowhere", package)[0]


def test_missing_values_stay_missing(csv_copy, package):
    edit_csv(csv_copy, "area_results", "thuc_phan", "served_persons", "")
    actuals = actuals_io.load_actuals(csv_copy, package, YEAR)
    row = actuals.area_results.set_index("area_id").loc["thuc_phan"]
    assert pd.isna(row["served_persons"]) and row["population_persons"] == 28150
    systems = actuals.system_results.set_index("system_id")
    assert pd.isna(systems.at["ha_lang", "supply_hours_per_day"])  # left empty in the example
    assert pd.isna(systems.at["hoa_thuan", "has_safe_supply_plan"])


def test_volumes_per_year_become_per_day(example):
    from capnuoc_model.evaluation.actuals import volumes_m3_per_day

    systems = example.system_results.set_index("system_id")
    per_day = volumes_m3_per_day(systems, YEAR)
    assert per_day.at["tan_an", "production_m3_per_day"] == pytest.approx(2_700_000 / 365)
    assert per_day.at["song_bang", "production_m3_per_day"] == 4850


# ---------------------------------------------------------------------------- the workbook


@pytest.fixture(scope="module")
def blank(package, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "mau.xlsx"
    io.write_workbook(template.build_workbook(package, YEAR), path)
    return path


def test_template_layout(blank, package):
    wb = load_workbook(blank)
    assert wb.sheetnames == [template.HELP_SHEET] + [t.sheet_vi for t in ACTUALS_TABLES]
    help_sheet = wb[template.HELP_SHEET]
    assert str(YEAR) in help_sheet["A1"].value and "CAO BẰNG" in help_sheet["A1"].value
    help_text = "\n".join(str(c.value) for row in help_sheet.iter_rows() for c in row if c.value)
    for table in ACTUALS_TABLES:
        for column in columns_of(table):
            assert column.label_vi in help_text  # every column explained, with its unit
            if column.unit_vi:
                assert column.unit_vi in help_text
    counts = {"Đô thị": len(package.urban_areas), "Công trình": len(package.systems), "Dự án": len(package.projects),
              "Nhiệm vụ": len(package.agency_tasks)}
    for table in ACTUALS_TABLES:
        ws = wb[table.sheet_vi]
        assert str(YEAR) in ws.cell(1, 1).value
        headers = [c.value for c in ws[template.HEADER_ROW] if c.value]
        assert headers == [c.label_vi for c in columns_of(table)]  # Vietnamese headers
        assert ws.row_dimensions[template.ID_ROW].hidden
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith(str(template.FIRST_DATA_ROW))
        cols = sheet_columns(ws)
        ids = [ws.cell(r, cols[table.id_column]).value for r in range(template.FIRST_DATA_ROW, template.FIRST_DATA_ROW + counts[table.sheet_vi])]
        assert all(ids) and len(set(ids)) == counts[table.sheet_vi]  # ids and names filled in
        assert ws.cell(template.FIRST_DATA_ROW, cols[table.id_column]).fill.start_color.rgb.endswith("D9D9D9")  # grey
        assert ws.cell(template.FIRST_DATA_ROW, cols["year"]).value == YEAR
    dropdowns = {ws.title: [dv for dv in ws.data_validations.dataValidation if dv.type == "list"] for ws in wb.worksheets[1:]}
    systems = wb["Công trình"]
    formulas = {dv.formula1 for dv in dropdowns["Công trình"]}
    assert '"có,không"' in formulas and '"Đang vận hành,Ngừng cấp nước,Đang xây dựng"' in formulas
    assert '"m³/ngày đêm,m³/năm"' in formulas
    assert '"Chưa khởi công,Đang thi công,Đã hoàn thành,Đã đưa vào sử dụng"' in {dv.formula1 for dv in dropdowns["Dự án"]}
    assert '"Chưa thực hiện,Đang thực hiện,Đã hoàn thành"' in {dv.formula1 for dv in dropdowns["Nhiệm vụ"]}
    cols = sheet_columns(systems)
    assert systems.cell(template.FIRST_DATA_ROW, cols["production_volume"]).number_format == "#,##0"
    assert systems.cell(template.FIRST_DATA_ROW, cols["supply_hours_per_day"]).number_format == "0.0"
    checks = {dv.type for dv in systems.data_validations.dataValidation}
    assert {"list", "decimal", "whole"} <= checks  # numbers are checked as they are typed


def test_blank_template_reads_back_as_nothing_reported(blank, package):
    actuals = actuals_io.load_actuals(blank, package, YEAR)
    assert len(actuals.area_results) == 16
    inputs = ["population_persons", "served_persons"]
    assert actuals.area_results[inputs].isna().all().all()
    assert not actuals.is_illustrative


def _fill(path: Path, reported: dict[str, pd.DataFrame]) -> None:
    """Fill a template as a person would: type each reported value into its cell (labels for statuses, có/không)."""
    wb = load_workbook(path)
    for table in ACTUALS_TABLES:
        ws = wb[table.sheet_vi]
        cols = sheet_columns(ws)
        rows = {ws.cell(r, cols[table.id_column]).value: r for r in range(template.FIRST_DATA_ROW, ws.max_row + 1)}
        for record in reported[table.name].to_dict("records"):
            r = rows[record[table.id_column]]
            for column in columns_of(table):
                value = record[column.name]
                if column.prefilled or value is None or (not isinstance(value, str) and pd.isna(value)):
                    continue
                if column.choices:
                    value = dict(column.choices)[value]
                elif column.kind == "bool":
                    value = "có" if value else "không"
                elif column.date:
                    value = pd.Timestamp(value).to_pydatetime()
                elif column.kind == "int":
                    value = int(value)
                elif column.kind == "float":
                    value = float(value)
                ws.cell(r, cols[column.name]).value = value
    wb.save(path)


def _same(a: pd.DataFrame, b: pd.DataFrame, key: str) -> None:
    left = a.set_index(key).sort_index()
    right = b.set_index(key).sort_index()[left.columns]
    for column in left.columns:
        if column in ("name_vi", "agency_vi", "task_vi"):
            continue  # pre-filled in the workbook, empty in the CSV files
        pd.testing.assert_series_equal(left[column].astype(object).where(left[column].notna(), None),
                                       right[column].astype(object).where(right[column].notna(), None), check_names=False)


def test_round_trip_generate_fill_read_back(blank, example, package, tmp_path):
    path = tmp_path / "filled.xlsx"
    shutil.copyfile(blank, path)
    _fill(path, example.tables)
    back = actuals_io.load_actuals(path, package, YEAR)
    for table in ACTUALS_TABLES:
        _same(back.tables[table.name], example.tables[table.name], table.id_column)


def test_shipped_example_workbook_equals_the_csv_files(example, package):
    back = actuals_io.load_actuals(EXAMPLE_XLSX, package, YEAR)
    assert back.is_illustrative and back.kind == "xlsx"
    for table in ACTUALS_TABLES:
        _same(back.tables[table.name], example.tables[table.name], table.id_column)


def test_template_from_existing_reports_round_trips(example, package, tmp_path):
    path = tmp_path / "again.xlsx"
    io.write_workbook(template.build_workbook(package, YEAR, example), path)
    back = actuals_io.load_actuals(path, package, YEAR)
    for table in ACTUALS_TABLES:
        _same(back.tables[table.name], example.tables[table.name], table.id_column)
    ws = load_workbook(path)["Dự án"]
    cols = sheet_columns(ws)
    assert ws.cell(template.FIRST_DATA_ROW, cols["status"]).value == "Đã đưa vào sử dụng"
    assert isinstance(ws.cell(template.FIRST_DATA_ROW, cols["commissioning_date"]).value, dt.datetime)


# ---------------------------------------------------------------------------- what an agency really types (issue 11, items 5-8)


NUMBER_COLUMNS = [(t.name, c) for t in ACTUALS_TABLES for c in columns_of(t) if c.kind in ("int", "float") and not c.prefilled]
KEYS = {"area_results": "hoa_an", "system_results": "bao_lac", "project_results": "pac_mieu_supply", "task_results": "so_y_te_1"}
FOREIGN = {"%": "12 %", "người": "12 người", "m3": "12 m3", "tỷ đồng": "12 tỷ đồng", "giờ": "12 giờ", "hộ": "12 hộ"}
PLAUSIBLE = {"population_persons": "4620", "served_persons": "4500", "production_volume": "495", "billed_volume": "380",
             "design_capacity_m3_per_day": "650", "supply_hours_per_day": "16", "connections_households": "900",
             "disbursed_billion_vnd": "41,8", "connected_persons": "2300"}  # values that pass every other rule
OWN = {"persons": "người", "households": "hộ", "hours/day": "giờ", "billion VND": "tỷ đồng", "m³/day": "m3/ngày đêm", "volume_unit": "m3"}


@pytest.mark.parametrize("table, column", some_cases_fast(NUMBER_COLUMNS, 3), ids=[f"{t}:{c.name}" for t, c in NUMBER_COLUMNS])
def test_every_number_column_rejects_a_foreign_unit_and_accepts_its_own(csv_copy, package, table, column):
    """Any unit or sign that does not belong to a column is an error naming the cell; the column's own unit is dropped."""
    own = OWN[column.unit]
    for unit, text in FOREIGN.items():
        if unit in own or own.startswith(unit):
            continue
        line = edit_csv(csv_copy, table, KEYS[table], column.name, text)
        found = [m for m in messages(csv_copy, package) if f":{line}:{column.name}:" in m]
        assert found and f"ô «{text}» có đơn vị" in found[0], (text, found)
    value = PLAUSIBLE[column.name]
    edit_csv(csv_copy, table, KEYS[table], column.name, f"{value} {own}")
    actuals = actuals_io.load_actuals(csv_copy, package, YEAR)
    frame = actuals.tables[table].set_index(ACTUALS_BY_NAME[table].id_column)
    assert float(frame.at[KEYS[table], column.name]) == float(value.replace(",", "."))


def test_a_time_unit_typed_in_a_volume_must_match_the_unit_column(csv_copy, package):
    line = edit_csv(csv_copy, "system_results", "bao_lac", "production_volume", "180000 m3/năm")
    found = messages(csv_copy, package)
    assert any(f":{line}:production_volume: ô «180000 m3/năm» có đơn vị «m3/năm» không phải đơn vị của cột" in m for m in found), found
    edit_csv(csv_copy, "system_results", "bao_lac", "volume_unit", "m3_per_year")
    edit_csv(csv_copy, "system_results", "bao_lac", "billed_volume", "138700")
    systems = actuals_io.load_actuals(csv_copy, package, YEAR).tables["system_results"].set_index("system_id")
    assert systems.at["bao_lac", "production_volume"] == 180000


@pytest.mark.parametrize("system_id, volumes, unit, hint", [
    ("song_bang", ("4850", "4200"), "m3_per_year", "có lẽ là số liệu theo ngày nhưng đã chọn đơn vị m³/năm"),  # 13 m³/day
    ("ha_lang", ("153300", "132495"), "m3_per_day", "có lẽ là sản lượng cả năm nhưng đã chọn đơn vị m³/ngày đêm"),
    ("nguyen_binh", ("49500", "42500"), "m3_per_day", "kiểm tra lại số liệu và đơn vị"),  # ×100: no unit explains it
    ("thong_nong", ("39", "33"), "m3_per_day", "kiểm tra lại số liệu và đơn vị"),
])
def test_volumes_are_checked_against_2025_and_capacity(csv_copy, package, system_id, volumes, unit, hint):
    """A unit chosen wrongly (or a slip of the keyboard) gives volumes far from the system's own: an error naming the likely mix-up."""
    edit_csv(csv_copy, "system_results", system_id, "volume_unit", unit)
    line = edit_csv(csv_copy, "system_results", system_id, "production_volume", volumes[0])
    edit_csv(csv_copy, "system_results", system_id, "billed_volume", volumes[1])
    edit_csv(csv_copy, "system_results", system_id, "note", "")
    found = messages(csv_copy, package)
    mine = [m for m in found if f"system_results.csv:{line}:production_volume:" in m]
    assert mine and hint in mine[0] and "lần mức năm 2025" in mine[0], found
    assert "÷3 đến ×3 mức năm 2025" in mine[0]
    # the same values with a note explaining them: accepted, with a warning the document shows
    edit_csv(csv_copy, "system_results", system_id, "note", "sửa chữa lớn, ngừng cấp nước 6 tháng")
    actuals = actuals_io.load_actuals(csv_copy, package, YEAR)
    assert any(w.severity == "warning" and w.row == line and hint in w.problem for w in actuals.warnings)


def test_production_above_three_times_capacity_is_an_error(csv_copy, package):
    line = edit_csv(csv_copy, "system_results", "pac_mieu", "production_volume", "1500")  # new system: capacity 450 reported
    edit_csv(csv_copy, "system_results", "pac_mieu", "note", "")
    edit_csv(csv_copy, "system_results", "pac_mieu", "billed_volume", "1200")
    found = messages(csv_copy, package)
    assert any(f":{line}:production_volume:" in m and "lần công suất thiết kế (450 m³/ngày đêm)" in m for m in found), found


def test_one_volume_without_the_other_is_flagged(csv_copy, package):
    line = edit_csv(csv_copy, "system_results", "bao_lac", "production_volume", "")
    other = edit_csv(csv_copy, "system_results", "ta_lung", "billed_volume", "")
    warnings = actuals_io.load_actuals(csv_copy, package, YEAR).warnings
    assert any(w.row == line and w.column == "production_volume" and "thiếu sản lượng sản xuất" in w.problem for w in warnings)
    assert any(w.row == other and w.column == "billed_volume" and "thiếu sản lượng thương phẩm" in w.problem for w in warnings)


def _workbook_with_formulas(path: Path, tmp_path: Path) -> tuple[Path, str, int, str]:
    """A script writes formulas (openpyxl saves no calculated values): the cell reads as empty unless checked."""
    from openpyxl.utils import get_column_letter

    wb = load_workbook(path)
    ws = wb["Công trình"]
    cols = sheet_columns(ws)
    row = next(r for r in range(template.FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, cols["system_id"]).value == "bao_lac")
    ws.cell(row, cols["production_volume"]).value = "=400+95"
    target = tmp_path / "cong_thuc.xlsx"
    wb.save(target)
    return target, "Công trình", row, get_column_letter(cols["production_volume"])


def test_a_formula_without_a_saved_value_is_reported(xlsx_copy, package, tmp_path):
    target, sheet, row, letter = _workbook_with_formulas(xlsx_copy, tmp_path)
    found = messages(target, package)
    assert any(m.startswith(f"{io.display_path(target)}[{sheet}]:{row}:{letter} «Sản lượng nước sản xuất»: "
                            "ô có công thức nhưng chưa có giá trị đã tính — mở tệp bằng Excel rồi lưu lại") for m in found), found


def test_extra_sheets_are_ignored_with_a_note(xlsx_copy, package):
    wb = load_workbook(xlsx_copy)
    notes = wb.create_sheet("Ghi chú")
    notes["A1"] = "Số liệu Hòa An do UBND xã tổng hợp lại ngày 10/11."
    wb.save(xlsx_copy)
    actuals = actuals_io.load_actuals(xlsx_copy, package, YEAR)
    assert len(actuals.tables["system_results"]) == 16
    assert [str(w) for w in actuals.warnings if "Ghi chú" in w.file] == [
        f"{io.display_path(xlsx_copy)}[Ghi chú]: cảnh báo: trang «Ghi chú» không phải trang số liệu, đã bỏ qua "
        "(cần: các trang số liệu «Đô thị», «Công trình», «Dự án», «Nhiệm vụ» và trang «Hướng dẫn»)"]


def test_a_missing_required_sheet_is_an_error(xlsx_copy, package):
    wb = load_workbook(xlsx_copy)
    del wb["Nhiệm vụ"]
    wb.save(xlsx_copy)
    assert messages(xlsx_copy, package) == [
        f"{io.display_path(xlsx_copy)}: thiếu trang «Nhiệm vụ» (cần: đủ các trang số liệu của mẫu: «Đô thị», «Công trình», "
        "«Dự án», «Nhiệm vụ»)"]
