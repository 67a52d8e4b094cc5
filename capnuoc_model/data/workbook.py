"""One Excel workbook of an output folder's tables, for the people who open them (openpyxl).

Each table is a worksheet with its title, Vietnamese headers with units, and numbers kept as
numbers with Vietnamese-style number formats (grouped thousands, the decimals the quantity
needs, probabilities as %); people are whole people. Headers, units and formats come from
the output registry (:mod:`capnuoc_model.data.outputs`). The CSV files beside it stay the
machine-readable copy.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from capnuoc_model.data import outputs
from capnuoc_model.data.messages import text

NUMBER_FORMATS = {"persons": "#,##0", "int": "0", "pct": "#,##0.0", "points": "+#,##0.0;-#,##0.0;0,0", "m3": "#,##0",
                  "probability": "0%"}
MAX_WIDTH = 48


def _number_format(column: outputs.OutputColumn) -> str | None:
    if column.format == "number":
        return "#,##0" + ("." + "0" * column.decimals if column.decimals > 0 else "")
    return NUMBER_FORMATS.get(column.format)


def _cell(value: object, column: outputs.OutputColumn) -> object:
    """A frame value as the workbook stores it: numbers stay numbers, people whole, booleans có/không."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    if column.format == "bool" or isinstance(value, bool):
        if isinstance(value, str):
            lowered = value.strip().lower()
            value = True if lowered == "true" else False if lowered == "false" else value
        return text("workbook.yes") if value is True else text("workbook.no") if value is False else str(value)
    if column.format in ("persons", "int", "m3") and isinstance(value, (int, float)):
        return int(round(float(value)))
    if isinstance(value, (int, float)):
        return float(value) if not float(value).is_integer() or column.format != "text" else value
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item(), column)
    return str(value)


def _sheet_name(name: str, used: set[str]) -> str:
    cleaned = "".join(c for c in name if c not in "[]:*?/\\")[:31] or "Bảng"
    candidate, n = cleaned, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate, n = cleaned[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def build_workbook(tables: dict[str, pd.DataFrame], title: str):
    """An openpyxl workbook: a contents sheet, then one sheet per table."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    contents = workbook.active
    contents.title = text("workbook.contents")
    contents.append([title])
    contents["A1"].font = Font(bold=True, size=13)
    contents.append([text("workbook.contents_note")])
    contents.append([])
    contents.append([text("workbook.sheet"), text("workbook.table"), text("workbook.csv_file"), text("workbook.rows")])
    for cell in contents[4]:
        cell.font = Font(bold=True)
    used = {contents.title.lower()}
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for name, frame in tables.items():
        info = outputs.table_info(name)
        sheet = workbook.create_sheet(_sheet_name(str(info.get("sheet", name)), used))
        contents.append([sheet.title, info.get("title", name), f"{name}.csv", len(frame)])
        columns = [outputs.resolve(name, str(c)) or outputs.OutputColumn(str(c), str(c)) for c in frame.columns]
        sheet.append([info.get("title", name)])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append([c.header for c in columns])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in frame.itertuples(index=False):
            sheet.append([_cell(v, c) for v, c in zip(row, columns)])
        for j, column in enumerate(columns, start=1):
            letter = get_column_letter(j)
            number_format = _number_format(column)
            if number_format:
                for (cell,) in sheet.iter_rows(min_row=3, min_col=j, max_col=j):
                    cell.number_format = number_format
            longest = max([len(column.header) // 2 + 2] + [len(str(v)) for v in frame.iloc[:, j - 1].head(200)])
            sheet.column_dimensions[letter].width = min(MAX_WIDTH, max(10, longest + 2))
        sheet.freeze_panes = "A3"
        if len(frame.columns):
            sheet.auto_filter.ref = f"A2:{get_column_letter(len(frame.columns))}{max(2, len(frame) + 2)}"
    for letter, width in zip("ABCD", (24, 70, 28, 10)):
        contents.column_dimensions[letter].width = width
    return workbook


FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the zip format's first date: the same tables give the same bytes, no save time in the file


def workbook_bytes(workbook) -> bytes:
    """The .xlsx bytes with fixed document and zip-entry times, so that reruns give byte-identical workbooks."""
    import datetime as dt
    import io as stdio
    import zipfile

    workbook.properties.created = workbook.properties.modified = dt.datetime(*FIXED_TIME)
    raw = stdio.BytesIO()
    workbook.save(raw)
    out = stdio.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type, fixed.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", data)
            target.writestr(fixed, data)
    return out.getvalue()


__all__ = ["build_workbook", "workbook_bytes"]
