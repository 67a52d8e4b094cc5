"""Runs of the engine for a scenario: deterministic and Monte Carlo, target probabilities, sensitivity.

``project(package, scenario)`` gives a :class:`Projection`; the ``*_table``
functions turn it into the frames that ``capnuoc project`` writes.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from capnuoc_model.data.classes import classify, loss_class, utilisation_class
from capnuoc_model.data.errors import CapnuocInputError, Violation
from capnuoc_model.data.io import DataPackage, display_path
from capnuoc_model.data.plan import Plan, check_assumption_paths
from capnuoc_model.data.plan import meets_bounds as plan_meets
from capnuoc_model.model import engine, population
from capnuoc_model.model.scenario import Scenario, load_defaults, sample_all, stream, support

DEFAULT_DRAWS = 10_000
DEFAULT_SEED = 20260515
SENSITIVITY_DRAWS = 2_000
QUANTILES = (5, 50, 95)
SHORTAGE_M3_PER_DAY = 1.0  # unserved demand that counts as a shortage (less prints as 0 m³/ngày đêm)
POPULATION_STREAM = "population:growth"  # not an assumption path (no ':' there), so never the same stream


@dataclass(frozen=True)
class Setup:
    """What every run of one scenario shares: static inputs, the population fit, the assumption values."""

    inputs: engine.Inputs
    fit: population.GrowthFit
    scenario: Scenario
    area_coverage_targets: pd.Series  # area_id -> Biểu 04 target % of the plan year
    reference: dict[str, float]  # assumption values the base-year baseline was built with (the defaults file)
    plan: Plan = None

    @property
    def plan_year(self) -> int:
        return self.plan.plan_year

    @property
    def values(self) -> dict[str, object]:
        return {path: self.scenario.value(path) for path in self.scenario.paths()}


def setup(package: DataPackage, scenario: Scenario) -> Setup:
    from capnuoc_model.model.assumption_checks import check_scenario

    plan = package.plan
    defaults = load_defaults(scenario.files[0])
    # the package's projects, history and the plan's groups fit the scenario (located errors)
    check_scenario(package, scenario, defaults)
    start = int(scenario.value("population.trend_start_year"))
    history = package.population_history
    fit = population.fit_growth(history[history["year"] >= start], base_year=plan.base_year)
    targets = package.targets_area.set_index("area_id")["coverage_target_pct"].astype(float)
    # demand assumptions scale the base-year billed volume per person relative to the defaults it was built with
    reference = {path: float(defaults.value(path)) for path in sorted(set(plan.demand_assumptions.values()))}
    inputs = engine.build_inputs(package)
    problems = engine.check_capacity_projects(inputs, lambda path: path in scenario.assumptions)
    if problems:
        label = display_path(scenario.files[0])
        raise CapnuocInputError([Violation(label, None, path, problem, expected) for path, problem, expected in problems],
                                f"{len(problems)} lỗi về công suất dự án trong {label}")
    return Setup(inputs, fit, scenario, targets, reference, plan)


def deterministic(s: Setup, values: dict[str, object] | None = None, years: tuple[int, ...] | None = None) -> engine.Results:
    """Every assumption at its value, population at the fitted rate; ``years`` as :func:`engine.run` takes them."""
    growth = np.full((1, s.inputs.n_areas), s.fit.growth_pct_per_year / 100)
    return engine.run(s.inputs, engine.Params(values or s.values, 1, reference=s.reference), growth, years)


def draws_for(s: Setup, n: int, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Assumption draws and population growth draws, each from its own stream of the seed (scenario.stream)."""
    samples = sample_all(s.scenario, n, seed)
    sd = float(s.scenario.value("population.area_deviation_sd_pct_per_year")) / 100
    growth = population.growth_draws(s.fit, n, stream(seed, POPULATION_STREAM), list(s.inputs.area_ids), deviation_sd_log=sd)
    return samples, growth


def monte_carlo(s: Setup, n: int, seed: int, fixed: dict[str, float] | None = None,
                years: tuple[int, ...] | None = None) -> engine.Results:
    """``n`` draws; ``years`` as :func:`engine.run` takes them (default every year of the plan)."""
    samples, growth = draws_for(s, n, seed)
    for path, value in (fixed or {}).items():
        samples[path] = np.full(n, float(value))
    return engine.run(s.inputs, engine.Params(s.values, n, samples, reference=s.reference), growth, years)


@dataclass(frozen=True)
class Projection:
    setup: Setup
    point: engine.Results  # deterministic, n = 1
    mc: engine.Results  # Monte Carlo, n = draws
    draws: int
    seed: int

    @property
    def scenario(self) -> Scenario:
        return self.setup.scenario


def project(package: DataPackage, scenario: Scenario, draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED) -> Projection:
    s = setup(package, scenario)
    return Projection(s, deterministic(s), monte_carlo(s, draws, seed), draws, seed)


# ----------------------------------------------------------------------------- tables


