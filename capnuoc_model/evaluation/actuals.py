"""The results the agencies report for the annual evaluation ("actuals"): tables, columns and validation.

§VII of the plan asks every agency to report its results to Sở Xây dựng before
15/11 of the plan year. Those reports are four tables, declared here with the
data package's machinery (:class:`~capnuoc_model.data.schema.Table`,
:class:`~capnuoc_model.data.schema.Field`, :func:`~capnuoc_model.data.schema.parse_table`,
:func:`~capnuoc_model.data.schema.check_rules`), each column with its Vietnamese
header and help for the Excel template. They are NOT part of the data package:
``capnuoc validate`` does not ask for them.

The tables arrive either as CSV files in a folder or as the sheets of the
workbook ``capnuoc template`` writes; :mod:`capnuoc_model.data.io` reads both into
text cells (index = line or Excel row number) and :func:`validate_actuals` turns
them into typed frames or raises :class:`~capnuoc_model.data.errors.CapnuocInputError`
naming file (and sheet), row and column of every problem.

An empty cell means "not reported" (chưa có số liệu) and stays missing: it is
never read as zero.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import pandas as pd
import pandera.pandas as pa

from capnuoc_model.data.errors import CapnuocInputError, Violation
from capnuoc_model.data.io import TablesByName
from capnuoc_model.data.messages import pair, text
from capnuoc_model.data.schema import PANDAS_DTYPES, Field, Table, check_rules, parse_table

if TYPE_CHECKING:  # pragma: no cover
    from capnuoc_model.data.io import DataPackage

YES, NO = "có", "không"
ILLUSTRATIVE_MARK = "MINH HỌA"  # in a `source` cell, or "minh_hoa" in the file name: the example, not real results
EARLIEST_DATE = dt.date(2015, 1, 1)


@dataclass(frozen=True)
class Column(Field):
    """A reported column: a data package Field plus what the Excel template shows."""

    label_vi: str = ""  # header in the workbook
    help_vi: str = ""  # explanation on the help sheet and in the header comment
    unit_vi: str = ""  # unit as a reader writes it
    choices: tuple[tuple[str, str], ...] = ()  # (code, Vietnamese label); the workbook offers the labels
    date: bool = False  # a date (dd/mm/yyyy or yyyy-mm-dd), stored as text yyyy-mm-dd
    prefilled: bool = False  # ids and names the template fills in (grey)
    number_format: str | None = None  # Excel number format of the input cells
    width: float = 14
    target: str = ""  # the target of the plan (target_id of targets_province.csv) this column reports on


HELP_SHEET = "Hướng dẫn"  # the template workbook's first sheet (capnuoc template), which the reader passes over


@dataclass(frozen=True)
class ActualsTable(Table):
    """A reported table: one CSV file or one workbook sheet."""

    sheet_vi: str = ""
    help_vi: str = ""
    id_column: str = ""  # the data package id the rows refer to
    name_column: str = ""  # the name that identifies a row when its id is empty
    reference: tuple[str, str, str] = ("", "", "")  # (package table, id column, name column)


def _choice(choices: tuple[tuple[str, str], ...]) -> pa.Check:
    allowed = [code for code, _ in choices]
    listed = ", ".join(f"{label} ({code})" for code, label in choices)
    return pa.Check.isin(allowed, error=text("rule.one_of", values=listed))


def _ge(value: float) -> pa.Check:
    return pa.Check.ge(value, error=text("rule.ge", value=f"{value:g}"))


def _gt(value: float) -> pa.Check:
    return pa.Check.gt(value, error=text("rule.gt", value=f"{value:g}"))


SYSTEM_STATUS_CHOICES = (("operating", "Đang vận hành"), ("stopped", "Ngừng cấp nước"), ("under_construction", "Đang xây dựng"))
VOLUME_UNIT_CHOICES = (("m3_per_day", "m³/ngày đêm"), ("m3_per_year", "m³/năm"))
PROJECT_STATUS_CHOICES = (("not_started", "Chưa khởi công"), ("under_way", "Đang thi công"),
                          ("finished", "Đã hoàn thành"), ("in_use", "Đã đưa vào sử dụng"))
TASK_STATUS_CHOICES = (("not_started", "Chưa thực hiện"), ("in_progress", "Đang thực hiện"), ("done", "Đã hoàn thành"))
BOOL_LABELS = {True: YES, False: NO}


def _year_column() -> Column:
    return Column("year", "int", "the year the results are for", "year", checks=(pa.Check.in_range(2020, 2040, error=text("rule.year_between", low=2020, high=2040)),),
                  label_vi="Năm", help_vi="Năm của số liệu (điền sẵn).", unit_vi="năm", prefilled=True, number_format="0", width=8)


def _source_columns() -> tuple[Column, ...]:
    return (
        Column("source", "str", "who reported the row and in which document", required=False,
               label_vi="Nguồn số liệu", help_vi="Văn bản báo cáo (số, ngày) hoặc đơn vị cung cấp số liệu.", width=36),
        Column("note", "str", "remark", required=False, label_vi="Ghi chú", help_vi="Giải thích ngắn, nếu cần.", width=36),
    )


AREA_RESULTS = ActualsTable(
    "area_results",
    "Population and people served in each urban area in the evaluated year.",
    (
        Column("area_id", "str", "area_id of data/urban_areas.csv (or leave empty and give name_vi)", required=False,
               label_vi="Mã đô thị", help_vi="Mã của đô thị trong gói dữ liệu (điền sẵn, không sửa).", prefilled=True, width=14),
        Column("name_vi", "str", "name of the urban area, as in data/urban_areas.csv", required=False,
               label_vi="Đô thị", help_vi="Tên đô thị (điền sẵn).", prefilled=True, width=18),
        _year_column(),
        Column("population_persons", "int", "urban population of the area", "persons", required=False, checks=(_gt(0),),
               label_vi="Dân số đô thị (người)", unit_vi="người", number_format="#,##0", width=16,
               help_vi="Dân số khu vực đô thị (lõi đô thị cũ như trong Kế hoạch), số người."),
        Column("served_persons", "int", "people served by piped (centralised) systems", "persons", required=False, checks=(_ge(0),),
               label_vi="Số người được cấp nước sạch (người)", unit_vi="người", number_format="#,##0", width=20,
               help_vi="Số người được sử dụng nước sạch từ hệ thống cấp nước tập trung; không lớn hơn dân số."),
        *_source_columns(),
    ),
    key=("area_id",),
    row_provenance=None,
    sheet_vi="Đô thị",
    help_vi="Mỗi dòng một đô thị: dân số và số người được cấp nước sạch. UBND xã, phường cùng đơn vị cấp nước báo cáo.",
    id_column="area_id",
    name_column="name_vi",
    reference=("urban_areas", "area_id", "name_vi"),
)

SYSTEM_RESULTS = ActualsTable(
    "system_results",
    "What each water system produced, billed and delivered in the evaluated year.",
    (
        Column("system_id", "str", "system_id of data/systems.csv (or leave empty and give name_vi)", required=False,
               label_vi="Mã công trình", help_vi="Mã của công trình trong gói dữ liệu (điền sẵn, không sửa).", prefilled=True, width=16),
        Column("name_vi", "str", "name of the system, as in data/systems.csv", required=False,
               label_vi="Công trình cấp nước", help_vi="Tên công trình (điền sẵn).", prefilled=True, width=34),
        _year_column(),
        Column("status", "str", "state of the system in the year", required=False, checks=(_choice(SYSTEM_STATUS_CHOICES),),
               choices=SYSTEM_STATUS_CHOICES, label_vi="Tình trạng", width=18,
               help_vi="Đang vận hành, Ngừng cấp nước hoặc Đang xây dựng (chọn trong danh sách)."),
        Column("volume_unit", "str", "unit of the two volumes: m3_per_day or m3_per_year", required=False,
               checks=(_choice(VOLUME_UNIT_CHOICES),), choices=VOLUME_UNIT_CHOICES, label_vi="Đơn vị sản lượng", width=14,
               help_vi="Đơn vị của hai cột sản lượng: m³/ngày đêm (bình quân) hoặc m³/năm (cả năm). Bắt buộc khi có sản lượng."),
        Column("production_volume", "float", "water produced (system input volume), in volume_unit", "volume_unit", required=False,
               checks=(_ge(0),), label_vi="Sản lượng nước sản xuất", unit_vi="theo cột đơn vị", number_format="#,##0", width=16,
               help_vi="Lượng nước phát vào mạng lưới (sản lượng sản xuất), theo đơn vị đã chọn."),
        Column("billed_volume", "float", "water billed (revenue water), in volume_unit", "volume_unit", required=False,
               checks=(_ge(0),), label_vi="Sản lượng nước thương phẩm", unit_vi="theo cột đơn vị", number_format="#,##0", width=16,
               help_vi="Lượng nước ghi thu tiền (thương phẩm), theo đơn vị đã chọn; không lớn hơn sản lượng sản xuất."),
        Column("design_capacity_m3_per_day", "float", "design capacity, where it changed during the year", "m³/day", required=False,
               checks=(_gt(0),), label_vi="Công suất thiết kế (m³/ngày đêm)", unit_vi="m³/ngày đêm", number_format="#,##0", width=16,
               help_vi="Chỉ điền khi công suất thay đổi trong năm (nâng công suất, công trình mới); để trống thì dùng công suất năm hiện trạng của Kế hoạch."),
        Column("supply_hours_per_day", "float", "average hours of supply per day", "hours/day", required=False,
               checks=(pa.Check.in_range(0, 24, error=text("rule.between", low=0, high=24)),), label_vi="Số giờ cấp nước (giờ/ngày)",
               unit_vi="giờ/ngày", number_format="0.0", width=13, target="supply_hours",
               help_vi="Số giờ cấp nước bình quân một ngày tại khu vực công trình phục vụ (0 đến 24)."),
        Column("is_quality_published", "bool", "water quality monitored and published as required", required=False,
               label_vi="Kiểm tra, công bố chất lượng nước", width=16, target="water_quality",
               help_vi="Có: đã kiểm tra, giám sát và công bố chất lượng nước theo quy định trong năm; Không: chưa."),
        Column("has_safe_supply_plan", "bool", "a safe-water-supply plan (phương án cấp nước an toàn) exists or was updated", required=False,
               label_vi="Phương án cấp nước an toàn", width=16, target="safe_supply_plan",
               help_vi="Có: đơn vị đã lập hoặc cập nhật phương án cấp nước an toàn cho công trình; Không: chưa."),
        Column("connections_households", "int", "household connections at the end of the period, where known", "households", required=False,
               checks=(_ge(0),), label_vi="Số đấu nối (hộ)", unit_vi="hộ", number_format="#,##0", width=12,
               help_vi="Số hộ đấu nối đang sử dụng nước, nếu có số liệu."),
        *_source_columns(),
    ),
    key=("system_id",),
    row_provenance=None,
    sheet_vi="Công trình",
    help_vi="Mỗi dòng một công trình cấp nước: sản lượng, số giờ cấp nước, chất lượng nước, phương án cấp nước an toàn. Đơn vị cấp nước báo cáo.",
    id_column="system_id",
    name_column="name_vi",
    reference=("systems", "system_id", "name_vi"),
)

PROJECT_RESULTS = ActualsTable(
    "project_results",
    "Progress of each project of §VI in the evaluated year.",
    (
        Column("project_id", "str", "project_id of data/projects.csv (or leave empty and give name_vi)", required=False,
               label_vi="Mã dự án", help_vi="Mã của dự án trong gói dữ liệu (điền sẵn, không sửa).", prefilled=True, width=23),
        Column("name_vi", "str", "name of the project, as in data/projects.csv", required=False,
               label_vi="Dự án", help_vi="Tên dự án như trong Kế hoạch (điền sẵn).", prefilled=True, width=40),
        _year_column(),
        Column("status", "str", "progress of the project", required=False, checks=(_choice(PROJECT_STATUS_CHOICES),),
               choices=PROJECT_STATUS_CHOICES, label_vi="Tình trạng", width=18,
               help_vi="Chưa khởi công, Đang thi công, Đã hoàn thành (chưa sử dụng) hoặc Đã đưa vào sử dụng."),
        Column("commissioning_date", "str", "date the works came into use", "date", required=False, date=True,
               label_vi="Ngày đưa vào sử dụng", unit_vi="ngày/tháng/năm", number_format="DD/MM/YYYY", width=14,
               help_vi="Ngày công trình bắt đầu cấp nước hoặc được đưa vào sử dụng (dd/mm/yyyy); chỉ điền khi đã đưa vào sử dụng."),
        Column("disbursed_billion_vnd", "float", "amount disbursed to date", "billion VND", required=False, checks=(_ge(0),),
               label_vi="Vốn đã giải ngân (tỷ đồng)", unit_vi="tỷ đồng", number_format="#,##0.000", width=14,
               help_vi="Vốn đã giải ngân lũy kế đến thời điểm báo cáo, tỷ đồng."),
        Column("connected_persons", "int", "people actually connected by the project", "persons", required=False, checks=(_ge(0),),
               label_vi="Số người được cấp nước thực tế (người)", unit_vi="người", number_format="#,##0", width=16,
               help_vi="Số người thực tế đã được cấp nước nhờ dự án (chỉ khi đã đưa vào sử dụng)."),
        *_source_columns(),
    ),
    key=("project_id",),
    row_provenance=None,
    sheet_vi="Dự án",
    help_vi="Mỗi dòng một dự án của Mục VI: tình trạng, ngày đưa vào sử dụng, vốn giải ngân, số người được cấp nước. Chủ đầu tư báo cáo.",
    id_column="project_id",
    name_column="name_vi",
    reference=("projects", "project_id", "name_vi"),
)

TASK_RESULTS = ActualsTable(
    "task_results",
    "Status of each task §VII gives an agency.",
    (
        Column("task_id", "str", "task_id of data/agency_tasks.csv", required=False,
               label_vi="Mã nhiệm vụ", help_vi="Mã nhiệm vụ trong gói dữ liệu (điền sẵn, không sửa).", prefilled=True, width=16),
        Column("agency_vi", "str", "the agency, as in data/agency_tasks.csv", required=False,
               label_vi="Cơ quan, đơn vị", help_vi="Cơ quan được giao nhiệm vụ (điền sẵn).", prefilled=True, width=22),
        Column("task_vi", "str", "the task as written in §VII", required=False,
               label_vi="Nhiệm vụ (Mục VII)", help_vi="Nhiệm vụ như trong Mục VII của Kế hoạch (điền sẵn).", prefilled=True, width=60),
        _year_column(),
        Column("status", "str", "state of the task", required=False, checks=(_choice(TASK_STATUS_CHOICES),),
               choices=TASK_STATUS_CHOICES, label_vi="Tình trạng", width=16,
               help_vi="Chưa thực hiện, Đang thực hiện hoặc Đã hoàn thành (chọn trong danh sách)."),
        Column("note", "str", "what was done, briefly", required=False, label_vi="Kết quả, ghi chú", width=50,
               help_vi="Kết quả chính, ngắn gọn (một hai câu)."),
        Column("source", "str", "who reported the row and in which document", required=False,
               label_vi="Nguồn số liệu", help_vi="Văn bản báo cáo (số, ngày) của cơ quan.", width=36),
    ),
    key=("task_id",),
    row_provenance=None,
    sheet_vi="Nhiệm vụ",
    help_vi="Mỗi dòng một nhiệm vụ Mục VII giao cho một cơ quan: tình trạng và kết quả ngắn. Mỗi cơ quan báo cáo các dòng của mình.",
    id_column="task_id",
    name_column="task_vi",
    reference=("agency_tasks", "task_id", "task_vi"),
)

ACTUALS_TABLES: tuple[ActualsTable, ...] = (AREA_RESULTS, SYSTEM_RESULTS, PROJECT_RESULTS, TASK_RESULTS)
ACTUALS_BY_NAME = {t.name: t for t in ACTUALS_TABLES}


def columns_of(table: ActualsTable) -> tuple[Column, ...]:
    return tuple(c for c in table.fields if isinstance(c, Column))


# ---------------------------------------------------------------------------- raw input


@dataclass(frozen=True)
class RawActuals:
    """Text cells of each reported table as read from a folder of CSV files or a workbook.

    ``tables``: table name -> frame of text cells (None = empty), index = line or Excel row number.
    ``labels``: table name -> where the table is, for messages ("x/area_results.csv", "x.xlsx[Đô thị]").
    ``column_labels``: table name -> column -> how a message names it (Excel: "E «Tình trạng»").
    ``header_rows``: table name -> the line or row number of the header (1 for CSV).
    """

    tables: dict[str, pd.DataFrame]
    labels: dict[str, str]
    source: str  # the path as the user gave it
    kind: str  # "csv" or "xlsx"
    column_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    header_rows: dict[str, int] = field(default_factory=dict)
    problems: tuple[Violation, ...] = ()  # found while reading (unknown files or sheets)


@dataclass(frozen=True)
class Actuals(TablesByName):
    """The validated reports: typed frames (one row per reported id, index 0..n-1)."""

    tables: dict[str, pd.DataFrame]
    year: int
    source: str
    kind: str
    is_illustrative: bool
    warnings: tuple[Violation, ...] = ()  # problems that did not stop the reading (e.g. an ignored column)


def empty_table(table: ActualsTable) -> pd.DataFrame:
    """A typed frame with the table's columns and no rows (a table nobody reported)."""
    frame = pd.DataFrame({c.name: pd.Series([], dtype=PANDAS_DTYPES[c.kind]) for c in table.columns()})
    if any(c.date for c in columns_of(table)):
        for c in columns_of(table):
            if c.date:
                frame[c.name] = pd.Series([], dtype="datetime64[ns]")
    return frame


