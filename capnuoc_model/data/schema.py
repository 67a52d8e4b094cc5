"""The data package's registry of tables and columns, and its validation.

Every column is declared once here, with its type, unit, description and
rules; ``data/README.md`` documents the same columns for people (a test checks
that the two agree). Validation runs in two passes over the raw text of each
CSV file: first each cell is parsed to its type (so "abc" in a number column is
reported where it stands), then pandera checks ranges, allowed values,
uniqueness and missing values, and the cross-table rules below check the
relations between rows and tables. Every problem becomes a
:class:`~capnuoc_model.data.errors.Violation` naming file, row and column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa

from capnuoc_model.data.errors import Violation

SYSTEM_STATUSES = ("operating", "stopped", "under_construction")
SYSTEM_KINDS = ("plant", "station", "scheme")
LOSS_GROUPS = ("at_or_below_threshold", "above_threshold")  # relative to plan.loss_threshold_pct (the loss target)
UTILISATION_GROUPS = ("low", "near_capacity", "medium")
PROJECT_KINDS = ("new_service", "capacity", "network", "quality", "transmission")
BENEFICIARY_BASES = ("additional", "none")
HISTORY_SCOPE_PROVINCE = "province"
COMPARATORS = ("at_least", "at_most", "between", "qualitative")
ASSUMPTION_PATH = r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$"
ESTIMATE_PREFIX = "estimate:"
ID_PATTERN = r"^[a-z][a-z0-9_]*$"
PANDAS_DTYPES = {"str": object, "int": "Int64", "float": "Float64", "bool": "boolean"}  # column kind -> nullable dtype
SHARE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Field:
    """One column: its type, unit, meaning and rules."""

    name: str
    kind: str  # "str", "int", "float" or "bool"
    description: str
    unit: str = ""
    required: bool = True
    checks: tuple[pa.Check, ...] = ()
    unique: bool = False
    provenance: bool = False  # a "<name>_source" column carries this value's provenance
    label_vi: str = ""  # what the column holds, in Vietnamese (messages, workbooks)

    @property
    def label(self) -> str:
        return self.label_vi or self.name


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    row_provenance: str | None = "source"  # a column giving the provenance of the whole row
    extra_rules: tuple[str, ...] = field(default_factory=tuple)
    required: bool = True  # an optional table may be left out of a package (its figures are then empty)
    min_rows: int = 1  # fewer data rows than this and no command can run on the table

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    def label(self, column: str) -> str:
        """The Vietnamese label of a column (a ±95 % range column is named after the value it qualifies)."""
        from capnuoc_model.data.messages import text

        fields = {f.name: f for f in self.columns()}
        if column in fields and fields[column].label_vi:
            return fields[column].label_vi
        base = column.removesuffix("_ci95_pct")
        if base != column and base in fields:
            return text("label.ci95_of", label=self.label(base))
        return column

    def columns(self) -> list[Field]:
        """Declared fields plus the provenance column of each field that has one."""
        out: list[Field] = []
        for f in self.fields:
            out.append(f)
            if f.provenance:
                out.append(
                    Field(
                        f"{f.name}_source",
                        "str",
                        f"provenance of {f.name}: a source id (with an optional locator) "
                        f"or '{ESTIMATE_PREFIX}<method_id>'",
                        required=False,
                        label_vi=_text("label.source_of", label=f.label),
                    )
                )
        return out


def _text(key: str, **params) -> str:
    from capnuoc_model.data.messages import text

    return text(key, **params)


def _n(value: float) -> str:
    from capnuoc_model.data.fmt import vn

    return vn(value, 6, trim=True)


def _ge(value: float) -> pa.Check:
    return pa.Check.ge(value, error=_text("rule.ge", value=_n(value)))


def _gt(value: float) -> pa.Check:
    return pa.Check.gt(value, error=_text("rule.gt", value=_n(value)))


def _between(lo: float, hi: float) -> pa.Check:
    return pa.Check.in_range(lo, hi, error=_text("rule.between", low=_n(lo), high=_n(hi)))


def _one_of(values: tuple[str, ...]) -> pa.Check:
    return pa.Check.isin(list(values), error=_text("rule.one_of", values=", ".join(values)))


def _id() -> pa.Check:
    return pa.Check.str_matches(ID_PATTERN, error=_text("rule.id"))


def _path() -> pa.Check:
    return pa.Check.str_matches(ASSUMPTION_PATH, error="an assumption path such as extension.low_utilisation_gap_closed_per_year")


def _ci95(name: str) -> Field:
    """The ±95 % range of a balance input, as WB-EasyCalc asks for it: half-width in % of the value."""
    return Field(f"{name}_ci95_pct", "float", f"±95 % range of {name}", "% of the value", checks=(_between(0, 100),))


TABLES: tuple[Table, ...] = (
    Table(
        "sources",
        "Every published source a value cites.",
        (
            Field("source_id", "str", "id cited in provenance columns", checks=(_id(),), unique=True, label_vi="mã nguồn"),
            Field("title", "str", "title of the document or page", label_vi="tên tài liệu"),
            Field("publisher", "str", "who published it", label_vi="cơ quan công bố"),
            Field("year", "int", "year of publication", "year", checks=(_between(1990, 2100),), label_vi="năm công bố"),
            Field("link_or_document", "str", "web address (without scheme) or document reference", label_vi="địa chỉ hoặc số hiệu văn bản"),
            Field("note", "str", "what the source gives", required=False, label_vi="ghi chú"),
            Field("kind", "str", "primary: the body that produced the figure publishes it (statistics office, census, "
                  "government, operator, standard); secondary: an encyclopaedia, a mirror of it, a newspaper or a private "
                  "site repeating a figure whose primary publication was not found", checks=(_one_of(("primary", "secondary")),),
                  label_vi="loại nguồn"),
        ),
        key=("source_id",),
        row_provenance=None,
    ),
    Table(
        "methods",
        "Every estimation method an 'estimate:' provenance names.",
        (
            Field("method_id", "str", "id used as estimate:<method_id>", checks=(_id(),), unique=True, label_vi="mã phương pháp"),
            Field("title", "str", "short name of the method", label_vi="tên phương pháp"),
            Field("description", "str", "how the estimate is made, step by step", label_vi="cách ước tính"),
        ),
        key=("method_id",),
        row_provenance=None,
        min_rows=0,  # a package without estimates has no methods
    ),
    Table(
        "operators",
        "The water-supply operators the plan names.",
        (
            Field("operator_id", "str", "stable id", checks=(_id(),), unique=True, label_vi="mã đơn vị cấp nước"),
            Field("name_vi", "str", "full Vietnamese name", label_vi="tên đơn vị cấp nước"),
            Field("short_name_vi", "str", "short Vietnamese name for tables", label_vi="tên viết tắt"),
            Field("kind", "str", "legal form", checks=(_one_of(("company", "public_centre", "cooperative")),), label_vi="loại hình"),
            Field("source", "str", "provenance of the row", label_vi="nguồn số liệu"),
        ),
        key=("operator_id",),
    ),
    Table(
        "orientation_groups",
        "The plan's groups of urban areas, with the direction and the assumptions each uses.",
        (
            Field("group_id", "str", "stable id", checks=(_id(),), unique=True, label_vi="mã nhóm định hướng"),
            Field("label_vi", "str", "Vietnamese label", label_vi="tên nhóm"),
            Field("direction_vi", "str", "the plan's direction for the group", label_vi="định hướng của nhóm"),
            Field("in_plan", "bool", "a group the plan's orientation section names (false: a grouping the model adds for areas the plan's groups leave out)",
                  label_vi="nhóm của Kế hoạch"),
            Field("extension_assumption", "str", "path of the assumption giving the yearly share of the unserved people the group's areas connect by network extension (empty: none)",
                  required=False, checks=(_path(),), label_vi="giả định mở rộng mạng lưới"),
            Field("demand_assumption", "str", "path of the assumption giving the domestic use per served person in the group's areas",
                  checks=(_path(),), label_vi="giả định nhu cầu dùng nước"),
            Field("source", "str", "provenance of the row", label_vi="nguồn số liệu"),
        ),
        key=("group_id",),
    ),
    Table(
        "urban_areas",
        "The urban areas (đô thị) of the plan.",
        (
            Field("area_id", "str", "stable ASCII id", checks=(_id(),), unique=True, label_vi="mã đô thị"),
            Field("name_vi", "str", "Vietnamese name", label_vi="tên đô thị"),
            Field("unit_kind", "str", "kind of the unit (ward or commune)", checks=(_one_of(("phường", "xã")),), label_vi="loại đơn vị hành chính"),
            Field("commune_vi", "str", "the ward/commune the area belongs to since the latest reorganisation of units", label_vi="xã, phường hiện nay"),
            Field("old_towns_vi", "str", "old towns, wards or communes that form the area", label_vi="thị trấn, phường, xã cũ"),
            Field("orientation_group", "str", "group_id in orientation_groups.csv", label_vi="nhóm định hướng"),
            Field("history_scope", "str", "scope in population_history.csv of published figures that cover this area together with others (the old city for its wards); empty when none",
                  required=False, checks=(_id(),), label_vi="phạm vi số liệu dân số chung"),
            Field(
                "population_base_persons", "int", "urban population in the base year (plan.yaml years.base)", "persons",
                checks=(_gt(0),), provenance=True, label_vi="dân số đô thị năm gốc",
            ),
            Field(
                "served_base_persons", "int", "people served by piped (centralised) systems in the base year", "persons",
                checks=(_ge(0),), provenance=True, label_vi="số người được cấp nước sạch năm gốc",
            ),
            Field("note", "str", "remark", required=False, label_vi="ghi chú"),
        ),
        key=("area_id",),
        row_provenance=None,
    ),
    Table(
        "systems",
        "The water systems (công trình): operating, stopped or under construction.",
        (
            Field("system_id", "str", "stable ASCII id", checks=(_id(),), unique=True, label_vi="mã công trình"),
            Field("name_vi", "str", "Vietnamese name", label_vi="tên công trình"),
            Field("operator_id", "str", "operator_id in operators.csv (empty only while under construction)", required=False, label_vi="mã đơn vị cấp nước"),
            Field("kind", "str", "plant (nhà máy), station (trạm) or scheme (công trình)", checks=(_one_of(SYSTEM_KINDS),), label_vi="loại công trình"),
            Field("status", "str", "operating, stopped or under_construction", checks=(_one_of(SYSTEM_STATUSES),), label_vi="tình trạng"),
            Field("plan_loss_group", "str", "the plan's loss set of the system: at_or_below_threshold or above_threshold, the threshold being the loss target", required=False, checks=(_one_of(LOSS_GROUPS),), label_vi="nhóm thất thoát theo Kế hoạch"),
            Field("is_plan_high_loss", "bool", "named by §V.2 among the high/very high loss systems", label_vi="thất thoát cao theo Mục V.2"),
            Field("is_recent_system", "bool", "newly built: losses come from design, connections and customer records rather than ageing pipes (§V.2)", label_vi="công trình mới xây"),
            Field("plan_utilisation_group", "str", "placement of §IV.1: low, near_capacity or medium", required=False, checks=(_one_of(UTILISATION_GROUPS),), label_vi="nhóm khai thác công suất (Mục IV.1)"),
            Field("design_capacity_m3_per_day", "int", "design capacity", "m³/day", required=False, checks=(_gt(0),), provenance=True, label_vi="công suất thiết kế"),
            Field("production_m3_per_day", "int", "actual production (system input volume)", "m³/day", required=False, checks=(_ge(0),), provenance=True, label_vi="sản lượng nước sản xuất"),
            Field("billed_m3_per_day", "int", "billed (revenue) volume", "m³/day", required=False, checks=(_ge(0),), provenance=True, label_vi="sản lượng nước ghi thu"),
            Field("note", "str", "remark", required=False, label_vi="ghi chú"),
            Field("plan_work", "str", "the work (công trình) the plan counts this system as: stations the plan counts as one work share it; empty: a work of its own",
                  required=False, checks=(_id(),), label_vi="công trình theo cách đếm của Kế hoạch"),
        ),
        key=("system_id",),
        row_provenance=None,
    ),
    Table(
        "area_systems",
        "Which systems serve which area, with the share of the area's served people each supplies.",
        (
            Field("area_id", "str", "area_id in urban_areas.csv", label_vi="mã đô thị"),
            Field("system_id", "str", "system_id in systems.csv", label_vi="mã công trình"),
            Field("share_of_area_served", "float", "share of the area's served people supplied by this system", "fraction 0-1", checks=(_between(0, 1),), label_vi="tỷ phần số người được cấp của đô thị"),
            Field("source", "str", "provenance of the row", label_vi="nguồn số liệu"),
        ),
        key=("area_id", "system_id"),
    ),
    Table(
        "system_network",
        "Network and balance inputs of each operating system for the IWA water balance and ILI (estimates), each with its ±95 % range.",
        (
            Field("system_id", "str", "system_id in systems.csv (an operating system)", checks=(_id(),), unique=True, label_vi="mã công trình"),
            Field("service_connections", "int", "service connections (IWA Nc)", "connections", checks=(_gt(0),), provenance=True, label_vi="số đấu nối"),
            _ci95("service_connections"),
            Field("mains_km", "float", "length of mains (IWA Lm)", "km", checks=(_gt(0),), provenance=True, label_vi="chiều dài đường ống chính"),
            _ci95("mains_km"),
            Field("private_pipe_m", "float", "average length of private pipe from property line to customer meter (IWA Lp / Nc)", "m", checks=(_between(0, 100),), provenance=True, label_vi="chiều dài ống nhánh sau ranh giới"),
            _ci95("private_pipe_m"),
            Field("pressure_m", "float", "average operating pressure", "m", checks=(_between(5, 100),), provenance=True, label_vi="áp lực trung bình"),
            _ci95("pressure_m"),
            Field("supply_hours_per_day", "float", "hours a day the network is pressurised", "hours/day", checks=(_between(1, 24),), provenance=True, label_vi="số giờ cấp nước mỗi ngày"),
            _ci95("supply_hours_per_day"),
            Field("meter_under_registration_pct", "float", "customer meter under-registration: share of the true flow the meters miss", "%", checks=(_between(0, 50),), provenance=True, label_vi="sai số đo thiếu của đồng hồ"),
            _ci95("meter_under_registration_pct"),
            Field("billed_unmetered_pct", "float", "share of the billed volume billed without a meter (flat rate)", "% of billed", checks=(_between(0, 100),), provenance=True, label_vi="tỷ lệ ghi thu khoán (không đồng hồ)"),
            Field("unbilled_authorised_pct", "float", "unbilled authorised consumption (flushing, fire fighting, own use)", "% of system input", checks=(_between(0, 50),), provenance=True, label_vi="tiêu thụ hợp pháp không ghi thu"),
            _ci95("unbilled_authorised_pct"),
            Field("unbilled_metered_share_pct", "float", "metered share of the unbilled authorised consumption", "%", checks=(_between(0, 100),), provenance=True, label_vi="phần có đồng hồ của tiêu thụ không ghi thu"),
            Field("unauthorised_pct", "float", "unauthorised consumption (illegal or unregistered connections, meter bypass)", "% of system input", checks=(_between(0, 80),), provenance=True, label_vi="tiêu thụ trái phép"),
            _ci95("unauthorised_pct"),
            Field("data_error_pct", "float", "systematic data handling errors (meter reading, billing records)", "% of billed", checks=(_between(0, 50),), provenance=True, label_vi="sai sót số liệu"),
            _ci95("data_error_pct"),
            Field("system_input_ci95_pct", "float", "±95 % range of the system input (production) volume", "% of the value", checks=(_between(0, 100),), label_vi="khoảng ±95 % của sản lượng sản xuất"),
            Field("billed_ci95_pct", "float", "±95 % range of the billed volume", "% of the value", checks=(_between(0, 100),), label_vi="khoảng ±95 % của sản lượng ghi thu"),
            Field("ranges_source", "str", "provenance of the ±95 % ranges of the row", label_vi="nguồn của các khoảng ±95 %"),
            Field("note", "str", "the reason for the row's judgements", required=False, label_vi="ghi chú"),
        ),
        key=("system_id",),
        row_provenance="ranges_source",
    ),
    Table(
        "projects",
        "The plan's projects exactly as written.",
        (
            Field("project_no", "int", "number in the plan's list", checks=(_between(1, 99),), unique=True, label_vi="số thứ tự dự án"),
            Field("project_id", "str", "stable ASCII id", checks=(_id(),), unique=True, label_vi="mã dự án"),
            Field("name_vi", "str", "name as written in the plan", label_vi="tên dự án"),
            Field("investor_vi", "str", "investor (chủ đầu tư)", label_vi="chủ đầu tư"),
            Field("cost_billion_vnd", "float", "total investment", "billion VND", checks=(_gt(0),), label_vi="tổng mức đầu tư"),
            Field("cost_as_written", "str", "the cost exactly as printed in the plan", label_vi="tổng mức đầu tư như ghi trong Kế hoạch"),
            Field("funding_vi", "str", "sources of funds", label_vi="nguồn vốn"),
            Field("completion_year", "int", "year of completion", "year", checks=(_between(2020, 2040),), label_vi="năm hoàn thành"),
            Field("beneficiaries_persons", "int", "people to be served, where stated", "persons", required=False, checks=(_ge(0),), label_vi="số người hưởng lợi"),
            Field("beneficiaries_basis", "str", "additional (new people served) or none (no number stated)", checks=(_one_of(BENEFICIARY_BASES),), label_vi="cách tính người hưởng lợi"),
            Field("expected_effect_vi", "str", "expected effect as written", label_vi="hiệu quả dự kiến"),
            Field("kind", "str", "what the project does", checks=(_one_of(PROJECT_KINDS),), label_vi="loại dự án"),
            Field("area_ids", "str", "area_id(s) affected, separated by ';'", label_vi="mã các đô thị"),
            Field("system_ids", "str", "system_id(s) affected, separated by ';'", label_vi="mã các công trình"),
            Field("source", "str", "provenance of the row", label_vi="nguồn số liệu"),
        ),
        key=("project_id",),
    ),
    Table(
        "agency_tasks",
        "The tasks the plan gives each agency, as written; the annual evaluation reports on each.",
        (
            Field("task_id", "str", "stable id: <agency_id>_<n>, n = the task's place in the agency's list", checks=(_id(),), unique=True, label_vi="mã nhiệm vụ"),
            Field("agency_id", "str", "stable id of the agency", checks=(_id(),), label_vi="mã cơ quan"),
            Field("agency_vi", "str", "the agency as §VII names it", label_vi="cơ quan"),
            Field("task_vi", "str", "the task as written in §VII", label_vi="nhiệm vụ"),
            Field("source", "str", "provenance of the row", label_vi="nguồn số liệu"),
        ),
        key=("task_id",),
    ),
    Table(
        "targets_province",
        "Every target of the plan, for the plan year (plan.yaml years.plan).",
        (
            Field("target_id", "str", "stable id", checks=(_id(),), unique=True, label_vi="mã mục tiêu"),
            Field("year", "int", "target year", "year", checks=(_between(2020, 2040),), label_vi="năm mục tiêu"),
            Field("indicator_vi", "str", "indicator as worded in the plan", label_vi="chỉ tiêu"),
            Field("indicator_en", "str", "indicator in English", label_vi="chỉ tiêu (tiếng Anh)"),
            Field("wording_vi", "str", "the target as the plan words it", label_vi="mục tiêu theo lời văn Kế hoạch"),
            Field("is_numeric", "bool", "whether the target has a number", label_vi="mục tiêu định lượng"),
            Field("comparator", "str", "at_least (≥ target_min), at_most (≤ target_max), between (both) or qualitative (no number)",
                  checks=(_one_of(COMPARATORS),), label_vi="cách so sánh với chỉ tiêu"),
            Field("baseline_value", "float", "value in the baseline year, where the plan gives one", "see unit", required=False, label_vi="giá trị năm gốc"),
            Field("baseline_year", "int", "year of the baseline value", "year", required=False, label_vi="năm gốc"),
            Field("target_min", "float", "lowest value that meets the target", "see unit", required=False, label_vi="giá trị thấp nhất đạt mục tiêu"),
            Field("target_max", "float", "highest value that meets the target", "see unit", required=False, label_vi="giá trị cao nhất đạt mục tiêu"),
            Field("unit", "str", "unit of the three values", checks=(_one_of(("pct_population", "pct_production", "pct_systems", "pct_operators", "hours_per_day", "none")),), label_vi="đơn vị"),
            Field("applies_to", "str", "what the target is measured on, separated by ';': province, area, system, operator", label_vi="đối tượng áp dụng"),
            Field("scope", "str", "what the target applies to, in words", label_vi="phạm vi áp dụng"),
            Field("source", "str", "provenance of the row", label_vi="nguồn số liệu"),
        ),
        key=("target_id",),
    ),
    Table(
        "targets_area",
        "Per-area coverage targets of the plan year reconstructing Biểu 04 (an estimate).",
        (
            Field("area_id", "str", "area_id in urban_areas.csv", unique=True, label_vi="mã đô thị"),
            Field("year", "int", "target year", "year", checks=(_between(2020, 2040),), label_vi="năm mục tiêu"),
            Field("population_target_persons", "int", "population of the plan year the target is computed on", "persons", checks=(_gt(0),), label_vi="dân số năm kế hoạch"),
            Field("served_target_persons", "int", "people to be served in the plan year", "persons", checks=(_ge(0),), label_vi="số người cần được cấp nước năm kế hoạch"),
            Field("coverage_target_pct", "float", "coverage target", "%", checks=(_between(0, 100),), label_vi="chỉ tiêu tỷ lệ bao phủ"),
            Field("source", "str", "provenance of the row", label_vi="nguồn số liệu"),
        ),
        key=("area_id",),
    ),
    Table(
        "population_history",
        "Published population figures, for the projection and the carried-forward base-year values.",
        (
            Field("scope", "str", "province, an area_id, or a history_scope of urban_areas.csv (figures covering several areas)", label_vi="phạm vi"),
            Field("unit_vi", "str", "the unit the figure covers", label_vi="đơn vị hành chính"),
            Field("year", "int", "year of the figure", "year", checks=(_between(1900, 2100),), label_vi="năm"),
            Field("population_persons", "int", "population", "persons", checks=(_gt(0),), label_vi="dân số"),
            Field("measure", "str", "total or urban population", checks=(_one_of(("total", "urban")),), label_vi="loại dân số"),
            Field("covers", "str", "whole: the figure covers the whole scope; part: only part of it", checks=(_one_of(("whole", "part")),), label_vi="mức bao quát"),
            Field("source", "str", "provenance of the row", label_vi="nguồn số liệu"),
            Field("note", "str", "remark", required=False, label_vi="ghi chú"),
        ),
        key=("scope", "unit_vi", "year", "measure"),
    ),
)

TABLES = TABLES + (
    Table(
        "aliases",
        "Other names people use for an area, system or operator: old names from before a reorganisation of units, names in the plan's text.",
        (
            Field("alias_vi", "str", "the name as people write it (any tone-mark placement matches)", label_vi="tên gọi khác"),
            Field("kind", "str", "what the name stands for", checks=(_one_of(("area", "system", "operator")),), label_vi="loại"),
            Field("target_id", "str", "the id it stands for (area_id, system_id or operator_id)", label_vi="mã được gọi"),
            Field("note", "str", "why the name exists", required=False, label_vi="ghi chú"),
            Field("source", "str", "provenance of the row", label_vi="nguồn số liệu"),
        ),
        key=("alias_vi", "kind", "target_id"),
        min_rows=0,  # other names are optional
    ),
)

CUSTOMER_CLASSES = ("domestic", "public", "production", "business")

TABLES = TABLES + (
    Table(
        "tariffs",
        "Average water tariff per tariff zone (an operator's systems under one price decision) and customer class, with the class's share of the billed volume.",
        (
            Field("tariff_zone", "str", "id of the tariff zone", checks=(_id(),), label_vi="mã vùng giá nước"),
            Field("operator_id", "str", "operator_id in operators.csv", label_vi="mã đơn vị cấp nước"),
            Field("system_ids", "str", "system_id(s) the zone's prices apply to, separated by ';'", label_vi="mã các công trình"),
            Field("customer_class", "str", "domestic, public (administration, schools, hospitals), production or business",
                  checks=(_one_of(CUSTOMER_CLASSES),), label_vi="nhóm khách hàng"),
            Field("tariff_vnd_per_m3", "float", "average price of the class, VAT excluded", "VND/m³", checks=(_between(500, 100000),),
                  provenance=True, label_vi="giá nước bình quân"),
            Field("billed_share_pct", "float", "share of the zone's billed volume billed in this class", "% of billed",
                  checks=(_between(0, 100),), provenance=True, label_vi="tỷ phần sản lượng ghi thu"),
            Field("note", "str", "remark", required=False, label_vi="ghi chú"),
        ),
        key=("tariff_zone", "customer_class"),
        row_provenance=None,
        required=False,
    ),
    Table(
        "operating_costs",
        "Each operator's variable production cost per m³ and, where published, its operating cost per year.",
        (
            Field("operator_id", "str", "operator_id in operators.csv", checks=(_id(),), unique=True, label_vi="mã đơn vị cấp nước"),
            Field("variable_cost_vnd_per_m3", "float", "variable production cost: energy and chemicals per m³ produced",
                  "VND/m³", checks=(_between(50, 50000),), provenance=True, label_vi="chi phí sản xuất biến đổi"),
            Field("operating_cost_billion_vnd_per_year", "float", "operating cost of the water supply per year, where published",
                  "billion VND/year", required=False, checks=(_gt(0),), provenance=True, label_vi="chi phí vận hành mỗi năm"),
            Field("note", "str", "remark", required=False, label_vi="ghi chú"),
        ),
        key=("operator_id",),
        row_provenance=None,
        required=False,
    ),
)

TABLES_BY_NAME = {t.name: t for t in TABLES}
ID_LIST_SEPARATOR = ";"


def split_ids(text: object) -> list[str]:
    """The ids of a multi-id cell ('a;b' → ['a', 'b']), blanks dropped, duplicates once, in written order."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return []
    return list(dict.fromkeys(part.strip() for part in str(text).split(ID_LIST_SEPARATOR) if part.strip()))


