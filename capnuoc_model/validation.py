"""Validation of the whole data package: per-table rules, provenance, and relations between tables."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from capnuoc_model.errors import CapnuocInputError, Violation
from capnuoc_model.schema import (
    ESTIMATE_PREFIX,
    HISTORY_SCOPE_PROVINCE,
    SHARE_TOLERANCE,
    TABLES,
    TABLES_BY_NAME,
    check_rules,
    parse_table,
)

_SOURCE_ID = re.compile(r"^([a-z][a-z0-9_]*)(?:\s.*)?$")


class _Checker:
    """Collects violations while the relational rules run over typed, line-indexed frames."""

    def __init__(self, tables: dict[str, pd.DataFrame], labels: dict[str, str]):
        self.tables = tables
        self.labels = labels
        self.violations: list[Violation] = []

    def add(self, table: str, row: int | None, column: str | None, problem: str, expected: str) -> None:
        self.violations.append(Violation(self.labels[table], row, column, problem, expected))

    def ids(self, table: str, column: str) -> set[str]:
        frame = self.tables.get(table)
        if frame is None or column not in frame:
            return set()
        return set(frame[column].dropna().astype(str))

    def references(self, table: str, column: str, target: str, target_column: str, *, multi: bool = False,
                   extra: tuple[str, ...] = ()) -> None:
        frame = self.tables.get(table)
        known = self.ids(target, target_column) | set(extra)
        if frame is None or column not in frame or not known:
            return
        for line, value in frame[column].dropna().items():
            for item in (str(value).split(";") if multi else [str(value)]):
                if item.strip() not in known:
                    self.add(table, line, column, f"unknown id '{item.strip()}'",
                             f"an id of {TABLES_BY_NAME[target].file} ({target_column})")


def _check_provenance(c: _Checker) -> None:
    sources = c.ids("sources", "source_id")
    methods = c.ids("methods", "method_id")
    for spec in TABLES:
        frame = c.tables.get(spec.name)
        if frame is None:
            continue
        pairs = [(f"{f.name}_source", f.name) for f in spec.fields if f.provenance]
        if spec.row_provenance:
            pairs.append((spec.row_provenance, None))
        for prov_col, value_col in pairs:
            if prov_col not in frame:
                continue
            for line in frame.index:
                prov = frame.at[line, prov_col]
                has_value = value_col is None or (value_col in frame and pd.notna(frame.at[line, value_col]))
                if pd.isna(prov) or not str(prov).strip():
                    if has_value:
                        c.add(spec.name, line, prov_col, "provenance missing",
                              "a source id of sources.csv or 'estimate:<method_id>' of methods.csv")
                    continue
                text = str(prov).strip()
                if text.startswith(ESTIMATE_PREFIX):
                    for method in text[len(ESTIMATE_PREFIX):].split("+"):
                        if method.strip() not in methods:
                            c.add(spec.name, line, prov_col, f"unknown estimation method '{method.strip()}'",
                                  "a method_id of methods.csv after 'estimate:'")
                    continue
                match = _SOURCE_ID.match(text)
                if not match or match.group(1) not in sources:
                    c.add(spec.name, line, prov_col, f"unknown source '{text.split()[0]}'",
                          "a source_id of sources.csv, optionally followed by a locator such as '§VI'")


def _check_areas(c: _Checker) -> None:
    areas = c.tables.get("urban_areas")
    if areas is None:
        return
    c.references("urban_areas", "orientation_group", "orientation_groups", "group_id")
    if {"served_base_persons", "population_base_persons"} <= set(areas.columns):
        over = areas["served_base_persons"] > areas["population_base_persons"]
        for line in areas.index[over.fillna(False).astype(bool)]:
            c.add("urban_areas", line, "served_base_persons",
                  f"served {areas.at[line, 'served_base_persons']} exceeds population {areas.at[line, 'population_base_persons']}",
                  "0 ≤ served_base_persons ≤ population_base_persons")


def _check_systems(c: _Checker) -> None:
    systems = c.tables.get("systems")
    if systems is None or "status" not in systems:
        return
    c.references("systems", "operator_id", "operators", "operator_id")
    volumes = ("design_capacity_m3_per_day", "production_m3_per_day", "billed_m3_per_day")
    for line in systems.index:
        status = systems.at[line, "status"]
        if pd.isna(status):
            continue
        if status == "operating":
            for column in volumes:
                if column in systems and pd.isna(systems.at[line, column]):
                    c.add("systems", line, column, "missing value for an operating system", "a number > 0 in m³/day" if column == volumes[0] else "a number in m³/day")
        else:
            for column in volumes[1:]:
                if column in systems and pd.notna(systems.at[line, column]) and systems.at[line, column] > 0:
                    c.add("systems", line, column, f"a {status} system has a volume", "empty (a system that does not operate produces nothing)")
        if status != "under_construction" and "operator_id" in systems and pd.isna(systems.at[line, "operator_id"]):
            c.add("systems", line, "operator_id", "missing operator", "an operator_id of operators.csv (only a system under construction may have none)")
    if {"billed_m3_per_day", "production_m3_per_day"} <= set(systems.columns):
        over = (systems["billed_m3_per_day"] > systems["production_m3_per_day"]).fillna(False).astype(bool)
        for line in systems.index[over]:
            c.add("systems", line, "billed_m3_per_day",
                  f"billed {systems.at[line, 'billed_m3_per_day']} exceeds production {systems.at[line, 'production_m3_per_day']}",
                  "billed_m3_per_day ≤ production_m3_per_day")


def _check_links(c: _Checker) -> None:
    links = c.tables.get("area_systems")
    if links is None:
        return
    c.references("area_systems", "area_id", "urban_areas", "area_id")
    c.references("area_systems", "system_id", "systems", "system_id")
    if {"area_id", "share_of_area_served"} <= set(links.columns):
        for area_id, group in links.groupby("area_id"):
            total = float(group["share_of_area_served"].fillna(0).sum())
            if abs(total - 1) > SHARE_TOLERANCE:
                c.add("area_systems", int(group.index[0]), "share_of_area_served",
                      f"shares of area '{area_id}' sum to {total:g}", "the shares of one area to sum to 1")
    areas = c.tables.get("urban_areas")
    if areas is not None and {"served_base_persons", "area_id"} <= set(areas.columns) and "area_id" in links:
        linked = set(links["area_id"].dropna())
        for line in areas.index:
            served = areas.at[line, "served_base_persons"]
            if pd.notna(served) and served > 0 and areas.at[line, "area_id"] not in linked:
                c.add("urban_areas", line, "served_base_persons", "area has served people but no system in area_systems.csv",
                      "a row in area_systems.csv for every area with served people")


def _check_projects(c: _Checker) -> None:
    c.references("projects", "area_ids", "urban_areas", "area_id", multi=True)
    c.references("projects", "system_ids", "systems", "system_id", multi=True)
    projects = c.tables.get("projects")
    if projects is None or "beneficiaries_basis" not in projects:
        return
    for line in projects.index:
        stated = pd.notna(projects.at[line, "beneficiaries_persons"]) if "beneficiaries_persons" in projects else False
        basis = projects.at[line, "beneficiaries_basis"]
        if stated != (basis == "additional"):
            c.add("projects", line, "beneficiaries_basis", f"'{basis}' does not match the beneficiaries column",
                  "'additional' when beneficiaries_persons is given, 'none' when it is empty")


def _check_targets(c: _Checker) -> None:
    c.references("targets_area", "area_id", "urban_areas", "area_id")
    targets = c.tables.get("targets_area")
    if targets is not None and {"served_target_persons", "population_target_persons", "coverage_target_pct"} <= set(targets.columns):
        for line in targets.index:
            served, population, pct = (targets.at[line, k] for k in ("served_target_persons", "population_target_persons", "coverage_target_pct"))
            if pd.isna(served) or pd.isna(population) or pd.isna(pct) or population <= 0:
                continue
            if served > population:
                c.add("targets_area", line, "served_target_persons", f"{served} exceeds population {population}", "served ≤ population")
            elif abs(100 * served / population - pct) > 0.05 + 1e-9:
                c.add("targets_area", line, "coverage_target_pct", f"{pct:g} % does not match {served}/{population}",
                      "coverage_target_pct = 100 × served / population, to one decimal")
        missing = c.ids("urban_areas", "area_id") - c.ids("targets_area", "area_id")
        for area_id in sorted(missing):
            c.add("targets_area", None, "area_id", f"no target for area '{area_id}'", "one row per area of urban_areas.csv")
    province = c.tables.get("targets_province")
    if province is not None and {"is_numeric", "target_min", "target_max"} <= set(province.columns):
        for line in province.index:
            numeric = province.at[line, "is_numeric"]
            has_number = pd.notna(province.at[line, "target_min"]) or pd.notna(province.at[line, "target_max"])
            if pd.notna(numeric) and bool(numeric) != has_number:
                c.add("targets_province", line, "is_numeric", f"is_numeric is {bool(numeric)} but target_min/target_max are {'set' if has_number else 'empty'}",
                      "a numeric target to give target_min or target_max, a non-numeric one neither")


def _check_aliases(c: _Checker) -> None:
    aliases = c.tables.get("aliases")
    if aliases is None or not {"kind", "target_id"} <= set(aliases.columns):
        return
    known = {"area": c.ids("urban_areas", "area_id"), "system": c.ids("systems", "system_id"),
             "operator": c.ids("operators", "operator_id")}
    for line in aliases.index:
        kind, target = aliases.at[line, "kind"], aliases.at[line, "target_id"]
        if kind in known and pd.notna(target) and known[kind] and target not in known[kind]:
            c.add("aliases", line, "target_id", f"unknown {kind} id '{target}'", f"an id of the {kind}s")


def _check_history(c: _Checker) -> None:
    shared = tuple(sorted(c.ids("urban_areas", "history_scope")))  # figures that cover several areas (an old city)
    c.references("population_history", "scope", "urban_areas", "area_id", extra=(HISTORY_SCOPE_PROVINCE,) + shared)


def _check_network(c: _Checker) -> None:
    """system_network.csv: known systems, a row for every operating system, and a balance whose real losses are ≥ 0."""
    network, systems = c.tables.get("system_network"), c.tables.get("systems")
    if network is None or systems is None or "system_id" not in network or "status" not in systems:
        return
    c.references("system_network", "system_id", "systems", "system_id")
    operating = set(systems.loc[systems["status"] == "operating", "system_id"].dropna())
    for system_id in sorted(operating - set(network["system_id"].dropna())):
        c.add("system_network", None, "system_id", f"no row for operating system '{system_id}'",
              "one row per operating system of systems.csv")
    from capnuoc_model.losses import BALANCE_INPUTS, water_balance

    if not {"production_m3_per_day", "billed_m3_per_day"} <= set(systems.columns):
        return
    if systems["system_id"].duplicated().any() or network["system_id"].duplicated().any():
        return  # reported as duplicate ids; the balance needs one row per system
    volumes = systems.set_index("system_id")[["production_m3_per_day", "billed_m3_per_day"]]
    rows = network[network["system_id"].isin(operating)]
    inputs = rows.assign(system_input_m3_per_day=rows["system_id"].map(volumes["production_m3_per_day"]),
                         billed_m3_per_day=rows["system_id"].map(volumes["billed_m3_per_day"]))
    if not set(BALANCE_INPUTS) <= set(inputs.columns):
        return
    complete = inputs[list(BALANCE_INPUTS)].notna().all(axis=1) & (inputs["billed_m3_per_day"] <= inputs["system_input_m3_per_day"])
    if not complete.any():
        return
    with np.errstate(all="ignore"):  # out-of-range shares are reported by their own checks
        real = water_balance(inputs[complete].astype({k: float for k in BALANCE_INPUTS}))["real_losses_m3_per_day"]
    for line in real.index[real < 0]:
        c.add("system_network", line, "unauthorised_pct",
              f"authorised consumption and apparent losses exceed the system input by {-real[line]:.1f} m³/day",
              "real losses = input − authorised − apparent ≥ 0 (lower the apparent-loss or unbilled shares)")


def _check_tariffs(c: _Checker) -> None:
    """tariffs.csv and operating_costs.csv: known operators and systems, one zone per operating system,
    a zone's rows agreeing on operator and systems, class shares of a zone summing to 100 %."""
    tariffs, systems = c.tables.get("tariffs"), c.tables.get("systems")
    c.references("operating_costs", "operator_id", "operators", "operator_id")
    if tariffs is None or not {"tariff_zone", "operator_id", "system_ids", "billed_share_pct"} <= set(tariffs.columns):
        return
    c.references("tariffs", "operator_id", "operators", "operator_id")
    c.references("tariffs", "system_ids", "systems", "system_id", multi=True)
    operator_of = {} if systems is None else dict(zip(systems["system_id"], systems["operator_id"]))
    zone_of: dict[str, str] = {}
    for zone, rows in tariffs.groupby("tariff_zone", sort=False):
        first = rows.index[0]
        for column in ("operator_id", "system_ids"):
            for line in rows.index[rows[column].astype(str) != str(rows.at[first, column])]:
                c.add("tariffs", line, column, f"'{rows.at[line, column]}' differs from line {first} of zone '{zone}'",
                      f"every row of a tariff zone with the same {column}")
        total = float(rows["billed_share_pct"].fillna(0).sum())
        if abs(total - 100) > 0.05:
            c.add("tariffs", int(first), "billed_share_pct", f"class shares of zone '{zone}' sum to {total:g} %",
                  "the shares of one zone to sum to 100 %")
        for system_id in str(rows.at[first, "system_ids"]).split(";"):
            system_id = system_id.strip()
            if system_id in zone_of and zone_of[system_id] != zone:
                c.add("tariffs", int(first), "system_ids", f"system '{system_id}' is also in zone '{zone_of[system_id]}'",
                      "each system in one tariff zone")
            zone_of[system_id] = zone
            owner = operator_of.get(system_id)
            if owner is not None and pd.notna(owner) and owner != rows.at[first, "operator_id"]:
                c.add("tariffs", int(first), "operator_id", f"system '{system_id}' belongs to operator '{owner}'",
                      "the operator of the zone's systems (systems.csv)")
    if systems is not None and "status" in systems:
        for system_id in sorted(set(systems.loc[systems["status"] == "operating", "system_id"].dropna()) - set(zone_of)):
            c.add("tariffs", None, "system_ids", f"no tariff zone for operating system '{system_id}'",
                  "every operating system of systems.csv in one tariff zone")
    costs = c.tables.get("operating_costs")
    if costs is not None and "operator_id" in costs:
        for operator_id in sorted(set(tariffs["operator_id"].dropna()) - set(costs["operator_id"].dropna())):
            c.add("operating_costs", None, "operator_id", f"no row for operator '{operator_id}' of tariffs.csv",
                  "one row per operator with a tariff")


