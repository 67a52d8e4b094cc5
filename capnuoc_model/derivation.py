"""Derivation of the estimated baseline values (population, served, volumes, capacities, Biểu 04).

The plan's data tables are missing, so these columns are estimates. Each step
is one documented method of ``data/methods.csv``; the judgements it needs
(coverage, loss and utilisation priors inside the plan's classes) come from
``data/derivation/priors.csv``. One closing value per aggregate (Thục Phán's
served people, Hòa An's production) is solved so that the plan's published
province figures (81,9 % coverage, 17,9 % loss) come out exactly.

All functions are pure: frames in, frames out. ``data/derivation/derive.py``
runs them and writes the CSV files; a test reruns them and checks that the
shipped data equal their output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capnuoc_model.classes import loss_class, utilisation_class

PLAN_COVERAGE_2025_PCT = 81.9
PLAN_LOSS_2025_PCT = 17.9
PLAN_COVERAGE_2026_TARGET_PCT = 87.4
PLAN_MIN_LOSS_PCT = 12.0
PLAN_MAX_LOSS_PCT = 72.5
CENTRE_GROUP = "centre"
EXTENSION_GROUPS = ("low_utilisation", "medium_utilisation")
DERIVED_INPUTS = ("urban_areas", "systems", "area_systems", "projects", "population_history", "system_network")


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


def province_growth_rate_per_year(history: pd.DataFrame) -> float:
    """Average annual growth of the province total between the 2019 census and 2022."""
    province = history[(history["scope"] == "province") & (history["measure"] == "total")]
    by_year = province.set_index("year")["population_persons"].astype(float)
    return (by_year[2022] / by_year[2019]) ** (1 / 3) - 1


def decade_growth_factor_2009_2019(history: pd.DataFrame) -> float:
    province = history[(history["scope"] == "province") & (history["measure"] == "total")]
    by_year = province.set_index("year")["population_persons"].astype(float)
    return by_year[2019] / by_year[2009]


def median_town_2019_persons(history: pd.DataFrame, area_ids: pd.Index) -> float:
    """Median 2019 census population of the district towns with a published figure."""
    towns = history[(history["year"] == 2019) & history["scope"].isin(area_ids)]
    return float(towns["population_persons"].astype(float).median())


def derive_population_2025(
    areas: pd.DataFrame, history: pd.DataFrame, priors: Priors
) -> pd.DataFrame:
    """Population 2025 per area and its provenance (methods pop_*)."""
    rate = province_growth_rate_per_year(history)
    factor_2019_2025 = (1 + rate) ** 6
    median_town = median_town_2019_persons(history, pd.Index(areas["area_id"]))
    city_2020 = float(
        history[
            (history["scope"] == "city_cao_bang")
            & (history["year"] == 2020)
            & (history["measure"] == "total")
        ]["population_persons"].iloc[0]
    )
    city_units = priors.series("area", "city_units").astype(float)
    city_2025 = city_2020 * (1 + rate) ** 5

    out = areas.copy()
    population: list[int] = []
    source: list[str] = []
    for area_id in out["area_id"]:
        rows = history[history["scope"] == area_id]
        if area_id in city_units.index:
            value = city_2025 * city_units[area_id] / city_units.sum()
            method = "estimate:pop_city_wards"
        elif rows.empty:
            value = median_town * factor_2019_2025
            method = "estimate:pop_median_town"
        else:
            row = rows.iloc[0]
            base = float(row["population_persons"])
            if int(row["year"]) == 2009:
                value = base * decade_growth_factor_2009_2019(history) * factor_2019_2025
                method = "estimate:pop_carry_2009"
            else:
                value = base * factor_2019_2025
                method = "estimate:pop_carry_2019"
            if row["covers"] == "part":
                value += median_town * factor_2019_2025
                method += "+pop_median_town"
        population.append(int(round(value)))
        source.append(method)
    out["population_2025_persons"] = population
    out["population_2025_persons_source"] = source
    return out


def derive_served_2025(areas: pd.DataFrame, priors: Priors) -> pd.DataFrame:
    """Served people per area from coverage priors, the closing area solved for 81,9 %."""
    out = areas.copy()
    priors_pct = priors.series("area", "coverage_pct")
    closing = priors_pct[priors_pct == "closing"].index
    if len(closing) != 1:
        raise ValueError("priors.csv must name exactly one closing area for coverage")
    closing_id = closing[0]
    population = out.set_index("area_id")["population_2025_persons"].astype(float)
    served = pd.Series(0, index=population.index, dtype="int64")
    source = pd.Series("", index=population.index, dtype=object)
    for area_id, pct in priors_pct.items():
        if area_id == closing_id:
            continue
        served[area_id] = int(round(population[area_id] * float(pct) / 100))
        source[area_id] = "estimate:served_zero" if float(pct) == 0 else "estimate:served_prior"
    target_total = PLAN_COVERAGE_2025_PCT / 100 * population.sum()
    served[closing_id] = int(round(target_total - served.drop(closing_id).sum()))
    source[closing_id] = "estimate:served_prior"
    if not 0 <= served[closing_id] <= population[closing_id]:
        raise ValueError(f"closing area {closing_id} cannot absorb the calibration")
    out["served_2025_persons"] = out["area_id"].map(served).astype("int64")
    out["served_2025_persons_source"] = out["area_id"].map(source)
    return out


def system_served_persons(areas: pd.DataFrame, area_systems: pd.DataFrame) -> pd.Series:
    """Served people per system: Σ area served × share."""
    served = areas.set_index("area_id")["served_2025_persons"].astype(float)
    links = area_systems.assign(
        persons=area_systems["area_id"].map(served) * area_systems["share_of_area_served"].astype(float)
    )
    return links.groupby("system_id")["persons"].sum()


def _billed_per_person_m3(areas: pd.DataFrame, area_systems: pd.DataFrame, priors: Priors) -> pd.Series:
    """Billed m³/day per served person of each system (centre or town use levels)."""
    group = areas.set_index("area_id")["orientation_group"]
    centre_systems = set(area_systems[area_systems["area_id"].map(group) == CENTRE_GROUP]["system_id"])
    per_person = {}
    for system_id in area_systems["system_id"].unique():
        level = "centre" if system_id in centre_systems else "town"
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
    systems: pd.DataFrame, areas: pd.DataFrame, area_systems: pd.DataFrame, priors: Priors
) -> pd.DataFrame:
    """Billed, production and design capacity per operating system (methods billed_*, production_*, capacity_*)."""
    out = systems.copy().set_index("system_id")
    operating = out.index[out["status"] == "operating"]
    persons = system_served_persons(areas, area_systems)
    per_person = _billed_per_person_m3(areas, area_systems, priors)
    loss_priors = priors.series("system", "loss_pct")
    closing = loss_priors[loss_priors == "closing"].index
    if len(closing) != 1:
        raise ValueError("priors.csv must name exactly one closing system for loss")
    closing_id = closing[0]

    billed = pd.Series(np.nan, index=out.index)
    production = pd.Series(np.nan, index=out.index)
    for system_id in operating:
        raw_billed = persons[system_id] * per_person[system_id]
        billed[system_id] = round(raw_billed)
        if system_id == closing_id:
            continue
        loss = float(loss_priors[system_id])
        if loss in (PLAN_MIN_LOSS_PCT, PLAN_MAX_LOSS_PCT):
            production[system_id], billed[system_id] = _exact_pair(raw_billed, loss)
        else:
            production[system_id] = round(billed[system_id] / (1 - loss / 100))
    others = operating.drop(closing_id)
    others_loss = (production[others] - billed[others]).sum()
    share = PLAN_LOSS_2025_PCT / 100
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
    _check_classes(out, priors)
    return out


def _check_classes(systems: pd.DataFrame, priors: Priors) -> None:
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
            expected_loss = loss_class(float(loss_priors[system_id]))
            if loss_class(float(loss_pct[system_id])) != expected_loss:
                raise ValueError(f"{system_id}: rounding moved loss out of class {expected_loss}")


def _system_level(areas: pd.DataFrame, area_systems: pd.DataFrame) -> pd.Series:
    """'centre' for the systems that supply a centre ward, 'town' for the others (index: system_id)."""
    group = areas.set_index("area_id")["orientation_group"]
    centre_systems = set(area_systems[area_systems["area_id"].map(group) == CENTRE_GROUP]["system_id"])
    ids = pd.Index(area_systems["system_id"].unique())
    return pd.Series(["centre" if s in centre_systems else "town" for s in ids], index=ids)


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
    level = _system_level(areas, area_systems)
    household = priors.number("global", "province", "persons_per_household")
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
    from capnuoc_model.losses import balance_inputs, indicators

    operating = set(systems.loc[systems["status"] == "operating", "system_id"])
    if set(network["system_id"]) != operating:
        raise ValueError("system_network.csv needs exactly one row per operating system")
    table = indicators(balance_inputs(systems, network)[0])
    low = table.index[~(table["ili"] >= 1)]
    if len(low):
        raise ValueError(f"real losses below the unavoidable level (ILI < 1) in {', '.join(low)}")


def derive_bieu04(
    areas: pd.DataFrame, projects: pd.DataFrame, history: pd.DataFrame, priors: Priors
) -> pd.DataFrame:
    """Per-area 2026 coverage targets reconstructing Biểu 04 (method bieu04_projects)."""
    rate = province_growth_rate_per_year(history)
    cap_share = priors.number("global", "province", "bieu04_cap_share")
    table = areas.set_index("area_id")[
        ["orientation_group", "population_2025_persons", "served_2025_persons"]
    ].astype({"population_2025_persons": float, "served_2025_persons": float})
    population_2026 = (table["population_2025_persons"] * (1 + rate)).round()
    coverage_2025 = table["served_2025_persons"] / table["population_2025_persons"]
    held = coverage_2025 * population_2026

    people = projects[projects["beneficiaries_basis"] == "additional"]
    beneficiaries = people.groupby("area_ids")["beneficiaries_persons"].sum().astype(float)
    with_projects = held.copy()
    for area_id, persons in beneficiaries.items():
        with_projects[area_id] = min(held[area_id] + persons, cap_share * population_2026[area_id])
        with_projects[area_id] = max(with_projects[area_id], held[area_id])

    extend = table["orientation_group"].isin(EXTENSION_GROUPS) & ~table.index.isin(beneficiaries.index)
    gap = (population_2026 - with_projects).where(extend, 0.0)
    needed = PLAN_COVERAGE_2026_TARGET_PCT / 100 * population_2026.sum() - with_projects.sum()
    if not 0 <= needed <= gap.sum():
        raise ValueError("Biểu 04 cannot reach 87,4 % with the stated projects and extension")
    fraction = needed / gap.sum()
    served_2026 = (with_projects + fraction * gap).round()

    out = pd.DataFrame(
        {
            "area_id": table.index,
            "year": 2026,
            "population_2026_persons": population_2026.astype("int64").values,
            "served_target_2026_persons": served_2026.astype("int64").values,
        }
    )
    out["coverage_target_pct"] = (
        100 * out["served_target_2026_persons"] / out["population_2026_persons"]
    ).round(1)
    out["source"] = "estimate:bieu04_projects"
    return out.reset_index(drop=True)


def derive_all(tables: dict[str, pd.DataFrame], priors_table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Run every step; return the three tables whose estimated columns it fills."""
    priors = Priors(priors_table)
    history = tables["population_history"]
    areas = derive_population_2025(tables["urban_areas"], history, priors)
    areas = derive_served_2025(areas, priors)
    systems = derive_system_volumes(tables["systems"], areas, tables["area_systems"], priors)
    targets = derive_bieu04(areas, tables["projects"], history, priors)
    network = derive_system_network(tables["system_network"], systems, areas, tables["area_systems"], priors)
    return {"urban_areas": areas, "systems": systems, "targets_area": targets, "system_network": network}
