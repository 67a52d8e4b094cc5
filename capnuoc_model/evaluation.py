"""The annual evaluation: reported results against every target of the plan and against the start-of-year projection.

Pure functions over the data package, the validated reports
(:class:`~capnuoc_model.actuals.Actuals`) and, optionally, the projection run of
the plan's scenario made at the start of the year. :func:`evaluate` returns an
:class:`Evaluation` whose frames are what ``capnuoc evaluate`` writes and what
the evaluation document shows.

Rules (the document's method section states the same):

* **Status.** "Đạt" (met), "Không đạt" (not met), "Chưa có số liệu" (a needed
  report is missing), "Không áp dụng" (the target does not apply, e.g. the loss
  of a system that did not operate). A value is compared with a target by the
  plan's one rule (:meth:`capnuoc_model.plan.Plan.meets`, the same rule the
  projection uses): as printed, to one decimal, bounds included, so a value
  printed "87,4 %" meets "≥ 87,4 %": exactly on target is met.
* **A status is given only when missing reports cannot change it.** Coverage
  needs every area: with some missing, the province value is bounded (missing
  areas served by nobody … by everybody, on their reported or Biểu 04
  population); the target is "Đạt" if even the low bound meets it, "Không đạt"
  if even the high bound misses it, otherwise "Chưa có số liệu". The "100 %"
  targets (quality, safe-supply plan, supply hours, utilisation) are "Không đạt"
  as soon as one system or operator is known to miss them, "Chưa có số liệu" if
  none misses but some did not report, "Đạt" if all reported and all meet them.
* **Loss** is production-weighted, Σ(production − billed) / Σ production over the
  operating systems that reported both volumes (the others are listed).
* **Utilisation** (the target has no number): a system meets it when its
  utilisation (production / design capacity) is inside 70-90 % — between the
  plan's "low" and "near capacity" groups of §IV.1 — or moved towards that band
  since the base year. Design capacity is the reported one, else the data package's.
* **Scope.** Systems in scope for the system targets are those operating in the
  year (the reported status, else the data package's); operators are those
  running at least one system in scope. The safe-supply plan of an operator is
  "có" when every system of it in scope reports "có".
* **Projection error of an area's coverage** splits exactly into: population
  (the same served people on the actual instead of the projected population),
  project timing (the projection rerun with the reported commissioning dates),
  uptake (the reported connections of the area's projects against what the
  uptake curve expected at those dates), and the rest (network extension,
  densification, reporting).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from capnuoc_model import baseline as bl
from capnuoc_model import fmt
from capnuoc_model import plan as plan_rules
from capnuoc_model.actuals import (
    PROJECT_STATUS_CHOICES,
    SYSTEM_STATUS_CHOICES,
    TASK_STATUS_CHOICES,
    Actuals,
    volumes_m3_per_day,
)
from capnuoc_model.classes import classify, coverage_class, loss_class, utilisation_class

MET, NOT_MET, NOT_REPORTED, NOT_APPLICABLE = "Đạt", "Không đạt", "Chưa có số liệu", "Không áp dụng"
UTILISATION_BAND_PCT = (70.0, 90.0)
HIGH_LOSS_PCT = 25.0  # the plan's "Cao" class starts here (Biểu 02)
CLOSE_PCT_POINTS = 0.5  # a projection within half a point of the result is "close"
PROJECT_STATUS_VI = dict(PROJECT_STATUS_CHOICES)
TASK_STATUS_VI = dict(TASK_STATUS_CHOICES)
SYSTEM_STATUS_VI = dict(SYSTEM_STATUS_CHOICES)
CAUSES_VI = {"population": "dân số", "timing": "tiến độ dự án", "uptake": "mức đấu nối của dự án",
             "other": "mở rộng mạng lưới, đấu nối khác, số liệu"}


# ---------------------------------------------------------------------------- statuses


def printed(value: float | None) -> float | None:
    """The value as the document prints it (:func:`capnuoc_model.plan.printed`); None when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return plan_rules.printed(float(value))