# ---------------------------------------------------------------------------
# pass 1: parse text cells into typed columns


def _bounds(field_: Field) -> tuple[float | None, float | None]:
    """The range a column's checks allow (used to resolve ambiguous numbers such as '2.600')."""
    low = high = None
    for check in field_.checks:
        stats = getattr(check, "statistics", None) or {}
        if "min_value" in stats:
            low = stats["min_value"] if low is None else max(low, stats["min_value"])
        if "max_value" in stats:
            high = stats["max_value"] if high is None else min(high, stats["max_value"])
    return low, high


_TRUE = ("true", "1", "yes", "có", "co", "x", "đúng")
_FALSE = ("false", "0", "no", "không", "khong", "sai")


def _parse_cell(text: str, kind: str, style: str = "dot",
                bounds: tuple[float | None, float | None] = (None, None)) -> tuple[object, str | None]:
    """(value, problem) for one non-empty cell; numbers may use either decimal convention (numbers.py)."""
    from capnuoc_model.data.numbers import parse_number

    if kind == "str":
        return text, None
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True, None
        if lowered in _FALSE:
            return False, None
        return None, _text("cell.not_bool", text=text)
    return parse_number(text, integer=kind == "int", style=style, bounds=bounds)


def _expected_form(f: Field) -> str:
    """What a cell of the column must look like, with the column's label and unit."""
    from capnuoc_model.data.messages import unit_vi

    unit = unit_vi(f.unit)
    shown = f" ({unit})" if unit and f"({unit})" not in f.label else ""  # a workbook header may carry it already
    return _text(f"cell.form_{f.kind}", label=f.label, unit=shown)


