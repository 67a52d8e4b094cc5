"""Reading the agencies' reports (§VII): a folder of ``<table>.csv`` files or the workbook of ``capnuoc template``.

The reports are the evaluation's input, so their reading lives here, above the data layer whose
machinery it uses (:func:`capnuoc_model.data.io.read_csv_text`, located messages);
:func:`load_actuals` reads and validates them (:func:`capnuoc_model.evaluation.actuals.validate_actuals`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from capnuoc_model.data.errors import CapnuocInputError, Violation, violation
from capnuoc_model.data.io import DataPackage, display_path, read_csv_text
from capnuoc_model.data.messages import text
from capnuoc_model.evaluation.actuals import (
    ACTUALS_BY_NAME,
    ACTUALS_TABLES,
    HELP_SHEET,
    RawActuals,
    _fold,
    columns_of,
    validate_actuals,
)


def actuals_files(path: Path | str) -> list[Path]:
    """The files a report consists of (a workbook, or the CSV files of a folder): what a cache key must hash."""
    path = Path(path)
    return sorted(path.glob("*.csv")) if path.is_dir() else [path]


def read_actuals(path: Path | str):
    """The reported results as text cells: a folder of ``<table>.csv`` files or a workbook from ``capnuoc template``.

    Returns :class:`capnuoc_model.evaluation.actuals.RawActuals`; :func:`capnuoc_model.evaluation.actuals.validate_actuals` checks it.
    """
    path = Path(path)
    label = display_path(path)
    if path.is_dir():
        tables, labels, problems = {}, {}, []
        for file in sorted(path.glob("*.csv")):
            if file.stem not in ACTUALS_BY_NAME:
                problems.append(violation(display_path(file), None, None, "actuals.unknown_file",
                                          files=", ".join(f"{n}.csv" for n in ACTUALS_BY_NAME)))
                continue
            try:
                tables[file.stem] = _english_headers(read_csv_text(file), ACTUALS_BY_NAME[file.stem])
            except CapnuocInputError as error:
                problems += error.violations
            labels[file.stem] = display_path(file)
        if not tables and not problems:
            problems.append(violation(label, None, None, "actuals.no_table", files=", ".join(f"{n}.csv" for n in ACTUALS_BY_NAME)))
        return RawActuals(tables, labels, label, "csv", problems=tuple(problems))
    if path.suffix.lower() == ".xlsx" and path.is_file():
        return _read_actuals_workbook(path, label)
    raise CapnuocInputError([violation(label, None, None, "actuals.not_found" if not path.exists() else "actuals.not_folder_or_xlsx")])


def _english_headers(frame: pd.DataFrame, table) -> pd.DataFrame:
    """Accept the workbook's Vietnamese headers in a CSV too: rename them to the column ids."""
    by_label = {_fold(c.label_vi): c.name for c in columns_of(table) if c.label_vi}
    renamed = frame.rename(columns={h: by_label[_fold(h)] for h in frame.columns if _fold(h) in by_label})
    renamed.attrs = frame.attrs
    return renamed


def _cell_text(value: object) -> str | None:
    """An Excel cell as the text a CSV file would hold (numbers with '.', dates yyyy-mm-dd, empty → None)."""
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None


