"""``capnuoc evaluate``: reported results → evaluation tables (CSV) and the evaluation document (HTML, PDF, DOCX).

The reports are read and checked first (a bad file stops everything with
located messages, before any computing). The projection the year started with
is the one the plan published: read from the plan document's ``manifest.json``
when there is one, otherwise rerun with the same scenario, draws, seed and
data; it is cached and shared with ``capnuoc report plan``. The document is the
``evaluation`` profile of ``_quarto.yml`` (``_quarto-evaluation.yml``), rendered by
:func:`capnuoc_model.publish.report.build_report` (same caching, same atomic output
folder, same timings); the evaluation tables go into the same folder, under
``bang_danh_gia/``, and the folder's ``manifest.json`` says how to reproduce
them (``capnuoc reproduce``), also when only the tables are written.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from capnuoc_model.data import io
from capnuoc_model.data.errors import CapnuocInputError, Violation, violation
from capnuoc_model.data.messages import text
from capnuoc_model.data.outputs import WORKBOOK_NAMES
from capnuoc_model.evaluation import actuals_io
from capnuoc_model.evaluation import evaluation as ev
from capnuoc_model.model.scenario import load_scenario
from capnuoc_model.publish import render, report
from capnuoc_model.publish.eval_report import BANNER, data_date_of, projection_settings
from capnuoc_model.publish.report_inputs import BASELINE_SCENARIO, DEFAULT_CACHE, cached_run

DOCUMENT = report.EVALUATION
TABLES_FOLDER = "bang_danh_gia"


@dataclass(frozen=True)
class EvaluationResult:
    evaluation: ev.Evaluation
    folder: Path
    tables: list[Path]
    outputs: dict[str, Path]  # format -> document
    reused: bool
    timings: list[tuple[str, float]]
    warnings: tuple[Violation, ...] = ()  # problems in the reports that did not stop the evaluation
    rendered: object = None  # the report.ReportResult of the document (its executed chapters), if one was made


def default_output(actuals: Path | str) -> Path:
    """output/evaluation/<name of the reports>: one folder per set of reports."""
    return io.REPO_ROOT / "output" / "evaluation" / Path(actuals).stem


def published_plan_manifest(scenario: Path | str = BASELINE_SCENARIO, sets: list[str] | None = None,
                            data_dir: Path | str = "data") -> Path | None:
    """The ``manifest.json`` of the plan document ``capnuoc report plan`` publishes for this scenario, if it exists.

    The plan's output folder is named after the scenario alone, so a plan published from another data
    package (another province) or from another scenario file of the same name lands in the same folder:
    its manifest counts only when it names the same data package and the same scenario file.
    """
    from capnuoc_model.publish import report

    scenario_file = io.resolve(scenario)
    path = report.output_folder(scenario_file, list(sets or [])) / "manifest.json"
    if not path.is_file():
        return None
    try:
        arguments = json.loads(path.read_text(encoding="utf-8")).get("arguments") or {}
        same_data = Path(arguments["data"]).resolve() == io.resolve(data_dir).resolve()
        same_scenario = Path(arguments["scenario"]).resolve() == Path(scenario_file).resolve()
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return path  # a broken manifest is reported where it is read, with its location
    return path if same_data and same_scenario else None


def check_year(package: io.DataPackage, year: int) -> None:
    years = sorted(set(int(y) for y in package.targets_province["year"]))
    if year not in years:
        raise CapnuocInputError([violation(io.display_path(package.directory / "targets_province.csv"), None, "year",
                                           "actuals.no_targets_for_year", year=year, years=", ".join(map(str, years)))])


def book_changes(evaluation: ev.Evaluation) -> dict:
    """The example's documents say so on their first line, on every page and in their file names."""
    if not evaluation.is_illustrative:
        return {}
    book = render.read_book(io.REPO_ROOT / "_quarto.yml", DOCUMENT)
    basename = report.front_matter(evaluation.plan, DOCUMENT)["basename"] if evaluation.plan is not None else book.basename
    return {"basename": f"{basename}-minh-hoa", "page_mark": BANNER}


def manifest(evaluation: ev.Evaluation, arguments: dict, inputs: list[Path], tables: list[str]) -> dict:
    """How the evaluation tables were made (capnuoc reproduce reruns ``evaluate`` and compares them)."""
    from capnuoc_model.data import manifest as mf

    package_dir = Path(arguments["data"])
    scenario = load_scenario(Path(arguments["scenario"]), list(arguments.get("sets") or []))
    return mf.build("evaluate", arguments,
                    mf.data_files(package_dir) + [Path(f) for f in scenario.files] + list(inputs),
                    [f"{TABLES_FOLDER}/{name}" for name in tables if name.endswith(".csv")],
                    extra={"scenario": {"name": scenario.name, "overrides": list(scenario.sets), "fingerprint": scenario.fingerprint()},
                           "seed": arguments["seed"], "draws": arguments["draws"], "year": evaluation.year,
                           "data_date": evaluation.data_date.isoformat() if evaluation.data_date else None,
                           "projection": evaluation.projection_source_vi, "is_illustrative": evaluation.is_illustrative})


