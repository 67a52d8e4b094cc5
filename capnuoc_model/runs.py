"""One full projection run of a scenario: the projection, its answers, its tables and its manifest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from capnuoc_model import baseline, feasibility, io, projection
from capnuoc_model.messages import text
from capnuoc_model.scenario import Scenario

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
    }
    if with_sensitivity:
        step(text("progress.sensitivity"))
        tables["sensitivity"] = projection.sensitivity_table(p)
    return ProjectionRun(p, uptake, loss, tables)


def population_fit_table(p: projection.Projection) -> pd.DataFrame:
    from capnuoc_model.population import fit_table

    table = fit_table(p.setup.fit)
    table.insert(0, "scenario", p.scenario.name)
    return table


def manifest(run: ProjectionRun, package: io.DataPackage, command: str = "project", arguments: dict | None = None) -> dict:
    """Everything needed to reproduce the run (see capnuoc_model.manifest); no timestamps."""
    from capnuoc_model import manifest as mf

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
        extra={"scenario": {"name": scenario.name, "overrides": list(scenario.sets), "fingerprint": scenario.fingerprint()},
               "seed": run.projection.seed, "draws": run.projection.draws},
    )
