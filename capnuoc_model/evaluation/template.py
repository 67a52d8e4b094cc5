"""The Excel workbook operators fill in for the annual evaluation (``capnuoc template``).

One sheet per reported table of :mod:`capnuoc_model.evaluation.actuals`, in Vietnamese:
a title row with the year, a header row (the column's Vietnamese label, with its
help as a cell comment), a hidden row with the column ids (so that reading back
does not depend on the wording of the headers), then one row per urban area,
system, project or task of the data package with its id, name and year filled
in on a grey background. Statuses and yes/no columns have dropdowns; number
columns have number formats and entry checks. A first sheet, "Hướng dẫn",
explains every sheet and column with its unit.

This module only builds the workbook in memory; :func:`capnuoc_model.data.io.write_workbook`
saves it and :func:`capnuoc_model.evaluation.actuals_io.read_actuals` reads it back.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from capnuoc_model.evaluation.actuals import (
    ACTUALS_TABLES,
    BOOL_LABELS,
    HELP_SHEET,
    NO,
    YES,
    Actuals,
    ActualsTable,
    Column,
    columns_of,
)

if TYPE_CHECKING:  # pragma: no cover
    from capnuoc_model.data.io import DataPackage

TITLE_ROW, HEADER_ROW, ID_ROW, FIRST_DATA_ROW = 1, 2, 3, 4
SPARE_ROWS = 10  # formatted empty rows under the pre-filled ones
BANNER = "SỐ LIỆU MINH HỌA — không phải kết quả thực tế"

GREY = PatternFill("solid", start_color="D9D9D9", end_color="D9D9D9")
HEAD = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")


LINE_POINTS = 15  # height of one line of 11 pt text


def _lines(text: object, width: float) -> int:
    """Lines a wrapped cell needs at a column width (in characters); LibreOffice does not fit row heights itself."""
    if text is None:
        return 1
    per_line = max(1.0, width * 1.1)
    return sum(max(1, -(-len(part) // int(per_line))) for part in str(text).split("\n"))


def _fit_height(ws, row: int, cells: list[tuple[object, float]]) -> None:
    lines = max((_lines(text, width) for text, width in cells), default=1)
    if lines > 1:
        ws.row_dimensions[row].height = lines * LINE_POINTS


def title_text(province_vi: str, year: int) -> str:
    return f"SỐ LIỆU THỰC HIỆN KẾ HOẠCH PHÁT TRIỂN HỆ THỐNG CẤP NƯỚC ĐÔ THỊ TỈNH {province_vi.upper()} NĂM {year}"


def _rows_from_package(table: ActualsTable, package: DataPackage, year: int) -> pd.DataFrame:
    """The pre-filled part: one row per id of the data package, in the package's order."""
    ref_table, ref_id, ref_name = table.reference
    ref = package.tables[ref_table]
    rows = pd.DataFrame({table.id_column: ref[ref_id].astype(str), table.name_column: ref[ref_name].astype(str)})
    if table.name == "task_results":
        rows["agency_vi"] = ref["agency_vi"].astype(str)
    rows["year"] = year
    return rows


def _input_text(column: Column) -> str:
    if column.prefilled:
        return "điền sẵn, không sửa"
    if column.choices:
        return "chọn: " + "; ".join(label for _, label in column.choices)
    if column.kind == "bool":
        return f"chọn: {YES}; {NO}"
    if column.date:
        return "ngày dd/mm/yyyy"
    if column.kind == "int":
        return "số nguyên"
    if column.kind == "float":
        return "số"
    return "chữ"