def parse_table(raw: pd.DataFrame, table: Table, file_label: str) -> tuple[pd.DataFrame, list[Violation]]:
    """Typed frame (index = file line numbers) and the cells that could not be parsed."""
    from capnuoc_model.data.errors import violation
    from capnuoc_model.data.numbers import detect_style

    violations: list[Violation] = []
    typed = pd.DataFrame(index=raw.index)
    declared = {f.name for f in table.columns()}
    numeric = [f.name for f in table.columns() if f.kind in ("int", "float") and f.name in raw.columns]
    style = raw.attrs.get("number_style") or detect_style(
        (c for name in numeric for c in raw[name].dropna().astype(str)), raw.attrs.get("separator", ","))
    for f in table.columns():
        if f.name not in raw.columns:
            if f.required:
                violations.append(violation(file_label, 1, f.name, "data.column_missing", column=f.name, label=f.label))
            else:  # an optional column left out is read as empty
                violations.append(violation(file_label, 1, f.name, "data.optional_column_missing", severity="warning",
                                            column=f.name, label=f.label))
                typed[f.name] = pd.array([None] * len(raw.index), dtype=PANDAS_DTYPES[f.kind])
            continue
        values: list[object] = []
        for line, text in raw[f.name].items():
            if text is None or (isinstance(text, float) and math.isnan(text)) or str(text).strip() == "":
                values.append(None)
                continue
            value, problem = _parse_cell(str(text).strip(), f.kind, style, _bounds(f))
            if problem:
                violations.append(violation(file_label, int(line), f.name, "data.bad_cell", problem=problem,
                                            expected=_expected_form(f)))
            values.append(value)
        typed[f.name] = pd.array(values, dtype=PANDAS_DTYPES[f.kind])
    for column in raw.columns:
        if column not in declared:
            violations.append(violation(file_label, 1, str(column), "data.unknown_column", severity="warning", column=column))
    violations += _fractions_for_percentages(typed, table, file_label)
    return typed, violations