# ---------------------------------------------------------------------------- normalising cells


def _fold(text: object) -> str:
    """Compare names and labels the way a person reads them: NFC, case and spacing ignored."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(text)).strip()).casefold()


_BOOL_WORDS = {**{w: "true" for w in ("có", "co", "true", "yes", "1", "x")}, **{w: "false" for w in ("không", "khong", "false", "no", "0")}}
_DATE_FORMS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")


def parse_date(text: str) -> dt.date | None:
    for form in _DATE_FORMS:
        try:
            return dt.datetime.strptime(text.strip(), form).date()
        except ValueError:
            continue
    return None


# Units and signs people type after or before a number: a cell may carry its own column's unit (it is dropped),
# never another one ("85%" in a column of people is an error, not 85 people). Spellings are compared folded.
UNIT_SPELLINGS: dict[str, tuple[str, ...]] = {
    "persons": ("người", "ng"),
    "households": ("hộ",),
    "hours/day": ("giờ", "h", "giờ/ngày", "h/ngày", "giờ/ngày đêm", "giờ/ngđ"),
    "billion VND": ("tỷ", "tỷ đồng", "tỷ vnđ", "tỷ vnd"),
    "m³/day": ("m3", "m³", "m3/ngày", "m³/ngày", "m3/ngày đêm", "m³/ngày đêm", "m3/ngđ", "m³/ngđ"),
    "volume_unit": ("m3", "m³"),  # the row's volume_unit adds its own time unit (see _VOLUME_PER)
    "%": ("%",),
}
_VOLUME_PER = {"m3_per_day": ("/ngày", "/ngày đêm", "/ngđ"), "m3_per_year": ("/năm",)}
_UNIT_WORDS = ("%", "m3", "m³", "người", "ng", "hộ", "giờ", "h", "tỷ", "triệu", "đồng", "đ", "vnd", "vnđ", "km", "lít", "l/", "ngày", "năm")
_SIGN_WORDS = ("~", "≈", "<", ">", "≤", "≥", "khoảng", "gần", "trên", "dưới", "hơn", "tối thiểu", "tối đa")
_NUMBER_AND_UNIT = re.compile(r"^(?P<sign>[~≈<>≤≥]|khoảng|gần|trên|dưới|hơn|tối thiểu|tối đa)?\s*"
                              r"(?P<number>[-+]?\d[\d.,\s\u00a0]*?)\s*(?P<unit>[^\d\s.,].*)?$", re.IGNORECASE)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", _fold(text))


def _units_of(column: Column, volume_unit: object) -> set[str]:
    spellings = set(UNIT_SPELLINGS.get(column.unit or "", ()))
    if column.unit == "volume_unit" and isinstance(volume_unit, str):
        code = next((c for c, lab in VOLUME_UNIT_CHOICES if _fold(volume_unit) in (_fold(c), _fold(lab))), volume_unit)
        spellings |= {base + per for base in ("m3", "m³") for per in _VOLUME_PER.get(code, ())}
    return {_squash(s) for s in spellings}


def _strip_unit(text: str, column: Column, volume_unit: object) -> tuple[str, str | None]:
    """(the number as typed, a problem): a number followed by its column's unit loses the unit; any other unit or sign is a problem."""
    found = _NUMBER_AND_UNIT.match(text)
    if found is None:
        return text, None
    sign, number, unit = found.group("sign"), found.group("number"), (found.group("unit") or "").strip()
    if sign:
        return text, f"ô «{text}» có dấu hoặc chữ «{sign}» trước số"
    if not unit:
        return number.strip(), None
    folded = _squash(unit)
    if not folded.startswith(tuple(_squash(w) for w in _UNIT_WORDS)):
        return text, None  # not a unit ('48o'): the number parser reports it
    if folded in _units_of(column, volume_unit):
        return number.strip(), None
    return text, f"ô «{text}» có đơn vị «{unit}» không phải đơn vị của cột"