def _validation(column: Column, year: int) -> DataValidation | None:
    """The dropdown or entry check of an input column (Vietnamese message when a value is refused)."""
    common = {"showErrorMessage": True, "errorTitle": "Giá trị không hợp lệ", "allow_blank": True}
    if column.choices or column.kind == "bool":
        labels = [label for _, label in column.choices] or [YES, NO]
        return DataValidation(type="list", formula1='"' + ",".join(labels) + '"',
                              error="Chọn một giá trị trong danh sách: " + "; ".join(labels), **common)
    if column.date:
        return DataValidation(type="date", operator="between", formula1="DATE(2015,1,1)", formula2=f"DATE({year},12,31)",
                              error=f"Nhập ngày dạng dd/mm/yyyy, không muộn hơn 31/12/{year}.", **common)
    if column.kind in ("int", "float") and not column.prefilled:
        low, high = 0, 24 if column.name == "supply_hours_per_day" else None
        kind = "whole" if column.kind == "int" else "decimal"
        if high is not None:
            return DataValidation(type=kind, operator="between", formula1=str(low), formula2=str(high),
                                  error=f"Nhập một số từ {low} đến {high}.", **common)
        return DataValidation(type=kind, operator="greaterThanOrEqual", formula1="0",
                              error="Nhập một số không âm" + (" (số nguyên)" if kind == "whole" else "") + "; để trống nếu chưa có số liệu.",
                              **common)
    return None