def _fractions_for_percentages(typed: pd.DataFrame, table: Table, file_label: str) -> list[Violation]:
    """A % column whose values all lie in 0-1 was almost surely written as fractions (0,179 for 17,9 %)."""
    from capnuoc_model.data.errors import violation
    from capnuoc_model.data.fmt import vn

    out = []
    for f in table.columns():
        if f.unit != "%" or f.name not in typed:
            continue
        values = typed[f.name].dropna().astype(float)
        nonzero = values[values != 0]
        if len(nonzero) >= 2 and (nonzero.abs() <= 1).all():
            out.append(violation(file_label, int(nonzero.index[0]), f.name, "data.fractions_for_percentages",
                                 value=vn(nonzero.iloc[0], 6, trim=True)))
    return out


# ---------------------------------------------------------------------------
# before the rows: the table's shape (columns present, enough rows, headers in the right place)


def _fitting(cells: pd.Series, f: Field) -> list[bool]:
    """For each text cell, whether it would be a valid value of the column (its type and its rules)."""
    ok, values = [], []
    for text in cells:
        if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
            ok.append(not f.required)
            values.append(None)
            continue
        value, problem = _parse_cell(str(text).strip(), f.kind, "dot", _bounds(f))
        ok.append(problem is None)
        values.append(value)
    if f.checks and any(v is not None for v in values):
        frame = pd.DataFrame({"v": pd.array(values, dtype=PANDAS_DTYPES[f.kind])})
        for check in f.checks:
            try:
                passed = check(frame, "v").check_output
                passed = list(passed) if hasattr(passed, "__iter__") else [bool(passed)] * len(values)
            except Exception:  # noqa: BLE001 - a check that cannot run on these values passes none of them
                passed = [False] * len(values)
            ok = [o and (v is None or bool(p)) for o, v, p in zip(ok, values, passed)]
    return ok


