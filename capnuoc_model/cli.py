"""The ``capnuoc`` command line: a thin layer over the library and its I/O module."""

from __future__ import annotations

import json
import sys
import time
from functools import wraps
from pathlib import Path
from typing import Annotated, Callable

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from capnuoc_model import cli_vietnamese
from capnuoc_model.data import fmt, io
from capnuoc_model.data.errors import CapnuocInputError, Violation, violation
from capnuoc_model.data.messages import text
from capnuoc_model.data.outputs import WORKBOOK_NAMES
from capnuoc_model.evaluation import actuals_io
from capnuoc_model.model import projection, projection_run
from capnuoc_model.model import baseline as bl
from capnuoc_model.model import scenario as sc
from capnuoc_model.publish import narrative

app = typer.Typer(
    name="capnuoc",
    help="Mô hình cấp nước đô thị của một tỉnh: dữ liệu, dự báo, tài liệu kế hoạch năm và đánh giá kết quả thực hiện.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=cli_vietnamese.Group,  # help pages and usage errors in Vietnamese
    context_settings={"help_option_names": cli_vietnamese.HELP_OPTION_NAMES},
)
COMMAND = {"cls": cli_vietnamese.Command}


@app.callback()
def _options(
    version: Annotated[bool, typer.Option("--version", help=text("cli.version_option"), is_eager=True,
                                          callback=cli_vietnamese.version_callback)] = False,
) -> None:
    """Mô hình cấp nước đô thị của một tỉnh: dữ liệu, dự báo, tài liệu kế hoạch năm và đánh giá kết quả thực hiện."""
out_console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

DataOption = Annotated[Path, typer.Option("--data", metavar="THƯ_MỤC", help="Thư mục gói dữ liệu.")]
DEFAULT_SCENARIO = io.default_scenario(io.DEFAULT_DATA_DIR)
ScenarioOption = Annotated[Path | None, typer.Option(
    "--scenario", metavar="TỆP", help="Tệp kịch bản YAML (mặc định: analysis/scenarios/baseline.yaml cạnh thư mục dữ liệu).")]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", metavar="TÊN=GIÁ_TRỊ",
                 help="Thay một giả định cho lần chạy này, ví dụ uptake.final_share=0.8 (dấu chấm thập phân; lặp lại được)."),
]
DrawsOption = Annotated[int, typer.Option("--draws", min=100, max=1_000_000, metavar="SỐ",
                                          help="Số lần mô phỏng Monte Carlo, từ 100 đến 1.000.000.")]
SeedOption = Annotated[int, typer.Option("--seed", min=0, max=2**63 - 1, metavar="SỐ",
                                         help="Hạt giống ngẫu nhiên, số nguyên ≥ 0 (cùng seed, cùng kết quả).")]
EXIT_BAD_INPUT = 2
RendererOption = Annotated[str | None, typer.Option(
    "--renderer", metavar="CÔNG_CỤ", help="Công cụ dàn trang: quarto (mặc định khi máy đã cài Quarto) hoặc offline (pandoc và typst, không cần Quarto).")]