def _unit_expected(column: Column) -> str:
    unit = column.unit_vi if column.unit_vi and column.unit != "volume_unit" else "theo cột Đơn vị sản lượng"
    return f"chỉ một số, đơn vị {unit}" if unit else "chỉ một số"


def _normalise(raw: pd.DataFrame, table: ActualsTable, label: str) -> tuple[pd.DataFrame, list[Violation]]:
    """Vietnamese labels of choices to their codes, có/không to true/false, dates to yyyy-mm-dd, units typed in cells dropped."""
    out = raw.copy()
    problems: list[Violation] = []
    for column in columns_of(table):
        if column.name not in out.columns:
            continue
        values = []
        for line, text in out[column.name].items():
            if text is None or (isinstance(text, float) and pd.isna(text)) or not str(text).strip():
                values.append(None)
                continue
            text = unicodedata.normalize("NFC", str(text).strip())
            if column.kind in ("int", "float") and not column.prefilled:
                volume_unit = out.at[line, "volume_unit"] if "volume_unit" in out.columns else None
                text, problem = _strip_unit(text, column, volume_unit)
                if problem:
                    problems.append(Violation(label, int(line), column.name, problem, _unit_expected(column)))
                    values.append(None)
                    continue
            if column.choices:
                by_label = {_fold(lab): code for code, lab in column.choices} | {_fold(code): code for code, _ in column.choices}
                text = by_label.get(_fold(text), text)
            elif column.kind == "bool":
                text = _BOOL_WORDS.get(_fold(text), text)
            elif column.date:
                parsed = parse_date(text)
                if parsed is None:
                    problems.append(Violation(label, int(line), column.name, *pair("actuals.not_a_date", text=text)))
                    text = None
                else:
                    text = parsed.isoformat()
            values.append(text)
        out[column.name] = pd.Series(values, index=out.index, dtype=object)
    return out, problems


