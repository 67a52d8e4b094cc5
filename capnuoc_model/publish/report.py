"""``capnuoc report``: execute the document's notebooks with papermill and render them (HTML, PDF, DOCX).

Steps, each timed: (1) the projection run the notebooks share is computed once
and cached by content; (2) each chapter notebook of ``_quarto.yml`` is executed
by papermill with the scenario's parameters, two at a time, and the executed
notebook is cached under a key of its source, its parameters, the data, the
assumptions and the code; (3) the executed notebooks are rendered — by real
Quarto when it is installed (``capnuoc_model.publish.quarto``: one ``quarto render`` of a
generated project holding the executed notebooks, nothing executed), otherwise
offline (``capnuoc_model.publish.render``); ``renderer`` chooses.
An unchanged rerun reuses everything and only checks hashes.

Outputs go to ``output/report/<scenario>/`` through a temporary sibling that
replaces the previous folder only when every step succeeded: a failure leaves
the previous documents as they were.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from capnuoc_model.data import io
from capnuoc_model.data import manifest as mf
from capnuoc_model.data.messages import text
from capnuoc_model.data.outputs import WORKBOOK_NAMES
from capnuoc_model.model import projection_run
from capnuoc_model.model.scenario import load_scenario
from capnuoc_model.publish import notebook_kernels, quarto, render
from capnuoc_model.publish.report_inputs import BASELINE_SCENARIO, DEFAULT_CACHE, cached_run, run_key

QUARTO_FILE = "_quarto.yml"
KERNEL = "python3"
# notebooks executed at once: one kernel per core (each is mostly CPU: start-up, imports, tables, charts), at least 2
WORKERS = min(8, max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)))
RENDERERS = ("quarto", "offline")  # `capnuoc report --renderer`
# run in each kernel before its first chapter, while the projection runs: the libraries the chapters import, vl-convert
WARM_CODE = "\n".join(["import importlib as _i"] + [f"_i.import_module({m!r})" for m in (
    "capnuoc_model.publish.report_tables", "capnuoc_model.publish.charts", "capnuoc_model.publish.narrative",
    "capnuoc_model.publish.eval_report", "capnuoc_model.publish.eval_charts")]
    + ["_i.import_module('capnuoc_model.publish.notebook_output').warm_up()", "del _i"])
NOTEBOOKS_ONLY = "none"  # execute the chapters, render nothing (what plain `quarto render` needs first)
EVALUATION = "evaluation"  # the profile of the evaluation document (_quarto-evaluation.yml); None: the plan


class ReportError(Exception):
    """A step of the report failed; the message says which notebook and cell, or which tool."""


@dataclass
class Timings:
    steps: list[tuple[str, float]] = field(default_factory=list)

    def step(self, label: str, started: float) -> None:
        self.steps.append((label, time.perf_counter() - started))


@dataclass(frozen=True)
class ReportResult:
    outputs: dict[str, Path]
    folder: Path
    reused: bool
    timings: Timings
    executed: tuple[Path, ...] = ()  # the executed chapters, in order (cache paths)
    chapters: tuple[Path, ...] = ()  # their sources
    renderer: str = "offline"


def choose_renderer(renderer: str | None = None, use_quarto: bool = True) -> tuple[str, str | None]:
    """(renderer, quarto executable): ``renderer`` if given, else Quarto when it is installed, else offline."""
    if renderer not in (None, NOTEBOOKS_ONLY, *RENDERERS):
        raise ValueError(f"unknown renderer {renderer!r}; expected one of {RENDERERS}")
    wants_quarto = renderer == "quarto" or (renderer is None and use_quarto)
    found = render.find_quarto() if wants_quarto else None
    if renderer == "quarto" and found is None:
        raise ReportError(text("report.quarto_not_found"))
    return (renderer or ("quarto" if found else "offline")), found


def _hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _code_hash() -> str:
    sources = mf.code_files() + sorted(render.TEMPLATES_DIR.glob("*"))  # templates shape the documents too
    return _hash([io.sha256_file(p) for p in sources])


def output_folder(scenario_file: Path, sets: list[str]) -> Path:
    """Baseline → output/report/baseline; other scenarios (or --set runs) get their own folder."""
    return projection_run.output_folder("report", scenario_file, sets)


def has_code(notebook: Path) -> bool:
    """Whether a notebook has a code cell (a text-only chapter needs no execution)."""
    try:
        cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return True  # let papermill report what is wrong with it
    return any(cell.get("cell_type") == "code" for cell in cells if isinstance(cell, dict))


def _never_executed(document: str | None, cache: Path) -> bool:
    """Whether a chapter with code has no executed notebook at all in the cache (any key): it will surely run, so
    the kernels may start before anything is read. Anything wrong (a broken _quarto.yml, a missing or broken
    chapter) says no: the usual order then reports it, before any kernel starts."""
    try:
        book = render.read_book(io.REPO_ROOT / QUARTO_FILE, document)
        render.check_chapters(book, io.REPO_ROOT)
        chapters = [io.resolve(n) for n in book.notebooks()]
        return any(has_code(n) and not any((cache / "executed").glob(f"{glob.escape(n.stem)}-*.ipynb")) for n in chapters)
    except Exception:  # noqa: BLE001 - only a head start
        return False


def code_size(notebook: Path) -> int:
    """How much code a chapter has (characters of its code cells): what predicts, roughly, how long it runs."""
    try:
        cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
        return sum(len("".join(cell.get("source", ""))) for cell in cells if cell.get("cell_type") == "code")
    except (OSError, ValueError, AttributeError, TypeError):
        return 0


def execute_notebook(source: Path, target: Path, parameters: dict, kernel: notebook_kernels.Kernel | None = None) -> None:
    """Execute ``source`` into ``target`` with papermill: in ``kernel`` (kept for the next chapter) or a new kernel."""
    import papermill
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    engine = {"engine_name": notebook_kernels.engine_name(), "capnuoc_kernel": kernel} if kernel is not None else {}
    try:
        papermill.execute_notebook(
            str(source), str(target), parameters=parameters, kernel_name=KERNEL, cwd=str(io.REPO_ROOT),
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],  # kernel start-up/shut-down chatter is not for the user
            **engine,
        )
    except PapermillExecutionError as error:
        raise ReportError(text("report.cell_failed", notebook=io.display_path(source), cell=error.exec_count,
                               detail=str(error.evalue).strip()[:300], executed=io.display_path(target))) from None
    except (notebook_kernels.KernelError, DeadKernelError) as error:
        raise ReportError(text("report.kernel_failed", notebook=io.display_path(source), detail=str(error)[:300])) from None


def front_matter(plan, document: str | None) -> dict:
    """Title, issuer, date and file name of a document from the data package's plan (``plan.yaml``).

    ``_quarto.yml`` gives the structure; the province, the plan's title and its year come from the data, so
    the documents of any province's package name that province. The file name keeps the one of
    ``_quarto.yml`` with its trailing year set to the plan year.
    """
    import re

    book = render.read_book(io.REPO_ROOT / QUARTO_FILE, document)
    title = f"Đánh giá kết quả thực hiện {plan.title_vi}" if document == EVALUATION else plan.title_vi
    return {"title": title, "organisation": plan.issuer_vi.upper(), "author": (plan.issuer_vi, "Sở Xây dựng"),
            "date": str(plan.plan_year), "basename": re.sub(r"\d{4}$", str(plan.plan_year), book.basename)}


def build_report(
    scenario: Path | str = BASELINE_SCENARIO,
    sets: list[str] | None = None,
    draws: int = 10_000,
    seed: int = 20260515,
    year: int | None = None,
    formats: tuple[str, ...] = render.FORMATS,
    out: Path | None = None,
    data_dir: Path | str = "data",
    cache_dir: Path | str = DEFAULT_CACHE,
    step: Callable[[str], None] = lambda _: None,
    use_quarto: bool = True,
    document: str | None = None,
    renderer: str | None = None,
    extra_parameters: dict | None = None,
    inputs: tuple[Path, ...] = (),
    book_changes: dict | None = None,
    write_extra: Callable[[Path], None] | None = None,
    kernels: notebook_kernels.Kernels | None = None,
) -> ReportResult:
    """Render the book, or ``document`` (a profile of _quarto.yml, ``_quarto-<document>.yml``, e.g. "evaluation").

    ``extra_parameters`` go to every notebook with the scenario's; the contents of ``inputs`` (files) are
    part of the cache keys; ``book_changes`` override the document's front matter; ``write_extra(folder)``
    adds files to the output folder before it replaces the previous one (it writes them while the chapters run,
    into a folder of its own, in a second thread; they then replace the folder's files of the same name). ``renderer`` is "quarto",
    "offline" or None (Quarto when installed, unless ``use_quarto`` is False); "none" executes the
    chapters and renders nothing (the result's ``executed``). ``kernels`` executes the chapters (kernels kept
    from one chapter to the next, :mod:`capnuoc_model.publish.notebook_kernels`); None: kernels for this call only.
    """
    sets = list(sets or [])
    timings = Timings()
    renderer, quarto_exe = choose_renderer(renderer, use_quarto)
    scenario_file = io.resolve(scenario)
    cache = io.resolve(cache_dir)

    started = time.perf_counter()
    step(text("progress.read_inputs"))
    if kernels is not None and _never_executed(document, cache):
        kernels.start(warm=WARM_CODE, cwd=str(io.REPO_ROOT))  # they start and import while the package is read
    package = io.load_package(io.resolve(data_dir))
    year = year or package.plan.plan_year
    chosen = load_scenario(scenario_file, sets)
    book = replace(render.read_book(io.REPO_ROOT / QUARTO_FILE, document), **front_matter(package.plan, document))
    render.check_chapters(book, io.REPO_ROOT)  # a missing or broken chapter stops here, before any computing
    render.check_templates()
    notebooks = [io.resolve(n) for n in book.notebooks()]
    is_baseline = scenario_file.resolve() == io.resolve(BASELINE_SCENARIO).resolve() and not sets
    if not is_baseline:  # label the documents of any other scenario
        book = replace(book, subtitle=f"Kịch bản: {chosen.label}", basename=f"{book.basename}-{output_folder(scenario_file, sets).name}")
    book = replace(book, **(book_changes or {}))
    target = Path(out) if out else output_folder(scenario_file, sets)
    timings.step(text("timing.read_inputs"), started)

    started = time.perf_counter()
    step(text("progress.simulate"))
    key = run_key(package, chosen, draws, seed)  # the run's content key: the chapters' keys need only this
    parameters = {"scenario": str(scenario_file), "sets": sets, "draws": draws, "seed": seed, "year": year,
                  "data_dir": str(io.resolve(data_dir)), "cache_dir": str(cache), **(extra_parameters or {})}
    code = _code_hash()
    input_hashes = [io.sha256_file(Path(p)) for p in inputs]
    executed = []
    for notebook in notebooks:
        nb_key = _hash(io.sha256_file(notebook), parameters, key, code, *([input_hashes] if inputs else []))
        executed.append(cache / "executed" / f"{notebook.stem}-{nb_key}.ipynb")
    document_key = _hash([p.name for p in executed], list(formats), book.__dict__, code, renderer)
    stamp = target / ".capnuoc-report.json"
    if renderer != NOTEBOOKS_ONLY and stamp.exists() and json.loads(stamp.read_text(encoding="utf-8")).get("key") == document_key:
        outputs = {fmt: target / name for fmt, name in json.loads(stamp.read_text(encoding="utf-8"))["outputs"].items()}
        if all(p.exists() for p in outputs.values()):
            timings.step(text("timing.unchanged"), started)
            return ReportResult(outputs, target, True, timings, tuple(executed), tuple(notebooks), renderer)
    todo = [(nb, ex) for nb, ex in zip(notebooks, executed) if not ex.exists()]
    with ExitStack() as resources:
        if any(has_code(nb) for nb, _ in todo):  # the kernels start and import while the projection runs
            if kernels is None:
                kernels = resources.enter_context(notebook_kernels.Kernels(WORKERS))
            kernels.start(warm=WARM_CODE, cwd=str(io.REPO_ROOT))
        run = cached_run(package, chosen, draws, seed, cache)
        timings.step(text("timing.simulate"), started)
        if renderer != NOTEBOOKS_ONLY:  # while the chapters run, this process writes the tables and readies rendering
            cache.mkdir(parents=True, exist_ok=True)
            staged = Path(tempfile.mkdtemp(prefix="tables-", dir=cache))
            resources.callback(shutil.rmtree, staged, ignore_errors=True)  # moved into the folder, or dropped
            side = resources.enter_context(ThreadPoolExecutor(max_workers=1, thread_name_prefix="capnuoc-side"))  # done first

            def stage() -> None:
                io.write_tables(run.tables, staged / "data", workbook=WORKBOOK_NAMES["project"],
                                title=text("workbook.title_project", scenario=chosen.name, first=package.plan.base_year,
                                           last=package.plan.horizon_year))
                if write_extra is not None:
                    (staged / "extra").mkdir()
                    write_extra(staged / "extra")

            tables = side.submit(stage)
            side.submit(render.warm_up)

        started = time.perf_counter()
        step(f"Chạy {len(todo)} notebook bằng papermill")

        def job(notebook: Path, target_nb: Path) -> Callable[[notebook_kernels.Kernel], None]:
            def run_one(kernel: notebook_kernels.Kernel) -> None:
                target_nb.parent.mkdir(parents=True, exist_ok=True)
                partial = target_nb.with_name(target_nb.stem + ".running.ipynb")
                if has_code(notebook):
                    execute_notebook(notebook, partial, parameters, kernel)
                else:  # text only (the home page): nothing to run
                    shutil.copyfile(notebook, partial)
                partial.replace(target_nb)
            return run_one

        jobs = [job(notebook, target_nb) for notebook, target_nb in todo]
        if kernels is not None:  # the longest chapters first, so that no worker waits alone for the last long one
            kernels.run(jobs, start_order=sorted(range(len(todo)), key=lambda i: -code_size(todo[i][0])))
        else:  # text-only chapters, copied: no kernel
            for run_one in jobs:
                run_one(None)
        # caption labels through the body of a document whose chapters are not numbered (notebook_output.number_captions)
        from capnuoc_model.publish import notebook_output  # altair and pandas: only when there is a document

        executed = notebook_output.number_captions(executed, cache / "numbered" / _hash([p.name for p in executed]),
                                           through=not book.number_sections)
        timings.step(f"chạy notebook ({len(todo)} mới, {len(notebooks) - len(todo)} dùng lại)", started)
        if renderer == NOTEBOOKS_ONLY:
            return ReportResult({}, target, False, timings, tuple(executed), tuple(notebooks), renderer)

        started = time.perf_counter()
        step(text("progress.render_quarto" if renderer == "quarto" else "progress.render"))
        with io.AtomicFolder(target) as folder:
            if renderer == "quarto":  # one `quarto render` of a generated project holding the executed chapters
                try:
                    outputs = quarto.render_project(quarto_exe, book, list(zip(book.chapters, executed)), folder, formats,
                                                    work=cache / "quarto" / document_key, config_file=io.REPO_ROOT / QUARTO_FILE)
                except quarto.QuartoError as error:
                    raise ReportError(str(error)) from None
            else:
                outputs = render.render_document(executed, book, folder, formats=formats,
                                                 build_dir=cache / "build" / document_key)
            outputs = {fmt: target / Path(path).name for fmt, path in outputs.items()}
            (folder / ".capnuoc-report.json").write_text(
                json.dumps({"key": document_key, "outputs": {f: p.name for f, p in outputs.items()}}), encoding="utf-8")
            # the numbers behind the document (written beside the chapters), with what it takes to reproduce them
            # (capnuoc reproduce)
            tables.result()
            shutil.move(staged / "data", folder / "data")
            io.write_json(projection_run.manifest(run, package, "report", {
                "scenario": str(scenario_file), "sets": sets, "draws": draws, "seed": seed,
                "data": str(package.directory.resolve())}), folder / "manifest.json")
            shutil.copyfile(io.REPO_ROOT / QUARTO_FILE, folder / Path(QUARTO_FILE).name)
            profile = render.profile_file(io.REPO_ROOT / QUARTO_FILE, book.profile) if book.profile else None
            if profile is not None:  # the document's own part of the configuration
                shutil.copyfile(profile, folder / profile.name)
            if write_extra is not None:  # what it wrote beside the chapters, over what is there (its manifest.json)
                for item in sorted((staged / "extra").iterdir()):
                    shutil.move(item, folder / item.name)  # a rename, or a copy when --out is on another disk
        timings.step(text("timing.render_quarto" if renderer == "quarto" else "timing.render", formats=", ".join(formats)), started)
        return ReportResult(outputs, target, False, timings, tuple(executed), tuple(notebooks), renderer)
