"""Validation of the whole data package: table shapes first, then per-table rules, provenance and relations.

The order matters: a table whose shape is wrong (a required column missing, two headers
swapped, too few rows) is reported by that one root cause and left out of everything
that follows, so that one mistake gives one message and never a crash further on.
``capnuoc validate`` is the contract of the package: what it accepts, every command runs on.
The assumptions name projects by their ids; the model layer checks those ids against the
package (:mod:`capnuoc_model.model.assumption_checks`), since the assumption files are the model's.
"""

from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from capnuoc_model.data.errors import CapnuocInputError, Violation, violation
from capnuoc_model.data.messages import listing, text
from capnuoc_model.data.schema import (
    ESTIMATE_PREFIX,
    HISTORY_SCOPE_PROVINCE,
    SHARE_TOLERANCE,
    SYSTEM_STATUSES,
    TABLES,
    TABLES_BY_NAME,
    check_rules,
    parse_table,
    structure_problems,
    swapped_columns,
)

_SOURCE_ID = re.compile(r"^([a-z][a-z0-9_]*)(?:\s.*)?$")
MIN_PROVINCE_HISTORY_YEARS = 3  # the population trend is an OLS fit with a standard error (population.fit_growth)


class _Checker:
    """Collects violations while the relational rules run over typed, line-indexed frames."""

    def __init__(self, tables: dict[str, pd.DataFrame], labels: dict[str, str],
                 unparsed: set[tuple[str, int, str]] | None = None):
        self.tables = tables
        self.labels = labels
        self.unparsed = unparsed or set()  # (table, line, column) of cells already reported as unreadable
        self.violations: list[Violation] = []

    def missing(self, table: str, line: int, column: str) -> bool:
        """An empty cell that was left empty (not one emptied because it could not be read)."""
        return pd.isna(self.tables[table].at[line, column]) and (table, line, column) not in self.unparsed

    def add(self, table: str, row: int | None, column: str | None, key: str, /, **params) -> None:
        self.violations.append(violation(self.labels[table], row, column, key, **params))

    def ids(self, table: str, column: str) -> set[str]:
        frame = self.tables.get(table)
        if frame is None or column not in frame:
            return set()
        return set(frame[column].dropna().astype(str))

    def references(self, table: str, column: str, target: str, target_column: str, *, multi: bool = False,
                   extra: tuple[str, ...] = ()) -> None:
        """Every id of ``table.column`` exists in ``target.target_column`` (an empty target has none)."""
        frame, target_frame = self.tables.get(table), self.tables.get(target)
        if frame is None or column not in frame or target_frame is None or target_column not in target_frame:
            return  # a table left out for its shape is reported by that root cause
        known = self.ids(target, target_column) | set(extra)
        for line, value in frame[column].dropna().items():
            for item in (str(value).split(";") if multi else [str(value)]):
                if item.strip() not in known:
                    close = difflib.get_close_matches(item.strip(), sorted(known), n=1)
                    self.add(table, line, column, "relation.unknown_id", value=item.strip(), file=TABLES_BY_NAME[target].file,
                             target_column=target_column, hint=text("hint.did_you_mean", value=close[0]) if close else "")


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
                        c.add(spec.name, line, prov_col, "provenance.missing")
                    continue
                value = str(prov).strip()
                if value.startswith(ESTIMATE_PREFIX):
                    for method in value[len(ESTIMATE_PREFIX):].split("+"):
                        if "methods" in c.tables and method.strip() not in methods:  # a broken methods.csv is its own message
                            c.add(spec.name, line, prov_col, "provenance.unknown_method", method=method.strip())
                    continue
                match = _SOURCE_ID.match(value)
                if "sources" in c.tables and (not match or match.group(1) not in sources):
                    c.add(spec.name, line, prov_col, "provenance.unknown_source", source=value.split()[0])


def _check_areas(c: _Checker) -> None:
    areas = c.tables.get("urban_areas")
    if areas is None:
        return
    c.references("urban_areas", "orientation_group", "orientation_groups", "group_id")
    if {"served_base_persons", "population_base_persons"} <= set(areas.columns):
        over = areas["served_base_persons"] > areas["population_base_persons"]
        for line in areas.index[over.fillna(False).astype(bool)]:
            c.add("urban_areas", line, "served_base_persons", "areas.served_over_population",
                  served=_n(areas.at[line, "served_base_persons"]), population=_n(areas.at[line, "population_base_persons"]))


