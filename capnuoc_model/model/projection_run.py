"""One full projection run of a scenario: the projection, its answers, its tables and its manifest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from capnuoc_model.model import baseline, feasibility, projection

from capnuoc_model.data import io
from capnuoc_model.data.messages import text
from capnuoc_model.model.scenario import Scenario

@dataclass(frozen=True)
class ProjectionRun:
    projection: projection.Projection
    uptake: feasibility.UptakeAnswer
    loss: feasibility.LossAnswer
    tables: dict[str, pd.DataFrame]


def full_run(
    package: io.DataPackage,
    scenario: Scenario,
    draws: int = projection.DEFAULT_DRAWS,
    seed: int = projection.DEFAULT_SEED,
    with_sensitivity: bool = True,
    step: Callable[[str], None] = lambda _: None,
) -> ProjectionRun:
    """Deterministic and Monte Carlo projection, what it takes, and (optionally) sensitivity.

    ``step`` is called with a short Vietnamese label before each stage (for progress display).
    """
    step(text("progress.monte_carlo"))
    p = projection.project(package, scenario, draws, seed)
    step(text("progress.what_it_takes"))
    uptake = feasibility.minimal_uptake(p.setup)
    prices = baseline.prices_state(package)
    loss = feasibility.with_payback(feasibility.least_cost_loss_cut(p.setup), prices)
    tables = {
        "province": projection.province_table(p),
        "areas": projection.areas_table(p),
        "systems": projection.systems_table(p),
        "targets": projection.targets_table(p),
        "what_it_takes": feasibility.what_it_takes_table(p, uptake, loss),
        "projects": feasibility.project_costs(p),
        "nrw_value": feasibility.nrw_value_by_year(projection.systems_table(p), prices),
        "population_fit": population_fit_table(p),
        "assumptions": pd.DataFrame(scenario.to_records()),
        "assumption_changes": changes_table(scenario),
    }
    if with_sensitivity:
        step(text("progress.sensitivity"))
        tables["sensitivity"] = projection.sensitivity_table(p)
    return ProjectionRun(p, uptake, loss, tables)


CHANGE_COLUMNS = ["path", "sources", "value_default", "value", "distribution_default", "distribution", "distribution_change"]


def changes_table(scenario: Scenario) -> pd.DataFrame:
    """Every assumption the scenario file and --set changed: default and effective value and distribution."""
    frame = pd.DataFrame([c.to_record() for c in scenario.changes], columns=CHANGE_COLUMNS)
    frame.insert(0, "scenario", scenario.label)
    return frame


def output_folder(kind: str, scenario_file: Path, sets: list[str] | tuple[str, ...]) -> Path:
    """Default folder of a run: output/<kind>/<scenario file stem>, plus '-' and a short hash of the --set
    overrides (in their order, which matters when one path is set twice) when there are any, so that runs
    with other overrides never overwrite each other."""
    import hashlib
    import json

    name = Path(scenario_file).stem
    if sets:
        name += "-" + hashlib.sha256(json.dumps(list(sets), ensure_ascii=False).encode("utf-8")).hexdigest()[:8]
    return io.REPO_ROOT / "output" / kind / name


def population_fit_table(p: projection.Projection) -> pd.DataFrame:
    from capnuoc_model.model.population import fit_table

    table = fit_table(p.setup.fit)
    table.insert(0, "scenario", p.scenario.label)
    return table


def manifest(run: ProjectionRun, package: io.DataPackage, command: str = "project", arguments: dict | None = None) -> dict:
    """Everything needed to reproduce the run (see capnuoc_model.data.manifest); no timestamps."""
    from capnuoc_model.data import manifest as mf

    scenario = run.projection.scenario
    scenario_file = Path(scenario.files[-1]) if len(scenario.files) > 1 else None
    arguments = arguments or {
        "scenario": str(scenario_file.resolve()) if scenario_file else None,
        "sets": list(scenario.sets),
        "draws": run.projection.draws,
        "seed": run.projection.seed,
        "data": str(package.directory.resolve()),
    }
    prefix = "data/" if command == "report" else ""  # the report keeps its numbers beside the documents
    return mf.build(
        command, arguments, mf.data_files(package.directory) + [Path(f) for f in scenario.files],
        [f"{prefix}{name}.csv" for name in run.tables],
        extra={"scenario": {"name": scenario.name, "label": scenario.label, "overrides": list(scenario.sets),
                            "changes": [c.to_record() for c in scenario.changes], "fingerprint": scenario.fingerprint()},
               "seed": run.projection.seed, "draws": run.projection.draws},
    )
