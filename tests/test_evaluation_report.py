"""The evaluation document end to end (papermill, then HTML, PDF, DOCX) and the `evaluate` / `template` commands."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from openpyxl import load_workbook

from capnuoc_model.publish import eval_build, render

from capnuoc_model.evaluation import template

from .conftest import DATA, REPO, examples, run_cli

pytestmark = pytest.mark.integration
DRAWS = 1000
EXAMPLE = DATA / "examples" / "thuc_hien_2026_minh_hoa"
SHORT = ("Tỷ lệ dân số đô thị được cấp nước sạch", "Tỷ lệ thất thoát nước sạch bình quân", "Hiệu quả khai thác công suất",
         "Kiểm tra, công bố chất lượng nước", "Phương án cấp nước an toàn", "Thời gian cấp nước")


@pytest.fixture(scope="module")
def cache(documents_cache) -> Path:
    return documents_cache  # the session's (conftest.py): the evaluation is rendered once for every test module


@pytest.fixture(scope="module")
def evaluated(evaluation_document) -> eval_build.EvaluationResult:
    return evaluation_document


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


def _page_one_table(pdf) -> list[list[str]]:
    """The largest table of page one, read by its cells (pdfplumber), each cell's lines joined."""
    import pdfplumber

    with pdfplumber.open(pdf) as document:
        table = max(document.pages[0].extract_tables(), key=len)
    return [[re.sub(r"\s+", " ", c or "").replace("– ", "–") for c in row] for row in table]


def test_page_one_is_the_summary_of_the_six_targets(evaluated):
    flat = re.sub(r"– ", "–", re.sub(r"\s+", " ", _pdftotext(evaluated.outputs["pdf"], 1, layout=False)))  # a range may wrap after its dash
    assert "SỐ LIỆU MINH HỌA — không phải kết quả thực tế" in flat
    assert "Bảng 1.1. Kết quả thực hiện 6 mục tiêu năm 2026" in flat
    cells = _page_one_table(evaluated.outputs["pdf"])  # the header cells wrap inside their columns
    assert cells[0][:8] == ["TT", "Mục tiêu (Mục III.3)", "Chỉ tiêu 2026", "Năm 2025", "Thực hiện 2026", "Số liệu",
                            "Dự báo đầu năm", "Đánh giá"]
    statuses = ["Không đạt", "Không đạt", "Không đạt", "Đạt", "Chưa đủ số liệu", "Không đạt"]
    assert [row[:2] for row in cells[1:]] == [[str(n), label] for n, label in enumerate(SHORT, start=1)]  # every target, in order
    assert [row[7] for row in cells[1:]] == statuses
    assert "≥ 87,4 %" in flat and "15,6–16,0 %" in flat and "81,9 %" in flat and "3/4 đơn vị báo cáo" in flat
    assert "Cách đánh giá: Phụ lục." in flat  # the note ends on page one: no page left nearly blank after it
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
    assert any("SỐ LIỆU MINH HỌA" in t for t in texts[:10])  # after the title block and the home page
    assert any("SỐ LIỆU MINH HỌA" in p.text for p in document.sections[0].first_page_header.paragraphs)
    first = document.tables[0]
    header = [c.text for c in first.rows[0].cells]
    assert "Đánh giá" in header and "Dự báo đầu năm" in header
    statuses = {row.cells[header.index("Đánh giá")].text for row in first.rows[1:]}
    assert statuses == {"Đạt", "Không đạt", "Chưa đủ số liệu"}


def test_unchanged_rerun_reuses(evaluated, cache):
    again = eval_build.build_evaluation(EXAMPLE, draws=DRAWS, out=evaluated.folder, cache_dir=cache, use_quarto=False)
    assert again.reused and again.tables


def test_tables_only_keep_the_documents(evaluated, cache):
    again = eval_build.build_evaluation(EXAMPLE, draws=DRAWS, formats=(), out=evaluated.folder, cache_dir=cache)
    assert not again.outputs and {p.name for p in again.tables} >= {"chi_tieu.csv", "danh_gia.json"}
    assert all(path.exists() for path in evaluated.outputs.values())


def test_tables_only_write_a_manifest_that_reproduces_them(cache, tmp_path):
    """Issue 11.9: `evaluate --to none` writes manifest.json like every other output folder; `reproduce` confirms it."""
    import json

    out = tmp_path / "chi_bang"
    done = run_cli("evaluate", "--actuals", str(EXAMPLE), "--to", "none", "--draws", str(DRAWS), "--out", str(out), "--plan",
                   str(_plan_manifest(tmp_path)))
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "evaluate" and manifest["draws"] == DRAWS and manifest["data_date"] == "2026-11-15"
    assert f"{eval_build.TABLES_FOLDER}/chi_tieu.csv" in manifest["outputs"]
    assert any(record["path"].endswith("area_results.csv") for record in manifest["inputs"])
    again = run_cli("reproduce", str(out / "manifest.json"))
    assert again.returncode == 0 and "Tái lập được" in again.stdout, again.stdout + again.stderr