def _check_systems(c: _Checker) -> None:
    systems = c.tables.get("systems")
    if systems is None or "status" not in systems:
        return
    c.references("systems", "operator_id", "operators", "operator_id")
    volumes = ("design_capacity_m3_per_day", "production_m3_per_day", "billed_m3_per_day")
    for line in systems.index:
        status = systems.at[line, "status"]
        if pd.isna(status) or status not in SYSTEM_STATUSES:
            continue  # an unknown status is reported by its own rule
        if status == "operating":
            for column in volumes:
                if column in systems and c.missing("systems", line, column):
                    c.add("systems", line, column, "systems.operating_without_volume",
                          rule=text("rule.gt", value="0") if column == volumes[0] else text("rule.ge", value="0"))
        else:
            for column in volumes[1:]:
                if column in systems and pd.notna(systems.at[line, column]) and systems.at[line, column] > 0:
                    c.add("systems", line, column, "systems.idle_with_volume", status=status)
        if status != "under_construction" and "operator_id" in systems and pd.isna(systems.at[line, "operator_id"]):
            c.add("systems", line, "operator_id", "systems.missing_operator")
    if {"billed_m3_per_day", "production_m3_per_day"} <= set(systems.columns):
        over = (systems["billed_m3_per_day"] > systems["production_m3_per_day"]).fillna(False).astype(bool)
        for line in systems.index[over]:
            c.add("systems", line, "billed_m3_per_day", "systems.billed_over_production",
                  billed=_n(systems.at[line, "billed_m3_per_day"]), production=_n(systems.at[line, "production_m3_per_day"]))


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
                c.add("area_systems", int(group.index[0]), "share_of_area_served", "links.shares_sum",
                      area=area_id, total=_n(total))
    areas = c.tables.get("urban_areas")
    if areas is not None and {"served_base_persons", "area_id"} <= set(areas.columns) and "area_id" in links:
        linked = set(links["area_id"].dropna())
        for line in areas.index:
            served = areas.at[line, "served_base_persons"]
            if pd.notna(served) and served > 0 and areas.at[line, "area_id"] not in linked:
                c.add("urban_areas", line, "served_base_persons", "links.served_without_system")


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
            c.add("projects", line, "beneficiaries_basis", "projects.basis_mismatch", basis=basis)


def _check_targets(c: _Checker) -> None:
    c.references("targets_area", "area_id", "urban_areas", "area_id")
    targets = c.tables.get("targets_area")
    if targets is not None and {"served_target_persons", "population_target_persons", "coverage_target_pct"} <= set(targets.columns):
        for line in targets.index:
            served, population, pct = (targets.at[line, k] for k in ("served_target_persons", "population_target_persons", "coverage_target_pct"))
            if pd.isna(served) or pd.isna(population) or pd.isna(pct) or population <= 0:
                continue
            if served > population:
                c.add("targets_area", line, "served_target_persons", "targets.served_over_population",
                      served=_n(served), population=_n(population))
            elif abs(100 * served / population - pct) > 0.05 + 1e-9:
                c.add("targets_area", line, "coverage_target_pct", "targets.pct_mismatch",
                      pct=_n(pct), served=_n(served), population=_n(population))
        if "urban_areas" in c.tables and "area_id" in targets:
            missing = c.ids("urban_areas", "area_id") - c.ids("targets_area", "area_id")
            for area_id in sorted(missing):
                c.add("targets_area", None, "area_id", "targets.area_without_target", area=area_id)
    province = c.tables.get("targets_province")
    if province is not None and {"is_numeric", "target_min", "target_max"} <= set(province.columns):
        for line in province.index:
            numeric = province.at[line, "is_numeric"]
            has_number = pd.notna(province.at[line, "target_min"]) or pd.notna(province.at[line, "target_max"])
            if pd.notna(numeric) and bool(numeric) != has_number:
                c.add("targets_province", line, "is_numeric",
                      "targets.numeric_without_number" if numeric else "targets.number_without_numeric")


def _check_aliases(c: _Checker) -> None:
    aliases = c.tables.get("aliases")
    if aliases is None or not {"kind", "target_id"} <= set(aliases.columns):
        return
    sources = {"area": ("urban_areas", "area_id"), "system": ("systems", "system_id"), "operator": ("operators", "operator_id")}
    for line in aliases.index:
        kind, target = aliases.at[line, "kind"], aliases.at[line, "target_id"]
        if kind not in sources or pd.isna(target) or sources[kind][0] not in c.tables:
            continue
        if target not in c.ids(*sources[kind]):
            c.add("aliases", line, "target_id", "relation.unknown_id", value=target, file=TABLES_BY_NAME[sources[kind][0]].file,
                  target_column=sources[kind][1], hint="")


def _check_history(c: _Checker) -> None:
    shared = tuple(sorted(c.ids("urban_areas", "history_scope")))  # figures that cover several areas (an old city)
    c.references("population_history", "scope", "urban_areas", "area_id", extra=(HISTORY_SCOPE_PROVINCE,) + shared)
    history = c.tables.get("population_history")
    if history is None or not {"scope", "measure", "covers", "year", "population_persons"} <= set(history.columns):
        return
    rows = history[(history["scope"] == HISTORY_SCOPE_PROVINCE) & (history["measure"] == "total") & (history["covers"] == "whole")]
    years = set(rows.dropna(subset=["year", "population_persons"])["year"].astype(int))
    if len(years) < MIN_PROVINCE_HISTORY_YEARS:
        c.add("population_history", None, "year", "history.too_few_province_years", count=len(years),
              minimum=MIN_PROVINCE_HISTORY_YEARS)


