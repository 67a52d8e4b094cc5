"""The assumptions against the data package: every project, system and area they name exists, and what the engine needs is there.

The assumption files (``analysis/assumptions/defaults.yaml`` and the scenarios) are the model's, so their
cross-check with the package lives here, above the data layer: ``capnuoc validate`` runs it on the defaults
after the package's own validation, every command that loads a scenario runs :func:`check_scenario`.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Mapping

import pandas as pd

from capnuoc_model.data.errors import CapnuocInputError, Violation, violation
from capnuoc_model.data.io import display_path
from capnuoc_model.data.messages import text
from capnuoc_model.data.plan import check_assumption_paths
from capnuoc_model.data.schema import HISTORY_SCOPE_PROVINCE, TABLES
from capnuoc_model.data.validation import MIN_PROVINCE_HISTORY_YEARS
from capnuoc_model.model.scenario import load_defaults

# What the engine reads for each project of projects.csv: (rows it applies to, alternatives of leaves; one must exist).
PROJECT_ASSUMPTIONS = (
    ("people", ("commissioning_month",)),
    ("people", ("capacity_m3_per_day", "capacity_added_m3_per_day")),
    ("network", ("real_loss_cut_pct",)),
)
PROJECT_GROUP = "projects"  # analysis/assumptions/defaults.yaml: projects.<project_id>.<leaf>
# assumption groups keyed by the package's ids (<group>.<id>.<leaf>): the table and column the ids must come from
ID_GROUPS = {"projects": ("projects", "project_id"), "systems": ("systems", "system_id"), "areas": ("urban_areas", "area_id")}


def _project_rows(projects: pd.DataFrame) -> dict[str, pd.Series]:
    """Which projects the engine models: people projects (stated beneficiaries) and network projects (loss cuts)."""
    return {"people": projects["beneficiaries_basis"] == "additional", "network": projects["kind"] == "network"}


def assumption_problems(tables: Mapping[str, pd.DataFrame], labels: Mapping[str, str], assumptions: Mapping[str, object],
                        assumptions_label: str, lines: Mapping[str, int] | None = None) -> list[Violation]:
    """Projects of the package without the assumptions the engine needs (errors), assumptions of unknown projects (warnings)."""
    projects = tables.get("projects")
    if projects is None or not {"project_id", "beneficiaries_basis", "kind"} <= set(projects.columns):
        return []
    out: list[Violation] = []
    known = set(projects["project_id"].dropna().astype(str))
    named = sorted({p.split(".")[1] for p in assumptions if p.startswith(PROJECT_GROUP + ".") and p.count(".") >= 2})
    rows = _project_rows(projects)
    project_lines = projects.attrs.get("lines") or [i + 2 for i in range(len(projects))]
    unused = sorted(set(named) - known)
    for i, project_id in enumerate(projects["project_id"].astype(str)):
        missing = [f"{PROJECT_GROUP}.{project_id}.{leaves[0]}" for applies, leaves in PROJECT_ASSUMPTIONS
                   if bool(rows[applies].iloc[i]) and not any(f"{PROJECT_GROUP}.{project_id}.{leaf}" in assumptions for leaf in leaves)]
        if missing:
            close = difflib.get_close_matches(project_id, unused, n=1, cutoff=0.3)
            out.append(violation(labels["projects"], project_lines[i], "project_id", "assumptions.project_missing",
                                 project=project_id, paths=", ".join(missing), file=assumptions_label,
                                 hint=text("hint.renamed_from", value=close[0]) if close else ""))
    return out + _unknown_group_ids(tables, labels, assumptions, assumptions_label, lines or {})


def _unknown_group_ids(tables, labels, assumptions, assumptions_label, lines) -> list[Violation]:
    """Assumptions under an id the package does not have (projects.<id>, systems.<id>, areas.<id>): unused, so a warning."""
    out = []
    for group, (table, column) in ID_GROUPS.items():
        frame = tables.get(table)
        if frame is None or column not in frame:
            continue
        known = set(frame[column].dropna().astype(str))
        named = sorted({p.split(".")[1] for p in assumptions if p.startswith(group + ".") and p.count(".") >= 2})
        for id_ in named:
            if id_ not in known:
                close = difflib.get_close_matches(id_, sorted(known), n=1, cutoff=0.3)
                out.append(violation(assumptions_label, lines.get(f"{group}.{id_}"), f"{group}.{id_}", "assumptions.unknown_id",
                                     severity="warning", id=id_, file=labels[table], column=column,
                                     hint=text("hint.did_you_mean", value=close[0]) if close else ""))
    return out


def _group_assumption_problems(package, paths, assumptions_label: str) -> list[Violation]:
    """The assumptions the plan's groups name (orientation_groups.csv) must be in the assumption tree ``paths``."""

    plan = getattr(package, "plan", None)
    if plan is None:
        return []
    return check_assumption_paths(plan, set(paths), display_path(package.directory / "orientation_groups.csv"), assumptions_label)


def check_assumptions(package, assumptions: Mapping[str, object], assumptions_label: str,
                      lines: Mapping[str, int] | None = None) -> list[Violation]:
    """Raise :class:`CapnuocInputError` when the package's projects lack assumptions; return the warnings."""

    labels = {t.name: display_path(package.directory / t.file) for t in TABLES}
    found = assumption_problems(package.tables, labels, assumptions, assumptions_label, lines)
    found += _group_assumption_problems(package, assumptions, assumptions_label)
    errors = [v for v in found if v.severity == "error"]
    if errors:
        raise CapnuocInputError(found, text("summary.assumption_ids", count=len(set(errors)),
                                             folder=display_path(package.directory)))
    return found


def check_scenario(package, scenario, defaults=None) -> list[Violation]:
    """A loaded scenario against the package; raise on what would stop the projection, return the warnings.

    The projects the package lists need their assumptions (declared in the defaults file), and the
    population trend needs at least three province figures from the scenario's start year on.
    """

    defaults = defaults or load_defaults(scenario.files[0])  # the projects' assumptions are declared there
    label = display_path(defaults.file)
    found = assumption_problems(package.tables, {t.name: display_path(package.directory / t.file) for t in TABLES},
                                scenario.assumptions, label, defaults.lines)
    found += _group_assumption_problems(package, scenario.paths(), display_path(Path(scenario.files[0])))
    history = package.tables.get("population_history")
    start_path = "population.trend_start_year"
    if history is not None and start_path in scenario.assumptions:
        start = scenario.value(start_path)
        rows = history[(history["scope"] == HISTORY_SCOPE_PROVINCE) & (history["measure"] == "total") & (history["covers"] == "whole")]
        years = set(rows.dropna(subset=["year", "population_persons"])["year"].astype(int))
        later = sorted(y for y in years if y >= start)
        if len(later) < MIN_PROVINCE_HISTORY_YEARS:
            where = scenario.files[-1] if len(scenario.files) > 1 else defaults.file
            found.append(violation(display_path(where), None, start_path, "assumptions.trend_start_too_late", start=start,
                                   count=len(later), minimum=MIN_PROVINCE_HISTORY_YEARS,
                                   latest=sorted(years)[-MIN_PROVINCE_HISTORY_YEARS] if len(years) >= MIN_PROVINCE_HISTORY_YEARS else "—"))
    errors = [v for v in found if v.severity == "error"]
    if errors:
        raise CapnuocInputError(found, text("summary.assumption_ids", count=len(set(errors)),
                                             folder=display_path(package.directory)))
    return found


__all__ = ["check_scenario", "check_assumptions", "assumption_problems", "PROJECT_ASSUMPTIONS", "ID_GROUPS"]
