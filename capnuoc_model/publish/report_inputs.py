"""What a report notebook needs, loaded once: the data, the scenario, the projection run (cached) and the baseline."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from capnuoc_model.data import io
from capnuoc_model.data import manifest as mf
from capnuoc_model.model import projection, projection_run
from capnuoc_model.model import baseline as bl
from capnuoc_model.model.scenario import Scenario, load_scenario

DEFAULT_CACHE = Path("output") / ".cache"
BASELINE_SCENARIO = Path("analysis") / "scenarios" / "baseline.yaml"


@dataclass(frozen=True)
class ReportInputs:
    package: io.DataPackage
    scenario: Scenario
    scenario_file: Path
    run: projection_run.ProjectionRun
    areas: pd.DataFrame  # baseline state per area (base year)
    systems: pd.DataFrame  # baseline state per system (base year)
    coverage_pct: float  # baseline province figures
    loss_pct: float

    @property
    def is_baseline(self) -> bool:
        return self.scenario_file.resolve() == io.resolve(BASELINE_SCENARIO).resolve() and not self.scenario.sets

    @property
    def plan(self):
        """The plan of the data package (years, targets, sections): :class:`capnuoc_model.data.plan.Plan`."""
        return self.package.plan

    def table(self, name: str) -> pd.DataFrame:
        return self.run.tables[name]

    # The base-year water balance and its uncertainty, computed once per chapter rather than once per table that
    # shows them (the loss chapter's tables asked for them twenty-six times, 1 s). Shared: read them, never change them.
    @functools.cached_property
    def balance(self) -> pd.DataFrame:
        """:func:`capnuoc_model.model.baseline.balance_state` of the package."""
        return bl.balance_state(self.package)

    @functools.cached_property
    def balance_uncertainty(self):
        """:func:`capnuoc_model.model.baseline.balance_uncertainty` of the package."""
        return bl.balance_uncertainty(self.package)


def content_key(data_dir: Path, **parts: object) -> str:
    """Content hash of the data package's files (every table, plan.yaml, the derivation's priors), the code and ``parts``."""
    content = {
        "data": [io.sha256_file(f) for f in mf.data_files(data_dir)],
        "code": mf.code_hash(),  # the one hash of the package's sources that manifests record too
        **parts,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:24]


def run_key(package: io.DataPackage, scenario: Scenario, draws: int, seed: int) -> str:
    """Content hash of everything a run depends on: data files, effective assumptions, draws, seed, code version."""
    return content_key(package.directory, scenario=scenario.fingerprint(), draws=draws, seed=seed)


def cached_run(package: io.DataPackage, scenario: Scenario, draws: int, seed: int, cache_dir: Path) -> projection_run.ProjectionRun:
    """The full run, computed once per content key and reused by every notebook and rerun."""
    path = cache_dir / f"run-{run_key(package, scenario, draws, seed)}.pkl"
    run = io.read_pickle(path)
    if isinstance(run, projection_run.ProjectionRun):
        return run
    run = projection_run.full_run(package, scenario, draws, seed)
    io.write_pickle(run, path)
    return run


def load_report_inputs(
    scenario: str | Path = BASELINE_SCENARIO,
    sets: list[str] | tuple[str, ...] = (),
    draws: int = projection.DEFAULT_DRAWS,
    seed: int = projection.DEFAULT_SEED,
    data_dir: str | Path = "data",
    cache_dir: str | Path = DEFAULT_CACHE,
) -> ReportInputs:
    """Everything the notebooks show, from the data package and one scenario (paths relative to the repository).

    Kept in the cache under a key of the data files, the code, the scenario, draws and seed: the chapters of a
    document each load it in a fraction of a second instead of reading and validating the package again.
    """
    data = io.resolve(data_dir)
    scenario_file = io.resolve(scenario)
    chosen = load_scenario(scenario_file, list(sets))
    cache = io.resolve(cache_dir)
    path = cache / f"context-{content_key(data, kind='report', scenario=chosen.fingerprint(), file=str(scenario_file), sets=list(sets), draws=int(draws), seed=int(seed))}.pkl"
    cached = io.read_pickle(path)
    if isinstance(cached, ReportInputs):
        return replace(cached, scenario=chosen, scenario_file=scenario_file)
    package = io.load_package(data)
    run = cached_run(package, chosen, int(draws), int(seed), cache)
    areas = bl.area_state(package)
    systems = bl.system_state(package)
    running = systems.dropna(subset=["production_m3_per_day"])
    context = ReportInputs(package, chosen, scenario_file, run, areas, systems,
                            bl.province_coverage_pct(areas), bl.province_loss_pct(running))
    io.write_pickle(context, path)
    return context