def _quantiles(values: np.ndarray) -> np.ndarray:
    """p5/p50/p95 over the draws axis, ignoring NaN (systems not running in some draws)."""
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanpercentile(values, QUANTILES, axis=0)


def _long(years, ids, id_name: str, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """Long frame from (years, ids) arrays."""
    Y, N = len(years), len(ids)
    frame = pd.DataFrame({"year": np.repeat(years, N), id_name: np.tile(ids, Y)})
    for name, array in columns.items():
        frame[name] = np.asarray(array).reshape(Y * N)
    return frame


def areas_table(p: Projection) -> pd.DataFrame:
    point, mc = p.point, p.mc
    q = _quantiles(mc.coverage_pct)
    frame = _long(point.years, point.area_ids, "area_id", {
        "population": point.population[0],
        "served": point.served[0],
        "coverage_pct": point.coverage_pct[0],
        "coverage_p5": q[0], "coverage_p50": q[1], "coverage_p95": q[2],
        "population_p5": _quantiles(mc.population)[0],
        "population_p95": _quantiles(mc.population)[2],
    })
    frame.insert(2, "name_vi", np.tile(p.setup.inputs.area_names, len(point.years)))
    frame.insert(0, "scenario", p.scenario.label)
    return frame


def systems_table(p: Projection) -> pd.DataFrame:
    point, mc = p.point, p.mc
    q = _quantiles(mc.loss_pct)
    frame = _long(point.years, point.system_ids, "system_id", {
        "is_running": point.active[0],
        "design_capacity_m3_per_day": point.capacity[0],
        "production_m3_per_day": np.where(point.active[0], point.production[0], np.nan),
        "billed_m3_per_day": np.where(point.active[0], point.billed[0], np.nan),
        "real_loss_m3_per_day": np.where(point.active[0], point.real_loss[0], np.nan),
        # the engine books unbilled authorised consumption with the apparent losses: shown apart here
        "apparent_loss_m3_per_day": np.where(point.active[0], point.apparent_loss[0] - point.unbilled_authorised[0], np.nan),
        "unbilled_authorised_m3_per_day": np.where(point.active[0], point.unbilled_authorised[0], np.nan),
        "unavoidable_real_loss_m3_per_day": np.where(point.active[0], point.unavoidable_real_loss[0], np.nan),
        "loss_pct": point.loss_pct[0],
        "utilisation_pct": point.utilisation_pct[0],
        "loss_p5": q[0], "loss_p50": q[1], "loss_p95": q[2],
        "p_running": mc.active.mean(axis=0),
        "production_limit_m3_per_day": np.where(point.active[0], point.production_limit[0], np.nan),
        "unserved_demand_m3_per_day": np.where(point.active[0], point.unserved[0], np.nan),
        "unserved_p95": _quantiles(np.where(mc.active, mc.unserved, np.nan))[2],
        "p_shortage": shortage(mc).mean(axis=0),
    })
    frame["loss_class"] = classify(frame["loss_pct"], loss_class, p.setup.plan.loss_threshold_pct)
    frame["utilisation_class"] = classify(frame["utilisation_pct"], utilisation_class)
    # which systems move the province figure: share of the province's lost volume each year
    loss = frame["production_m3_per_day"] - frame["billed_m3_per_day"]
    frame["share_of_province_loss_pct"] = 100 * loss / loss.groupby(frame["year"]).transform("sum")
    frame.insert(2, "name_vi", np.tile(p.setup.inputs.system_names, len(point.years)))
    frame.insert(0, "scenario", p.scenario.label)
    return frame


def province_table(p: Projection) -> pd.DataFrame:
    point, mc = p.point, p.mc
    cq, lq = _quantiles(mc.province_coverage_pct), _quantiles(mc.province_loss_pct)
    return pd.DataFrame({
        "scenario": p.scenario.label,
        "year": point.years,
        "population": point.population[0].sum(axis=1),
        "served": point.served[0].sum(axis=1),
        "coverage_pct": point.province_coverage_pct[0],
        "coverage_p5": cq[0], "coverage_p50": cq[1], "coverage_p95": cq[2],
        "loss_pct": point.province_loss_pct[0],
        "loss_p5": lq[0], "loss_p50": lq[1], "loss_p95": lq[2],
        "p_coverage_target": p.setup.plan.meets("coverage", mc.province_coverage_pct).mean(axis=0),
        "p_loss_target": p.setup.plan.meets("loss", mc.province_loss_pct).mean(axis=0),
        "unserved_demand_m3_per_day": point.unserved[0].sum(axis=1),
        "p_shortage": shortage(mc).any(axis=2).mean(axis=0),
    })


def shortage(results: engine.Results) -> np.ndarray:
    """(n, years, systems) bool: the system cannot produce what its customers need (SHORTAGE_M3_PER_DAY or more)."""
    return results.unserved >= SHORTAGE_M3_PER_DAY


def headline(results: engine.Results, plan: Plan, year: int | None = None) -> dict[str, np.ndarray]:
    """Province coverage and loss in ``year`` (default the plan year) and whether each target is met, per draw."""
    y = results.years.index(year or plan.plan_year)
    coverage = results.province_coverage_pct[:, y]
    loss = results.province_loss_pct[:, y]
    return {"coverage_pct": coverage, "loss_pct": loss,
            "meets_coverage": plan.meets("coverage", coverage), "meets_loss": plan.meets("loss", loss)}


COMPARISON_SYMBOL = {"at_least": ">=", "at_most": "<="}


def targets_table(p: Projection) -> pd.DataFrame:
    """Every quantitative target of the plan year with the deterministic value and the probability of meeting it.

    The coverage target applies to the province and to each area (its Biểu 04 value), the loss target to the
    province and to each system that runs (as ``applies_to`` in ``targets_province.csv`` says).
    """
    plan = p.setup.plan
    year = plan.plan_year
    y = p.point.years.index(year)
    rows = []

    def add(indicator, target_id, scope, low, high, point_value, draws):
        valid = ~np.isnan(draws)
        rows.append({
            "indicator": indicator, "scope": scope, "year": year, "target": low if low is not None else high,
            "comparison": COMPARISON_SYMBOL[plan.target(target_id).comparator],
            "value": point_value, "p_meet": float(plan_meets(draws, low, high).mean()),
            "p5": np.nan if not valid.any() else float(np.nanpercentile(draws, 5)),
            "p50": np.nan if not valid.any() else float(np.nanpercentile(draws, 50)),
            "p95": np.nan if not valid.any() else float(np.nanpercentile(draws, 95)),
        })

    coverage, loss = plan.target("coverage"), plan.target("loss")
    if "province" in coverage.applies_to:
        add("coverage_pct", "coverage", "province", coverage.low, coverage.high, p.point.province_coverage_pct[0, y],
            p.mc.province_coverage_pct[:, y])
    if "province" in loss.applies_to:
        add("loss_pct", "loss", "province", loss.low, loss.high, p.point.province_loss_pct[0, y], p.mc.province_loss_pct[:, y])
    if "area" in coverage.applies_to:
        targets = p.setup.area_coverage_targets
        for i, area_id in enumerate(p.point.area_ids):
            add("coverage_pct", "coverage", area_id, float(targets[area_id]), None, p.point.coverage_pct[0, y, i],
                p.mc.coverage_pct[:, y, i])
    if "system" in loss.applies_to:
        for j, system_id in enumerate(p.point.system_ids):
            if p.point.active[0, y, j] or p.mc.active[:, y, j].any():
                add("loss_pct", "loss", system_id, loss.low, loss.high, p.point.loss_pct[0, y, j], p.mc.loss_pct[:, y, j])
    frame = pd.DataFrame(rows)
    frame.insert(0, "scenario", p.scenario.label)
    return frame


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def sensitivity_table(p: Projection, draws: int | None = None) -> pd.DataFrame:
    """For each uncertain assumption: the headline probabilities and values with it held at the low and high end of its range.

    The other assumptions keep varying, with the same random numbers in every run
    (common random numbers), so a difference is the assumption's own effect.
    """
    s = p.setup
    draws = draws or SENSITIVITY_DRAWS  # read when called, so a fast test setting can lower it

    # the headline is the plan year's: the runs stop there (a year depends only on the years before it)
    years = tuple(year for year in s.inputs.years if year <= s.plan_year)

    def ends_of(path: str) -> tuple[float, float, dict]:
        low, high = support(s.scenario.get(path).distribution)
        ends = {}
        for end, value in (("low", low), ("high", high)):
            h = headline(monte_carlo(s, draws, p.seed, fixed={path: value}, years=years), s.plan)
            point = headline(deterministic(s, {**s.values, path: value}, years), s.plan)
            ends[end] = (value, h, point)
        return low, high, ends

    paths = s.scenario.uncertain_paths()
    # the assumptions on every core: numpy releases the GIL in the runs' array arithmetic (same numbers, in order)
    with ThreadPoolExecutor(max_workers=_cores()) as pool:
        all_ends = list(pool.map(ends_of, paths))
    rows = []
    for path, (low, high, ends) in zip(paths, all_ends):
        row = {"scenario": s.scenario.label, "assumption": path, "unit": s.scenario.get(path).unit,
               "value": float(s.scenario.value(path)), "low": low, "high": high}
        for end, (value, h, point) in ends.items():
            row[f"p_coverage_{end}"] = float(h["meets_coverage"].mean())
            row[f"p_loss_{end}"] = float(h["meets_loss"].mean())
            row[f"coverage_pct_{end}"] = float(point["coverage_pct"][0])
            row[f"loss_pct_{end}"] = float(point["loss_pct"][0])
        row["swing_p_coverage"] = abs(row["p_coverage_high"] - row["p_coverage_low"])
        row["swing_p_loss"] = abs(row["p_loss_high"] - row["p_loss_low"])
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["swing_max"] = frame[["swing_p_coverage", "swing_p_loss"]].max(axis=1)
    return frame.sort_values(["swing_max", "assumption"], ascending=[False, True]).reset_index(drop=True)