# ---------------------------------------------------------------------------- validation


class _Rows:
    """Collects violations for one table with its label."""

    def __init__(self, label: str):
        self.label = label
        self.violations: list[Violation] = []

    def add(self, row: int | None, column: str | None, problem: str, expected: str | None = None, /, severity: str = "error",
            **params) -> None:
        """A violation; ``problem`` is a catalogue id when ``expected`` is not given."""
        if expected is None:
            problem, expected = pair(problem, **params)
        self.violations.append(Violation(self.label, row, column, problem, expected, severity))


RESOLVER_KINDS = {"urban_areas": "area", "systems": "system"}  # names people type, with the aliases of data/aliases.csv


def _resolve_ids(frame: pd.DataFrame, table: ActualsTable, package: DataPackage, rows: _Rows) -> pd.DataFrame:
    """Fill an empty id from the row's name; check ids and names against the data package; one row per id.

    Names match whatever their Unicode form, tone-mark placement, case or spacing
    (:mod:`capnuoc_model.data.names`); areas and systems also by their old names (data/aliases.csv).
    """
    from capnuoc_model.data.names import build_resolver, name_key

    ref_table, ref_id, ref_name = table.reference
    ref = package.tables[ref_table]
    names = dict(zip(ref[ref_id].astype(str), ref[ref_name].astype(str)))
    kind = RESOLVER_KINDS.get(ref_table)
    resolver = build_resolver(package.tables) if kind else None
    by_key = {name_key(n): i for i, n in names.items()}
    ref_file = f"{ref_table}.csv"

    def find(name: str) -> tuple[str | None, str, str]:
        """(id, problem, expected) for a typed name."""
        if resolver is not None:
            found = resolver.resolve(name, kind)
            return found.id, found.problem or "", found.expected or ""
        found = by_key.get(name_key(name))
        return found, *pair("actuals.unknown_name", name=name, ref_name=ref_name, file=ref_file, ref_id=ref_id)

    ids = []
    for line in frame.index:
        given_id = frame.at[line, table.id_column] if table.id_column in frame else None
        given_name = frame.at[line, table.name_column] if table.name_column in frame else None
        given_id = None if given_id is None or pd.isna(given_id) else str(given_id).strip()
        given_name = None if given_name is None or pd.isna(given_name) else str(given_name)
        if given_id is None and given_name is None:
            has_values = any(pd.notna(frame.at[line, c]) for c in frame.columns if c not in (table.id_column, "year"))
            if has_values:
                rows.add(line, table.id_column, "actuals.row_without_id", file=ref_file, ref_id=ref_id, ref_name=ref_name)
            ids.append(None)
            continue
        if given_id is None:
            found, problem, expected = find(given_name)
            if found is None:
                rows.add(line, table.name_column, problem, expected)
            ids.append(found)
            continue
        if given_id not in names:
            found = resolver.resolve(given_id, kind).id if resolver is not None else by_key.get(name_key(given_id))
            if found is not None:  # a name (or an old name) typed where the id goes
                ids.append(found)
                continue
            closest = resolver.resolve(given_id, kind).closest if resolver is not None else ""
            rows.add(line, table.id_column, "actuals.unknown_id", id=given_id, file=ref_file, ref_id=ref_id,
                     closest=f"; {closest}" if closest else "")
            ids.append(None)
            continue
        if given_name is not None and find(given_name)[0] != given_id:
            rows.add(line, table.name_column, "actuals.name_mismatch", name=given_name, id=given_id, known=names[given_id],
                     ref_name=ref_name, file=ref_file)
        ids.append(given_id)
    out = frame.copy()
    out[table.id_column] = pd.Series(ids, index=frame.index, dtype=object)
    seen: dict[str, int] = {}
    for line, value in out[table.id_column].items():
        if value is None:
            continue
        if value in seen:
            rows.add(line, table.id_column, "actuals.reported_twice", value=value, first=seen[value])
        else:
            seen[value] = line
    return out