def meets(value: float | None, low: float | None = None, high: float | None = None) -> bool | None:
    """The plan's comparison rule (:func:`capnuoc_model.plan.meets_bounds`); None when the value is missing."""
    if printed(value) is None:
        return None
    return plan_rules.meets_bounds(float(value), low, high)


def status(flag: bool | None) -> str:
    return NOT_REPORTED if flag is None else MET if flag else NOT_MET


def all_of(flags: list[bool | None]) -> str:
    """A "100 %" target: not met once one is known to miss it; not reported while some are missing."""
    if any(f is False for f in flags):
        return NOT_MET
    if any(f is None for f in flags) or not flags:
        return NOT_REPORTED
    return MET


def _na(value: object) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _bool(value: object) -> bool | None:
    return None if _na(value) else bool(value)


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


def start_of_year(run, year: int) -> StartOfYear:
    """From a :class:`capnuoc_model.runs.ProjectionRun` of the plan's scenario (deterministic values)."""
    from capnuoc_model import engine, projection

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
        scenario_name=run.projection.scenario.name,
        areas=areas[["population", "served", "coverage_pct"]].astype(float),
        systems=systems[["loss_pct", "utilisation_pct", "is_running"]],
        coverage_pct=float(province["coverage_pct"]), loss_pct=float(province["loss_pct"]),
        assumed_months=assumed,
        project_areas={pid: area_ids[int(a)] for pid, a in zip(main_area["project_id"], main_area["area"])},
        served_with=served_with, expected_connections=expected,
    )


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
    plan: object = field(default=None, repr=False, compare=False)  # the data package's plan (capnuoc_model.plan.Plan)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The frames ``capnuoc evaluate`` writes, by file name."""
        return {"chi_tieu": self.targets, "do_thi": self.areas, "sai_so_du_bao": self.attribution,
                "cong_trinh": self.systems, "don_vi_cap_nuoc": self.operators, "du_an": self.projects,
                "nhiem_vu": self.tasks, "co_quan": self.agencies, "phat_hien": self.findings}


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