def _fits(cells: pd.Series, f: Field) -> bool:
    return len(cells) > 0 and all(_fitting(cells, f))


def _mostly_misfits(cells: pd.Series, f: Field) -> bool:
    """Half or more of the filled cells are not values of the column: its content belongs elsewhere (one bad cell is not that)."""
    filled = cells[[c is not None and str(c).strip() != "" for c in cells]]
    return len(filled) > 0 and sum(not ok for ok in _fitting(filled, f)) * 2 >= len(filled)


def structure_problems(raw: pd.DataFrame, table: Table, file_label: str) -> list[Violation]:
    """Root causes that make the row-by-row checks meaningless: repeated or missing columns, too few rows.

    A table with one of these is reported by these messages only (not by a message for every
    cell that follows from them), and the checks between tables leave it out.
    """
    from capnuoc_model.data.errors import violation

    out: list[Violation] = []
    columns = [str(c) for c in raw.columns]
    for name in sorted({c for c in columns if columns.count(c) > 1}):
        out.append(violation(file_label, 1, name, "data.column_twice", column=name))
    for f in table.columns():
        if f.required and f.name not in columns:
            out.append(violation(file_label, 1, f.name, "data.column_missing", column=f.name, label=f.label))
    if len(raw.index) < table.min_rows:
        out.append(violation(file_label, None, None, "data.too_few_rows", rows=len(raw.index), minimum=table.min_rows))
    return out


