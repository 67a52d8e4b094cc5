"""The annual evaluation: reported results against every target of the plan and against the start-of-year projection.

Pure functions over the data package, the validated reports
(:class:`~capnuoc_model.evaluation.actuals.Actuals`) and, optionally, the projection run of
the plan's scenario made at the start of the year. :func:`evaluate` returns an
:class:`Evaluation` whose frames are what ``capnuoc evaluate`` writes and what
the evaluation document shows.

Rules (the document's method appendix states the same, from :func:`method_rules`):

* **Status.** A target is "Đạt" (met) or "Không đạt" (not met) only when that
  status holds whatever the missing reports say; otherwise it is "Chưa đủ số
  liệu" (with the range its value could lie in and the reports that would
  settle it), or "Chưa có số liệu" when nothing was reported for it. An area,
  system or operator is "Chưa có số liệu" when its own report is missing, and
  "Không áp dụng" when the target does not apply to it (a system that did not
  operate; an area whose Biểu 04 target is 0 %). A value is compared after
  rounding to the decimal the document prints (one decimal), so a value printed
  "87,4 %" meets "≥ 87,4 %": exactly on target is met.
* **What a missing report could say** (:class:`MissingRanges`, one documented
  range per reported quantity): an area's coverage lies between its 2025 value
  and its Biểu 04 target, its population between its 2025 and Biểu 04
  population widened by a margin; a system's loss between a floor (the lowest
  2025 loss of the province, or its own 2025 loss less a margin if lower) and
  its 2025 loss plus a margin, its production within a ratio of its 2025
  production (a new system: up to its design capacity); hours of supply
  anywhere from 0 to 24; a yes/no either way. Every target is computed at the
  two extremes of those ranges (:func:`extremes`: exact for the ratios of sums
  the targets are, Dinkelbach's method over the ends of every range).
* **Targets are driven by their row** of the targets table: its unit says what
  is measured (:data:`MEASURES`: a share of population, a production-weighted
  share, a share of systems or operators, a per-system range, the qualitative
  utilisation rule), its ``target_min``/``target_max`` the comparison; the
  reported column a target reads is the one of :mod:`capnuoc_model.evaluation.actuals`
  that names the target.
* **Utilisation** (the target has no number): an existing system meets it when
  its utilisation (production / design capacity) is inside 70-90 % — between
  the plan's "low" and "near capacity" groups of §IV.1 — or moved towards that
  band since 2025. A system whose capacity project of §VI was commissioned in
  the year as planned is judged on that project's terms: it meets the target
  when its capacity now exceeds its demand (utilisation not above 90 %), since
  its utilisation falls because of the expansion, as planned.
* **Data date.** The reports are due on 15/11; the targets are for 31/12.
  Coverage (a state, measured on the data date) is judged on the reported
  state; beside it the evaluation shows a projection to 31/12 (the pace since
  31/12 of the base year carried on to the end of the year).
* **Reconciliation.** People a project reports connected must fit in the rise
  of the people served in its area(s) since the base year; a larger figure is a
  finding.
* **Projection error of an area's coverage** splits exactly into: population
  (the same served people on the actual instead of the projected population),
  project timing (the projection rerun with the reported commissioning dates),
  uptake (the reported connections of the area's projects against what the
  uptake curve expected at those dates), and the rest (network extension,
  densification, reporting).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from decimal import Decimal
from typing import Callable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from capnuoc_model.data import fmt
from capnuoc_model.data import plan as plan_rules
from capnuoc_model.model import baseline as bl
from capnuoc_model.evaluation.actuals import (
    ACTUALS_TABLES,
    PROJECT_STATUS_CHOICES,
    SYSTEM_STATUS_CHOICES,
    TASK_STATUS_CHOICES,
    Actuals,
    columns_of,
    volumes_m3_per_day,
)
from capnuoc_model.data.classes import classify, coverage_class, loss_class, utilisation_class
from capnuoc_model.data.errors import CapnuocInputError, Violation

MET, NOT_MET, NOT_REPORTED, NOT_APPLICABLE = "Đạt", "Không đạt", "Chưa có số liệu", "Không áp dụng"
INSUFFICIENT = "Chưa đủ số liệu"  # a target some reports are missing for, and they could change its status
UTILISATION_BAND_PCT = (70.0, 90.0)
HIGH_LOSS_PCT = 25.0  # the plan's "Cao" class starts here (Biểu 02)
DECIMALS = plan_rules.COMPARISON_DECIMALS  # values are compared as printed (the plan's one rule)
CLOSE_PCT_POINTS = 0.5  # a projection within half a point of the result is "close"
PROJECT_STATUS_VI = dict(PROJECT_STATUS_CHOICES)
TASK_STATUS_VI = dict(TASK_STATUS_CHOICES)
SYSTEM_STATUS_VI = dict(SYSTEM_STATUS_CHOICES)
CAUSES_VI = {"population": "dân số", "timing": "tiến độ dự án", "uptake": "mức đấu nối của dự án",
             "other": "mở rộng mạng lưới, đấu nối khác, số liệu"}


# ---------------------------------------------------------------------------- statuses


def printed(value: float | None, decimals: int = DECIMALS) -> float | None:
    """The value as the document prints it (half away from zero, as :func:`capnuoc_model.data.fmt.vn`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    if math.isinf(float(value)):
        return float(value)
    return plan_rules.printed(float(value), decimals)


def shown_change(now: object, before: object, decimals: int = DECIMALS) -> float:
    """A change as the reader computes it from the two rounded figures the document shows (never −0,0)."""
    a, b = printed(_number(now), decimals), printed(_number(before), decimals)
    if a is None or b is None:
        return math.nan
    return float(Decimal(repr(a)) - Decimal(repr(b))) + 0.0


def meets(value: float | None, low: float | None = None, high: float | None = None) -> bool | None:
    """The plan's comparison rule (:func:`capnuoc_model.data.plan.meets_bounds`: as printed, bounds included); None when missing."""
    shown = printed(value)
    if shown is None:
        return None
    if math.isinf(shown):
        return (low is None or shown >= low) and (high is None or shown <= high)
    return bool(plan_rules.meets_bounds(float(value), low, high))


def status(flag: bool | None) -> str:
    return NOT_REPORTED if flag is None else MET if flag else NOT_MET


def _na(value: object) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _number(value: object) -> float:
    return math.nan if _na(value) else float(value)


def _bool(value: object) -> bool | None:
    return None if _na(value) else bool(value)


def _rows(frame: pd.DataFrame) -> list[SimpleNamespace]:
    """The rows of a frame with attribute access (itertuples is slow on wide frames of mixed types)."""
    return [SimpleNamespace(Index=i, **r) for i, r in zip(frame.index, frame.to_dict("records"))]


# ---------------------------------------------------------------------------- what a missing report could say


class MissingRanges(BaseModel):
    """The plausible range of every missing report; the document's method appendix prints these rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    population_margin_pct: float = Field(
        5.0, description="dân số một đô thị chưa báo cáo: giữa dân số năm hiện trạng và dân số Biểu 04, nới thêm ± mức này (%)")
    loss_margin_pct_points: float = Field(
        5.0, description="tỷ lệ thất thoát một công trình chưa báo cáo: đến mức năm hiện trạng cộng thêm mức này (điểm %); "
                         "thấp nhất là mức thấp nhất toàn tỉnh năm hiện trạng, hoặc mức năm hiện trạng trừ đi mức này nếu thấp hơn")
    production_ratio: float = Field(
        1.5, description="sản lượng một công trình chưa báo cáo: từ sản lượng năm hiện trạng chia cho đến nhân với hệ số này")
    hours_per_day: tuple[float, float] = Field(
        (0.0, 24.0), description="số giờ cấp nước chưa báo cáo: bất kỳ trong khoảng này (giờ/ngày)")


RANGES = MissingRanges()


@dataclass(frozen=True)
class Unit:
    """One area, system or operator counted by a target: the (numerator, denominator) pairs it could contribute.

    A unit that reported has one pair; a missing report has one pair per end of each of its ranges.
    """

    unit_id: str
    name_vi: str
    is_reported: bool
    options: tuple[tuple[float, float], ...]


def extremes(units: list[Unit]) -> tuple[float, float]:
    """Lowest and highest Σ numerator / Σ denominator over every choice of one option per unit (in %).

    Dinkelbach's method: for a ratio λ, each unit picks the option maximising (minimising)
    numerator − λ·denominator, λ becomes the ratio of the picks, until it no longer changes.
    Exact for a product of finite option sets; the ratios evaluated here reach their extremes
    at the ends of their ranges (they are linear or monotone in every reported quantity).
    """
    units = [u for u in units if u.options]
    if not units:
        return math.nan, math.nan

    def solve(sign: float) -> float:
        picks = [u.options[0] for u in units]
        ratio = math.nan
        for _ in range(4 * len(units) + 8):
            den = sum(p[1] for p in picks)
            new = sum(p[0] for p in picks) / den if den > 0 else math.nan
            if new == ratio or (math.isnan(new) and math.isnan(ratio)):
                break
            ratio = new
            level = 0.0 if math.isnan(ratio) else ratio
            picks = [max(u.options, key=lambda o: sign * (o[0] - level * o[1])) for u in units]
        return 100 * ratio

    return solve(-1.0), solve(1.0)


# ---------------------------------------------------------------------------- the start-of-year projection


@dataclass(frozen=True)
class StartOfYear:
    """What the plan's projection said at the start of the year, and how to rerun it with reported project dates."""

    scenario_name: str
    areas: pd.DataFrame  # index area_id: population, served, coverage_pct
    systems: pd.DataFrame  # index system_id: loss_pct, utilisation_pct, is_running
    coverage_pct: float
    loss_pct: float
    assumed_months: dict[str, float]  # people-serving project -> commissioning month assumed (from 1/1 of the first projected year)
    project_areas: dict[str, str]  # people-serving project -> area_id
    served_with: Callable[[dict[str, float]], pd.Series] = field(repr=False, compare=False)  # area served at year end
    expected_connections: Callable[[str, float], float] = field(repr=False, compare=False)  # persons, uptake curve
    project_gain: dict[str, float] = field(default_factory=dict)  # project -> rise of its area's served people, as the plan publishes it
    source_vi: str = ""  # which projection: the plan's published one (its manifest) or an identical rerun


def start_of_year(run, year: int, source_vi: str = "") -> StartOfYear:
    """From a :class:`capnuoc_model.model.projection_run.ProjectionRun` of the plan's scenario (deterministic values)."""
    from capnuoc_model.model import engine, projection

    tables = run.tables
    areas = tables["areas"][tables["areas"]["year"] == year].set_index("area_id")
    systems = tables["systems"][tables["systems"]["year"] == year].set_index("system_id")
    province = tables["province"].set_index("year").loc[year]
    setup = run.projection.setup
    values = dict(setup.values)
    people = setup.inputs.people_projects
    area_ids = list(setup.inputs.area_ids)
    assumed = {pid: float(values[f"projects.{pid}.commissioning_month"]) for pid in people["project_id"]}
    beneficiaries = people.groupby("project_id", sort=False)["beneficiaries_persons"].sum().to_dict()
    # a project spread over several areas is attributed to the area with most of its beneficiaries
    main_area = people.sort_values("beneficiaries_persons", ascending=False, kind="stable").drop_duplicates("project_id")
    year_end = setup.plan.month_end(year)
    published = tables["projects"].set_index("project_id")
    gain_column = "area_gain_plan_year_persons" if year == setup.plan.plan_year else None
    gains = published[gain_column].dropna().astype(float).to_dict() if gain_column in published else {}

    def served_with(months: dict[str, float]) -> pd.Series:
        overrides = {f"projects.{pid}.commissioning_month": float(m) for pid, m in months.items()}
        result = projection.deterministic(setup, {**values, **overrides})
        return pd.Series(result.served[0, result.years.index(year), :], index=list(result.area_ids))

    def expected(project_id: str, month: float) -> float:
        share = engine.uptake_share(np.array([year_end - month]), np.array([float(values["uptake.final_share"])]),
                                    np.array([float(values["uptake.midpoint_months"])]),
                                    np.array([float(values["uptake.steepness_per_month"])]))
        return float(share[0]) * float(beneficiaries[project_id])

    return StartOfYear(
        scenario_name=run.projection.scenario.label,  # with its --set overrides
        areas=areas[["population", "served", "coverage_pct"]].astype(float),
        systems=systems[["loss_pct", "utilisation_pct", "is_running"]],
        coverage_pct=float(province["coverage_pct"]), loss_pct=float(province["loss_pct"]),
        assumed_months=assumed,
        project_areas={pid: area_ids[int(a)] for pid, a in zip(main_area["project_id"], main_area["area"])},
        served_with=served_with, expected_connections=expected, project_gain=gains, source_vi=source_vi,
    )


def default_data_date(plan, year: int) -> dt.date:
    """The date the reports describe unless told otherwise: the plan's report deadline (``plan.yaml``) in ``year``."""
    day, month = (int(part) for part in plan.report_deadline.split("/"))
    return dt.date(int(year), month, day)


# ---------------------------------------------------------------------------- the evaluation


@dataclass(frozen=True)
class Evaluation:
    year: int
    source: str
    is_illustrative: bool
    scenario_name: str | None
    targets: pd.DataFrame
    areas: pd.DataFrame
    attribution: pd.DataFrame
    systems: pd.DataFrame
    operators: pd.DataFrame
    projects: pd.DataFrame
    tasks: pd.DataFrame
    agencies: pd.DataFrame
    findings: pd.DataFrame
    ranges: pd.DataFrame  # the range of every missing report the targets depend on
    reconciliation: pd.DataFrame  # people connected by projects against the rise of people served in their areas
    data_date: dt.date | None = None
    projection_source_vi: str = ""
    plan: object = field(default=None, repr=False, compare=False)  # the data package's plan (capnuoc_model.data.plan.Plan)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The frames ``capnuoc evaluate`` writes, by file name."""
        return {"chi_tieu": self.targets, "do_thi": self.areas, "sai_so_du_bao": self.attribution,
                "cong_trinh": self.systems, "don_vi_cap_nuoc": self.operators, "du_an": self.projects,
                "nhiem_vu": self.tasks, "co_quan": self.agencies, "phat_hien": self.findings,
                "khoang_so_lieu_thieu": self.ranges, "doi_chieu_du_an": self.reconciliation}


def _reported(actuals: Actuals, table: str, key: str, ids: pd.Series) -> pd.DataFrame:
    """The reported rows in the data package's order, one per id (all missing where not reported)."""
    frame = actuals.tables[table].set_index(key)
    return frame.reindex(pd.Index(ids.astype(str), name=key))


def project_month(status_code: object, date: object, year: int, plan) -> float | None:
    """The commissioning month a report implies (months as the projection counts them); None when it does not tell."""
    if _na(status_code):
        return None
    if status_code != "in_use":
        return plan.month_end(year) + 1  # not in use by the report: after the end of the year
    return None if _na(date) else plan.month_of(date)


def _year_fraction(data_date: dt.date | None, year: int) -> float:
    """Share of the year elapsed on the data date (1 on 31/12 or later)."""
    if data_date is None:
        return 1.0
    start, end = dt.date(year - 1, 12, 31), dt.date(year, 12, 31)
    return min(1.0, max(1e-9, (data_date - start).days / (end - start).days))


def _areas(package, actuals: Actuals, start: StartOfYear | None, projects: pd.DataFrame,
           data_date: dt.date | None, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    base = bl.area_state(package)
    targets = package.targets_area.set_index("area_id")
    rep = _reported(actuals, "area_results", "area_id", base["area_id"])
    out = pd.DataFrame({
        "area_id": base["area_id"].to_numpy(),
        "name_vi": base["name_vi"].to_numpy(),
        "orientation_group": base["orientation_group"].to_numpy(),
        "population_persons": rep["population_persons"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        "served_persons": rep["served_persons"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        "population_base_persons": base["population_persons"].astype(float).to_numpy(),
        "served_base_persons": base["served_persons"].astype(float).to_numpy(),
        "coverage_base_pct": base["coverage_pct"].to_numpy(),
        "target_pct": base["area_id"].map(targets["coverage_target_pct"].astype(float)).to_numpy(),
        "target_population_persons": base["area_id"].map(targets["population_target_persons"].astype(float)).to_numpy(),
    })
    valid = out["population_persons"] > 0
    out["coverage_pct"] = (100 * out["served_persons"] / out["population_persons"]).where(valid)
    out["coverage_class"] = classify(out["coverage_pct"], coverage_class)
    applies = out["target_pct"] > 0  # Biểu 04 sets 0 % where no system exists yet: nothing to meet
    out["status"] = [status(meets(v, low=t)) if a else NOT_APPLICABLE
                     for v, t, a in zip(out["coverage_pct"], out["target_pct"], applies)]
    out["gap_pct_points"] = (out["target_pct"] - out["coverage_pct"].map(printed).astype(float)).clip(lower=0)
    out["change_since_base_pct_points"] = [shown_change(a, b) for a, b in zip(out["coverage_pct"], out["coverage_base_pct"])]
    out["served_change_persons"] = out["served_persons"] - out["served_base_persons"]
    # the plausible range of what is missing (MissingRanges)
    margin = RANGES.population_margin_pct / 100
    pop_low = np.minimum(out["population_base_persons"], out["target_population_persons"]) * (1 - margin)
    pop_high = np.maximum(out["population_base_persons"], out["target_population_persons"]) * (1 + margin)
    out["population_low_persons"] = out["population_persons"].where(out["population_persons"].notna(), pop_low)
    out["population_high_persons"] = out["population_persons"].where(out["population_persons"].notna(), pop_high)
    cov_low = np.minimum(out["coverage_base_pct"], out["target_pct"])
    cov_high = np.maximum(out["coverage_base_pct"], out["target_pct"])
    out["coverage_low_pct"] = out["coverage_pct"].where(out["coverage_pct"].notna(), cov_low)
    out["coverage_high_pct"] = out["coverage_pct"].where(out["coverage_pct"].notna(), cov_high)
    # the reported state carried on to 31/12 at the pace since the base year
    share = _year_fraction(data_date, year)
    population_end = out["population_base_persons"] + (out["population_persons"] - out["population_base_persons"]) / share
    served_end = out["served_base_persons"] + (out["served_persons"] - out["served_base_persons"]) / share
    out["population_year_end_persons"] = population_end.round()
    out["served_year_end_persons"] = np.minimum(served_end, population_end).clip(lower=0).round()
    out["coverage_year_end_pct"] = (100 * out["served_year_end_persons"] / out["population_year_end_persons"]).where(valid)

    attribution = pd.DataFrame(columns=["scope", "name_vi", "component", "component_vi", "persons", "pct_points"])
    if start is None:
        for column in ("projected_population_persons", "projected_served_persons", "projected_coverage_pct",
                       "projection_error_pct_points", "main_cause_vi"):
            out[column] = np.nan
        return out, attribution
    proj = start.areas.reindex(out["area_id"])
    out["projected_population_persons"] = proj["population"].to_numpy()
    out["projected_served_persons"] = proj["served"].to_numpy()
    out["projected_coverage_pct"] = proj["coverage_pct"].to_numpy()
    out["projection_error_pct_points"] = out["coverage_pct"] - out["projected_coverage_pct"]

    # served under the reported project dates (unknown dates keep the assumed ones)
    actual_months = {pid: projects.set_index("project_id").at[pid, "commissioning_month"] for pid in start.assumed_months}
    known = {pid: m for pid, m in actual_months.items() if pd.notna(m)}
    timed = {**start.assumed_months, **known}
    served_timed = start.served_with(timed)
    timing = (served_timed - start.served_with(start.assumed_months)).reindex(out["area_id"]).to_numpy()
    uptake = np.zeros(len(out))
    timing_known = np.ones(len(out), dtype=bool)
    uptake_known = np.ones(len(out), dtype=bool)
    index = {a: i for i, a in enumerate(out["area_id"])}
    far = 12.0 * 100
    for pid, area in start.project_areas.items():
        i = index[area]
        if pid not in known:
            timing_known[i] = uptake_known[i] = False
            continue
        month = known[pid]
        contribution = served_timed[area] - start.served_with({**timed, pid: far})[area]
        expected = start.expected_connections(pid, month)
        connected = projects.set_index("project_id").at[pid, "connected_persons"]
        if expected <= 0:
            continue  # not in use within the year: nothing connected, nothing expected
        if pd.isna(connected):
            uptake_known[i] = False
            continue
        uptake[i] += contribution * (float(connected) / expected - 1)
    population = out["population_persons"].to_numpy()
    p_served, p_population = out["projected_served_persons"].to_numpy(), out["projected_population_persons"].to_numpy()
    with np.errstate(all="ignore"):
        effects = {
            "population": 100 * (p_served / population - p_served / p_population),
            "timing": np.where(timing_known, 100 * timing / population, np.nan),
            "uptake": np.where(uptake_known, 100 * uptake / population, np.nan),
        }
        error = out["projection_error_pct_points"].to_numpy()
        effects["other"] = error - np.nansum(np.vstack([effects["population"], effects["timing"], effects["uptake"]]), axis=0)
    for name, values in effects.items():
        out[f"effect_{name}_pct_points"] = np.where(np.isnan(error), np.nan, values)
    out["main_cause_vi"] = [_main_cause(row) for row in out.to_dict("records")]

    rows = []
    for row in out.to_dict("records"):
        for name in CAUSES_VI:
            pp = row[f"effect_{name}_pct_points"]
            rows.append({"scope": row["area_id"], "name_vi": row["name_vi"], "component": name, "component_vi": CAUSES_VI[name],
                         "persons": pp * row["population_persons"] / 100 if pd.notna(pp) else np.nan, "pct_points": pp})
    attribution = pd.DataFrame(rows)
    return out, attribution


def _main_cause(row: dict) -> str | float:
    error = row.get("projection_error_pct_points")
    if _na(error):
        return np.nan
    if abs(error) < CLOSE_PCT_POINTS:
        return "dự báo sát thực tế"
    parts = {name: row[f"effect_{name}_pct_points"] for name in CAUSES_VI if pd.notna(row[f"effect_{name}_pct_points"])}
    name = max(parts, key=lambda k: abs(parts[k]))
    direction = "cao hơn" if error > 0 else "thấp hơn"
    return f"thực tế {direction} dự báo, chủ yếu do {CAUSES_VI[name]}"


def _province_attribution(areas: pd.DataFrame, start: StartOfYear | None) -> pd.DataFrame:
    """The same split on the province totals, over the areas that reported (all of them, or as many as did)."""
    complete = areas["population_persons"].notna() & areas["served_persons"].notna() & (areas["population_persons"] > 0)
    if start is None or not complete.any():
        return pd.DataFrame()
    areas = areas[complete]
    population = areas["population_persons"].sum()
    p_served, p_population = areas["projected_served_persons"].sum(), areas["projected_population_persons"].sum()
    rows = [{"component": "population", "pct_points": 100 * (p_served / population - p_served / p_population)}]
    for name in ("timing", "uptake"):
        persons = (areas[f"effect_{name}_pct_points"] * areas["population_persons"] / 100).sum(min_count=1)
        rows.append({"component": name, "pct_points": 100 * persons / population if pd.notna(persons) else np.nan})
    error = 100 * areas["served_persons"].sum() / population - 100 * p_served / p_population
    rows.append({"component": "other", "pct_points": error - np.nansum([r["pct_points"] for r in rows])})
    frame = pd.DataFrame(rows)
    frame.insert(0, "scope", "province")
    frame.insert(1, "name_vi", "Toàn tỉnh" if complete.all() else f"Toàn tỉnh ({int(complete.sum())} đô thị có số liệu)")
    frame["actual_pct"] = 100 * areas["served_persons"].sum() / population
    frame["projected_pct"] = 100 * p_served / p_population
    frame.insert(3, "component_vi", frame["component"].map(CAUSES_VI))
    frame.insert(4, "persons", frame["pct_points"] * population / 100)
    return frame


def _capacity_projects(package, projects: pd.DataFrame, year: int) -> dict[str, bool | None]:
    """System -> whether its capacity project of §VI due this year came into use in it (None: not reported)."""
    due = projects[(projects["kind"] == "capacity") & (projects["completion_year"] <= year)]
    plan = package.projects.set_index("project_id")
    out: dict[str, bool | None] = {}
    for row in _rows(due):
        state = None if _na(row.status) else row.status == "in_use"
        for system_id in str(plan.at[row.project_id, "system_ids"]).split(";"):
            system_id = system_id.strip()
            if not system_id:
                continue
            before = out.get(system_id, False)
            out[system_id] = True if (before is True or state is True) else None if (before is None or state is None) else False
    return out


def _systems(package, actuals: Actuals, start: StartOfYear | None, year: int, projects: pd.DataFrame) -> pd.DataFrame:
    base = bl.system_state(package)
    rep = _reported(actuals, "system_results", "system_id", base["system_id"])
    volumes = volumes_m3_per_day(rep, year)
    out = pd.DataFrame({
        "system_id": base["system_id"].to_numpy(),
        "name_vi": base["name_vi"].to_numpy(),
        "operator_id": base["operator_id"].to_numpy(),
        "operator_vi": base["operator_vi"].to_numpy(),
        "status_base": base["status"].to_numpy(),
        "status_reported": rep["status"].to_numpy(dtype=object),
    })
    out["status_used"] = out["status_reported"].where(out["status_reported"].notna(), out["status_base"])
    out["is_in_scope"] = out["status_used"] == "operating"
    out["production_m3_per_day"] = volumes["production_m3_per_day"].to_numpy(dtype=float, na_value=np.nan)
    out["billed_m3_per_day"] = volumes["billed_m3_per_day"].to_numpy(dtype=float, na_value=np.nan)
    both = out["production_m3_per_day"].notna() & out["billed_m3_per_day"].notna() & (out["production_m3_per_day"] > 0)
    out["loss_m3_per_day"] = (out["production_m3_per_day"] - out["billed_m3_per_day"]).where(both)
    out["loss_pct"] = (100 * out["loss_m3_per_day"] / out["production_m3_per_day"]).where(both)
    plan = package.plan
    out["loss_class"] = classify(out["loss_pct"], loss_class, plan.loss_threshold_pct)
    out["loss_base_pct"] = base["loss_pct"].to_numpy()
    out["loss_change_pct_points"] = [shown_change(a, b) for a, b in zip(out["loss_pct"], out["loss_base_pct"])]
    reported_capacity = rep["design_capacity_m3_per_day"].to_numpy(dtype=float, na_value=np.nan)
    out["design_capacity_m3_per_day"] = np.where(np.isnan(reported_capacity), base["design_capacity_m3_per_day"].to_numpy(), reported_capacity)
    out["capacity_source_vi"] = np.where(~np.isnan(reported_capacity), "báo cáo",
                                         np.where(base["design_capacity_m3_per_day"].notna(), f"số liệu năm {plan.base_year}", None))
    out["utilisation_pct"] = (100 * out["production_m3_per_day"] / out["design_capacity_m3_per_day"]).where(out["design_capacity_m3_per_day"] > 0)
    out["utilisation_class"] = classify(out["utilisation_pct"], utilisation_class)
    out["utilisation_base_pct"] = base["utilisation_pct"].to_numpy()
    capacity = _capacity_projects(package, projects, year)
    out["capacity_project_in_use"] = [capacity.get(s, np.nan) if s in capacity else np.nan for s in out["system_id"]]
    out["has_capacity_project"] = out["system_id"].isin(list(capacity))
    out["supply_hours_per_day"] = rep["supply_hours_per_day"].to_numpy(dtype=float, na_value=np.nan)
    out["is_quality_published"] = rep["is_quality_published"].to_numpy(dtype=object, na_value=None)
    out["has_safe_supply_plan"] = rep["has_safe_supply_plan"].to_numpy(dtype=object, na_value=None)
    out["connections_households"] = rep["connections_households"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    # the plausible range of what is missing (MissingRanges)
    margin = RANGES.loss_margin_pct_points
    running_base = out["loss_base_pct"].dropna()
    floor = float(running_base.min()) if len(running_base) else 0.0
    ceiling = float(running_base.max()) if len(running_base) else 100.0
    own = out["loss_base_pct"]
    out["loss_low_pct"] = out["loss_pct"].where(out["loss_pct"].notna(), np.minimum(floor, (own - margin).fillna(floor)).clip(lower=0))
    out["loss_high_pct"] = out["loss_pct"].where(out["loss_pct"].notna(), (own.fillna(ceiling) + margin).clip(upper=99.0))
    ratio = RANGES.production_ratio
    before = base["production_m3_per_day"].astype(float)
    largest = float(np.nanmax(base["design_capacity_m3_per_day"].astype(float))) if base["design_capacity_m3_per_day"].notna().any() else math.inf
    new_high = out["design_capacity_m3_per_day"].fillna(largest)
    out["production_low_m3_per_day"] = out["production_m3_per_day"].where(
        out["production_m3_per_day"].notna(), (before / ratio).fillna(0.0))
    out["production_high_m3_per_day"] = out["production_m3_per_day"].where(
        out["production_m3_per_day"].notna(), (before * ratio).where(before.notna(), new_high))
    if start is not None:
        proj = start.systems.reindex(out["system_id"])
        out["projected_loss_pct"] = proj["loss_pct"].astype(float).to_numpy()
        out["projected_utilisation_pct"] = proj["utilisation_pct"].astype(float).to_numpy()
    else:
        out["projected_loss_pct"] = out["projected_utilisation_pct"] = np.nan
    out["projection_error_loss_pct_points"] = out["loss_pct"] - out["projected_loss_pct"]
    return out


def _operators(package, systems: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for op in _rows(package.operators):
        mine = systems[(systems["operator_id"] == op.operator_id) & systems["is_in_scope"]]
        flags = [_bool(v) for v in mine["has_safe_supply_plan"]]
        rows.append({
            "operator_id": op.operator_id, "name_vi": op.name_vi, "short_name_vi": op.short_name_vi,
            "systems_in_scope": len(mine), "systems_with_plan": sum(f is True for f in flags),
            "systems_without_plan": sum(f is False for f in flags), "systems_not_reported": sum(f is None for f in flags),
        })
    return pd.DataFrame(rows)


def _projects(package, actuals: Actuals, start: StartOfYear | None, year: int) -> pd.DataFrame:
    plan = package.projects
    rep = _reported(actuals, "project_results", "project_id", plan["project_id"])
    out = pd.DataFrame({
        "project_id": plan["project_id"].astype(str).to_numpy(),
        "project_no": plan["project_no"].astype(int).to_numpy(),
        "name_vi": plan["name_vi"].astype(str).to_numpy(),
        "investor_vi": plan["investor_vi"].astype(str).to_numpy(),
        "kind": plan["kind"].astype(str).to_numpy(),
        "area_ids": plan["area_ids"].astype(str).to_numpy(),
        "cost_billion_vnd": plan["cost_billion_vnd"].astype(float).to_numpy(),
        "completion_year": plan["completion_year"].astype(int).to_numpy(),
        "beneficiaries_persons": plan["beneficiaries_persons"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        "status": rep["status"].to_numpy(dtype=object),
        "commissioning_date": rep["commissioning_date"].to_numpy(),
        "disbursed_billion_vnd": rep["disbursed_billion_vnd"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        "connected_persons": rep["connected_persons"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
    })
    out["status_vi"] = out["status"].map(PROJECT_STATUS_VI)
    out["commissioning_month"] = [project_month(s, d, year, package.plan) for s, d in zip(out["status"], out["commissioning_date"])]
    out["commissioning_month"] = out["commissioning_month"].astype(float)
    assumed = start.assumed_months if start is not None else {}
    out["assumed_commissioning_month"] = out["project_id"].map(assumed).astype(float)
    in_use = out["status"] == "in_use"
    out["delay_months"] = (out["commissioning_month"] - out["assumed_commissioning_month"]).where(in_use & out["commissioning_date"].notna())
    done = out["status"].isin(["finished", "in_use"])
    due = out["completion_year"] <= year
    out["timing_status"] = [NOT_APPLICABLE if not d else NOT_REPORTED if _na(s) else MET if ok else NOT_MET
                            for s, ok, d in zip(out["status"], done, due)]
    out["disbursed_pct"] = 100 * out["disbursed_billion_vnd"] / out["cost_billion_vnd"]
    out["cost_status"] = [NOT_REPORTED if pd.isna(p) else MET if printed(p) <= 100 else NOT_MET for p in out["disbursed_pct"]]
    out["connected_pct"] = 100 * out["connected_persons"] / out["beneficiaries_persons"]
    people = out["beneficiaries_persons"].notna()
    out["people_status"] = [NOT_APPLICABLE if not has else NOT_MET if s in ("not_started", "under_way", "finished") and pd.isna(c)
                            else status(None if pd.isna(c) else c >= b)
                            for has, s, c, b in zip(people, out["status"], out["connected_persons"], out["beneficiaries_persons"])]
    gains = start.project_gain if start is not None else {}
    out["projected_area_gain_persons"] = [gains.get(pid, np.nan) if has else np.nan for pid, has in zip(out["project_id"], people)]
    if start is not None:
        out["expected_connections_persons"] = [
            start.expected_connections(pid, assumed[pid]) if pid in assumed else np.nan for pid in out["project_id"]]
    else:
        out["expected_connections_persons"] = np.nan
    return out


def _tasks(package, actuals: Actuals) -> tuple[pd.DataFrame, pd.DataFrame]:
    plan = package.agency_tasks
    rep = _reported(actuals, "task_results", "task_id", plan["task_id"])
    tasks = pd.DataFrame({
        "task_id": plan["task_id"].astype(str).to_numpy(),
        "agency_id": plan["agency_id"].astype(str).to_numpy(),
        "agency_vi": plan["agency_vi"].astype(str).to_numpy(),
        "task_vi": plan["task_vi"].astype(str).to_numpy(),
        "status": rep["status"].to_numpy(dtype=object),
        "note": rep["note"].to_numpy(dtype=object),
    })
    tasks["status_vi"] = tasks["status"].map(TASK_STATUS_VI).where(tasks["status"].notna(), NOT_REPORTED)
    counts = []
    for agency_id, group in tasks.groupby("agency_id", sort=False):
        counts.append({
            "agency_id": agency_id, "agency_vi": group["agency_vi"].iloc[0], "tasks": len(group),
            "done": int((group["status"] == "done").sum()), "in_progress": int((group["status"] == "in_progress").sum()),
            "not_started": int((group["status"] == "not_started").sum()), "not_reported": int(group["status"].isna().sum()),
        })
    return tasks, pd.DataFrame(counts)


# ---------------------------------------------------------------------------- reconciliation


def _reconciliation(areas: pd.DataFrame, projects: pd.DataFrame) -> pd.DataFrame:
    """People connected by the people-serving projects against the rise of people served in their area(s) since 2025.

    Projects are grouped by the set of areas they serve; a project not in use connected nobody.
    """
    by_area = areas.set_index("area_id")
    people = projects[projects["beneficiaries_persons"].notna()].copy()
    not_in_use = people["status"].isin(["not_started", "under_way", "finished"])
    people["connected_used"] = people["connected_persons"].where(~not_in_use, people["connected_persons"].fillna(0.0))
    people["area_set"] = [tuple(sorted(a.strip() for a in str(ids).split(";") if a.strip())) for ids in people["area_ids"]]
    rows = []
    for area_set, group in people.groupby("area_set", sort=False):
        known = [a for a in area_set if a in by_area.index]
        change = by_area.loc[known, "served_change_persons"].sum(min_count=len(known)) if known else np.nan
        connected = group["connected_used"].sum(min_count=len(group))
        excess = connected - change if pd.notna(connected) and pd.notna(change) else np.nan
        rows.append({
            "project_ids": ";".join(group["project_id"]), "project_nos": ", ".join(str(n) for n in group["project_no"]),
            "area_ids": ";".join(area_set), "areas_vi": ", ".join(by_area.loc[known, "name_vi"]),
            "connected_persons": connected, "served_change_persons": change,
            "excess_persons": max(0.0, excess) if pd.notna(excess) else np.nan,
            "is_consistent": bool(excess <= 0) if pd.notna(excess) else None,
        })
    return pd.DataFrame(rows, columns=["project_ids", "project_nos", "area_ids", "areas_vi", "connected_persons",
                                       "served_change_persons", "excess_persons", "is_consistent"])


# ---------------------------------------------------------------------------- the targets, each driven by its row


@dataclass(frozen=True)
class Frames:
    """What the measures read: the per-area, per-system and per-operator frames of the evaluation."""

    areas: pd.DataFrame
    systems: pd.DataFrame
    operators: pd.DataFrame


@dataclass(frozen=True)
class Measured:
    """A target's units, and each unit's own status (index unit_id) for the tables by area, system, operator."""

    units: list[Unit]
    unit_status: pd.Series
    scope: str  # "areas", "systems", "operators": the frame unit_status belongs to
    unit_vi: str
    any_reported: bool | None = None  # something was reported for the target (default: a unit reported in full)


def _within(low: float | None, high: float | None, lo: float, hi: float,
            low_open: bool = False, high_open: bool = False) -> set[bool]:
    """The values "inside [low, high]" takes over the printed range [lo, hi] (a convex set: both ends decide)."""
    lo, hi = printed(lo), printed(hi)

    def inside(x: float) -> bool:
        above = low is None or (x > low if low_open else x >= low)
        below = high is None or (x < high if high_open else x <= high)
        return above and below

    if inside(lo) and inside(hi):
        return {True}
    left_of = high is not None and (lo > high or (high_open and lo >= high))
    right_of = low is not None and (hi < low or (low_open and hi <= low))
    if left_of or right_of:
        return {False}
    return {True, False} if lo != hi else {inside(lo)}


def _flag_unit(unit_id: str, name: str, flags: set[bool], reported: bool) -> Unit:
    return Unit(unit_id, name, reported, tuple((1.0 if f else 0.0, 1.0) for f in sorted(flags)))


def _flag_status(flags: set[bool], reported: bool) -> str:
    if not reported:
        return NOT_REPORTED
    return MET if flags == {True} else NOT_MET if flags == {False} else INSUFFICIENT


def _population_share(row: pd.Series, f: Frames) -> Measured:
    """Σ served / Σ population over the areas; each area against its own Biểu 04 target."""
    units = []
    for a in _rows(f.areas):
        pops = sorted({a.population_low_persons, a.population_high_persons})
        if pd.notna(a.served_persons):
            options = tuple((a.served_persons, max(p, a.served_persons)) for p in pops)
        else:
            options = tuple((c / 100 * p, p) for c in sorted({a.coverage_low_pct, a.coverage_high_pct}) for p in pops)
        reported = pd.notna(a.served_persons) and pd.notna(a.population_persons)
        units.append(Unit(a.area_id, a.name_vi, reported, options))
    return Measured(units, f.areas.set_index("area_id")["status"], "areas", "đô thị")


def _production_share(row: pd.Series, f: Frames) -> Measured:
    """Σ (production − billed) / Σ production over the systems in scope; each system against the same bounds."""
    units, statuses = [], {}
    low, high = _bounds(row)
    per_system = "system" in str(row.get("applies_to") or "").split(";")  # the target's row says whether it applies to each system
    for s in _rows(f.systems):
        if not s.is_in_scope:
            statuses[s.system_id] = NOT_APPLICABLE
            continue
        losses = sorted({s.loss_low_pct / 100, s.loss_high_pct / 100})
        if pd.notna(s.loss_pct):
            options = ((s.loss_m3_per_day, s.production_m3_per_day),)
        elif pd.notna(s.production_m3_per_day):
            options = tuple((l * s.production_m3_per_day, s.production_m3_per_day) for l in losses)
        elif pd.notna(s.billed_m3_per_day) and s.billed_m3_per_day > 0:  # production follows from the loss
            options = tuple((s.billed_m3_per_day * l / (1 - l), s.billed_m3_per_day / (1 - l)) for l in losses)
        else:
            productions = sorted({s.production_low_m3_per_day, s.production_high_m3_per_day})
            options = tuple((l * p, p) for l in losses for p in productions)
        units.append(Unit(s.system_id, s.name_vi, pd.notna(s.loss_pct), options))
        statuses[s.system_id] = status(meets(s.loss_pct, low, high)) if per_system else NOT_APPLICABLE
    return Measured(units, pd.Series(statuses, dtype=object), "systems", "công trình")


def _reported_column(target_id: str, kind: str | None = None) -> str:
    """The reported column of the system results that names ``target_id`` (see :mod:`capnuoc_model.evaluation.actuals`)."""
    for table in ACTUALS_TABLES:
        for column in columns_of(table):
            if column.target == target_id and (kind is None or column.kind == kind):
                return column.name
    raise KeyError(target_id)


def _share_of_systems(row: pd.Series, f: Frames) -> Measured:
    """Share of the systems in scope whose reported yes/no is "có"."""
    column = _reported_column(row["target_id"])
    units, statuses = [], {}
    for s in f.systems.to_dict("records"):
        if not s["is_in_scope"]:
            statuses[s["system_id"]] = NOT_APPLICABLE
            continue
        value = _bool(s[column])
        flags = {True, False} if value is None else {value}
        units.append(_flag_unit(s["system_id"], s["name_vi"], flags, value is not None))
        statuses[s["system_id"]] = _flag_status(flags, value is not None)
    return Measured(units, pd.Series(statuses, dtype=object), "systems", "công trình")


def _share_of_operators(row: pd.Series, f: Frames) -> Measured:
    """Share of the operators running a system in scope whose every such system reports "có"."""
    column = _reported_column(row["target_id"])
    units, statuses = [], {}
    for op in _rows(f.operators):
        mine = f.systems[(f.systems["operator_id"] == op.operator_id) & f.systems["is_in_scope"]]
        if not len(mine):
            statuses[op.operator_id] = NOT_APPLICABLE
            continue
        values = [_bool(v) for v in mine[column]]
        flags = {False} if False in values else {True, False} if None in values else {True}
        reported = None not in values or False in values
        units.append(_flag_unit(op.operator_id, op.name_vi, flags, None not in values))
        statuses[op.operator_id] = _flag_status(flags, reported)
    in_scope = f.systems.loc[f.systems["is_in_scope"], column]
    return Measured(units, pd.Series(statuses, dtype=object), "operators", "đơn vị", any_reported=bool(in_scope.notna().any()))


def _every_system_within(row: pd.Series, f: Frames) -> Measured:
    """Every system in scope inside the row's [target_min, target_max]; a missing value anywhere in its range."""
    column = _reported_column(row["target_id"])
    low, high = _bounds(row)
    units, statuses = [], {}
    for s in f.systems.to_dict("records"):
        if not s["is_in_scope"]:
            statuses[s["system_id"]] = NOT_APPLICABLE
            continue
        value = s[column]
        lo, hi = (value, value) if pd.notna(value) else RANGES.hours_per_day
        flags = _within(low, high, lo, hi)
        units.append(_flag_unit(s["system_id"], s["name_vi"], flags, pd.notna(value)))
        statuses[s["system_id"]] = _flag_status(flags, pd.notna(value))
    return Measured(units, pd.Series(statuses, dtype=object), "systems", "công trình")


def utilisation_rule(before_pct: float, capacity_project_in_use: bool) -> tuple[float | None, float | None, bool, bool]:
    """The utilisation a system must reach, as (low, high, low_open, high_open) on the printed value.

    Inside the band, or closer to it than in 2025 (strictly); a system whose capacity project came
    into use as planned: its capacity exceeds its demand (not above the band's top).
    """
    low, high = UTILISATION_BAND_PCT
    if capacity_project_in_use:
        return None, high, False, False
    shown = printed(before_pct)
    distance = max(low - shown, shown - high, 0.0)
    if distance == 0:
        return low, high, False, False
    return low - distance, high + distance, True, True


def utilisation_flags(now_low: float, now_high: float, before_pct: float, capacity_project_in_use: bool | None) -> set[bool]:
    """Whether a system meets the utilisation rule, for a utilisation anywhere in [now_low, now_high] (one value: equal ends).

    ``capacity_project_in_use`` None: its capacity project's report is missing (either case may hold).
    """
    flags: set[bool] = set()
    for case in ([capacity_project_in_use] if capacity_project_in_use is not None else [True, False]):
        low, high, low_open, high_open = utilisation_rule(before_pct, case)
        flags |= _within(low, high, now_low, now_high, low_open, high_open)
    return flags


def _utilisation(row: pd.Series, f: Frames) -> Measured:
    """Every existing system in scope meets :func:`utilisation_rule` (new systems: not applicable)."""
    units, statuses = [], {}
    for s in f.systems.to_dict("records"):
        if not s["is_in_scope"] or pd.isna(s["utilisation_base_pct"]):
            statuses[s["system_id"]] = NOT_APPLICABLE
            continue
        capacity = s["design_capacity_m3_per_day"]
        if pd.notna(s["utilisation_pct"]):
            lo = hi = s["utilisation_pct"]
        elif pd.notna(capacity) and capacity > 0:
            lo, hi = 100 * s["production_low_m3_per_day"] / capacity, 100 * s["production_high_m3_per_day"] / capacity
        else:
            lo, hi = 0.0, math.inf
        in_use = s["capacity_project_in_use"]
        in_use = in_use if isinstance(in_use, bool) else None if s["has_capacity_project"] else False
        flags = utilisation_flags(lo, hi, s["utilisation_base_pct"], in_use)
        reported = pd.notna(s["utilisation_pct"])
        units.append(_flag_unit(s["system_id"], s["name_vi"], flags, reported))
        statuses[s["system_id"]] = _flag_status(flags, reported)
    return Measured(units, pd.Series(statuses, dtype=object), "systems", "công trình")


@dataclass(frozen=True)
class Measure:
    """How a target's unit of measure is evaluated."""

    measure: Callable[[pd.Series, Frames], Measured]
    every_unit: bool  # the row's bounds apply to each unit; the target asks every unit to meet them
    is_yes_no: bool  # each unit meets it or not: the result is a count of units
    is_state: bool = False  # measured on a date (31/12), not over the year


MEASURES: dict[str, Measure] = {
    "pct_population": Measure(_population_share, every_unit=False, is_yes_no=False, is_state=True),
    "pct_production": Measure(_production_share, every_unit=False, is_yes_no=False),
    "pct_systems": Measure(_share_of_systems, every_unit=False, is_yes_no=True),
    "pct_operators": Measure(_share_of_operators, every_unit=False, is_yes_no=True),
    "hours_per_day": Measure(_every_system_within, every_unit=True, is_yes_no=True),
    "none": Measure(_utilisation, every_unit=True, is_yes_no=True),
}


def _bounds(row: pd.Series) -> tuple[float | None, float | None]:
    low, high = row.get("target_min"), row.get("target_max")
    return (None if _na(low) else float(low)), (None if _na(high) else float(high))


def target_rows(package, year: int) -> pd.DataFrame:
    """The plan's targets (``package.plan.targets``, one row each), each checked to have a unit of measure the evaluation knows.

    ``year`` is the plan year the targets are set for (the package's plan checks that every target is for it).
    """
    targets = package.plan.targets.values()
    rows = pd.DataFrame([{
        "target_id": t.id, "indicator_vi": t.indicator_vi, "wording_vi": t.wording_vi, "comparator": t.comparator,
        "target_min": np.nan if t.low is None else t.low, "target_max": np.nan if t.high is None else t.high,
        "unit": t.unit, "applies_to": ";".join(t.applies_to),
        "baseline_value": np.nan if t.baseline_value is None else t.baseline_value, "target_text": t.text(),
    } for t in targets], columns=["target_id", "indicator_vi", "wording_vi", "comparator", "target_min", "target_max", "unit",
                                  "applies_to", "baseline_value", "target_text"])
    unknown = [(i, u) for i, u in enumerate(rows["unit"]) if u not in MEASURES]
    if unknown:
        label = f"{getattr(package, 'directory', 'data')}/targets_province.csv"
        raise CapnuocInputError([Violation(label, None, "unit", f"đơn vị đo «{u}» của mục tiêu «{rows.at[i, 'target_id']}» chưa được hỗ trợ",
                                           "một trong: " + ", ".join(MEASURES)) for i, u in unknown])
    return rows


def _judge(value_low: float, value_high: float, low: float | None, high: float | None) -> bool | None:
    """True (False) when every value of [value_low, value_high] meets (misses) [low, high]; None otherwise."""
    at_low, at_high = meets(value_low, low, high), meets(value_high, low, high)
    if at_low is None or at_high is None:
        return None
    if at_low and at_high:
        return True
    below = high is not None and printed(value_low) > high
    above = low is not None and printed(value_high) < low
    return False if (below or above) else None


def _target(row: pd.Series, frames: Frames) -> tuple[dict, Measured]:
    rule = MEASURES[row["unit"]]
    measured = rule.measure(row, frames)
    units = measured.units
    low, high = (100.0, None) if rule.every_unit else _bounds(row)
    value_low, value_high = extremes(units)
    reported = sum(u.is_reported for u in units)
    complete = reported == len(units) and len(units) > 0
    value = value_low if complete else math.nan
    flag = _judge(value_low, value_high, low, high)
    anything = measured.any_reported if measured.any_reported is not None else reported > 0
    if not units or not anything:
        verdict = NOT_REPORTED if units else NOT_APPLICABLE
    else:
        verdict = MET if flag is True else NOT_MET if flag is False else INSUFFICIENT
    missing = [u for u in units if len(u.options) > 1]
    centre = (value_low + value_high) / 200 if not math.isnan(value_low) else 0.0
    width = {u.unit_id: max(o[0] - centre * o[1] for o in u.options) - min(o[0] - centre * o[1] for o in u.options) for u in missing}
    pending = sorted(missing, key=lambda u: -width[u.unit_id])
    met = sum(u.options == ((1.0, 1.0),) for u in units)
    not_met = sum(u.options == ((0.0, 1.0),) for u in units)
    shown_low, shown_high = printed(value_low), printed(value_high)
    if verdict == MET or verdict == NOT_APPLICABLE or shown_low is None:
        gap = np.nan
    elif high is not None and shown_low > high:
        gap = shown_low - high
    elif low is not None and shown_high < low:
        gap = low - shown_high
    else:
        gap = np.nan
    return {
        "target_id": row["target_id"], "measure": row["unit"], "value": value, "value_low": value_low, "value_high": value_high,
        "status": verdict, "gap": float(not_met) if rule.is_yes_no else gap,
        "gap_unit": measured.unit_vi if rule.is_yes_no else "điểm %",
        "reported": reported, "expected": len(units), "unit_vi": measured.unit_vi,
        "met_units": met if rule.is_yes_no else np.nan, "not_met_units": not_met if rule.is_yes_no else np.nan,
        "pending_ids": ";".join(u.unit_id for u in pending), "pending_vi": ", ".join(u.name_vi for u in pending),
        "is_every_unit": rule.every_unit, "is_yes_no": rule.is_yes_no, "is_state": rule.is_state,
    }, measured


def _targets(package, frames: Frames, start: StartOfYear | None, year: int) -> tuple[pd.DataFrame, dict[str, Measured]]:
    spec = target_rows(package, year)
    rows, measured = [], {}
    for _, row in spec.iterrows():
        result, measured[row["target_id"]] = _target(row, frames)
        rows.append(result)
    frame = pd.DataFrame(rows)
    frame.insert(1, "indicator_vi", spec["indicator_vi"].to_numpy())
    frame.insert(2, "target_min", spec["target_min"].astype(float).to_numpy())
    frame.insert(3, "target_max", spec["target_max"].astype(float).to_numpy())
    frame.insert(4, "baseline_value", spec["baseline_value"].astype(float).to_numpy())
    frame.insert(5, "target_text", spec["target_text"].to_numpy())
    projected = {"pct_population": start.coverage_pct, "pct_production": start.loss_pct} if start is not None else {}
    frame["projected"] = frame["measure"].map(projected).astype(float)
    areas = frames.areas
    complete = areas["served_year_end_persons"].notna().all() and areas["population_year_end_persons"].notna().all()
    year_end = 100 * areas["served_year_end_persons"].sum() / areas["population_year_end_persons"].sum() if complete else np.nan
    frame["value_year_end"] = np.where(frame["measure"] == "pct_population", year_end, np.nan)
    return frame, measured


def _attach_unit_statuses(frames: Frames, measured: dict[str, Measured]) -> Frames:
    """Each target's own status per system or operator, as ``<target_id>_status`` (one computation, every table)."""
    systems, operators = frames.systems.copy(), frames.operators.copy()
    for target_id, m in measured.items():
        if m.scope == "systems":
            systems[f"{target_id}_status"] = systems["system_id"].map(m.unit_status).fillna(NOT_APPLICABLE)
        elif m.scope == "operators":
            operators[f"{target_id}_status"] = operators["operator_id"].map(m.unit_status).fillna(NOT_APPLICABLE)
    return Frames(frames.areas, systems, operators)


def missing_ranges(frames: Frames, base_year: int) -> pd.DataFrame:
    """One row per missing report the targets depend on: its plausible range and why (the method appendix lists them)."""
    rows = []
    areas, systems = frames.areas, frames.systems
    for a in _rows(areas):
        if pd.isna(a.population_persons):
            rows.append(("area", a.area_id, a.name_vi, "population_persons", "dân số", a.population_low_persons,
                         a.population_high_persons, "người", f"giữa dân số năm {base_year} và dân số Biểu 04, "
                         f"nới thêm ±{fmt.vn(RANGES.population_margin_pct, 0)} %"))
        if pd.isna(a.served_persons):
            rows.append(("area", a.area_id, a.name_vi, "coverage_pct", "tỷ lệ được cấp nước", a.coverage_low_pct,
                         a.coverage_high_pct, "%", f"giữa tỷ lệ năm {base_year} và chỉ tiêu Biểu 04"))
    for s in _rows(systems[systems["is_in_scope"]]):
        if pd.isna(s.loss_pct):
            rows.append(("system", s.system_id, s.name_vi, "loss_pct", "tỷ lệ thất thoát", s.loss_low_pct, s.loss_high_pct, "%",
                         f"từ mức thấp nhất toàn tỉnh năm {base_year} (hoặc mức năm {base_year} của công trình trừ "
                         f"{fmt.vn(RANGES.loss_margin_pct_points, 0)} điểm %) đến mức năm {base_year} cộng "
                         f"{fmt.vn(RANGES.loss_margin_pct_points, 0)} điểm %"))
        if pd.isna(s.production_m3_per_day) and not (pd.notna(s.billed_m3_per_day) and s.billed_m3_per_day > 0):
            basis = (f"sản lượng năm {base_year} chia hoặc nhân {fmt.vn(RANGES.production_ratio, 1, trim=True)}"
                     if pd.notna(s.loss_base_pct) else "từ 0 đến công suất thiết kế (công trình mới)")
            rows.append(("system", s.system_id, s.name_vi, "production_m3_per_day", "sản lượng sản xuất",
                         s.production_low_m3_per_day, s.production_high_m3_per_day, "m³/ngày đêm", basis))
        low, high = RANGES.hours_per_day
        if pd.isna(s.supply_hours_per_day):
            rows.append(("system", s.system_id, s.name_vi, "supply_hours_per_day", "số giờ cấp nước", low, high, "giờ/ngày",
                         "bất kỳ"))
        for column, label in (("is_quality_published", "công bố chất lượng nước"), ("has_safe_supply_plan", "phương án cấp nước an toàn")):
            if _bool(getattr(s, column)) is None:
                rows.append(("system", s.system_id, s.name_vi, column, label, 0.0, 1.0, "không/có", "không hoặc có"))
    return pd.DataFrame(rows, columns=["scope", "unit_id", "name_vi", "quantity", "quantity_vi", "low", "high", "unit_vi", "basis_vi"])


# ---------------------------------------------------------------------------- findings


TARGET_SHORT_VI = {  # labels for tables and sentences; a target not listed uses its indicator as the plan words it
    "coverage": "Tỷ lệ dân số đô thị được cấp nước sạch",
    "loss": "Tỷ lệ thất thoát nước sạch bình quân",
    "utilisation": "Hiệu quả khai thác công suất",
    "water_quality": "Kiểm tra, công bố chất lượng nước",
    "safe_supply_plan": "Phương án cấp nước an toàn",
    "supply_hours": "Thời gian cấp nước",
}


def short_label(row: pd.Series) -> str:
    return TARGET_SHORT_VI.get(row["target_id"], str(row["indicator_vi"]))


def _names(frame: pd.DataFrame, column: str = "name_vi", limit: int = 6) -> str:
    names = list(frame[column])
    text = ", ".join(names[:limit])
    return text + (f" và {len(names) - limit} nơi khác" if len(names) > limit else "")


def _listed(names: list[str], limit: int = 4) -> str:
    text = ", ".join(names[:limit])
    return text + (f" và {len(names) - limit} nơi khác" if len(names) > limit else "")


def range_text(low: float, high: float, unit: str = "%", prefix: str = "") -> str:
    """'81,6–84,9 %' (after ``prefix``), or the one value when both ends print the same."""
    a, b = fmt.vn(low, 1), fmt.vn(high, 1)
    return f"{a} {unit}".strip() if a == b else f"{prefix}{a}–{b} {unit}".strip()


def findings(targets: pd.DataFrame, areas: pd.DataFrame, systems: pd.DataFrame, operators: pd.DataFrame,
             projects: pd.DataFrame, tasks: pd.DataFrame, agencies: pd.DataFrame, province_attribution: pd.DataFrame,
             start: StartOfYear | None, year: int, reconciliation: pd.DataFrame | None = None,
             data_date: dt.date | None = None, plan=None) -> pd.DataFrame:
    """The short list of what the results say, each sentence computed from the tables above."""
    base_year = plan.base_year if plan is not None else year - 1
    out: list[tuple[str, str]] = []
    counts = targets["status"].value_counts()
    undecided = counts.get(INSUFFICIENT, 0) + counts.get(NOT_REPORTED, 0)
    out.append(("chi_tieu", f"Năm {year}: {counts.get(MET, 0)}/{len(targets)} mục tiêu đạt, {counts.get(NOT_MET, 0)} không đạt, "
                            f"{undecided} chưa đủ số liệu để kết luận."))
    for row in _rows(targets[targets["status"] == INSUFFICIENT]):
        r = targets.loc[row.Index]
        if r["is_yes_no"]:
            span = (f"{int(r['met_units'])} đến {int(r['expected'] - r['not_met_units'])}/{int(r['expected'])} "
                    f"{r['unit_vi']} có thể đạt")
        else:
            span = f"giá trị {range_text(r['value_low'], r['value_high'], prefix='trong khoảng ')}"
        pending = [p for p in str(r["pending_vi"]).split(", ") if p]
        out.append(("chi_tieu", f"{short_label(r)}: chưa kết luận được ({int(r['reported'])}/{int(r['expected'])} {r['unit_vi']} "
                                f"báo cáo; {span}); cần số liệu của {_listed(pending)}."))
    cov = targets[targets["measure"] == "pct_population"]
    if len(cov):
        cov = cov.iloc[0]
        when = f"đến ngày {data_date:%d/%m/%Y}" if data_date is not None else ""
        if pd.notna(cov["value"]):
            text = (f"Tỷ lệ dân số đô thị được cấp nước sạch {when} {fmt.pct(cov['value'])} so với mục tiêu "
                    f"{fmt.pct(cov['target_min'])} ({cov['status'].lower()})")
            if pd.notna(cov["value_year_end"]) and data_date is not None and data_date < dt.date(year, 12, 31):
                flag_end = meets(cov["value_year_end"], *_bounds(cov))
                text += f"; ước đến 31/12/{year} theo tốc độ tăng từ đầu năm: {fmt.pct(cov['value_year_end'])}"
                if flag_end is not None and (flag_end != (cov["status"] == MET)):
                    text += f" ({'đạt' if flag_end else 'không đạt'} nếu giữ tốc độ này; đánh giá dựa trên số liệu báo cáo)"
            out.append(("do_thi", " ".join(text.split()) + "."))
        else:
            out.append(("do_thi", f"Tỷ lệ bao phủ toàn tỉnh {range_text(cov['value_low'], cov['value_high'], prefix='trong khoảng ')} "
                                  f"(thiếu số liệu {int(cov['expected'] - cov['reported'])} đô thị); mục tiêu {fmt.pct(cov['target_min'])}: "
                                  f"{cov['status'].lower()}."))
    below = areas[areas["status"] == NOT_MET].sort_values("gap_pct_points", ascending=False)
    if len(below):
        worst = ", ".join(f"{r.name_vi} ({fmt.pct(r.coverage_pct)}, chỉ tiêu {fmt.pct(r.target_pct)})" for r in _rows(below.head(3)))
        applicable = int((areas["status"] != NOT_APPLICABLE).sum())
        out.append(("do_thi", f"{len(below)}/{applicable} đô thị có chỉ tiêu chưa đạt chỉ tiêu Biểu 04; xa nhất: {worst}."))
    none = areas[(areas["served_persons"] == 0)]
    if len(none):
        out.append(("do_thi", f"Còn {len(none)} đô thị chưa có nước sạch từ hệ thống tập trung: {_names(none)}."))
    high = systems[systems["loss_pct"] >= HIGH_LOSS_PCT].sort_values("loss_pct", ascending=False)
    if len(high):
        listed = ", ".join(f"{r.name_vi} {fmt.pct(r.loss_pct)}" for r in _rows(high))
        out.append(("cong_trinh", f"{len(high)} công trình còn thất thoát từ {fmt.pct(HIGH_LOSS_PCT, 0)} trở lên: {listed}."))
    rose = systems[systems["loss_change_pct_points"] > 0]  # as the reader sees it: the two printed figures
    if len(rose):
        listed = ", ".join(f"{r.name_vi} (+{fmt.vn(r.loss_change_pct_points, 1)} điểm %)" for r in _rows(rose))
        out.append(("cong_trinh", f"Thất thoát tăng so với năm {base_year} ở {len(rose)} công trình: {listed}."))
    for row in _rows(targets[targets["is_yes_no"]]):
        r = targets.loc[row.Index]
        column = f"{r['target_id']}_status"
        frame = systems if column in systems else operators if column in operators else None
        if frame is None:
            continue
        missed = frame[frame[column] == NOT_MET]
        if len(missed):
            bounded = pd.notna(r["target_min"]) or pd.notna(r["target_max"])
            if r["is_every_unit"] and bounded:  # every unit inside the row's bounds: say where each one is
                unit = plan_rules.UNIT_VI.get(r["measure"], "")
                values = missed[_reported_column(r["target_id"])]
                listed = ", ".join(f"{n} ({fmt.vn(v, 1, trim=True)} {unit})".replace(" )", ")") for n, v in zip(missed["name_vi"], values))
                out.append(("cong_trinh", f"{short_label(r)} chưa đạt, ngoài khoảng {r['target_text']}: {listed}."))
            else:
                out.append(("cong_trinh", f"{short_label(r)} chưa đạt: {_names(missed)}."))
    unreported_capacity = systems[(systems["capacity_project_in_use"] == True) & (systems["capacity_source_vi"] != "báo cáo")]  # noqa: E712
    if len(unreported_capacity):
        out.append(("cong_trinh", f"Dự án nâng công suất đã đưa vào sử dụng nhưng chưa báo cáo công suất mới: {_names(unreported_capacity)} "
                                  f"(tỷ lệ khai thác đang tính theo công suất năm {base_year})."))
    not_in_use = projects[(projects["timing_status"] == NOT_MET)]
    if len(not_in_use):
        listed = ", ".join(f"dự án {r.project_no} ({r.status_vi.lower()})" for r in _rows(not_in_use))
        out.append(("du_an", f"{len(not_in_use)}/{len(projects)} dự án chưa hoàn thành theo Kế hoạch: {listed}."))
    late = projects[projects["delay_months"] > 0.5]
    if len(late):
        listed = ", ".join(f"dự án {r.project_no} (chậm {fmt.vn(r.delay_months, 0)} tháng)" for r in _rows(late))
        out.append(("du_an", f"Đưa vào sử dụng muộn hơn giả định đầu năm: {listed}."))
    over = projects[projects["cost_status"] == NOT_MET]
    if len(over):
        listed = ", ".join(f"dự án {r.project_no} ({fmt.pct(r.disbursed_pct, 0)} tổng mức)" for r in _rows(over))
        out.append(("du_an", f"Giải ngân vượt tổng mức đầu tư: {listed}."))
    people = projects[projects["beneficiaries_persons"].notna()]
    connected = people["connected_persons"].sum(min_count=1)
    if pd.notna(connected):
        out.append(("du_an", f"Các dự án cấp nước cho dân đã đấu nối {fmt.persons(connected)} trên "
                             f"{fmt.vn(people['beneficiaries_persons'].sum())} người dự kiến "
                             f"({fmt.pct(100 * connected / people['beneficiaries_persons'].sum(), 0)})."))
    if reconciliation is not None:
        for r in _rows(reconciliation[reconciliation["is_consistent"] == False]):  # noqa: E712
            out.append(("du_an", f"Dự án {r.project_nos}: số người đấu nối báo cáo lớn hơn mức tăng số dân được cấp nước của "
                                 f"đô thị {r.areas_vi}: {fmt.vn(r.excess_persons)} người ({fmt.vn(r.connected_persons)} người đấu nối, "
                                 f"số người được cấp nước tăng {fmt.vn(r.served_change_persons)} người so với năm {base_year})."))
    if start is not None and len(province_attribution):
        parts = province_attribution.set_index("component")["pct_points"]
        first = province_attribution.iloc[0]
        cause = parts.abs().idxmax()
        where = "" if first["name_vi"] == "Toàn tỉnh" else f" trên {first['name_vi'].split('(')[1].rstrip(')')}"
        out.append(("du_bao", f"Dự báo đầu năm (kịch bản «{start.scenario_name}»){where}: bao phủ {fmt.pct(first['projected_pct'])}, "
                              f"thực tế {fmt.pct(first['actual_pct'])}, chênh {fmt.vn(shown_change(first['actual_pct'], first['projected_pct']), 1)} "
                              f"điểm %, phần lớn do {CAUSES_VI[cause]} ({fmt.vn(parts[cause], 1)} điểm %)."))
    lagging = agencies[agencies["not_started"] > 0]
    if len(lagging):
        listed = ", ".join(f"{r.agency_vi} ({r.not_started})" for r in _rows(lagging))
        out.append(("co_quan", f"Nhiệm vụ chưa thực hiện: {listed}."))
    missing = []
    labelled = projects.assign(label=[f"dự án {n}" for n in projects["project_no"]])
    tasks_labelled = tasks.assign(label=tasks["agency_vi"])
    for frame, column, what in ((areas.assign(label=areas["name_vi"]), "served_persons", "đô thị"),
                                (systems[systems["is_in_scope"]].assign(label=systems["name_vi"]), "loss_pct", "công trình (sản lượng)"),
                                (labelled, "status", "dự án"), (tasks_labelled, "status", "nhiệm vụ")):
        lacking = frame[frame[column].isna()]
        if len(lacking):
            names = ", ".join(dict.fromkeys(lacking["label"]))
            missing.append(f"{len(lacking)} {what} ({names})")
    if missing:
        out.append(("so_lieu", "Chưa có số liệu: " + "; ".join(missing) + "."))
    return pd.DataFrame(out, columns=["topic", "text"])


def evaluate(package, actuals: Actuals, start: StartOfYear | None = None, data_date: dt.date | None = None) -> Evaluation:
    """Every table of the evaluation of ``actuals.year``; ``start`` adds the comparison with the projection.

    ``data_date`` is the date the reports describe (default: the plan's report deadline in the year).
    """
    year = actuals.year
    plan = package.plan
    data_date = data_date or default_data_date(plan, year)
    projects = _projects(package, actuals, start, year)
    areas, attribution = _areas(package, actuals, start, projects, data_date, year)
    province = _province_attribution(areas, start)
    attribution = pd.concat([province, attribution], ignore_index=True) if len(province) else attribution
    systems = _systems(package, actuals, start, year, projects)
    operators = _operators(package, systems)
    frames = Frames(areas, systems, operators)
    targets, measured = _targets(package, frames, start, year)
    frames = _attach_unit_statuses(frames, measured)
    tasks, agencies = _tasks(package, actuals)
    reconciliation = _reconciliation(areas, projects)
    found = findings(targets, areas, frames.systems, frames.operators, projects, tasks, agencies, province, start, year,
                     reconciliation, data_date, plan)
    return Evaluation(year, actuals.source, actuals.is_illustrative, start.scenario_name if start else None,
                      targets, areas, attribution, frames.systems, frames.operators, projects, tasks, agencies, found,
                      missing_ranges(frames, plan.base_year), reconciliation, data_date, start.source_vi if start else "", plan)


__all__ = ["evaluate", "Evaluation", "StartOfYear", "start_of_year", "meets", "printed", "shown_change",
           "extremes", "MissingRanges", "RANGES", "MEASURES", "target_rows", "utilisation_rule", "utilisation_flags", "default_data_date",
           "MET", "NOT_MET", "NOT_REPORTED", "NOT_APPLICABLE", "INSUFFICIENT", "UTILISATION_BAND_PCT"]