def _read_actuals_workbook(path: Path, label: str):
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException


    try:
        wb = load_workbook(path, data_only=True, read_only=False)
        formulas = load_workbook(path, data_only=False, read_only=False)  # to tell a formula never calculated from an empty cell
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise CapnuocInputError([violation(label, None, None, "actuals.not_xlsx")]) from None
    sheets = {_fold(t.sheet_vi): t for t in ACTUALS_TABLES} | {_fold(t.name): t for t in ACTUALS_TABLES}
    tables, labels, column_labels, header_rows, problems = {}, {}, {}, {}, []
    extra, present = [], set()
    for ws in wb.worksheets:
        table = sheets.get(_fold(ws.title))
        if table is None:
            if _fold(ws.title) != _fold(HELP_SHEET):
                extra.append(ws)
            continue
        sheet_label = f"{label}[{ws.title}]"
        present.add(table.name)
        columns = columns_of(table)
        by_id = {c.name: c for c in columns}
        by_header = {_fold(c.label_vi): c for c in columns}
        grid = [list(r) for r in ws.iter_rows(min_row=1, max_row=ws.max_row, values_only=True)]
        typed = [list(r) for r in formulas[ws.title].iter_rows(min_row=1, max_row=ws.max_row, values_only=True)]
        head = 10 if len(grid) > 10 else len(grid)
        # the hidden row of column ids, else the row of Vietnamese headers
        scores = [(sum(isinstance(v, str) and v.strip() in by_id for v in grid[i]), i) for i in range(head)]
        best, at = max(scores, default=(0, -1))
        by_ids = best >= 2
        if not by_ids:
            scores = [(sum(isinstance(v, str) and _fold(v) in by_header for v in grid[i]), i) for i in range(head)]
            best, at = max(scores, default=(0, -1))

        def lookup(value: object):
            if not isinstance(value, str):
                return None
            return by_id.get(value.strip()) if by_ids else by_header.get(_fold(value))

        if best < 2:
            problems.append(violation(sheet_label, None, None, "actuals.no_header_row"))
            continue
        names, shown = [], {}
        for j, value in enumerate(grid[at], start=1):
            column = lookup(value)
            letter = get_column_letter(j)
            if column is not None:
                names.append(column.name)
                shown[column.name] = f"{letter} «{column.label_vi}»"
            elif value is not None and str(value).strip():
                names.append(str(value).strip())
                shown[str(value).strip()] = f"{letter} «{str(value).strip()}»"
            else:
                names.append(None)
        # messages about a column point at the visible header: the row above the hidden ids, if it has headers
        above = grid[at - 1] if by_ids and at >= 1 else []
        header_row = at if any(isinstance(v, str) and _fold(v) in by_header for v in above) else at + 1
        keep = [j for j, n in enumerate(names) if n is not None]
        records, lines = [], []
        for i in range(at + 1, len(grid)):
            cells = [_cell_text(grid[i][j]) if j < len(grid[i]) else None for j in keep]
            for j in keep:  # a formula whose result was never saved reads as empty: say so instead
                written = typed[i][j] if i < len(typed) and j < len(typed[i]) else None
                if grid[i][j] is None and isinstance(written, str) and written.startswith("="):
                    problems.append(Violation(sheet_label, i + 1, names[j],
                                              "ô có công thức nhưng chưa có giá trị đã tính — mở tệp bằng Excel rồi lưu lại",
                                              f"giá trị đã tính của công thức {written[:40]}"))
            if any(c is not None for c in cells):
                records.append(cells)
                lines.append(i + 1)
        frame = pd.DataFrame(records, columns=[names[j] for j in keep], index=pd.Index(lines, name="line"), dtype=object)
        tables[table.name], labels[table.name] = frame, sheet_label
        column_labels[table.name], header_rows[table.name] = shown, header_row
    problems += _sheets_missing_or_extra(label, present, extra)
    return RawActuals(tables, labels, label, "xlsx", column_labels, header_rows, tuple(problems))


def _sheets_missing_or_extra(label: str, present: set[str], extra: list) -> list[Violation]:
    """Every reported sheet must be there (a renamed one is named); other sheets (notes, ...) are ignored with a note."""
    out = []
    missing = [t for t in ACTUALS_TABLES if t.name not in present]
    claimed = set()
    for table in missing:
        ids = {c.name for c in columns_of(table)}
        headers = {_fold(c.label_vi) for c in columns_of(table)}
        renamed = None
        for ws in extra:
            rows = [list(r) for r in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 10), values_only=True)]
            fits = max((sum(isinstance(v, str) and (v.strip() in ids or _fold(v) in headers) for v in row) for row in rows), default=0)
            if fits >= 3 and ws.title not in claimed:
                renamed = ws
                break
        if renamed is not None:
            claimed.add(renamed.title)
            out.append(Violation(f"{label}[{renamed.title}]", None, None,
                                 f"trang «{renamed.title}» có vẻ là trang «{table.sheet_vi}» đã bị đổi tên",
                                 f"tên trang đúng như mẫu: «{table.sheet_vi}»"))
        else:
            out.append(Violation(label, None, None, f"thiếu trang «{table.sheet_vi}»",
                                 "đủ các trang số liệu của mẫu: " + ", ".join(f"«{t.sheet_vi}»" for t in ACTUALS_TABLES)))
    for ws in extra:
        if ws.title not in claimed:
            out.append(Violation(f"{label}[{ws.title}]", None, None,
                                 f"trang «{ws.title}» không phải trang số liệu, đã bỏ qua",
                                 "các trang số liệu " + ", ".join(f"«{t.sheet_vi}»" for t in ACTUALS_TABLES)
                                 + f" và trang «{HELP_SHEET}»", severity="warning"))
    return out


def load_actuals(path: Path | str, package: DataPackage, year: int):
    """Read and validate reported results; raises CapnuocInputError naming file (sheet), row and column."""
    return validate_actuals(read_actuals(path), package, year)


__all__ = ["actuals_files", "read_actuals", "load_actuals"]
