"""The plan as data: years, targets, orientation groups, the loss-class threshold and section references.

A province's data package describes its plan in two places a person can edit:

* ``plan.yaml``: the plan's identity (province, title, issuer, source id), its years
  (``base``: the year the tables describe; ``plan``: the year whose targets are measured
  on 31/12; ``horizon``: the last projected year), the day agencies report by, the
  sections generated text cites, and the example of reported results shipped with the
  package (if any);
* ``targets_province.csv``: every target of the plan, one row each (indicator, comparator,
  value(s), unit, what it applies to, the plan's wording), and ``orientation_groups.csv``:
  the plan's groups of urban areas with the demand and extension assumption each uses.

:func:`load_plan` reads and checks them against the validated tables and returns one
:class:`Plan`, exposed as ``package.plan``. Code asks it, and nothing else, for years,
targets and groups::

    plan.base_year, plan.plan_year, plan.horizon_year, plan.years
    plan.target("coverage").low          # 87,4 for Cao Bằng
    plan.meets("loss", values)           # the one comparison rule, see below
    plan.loss_threshold_pct              # the ≤ / > split of the loss classes = the loss target
    plan.month_text(11.7)                # "tháng 12/2026"
    plan.section("targets")              # "Mục III.3"

**The comparison rule** (one rule for the projection and the evaluation): a value meets a
target when the value *as printed* (rounded half away from zero to
:data:`COMPARISON_DECIMALS` decimal, as every document prints it) lies inside the
target's bounds, bounds included. So 87,36 % prints as 87,4 % and meets "≥ 87,4 %";
14,96 % prints as 15,0 % and meets "≤ 15 %"; 15,05 % prints as 15,1 % and does not.

**Months** are counted from 1/1 of the first projected year (``base + 1``): month 9 is
1/10 of that year; a month is written as the calendar month it falls in (month 11,7 is
"tháng 12").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from capnuoc_model.data import yaml_reading
from capnuoc_model.data.errors import CapnuocInputError, Violation, violation
from capnuoc_model.data.messages import pair, text

PLAN_FILE = "plan.yaml"
COMPARISON_DECIMALS = 1  # values are compared with targets as printed, to one decimal
# The indicators the model can compute, the unit each is measured in and what it may apply to.
# A target id outside this list is a validation error: the model would silently ignore it.
INDICATORS: dict[str, tuple[str, frozenset[str]]] = {
    "coverage": ("pct_population", frozenset({"province", "area"})),
    "loss": ("pct_production", frozenset({"province", "system"})),
    "utilisation": ("none", frozenset({"system"})),
    "water_quality": ("pct_systems", frozenset({"system"})),
    "safe_supply_plan": ("pct_operators", frozenset({"operator"})),
    "supply_hours": ("hours_per_day", frozenset({"system"})),
}
REQUIRED_TARGETS = ("coverage", "loss")  # the projection answers for these two
UNIT_RANGE = {"pct_population": (0.0, 100.0), "pct_production": (0.0, 100.0), "pct_systems": (0.0, 100.0),
              "pct_operators": (0.0, 100.0), "hours_per_day": (0.0, 24.0)}
UNIT_VI = {"pct_population": "%", "pct_production": "%", "pct_systems": "% công trình", "pct_operators": "% đơn vị",
           "hours_per_day": "giờ/ngày", "none": ""}
COMPARATORS = ("at_least", "at_most", "between", "qualitative")
SECTION_KEYS = ("current_state", "coverage_baseline", "loss_baseline", "targets", "orientation", "loss_measures",
                "connections", "projects", "tasks")
SECTION_PATTERN = re.compile(r"^[IVXLC]+(\.\d+)*$")


# ---------------------------------------------------------------------------- the file


class _Years(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    base: int = Field(ge=1990, le=2100)
    plan: int = Field(ge=1990, le=2100)
    horizon: int = Field(ge=1990, le=2100)


class _Correction(BaseModel):
    """A misprint of the source text that the documents correct: accents only (checked by load_plan)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    source: str = Field(min_length=1)  # as the source text has it
    corrected: str = Field(min_length=1)  # as the documents print it