def _plan_manifest(tmp_path: Path) -> Path:
    """A published plan's manifest with the test's draws (the evaluation takes its projection settings from it)."""
    import json

    path = tmp_path / "ke_hoach" / "manifest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"command": "report", "arguments": {
        "scenario": str(REPO / "analysis" / "scenarios" / "baseline.yaml"), "sets": [], "draws": DRAWS, "seed": 20260515,
        "data": str(DATA)}, "inputs": []}), encoding="utf-8")
    return path


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
    assert "Không đạt" in done.stdout and "Chưa đủ số liệu" in done.stdout and "Đạt" in done.stdout
    assert "3/4 đơn vị báo cáo" in done.stdout and "Dự báo đầu năm:" in done.stdout
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


def test_cli_bad_data_date():
    done = run_cli("evaluate", "--actuals", str(EXAMPLE), "--to", "none", "--data-date", "15/11/2025")
    assert done.returncode == 2 and "Traceback" not in done.stderr and "không thuộc năm 2026" in done.stderr


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

    from capnuoc_model import cli

    from capnuoc_model.publish import report

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


# ---------------------------------------------------------------------------- issue 11: the document


def test_every_pdf_page_says_the_data_are_illustrative(evaluated):
    """Issue 11.14: a page taken out of the document still says so (the header of every page)."""
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(evaluated.outputs["pdf"])], capture_output=True,
                                                              text=True).stdout).group(1))
    assert pages > 10
    for page in range(1, pages + 1):
        assert "SỐ LIỆU MINH HỌA — không phải kết quả thực tế" in _pdftotext(evaluated.outputs["pdf"], page), page


def test_every_docx_header_and_the_html_banner_say_so(evaluated):
    import docx

    document = docx.Document(str(evaluated.outputs["docx"]))
    for section in document.sections:
        for header in (section.header, section.first_page_header):
            assert any("SỐ LIỆU MINH HỌA" in p.text for p in header.paragraphs)
    html = evaluated.outputs["html"].read_text(encoding="utf-8")
    body = html[html.index("<body"):]
    first = re.search(r"<(div|header|nav|section|h1)[^>]*>", body[body.index(">") + 1:])
    assert first and 'class="page-mark"' in first.group(0) and "position: sticky" in first.group(0)


def _visible_text(html: str) -> str:
    html = re.sub(r"(?s)<(script|style)[^>]*>.*?</\1>", " ", html)
    html = re.sub(r"(?s)<[^>]+>", " ", html)
    import html as html_module

    return html_module.unescape(html)


RAW = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b|capnuoc|\bdata/|\.csv\b|analysis/|viết tay")


def test_no_raw_identifiers_in_the_documents(evaluated):
    """Issue 11.16: no file, folder, table or tool names, no ids, no "không viết tay" (in every format)."""
    import docx

    texts = {"pdf": _pdftotext(evaluated.outputs["pdf"], layout=False),
             "html": _visible_text(evaluated.outputs["html"].read_text(encoding="utf-8"))}
    document = docx.Document(str(evaluated.outputs["docx"]))
    texts["docx"] = "\n".join([p.text for p in document.paragraphs]
                              + [c.text for t in document.tables for r in t.rows for c in r.cells])
    for fmt_name, text in texts.items():
        found = sorted(set(RAW.findall(text)))
        assert not found, (fmt_name, found)


def test_numbers_never_wrap_away_from_their_units(evaluated):
    """Issue 11.17: '81,9 %' is written with a non-breaking space in every table and sentence."""
    text = _visible_text(evaluated.outputs["html"].read_text(encoding="utf-8"))
    loose = re.findall(r"\d [%]|\d (?:người|giờ)\b|[≥≤] \d", text)
    assert not loose, loose[:10]
    assert "81,9\u00a0%" in text


