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

from capnuoc_model import baseline as bl
from capnuoc_model import fmt, io
from capnuoc_model.errors import CapnuocInputError

app = typer.Typer(
    name="capnuoc",
    help="Mô hình cấp nước đô thị tỉnh Cao Bằng: dữ liệu, dự báo và báo cáo kế hoạch năm 2026.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out_console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

DataOption = Annotated[Path, typer.Option("--data", help="Thư mục gói dữ liệu (data package).")]
EXIT_BAD_INPUT = 2


def handles_input_errors(command: Callable) -> Callable:
    """Bad input ends with the located messages on stderr and exit code 2, never a traceback."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except CapnuocInputError as error:
            for violation in error.violations:
                err_console.print(str(violation), markup=False, soft_wrap=True)
            err_console.print(f"[bold red]Lỗi dữ liệu đầu vào:[/] {error.summary}", soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None

    return wrapper


def _cell(value: object, decimals: int) -> str:
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return fmt.MISSING
    return fmt.vn(float(value), decimals)


def print_frame(frame: pd.DataFrame, title: str) -> None:
    """A Biểu as a terminal table: numbers right-aligned in Vietnamese format (% with one decimal)."""
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*[_cell(v, 1 if "%" in c else 0) for v, c in zip(row, frame.columns)])
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
    }


@app.command()
@handles_input_errors
def validate(data: DataOption = io.DEFAULT_DATA_DIR) -> None:
    """Kiểm tra gói dữ liệu: kiểu, đơn vị, khoảng giá trị, khóa, liên kết giữa các bảng, nguồn gốc số liệu."""
    package = io.load_package(data)
    rows = sum(len(frame) for frame in package.tables.values())
    out_console.print(
        f"Dữ liệu hợp lệ: {io.display_path(package.directory)} — {len(package.tables)} bảng, {fmt.vn(rows)} dòng.",
        soft_wrap=True,
    )


@app.command()
@handles_input_errors
def baseline(
    data: DataOption = io.DEFAULT_DATA_DIR,
    as_json: Annotated[bool, typer.Option("--json", help="In tài liệu JSON (máy đọc) thay cho bảng.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Ghi Biểu 01-03 và bảng tổng hợp (CSV, JSON) vào thư mục này.")] = None,
) -> None:
    """Hiện trạng năm 2025: Biểu 01 (công suất), Biểu 02 (thất thoát), Biểu 03 (bao phủ) và số liệu toàn tỉnh."""
    started = time.perf_counter()
    package = io.load_package(data)
    document = bl.baseline_document(package)
    if as_json:
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    outputs = _baseline_outputs(package)
    if out is not None:
        with io.AtomicFolder(out) as folder:
            for name, frame in outputs.items():
                io.write_csv(frame, folder / f"{name}.csv")
            io.write_json(document, folder / "baseline.json")
        out_console.print(
            f"Đã ghi {len(outputs) + 1} tệp vào {io.display_path(out)}/ ({fmt.vn(time.perf_counter() - started, 1)} giây).",
            soft_wrap=True,
        )
        return
    print_frame(outputs["bieu01_cong_suat"], "Biểu 01. Mức độ khai thác công suất các công trình cấp nước đô thị")
    print_frame(outputs["bieu02_that_thoat"], "Biểu 02. Tỷ lệ thất thoát nước sạch các công trình cấp nước đô thị")
    print_frame(outputs["bieu03_bao_phu"], "Biểu 03. Tỷ lệ dân số đô thị được sử dụng nước sạch")
    out_console.print(
        f"Toàn tỉnh năm {document['year']}: tỷ lệ bao phủ {fmt.pct(document['coverage_pct'])} "
        f"({fmt.persons(document['served_persons'])} / {fmt.persons(document['population_persons'])}); "
        f"tỷ lệ thất thoát bình quân {fmt.pct(document['loss_pct'])}.",
        soft_wrap=True,
    )


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