class _PlanFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    province_vi: str = Field(min_length=1)
    title_vi: str = Field(min_length=1)
    issuer_vi: str = Field(min_length=1)
    source: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    years: _Years
    report_deadline: str = Field(pattern=r"^\d{1,2}/\d{1,2}$")
    sections: dict[str, str]
    evaluation_example: str | None = None
    text: str | None = None  # the plan's own text (Markdown, relative to the data folder): see PlanText
    text_corrections: list[_Correction] = []

    @field_validator("sections")
    @classmethod
    def _sections(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(SECTION_KEYS))
        if unknown:
            raise ValueError(f"khóa không có trong danh sách: {', '.join(unknown)}")
        missing = [k for k in SECTION_KEYS if k not in value]
        if missing:
            raise ValueError(f"thiếu khóa: {', '.join(missing)}")
        bad = [f"{k}: {v!r}" for k, v in value.items() if not SECTION_PATTERN.match(str(v))]
        if bad:
            raise ValueError(f"không phải số mục dạng III.3: {'; '.join(bad)}")
        return value


_EXPECTED = {
    "province_vi": "tên tỉnh (không kèm chữ tỉnh)",
    "title_vi": "tên đầy đủ của Kế hoạch",
    "issuer_vi": "cơ quan ban hành Kế hoạch (Ủy ban nhân dân tỉnh ...)",
    "source": "mã nguồn của Kế hoạch trong sources.csv (chữ thường, số, _)",
    "years": "ba năm: base (hiện trạng), plan (năm kế hoạch), horizon (năm cuối của dự báo)",
    "report_deadline": "ngày/tháng các đơn vị gửi báo cáo, ví dụ 15/11",
    "sections": "số mục của Kế hoạch cho các khóa " + ", ".join(SECTION_KEYS),
    "evaluation_example": "đường dẫn (tương đối với thư mục dữ liệu) đến bộ số liệu thực hiện minh họa, hoặc bỏ trống",
    "text": "đường dẫn (tương đối với thư mục dữ liệu) đến văn bản Kế hoạch (Markdown), hoặc bỏ trống",
    "text_corrections": "danh sách các cặp source (như bản gốc) và corrected (như tài liệu in), chỉ khác nhau ở dấu",
}


# ---------------------------------------------------------------------------- the objects


@dataclass(frozen=True)
class Target:
    """One target of the plan."""

    id: str
    indicator_vi: str
    wording_vi: str
    comparator: str  # at_least, at_most, between, qualitative
    low: float | None  # lowest value that meets it
    high: float | None  # highest value that meets it
    unit: str
    applies_to: tuple[str, ...]
    baseline_value: float | None
    source: str

    def text(self) -> str:
        """'≥ 87,4 %', '≤ 15 %', '20–24 giờ/ngày', 'định tính'."""
        from capnuoc_model.data import fmt

        unit = UNIT_VI[self.unit]
        unit = f" {unit}" if unit else ""
        if self.comparator == "between":
            return f"{fmt.vn(self.low, 1, trim=True)}–{fmt.vn(self.high, 1, trim=True)}{unit}"
        if self.comparator == "at_least" and self.low == UNIT_RANGE.get(self.unit, (None, None))[1]:
            return f"{fmt.vn(self.low, 1, trim=True)}{unit}"  # "100 % công trình": nothing is above the whole
        if self.comparator == "at_least":
            return f"≥ {fmt.vn(self.low, 1, trim=True)}{unit}"
        if self.comparator == "at_most":
            return f"≤ {fmt.vn(self.high, 1, trim=True)}{unit}"
        return "định tính"

    def words(self) -> str:
        """The target as the plan words it: 'khoảng 87,4 %', 'khoảng 15 %', '100 % công trình', '20–24 giờ/ngày'.

        Documents quote these words; :meth:`text` is the model's comparison (≥, ≤), stated once beside them.
        """
        if self.comparator in ("between", "qualitative"):
            return self.text()
        value = self.low if self.comparator == "at_least" else self.high
        about = "khoảng " if "khoảng" in self.wording_vi.lower() else ""
        unit = UNIT_VI[self.unit]
        return f"{about}{fmt_vn(value)}{' ' + unit if unit else ''}"


def fmt_vn(value: float) -> str:
    from capnuoc_model.data import fmt

    return fmt.vn(value, 1, trim=True)