def handles_input_errors(command: Callable) -> Callable:
    """Bad input ends with the located messages on stderr and exit code 2, never a traceback."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except CapnuocInputError as error:
            for problem in error.violations:
                err_console.print(str(problem), markup=False, soft_wrap=True)
            err_console.print(f"[bold red]{text('cli.input_error')}[/] {error.summary}", soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except OSError as error:  # an output path that cannot be written (a file in the way, no permission, disk full)
            where = io.display_path(Path(error.filename)) if error.filename else "?"
            err_console.print(text("cli.cannot_write", path=where, reason=io.os_reason(error)), markup=False, soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None

    return wrapper


def _cell(value: object, decimals: int) -> str:
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return fmt.MISSING
    return fmt.vn(float(value), decimals)


def print_frame(frame: pd.DataFrame, title: str, decimals: dict[str, int] | None = None) -> None:
    """A Biểu as a terminal table: numbers right-aligned in Vietnamese format (% with one decimal unless ``decimals`` says)."""
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*[_cell(v, (decimals or {}).get(c, 1 if "%" in c else 0)) for v, c in zip(row, frame.columns)])
    out_console.print(table)


def _baseline_outputs(package: io.DataPackage) -> dict[str, pd.DataFrame]:
    areas = bl.area_state(package)
    systems = bl.system_state(package)
    return {
        "bieu01_cong_suat": bl.bieu01_utilisation(systems),
        "bieu02_that_thoat": bl.bieu02_loss(systems),
        "bieu03_bao_phu": bl.bieu03_coverage(areas),
        "areas": areas,
        "systems": systems,
        "by_operator": bl.loss_by(systems, "operator_id"),
        "by_orientation_group": bl.coverage_by(areas, "orientation_group"),
        "can_bang_nuoc_iwa": bl.balance_state(package).reset_index(),  # IWA water balance and loss indicators
        "chi_so_gia_tri_that_thoat": bl.loss_money_state(package),  # indicators with 95 % limits, bands, money
    }


@app.command(**COMMAND)
@handles_input_errors
def validate(data: DataOption = io.DEFAULT_DATA_DIR) -> None:
    """Kiểm tra gói dữ liệu: kiểu, đơn vị, khoảng giá trị, khóa, liên kết giữa các bảng, nguồn gốc số liệu."""
    package = io.load_package(data)
    # the assumptions of the package's province (beside its scenarios), else the shipped ones
    warnings = list(package.warnings) + _check_assumption_ids(package, sc.defaults_for(io.default_scenario(data)))
    for warning in warnings:
        err_console.print(str(warning), markup=False, soft_wrap=True)
    rows = sum(len(frame) for frame in package.tables.values())
    out_console.print(text("cli.valid", folder=io.display_path(package.directory), tables=len(package.tables), rows=fmt.vn(rows)),
                      soft_wrap=True)


def _check_assumption_ids(package: io.DataPackage, assumptions_file: Path) -> list:
    """The project ids the assumptions file names, against the package (errors raise; warnings are returned)."""
    from capnuoc_model.model import assumption_checks

    tree = sc.load_defaults(assumptions_file)
    return assumption_checks.check_assumptions(package, tree.assumptions, io.display_path(assumptions_file), tree.lines)


@app.command(**COMMAND)
@handles_input_errors
def baseline(
    data: DataOption = io.DEFAULT_DATA_DIR,
    as_json: Annotated[bool, typer.Option("--json", help="In tài liệu JSON (máy đọc) thay cho bảng.")] = False,
    out: Annotated[Path | None, typer.Option("--out", metavar="THƯ_MỤC",
                                             help="Ghi Biểu 01-03 và bảng tổng hợp (CSV, JSON và một bảng tính Excel) vào thư mục này.")] = None,
) -> None:
    """Hiện trạng (năm gốc của Kế hoạch): Biểu 01 (công suất), Biểu 02 (thất thoát), Biểu 03 (bao phủ) và số liệu toàn tỉnh."""
    started = time.perf_counter()
    package = io.load_package(data)
    document = bl.baseline_document(package)
    if as_json:
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    outputs = _baseline_outputs(package)
    if out is not None:
        from capnuoc_model.data import manifest as mf

        workbook = WORKBOOK_NAMES["baseline"]
        with io.AtomicFolder(out) as folder:
            io.write_tables(outputs, folder, workbook=workbook, title=text("workbook.title_baseline", province=package.plan.province_vi, year=package.plan.base_year))
            io.write_json(document, folder / "baseline.json")
            io.write_json(mf.build("baseline", {"data": str(package.directory.resolve())}, mf.data_files(package.directory),
                                   [f"{name}.csv" for name in outputs] + [workbook]), folder / mf.MANIFEST)
        out_console.print(text("cli.written", count=len(outputs) + 3, folder=io.display_path(out), workbook=workbook,
                               seconds=fmt.vn(time.perf_counter() - started, 1)), soft_wrap=True)
        return
    print_frame(outputs["bieu01_cong_suat"], "Biểu 01. Mức độ khai thác công suất các công trình cấp nước đô thị")
    print_frame(outputs["bieu02_that_thoat"], "Biểu 02. Tỷ lệ thất thoát nước sạch các công trình cấp nước đô thị")
    print_frame(outputs["bieu03_bao_phu"], "Biểu 03. Tỷ lệ dân số đô thị được sử dụng nước sạch")
    print_frame(bl.bieu_loss_money(package), "Chỉ số thất thoát theo đấu nối và giá trị nước cấp nhưng thất thu",
                bl.bieu_loss_money_decimals())
    out_console.print(
        text("cli.baseline_summary", year=document["year"], coverage=fmt.pct(document["coverage_pct"]),
             served=fmt.persons(document["served_persons"]), population=fmt.persons(document["population_persons"]),
             loss=fmt.pct(document["loss_pct"]), value=fmt.billion_vnd(document["nrw_value_billion_vnd_per_year"])),
        soft_wrap=True,
    )


def _load_scenario(scenario: Path, sets: list[str] | None, package: io.DataPackage | None = None) -> sc.Scenario:
    """The scenario, checked against the package: every project it must describe is there."""
    chosen = sc.load_scenario(scenario, sets or [])
    if package is not None:
        from capnuoc_model.model import assumption_checks

        for warning in assumption_checks.check_scenario(package, chosen):
            err_console.print(str(warning), markup=False, soft_wrap=True)
    return chosen


def _scenario_or_default(scenario: Path | None, data: Path) -> Path:
    """The scenario given, else the baseline scenario of the data package's province (``<data>/../analysis/``)."""
    return scenario if scenario is not None else io.default_scenario(data)