def _check_year(frame: pd.DataFrame, year: int, rows: _Rows) -> None:
    if "year" not in frame:
        return
    for line, value in frame["year"].items():
        if pd.notna(value) and int(value) != year:  # a missing year is reported by the column's own rule
            rows.add(line, "year", "actuals.wrong_year", given=int(value), year=year)


def _check_areas(frame: pd.DataFrame, rows: _Rows) -> None:
    over = ((frame["served_persons"] > frame["population_persons"]) & (frame["population_persons"] > 0)).fillna(False).astype(bool)
    for line in frame.index[over]:
        rows.add(line, "served_persons", "actuals.served_over_population", served=_n(frame.at[line, "served_persons"]),
                 population=_n(frame.at[line, "population_persons"]))


def _check_systems(frame: pd.DataFrame, rows: _Rows) -> None:
    known = {code for code, _ in SYSTEM_STATUS_CHOICES}
    for line in frame.index:
        status = frame.at[line, "status"]
        status = status if status in known else None  # an unknown status is reported by its own rule
        has_volume = pd.notna(frame.at[line, "production_volume"]) or pd.notna(frame.at[line, "billed_volume"])
        if has_volume and pd.isna(frame.at[line, "volume_unit"]) and status in (None, "operating"):
            rows.add(line, "volume_unit", "actuals.volume_without_unit")
        if status is not None and status != "operating":
            for column in ("production_volume", "billed_volume"):
                value = frame.at[line, column]
                if pd.notna(value) and value > 0:
                    rows.add(line, column, "actuals.idle_with_volume", status=_status_vi(SYSTEM_STATUS_CHOICES, status))
    over = (frame["billed_volume"] > frame["production_volume"]).fillna(False).astype(bool)
    for line in frame.index[over]:
        rows.add(line, "billed_volume", "actuals.billed_over_production", billed=_n(frame.at[line, "billed_volume"]),
                 production=_n(frame.at[line, "production_volume"]))
    for line in frame.index:  # one volume without the other: no loss can be computed for the system
        status = frame.at[line, "status"]
        if status not in (None, "operating") and not pd.isna(status):
            continue
        has = {c: pd.notna(frame.at[line, c]) for c in ("production_volume", "billed_volume")}
        if has["billed_volume"] and not has["production_volume"]:
            rows.add(line, "production_volume", "có sản lượng thương phẩm nhưng thiếu sản lượng sản xuất: chưa tính được tỷ lệ thất thoát",
                     "cả hai sản lượng", severity="warning")
        elif has["production_volume"] and not has["billed_volume"]:
            rows.add(line, "billed_volume", "có sản lượng sản xuất nhưng thiếu sản lượng thương phẩm: chưa tính được tỷ lệ thất thoát",
                     "cả hai sản lượng", severity="warning")