@dataclass(frozen=True)
class Plan:
    """The plan of a data package (see the module docstring)."""

    province_vi: str
    title_vi: str
    issuer_vi: str
    source: str
    base_year: int
    plan_year: int
    horizon_year: int
    report_deadline: str  # "15/11"
    sections: dict[str, str]
    targets: dict[str, Target]
    extension_assumptions: dict[str, str]  # orientation group -> assumption path (groups with an extension rate)
    demand_assumptions: dict[str, str]  # orientation group -> assumption path of its per-person use
    evaluation_example: Path | None = None
    text: PlanText | None = None  # the plan's own text, when the package has it

    @property
    def years(self) -> tuple[int, ...]:
        """Every year of the projection, the base year first."""
        return tuple(range(self.base_year, self.horizon_year + 1))

    def target(self, target_id: str) -> Target:
        try:
            return self.targets[target_id]
        except KeyError:
            raise KeyError(f"the plan has no target '{target_id}'") from None

    def meets(self, target_id: str, values):
        """The comparison rule (module docstring) for ``values`` (a number or an array); NaN never meets."""
        target = self.target(target_id)
        return meets_bounds(values, target.low, target.high)

    @property
    def loss_threshold_pct(self) -> float:
        """The loss class split of the plan (≤ threshold: low loss): the loss target's upper bound."""
        return float(self.target("loss").high)

    def month_end(self, year: int) -> float:
        """Month number of 31/12 of ``year`` (months counted from 1/1 of the first projected year)."""
        return 12.0 * (year - self.base_year)

    def month_text(self, month: float) -> str:
        return month_text(month, self.base_year + 1)

    def month_of(self, date) -> float:
        """Months from 1/1 of the first projected year to ``date``: 1/10 of that year is 9."""
        date = pd.Timestamp(date)
        return 12.0 * (date.year - self.base_year - 1) + (date.month - 1) + (date.day - 1) / date.days_in_month

    def section(self, key: str) -> str:
        """'Mục III.3': how Vietnamese text cites a section of the plan."""
        return f"Mục {self.sections[key]}"

    def cite(self, key: str) -> str:
        """'§III.3': how the data package cites it."""
        return f"§{self.sections[key]}"

    def comparison_rule_vi(self) -> str:
        """The comparison rule in Vietnamese, with the coverage target as its example (both documents state it)."""
        from capnuoc_model.data import fmt

        target = self.target("coverage")
        below = target.low - 0.04
        decimals = {0: "không có", 1: "một", 2: "hai"}.get(COMPARISON_DECIMALS, str(COMPARISON_DECIMALS))
        return (f"Một giá trị đạt chỉ tiêu khi giá trị đó, làm tròn như khi in ({decimals} chữ số thập phân, "
                f"làm tròn nửa lên), nằm trong khoảng của chỉ tiêu, kể cả hai đầu: {fmt.pct(below, 2)} in thành "
                f"{fmt.pct(below)} và đạt chỉ tiêu {target.text()}. Dự báo và đánh giá hằng năm dùng cùng quy tắc này.")

    @property
    def deadline_text(self) -> str:
        """'15/11/2026': the day agencies report by, in the plan year."""
        return f"{self.report_deadline}/{self.plan_year}"


# The places in the plan's text where a document puts a table or the model's analysis ("<!-- chèn: key -->").
# A document puts any it has no place for at the end of the chapter.
TEXT_INSERTS = ("don_vi", "bieu01", "bieu02", "bieu03", "bieu04", "muc_tieu", "nhom_do_thi", "dau_tu",
                "giam_that_thoat", "dau_noi", "du_an")
_MARK = re.compile(r"^<!--\s*(chương|chèn):\s*(\S+)\s*-->\s*$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass(frozen=True)
class PlanText:
    """The plan's own text, word for word, cut into the document's chapters.

    The data package holds it as Markdown (``plan.yaml`` ``text:``): a line ``<!-- chương: 2 -->`` opens
    chapter 2 of the document, a line ``<!-- chèn: bieu01 -->`` is where the document puts a table or the
    model's analysis (:data:`TEXT_INSERTS`); other comments are notes for the editor. The misprints listed in
    ``text_corrections`` (accents only) are corrected here, once.
    """

    chapters: dict[str, tuple[tuple[str, str], ...]]  # chapter -> parts: ("text", markdown) or ("insert", key)
    corrections: tuple[tuple[str, str], ...] = ()

    def parts(self, chapter: int | str) -> tuple[tuple[str, str], ...]:
        return self.chapters.get(str(chapter), ())

    def paragraphs(self) -> list[str]:
        """Every paragraph of the text, in order (Markdown)."""
        return [p.strip() for parts in self.chapters.values() for kind, text in parts if kind == "text"
                for p in re.split(r"\n\s*\n", text) if p.strip()]


def strip_accents(text: str) -> str:
    """Letters without their accents (đ as d): what a misprint correction may change and nothing else."""
    import unicodedata

    bare = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in bare if not unicodedata.combining(c))


