"""The registry of output columns (``outputs.yaml``): Vietnamese label, unit and number format of each.

Both the Excel workbooks (:mod:`capnuoc_model.data.workbook`) and the output dictionary
(``data/OUTPUTS.md``, :func:`dictionary_markdown`) read it, so a column is described once.
CSV files keep the column names (snake_case); a frame whose columns are Vietnamese headers
(the Biểu tables) gets the registry's names in its CSV (:func:`machine_frame`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from capnuoc_model.data.yaml_reading import safe_load

REGISTRY_FILE = Path(__file__).resolve().parent / "outputs.yaml"
DICTIONARY_FILE = Path(__file__).resolve().parents[2] / "data" / "OUTPUTS.md"
FORMATS = ("text", "persons", "int", "pct", "points", "probability", "m3", "number", "bool")


@dataclass(frozen=True)
class OutputColumn:
    name: str
    label: str
    unit: str = ""
    format: str = "text"
    decimals: int = 0

    @property
    def header(self) -> str:
        """'Dân số (người)': the label with its unit, as the workbook shows it."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


@functools.lru_cache(maxsize=1)
def registry() -> dict:
    return safe_load(REGISTRY_FILE.read_text(encoding="utf-8"))


def _column(name: str, spec: dict) -> OutputColumn:
    return OutputColumn(name, str(spec["label"]), str(spec.get("unit", "")), str(spec.get("format", "text")),
                        int(spec.get("decimals", 0)))


def _term(name: str) -> OutputColumn | None:
    """A quantity of the water balance, its indicators or their value, named and united by its registry (:data:`capnuoc_model.data.water_balance.TERMS`),
    and its 95 % limits (``<key>_low``, ``<key>_high``)."""
    from capnuoc_model.data.messages import text
    from capnuoc_model.data.water_balance import TERMS_BY_KEY

    base, end = (name[:-4], "low") if name.endswith("_low") else (name[:-5], "high") if name.endswith("_high") else (name, "")
    term = TERMS_BY_KEY.get(base)
    if term is None:
        return None
    kind = ("m3" if term.unit_vi == "m³/ngày đêm" and term.decimals == 0 else "pct" if term.unit_vi == "%" and term.decimals == 1
            else "text" if not term.unit_vi and term.decimals == 0 else "number")
    label = text(f"label.limit_{end}", label=term.name_vi) if end else term.name_vi
    return OutputColumn(name, label, term.unit_vi, kind, term.decimals)


def column(table: str, name: str) -> OutputColumn | None:
    """The registry entry of a column of an output table, None if unknown: the table's own meaning first,
    then the water balance's terms (TERMS), then the meaning shared by all tables."""
    reg = registry()
    own = ((reg["tables"].get(table) or {}).get("columns") or {}).get(name)
    if own:
        return _column(name, own)
    return _term(name) or (_column(name, reg["columns"][name]) if name in reg["columns"] else None)


def table_info(table: str) -> dict:
    return registry()["tables"].get(table) or {}


def by_header(table: str) -> dict[str, OutputColumn]:
    """Vietnamese header -> column, for frames that carry headers instead of names (the Biểu tables)."""
    reg = registry()
    names = set(reg["columns"]) | set((table_info(table).get("columns") or {}))
    found = {}
    for name in names:
        entry = column(table, name)
        if entry is not None:
            found.setdefault(entry.header, entry)
    return found


def resolve(table: str, frame_column: str) -> OutputColumn | None:
    """The registry entry of a frame's column, by name or by Vietnamese header."""
    return column(table, frame_column) or by_header(table).get(frame_column)


def machine_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with registry names instead of Vietnamese headers (for CSV files)."""
    headers = by_header(table)
    renamed = {c: headers[c].name for c in frame.columns if column(table, c) is None and c in headers}
    return frame.rename(columns=renamed) if renamed else frame


def unknown_columns(tables: dict[str, pd.DataFrame]) -> list[tuple[str, str]]:
    """(table, column) pairs the registry does not describe (a test keeps this empty)."""
    return [(name, str(c)) for name, frame in tables.items() for c in frame.columns if resolve(name, str(c)) is None]


def dictionary_markdown() -> str:
    """The output dictionary: every output table and column with its Vietnamese label and unit."""
    reg = registry()
    lines = [
        "# Output dictionary (từ điển bảng kết quả)",
        "",
        "Generated from `capnuoc_model/data/outputs.yaml` by `capnuoc_model.data.outputs.dictionary_markdown()`;",
        "a test checks that this file equals its output. Every command that writes tables writes them twice:",
        "as CSV (UTF-8 with BOM, these column names, decimal point, for machines) and as one Excel",
        "workbook (the Vietnamese headers and units below, Vietnamese number formats, whole people).",
        "",
        "| command | CSV files | workbook |",
        "|---|---|---|",
        "| `capnuoc baseline --out DIR` | `DIR/<table>.csv` | `DIR/" + WORKBOOK_NAMES["baseline"] + "` |",
        "| `capnuoc project --out DIR` | `DIR/<table>.csv` | `DIR/" + WORKBOOK_NAMES["project"] + "` |",
        "| `capnuoc report` | `<output>/data/<table>.csv` | `<output>/data/" + WORKBOOK_NAMES["project"] + "` |",
        "| `capnuoc evaluate` | `<output>/bang_danh_gia/<table>.csv` | `<output>/bang_danh_gia/" + WORKBOOK_NAMES["evaluate"] + "` |",
        "",
        "## Columns shared by the tables",
        "",
        "| column | nhãn (Vietnamese label) | đơn vị (unit) |",
        "|---|---|---|",
    ]
    lines += [f"| `{name}` | {c.label} | {c.unit} |" for name in reg["columns"] for c in [_column(name, reg["columns"][name])]]
    from capnuoc_model.data.water_balance import TERMS

    lines += ["", "## Loss quantities", "",
              "Named by the water balance's own registry (`capnuoc_model.data.water_balance.TERMS`, WB-EasyCalc's Vietnamese terms);",
              "a column `<key>_low` / `<key>_high` is the lower / upper limit of the 95 % range of `<key>`.", "",
              "| column | nhãn (Vietnamese label) | đơn vị (unit) |", "|---|---|---|"]
    lines += [f"| `{t.key}` | {t.name_vi} | {t.unit_vi} |" for t in TERMS]
    for table, info in reg["tables"].items():
        lines += ["", f"## `{table}.csv` — {info.get('title', '')}", "", f"Worksheet «{info.get('sheet', table)}».", ""]
        own = info.get("columns") or {}
        if own:
            lines += ["| column | nhãn (Vietnamese label) | đơn vị (unit) |", "|---|---|---|"]
            lines += [f"| `{name}` | {c.label} | {c.unit} |" for name in own for c in [_column(name, own[name])]]
            lines.append("")
            lines.append("Other columns: as in the shared list above.")
        else:
            lines.append("All columns as in the shared list above.")
    return "\n".join(lines) + "\n"


WORKBOOK_NAMES = {"baseline": "hien_trang.xlsx", "project": "du_bao.xlsx", "evaluate": "danh_gia.xlsx"}

__all__ = ["OutputColumn", "column", "resolve", "machine_frame", "unknown_columns", "dictionary_markdown", "WORKBOOK_NAMES"]