def swapped_columns(raw: pd.DataFrame, table: Table, file_label: str,
                    problems: list[Violation]) -> tuple[list[Violation], set[str]]:
    """"Columns swapped?": two columns whose content fits the other's header and not their own.

    Only columns where at least half the filled cells were reported are tried, so a valid
    table costs nothing; one bad cell is a cell problem, not a swap. Returns the messages
    and the names of the swapped columns.
    """
    from capnuoc_model.data.errors import violation

    fields = {f.name: f for f in table.columns()}
    present = [name for name in raw.columns if name in fields]
    reported: dict[str, int] = {}
    for v in problems:
        if v.severity == "error" and v.row is not None and v.row > 1 and v.column in fields:
            reported[v.column] = reported.get(v.column, 0) + 1
    candidates = [a for a in present if a in reported  # (first: a column without a reported cell costs nothing)
                  and reported[a] * 2 >= max(1, raw[a].notna().sum()) and _mostly_misfits(raw[a], fields[a])]
    out, swapped = [], set()
    for a in candidates:
        for b in present:
            if a == b or {a, b} & swapped:
                continue
            if _fits(raw[a], fields[b]) and _fits(raw[b], fields[a]):
                out.append(violation(file_label, 1, a, "data.columns_swapped", first=a, second=b,
                                     first_label=fields[a].label, second_label=fields[b].label))
                swapped |= {a, b}
    return out, swapped


