"""Derivation of the estimated baseline values (population, served, volumes, capacities, Biểu 04).

Where a plan's data tables are missing, these columns are estimates. Each step
is one documented method of ``data/methods.csv``; the judgements it needs
(coverage, loss and utilisation priors inside the plan's classes, the census
years carried forward, which systems' loss is set exactly, which groups use the
centre's use levels or close Biểu 04's gap) come from the package's
``data/derivation/priors.csv``; the aggregates it calibrates to (the base-year
coverage and loss, the plan-year coverage target) and the years come from the
package's plan (``plan.yaml``, ``targets_province.csv``). One closing value per
aggregate (a ``closing`` prior) is solved so that the plan's published province
figures come out exactly. Nothing here is specific to one province.

All functions are pure: frames in, frames out. ``data/derivation/derive.py``
runs them and writes the CSV files; a test reruns them and checks that the
shipped data equal their output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capnuoc_model.data.classes import loss_class, utilisation_class
from capnuoc_model.data.schema import HISTORY_SCOPE_PROVINCE, split_ids

DERIVED_INPUTS = ("urban_areas", "systems", "area_systems", "projects", "population_history", "system_network",
                  "targets_province")


@dataclass(frozen=True)
class Priors:
    """The judgement table, indexed for look-up."""

    table: pd.DataFrame  # columns scope, id, parameter, value, reason

    def value(self, scope: str, id_: str, parameter: str) -> str:
        rows = self.table[
            (self.table["scope"] == scope)
            & (self.table["id"] == id_)
            & (self.table["parameter"] == parameter)
        ]
        if len(rows) != 1:
            raise KeyError(f"priors.csv needs exactly one row for {scope}/{id_}/{parameter}")
        return str(rows["value"].iloc[0])

    def number(self, scope: str, id_: str, parameter: str) -> float:
        return float(self.value(scope, id_, parameter))

    def series(self, scope: str, parameter: str) -> pd.Series:
        rows = self.table[(self.table["scope"] == scope) & (self.table["parameter"] == parameter)]
        return rows.set_index("id")["value"].astype(str)

    def year(self, parameter: str) -> int:
        """A year of the province-wide judgements (``global,province,<parameter>``)."""
        return int(self.number("global", HISTORY_SCOPE_PROVINCE, parameter))

    def flagged(self, scope: str, parameter: str) -> set[str]:
        """The ids whose ``parameter`` is true (e.g. the systems whose loss is set exactly)."""
        values = self.series(scope, parameter).str.strip().str.lower()
        return set(values.index[values == "true"])


@dataclass(frozen=True)
class Calibration:
    """What the plan publishes and the derivation reproduces exactly (from the package's plan)."""

    base_year: int
    plan_year: int
    coverage_base_pct: float  # targets_province.csv coverage baseline_value
    loss_base_pct: float  # targets_province.csv loss baseline_value
    coverage_target_pct: float  # targets_province.csv coverage target_min

    @classmethod
    def from_plan(cls, years: dict[str, int], targets: pd.DataFrame) -> "Calibration":
        by_id = targets.set_index("target_id")
        return cls(int(years["base"]), int(years["plan"]), float(by_id.at["coverage", "baseline_value"]),
                   float(by_id.at["loss", "baseline_value"]), float(by_id.at["coverage", "target_min"]))


def _province_totals(history: pd.DataFrame) -> pd.Series:
    province = history[(history["scope"] == HISTORY_SCOPE_PROVINCE) & (history["measure"] == "total")]
    return province.set_index("year")["population_persons"].astype(float)


def province_growth_rate_per_year(history: pd.DataFrame, start_year: int, end_year: int) -> float:
    """Average annual growth of the province total between two published years (priors growth_start/end_year)."""
    by_year = _province_totals(history)
    return (by_year[end_year] / by_year[start_year]) ** (1 / (end_year - start_year)) - 1


def median_town_persons(history: pd.DataFrame, area_ids: pd.Index, year: int) -> float:
    """Median census population in ``year`` of the towns with a published figure."""
    towns = history[(history["year"] == year) & history["scope"].isin(area_ids)]
    return float(towns["population_persons"].astype(float).median())


def derive_population_base(
    areas: pd.DataFrame, history: pd.DataFrame, priors: Priors, base_year: int
) -> pd.DataFrame:
    """Base-year population per area and its provenance (methods pop_*).

    Figures of the census year (``growth_start_year``) are carried with the province's growth rate; an
    older figure (``decade_start_year``) first with the province's growth over that decade; areas with
    ``city_units`` split the figure of their ``history_scope`` of ``city_year``; areas with none get the
    median town.
    """
    census, decade, city_year = priors.year("growth_start_year"), priors.year("decade_start_year"), priors.year("city_year")
    rate = province_growth_rate_per_year(history, census, priors.year("growth_end_year"))
    carry = (1 + rate) ** (base_year - census)
    totals = _province_totals(history)
    decade_factor = totals[census] / totals[decade]
    median_town = median_town_persons(history, pd.Index(areas["area_id"]), census)
    city_units = priors.series("area", "city_units").astype(float)
    scope_of = areas.set_index("area_id")["history_scope"] if "history_scope" in areas else pd.Series(dtype=object)

    def city_total(scope: str) -> float:
        rows = history[(history["scope"] == scope) & (history["year"] == city_year) & (history["measure"] == "total")]
        return float(rows["population_persons"].iloc[0]) * (1 + rate) ** (base_year - city_year)

    out = areas.copy()
    population: list[int] = []
    source: list[str] = []
    for area_id in out["area_id"]:
        rows = history[history["scope"] == area_id]
        if area_id in city_units.index:
            scope = scope_of[area_id]
            sharing = [a for a in city_units.index if scope_of.get(a) == scope]
            value = city_total(scope) * city_units[area_id] / city_units[sharing].sum()
            method = "estimate:pop_city_wards"
        elif rows.empty:
            value = median_town * carry
            method = "estimate:pop_median_town"
        else:
            row = rows.iloc[0]
            base = float(row["population_persons"])
            if int(row["year"]) == decade:
                value = base * decade_factor * carry
                method = f"estimate:pop_carry_{decade}"
            else:
                value = base * carry
                method = f"estimate:pop_carry_{census}"
            if row["covers"] == "part":
                value += median_town * carry
                method += "+pop_median_town"
        population.append(int(round(value)))
        source.append(method)
    out["population_base_persons"] = population
    out["population_base_persons_source"] = source
    return out


def derive_served_base(areas: pd.DataFrame, priors: Priors, coverage_pct: float) -> pd.DataFrame:
    """Served people per area from coverage priors, the closing area solved for the province's ``coverage_pct``."""
    out = areas.copy()
    priors_pct = priors.series("area", "coverage_pct")
    closing = priors_pct[priors_pct == "closing"].index
    if len(closing) != 1:
        raise ValueError("priors.csv must name exactly one closing area for coverage")
    closing_id = closing[0]
    population = out.set_index("area_id")["population_base_persons"].astype(float)
    served = pd.Series(0, index=population.index, dtype="int64")
    source = pd.Series("", index=population.index, dtype=object)
    for area_id, pct in priors_pct.items():
        if area_id == closing_id:
            continue
        served[area_id] = int(round(population[area_id] * float(pct) / 100))
        source[area_id] = "estimate:served_zero" if float(pct) == 0 else "estimate:served_prior"
    target_total = coverage_pct / 100 * population.sum()
    served[closing_id] = int(round(target_total - served.drop(closing_id).sum()))
    source[closing_id] = "estimate:served_prior"
    if not 0 <= served[closing_id] <= population[closing_id]:
        raise ValueError(f"closing area {closing_id} cannot absorb the calibration")
    out["served_base_persons"] = out["area_id"].map(served).astype("int64")
    out["served_base_persons_source"] = out["area_id"].map(source)
    return out


def system_served_persons(areas: pd.DataFrame, area_systems: pd.DataFrame) -> pd.Series:
    """Served people per system: Σ area served × share."""
    served = areas.set_index("area_id")["served_base_persons"].astype(float)
    links = area_systems.assign(
        persons=area_systems["area_id"].map(served) * area_systems["share_of_area_served"].astype(float)
    )
    return links.groupby("system_id")["persons"].sum()


def _billed_per_person_m3(areas: pd.DataFrame, area_systems: pd.DataFrame, priors: Priors) -> pd.Series:
    """Billed m³/day per served person of each system (the use level of the areas it supplies)."""
    level_of = _system_level(areas, area_systems, priors)
    per_person = {}
    for system_id in area_systems["system_id"].unique():
        level = level_of[system_id]
        lpcd = priors.number("global", level, "domestic_l_per_person_day")
        non_domestic = priors.number("global", level, "non_domestic_share")
        per_person[system_id] = lpcd * (1 + non_domestic) / 1000
    return pd.Series(per_person)


def _exact_pair(billed_m3: float, loss_pct: float) -> tuple[int, int]:
    """Integer (production, billed) nearest to ``billed_m3`` whose loss is exactly ``loss_pct``."""
    from fractions import Fraction

    kept = Fraction(str(100 - loss_pct)) / 100  # billed / production
    step_p, step_b = kept.denominator, kept.numerator
    k = max(1, round(billed_m3 / step_b))
    return k * step_p, k * step_b


def _round_capacity(capacity_m3: float) -> int:
    step = 10 if capacity_m3 < 1000 else 50 if capacity_m3 < 5000 else 500
    return int(max(step, round(capacity_m3 / step) * step))


def derive_system_volumes(
    systems: pd.DataFrame, areas: pd.DataFrame, area_systems: pd.DataFrame, priors: Priors, loss_pct: float,
    loss_threshold_pct: float,
) -> pd.DataFrame:
    """Billed, production and design capacity per operating system (methods billed_*, production_*, capacity_*),
    the closing system solved for the province's ``loss_pct``; systems flagged ``loss_exact`` (the plan's
    published minimum and maximum) get their loss prior exactly."""
    out = systems.copy().set_index("system_id")
    operating = out.index[out["status"] == "operating"]
    persons = system_served_persons(areas, area_systems)
    per_person = _billed_per_person_m3(areas, area_systems, priors)
    loss_priors = priors.series("system", "loss_pct")
    closing = loss_priors[loss_priors == "closing"].index
    if len(closing) != 1:
        raise ValueError("priors.csv must name exactly one closing system for loss")
    closing_id = closing[0]
    exact = priors.flagged("system", "loss_exact")

    billed = pd.Series(np.nan, index=out.index)
    production = pd.Series(np.nan, index=out.index)
    for system_id in operating:
        raw_billed = persons[system_id] * per_person[system_id]
        billed[system_id] = round(raw_billed)
        if system_id == closing_id:
            continue
        loss = float(loss_priors[system_id])
        if system_id in exact:
            production[system_id], billed[system_id] = _exact_pair(raw_billed, loss)
        else:
            production[system_id] = round(billed[system_id] / (1 - loss / 100))
    others = operating.drop(closing_id)
    others_loss = (production[others] - billed[others]).sum()
    share = loss_pct / 100
    # (others_loss + P_c - B_c) / (P_others + P_c) = share, solved for P_c
    production[closing_id] = round(
        (billed[closing_id] + share * production[others].sum() - others_loss) / (1 - share)
    )

    capacity = pd.Series(np.nan, index=out.index)
    for system_id in operating:
        util = priors.number("system", system_id, "utilisation_pct") / 100
        capacity[system_id] = _round_capacity(production[system_id] / util)

    billed_source = "estimate:billed_from_served"
    for column, values, method in (
        ("billed_m3_per_day", billed, billed_source),
        ("production_m3_per_day", production, "estimate:production_from_loss"),
        ("design_capacity_m3_per_day", capacity, "estimate:capacity_from_utilisation"),
    ):
        out[column] = values.astype("Int64")
        out[f"{column}_source"] = pd.Series(method, index=out.index).where(out["status"] == "operating", "")
    out = out.reset_index()
    _check_classes(out, priors, loss_threshold_pct)
    return out


def _check_classes(systems: pd.DataFrame, priors: Priors, loss_threshold_pct: float) -> None:
    """The rounded volumes must keep every system in the class its prior was chosen for."""
    operating = systems[systems["status"] == "operating"].set_index("system_id")
    loss_pct = 100 * (1 - operating["billed_m3_per_day"] / operating["production_m3_per_day"])
    util_pct = 100 * operating["production_m3_per_day"] / operating["design_capacity_m3_per_day"]
    loss_priors = priors.series("system", "loss_pct")
    for system_id in operating.index:
        expected_util = utilisation_class(priors.number("system", system_id, "utilisation_pct"))
        if utilisation_class(float(util_pct[system_id])) != expected_util:
            raise ValueError(f"{system_id}: rounding moved utilisation out of class {expected_util}")
        if loss_priors[system_id] != "closing":
            expected_loss = loss_class(float(loss_priors[system_id]), loss_threshold_pct)
            if loss_class(float(loss_pct[system_id]), loss_threshold_pct) != expected_loss:
                raise ValueError(f"{system_id}: rounding moved loss out of class {expected_loss}")


def _system_level(areas: pd.DataFrame, area_systems: pd.DataFrame, priors: Priors) -> pd.Series:
    """The use level of each system (index: system_id): the ``use_level`` prior of the orientation groups of
    the areas it supplies; a system supplying any area of a level other than the default takes that level."""
    default = priors.value("global", HISTORY_SCOPE_PROVINCE, "default_use_level")
    group_level = priors.series("group", "use_level")
    area_level = areas.set_index("area_id")["orientation_group"].map(group_level).fillna(default)
    links = area_systems.assign(level=area_systems["area_id"].map(area_level))
    out = {}
    for system_id, levels in links.groupby("system_id", sort=False)["level"]:
        other = sorted(set(levels) - {default})
        out[system_id] = other[0] if other else default
    return pd.Series(out)


def derive_system_network(
    network: pd.DataFrame, systems: pd.DataFrame, areas: pd.DataFrame, area_systems: pd.DataFrame, priors: Priors
) -> pd.DataFrame:
    """Service connections and mains length of each operating system (methods connections_from_served,
    mains_from_density); the other columns of ``system_network.csv`` are direct judgements, kept as they are.

    Connections = served people / persons per household × (1 + non-domestic share of connections);
    mains km = connections / connection density (priors.csv), to 0,1 km. The IWA balance these
    feed must leave real losses at or above the unavoidable level (ILI ≥ 1) in every system.
    """
    out = network.copy()
    persons = system_served_persons(areas, area_systems)
    level = _system_level(areas, area_systems, priors)
    household = priors.number("global", HISTORY_SCOPE_PROVINCE, "persons_per_household")
    ids = out["system_id"]
    non_domestic = ids.map(lambda s: priors.number("global", level[s], "non_domestic_connection_share"))
    connections = (ids.map(persons) / household * (1 + non_domestic)).round().astype("int64")
    density = ids.map(lambda s: priors.number("system", s, "connection_density_per_km"))
    out["service_connections"] = connections
    out["service_connections_source"] = "estimate:connections_from_served"
    out["mains_km"] = (connections / density).round(1)
    out["mains_km_source"] = "estimate:mains_from_density"
    _check_balance(out, systems)
    return out


def _check_balance(network: pd.DataFrame, systems: pd.DataFrame) -> None:
    """Every operating system has a row, and its balance leaves real losses ≥ UARL (ILI ≥ 1)."""
    from capnuoc_model.model.losses import balance_inputs, indicators

    operating = set(systems.loc[systems["status"] == "operating", "system_id"])
    if set(network["system_id"]) != operating:
        raise ValueError("system_network.csv needs exactly one row per operating system")
    table = indicators(balance_inputs(systems, network)[0])
    low = table.index[~(table["ili"] >= 1)]
    if len(low):
        raise ValueError(f"real losses below the unavoidable level (ILI < 1) in {', '.join(low)}")


def project_beneficiaries_by_area(projects: pd.DataFrame, unserved: pd.Series) -> pd.Series:
    """Stated beneficiaries of the people-serving projects, per area (index: area_id).

    A project listing several areas splits its people over them in proportion to their unserved people
    (equally when none is unserved), as the projection engine does; the order of the ids does not matter.
    """
    out = pd.Series(0.0, index=unserved.index)
    people = projects[projects["beneficiaries_basis"] == "additional"]
    for area_list, persons in zip(people["area_ids"], people["beneficiaries_persons"].astype(float)):
        ids = split_ids(area_list)
        weight = unserved.reindex(ids).fillna(0).clip(lower=0)
        weight = weight if weight.sum() > 0 else pd.Series(1.0, index=ids)
        out = out.add(persons * weight / weight.sum(), fill_value=0)
    return out[out > 0]


def derive_bieu04(
    areas: pd.DataFrame, projects: pd.DataFrame, history: pd.DataFrame, priors: Priors, calibration: Calibration
) -> pd.DataFrame:
    """Per-area coverage targets of the plan year reconstructing Biểu 04 (method bieu04_projects)."""
    rate = province_growth_rate_per_year(history, priors.year("growth_start_year"), priors.year("growth_end_year"))
    cap_share = priors.number("global", HISTORY_SCOPE_PROVINCE, "bieu04_cap_share")
    extension_groups = priors.flagged("group", "bieu04_extension")
    table = areas.set_index("area_id")[
        ["orientation_group", "population_base_persons", "served_base_persons"]
    ].astype({"population_base_persons": float, "served_base_persons": float})
    population_target = (table["population_base_persons"] * (1 + rate) ** (calibration.plan_year - calibration.base_year)).round()
    coverage_base = table["served_base_persons"] / table["population_base_persons"]
    held = coverage_base * population_target

    beneficiaries = project_beneficiaries_by_area(projects, table["population_base_persons"] - table["served_base_persons"])
    with_projects = held.copy()
    for area_id, persons in beneficiaries.items():
        with_projects[area_id] = min(held[area_id] + persons, cap_share * population_target[area_id])
        with_projects[area_id] = max(with_projects[area_id], held[area_id])

    extend = table["orientation_group"].isin(extension_groups) & ~table.index.isin(beneficiaries.index)
    gap = (population_target - with_projects).where(extend, 0.0)
    needed = calibration.coverage_target_pct / 100 * population_target.sum() - with_projects.sum()
    if not 0 <= needed <= gap.sum():
        raise ValueError(f"Biểu 04 cannot reach {calibration.coverage_target_pct:g} % with the stated projects and extension")
    fraction = needed / gap.sum()
    served_target = (with_projects + fraction * gap).round()

    out = pd.DataFrame(
        {
            "area_id": table.index,
            "year": calibration.plan_year,
            "population_target_persons": population_target.astype("int64").values,
            "served_target_persons": served_target.astype("int64").values,
        }
    )
    out["coverage_target_pct"] = (
        100 * out["served_target_persons"] / out["population_target_persons"]
    ).round(1)
    out["source"] = "estimate:bieu04_projects"
    return out.reset_index(drop=True)


def derive_all(tables: dict[str, pd.DataFrame], priors_table: pd.DataFrame, years: dict[str, int]) -> dict[str, pd.DataFrame]:
    """Run every step; return the tables whose estimated columns it fills.

    ``years``: the plan's ``base`` and ``plan`` years (``plan.yaml``); the calibration aggregates come from
    ``tables["targets_province"]``.
    """
    priors = Priors(priors_table)
    calibration = Calibration.from_plan(years, tables["targets_province"])
    threshold = float(tables["targets_province"].set_index("target_id").at["loss", "target_max"])
    history = tables["population_history"]
    areas = derive_population_base(tables["urban_areas"], history, priors, calibration.base_year)
    areas = derive_served_base(areas, priors, calibration.coverage_base_pct)
    systems = derive_system_volumes(tables["systems"], areas, tables["area_systems"], priors, calibration.loss_base_pct,
                                    threshold)
    targets = derive_bieu04(areas, tables["projects"], history, priors, calibration)
    network = derive_system_network(tables["system_network"], systems, areas, tables["area_systems"], priors)
    return {"urban_areas": areas, "systems": systems, "targets_area": targets, "system_network": network}


def plan_years(data_dir) -> dict[str, int]:
    """The plan's years (``plan.yaml``) for :func:`derive_all`; a located error when the file is not valid."""
    from pathlib import Path

    from capnuoc_model.data.errors import CapnuocInputError
    from capnuoc_model.data.plan import PLAN_FILE, read_plan_file

    spec, problems = read_plan_file(Path(data_dir), str(Path(data_dir) / PLAN_FILE))
    if spec is None:
        raise CapnuocInputError(problems)
    return {"base": spec.years.base, "plan": spec.years.plan}
