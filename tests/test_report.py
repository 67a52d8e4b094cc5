"""The plan document end to end: papermill, then HTML, PDF and DOCX, checked as a reader would."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from capnuoc_model.publish import report

from .conftest import REPO

pytestmark = pytest.mark.integration
DRAWS = 1000


@pytest.fixture(scope="module")
def cache(documents_cache) -> Path:
    return documents_cache  # the session's (conftest.py): the plan is rendered once for every test module


@pytest.fixture(scope="module")
def plan(plan_document) -> report.ReportResult:
    return plan_document


def test_three_formats(plan):
    assert set(plan.outputs) == {"html", "pdf", "docx"}
    for path in plan.outputs.values():
        assert path.exists() and path.stat().st_size > 10_000


def test_every_notebook_executed_without_error(cache, plan):
    executed = plan.executed  # this document's chapters (the session's cache holds the other documents' too)
    assert len(executed) == len(report.render.read_book(REPO / "_quarto.yml").notebooks())
    for path in executed:
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                assert output.get("output_type") != "error", (path.name, output.get("evalue"))
                assert output.get("name") != "stderr" or "Warning" not in output.get("text", ""), (path.name, output)


@pytest.fixture(scope="module")
def pdf_text(plan) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", str(plan.outputs["pdf"]), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("needle", [
    "Căn cứ xây dựng kế hoạch", "Đánh giá hiện trạng cấp nước đô thị", "Quan điểm, mục tiêu", "Định hướng triển khai", "Năm 2026 không đặt mục tiêu tái cấu trúc",
    "Giải pháp chủ yếu", "Danh mục dự án thực hiện năm 2026", "Tổ chức thực hiện",
    "Biểu 01", "Biểu 02", "Biểu 03", "Biểu 04", "87,4 %", "17,9 %", "81,9 %", "72,5 %", "140.429", "108,159 tỷ đồng",
    "Nhà máy nước Xuân Hòa", "Trạm cấp nước tổ 13 Trùng Khánh", "Chưa có dịch vụ", "Vượt công suất",
])
def test_pdf_text(pdf_text, needle):
    # the plan's own section titles are printed as the plan writes them, in capitals ("I. CĂN CỨ XÂY DỰNG KẾ HOẠCH")
    assert needle.casefold() in pdf_text.casefold()


def test_pdf_has_no_unformatted_numbers(pdf_text):
    # the 2025 totals printed the English way (140,429 / 140429 people) would be a formatting bug
    for wrong in ("140,429", "140429", "115,011", "115011", "17.9 %", "81.9 %"):
        assert wrong not in pdf_text


def test_html_is_offline(plan):
    html = plan.outputs["html"].read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=[\"']https?:", html)
    assert not re.search(r"<link[^>]+href=[\"']https?:", html)
    assert "vegaEmbed" in html and 'lang="vi"' in html


def test_html_draws_every_chart_offline(plan, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed")
    html = plan.outputs["html"].read_text(encoding="utf-8")
    charts = len(re.findall(r'vegaEmbed\("#vis-', html))
    assert charts >= 8
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=15000", "--dump-dom", plan.outputs["html"].as_uri()],
        capture_output=True, text=True, timeout=180,
    )
    dom = done.stdout
    assert len(re.findall(r'<svg[^>]*class="marks"', dom)) == charts
    console_errors = [line for line in done.stderr.splitlines() if "CONSOLE" in line and ("Error" in line or "error" in line)]
    assert not console_errors, console_errors[:5]
    assert "ERR_NAME_NOT_RESOLVED" not in done.stderr  # nothing tried to reach the network


def test_docx_layout(plan):
    import docx
    from docx.shared import Mm

    document = docx.Document(str(plan.outputs["docx"]))
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    assert abs(section.top_margin - Mm(20)) <= Mm(5) and abs(section.bottom_margin - Mm(20)) <= Mm(5)
    assert Mm(30) - Mm(0.5) <= section.left_margin <= Mm(35) + Mm(0.5)
    assert Mm(15) - Mm(0.5) <= section.right_margin <= Mm(20) + Mm(0.5)
    body = document.styles["Body Text"] if "Body Text" in [s.name for s in document.styles] else document.styles["Normal"]
    assert body.font.name == "Times New Roman"
    assert body.font.size.pt in (13, 14)
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Biểu 01" in text or any("Biểu 01" in c.text for t in document.tables for r in t.rows for c in r.cells)


def test_unchanged_rerun_reuses(plan, cache):
    # built again first: tests run before this one may have changed what the session's document was built from
    first = report.build_report(draws=DRAWS, out=plan.folder, cache_dir=cache, use_quarto=False)
    again = report.build_report(draws=DRAWS, out=first.folder, cache_dir=cache, use_quarto=False)
    assert again.reused
    assert sum(seconds for _, seconds in again.timings.steps) < 10


def test_other_scenario_is_labelled_and_separate(tmp_path, cache):
    result = report.build_report(REPO / "analysis" / "scenarios" / "projects_slip.yaml", draws=DRAWS,
                                 formats=("html",), cache_dir=cache, out=tmp_path / "slip", use_quarto=False)
    html = result.outputs["html"].read_text(encoding="utf-8")
    assert "Kịch bản: Dự án chậm tiến độ" in html
    assert "projects_slip" in result.outputs["html"].name
    assert report.output_folder(REPO / "analysis" / "scenarios" / "projects_slip.yaml", []).name == "projects_slip"


def test_failed_notebook_keeps_previous_outputs(tmp_path, cache, monkeypatch):
    broken = tmp_path / "99_broken.ipynb"
    notebook = nbformat.read(REPO / "notebooks" / "04_du_an.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('hỏng có chủ ý')"))
    nbformat.write(notebook, broken)
    quarto = tmp_path / "_quarto.yml"
    quarto.write_text(
        "book:\n  title: Thử lỗi\n  chapters:\n    - notebooks/01_hien_trang.ipynb\n    - " + str(broken) + "\n", encoding="utf-8")
    monkeypatch.setattr(report, "QUARTO_FILE", str(quarto))
    out = tmp_path / "out"
    out.mkdir()
    (out / "previous.html").write_text("bản cũ", encoding="utf-8")
    with pytest.raises(report.ReportError) as info:
        report.build_report(draws=DRAWS, out=out, cache_dir=cache, formats=("html",), use_quarto=False)
    message = str(info.value)
    assert "99_broken.ipynb" in message and "ô lệnh số" in message and "hỏng có chủ ý" in message
    assert "RuntimeError" not in message  # the exception's text, not its Python name
    assert (out / "previous.html").read_text(encoding="utf-8") == "bản cũ"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []
    assert list(cache.glob("tables-*")) == []  # the tables written beside the chapters are dropped too


def test_cli_report_prints_paths_and_timings(tmp_path):
    from .conftest import run_cli

    done = run_cli("report", "plan", "--to", "html", "--draws", str(DRAWS), "--out", str(tmp_path / "r"))
    assert done.returncode == 0, done.stderr
    assert "HTML" in done.stdout and str(tmp_path / "r") in done.stdout and "giây" in done.stdout


def test_cli_report_bad_format():
    from .conftest import run_cli

    done = run_cli("report", "--to", "pptx")
    assert done.returncode == 2 and "pptx" in done.stderr and "Traceback" not in done.stderr