def write_tables(evaluation: ev.Evaluation, target: Path, inputs: list[Path]) -> list[Path]:
    """The evaluation's tables as CSV, and what they were computed from, in ``target``."""
    io.write_tables(evaluation.tables(), target, workbook=WORKBOOK_NAMES["evaluate"],
                    title=text("workbook.title_evaluate", year=evaluation.year))
    io.write_json({
        "year": evaluation.year,
        "data_date": evaluation.data_date.isoformat() if evaluation.data_date else None,
        "actuals": evaluation.source,
        "actuals_files": [{"path": io.display_path(p), "sha256": io.sha256_file(p)} for p in inputs],
        "is_illustrative": evaluation.is_illustrative,
        "projection_scenario": evaluation.scenario_name,
        "projection": evaluation.projection_source_vi,
        "statuses": dict(zip(evaluation.targets["target_id"], evaluation.targets["status"])),
        "tables": sorted(f"{name}.csv" for name in evaluation.tables()) + [WORKBOOK_NAMES["evaluate"]],
    }, target / "danh_gia.json")
    return sorted(target.glob("*"))


def build_evaluation(
    actuals: Path | str | None = None,
    year: int | None = None,
    scenario: Path | str = BASELINE_SCENARIO,
    sets: list[str] | None = None,
    draws: int = 10_000,
    seed: int = 20260515,
    formats: tuple[str, ...] = render.FORMATS,
    out: Path | None = None,
    data_dir: Path | str = "data",
    cache_dir: Path | str = DEFAULT_CACHE,
    step: Callable[[str], None] = lambda _: None,
    use_quarto: bool = True,
    renderer: str | None = None,
    data_date: str | dt.date | None = None,
    plan_manifest: Path | str | None = None,
    kernels=None,
) -> EvaluationResult:
    """Check the reports, evaluate them, write the tables and (unless ``formats`` is empty) render the document.

    ``plan_manifest``: the published plan's ``manifest.json``; its scenario, draws and seed replace the given ones.
    ``kernels`` execute the chapters (:class:`capnuoc_model.publish.notebook_kernels.Kernels`; None: new ones).
    """
    timings: list[tuple[str, float]] = []
    started = time.perf_counter()
    step(text("progress.read_actuals"))
    package = io.load_package(io.resolve(data_dir))
    actuals = actuals or package.plan.evaluation_example  # None: the package's illustrative example
    year = year or package.plan.plan_year
    path = io.resolve(actuals) if not Path(actuals).is_absolute() and not Path(actuals).exists() else Path(actuals)
    check_year(package, int(year))
    date = data_date_of(data_date, int(year), package.plan)
    reported = actuals_io.load_actuals(path, package, int(year))
    inputs = actuals_io.actuals_files(path)
    settings = projection_settings(scenario, sets or [], draws, seed, plan_manifest)
    timings.append((text("timing.read_actuals"), time.perf_counter() - started))

    started = time.perf_counter()
    step(text("progress.start_of_year"))
    run = cached_run(package, load_scenario(settings.scenario, settings.sets), settings.draws, settings.seed, io.resolve(cache_dir))
    evaluation = ev.evaluate(package, reported, ev.start_of_year(run, int(year), settings.source_vi), date)
    timings.append((text("timing.evaluate"), time.perf_counter() - started))

    target = Path(out) if out else default_output(path)
    arguments = {"actuals": str(path.resolve()), "year": int(year), "scenario": str(settings.scenario), "sets": settings.sets,
                 "draws": settings.draws, "seed": settings.seed, "data": str(package.directory.resolve()),
                 "data_date": date.isoformat(), "plan_manifest": str(Path(plan_manifest).resolve()) if plan_manifest else None}
    written: list[Path] = []

    def extra(folder: Path) -> None:
        names = [p.name for p in write_tables(evaluation, folder / TABLES_FOLDER, inputs)]
        written.extend(target / TABLES_FOLDER / name for name in names)
        io.write_json(manifest(evaluation, arguments, inputs, names), folder / "manifest.json")

    if not formats:  # the tables only; documents already in the folder stay
        started = time.perf_counter()
        with io.AtomicFolder(target / TABLES_FOLDER) as folder:
            names = [p.name for p in write_tables(evaluation, folder, inputs)]
            written.extend(target / TABLES_FOLDER / name for name in names)
        io.write_json(manifest(evaluation, arguments, inputs, names), target / "manifest.json")
        timings.append((text("timing.write_evaluation"), time.perf_counter() - started))
        return EvaluationResult(evaluation, target, written, {}, False, timings, reported.warnings)

    result = report.build_report(
        settings.scenario, settings.sets, settings.draws, settings.seed, int(year), formats=formats, out=target, data_dir=data_dir,
        cache_dir=cache_dir, step=step, use_quarto=use_quarto, renderer=renderer, document=DOCUMENT,
        extra_parameters={"actuals": str(path.resolve()), "data_date": date.strftime("%d/%m/%Y"),
                          "plan_manifest": str(Path(plan_manifest).resolve()) if plan_manifest else ""},
        inputs=tuple(inputs) + ((Path(plan_manifest),) if plan_manifest else ()), book_changes=book_changes(evaluation),
        write_extra=extra, kernels=kernels)
    if result.reused:
        written = sorted((target / TABLES_FOLDER).glob("*"))
    return EvaluationResult(evaluation, result.folder, written, result.outputs, result.reused, timings + result.timings.steps,
                            reported.warnings, result)


def rerun(arguments: dict, folder: Path) -> None:
    """Write the evaluation tables of a manifest's arguments again into ``folder`` (for ``capnuoc reproduce``)."""
    build_evaluation(Path(arguments["actuals"]), int(arguments["year"]), Path(arguments["scenario"]), list(arguments.get("sets") or []),
                     int(arguments["draws"]), int(arguments["seed"]), formats=(), out=folder, data_dir=Path(arguments["data"]),
                     data_date=arguments.get("data_date") and dt.date.fromisoformat(arguments["data_date"]),
                     plan_manifest=None)


__all__ = ["build_evaluation", "EvaluationResult", "default_output", "published_plan_manifest", "rerun", "DOCUMENT", "TABLES_FOLDER"]