def _cell_value(column: Column, value: object) -> object:
    """A typed value as the workbook shows it: labels for codes, có/không, dates as dates."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if column.choices:
        return dict(column.choices).get(str(value), str(value))
    if column.kind == "bool":
        return BOOL_LABELS[bool(value)]
    if column.date:
        return pd.Timestamp(value).date()
    if column.kind == "int":
        return int(value)
    if column.kind == "float":
        return float(value)
    return str(value)


def _data_sheet(wb: Workbook, table: ActualsTable, package: DataPackage, year: int,
                reported: pd.DataFrame | None, illustrative: bool) -> None:
    ws = wb.create_sheet(table.sheet_vi)
    columns = columns_of(table)
    ncol = len(columns)
    title = f"{table.sheet_vi} — số liệu thực hiện năm {year}" + (f" — {BANNER}" if illustrative else "")
    ws.cell(TITLE_ROW, 1, title).font = Font(bold=True, size=13, color="C00000" if illustrative else "1F3864")
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=ncol)
    ws.row_dimensions[TITLE_ROW].height = 22
    for j, column in enumerate(columns, start=1):
        head = ws.cell(HEADER_ROW, j, column.label_vi)
        head.font, head.fill, head.border = Font(bold=True), HEAD, BOX
        head.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        note = column.help_vi + (f" Đơn vị: {column.unit_vi}." if column.unit_vi else "")
        head.comment = Comment(note, "capnuoc", width=320, height=110)
        ws.cell(ID_ROW, j, column.name).font = Font(size=8, color="808080")
        ws.column_dimensions[get_column_letter(j)].width = column.width
    ws.row_dimensions[HEADER_ROW].height = 48
    ws.row_dimensions[ID_ROW].hidden = True

    rows = _rows_from_package(table, package, year)
    if reported is not None and len(reported):
        rows = rows.merge(reported.drop(columns=[c for c in (table.name_column, "agency_vi", "year") if c in reported]),
                          on=table.id_column, how="left")
    last = FIRST_DATA_ROW + len(rows) - 1
    for i, record in enumerate(rows.to_dict("records")):
        r = FIRST_DATA_ROW + i
        wrapped = []
        for j, column in enumerate(columns, start=1):
            cell = ws.cell(r, j, _cell_value(column, record.get(column.name)))
            cell.border, cell.alignment = BOX, TOP
            if column.prefilled:
                cell.fill = GREY
                cell.font = Font(color="404040")
            if column.number_format:
                cell.number_format = column.number_format
            if column.kind == "str" and not column.choices and not column.date and column.name != table.id_column:
                cell.alignment = WRAP
                wrapped.append((cell.value, column.width))
        _fit_height(ws, r, wrapped)
    for r in range(last + 1, last + 1 + SPARE_ROWS):  # room for a forgotten row; ids are checked on reading
        for j, column in enumerate(columns, start=1):
            if column.number_format:
                ws.cell(r, j).number_format = column.number_format
    for j, column in enumerate(columns, start=1):
        check = _validation(column, year)
        if check is not None:
            letter = get_column_letter(j)
            check.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last + SPARE_ROWS}")
            ws.add_data_validation(check)
    leading = next((j for j, c in enumerate(columns, start=1) if not c.prefilled), 1)
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, leading)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0


def _help_sheet(wb: Workbook, plan, year: int, illustrative: bool) -> None:
    ws = wb.active
    ws.title = HELP_SHEET
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 34
    ws.column_dimensions["C"].width = 70
    ws.column_dimensions["D"].width = 18
    ws.column_dimensions["E"].width = 34
    ws["A1"] = title_text(plan.province_vi, year)
    ws["A1"].font = Font(bold=True, size=14, color="1F3864")
    ws["A2"] = (f"Mẫu báo cáo kết quả thực hiện theo {plan.section('tasks')} của Kế hoạch: các cơ quan, đơn vị gửi Sở Xây dựng "
                f"trước ngày {plan.report_deadline}/{year} để tổng hợp, đánh giá.")
    row = 3
    if illustrative:
        ws.cell(row, 1, f"{BANNER}: tệp ví dụ để thử quy trình, các con số là giả định.").font = Font(bold=True, color="C00000")
        row += 1
    rules = [
        "Mỗi trang là một bảng: " + ", ".join(t.sheet_vi for t in ACTUALS_TABLES) + ". Các cột nền xám (mã, tên, năm) đã điền sẵn, không sửa.",
        "Ô để trống nghĩa là CHƯA CÓ SỐ LIỆU. Chỉ ghi 0 khi giá trị thực sự bằng 0.",
        "Nhập số vào ô (không gõ đơn vị, không gõ chữ vào cột số). Cột có danh sách: chọn một giá trị trong danh sách.",
        "Không đổi tên trang, không xóa cột; không thêm dòng cho đô thị, công trình, dự án, nhiệm vụ không có trong danh sách.",
        "Sản lượng nước: chọn đơn vị (m³/ngày đêm hoặc m³/năm) ở cột «Đơn vị sản lượng» cho từng công trình.",
        "Kiểm tra và lập báo cáo đánh giá: capnuoc evaluate --actuals <tệp này>.xlsx (lỗi được báo theo trang, dòng, cột).",
    ]
    row += 1
    for number, text in enumerate(rules, start=1):
        ws.cell(row, 1, f"{number}.").alignment = Alignment(horizontal="right", vertical="top")
        ws.cell(row, 2, text).alignment = WRAP
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
        _fit_height(ws, row, [(text, 34 + 70 + 18 + 34)])
        row += 1
    row += 1
    for j, head in enumerate(("Trang", "Cột", "Nội dung", "Đơn vị", "Cách nhập"), start=1):
        cell = ws.cell(row, j, head)
        cell.font, cell.fill, cell.border = Font(bold=True), HEAD, BOX
    ws.freeze_panes = ws.cell(row + 1, 1)
    row += 1
    for table in ACTUALS_TABLES:
        cell = ws.cell(row, 1, table.sheet_vi)
        cell.font = Font(bold=True)
        ws.cell(row, 2, table.help_vi).font = Font(italic=True)
        ws.cell(row, 2).alignment = WRAP
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
        _fit_height(ws, row, [(table.help_vi, 34 + 70 + 18 + 34)])
        row += 1
        for column in columns_of(table):
            values = (table.sheet_vi, column.label_vi, column.help_vi, column.unit_vi, _input_text(column))
            for j, value in enumerate(values, start=1):
                cell = ws.cell(row, j, value)
                cell.alignment, cell.border = WRAP, BOX
                if column.prefilled:
                    cell.fill = GREY
            _fit_height(ws, row, list(zip(values, (16, 34, 70, 18, 34))))
            row += 1
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0


def build_workbook(package: DataPackage, year: int, actuals: Actuals | None = None) -> Workbook:
    """The template for ``year``; with ``actuals``, their values filled in (to correct or complete a report)."""
    illustrative = bool(actuals and actuals.is_illustrative)
    wb = Workbook()
    _help_sheet(wb, package.plan, year, illustrative)
    for table in ACTUALS_TABLES:
        reported = actuals.tables.get(table.name) if actuals is not None else None
        _data_sheet(wb, table, package, year, reported, illustrative)
    wb.properties.title = f"Số liệu thực hiện Kế hoạch cấp nước đô thị tỉnh {package.plan.province_vi} năm {year}"
    wb.properties.creator = "capnuoc"
    wb.properties.created = wb.properties.modified = dt.datetime(year, 1, 1)  # same content, same file
    return wb


__all__ = ["build_workbook", "HELP_SHEET", "FIRST_DATA_ROW", "HEADER_ROW", "ID_ROW", "title_text"]