def read_plan_text(path: Path, label: str, corrections: list[_Correction]) -> tuple[PlanText | None, list[Violation]]:
    """The plan's text at ``path`` cut into chapters, or the problems with it (located as ``file:line``)."""
    if not path.exists():
        return None, [Violation(label, None, "text", f"không tìm thấy văn bản Kế hoạch '{path.name}'", _EXPECTED["text"])]
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None, [Violation(label, None, "text", f"không đọc được '{path.name}'", "tệp văn bản UTF-8")]
    problems, fixed = [], raw
    for i, c in enumerate(corrections):
        where = f"text_corrections.{i}"
        if strip_accents(c.source) != strip_accents(c.corrected) or c.source == c.corrected:
            problems.append(Violation(label, None, where, f"'{c.source}' → '{c.corrected}' đổi cả chữ, không chỉ dấu",
                                      "hai cách viết chỉ khác nhau ở dấu"))
        elif c.source not in raw:
            problems.append(Violation(label, None, where, f"văn bản không có '{c.source}'", "một chuỗi có trong văn bản Kế hoạch"))
        fixed = fixed.replace(c.source, c.corrected)
    chapters: dict[str, list[tuple[str, str]]] = {}
    current, buffer = None, []

    def flush() -> None:
        text = _COMMENT.sub("", "\n".join(buffer)).strip()
        if text and current is not None:
            chapters[current].append(("text", text))
        buffer.clear()

    text_label = f"{label.rsplit('/', 1)[0]}/{path.name}" if "/" in label else path.name
    in_comment = False
    for number, line in enumerate(fixed.splitlines(), start=1):
        mark = _MARK.match(line)
        if mark and not in_comment:
            flush()
            kind, key = mark.groups()
            if kind == "chương":
                current = key
                chapters.setdefault(current, [])
            elif key not in TEXT_INSERTS:
                problems.append(Violation(text_label, number, None, f"chỗ chèn không biết '{key}'",
                                          "một trong " + ", ".join(TEXT_INSERTS)))
            elif current is None:
                problems.append(Violation(text_label, number, None, "chỗ chèn trước dòng mở chương đầu tiên",
                                          "<!-- chương: 1 --> trước mọi đoạn văn"))
            else:
                chapters[current].append(("insert", key))
            continue
        if current is None and line.strip() and not in_comment and not line.lstrip().startswith("<!--"):
            problems.append(Violation(text_label, number, None, "đoạn văn trước dòng mở chương đầu tiên",
                                      "<!-- chương: 1 --> trước mọi đoạn văn"))
        in_comment = (in_comment or "<!--" in line) and "-->" not in line
        buffer.append(line)
    flush()
    if problems:
        return None, problems
    return PlanText({k: tuple(v) for k, v in chapters.items()},
                    tuple((c.source, c.corrected) for c in corrections)), []


# ---------------------------------------------------------------------------- the rules


def printed(values, decimals: int = COMPARISON_DECIMALS):
    """Values rounded as the documents print them (:func:`capnuoc_model.data.fmt.vn`: the value's decimal text,
    half away from zero), vectorised: 87,35 prints 87,4 although the float is 87,3499….

    Values near a tie are rounded from their decimal text, as ``fmt`` does; the others by arithmetic.
    """
    from decimal import ROUND_HALF_UP, Decimal

    given = np.asarray(values, dtype=float)
    array = np.atleast_1d(given)
    scale = 10.0 ** decimals
    with np.errstate(invalid="ignore"):
        scaled = np.abs(array) * scale
        out = np.sign(array) * np.floor(scaled + 0.5) / scale
        near_tie = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    quantum = Decimal(1).scaleb(-decimals)
    for index in zip(*np.nonzero(near_tie)):
        out[index] = float(Decimal(repr(float(array[index]))).quantize(quantum, rounding=ROUND_HALF_UP))
    return out.reshape(given.shape) if given.ndim else float(out[0])


def meets_bounds(values, low: float | None, high: float | None):
    """Whether each value, as printed, lies in [low, high] (a missing bound is open); NaN gives False."""
    shown = np.asarray(printed(values), dtype=float)
    with np.errstate(invalid="ignore"):
        ok = ~np.isnan(shown)
        if low is not None:
            ok &= shown >= low
        if high is not None:
            ok &= shown <= high
    return ok if ok.ndim else bool(ok)