def _areas(package, actuals: Actuals, start: StartOfYear | None, projects: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    base = bl.area_state(package)
    targets = package.targets_area.set_index("area_id")
    rep = _reported(actuals, "area_results", "area_id", base["area_id"])
    out = pd.DataFrame({
        "area_id": base["area_id"].to_numpy(),
        "name_vi": base["name_vi"].to_numpy(),
        "orientation_group": base["orientation_group"].to_numpy(),
        "population_persons": rep["population_persons"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        "served_persons": rep["served_persons"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        "coverage_base_pct": base["coverage_pct"].to_numpy(),
        "target_pct": base["area_id"].map(targets["coverage_target_pct"].astype(float)).to_numpy(),
        "target_population_persons": base["area_id"].map(targets["population_target_persons"].astype(float)).to_numpy(),
    })
    valid = out["population_persons"] > 0
    out["coverage_pct"] = (100 * out["served_persons"] / out["population_persons"]).where(valid)
    out["coverage_class"] = classify(out["coverage_pct"], coverage_class)
    out["status"] = [status(meets(v, low=t)) for v, t in zip(out["coverage_pct"], out["target_pct"])]
    out["gap_pct_points"] = (out["target_pct"] - out["coverage_pct"].map(printed).astype(float)).clip(lower=0)
    out["change_since_base_pct_points"] = out["coverage_pct"] - out["coverage_base_pct"]

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
    served = out["served_persons"].to_numpy()
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


def _systems(package, actuals: Actuals, start: StartOfYear | None, year: int) -> pd.DataFrame:
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
    out["loss_change_pct_points"] = out["loss_pct"] - out["loss_base_pct"]
    loss = plan.target("loss")  # applies to each system too (targets_province.csv applies_to)
    out["loss_status"] = [NOT_APPLICABLE if not scope or "system" not in loss.applies_to else status(meets(v, loss.low, loss.high))
                          for v, scope in zip(out["loss_pct"], out["is_in_scope"])]
    reported_capacity = rep["design_capacity_m3_per_day"].to_numpy(dtype=float, na_value=np.nan)
    out["design_capacity_m3_per_day"] = np.where(np.isnan(reported_capacity), base["design_capacity_m3_per_day"].to_numpy(), reported_capacity)
    out["capacity_source_vi"] = np.where(~np.isnan(reported_capacity), "báo cáo",
                                         np.where(base["design_capacity_m3_per_day"].notna(), f"số liệu năm {plan.base_year}", None))
    out["utilisation_pct"] = (100 * out["production_m3_per_day"] / out["design_capacity_m3_per_day"]).where(out["design_capacity_m3_per_day"] > 0)
    out["utilisation_class"] = classify(out["utilisation_pct"], utilisation_class)
    out["utilisation_base_pct"] = base["utilisation_pct"].to_numpy()
    out["utilisation_status"] = [_utilisation_status(u, u0, scope) for u, u0, scope in
                                 zip(out["utilisation_pct"], out["utilisation_base_pct"], out["is_in_scope"])]
    out["supply_hours_per_day"] = rep["supply_hours_per_day"].to_numpy(dtype=float, na_value=np.nan)
    hours = plan.targets.get("supply_hours")
    out["hours_status"] = [NOT_APPLICABLE if not scope or hours is None else status(meets(h, hours.low, hours.high))
                           for h, scope in zip(out["supply_hours_per_day"], out["is_in_scope"])]
    out["is_quality_published"] = rep["is_quality_published"].to_numpy(dtype=object, na_value=None)
    out["quality_status"] = [NOT_APPLICABLE if not scope else status(_bool(q))
                             for q, scope in zip(out["is_quality_published"], out["is_in_scope"])]
    out["has_safe_supply_plan"] = rep["has_safe_supply_plan"].to_numpy(dtype=object, na_value=None)
    out["connections_households"] = rep["connections_households"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if start is not None:
        proj = start.systems.reindex(out["system_id"])
        out["projected_loss_pct"] = proj["loss_pct"].astype(float).to_numpy()
        out["projected_utilisation_pct"] = proj["utilisation_pct"].astype(float).to_numpy()
    else:
        out["projected_loss_pct"] = out["projected_utilisation_pct"] = np.nan
    out["projection_error_loss_pct_points"] = out["loss_pct"] - out["projected_loss_pct"]
    return out


def _utilisation_status(u: float, u0: float, in_scope: bool) -> str:
    if not in_scope:
        return NOT_APPLICABLE
    if pd.isna(u):
        return NOT_REPORTED
    if pd.isna(u0):
        return NOT_APPLICABLE  # a new system: no base-year utilisation to improve on
    low, high = UTILISATION_BAND_PCT

    def distance(value: float) -> float:
        shown = printed(value)
        return max(low - shown, shown - high, 0.0)

    now, before = distance(u), distance(u0)
    return MET if now == 0 or now < before else NOT_MET


def _operators(package, systems: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for op in package.operators.itertuples():
        mine = systems[(systems["operator_id"] == op.operator_id) & systems["is_in_scope"]]
        flags = [_bool(v) for v in mine["has_safe_supply_plan"]]
        has_plan = False if any(f is False for f in flags) else None if not flags or None in flags else True
        rows.append({
            "operator_id": op.operator_id, "name_vi": op.name_vi, "short_name_vi": op.short_name_vi,
            "systems_in_scope": len(mine), "systems_with_plan": sum(f is True for f in flags),
            "systems_without_plan": sum(f is False for f in flags), "systems_not_reported": sum(f is None for f in flags),
            "has_safe_supply_plan": has_plan,
            "status": NOT_APPLICABLE if not len(mine) else status(has_plan),
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


def _coverage_target(areas: pd.DataFrame, low: float) -> dict:
    population = areas["population_persons"].where(areas["population_persons"].notna(), areas["target_population_persons"])
    complete = areas["served_persons"].notna() & areas["population_persons"].notna()
    served_low = areas["served_persons"].fillna(0)
    served_high = areas["served_persons"].where(areas["served_persons"].notna(), population)
    value_low = 100 * served_low.sum() / population.sum()
    value_high = 100 * served_high.sum() / population.sum()
    missing = int((~complete).sum())
    if missing == 0:
        value = value_low
        flag = meets(value, low=low)
    else:
        value = np.nan
        flag = True if meets(value_low, low=low) else False if not meets(value_high, low=low) else None
    return {"value": value, "value_low": value_low, "value_high": value_high, "flag": flag,
            "reported": int(complete.sum()), "expected": len(areas), "unit_vi": "đô thị"}


def _targets(package, areas: pd.DataFrame, systems: pd.DataFrame, operators: pd.DataFrame, start: StartOfYear | None,
             year: int) -> pd.DataFrame:
    spec = package.targets_province
    spec = spec[spec["year"] == year].set_index("target_id")
    scope = systems[systems["is_in_scope"]]
    rows = []

    def bound(target_id: str, column: str) -> float | None:
        value = spec.at[target_id, column] if target_id in spec.index else None
        return None if _na(value) else float(value)

    # 1. coverage
    low = bound("coverage", "target_min")
    cov = _coverage_target(areas, low)
    shown = printed(cov["value"])
    rows.append({"target_id": "coverage", "value": cov["value"], "value_low": cov["value_low"], "value_high": cov["value_high"],
                 "status": status(cov["flag"]), "gap": max(0.0, low - shown) if shown is not None else np.nan, "gap_unit": "điểm %",
                 "reported": cov["reported"], "expected": cov["expected"], "unit_vi": "đô thị",
                 "projected": start.coverage_pct if start else np.nan})
    # 2. loss (production-weighted over the systems that reported both volumes)
    high = bound("loss", "target_max")
    both = scope.dropna(subset=["loss_m3_per_day"])
    loss = 100 * both["loss_m3_per_day"].sum() / both["production_m3_per_day"].sum() if len(both) else np.nan
    flag = meets(loss, high=high)
    shown = printed(loss)
    rows.append({"target_id": "loss", "value": loss, "status": status(flag), "gap": max(0.0, shown - high) if shown is not None else np.nan,
                 "gap_unit": "điểm %", "reported": len(both), "expected": len(scope), "unit_vi": "công trình",
                 "projected": start.loss_pct if start else np.nan})
    # 3. utilisation (computed rule, see the module docstring)
    existing = scope[scope["utilisation_status"] != NOT_APPLICABLE]
    flags = [None if s == NOT_REPORTED else s == MET for s in existing["utilisation_status"]]
    rows.append(_share_row("utilisation", flags, "công trình"))
    # 4. water quality, 5. safe-supply plan, 6. supply hours
    rows.append(_share_row("water_quality", [_bool(v) for v in scope["is_quality_published"]], "công trình"))
    rows.append(_share_row("safe_supply_plan", [_bool(v) for v in operators.loc[operators["systems_in_scope"] > 0, "has_safe_supply_plan"]],
                           "đơn vị"))
    hours = package.plan.targets.get("supply_hours")
    if hours is not None:
        rows.append(_share_row("supply_hours", [meets(h, hours.low, hours.high) for h in scope["supply_hours_per_day"]], "công trình"))
    frame = pd.DataFrame(rows)
    frame.insert(1, "indicator_vi", frame["target_id"].map(spec["indicator_vi"]))
    frame.insert(2, "target_min", frame["target_id"].map(spec["target_min"].astype(float)))
    frame.insert(3, "target_max", frame["target_id"].map(spec["target_max"].astype(float)))
    frame.insert(4, "baseline_value", frame["target_id"].map(spec["baseline_value"].astype(float)))
    return frame


def _share_row(target_id: str, flags: list[bool | None], unit_vi: str) -> dict:
    known = [f for f in flags if f is not None]
    return {"target_id": target_id, "value": 100 * sum(known) / len(known) if known else np.nan,
            "status": all_of(flags), "gap": float(sum(f is False for f in flags)), "gap_unit": unit_vi,
            "reported": len(known), "expected": len(flags), "unit_vi": unit_vi, "projected": np.nan}


# ---------------------------------------------------------------------------- findings


def _names(frame: pd.DataFrame, column: str = "name_vi", limit: int = 6) -> str:
    names = list(frame[column])
    text = ", ".join(names[:limit])
    return text + (f" và {len(names) - limit} nơi khác" if len(names) > limit else "")


def findings(targets: pd.DataFrame, areas: pd.DataFrame, systems: pd.DataFrame, operators: pd.DataFrame,
             projects: pd.DataFrame, tasks: pd.DataFrame, agencies: pd.DataFrame, province_attribution: pd.DataFrame,
             start: StartOfYear | None, year: int, plan) -> pd.DataFrame:
    """The short list of what the results say, each sentence computed from the tables above."""
    out: list[tuple[str, str]] = []
    counts = targets["status"].value_counts()
    out.append(("chi_tieu", f"Năm {year}: {counts.get(MET, 0)}/{len(targets)} mục tiêu đạt, {counts.get(NOT_MET, 0)} không đạt, "
                            f"{counts.get(NOT_REPORTED, 0)} chưa có số liệu để kết luận."))
    cov = targets.set_index("target_id").loc["coverage"]
    if pd.notna(cov["value"]):
        out.append(("do_thi", f"Tỷ lệ dân số đô thị được cấp nước sạch {fmt.pct(cov['value'])} so với mục tiêu "
                              f"{fmt.pct(cov['target_min'])} ({cov['status'].lower()})."))
    else:
        out.append(("do_thi", f"Tỷ lệ bao phủ toàn tỉnh trong khoảng {fmt.pct(cov['value_low'])}–{fmt.pct(cov['value_high'])} "
                              f"(thiếu số liệu {int(cov['expected'] - cov['reported'])} đô thị); mục tiêu {fmt.pct(cov['target_min'])}: "
                              f"{cov['status'].lower()}."))
    below = areas[areas["status"] == NOT_MET].sort_values("gap_pct_points", ascending=False)
    if len(below):
        worst = ", ".join(f"{r.name_vi} ({fmt.pct(r.coverage_pct)}, chỉ tiêu {fmt.pct(r.target_pct)})" for r in below.head(3).itertuples())
        out.append(("do_thi", f"{len(below)}/{len(areas)} đô thị chưa đạt chỉ tiêu Biểu 04; xa nhất: {worst}."))
    none = areas[(areas["served_persons"] == 0)]
    if len(none):
        out.append(("do_thi", f"Còn {len(none)} đô thị chưa có nước sạch từ hệ thống tập trung: {_names(none)}."))
    high = systems[systems["loss_pct"] >= HIGH_LOSS_PCT].sort_values("loss_pct", ascending=False)
    if len(high):
        listed = ", ".join(f"{r.name_vi} {fmt.pct(r.loss_pct)}" for r in high.itertuples())
        out.append(("cong_trinh", f"{len(high)} công trình còn thất thoát từ {fmt.pct(HIGH_LOSS_PCT, 0)} trở lên: {listed}."))
    rose = systems[systems["loss_change_pct_points"] > 0.05]
    if len(rose):
        listed = ", ".join(f"{r.name_vi} (+{fmt.vn(r.loss_change_pct_points, 1)} điểm %)" for r in rose.itertuples())
        out.append(("cong_trinh", f"Thất thoát tăng so với năm {plan.base_year} ở {len(rose)} công trình: {listed}."))
    short = systems[systems["hours_status"] == NOT_MET]
    if len(short):
        listed = ", ".join(f"{r.name_vi} ({fmt.vn(r.supply_hours_per_day, 1, trim=True)} giờ/ngày)" for r in short.itertuples())
        out.append(("cong_trinh", f"Cấp nước ngoài khoảng {plan.target('supply_hours').text()}: {listed}."))
    unpublished = systems[systems["quality_status"] == NOT_MET]
    if len(unpublished):
        out.append(("cong_trinh", f"Chưa kiểm tra, công bố chất lượng nước theo quy định: {_names(unpublished)}."))
    no_plan = operators[operators["status"] == NOT_MET]
    if len(no_plan):
        out.append(("cong_trinh", f"Chưa có phương án cấp nước an toàn: {_names(no_plan)}."))
    not_in_use = projects[(projects["timing_status"] == NOT_MET)]
    if len(not_in_use):
        listed = ", ".join(f"dự án {r.project_no} ({r.status_vi.lower()})" for r in not_in_use.itertuples())
        out.append(("du_an", f"{len(not_in_use)}/{len(projects)} dự án chưa hoàn thành theo Kế hoạch: {listed}."))
    late = projects[projects["delay_months"] > 0.5]
    if len(late):
        listed = ", ".join(f"dự án {r.project_no} (chậm {fmt.vn(r.delay_months, 0)} tháng)" for r in late.itertuples())
        out.append(("du_an", f"Đưa vào sử dụng muộn hơn giả định đầu năm: {listed}."))
    over = projects[projects["cost_status"] == NOT_MET]
    if len(over):
        listed = ", ".join(f"dự án {r.project_no} ({fmt.pct(r.disbursed_pct, 0)} tổng mức)" for r in over.itertuples())
        out.append(("du_an", f"Giải ngân vượt tổng mức đầu tư: {listed}."))
    people = projects[projects["beneficiaries_persons"].notna()]
    connected = people["connected_persons"].sum(min_count=1)
    if pd.notna(connected):
        out.append(("du_an", f"Các dự án cấp nước cho dân đã đấu nối {fmt.persons(connected)} trên "
                             f"{fmt.vn(people['beneficiaries_persons'].sum())} người dự kiến "
                             f"({fmt.pct(100 * connected / people['beneficiaries_persons'].sum(), 0)})."))
    if start is not None and len(province_attribution):
        parts = province_attribution.set_index("component")["pct_points"]
        first = province_attribution.iloc[0]
        cause = parts.abs().idxmax()
        where = "" if first["name_vi"] == "Toàn tỉnh" else f" trên {first['name_vi'].split('(')[1].rstrip(')')}"
        out.append(("du_bao", f"Dự báo đầu năm (kịch bản «{start.scenario_name}»){where}: bao phủ {fmt.pct(first['projected_pct'])}, "
                              f"thực tế {fmt.pct(first['actual_pct'])}, chênh {fmt.vn(first['actual_pct'] - first['projected_pct'], 1)} "
                              f"điểm %, phần lớn do {CAUSES_VI[cause]} ({fmt.vn(parts[cause], 1)} điểm %)."))
    lagging = agencies[agencies["not_started"] > 0]
    if len(lagging):
        listed = ", ".join(f"{r.agency_vi} ({r.not_started})" for r in lagging.itertuples())
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


def evaluate(package, actuals: Actuals, start: StartOfYear | None = None) -> Evaluation:
    """Every table of the evaluation of ``actuals.year``; ``start`` adds the comparison with the projection."""
    year = actuals.year
    projects = _projects(package, actuals, start, year)
    areas, attribution = _areas(package, actuals, start, projects)
    province = _province_attribution(areas, start)
    attribution = pd.concat([province, attribution], ignore_index=True) if len(province) else attribution
    systems = _systems(package, actuals, start, year)
    operators = _operators(package, systems)
    tasks, agencies = _tasks(package, actuals)
    targets = _targets(package, areas, systems, operators, start, year)
    found = findings(targets, areas, systems, operators, projects, tasks, agencies, province, start, year, package.plan)
    return Evaluation(year, actuals.source, actuals.is_illustrative, start.scenario_name if start else None,
                      targets, areas, attribution, systems, operators, projects, tasks, agencies, found, package.plan)


__all__ = ["evaluate", "Evaluation", "StartOfYear", "start_of_year", "meets", "printed", "all_of",
           "MET", "NOT_MET", "NOT_REPORTED", "NOT_APPLICABLE", "UTILISATION_BAND_PCT"]
