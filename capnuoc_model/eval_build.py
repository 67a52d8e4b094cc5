"""``capnuoc evaluate``: reported results → evaluation tables (CSV) and the evaluation document (HTML, PDF, DOCX).

The reports are read and checked first (a bad file stops everything with
located messages, before any computing). The projection the year started with
is the plan's scenario run, cached and shared with ``capnuoc report plan``.
The document is the ``evaluation`` profile of ``_quarto.yml`` (``_quarto-evaluation.yml``), rendered by
:func:`capnuoc_model.report.build_report` (same caching, same atomic output
folder, same timings); the evaluation tables go into the same folder, under
``bang_danh_gia/``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from capnuoc_model import evaluation as ev
from capnuoc_model import io, render
from capnuoc_model.context import BASELINE_SCENARIO, DEFAULT_CACHE, cached_run
from capnuoc_model.errors import CapnuocInputError, Violation
from capnuoc_model.eval_report import BANNER
from capnuoc_model.messages import text, violation
from capnuoc_model.outputs import WORKBOOK_NAMES
from capnuoc_model.scenario import load_scenario

DOCUMENT = "evaluation"
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


def check_year(package: io.DataPackage, year: int) -> None:
    years = sorted(set(int(y) for y in package.targets_province["year"]))
    if year not in years:
        raise CapnuocInputError([violation(io.display_path(package.directory / "targets_province.csv"), None, "year",
                                           "actuals.no_targets_for_year", year=year, years=", ".join(map(str, years)))])


def book_changes(evaluation: ev.Evaluation) -> dict:
    """The example's documents say so on their first line and in their file names."""
    if not evaluation.is_illustrative:
        return {}
    from capnuoc_model.report import front_matter

    book = render.read_book(io.REPO_ROOT / "_quarto.yml", DOCUMENT)
    basename = front_matter(evaluation.plan, DOCUMENT)["basename"] if evaluation.plan is not None else book.basename
    return {"subtitle": f"{BANNER} — {book.subtitle}" if book.subtitle else BANNER, "basename": f"{basename}-minh-hoa"}


def write_tables(evaluation: ev.Evaluation, target: Path, inputs: list[Path]) -> list[Path]:
    """The evaluation's tables as CSV, and what they were computed from, in ``target``."""
    io.write_tables(evaluation.tables(), target, workbook=WORKBOOK_NAMES["evaluate"],
                    title=text("workbook.title_evaluate", year=evaluation.year))
    io.write_json({
        "year": evaluation.year,
        "actuals": evaluation.source,
        "actuals_files": [{"path": io.display_path(p), "sha256": io.sha256_file(p)} for p in inputs],
        "is_illustrative": evaluation.is_illustrative,
        "projection_scenario": evaluation.scenario_name,
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
) -> EvaluationResult:
    """Check the reports, evaluate them, write the tables and (unless ``formats`` is empty) render the document."""
    from capnuoc_model import report

    timings: list[tuple[str, float]] = []
    started = time.perf_counter()
    step(text("progress.read_actuals"))
    package = io.load_package(io.resolve(data_dir))
    actuals = actuals or package.plan.evaluation_example  # None: the package's illustrative example
    year = year or package.plan.plan_year
    path = io.resolve(actuals) if not Path(actuals).is_absolute() and not Path(actuals).exists() else Path(actuals)
    check_year(package, int(year))
    reported = io.load_actuals(path, package, int(year))
    inputs = io.actuals_files(path)
    timings.append((text("timing.read_actuals"), time.perf_counter() - started))

    started = time.perf_counter()
    step(text("progress.start_of_year"))
    run = cached_run(package, load_scenario(io.resolve(scenario), list(sets or [])), draws, seed, io.resolve(cache_dir))
    evaluation = ev.evaluate(package, reported, ev.start_of_year(run, int(year)))
    timings.append((text("timing.evaluate"), time.perf_counter() - started))

    target = Path(out) if out else default_output(path)
    written: list[Path] = []

    def extra(folder: Path) -> None:
        written.extend(target / p.relative_to(folder) for p in write_tables(evaluation, folder / TABLES_FOLDER, inputs))

    if not formats:  # the tables only; documents already in the folder stay
        started = time.perf_counter()
        with io.AtomicFolder(target / TABLES_FOLDER) as folder:
            written.extend(target / TABLES_FOLDER / p.name for p in write_tables(evaluation, folder, inputs))
        timings.append((text("timing.write_evaluation"), time.perf_counter() - started))
        return EvaluationResult(evaluation, target, written, {}, False, timings, reported.warnings)

    result = report.build_report(
        scenario, sets, draws, seed, int(year), formats=formats, out=target, data_dir=data_dir, cache_dir=cache_dir,
        step=step, use_quarto=use_quarto, renderer=renderer, document=DOCUMENT, extra_parameters={"actuals": str(path.resolve())},
        inputs=tuple(inputs), book_changes=book_changes(evaluation), write_extra=extra)
    if result.reused:
        written = sorted((target / TABLES_FOLDER).glob("*"))
    return EvaluationResult(evaluation, result.folder, written, result.outputs, result.reused, timings + result.timings.steps,
                            reported.warnings, result)


__all__ = ["build_evaluation", "EvaluationResult", "default_output", "DOCUMENT", "TABLES_FOLDER"]