def month_text(month: float, first_year: int) -> str:
    """Month 9 → 'tháng 10/<first_year>': the calendar month ``month`` falls in (months from 1/1/first_year)."""
    whole = int(math.floor(float(month) + 1e-9))
    year, m = first_year + whole // 12, whole % 12 + 1
    return f"tháng {m}/{year}"


# ---------------------------------------------------------------------------- reading and checking


def read_plan_file(data_dir: Path, label: str) -> tuple[_PlanFile | None, list[Violation]]:
    """The parsed ``plan.yaml`` or the problems with it (located as ``file: key``)."""
    path = Path(data_dir) / PLAN_FILE
    if not path.exists():
        return None, [violation(label, None, None, "plan.file_missing")]
    try:
        data = yaml_reading.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        return None, [violation(label, None if line is None else line + 1, None, "plan.not_yaml")]
    if not isinstance(data, dict):
        return None, [violation(label, None, None, "plan.not_mapping", keys=", ".join(_EXPECTED))]
    try:
        return _PlanFile.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"])
            top = str(error["loc"][0]) if error["loc"] else ""
            if error["type"] == "extra_forbidden":
                problem, expected = pair("plan.unknown_key", key=key, keys=", ".join(_EXPECTED))
            elif error["type"] == "missing":
                problem, expected = pair("plan.missing_value", expected=_EXPECTED.get(top, text("plan.a_value")))
            else:
                given = error.get("input")
                problem = (text("plan.bad_value", given=repr(given)) if not isinstance(given, dict)
                           else text("plan.bad_value_plain"))
                detail = str(error.get("ctx", {}).get("error", "")) if error["type"] == "value_error" else ""
                expected = (detail + "; " if detail else "") + _EXPECTED.get(top, text("plan.a_value"))
            problems.append(Violation(label, None, key or None, problem, expected))
        return None, problems


def _na(value: object) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def check_targets(targets: pd.DataFrame, label: str, years: _Years,
                  lines: pd.Index | None = None) -> tuple[dict[str, Target], list[Violation]]:
    """Targets of ``targets_province.csv`` (typed, index 0..n-1; ``lines`` the file line of each row) and their problems."""
    problems: list[Violation] = []
    out: dict[str, Target] = {}

    def add(i: int, column: str | None, problem: str, expected: str) -> None:
        line = int(lines[i]) if lines is not None and i < len(lines) else int(i) + 2
        problems.append(Violation(label, line, column, problem, expected))

    for i, row in targets.iterrows():
        target_id = row.get("target_id")
        if _na(target_id):
            continue
        if target_id not in INDICATORS:
            add(i, "target_id", *pair("plan.unknown_target", target=target_id, targets=", ".join(INDICATORS)))
            continue
        unit_expected, scopes = INDICATORS[target_id]
        unit = row.get("unit")
        if not _na(unit) and unit != unit_expected:
            add(i, "unit", *pair("plan.wrong_unit", unit=unit, target=target_id, expected=unit_expected))
        applies = tuple(s.strip() for s in str(row.get("applies_to") or "").split(";") if s.strip())
        wrong = [s for s in applies if s not in scopes]
        if wrong or not applies:
            add(i, "applies_to", *pair("plan.wrong_scope", given=";".join(wrong) or row.get("applies_to"), target=target_id,
                                       scopes=", ".join(sorted(scopes))))
        if not _na(row.get("year")) and int(row["year"]) != years.plan:
            add(i, "year", *pair("plan.not_plan_year", year=int(row["year"]), plan=years.plan))
        if not _na(row.get("baseline_year")) and int(row["baseline_year"]) != years.base:
            add(i, "baseline_year", *pair("plan.not_base_year", year=int(row["baseline_year"]), base=years.base))
        low = None if _na(row.get("target_min")) else float(row["target_min"])
        high = None if _na(row.get("target_max")) else float(row["target_max"])
        base = None if _na(row.get("baseline_value")) else float(row["baseline_value"])
        comparator = row.get("comparator")
        shape = {"at_least": (True, False), "at_most": (False, True), "between": (True, True), "qualitative": (False, False)}
        if comparator in shape and (low is not None, high is not None) != shape[comparator]:
            add(i, "comparator", *pair("plan.comparator_mismatch", comparator=comparator))
        unit_range = UNIT_RANGE.get(unit_expected)
        for column, value in (("target_min", low), ("target_max", high), ("baseline_value", base)):
            if value is None:
                continue
            if not math.isfinite(value) or (unit_range and not unit_range[0] <= value <= unit_range[1]):
                lo_, hi_ = unit_range or (0, 0)
                add(i, column, text("plan.impossible_value", value=f"{value:g}"),
                    text("plan.value_range", low=f"{lo_:g}", high=f"{hi_:g}", unit=UNIT_VI[unit_expected]) if unit_range
                    else text("plan.value_empty"))
        if low is not None and high is not None and low > high:
            add(i, "target_min", *pair("plan.min_over_max", low=f"{low:g}", high=f"{high:g}"))
        out[target_id] = Target(
            id=str(target_id), indicator_vi=str(row.get("indicator_vi") or ""), wording_vi=str(row.get("wording_vi") or ""),
            comparator=str(comparator), low=low, high=high, unit=unit_expected, applies_to=applies,
            baseline_value=base, source=str(row.get("source") or ""))
    for required in REQUIRED_TARGETS:
        if required not in out and not any(v.column == "target_id" for v in problems):
            problems.append(violation(label, None, "target_id", "plan.target_missing", target=required,
                                      targets=", ".join(REQUIRED_TARGETS)))
    return out, problems


