"""The evaluation document end to end (papermill, then HTML, PDF, DOCX) and the `evaluate` / `template` commands."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from openpyxl import load_workbook

from capnuoc_model import eval_build, render, template

from .conftest import DATA, REPO, run_cli

pytestmark = pytest.mark.integration
DRAWS = 1000
EXAMPLE = DATA / "examples" / "thuc_hien_2026_minh_hoa"
SHORT = ("Tỷ lệ dân số đô thị được cấp nước sạch", "Tỷ lệ thất thoát nước sạch bình quân", "Hiệu quả khai thác công suất",
         "Kiểm tra, công bố chất lượng nước", "Phương án cấp nước an toàn", "Thời gian cấp nước")


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, cache) -> eval_build.EvaluationResult:
    out = tmp_path_factory.mktemp("evaluation") / "vd"
    return eval_build.build_evaluation(EXAMPLE, draws=DRAWS, out=out, cache_dir=cache, use_quarto=False)


def _pdftotext(path: Path, *pages: int, layout: bool = True) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    first_last = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    mode = ["-layout"] if layout else []  # without -layout a table reads cell by cell, row by row
    return subprocess.run(["pdftotext", *mode, *first_last, str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_three_formats_and_the_tables(evaluated):
    assert set(evaluated.outputs) == {"html", "pdf", "docx"}
    for path in evaluated.outputs.values():
        assert path.exists() and path.stat().st_size > 10_000
        assert "minh-hoa" in path.name  # the example says so in its file names
    names = {p.name for p in evaluated.tables}
    assert {"chi_tieu.csv", "do_thi.csv", "cong_trinh.csv", "du_an.csv", "co_quan.csv", "nhiem_vu.csv", "phat_hien.csv",
            "sai_so_du_bao.csv", "danh_gia.json"} <= names
    assert all(p.parent == evaluated.folder / eval_build.TABLES_FOLDER for p in evaluated.tables)


def test_every_evaluation_notebook_executed_without_error(cache, evaluated):
    book = render.read_book(REPO / "_quarto.yml", "evaluation")
    executed = sorted((cache / "executed").glob("eval_*.ipynb"))
    assert len(executed) == len([n for n in book.notebooks() if n.name.startswith("eval_")])  # and the home page
    for path in executed:
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                assert output.get("output_type") != "error", (path.name, output.get("evalue"))
                assert output.get("name") != "stderr" or "Warning" not in output.get("text", ""), (path.name, output)


def test_page_one_is_the_summary_of_the_six_targets(evaluated):
    flat = re.sub(r"\s+", " ", _pdftotext(evaluated.outputs["pdf"], 1, layout=False))
    assert "SỐ LIỆU MINH HỌA — không phải kết quả thực tế" in flat
    assert "Bảng 1.1. Kết quả thực hiện sáu mục tiêu năm 2026" in flat
    assert "Mục tiêu (Mục III.3) Chỉ tiêu 2026 Năm 2025 Thực hiện 2026 Dự báo đầu năm Đánh giá" in flat
    rows = [f"{n} {label}" for n, label in enumerate(SHORT, start=1)]
    positions = [flat.index(row) for row in rows]  # every target, in order
    assert positions == sorted(positions)
    statuses = ["Không đạt", "Không đạt", "Không đạt", "Đạt", "Chưa có số liệu", "Không đạt"]
    for row, following, status in zip(rows, rows[1:] + ["Đánh giá: Đạt"], statuses):
        cells = flat[flat.index(row):flat.index(following)]
        assert f" {status} " in cells, (row, cells)
    assert "≥ 87,4 %" in flat and "15,9 %" in flat and "81,9 %" in flat
    assert "Tổng hợp kết quả thực hiện Kế hoạch" not in flat  # the first chapter starts after the table


def test_pdf_sections_and_numbers(evaluated):
    text = re.sub(r"\s+", " ", _pdftotext(evaluated.outputs["pdf"]))
    for needle in ("Đánh giá theo từng mục tiêu", "Đánh giá theo đô thị", "Đánh giá theo công trình cấp nước",
                   "Đánh giá theo dự án", "Đánh giá theo cơ quan, đơn vị", "Phương pháp và số liệu đã nhận",
                   "chưa có số liệu", "Nhà máy nước Xuân Hòa", "Dự báo đầu năm", "Sở Xây dựng", "Quảng Uyên", "12.834"):
        assert needle in text, needle
    for wrong in ("nan", "NaN", "<NA>", "None"):
        assert not re.search(rf"\b{wrong}\b", text), wrong


def test_html_is_offline_and_draws_its_charts(evaluated, tmp_path):
    html = evaluated.outputs["html"].read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=[\"']https?:", html)
    assert "SỐ LIỆU MINH HỌA" in html and 'lang="vi"' in html
    charts = len(re.findall(r'vegaEmbed\("#vis-', html))
    assert charts >= 6
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed")
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=15000", "--dump-dom", evaluated.outputs["html"].as_uri()],
        capture_output=True, text=True, timeout=180)
    assert len(re.findall(r'<svg[^>]*class="marks"', done.stdout)) == charts


def test_docx_starts_with_the_banner_and_the_summary(evaluated):
    import docx

    document = docx.Document(str(evaluated.outputs["docx"]))
    texts = [p.text for p in document.paragraphs if p.text.strip()]
    assert any("SỐ LIỆU MINH HỌA" in t for t in texts[:6])
    first = document.tables[0]
    header = [c.text for c in first.rows[0].cells]
    assert "Đánh giá" in header and "Dự báo đầu năm" in header
    statuses = {row.cells[header.index("Đánh giá")].text for row in first.rows[1:]}
    assert statuses == {"Đạt", "Không đạt", "Chưa có số liệu"}


def test_unchanged_rerun_reuses(evaluated, cache):
    again = eval_build.build_evaluation(EXAMPLE, draws=DRAWS, out=evaluated.folder, cache_dir=cache, use_quarto=False)
    assert again.reused and again.tables


def test_tables_only_keep_the_documents(evaluated, cache):
    again = eval_build.build_evaluation(EXAMPLE, draws=DRAWS, formats=(), out=evaluated.folder, cache_dir=cache)
    assert not again.outputs and {p.name for p in again.tables} >= {"chi_tieu.csv", "danh_gia.json"}
    assert all(path.exists() for path in evaluated.outputs.values())


def test_changed_reports_render_again(evaluated, cache, tmp_path):
    reports = tmp_path / "bao_cao_2026"
    shutil.copytree(EXAMPLE, reports)
    text = (reports / "system_results.csv").read_text(encoding="utf-8").replace("MINH HỌA — không phải số liệu thực tế", "")
    (reports / "system_results.csv").write_text(text.replace(",16,có,có,,", ",20,có,có,,"), encoding="utf-8")  # Bảo Lạc now 20 h
    for name in ("area_results", "project_results", "task_results"):
        path = reports / f"{name}.csv"
        path.write_text(path.read_text(encoding="utf-8").replace("MINH HỌA — không phải số liệu thực tế", ""), encoding="utf-8")
    result = eval_build.build_evaluation(reports, draws=DRAWS, formats=("html",), out=tmp_path / "out", cache_dir=cache,
                                         use_quarto=False)
    assert not result.reused and not result.evaluation.is_illustrative
    assert "minh-hoa" not in result.outputs["html"].name
    html = result.outputs["html"].read_text(encoding="utf-8")
    assert "SỐ LIỆU MINH HỌA" not in html
    hours = result.evaluation.systems.set_index("system_id").at["bao_lac", "supply_hours_per_day"]
    assert hours == 20


# ---------------------------------------------------------------------------- the commands


def test_cli_template_then_evaluate_the_workbook(tmp_path):
    workbook = tmp_path / "bao_cao_2026.xlsx"
    done = run_cli("template", "--year", "2026", "--out", str(workbook), "--from", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert "Đã ghi mẫu báo cáo năm 2026" in done.stdout
    assert load_workbook(workbook).sheetnames[0] == template.HELP_SHEET
    done = run_cli("evaluate", "--actuals", str(workbook), "--to", "none", "--draws", str(DRAWS), "--out", str(tmp_path / "ev"))
    assert done.returncode == 0, done.stderr
    assert "Không đạt" in done.stdout and "Chưa có số liệu" in done.stdout and "Đạt" in done.stdout
    assert (tmp_path / "ev" / eval_build.TABLES_FOLDER / "chi_tieu.csv").exists()
    assert "giây" in done.stdout


def test_cli_rejects_a_workbook_with_a_typo_and_an_unknown_system(tmp_path):
    workbook = tmp_path / "bao_cao_2026.xlsx"
    assert run_cli("template", "--out", str(workbook), "--from", str(EXAMPLE)).returncode == 0
    wb = load_workbook(workbook)
    ws = wb["Công trình"]
    ids = {v: j for j, v in enumerate(next(ws.iter_rows(min_row=template.ID_ROW, max_row=template.ID_ROW, values_only=True)), start=1)}
    row = next(r for r in range(template.FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, ids["system_id"]).value == "ta_lung")
    ws.cell(row, ids["production_volume"]).value = "48o"  # a letter o typed for a zero
    new = ws.max_row + 1
    ws.cell(new, ids["name_vi"]).value = "Trạm cấp nước Bản Giốc"
    ws.cell(new, ids["year"]).value = 2026
    ws.cell(new, ids["supply_hours_per_day"]).value = 24
    wb.save(workbook)
    done = run_cli("evaluate", "--actuals", str(workbook), "--to", "none", "--draws", str(DRAWS), "--out", str(tmp_path / "ev"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert f"[Công trình]:{row}:F «Sản lượng nước sản xuất»: '48o' không phải là số" in done.stderr
    assert f"[Công trình]:{new}:B «Công trình cấp nước»: không có công trình 'Trạm cấp nước Bản Giốc'" in done.stderr
    assert not (tmp_path / "ev").exists()  # nothing written


def test_cli_bad_arguments():
    assert run_cli("template", "--out", "mau.txt").returncode == 2
    done = run_cli("evaluate", "--actuals", "khong_co.xlsx", "--to", "none")
    assert done.returncode == 2 and "không tìm thấy" in done.stderr and "Traceback" not in done.stderr
    done = run_cli("evaluate", "--actuals", str(EXAMPLE), "--to", "pptx")
    assert done.returncode == 2 and "pptx" in done.stderr
    done = run_cli("report", "danh_gia")
    assert done.returncode == 2 and "evaluation" in done.stderr


def test_report_all_renders_the_plan_and_the_evaluation(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from capnuoc_model import cli, report

    calls = []

    def fake_report(*args, **kwargs):
        calls.append(("plan", kwargs.get("out")))
        return report.ReportResult({"html": tmp_path / "plan.html"}, tmp_path, False, report.Timings())

    def fake_evaluation(actuals, *args, **kwargs):
        calls.append(("evaluation", Path(actuals).name, kwargs.get("out")))
        raise SystemExit(0)

    monkeypatch.setattr(report, "build_report", fake_report)
    monkeypatch.setattr(eval_build, "build_evaluation", fake_evaluation)
    CliRunner().invoke(cli.app, ["report", "all", "--to", "html", "--out", str(tmp_path / "r")])
    assert calls == [("plan", tmp_path / "r"), ("evaluation", "thuc_hien_2026_minh_hoa", tmp_path / "r-danh-gia")]
    calls.clear()
    CliRunner().invoke(cli.app, ["report", "plan", "--to", "html"])
    assert calls == [("plan", None)]