def _with_progress(task: Callable[[Callable[[str], None]], object]) -> object:
    """Run ``task(step)`` with a spinner and elapsed time on stderr when it is a terminal."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=not err_console.is_terminal) as progress:
        handle = progress.add_task(text("progress.read_data"), total=None)
        return task(lambda label: progress.update(handle, description=label))


@app.command("project", **COMMAND)
@handles_input_errors
def project_command(
    scenario: ScenarioOption = None,
    set_: SetOption = None,
    draws: DrawsOption = projection.DEFAULT_DRAWS,
    seed: SeedOption = projection.DEFAULT_SEED,
    out: Annotated[Path | None, typer.Option("--out", metavar="THƯ_MỤC", help="Thư mục kết quả (mặc định output/projection/<kịch bản>, "
                                                                             "thêm mã của các --set nếu có).")] = None,
    data: DataOption = io.DEFAULT_DATA_DIR,
) -> None:
    """Dự báo từ năm hiện trạng đến năm cuối của Kế hoạch cho một kịch bản: dân số, đấu nối, bao phủ, công suất, thất thoát, xác suất đạt mục tiêu."""
    started = time.perf_counter()
    scenario = _scenario_or_default(scenario, data)
    package = io.load_package(data)
    chosen = _load_scenario(scenario, set_, package)
    run = _with_progress(lambda step: projection_run.full_run(package, chosen, draws, seed, step=step))
    target = out or projection_run.output_folder("projection", scenario, set_ or [])
    workbook = WORKBOOK_NAMES["project"]
    with io.AtomicFolder(target) as folder:
        io.write_tables(run.tables, folder, workbook=workbook, title=text("workbook.title_project", scenario=chosen.name, first=package.plan.base_year,
                                                                       last=package.plan.horizon_year))
        document = projection_run.manifest(run, package)
        document["outputs"] = sorted(document["outputs"] + [workbook])
        io.write_json(document, folder / "manifest.json")
    for line in _changes_lines(chosen):
        out_console.print(line, soft_wrap=True)
    out_console.print(
        text("cli.project_written", scenario=chosen.name, count=len(run.tables) + 2, workbook=workbook,
             folder=io.display_path(target), draws=fmt.vn(draws), seconds=fmt.vn(time.perf_counter() - started, 1)),
        soft_wrap=True,
    )


def _changes_lines(chosen: sc.Scenario) -> list[str]:
    """The assumptions the scenario file and --set changed, and how their distributions followed."""
    changes = narrative.assumption_changes(chosen)
    if not changes:
        return [f"[bold]Giả định:[/] như bộ mặc định ({io.display_path(Path(chosen.files[0]))})."]
    return [f"[bold]Giả định khác bộ mặc định ({len(changes)}):[/]"] + [f"   {line}" for line in changes]


def _verdict(p_meet: float) -> str:
    colour = "green" if p_meet >= 0.6 else "red" if p_meet <= 0.4 else "yellow"
    return f"[bold {colour}]{narrative.verdict(p_meet)}[/]"


@app.command(**COMMAND)
@handles_input_errors
def check(
    scenario: ScenarioOption = None,
    set_: SetOption = None,
    draws: DrawsOption = projection.DEFAULT_DRAWS,
    seed: SeedOption = projection.DEFAULT_SEED,
    data: DataOption = io.DEFAULT_DATA_DIR,
) -> None:
    """Kết luận ngắn: hai mục tiêu chính của năm kế hoạch có đạt được không, với xác suất nào, và cần gì để đạt."""
    scenario = _scenario_or_default(scenario, data)
    package = io.load_package(data)
    chosen = _load_scenario(scenario, set_, package)
    run = _with_progress(lambda step: projection_run.full_run(package, chosen, draws, seed, with_sensitivity=False, step=step))
    for line in verdict_lines(run):
        out_console.print(line, soft_wrap=True)


def verdict_lines(run: projection_run.ProjectionRun) -> list[str]:
    """The terminal verdict, in Vietnamese; every sentence comes from capnuoc_model.publish.narrative."""
    plan = run.projection.setup.plan
    year = plan.plan_year
    row = run.tables["province"].set_index("year").loc[year]
    return [
        f"[bold]Kịch bản:[/] {run.projection.scenario.name} — {fmt.vn(run.projection.draws)} lần mô phỏng, seed {run.projection.seed}",
        *_changes_lines(run.projection.scenario),
        f"\n[bold]1. Tỷ lệ dân số đô thị được cấp nước sạch năm {year} (mục tiêu {plan.target('coverage').text()}):[/] "
        f"{_verdict(row['p_coverage_target'])}",
        "   " + narrative.coverage_outlook(run),
        "   Cần gì: " + narrative.coverage_requirement(run),
        f"\n[bold]2. Tỷ lệ thất thoát bình quân năm {year} (mục tiêu {plan.target('loss').text()}):[/] "
        f"{_verdict(row['p_loss_target'])}",
        "   " + narrative.loss_outlook(run),
        "   Cần gì: " + narrative.loss_requirement(run),
        "   Giải pháp: " + narrative.loss_measures(run),
        "   Giá trị: " + narrative.loss_value(run),
        "   " + narrative.loss_movers(run),
        f"\n[bold]3. Công suất các công trình năm {year}:[/] "
        + ("[bold red]CÓ CÔNG TRÌNH THIẾU NƯỚC[/]" if row["p_shortage"] > 0 else "[bold green]ĐỦ[/]"),
        "   " + narrative.shortage(run),
    ]


@app.command(**COMMAND)
@handles_input_errors
def compare(
    scenarios: Annotated[list[Path], typer.Argument(metavar="KỊCH_BẢN", help="Hai tệp kịch bản trở lên.")],
    draws: DrawsOption = 2_000,
    seed: SeedOption = projection.DEFAULT_SEED,
    data: DataOption = io.DEFAULT_DATA_DIR,
) -> None:
    """So sánh các kịch bản: các con số chính đặt cạnh nhau."""
    package = io.load_package(data)
    plan = package.plan
    year, last = plan.plan_year, plan.horizon_year
    loaded, problems = [], []
    for path in scenarios:  # every bad scenario file is reported, not only the first
        try:
            loaded.append(_load_scenario(path, None, package))
        except CapnuocInputError as error:
            problems += error.violations
    if problems:
        raise CapnuocInputError(problems, text("summary.scenarios", count=len({v for v in problems if v.severity == "error"}),
                                               files=len({v.file for v in problems})))
    table = Table(title=text("cli.compare_title", year=year, last=last), title_justify="left")
    table.add_column("Chỉ tiêu")
    columns = []
    for chosen in loaded:
        table.add_column(chosen.name, justify="right", overflow="fold")
        p = projection.project(package, chosen, draws, seed)
        columns.append(projection.province_table(p).set_index("year"))

    def forecast(key: str, year: int):
        return lambda c: f"{fmt.pct(c.loc[year, f'{key}_p50'])} ({fmt.spans([c.loc[year, f'{key}_p5']], [c.loc[year, f'{key}_p95']])[0]})"

    rows = [
        (f"Bao phủ {year}: trung vị ({narrative.FORECAST_RANGE})", forecast("coverage", year)),
        (f"Mục tiêu {plan.target('coverage').text()} ({year})", lambda c: narrative.verdict(c.loc[year, "p_coverage_target"])),
        (f"Thất thoát {year}: trung vị ({narrative.FORECAST_RANGE})", forecast("loss", year)),
        (f"Mục tiêu {plan.target('loss').text()} ({year})", lambda c: narrative.verdict(c.loc[year, "p_loss_target"])),
        (f"Xác suất thiếu công suất ({year})", lambda c: fmt.pct(100 * c.loc[year, "p_shortage"], 0)),
        (f"Bao phủ {last}: trung vị", lambda c: fmt.pct(c.loc[last, "coverage_p50"])),
        (f"Thất thoát {last}: trung vị", lambda c: fmt.pct(c.loc[last, "loss_p50"])),
    ]
    for label, cell in rows:
        table.add_row(label, *[cell(c) for c in columns])
    out_console.print(table)


@app.command("report", **COMMAND)
@handles_input_errors
def report_command(
    document: Annotated[str, typer.Argument(
        metavar="TÀI_LIỆU",
        help="plan (kế hoạch), evaluation (đánh giá thực hiện, từ số liệu minh họa của gói dữ liệu) hoặc all (cả hai).")] = "all",
    scenario: ScenarioOption = None,
    set_: SetOption = None,
    to: Annotated[str, typer.Option("--to", metavar="ĐỊNH_DẠNG", help="Định dạng, phân tách bằng dấu phẩy: html,pdf,docx.")] = "html,pdf,docx",
    draws: DrawsOption = projection.DEFAULT_DRAWS,
    seed: SeedOption = projection.DEFAULT_SEED,
    out: Annotated[Path | None, typer.Option("--out", metavar="THƯ_MỤC", help="Thư mục kết quả (mặc định output/report/<kịch bản>, "
                                                                             "thêm mã của các --set nếu có).")] = None,
    data: DataOption = io.DEFAULT_DATA_DIR,
    renderer: RendererOption = None,
) -> None:
    """Chạy các notebook (papermill) và dàn trang tài liệu kế hoạch (và tài liệu đánh giá) thành HTML, PDF, DOCX bằng tiếng Việt."""
    from capnuoc_model.publish import render, report

    renderer = renderer.strip().lower() if renderer else renderer  # option values are case-insensitive
    _check_renderer(renderer)
    document = document.strip().lower()  # option values are case-insensitive: PLAN, Plan, plan
    if document not in ("plan", "evaluation", "all"):
        err_console.print(text("cli.bad_document", document=document), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    formats = tuple(f.strip().lower() for f in to.split(",") if f.strip())
    unknown = [f for f in formats if f not in render.FORMATS]
    if unknown or not formats:
        err_console.print(text("cli.bad_format", given=", ".join(unknown) or to, allowed="html, pdf, docx"), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    scenario = _scenario_or_default(scenario, data)
    if document == "evaluation":  # the shipped example against the plan's own start-of-year projection
        default = io.default_scenario(data)
        _evaluate(_example_actuals(data), None, default, None, draws, seed, formats, out, data, renderer,
                  plan=_published_plan(None, default, data=data))
        return
    from capnuoc_model.publish import notebook_kernels

    with notebook_kernels.Kernels(report.WORKERS) as kernels:  # the plan's and the evaluation's chapters share kernels
        try:
            result = _with_progress(lambda step: report.build_report(
                scenario, set_, draws, seed, formats=formats, out=out, data_dir=data, step=step, renderer=renderer,
                kernels=kernels))
        except report.ReportError as error:
            err_console.print(f"[bold red]{text('cli.report_failed')}[/] {error}", soft_wrap=True, markup=False)
            err_console.print(text("cli.previous_kept"))
            raise typer.Exit(EXIT_BAD_INPUT) from None
        for label, seconds in result.timings.steps:
            out_console.print(text("cli.timing", seconds=fmt.vn(seconds, 1), step=label), soft_wrap=True)
        state = text("cli.reused" if result.reused else "cli.made")
        for fmt_name, path in result.outputs.items():
            out_console.print(text("cli.document", format=fmt_name.upper(), state=state, path=io.display_path(path)), soft_wrap=True)
        if document == "all":
            evaluation_out = None if out is None else out.with_name(out.name + "-danh-gia")
            plan = result.folder / "manifest.json"
            _evaluate(_example_actuals(data), None, io.default_scenario(data), None, draws, seed, formats, evaluation_out, data,
                      renderer, plan=plan if plan.is_file() else None, kernels=kernels)


def _check_renderer(renderer: str | None) -> None:
    """--renderer: quarto or offline; quarto only where Quarto is installed (exit 2 otherwise)."""
    from capnuoc_model.publish import render, report

    if renderer is not None and renderer not in report.RENDERERS:
        err_console.print(text("cli.bad_renderer", renderer=renderer, allowed=" hoặc ".join(report.RENDERERS)), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    if renderer == "quarto" and render.find_quarto() is None:
        err_console.print(text("report.quarto_not_found"), soft_wrap=True, markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)


# ---------------------------------------------------------------------------- annual evaluation (§VII)

YearOption = Annotated[int | None, typer.Option("--year", min=1990, max=2100, metavar="NĂM",
                                                help="Năm đánh giá, từ 1990 đến 2100 (mặc định: năm kế hoạch trong plan.yaml của gói dữ liệu).")]
STATUS_STYLE = {"Đạt": "bold green", "Không đạt": "bold red", "Chưa đủ số liệu": "bold yellow", "Chưa có số liệu": "bold yellow"}


def _example_actuals(data: Path) -> Path:
    """The illustrative reported results the data package names (``plan.yaml`` evaluation_example)."""
    plan = io.load_package(data).plan
    if plan.evaluation_example is None:
        raise CapnuocInputError([violation(io.display_path(Path(data) / "plan.yaml"), None, "evaluation_example",
                                           "plan.no_evaluation_example")])
    return plan.evaluation_example


def _published_plan(plan: Path | None, scenario: Path, sets: list[str] | None = None,
                    data: Path | str = "data") -> Path | None:
    """The plan's manifest.json the evaluation compares against: the one given, else the published plan's, if any."""
    from capnuoc_model.publish import eval_build

    if plan is not None:
        if not plan.is_file():
            raise CapnuocInputError([Violation(io.display_path(plan), None, None, "không tìm thấy tệp",
                                               "tệp manifest.json trong thư mục tài liệu Kế hoạch (capnuoc report plan)")])
        return plan
    return eval_build.published_plan_manifest(scenario, sets, data)


def _evaluate(actuals: Path, year: int | None, scenario: Path, sets: list[str] | None, draws: int, seed: int,
              formats: tuple[str, ...], out: Path | None, data: Path, renderer: str | None = None,
              data_date: str | None = None, plan: Path | None = None, kernels=None) -> None:
    """Check the reports, evaluate, write the tables and render the document; print the targets and the paths.

    ``kernels``: the kernels that execute the chapters (shared with the plan's in ``report all``); None: new ones."""
    from capnuoc_model.publish import eval_build, eval_report, report

    try:
        result = _with_progress(lambda step: eval_build.build_evaluation(
            actuals, year, scenario, sets, draws, seed, formats=formats, out=out, data_dir=data, step=step, renderer=renderer,
            data_date=data_date, plan_manifest=plan, kernels=kernels))
    except report.ReportError as error:
        err_console.print(f"[bold red]{text('cli.evaluation_failed')}[/] {error}", soft_wrap=True, markup=False)
        err_console.print(text("cli.previous_kept"))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    evaluation = result.evaluation
    year = evaluation.year
    for warning in result.warnings:
        err_console.print(str(warning), markup=False, soft_wrap=True)
    if evaluation.is_illustrative:
        out_console.print(f"[bold red]{eval_report.BANNER}[/]", soft_wrap=True)
    summary = eval_report.summary_frame(evaluation)
    table = Table(title=text("cli.evaluation_title", year=year, count=len(summary), date=f"{evaluation.data_date:%d/%m/%Y}"),
                  title_justify="left")
    header = eval_report.target_header(evaluation.plan)
    for column in (header, f"Chỉ tiêu {year}", f"Thực hiện {year}", "Số liệu", "Đánh giá"):
        table.add_column(column, overflow="fold")
    for row in summary.itertuples(index=False):
        values = dict(zip(summary.columns, row))
        state = values["Đánh giá"]
        table.add_row(values[header], values[f"Chỉ tiêu {year}"], values[f"Thực hiện {year}"], values["Số liệu"],
                      f"[{STATUS_STYLE.get(state, 'bold')}]{state}[/]")
    out_console.print(table)
    out_console.print(f"Dự báo đầu năm: {evaluation.projection_source_vi}.", soft_wrap=True)
    for label, seconds in result.timings:
        out_console.print(text("cli.timing", seconds=fmt.vn(seconds, 1), step=label), soft_wrap=True)
    out_console.print(text("cli.evaluation_tables", count=len(result.tables), workbook=WORKBOOK_NAMES["evaluate"],
                           folder=io.display_path(result.folder / eval_build.TABLES_FOLDER)), soft_wrap=True)
    state = text("cli.reused" if result.reused else "cli.made")
    for fmt_name, path in result.outputs.items():
        out_console.print(text("cli.document", format=fmt_name.upper(), state=state, path=io.display_path(path)), soft_wrap=True)


@app.command(**COMMAND)
@handles_input_errors
def evaluate(
    actuals: Annotated[Path, typer.Option("--actuals", metavar="TỆP_HOẶC_THƯ_MỤC",
                                          help="Số liệu thực hiện: thư mục các tệp CSV hoặc tệp .xlsx lập từ lệnh capnuoc template.")],
    year: YearOption = None,
    out: Annotated[Path | None, typer.Option("--out", metavar="THƯ_MỤC", help="Thư mục kết quả (mặc định output/evaluation/<tên số liệu>).")] = None,
    to: Annotated[str, typer.Option("--to", metavar="ĐỊNH_DẠNG",
                                    help="Định dạng tài liệu, phân tách bằng dấu phẩy: html,pdf,docx; none: chỉ ghi bảng (CSV và Excel).")] = "html,pdf,docx",
    scenario: Annotated[Path | None, typer.Option("--scenario", metavar="TỆP", help="Kịch bản của dự báo đầu năm (mặc định: kịch bản cơ sở analysis/scenarios/baseline.yaml cạnh thư mục dữ liệu).")] = None,
    set_: SetOption = None,
    draws: DrawsOption = projection.DEFAULT_DRAWS,
    seed: SeedOption = projection.DEFAULT_SEED,
    data: DataOption = io.DEFAULT_DATA_DIR,
    renderer: RendererOption = None,
    data_date: Annotated[str | None, typer.Option("--data-date", help="Ngày số liệu báo cáo phản ánh (dd/mm/yyyy); mặc định: hạn báo cáo trong plan.yaml của năm đánh giá.")] = None,
    plan: Annotated[Path | None, typer.Option("--plan", help="Tệp manifest.json của tài liệu Kế hoạch đã công bố: dự báo đầu năm lấy đúng kịch bản, số lần mô phỏng, hạt giống của nó (mặc định: tài liệu Kế hoạch trong output/report, nếu có).")] = None,
) -> None:
    """Đánh giá kết quả thực hiện năm: số liệu các đơn vị báo cáo so với mọi mục tiêu, chỉ tiêu và dự báo đầu năm; ghi bảng CSV và tài liệu HTML, PDF, DOCX."""
    from capnuoc_model.publish import render

    renderer = renderer.strip().lower() if renderer else renderer  # option values are case-insensitive
    _check_renderer(renderer)
    formats = () if to.strip().lower() == "none" else tuple(f.strip().lower() for f in to.split(",") if f.strip())
    unknown = [f for f in formats if f not in render.FORMATS]
    if unknown or (not formats and to.strip().lower() != "none"):
        err_console.print(text("cli.bad_format", given=", ".join(unknown) or to, allowed="html, pdf, docx, none"), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    scenario = _scenario_or_default(scenario, data)
    _evaluate(actuals.absolute(), year, scenario, set_, draws, seed, formats, out, data, renderer, data_date,
              _published_plan(plan, scenario, set_, data))


@app.command("template", **COMMAND)
@handles_input_errors
def template_command(
    out: Annotated[Path, typer.Option("--out", metavar="TỆP", help="Tệp Excel sẽ ghi (.xlsx).")],
    year: YearOption = None,
    from_: Annotated[Path | None, typer.Option("--from", metavar="TỆP_HOẶC_THƯ_MỤC",
                                               help="Điền sẵn số liệu đã có (thư mục CSV hoặc tệp .xlsx), để sửa hoặc bổ sung.")] = None,
    data: DataOption = io.DEFAULT_DATA_DIR,
) -> None:
    """Mẫu báo cáo Excel cho các đơn vị điền số liệu thực hiện năm: mỗi bảng một trang, tiêu đề tiếng Việt, danh sách chọn, trang hướng dẫn."""
    from capnuoc_model.evaluation import template
    from capnuoc_model.publish import eval_build

    if out.suffix.lower() != ".xlsx":
        raise CapnuocInputError([violation(io.display_path(out), None, None, "cli.not_xlsx_name")])
    package = io.load_package(data)
    year = year or package.plan.plan_year
    eval_build.check_year(package, year)
    filled = actuals_io.load_actuals(from_, package, year) if from_ is not None else None
    for warning in (filled.warnings if filled is not None else ()):
        err_console.print(str(warning), markup=False, soft_wrap=True)
    io.write_workbook(template.build_workbook(package, year, filled), out)
    out_console.print(text("cli.template_written", year=year, path=io.display_path(out), areas=len(package.urban_areas),
                           systems=len(package.systems), projects=len(package.projects), tasks=len(package.agency_tasks),
                           filled=text("cli.template_filled", path=io.display_path(from_)) if from_ is not None else ""),
                      soft_wrap=True)


def rerun(command: str, arguments: dict, folder: Path) -> None:
    """Run a manifest's command again, writing its CSV outputs into ``folder`` (for ``reproduce``)."""
    package = io.load_package(Path(arguments["data"]))
    folder.mkdir(parents=True, exist_ok=True)
    if command == "baseline":
        io.write_tables(_baseline_outputs(package), folder)
        return
    if command == "evaluate":
        from capnuoc_model.publish import eval_build

        eval_build.rerun(arguments, folder)
        return
    if command in ("project", "report"):
        chosen = sc.load_scenario(Path(arguments["scenario"]), arguments.get("sets") or [])
        run = projection_run.full_run(package, chosen, int(arguments["draws"]), int(arguments["seed"]))
        io.write_tables(run.tables, folder / "data" if command == "report" else folder)
        return
    from capnuoc_model.data.manifest import RERUN_COMMANDS

    raise CapnuocInputError([violation("manifest.json", None, "command", "manifest.unknown_command", command=command,
                                       commands=", ".join(RERUN_COMMANDS))])


@app.command(**COMMAND)
@handles_input_errors
def reproduce(manifest: Annotated[Path, typer.Argument(metavar="MANIFEST", help="Tệp manifest.json của một thư mục kết quả.")]) -> None:
    """Chạy lại một kết quả đã công bố từ manifest.json và xác nhận các con số giống hệt, hoặc chỉ ra chỗ khác và lý do."""
    from capnuoc_model.data import manifest as mf

    comparison = _with_progress(lambda step: (step(text("progress.reproduce")), mf.reproduce(manifest, rerun))[1])
    if not comparison.different:
        out_console.print(f"[bold green]{text('cli.reproduced')}[/] " + text("cli.reproduced_detail", count=len(comparison.identical)),
                          soft_wrap=True)
        return
    out_console.print(f"[bold red]{text('cli.not_reproduced')}[/] " + text("cli.not_reproduced_detail", different=len(comparison.different),
                                                                           identical=len(comparison.identical)), soft_wrap=True)
    for line in comparison.different:
        out_console.print(f"  {line}", markup=False, soft_wrap=True)
    out_console.print(text("cli.reasons" if comparison.reasons else "cli.no_reason"))
    for line in comparison.reasons:
        out_console.print(f"  {line}", markup=False, soft_wrap=True)
    raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