def load_plan(data_dir: Path, label: str, tables: dict[str, pd.DataFrame], labels: dict[str, str],
              parsed: tuple[_PlanFile | None, list[Violation]] | None = None,
              lines: dict[str, pd.Index] | None = None) -> Plan:
    """The plan of a validated package (``label``: plan.yaml as messages name it); raises :class:`CapnuocInputError`
    listing every problem."""
    spec, problems = parsed if parsed is not None else read_plan_file(data_dir, label)
    if spec is None:
        raise CapnuocInputError(problems)
    years = spec.years
    if not years.base < years.plan <= years.horizon:
        problems.append(violation(label, None, "years", "plan.years_order", base=years.base, plan=years.plan,
                                  horizon=years.horizon))
    sources = set(tables["sources"]["source_id"].dropna()) if "sources" in tables else set()
    if sources and spec.source not in sources:
        problems.append(violation(label, None, "source", "plan.unknown_source", source=spec.source))
    example = None
    if spec.evaluation_example:
        example = (Path(data_dir) / spec.evaluation_example).resolve()
        if not example.exists():
            problems.append(violation(label, None, "evaluation_example", "plan.example_not_found", path=spec.evaluation_example,
                                      expected=_EXPECTED["evaluation_example"]))
    lines = lines or {}
    targets, target_problems = check_targets(tables["targets_province"], labels["targets_province"], years,
                                             lines.get("targets_province"))
    problems += target_problems
    groups = tables["orientation_groups"]
    extension = {str(g): str(p) for g, p in zip(groups["group_id"], groups["extension_assumption"]) if not _na(p)}
    demand = {str(g): str(p) for g, p in zip(groups["group_id"], groups["demand_assumption"]) if not _na(p)}
    problems += _check_area_targets(tables, labels, years, lines.get("targets_area"))
    text = None
    if spec.text:
        text, text_problems = read_plan_text(Path(data_dir) / spec.text, label, spec.text_corrections)
        problems += text_problems
    if problems:
        raise CapnuocInputError(problems)
    return Plan(
        province_vi=spec.province_vi, title_vi=spec.title_vi, issuer_vi=spec.issuer_vi, source=spec.source,
        base_year=years.base, plan_year=years.plan, horizon_year=years.horizon, report_deadline=spec.report_deadline,
        sections=dict(spec.sections), targets=targets, extension_assumptions=extension, demand_assumptions=demand,
        evaluation_example=example, text=text)


def _check_area_targets(tables: dict[str, pd.DataFrame], labels: dict[str, str], years: _Years,
                        lines: pd.Index | None) -> list[Violation]:
    """Biểu 04's per-area targets are for the plan year."""
    frame = tables.get("targets_area")
    if frame is None or "year" not in frame:
        return []
    return [violation(labels["targets_area"], int(lines[i]) if lines is not None else int(i) + 2, "year", "plan.not_plan_year",
                      year=int(y), plan=years.plan) for i, y in frame["year"].items() if not _na(y) and int(y) != years.plan]


def check_assumption_paths(plan: Plan, paths: set[str], groups_label: str, defaults_label: str) -> list[Violation]:
    """Every assumption a group names must exist in the scenario's assumption tree."""
    out = []
    for column, mapping in (("extension_assumption", plan.extension_assumptions), ("demand_assumption", plan.demand_assumptions)):
        for group, path in mapping.items():
            if path not in paths:
                out.append(violation(groups_label, None, column, "plan.group_assumption_unknown", group=group, path=path,
                                     defaults=defaults_label))
    return out