UNIT_CHECK_RATIO = 3.0  # a reported volume beyond ×3 or ÷3 of the system's 2025 value (or above ×3 its capacity) is checked


def days_in(year: int) -> int:
    return 366 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 365


def _check_volumes(frame: pd.DataFrame, package: DataPackage, year: int, rows: _Rows) -> None:
    """Every reported volume against the system's 2025 value and its design capacity (a unit chosen wrongly shows here).

    Beyond :data:`UNIT_CHECK_RATIO` it is an error naming the likely mix-up, unless the row's note explains it
    (then a warning the document shows).
    """
    from capnuoc_model.data import fmt

    base = package.systems.set_index("system_id")
    ratio, days = UNIT_CHECK_RATIO, days_in(year)
    for line in frame.index:
        system_id = frame.at[line, "system_id"]
        if system_id is None or system_id not in base.index:
            continue
        unit = frame.at[line, "volume_unit"]
        per_year = unit == "m3_per_year"
        note = frame.at[line, "note"] if "note" in frame else None
        explained = isinstance(note, str) and bool(note.strip())
        capacity = frame.at[line, "design_capacity_m3_per_day"]
        capacity = base.at[system_id, "design_capacity_m3_per_day"] if pd.isna(capacity) else capacity
        capacity = math.nan if pd.isna(capacity) else float(capacity)
        for column, reference in (("production_volume", "production_m3_per_day"), ("billed_volume", "billed_m3_per_day")):
            value = frame.at[line, column]
            if pd.isna(value) or value <= 0 or pd.isna(unit):
                continue
            per_day = float(value) / (days if per_year else 1)
            before = math.nan if pd.isna(base.at[system_id, reference]) else float(base.at[system_id, reference])
            problems = []
            base_year = package.plan.base_year
            if before > 0 and not (before / ratio <= per_day <= before * ratio):
                problems.append(f"{fmt.vn(per_day)} m³/ngày đêm, {fmt.vn(per_day / before, 1, trim=True)} lần mức năm {base_year} "
                                f"({fmt.vn(before)} m³/ngày đêm)")
            if column == "production_volume" and capacity > 0 and per_day > ratio * capacity:
                problems.append(f"{fmt.vn(per_day)} m³/ngày đêm, gấp {fmt.vn(per_day / capacity, 1, trim=True)} lần công suất thiết kế "
                                f"({fmt.vn(capacity)} m³/ngày đêm)")
            if not problems:
                continue
            reference_value = before if before > 0 else capacity
            other = float(value) if per_year else float(value) / days
            if reference_value > 0 and reference_value / ratio <= other <= reference_value * ratio:
                hint = ("có lẽ là số liệu theo ngày nhưng đã chọn đơn vị m³/năm" if per_year
                        else "có lẽ là sản lượng cả năm nhưng đã chọn đơn vị m³/ngày đêm")
            else:
                hint = "kiểm tra lại số liệu và đơn vị"
            rows.add(line, column, f"{problems[0]}: {hint}",
                     f"trong khoảng ÷{fmt.vn(ratio, 1, trim=True)} đến ×{fmt.vn(ratio, 1, trim=True)} mức năm {base_year} và không quá "
                     f"{fmt.vn(ratio, 1, trim=True)} lần công suất; nếu đúng như vậy, ghi lý do ở cột Ghi chú",
                     severity="warning" if explained else "error")