RELATION_RULES = (_check_provenance, _check_areas, _check_systems, _check_links, _check_projects, _check_targets, _check_history,
                  _check_network, _check_aliases, _check_tariffs)


def validate_package(raw: dict[str, pd.DataFrame], labels: dict[str, str],
                     warnings: list[Violation] | None = None) -> dict[str, pd.DataFrame]:
    """Typed tables (index 0..n-1) or :class:`CapnuocInputError` listing every problem.

    ``raw`` holds each table's text cells indexed by file line number;
    ``labels`` the file name to show for each table in messages. Warnings (e.g. an
    unknown column, which is ignored) are appended to ``warnings`` when given.
    """
    violations: list[Violation] = []
    typed: dict[str, pd.DataFrame] = {}
    for spec in TABLES:
        if spec.name not in raw:
            if not spec.required:
                continue  # an optional table left out: the figures that need it stay empty
            violations.append(Violation(labels[spec.name], None, None, "file is missing", f"a table {spec.file}: {spec.description}"))
            continue
        frame, parse_problems = parse_table(raw[spec.name], spec, labels[spec.name])
        unparsed = {(v.row, v.column) for v in parse_problems
                    if v.row is not None and v.row > 1 and v.severity == "error"}
        violations += parse_problems
        violations += check_rules(frame, spec, labels[spec.name], unparsed)
        typed[spec.name] = frame
    checker = _Checker(typed, labels)
    for rule in RELATION_RULES:
        rule(checker)
    violations += checker.violations
    errors = [v for v in violations if v.severity == "error"]
    if warnings is not None:
        warnings.extend(v for v in violations if v.severity != "error")
    if errors:
        raise CapnuocInputError(violations, f"{len(set(errors))} problem(s) in the data package")
    return {name: frame.reset_index(drop=True) for name, frame in typed.items()}


__all__ = ["validate_package", "TABLES_BY_NAME"]