def test_html_shows_the_six_targets_first(evaluated, tmp_path):
    """Issue 11.17: printed by a browser with the document's own CSS, page one holds the six-target table, not the contents."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed")
    pdf = tmp_path / "html.pdf"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={tmp_path / 'p'}",
                    "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=15000", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", evaluated.outputs["html"].as_uri()], capture_output=True, timeout=180)
    first = re.sub(r"\s+", " ", _pdftotext(pdf, 1, layout=False))
    assert "Kết quả thực hiện 6 mục tiêu năm 2026" in first and "SỐ LIỆU MINH HỌA" in first
    assert "Mục lục" not in first


def test_status_colours_follow_the_status():
    """Issue 11.15: the achieved bar takes its status colour (15,9 % "Không đạt" is red, not green)."""
    import pandas as pd

    from capnuoc_model.evaluation import evaluation as ev
    from capnuoc_model.publish import eval_charts as ec

    for status in (ev.MET, ev.NOT_MET, ev.INSUFFICIENT):
        frame = pd.DataFrame([
            {"indicator": "Thất thoát (%)", "series": "Năm 2025", "value": 17.9, "status": None, "low": None, "high": None, "top": 17.9, "target": 15.0, "text": "17,9"},
            {"indicator": "Thất thoát (%)", "series": "Thực hiện 2026", "value": 15.9, "status": status, "low": None, "high": None, "top": 15.9, "target": 15.0, "text": "15,9"},
            {"indicator": "Thất thoát (%)", "series": "Mục tiêu", "value": 15.0, "status": None, "low": None, "high": None, "top": 15.0, "target": 15.0, "text": "15,0"}])
        spec = ec.indicators(frame).to_dict()
        bars = spec["hconcat"][0]["layer"][0]["encoding"]["color"]["scale"]
        assert bars["range"][bars["domain"].index("Thực hiện|2026") if "Thực hiện|2026" in bars["domain"] else 1] == ec.STATUS_COLOURS[status]


def test_value_labels_never_sit_on_the_target_line():
    """Issue 11.15: wherever the target line falls, no value label's band crosses it."""
    import numpy as np
    import pandas as pd
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from capnuoc_model.publish import eval_charts as ec

    @settings(max_examples=examples(300), deadline=None)
    @given(values=st.lists(st.floats(0.5, 100), min_size=2, max_size=4), target=st.floats(0.5, 100),
           ranged=st.one_of(st.none(), st.tuples(st.floats(0.5, 100), st.floats(0, 10))))
    def check(values, target, ranged):
        rows = [{"value": v, "top": v, "low": np.nan} for v in values]
        if ranged:
            low, width = ranged
            rows.append({"value": np.nan, "top": low + width, "low": low})
        data = pd.DataFrame(rows)
        ceiling = max(float(np.nanmax(data[["top", "value"]].to_numpy(dtype=float))), target) * 1.12
        per_unit = ec.HEIGHT / ceiling
        ys, dys = ec.label_positions(data, target, ceiling)
        for y, dy in zip(ys, dys):
            centre = y * per_unit - dy  # px above the axis (dy positive moves down)
            assert abs(centre - target * per_unit) >= ec.CLEAR_PX - 1e-9, (y, dy, target)

    check()


def test_missing_rows_say_so_in_their_label_not_over_the_markers():
    import pandas as pd

    from capnuoc_model.publish import eval_charts as ec

    frame = pd.DataFrame({"name_vi": ["Trạm A", "Trạm B"], "actual": [14.0, None], "baseline": [15.0, 13.0],
                          "projected": [14.5, 13.9], "status": ["Đạt", "Chưa có số liệu"], "loss_class": ["Thấp", None]})
    spec = ec.systems(frame, 15.0).to_dict()
    assert not any(layer.get("mark", {}).get("type") == "text" if isinstance(layer.get("mark"), dict) else layer.get("mark") == "text"
                   for layer in spec["layer"])
    assert any("Trạm B (chưa có số liệu)" in str(v) for v in spec["datasets"].values())


@pytest.fixture(scope="module")
def two_of_fourteen(tmp_path_factory, cache) -> eval_build.EvaluationResult:
    """The example with only Sông Bằng and Tân An reporting their systems (12,5 % loss between them)."""
    folder = tmp_path_factory.mktemp("two") / "bao_cao_2_cong_trinh"
    shutil.copytree(EXAMPLE, folder)
    lines = (folder / "system_results.csv").read_text(encoding="utf-8").splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if line.startswith(("song_bang,", "tan_an,"))]
    (folder / "system_results.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    return eval_build.build_evaluation(folder, draws=DRAWS, formats=("pdf",), out=tmp_path_factory.mktemp("two_out") / "vd",
                                       cache_dir=cache, use_quarto=False)


def test_page_one_with_two_of_fourteen_systems(two_of_fourteen):
    """Issue 11.1: the loss is not "Đạt" at 12,5 % over 2 of 14 systems; page one says what could be and who must report."""
    row = " ".join(next(r for r in _page_one_table(two_of_fourteen.outputs["pdf"]) if r[1].startswith("Tỷ lệ thất thoát"))) + " "
    assert "Chưa đủ số liệu" in row and "2/14 công trình báo cáo" in row and re.search(r"\d,\d–\d+,\d %", row), row
    assert "12,5 %" not in row and " Đạt " not in row, row
    loss = two_of_fourteen.evaluation.targets.set_index("target_id").loc["loss"]
    assert loss["pending_ids"].split(";")[0] == "xuan_hoa"
    if shutil.which("pdftoppm"):  # page one as an image, to look at (kept in the test's temporary folder)
        subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "1", str(two_of_fourteen.outputs["pdf"]),
                        str(two_of_fourteen.folder / "trang1")], check=True)