def _check_projects(frame: pd.DataFrame, year: int, rows: _Rows) -> None:
    last = dt.date(year, 12, 31)
    known = {code for code, _ in PROJECT_STATUS_CHOICES}
    for line in frame.index:
        status = frame.at[line, "status"]
        status = status if status in known else None  # an unknown status is reported by its own rule
        text = frame.at[line, "commissioning_date"]
        in_use_or_unknown = pd.isna(status) or status == "in_use"
        if pd.notna(text):
            date = dt.date.fromisoformat(str(text))
            if not EARLIEST_DATE <= date <= last:
                rows.add(line, "commissioning_date", "actuals.date_outside", date=f"{date:%d/%m/%Y}",
                         earliest=f"{EARLIEST_DATE:%d/%m/%Y}", last=f"{last:%d/%m/%Y}", year=year)
            if not in_use_or_unknown:
                rows.add(line, "commissioning_date", "actuals.date_not_in_use", status=_status_vi(PROJECT_STATUS_CHOICES, status))
        connected = frame.at[line, "connected_persons"]
        if pd.notna(connected) and connected > 0 and not in_use_or_unknown:
            rows.add(line, "connected_persons", "actuals.people_not_in_use", status=_status_vi(PROJECT_STATUS_CHOICES, status))


def _n(value: float) -> str:
    from capnuoc_model.data.fmt import vn

    return vn(float(value), 3, trim=True)