def _check_network(c: _Checker) -> None:
    """system_network.csv: known systems, a row for every operating system, and a balance whose real losses are ≥ 0."""
    network, systems = c.tables.get("system_network"), c.tables.get("systems")
    if network is None or systems is None or "system_id" not in network or "status" not in systems:
        return
    c.references("system_network", "system_id", "systems", "system_id")
    operating = set(systems.loc[systems["status"] == "operating", "system_id"].dropna())
    for system_id in sorted(operating - set(network["system_id"].dropna())):
        c.add("system_network", None, "system_id", "network.operating_without_row", system=system_id)
    from capnuoc_model.data.water_balance import BALANCE_INPUTS, water_balance

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
        c.add("system_network", line, "unauthorised_pct", "network.negative_real_losses", excess=_n(-real[line], 1))


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
                c.add("tariffs", line, column, "tariffs.zone_differs", value=rows.at[line, column], first=first, zone=zone,
                      column_name=column)
        total = float(rows["billed_share_pct"].fillna(0).sum())
        if abs(total - 100) > 0.05:
            c.add("tariffs", int(first), "billed_share_pct", "tariffs.shares_sum", zone=zone, total=_n(total, 2))
        for system_id in str(rows.at[first, "system_ids"]).split(";"):
            system_id = system_id.strip()
            if system_id in zone_of and zone_of[system_id] != zone:
                c.add("tariffs", int(first), "system_ids", "tariffs.system_in_two_zones", system=system_id, other=zone_of[system_id])
            zone_of[system_id] = zone
            owner = operator_of.get(system_id)
            if owner is not None and pd.notna(owner) and owner != rows.at[first, "operator_id"]:
                c.add("tariffs", int(first), "operator_id", "tariffs.other_operator", system=system_id, owner=owner)
    if systems is not None and "status" in systems:
        for system_id in sorted(set(systems.loc[systems["status"] == "operating", "system_id"].dropna()) - set(zone_of)):
            c.add("tariffs", None, "system_ids", "tariffs.system_without_zone", system=system_id)
    costs = c.tables.get("operating_costs")
    if costs is not None and "operator_id" in costs:
        for operator_id in sorted(set(tariffs["operator_id"].dropna()) - set(costs["operator_id"].dropna())):
            c.add("operating_costs", None, "operator_id", "tariffs.operator_without_cost", operator=operator_id)


RELATION_RULES = (_check_provenance, _check_areas, _check_systems, _check_links, _check_projects, _check_targets, _check_history,
                  _check_network, _check_aliases, _check_tariffs)


def _n(value: float, decimals: int = 6) -> str:
    from capnuoc_model.data.fmt import vn

    return vn(float(value), decimals, trim=True)


def validate_package(raw: dict[str, pd.DataFrame], labels: dict[str, str],
                     warnings: list[Violation] | None = None, folder: str = "") -> dict[str, pd.DataFrame]:
    """Typed tables (index 0..n-1) or :class:`CapnuocInputError` listing every problem.

    ``raw`` holds each table's text cells indexed by file line number;
    ``labels`` the file name to show for each table in messages. Warnings (e.g. an
    unknown column, which is ignored) are appended to ``warnings`` when given.
    Each typed frame keeps its file line numbers in ``frame.attrs["lines"]``.
    """
    violations: list[Violation] = []
    typed: dict[str, pd.DataFrame] = {}
    unreadable: set[tuple[str, int, str]] = set()
    for spec in TABLES:
        if spec.name not in raw:
            if not spec.required:
                continue  # an optional table left out: the figures that need it stay empty
            violations.append(violation(labels[spec.name], None, None, "data.file_missing", file=spec.file))
            continue
        shape = structure_problems(raw[spec.name], spec, labels[spec.name])
        if any(v.severity == "error" for v in shape):
            violations += shape  # the root cause only; the table stays out of the checks that follow
            continue
        frame, parse_problems = parse_table(raw[spec.name], spec, labels[spec.name])
        unparsed = {(v.row, v.column) for v in parse_problems
                    if v.row is not None and v.row > 1 and v.severity == "error"}
        problems = shape + parse_problems + check_rules(frame, spec, labels[spec.name], unparsed)
        swaps, columns = swapped_columns(raw[spec.name], spec, labels[spec.name], problems)
        if swaps:  # the swap explains its columns' problems; the table stays out of the relations
            violations += swaps + [v for v in problems if v.column not in columns]
            continue
        violations += problems
        typed[spec.name] = frame
        unreadable |= {(spec.name, row, column) for row, column in unparsed}
    checker = _Checker(typed, labels, unreadable)
    for rule in RELATION_RULES:
        rule(checker)
    violations += checker.violations
    errors = [v for v in violations if v.severity == "error"]
    if warnings is not None:
        warnings.extend(v for v in violations if v.severity != "error")
    if errors:
        raise CapnuocInputError(violations, text("summary.package", count=len(set(errors)), folder=folder or "data"))
    out = {}
    for name, frame in typed.items():
        lines = list(frame.index)
        out[name] = frame.reset_index(drop=True)
        out[name].attrs["lines"] = lines
    return out


__all__ = ["validate_package", "TABLES_BY_NAME", "listing", "MIN_PROVINCE_HISTORY_YEARS"]