# ---------------------------------------------------------------------------
# pass 2: pandera rules on typed columns


def pandera_schema(table: Table) -> pa.DataFrameSchema:
    columns = {
        f.name: pa.Column(
            None,
            checks=list(f.checks),
            nullable=not f.required,
            unique=f.unique,
            required=False,
            description=f.description,
            title=f.unit or None,
        )
        for f in table.columns()
    }
    return pa.DataFrameSchema(columns, unique=list(table.key) if len(table.key) > 1 else None)


_SCHEMAS: dict[tuple[int, tuple[str, ...]], tuple[Table, pa.DataFrameSchema]] = {}


def _schema_of(table: Table, present: tuple[str, ...]) -> pa.DataFrameSchema:
    """The pandera schema of ``table`` for its ``present`` columns, built once: building and selecting columns
    (a deep copy) cost as much as the validation of a table itself, and a run checks the same tables many times."""
    key = (id(table), present)
    cached = _SCHEMAS.get(key)
    if cached is None or cached[0] is not table:
        schema = pandera_schema(table)
        cached = _SCHEMAS[key] = (table, schema.select_columns(list(present)) if present else schema)
    return cached[1]


def check_rules(typed: pd.DataFrame, table: Table, file_label: str, unparsed: set[tuple[int, str]]) -> list[Violation]:
    """Run the pandera schema lazily and turn its failure cases into violations."""
    from capnuoc_model.data.errors import violation

    present = [f.name for f in table.columns() if f.name in typed.columns]
    schema = _schema_of(table, tuple(present))
    try:
        schema.validate(typed[present], lazy=True)
        return []
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    fields = {f.name: f for f in table.columns()}
    violations = []
    for case in cases.to_dict("records"):
        column = case.get("column")
        index = case.get("index")
        row = None if index is None or (isinstance(index, float) and math.isnan(index)) else int(index)
        check = str(case.get("check"))
        value = case.get("failure_case")
        if check == "multiple_fields_uniqueness":
            key = ", ".join(table.key)
            violations.append(violation(file_label, row, table.key[-1], "data.duplicate_key", key=key))
            continue
        if not isinstance(column, str) or column not in fields:
            continue
        if row is not None and (row, column) in unparsed:
            continue  # already reported by the parser
        f = fields[column]
        if check == "not_nullable":
            violations.append(violation(file_label, row, column, "data.missing_value", label=f.label))
        elif check == "field_uniqueness":
            violations.append(violation(file_label, row, column, "data.duplicate_value", value=_show(value)))
        else:
            violations.append(violation(file_label, row, column, "data.not_allowed", value=_show(value), rule=check))
    return violations


def _show(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