def _status_vi(choices: tuple[tuple[str, str], ...], status: str) -> str:
    return dict(choices).get(status, status)


def _typed_dates(frame: pd.DataFrame, table: ActualsTable) -> pd.DataFrame:
    out = frame.copy()
    for column in columns_of(table):
        if column.date and column.name in out:
            out[column.name] = pd.to_datetime(out[column.name], format="%Y-%m-%d")
    return out


def _relabel(violations: list[Violation], raw: RawActuals) -> list[Violation]:
    """Excel: name columns by letter and header, the header row by its row number, numbers as typed in cells."""
    out = []
    for v in violations:
        table = next((name for name, label in raw.labels.items() if label == v.file), None)
        columns = raw.column_labels.get(table or "", {})
        row = v.row
        if row == 1 and raw.header_rows.get(table or "", 1) != 1 and v.column is not None:
            row = raw.header_rows[table]
        out.append(replace(v, row=row, column=columns.get(v.column, v.column) if v.column else v.column))
    return out


def is_illustrative(source: str, tables: dict[str, pd.DataFrame]) -> bool:
    """The shipped example: 'minh_hoa' in the file name, or a source cell marked 'MINH HỌA'."""
    slug = _fold(source).replace("-", "_").replace(" ", "_")
    if "minh_hoa" in slug or "minh_họa" in slug:
        return True
    for frame in tables.values():
        if "source" in frame and frame["source"].dropna().astype(str).str.upper().str.contains(ILLUSTRATIVE_MARK).any():
            return True
    return False


def validate_actuals(raw: RawActuals, package: DataPackage, year: int) -> Actuals:
    """Typed, checked reports or :class:`CapnuocInputError` listing every problem (file/sheet, row, column)."""
    violations: list[Violation] = list(raw.problems)
    typed: dict[str, pd.DataFrame] = {}
    for table in ACTUALS_TABLES:
        if table.name not in raw.tables:
            typed[table.name] = empty_table(table)
            continue
        label = raw.labels[table.name]
        rows = _Rows(label)
        normal, problems = _normalise(raw.tables[table.name], table, label)
        frame, parse_problems = parse_table(normal, table, label)
        unparsed = {(v.row, v.column) for v in parse_problems + problems if v.row is not None and v.row > 1}
        violations += problems + parse_problems + check_rules(frame, table, label, unparsed)
        if any(v.code == "data.column_missing" for v in parse_problems):
            continue  # the row rules need every column
        frame = _resolve_ids(frame, table, package, rows)
        _check_year(frame, year, rows)
        {"area_results": lambda f: _check_areas(f, rows),
         "system_results": lambda f: (_check_systems(f, rows), _check_volumes(f, package, year, rows)),
         "project_results": lambda f: _check_projects(f, year, rows), "task_results": lambda f: None}[table.name](frame)
        violations += rows.violations
        frame = frame[frame[table.id_column].notna()]
        typed[table.name] = _typed_dates(frame, table).reset_index(drop=True)
    errors = [v for v in violations if v.severity == "error"]
    if errors:
        raise CapnuocInputError(_relabel(errors, raw), text("summary.actuals", count=len(set(errors)), source=raw.source))
    warnings = tuple(sorted(set(_relabel([v for v in violations if v.severity != "error"], raw))))
    return Actuals(typed, year, raw.source, raw.kind, is_illustrative(raw.source, typed), warnings)


def volumes_m3_per_day(systems: pd.DataFrame, year: int) -> pd.DataFrame:
    """Production and billed volume per day, whatever unit they were reported in (a year has 365 or 366 days)."""
    days = days_in(year)
    per_year = (systems["volume_unit"] == "m3_per_year").fillna(False).astype(bool).to_numpy()
    divisor = pd.Series(1.0, index=systems.index).where(~per_year, float(days))
    return pd.DataFrame({
        "production_m3_per_day": systems["production_volume"].astype(float) / divisor,
        "billed_m3_per_day": systems["billed_volume"].astype(float) / divisor,
    }, index=systems.index)


__all__ = [
    "ACTUALS_TABLES", "ACTUALS_BY_NAME", "Actuals", "ActualsTable", "Column", "RawActuals",
    "validate_actuals", "volumes_m3_per_day", "columns_of", "is_illustrative", "BOOL_LABELS", "HELP_SHEET",
]
