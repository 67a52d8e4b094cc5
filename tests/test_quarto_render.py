"""capnuoc's Quarto orchestration, against a test double of the `quarto` executable (tests/quarto_double.py).

What is tested is ours: Quarto is chosen when it is on PATH (or asked for), it is run once for all
formats on a generated project holding the notebooks papermill executed, nothing is executed by it,
its failure keeps the previous outputs and shows its message, and the clone stays clean. Quarto
itself is tested in test_quarto_real.py, where it is installed.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from capnuoc_model.publish import quarto, render, report

from . import quarto_double
from .conftest import REPO

pytestmark = pytest.mark.integration
DRAWS = 100
PARAMETERS = """# Parameters (papermill)
scenario = "analysis/scenarios/baseline.yaml"
sets = []
draws = 100
seed = 1
year = 2026
data_dir = "data"
cache_dir = "output/.cache"
"""


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """One cache for the module: the chapter is executed once, each test renders."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture()
def project(project_root, monkeypatch) -> Path:
    monkeypatch.setattr(report, "QUARTO_FILE", str(project_root / "_quarto.yml"))
    return project_root


@pytest.fixture(scope="module")
def project_root(tmp_path_factory) -> Path:
    """A small book with the repository's layout: _quarto.yml, a profile, a home page and one chapter with code."""
    root = tmp_path_factory.mktemp("project")
    (root / "notebooks").mkdir(parents=True)
    (root / "report" / "templates").mkdir(parents=True)
    (root / "report" / "templates" / "typst-fonts.typ").write_text('#set text(font: ("DejaVu Serif",))\n', encoding="utf-8")
    (root / "_quarto.yml").write_text("""
project:
  type: book
  pre-render: report/quarto/pre_render.py
profile:
  default: thu
book:
  author: ["Ủy ban nhân dân tỉnh Cao Bằng", "Sở Xây dựng"]
  date: "2026"
lang: vi
number-sections: true
number-depth: 1
execute: {enabled: false, echo: false}
capnuoc: {organisation: "UBND TỈNH CAO BẰNG"}
format:
  html: {toc: true, include-in-header: output/quarto/vega-header.html}
  typst: {toc: true, include-in-header: report/templates/typst-fonts.typ}
  docx: {toc: true}
""", encoding="utf-8")
    (root / "_quarto-thu.yml").write_text(f"""
book:
  title: "Tài liệu thử"
  output-file: tai-lieu-thu
  chapters:  # absolute: capnuoc resolves chapters from the repository root
    - {root / "index.ipynb"}
    - part: "Phần một"
      chapters: [{root / "notebooks" / "a.ipynb"}]
""", encoding="utf-8")
    home = new_notebook(cells=[new_markdown_cell("# Lời nói đầu {.unnumbered}\n\nTài liệu thử.")])
    chapter = new_notebook(cells=[
        new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
        new_markdown_cell("# Chương thử"),
        new_code_cell('print("DEBUG-STREAM")\nfrom IPython.display import Markdown, display\n'
                      'display(Markdown("Tỷ lệ thất thoát 17,9 %"))'),
    ])
    for notebook, path in ((home, root / "index.ipynb"), (chapter, root / "notebooks" / "a.ipynb")):
        notebook.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
        nbformat.write(notebook, path)
    return root


@pytest.fixture()
def double(tmp_path, monkeypatch) -> Path:
    quarto_double.on_path(monkeypatch, tmp_path / "bin", tmp_path / "quarto.log")
    return tmp_path / "quarto.log"


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO, capture_output=True,
                          text=True, check=True).stdout


def test_quarto_on_path_renders_the_executed_chapters_in_one_pass(project, double, tmp_path, cache):
    sources, status = _digest(project), _git_status()
    result = report.build_report(draws=DRAWS, out=tmp_path / "out", cache_dir=cache)
    assert result.renderer == "quarto"
    [call] = quarto_double.calls(double)
    assert call["argv"] == ["render", "--no-execute"]  # one pass, every format, nothing executed
    assert call["profile"] == "thu" and Path(call["python"]) == Path(sys.executable)
    work = Path(call["cwd"])
    assert (cache / "quarto") in work.parents  # a generated project in the cache, not the clone
    config = call["config"]
    assert set(config["format"]) == {"html", "typst", "docx"}
    assert config["execute"]["enabled"] is False and "pre-render" not in config["project"]
    assert config["book"]["chapters"] == ["index.ipynb", {"part": "Phần một", "chapters": ["notebooks/a.ipynb"]}]
    assert config["book"]["author"] == ["Ủy ban nhân dân tỉnh Cao Bằng", "Sở Xây dựng"] and config["book"]["date"] == "2026"
    seen = call["chapters"]
    assert seen["notebooks/a.ipynb"]["outputs"] >= 1 and seen["notebooks/a.ipynb"]["streams"] == 0  # executed copy
    assert seen["index.ipynb"]["code_cells"] == 0
    assert set(result.outputs) == {"html", "pdf", "docx"}
    assert result.outputs["html"].name == "index.html" and result.outputs["pdf"].name == "tai-lieu-thu.pdf"
    assert all(p.is_file() and p.parent == tmp_path / "out" for p in result.outputs.values())
    assert (tmp_path / "out" / "site_libs" / "quarto.js").is_file()  # the whole book site is copied
    html = result.outputs["html"].read_text(encoding="utf-8")
    assert "cdnjs" not in html and "define('jquery'" not in html and "window.vegaEmbed" in html
    assert not work.exists()  # the generated project, its .quarto/ with it, is gone
    assert _digest(project) == sources  # the notebooks Quarto read were copies
    assert not (REPO / ".quarto").exists() and _git_status() == status
    assert (tmp_path / "out" / "manifest.json").is_file() and (tmp_path / "out" / "_quarto-thu.yml").is_file()


def test_only_the_formats_asked_for(project, double, tmp_path, cache):
    result = report.build_report(draws=DRAWS, out=tmp_path / "out", cache_dir=cache, formats=("pdf",))
    [call] = quarto_double.calls(double)
    assert list(call["config"]["format"]) == ["typst"] and call["argv"] == ["render", "--no-execute"]
    assert set(result.outputs) == {"pdf"} and not (tmp_path / "out" / "index.html").exists()


def test_a_quarto_failure_keeps_the_previous_outputs_and_shows_quartos_message(project, tmp_path, monkeypatch, cache):
    message = "Book contents must include a home page (e.g. index.md)"
    quarto_double.on_path(monkeypatch, tmp_path / "bin", tmp_path / "quarto.log", fail=message)
    out = tmp_path / "out"
    out.mkdir()
    (out / "ke-hoach.html").write_text("bản cũ", encoding="utf-8")
    with pytest.raises(report.ReportError) as info:
        report.build_report(draws=DRAWS, out=out, cache_dir=cache, formats=("html",))
    text = str(info.value)
    assert "Quarto không dàn trang được tài liệu" in text and message in text and "mã lỗi 1" in text
    assert sorted(p.name for p in out.iterdir()) == ["ke-hoach.html"]
    assert (out / "ke-hoach.html").read_text(encoding="utf-8") == "bản cũ"
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out")]  # no half-written folder left
    [call] = quarto_double.calls(tmp_path / "quarto.log")
    work = Path(call["cwd"])
    assert (work / "_quarto.yml").is_file() and work.name in text  # kept to look at,
    assert not (work / ".quarto").exists()  # without Quarto's scratch folder


def test_quarto_that_writes_nothing_is_a_failure_too(project, tmp_path, monkeypatch, cache):
    exe = quarto_double.on_path(monkeypatch, tmp_path / "bin", tmp_path / "quarto.log")
    exe.write_text(f"#!{sys.executable}\nimport sys\nsys.exit(0)\n", encoding="utf-8")
    with pytest.raises(report.ReportError, match="Quarto kết thúc mà không tạo ra"):
        report.build_report(draws=DRAWS, out=tmp_path / "out", cache_dir=cache, formats=("docx",))
    assert not (tmp_path / "out").exists()


def test_offline_renderer_when_asked_or_when_quarto_is_missing(project, double, tmp_path, monkeypatch, cache):
    result = report.build_report(draws=DRAWS, out=tmp_path / "a", cache_dir=cache, formats=("html",),
                                 renderer="offline")
    assert result.renderer == "offline" and result.outputs["html"].name == "tai-lieu-thu.html"
    assert quarto_double.calls(double) == []
    html = result.outputs["html"].read_text(encoding="utf-8")
    assert "Lời nói đầu" in html and "Tỷ lệ thất thoát 17,9\u00a0%" in html  # number and unit joined (units-nbsp.lua)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no quarto anywhere
    assert report.choose_renderer() == ("offline", None)
    with pytest.raises(report.ReportError, match="Không tìm thấy Quarto"):
        report.choose_renderer("quarto")


def test_unchanged_rerun_reuses_and_a_renderer_switch_renders_again(project, double, tmp_path, cache):
    first = report.build_report(draws=DRAWS, out=tmp_path / "out", cache_dir=cache, formats=("html",))
    again = report.build_report(draws=DRAWS, out=tmp_path / "out", cache_dir=cache, formats=("html",))
    assert not first.reused and again.reused and len(quarto_double.calls(double)) == 1
    offline = report.build_report(draws=DRAWS, out=tmp_path / "out", cache_dir=cache, formats=("html",),
                                  renderer="offline")
    assert not offline.reused and offline.outputs["html"].name == "tai-lieu-thu.html"


def test_cli_renderer_option(tmp_path, monkeypatch):
    from .conftest import run_cli

    monkeypatch.delenv("QUARTO_PATH", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    for command in (("report", "plan"), ("evaluate", "--actuals", "data/examples/thuc_hien_2026_minh_hoa")):
        done = run_cli(*command, "--renderer", "quarto", "--out", str(tmp_path / "r"))
        assert done.returncode == 2 and "Không tìm thấy Quarto" in done.stderr and "--renderer offline" in done.stderr
        assert "Traceback" not in done.stderr and not (tmp_path / "r").exists()
        done = run_cli(*command, "--renderer", "latex")
        assert done.returncode == 2 and "'latex'" in done.stderr and "quarto hoặc offline" in done.stderr
    helped = run_cli("report", "--help")
    assert "--renderer" in helped.stdout and "Công cụ dàn trang" in helped.stdout


def test_cli_prints_quartos_message_in_a_vietnamese_frame(project, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from capnuoc_model import cli

    quarto_double.on_path(monkeypatch, tmp_path / "bin", tmp_path / "quarto.log", fail="typst: unknown font family")
    out = tmp_path / "out"
    out.mkdir()
    (out / "cu.pdf").write_bytes(b"%PDF old")
    done = CliRunner().invoke(cli.app, ["report", "plan", "--to", "pdf", "--draws", str(DRAWS), "--out", str(out)])
    try:
        printed = done.output + done.stderr
    except ValueError:  # stderr mixed into output
        printed = done.output
    text = " ".join(printed.split())
    assert done.exit_code == 2, done.output  # a document that cannot be made exits with 2 (README)
    assert "Không tạo được báo cáo" in text and "Quarto không dàn trang được tài liệu" in text
    assert "typst: unknown font family" in text and "Các tài liệu đã có trước đó được giữ nguyên" in text
    assert (out / "cu.pdf").read_bytes() == b"%PDF old" and [p.name for p in out.iterdir()] == ["cu.pdf"]


def test_generated_project_from_the_real_configuration(tmp_path):
    """The repository's own _quarto.yml and profiles give Quarto a complete project (no papermill needed here)."""
    for document in ("plan", "evaluation"):
        book = render.read_book(REPO / "_quarto.yml", document)
        chapters = []
        for chapter in book.chapters:
            executed = tmp_path / document / "executed" / chapter.name
            executed.parent.mkdir(parents=True, exist_ok=True)
            executed.write_bytes((REPO / chapter).read_bytes())
            chapters.append((chapter, executed))
        work = quarto.generate_project(book, chapters, ("html", "pdf", "docx"), tmp_path / document / "project")
        config = render._load_yaml(work / "_quarto.yml")
        assert config["book"]["title"] == book.title and config["book"]["output-file"] == book.basename
        assert config["project"] == {"type": "book", "output-dir": quarto.OUTPUT_DIR}
        assert "profile" not in config and "capnuoc" not in config and config["execute"]["enabled"] is False
        assert config["language"]["crossref-ch-prefix"] == "Chương" and config["date-format"] == "YYYY"
        for chapter in book.chapters:
            assert (work / chapter).is_file()
        for name, options in config["format"].items():  # every file an option names is in the project
            for value in (v for v in options.values() for v in (v if isinstance(v, list) else [v])):
                if isinstance(value, str) and "/" in value:
                    assert (work / value).is_file(), (name, value)
        assert "vegaEmbed" in (work / quarto.VEGA_HEADER).read_text(encoding="utf-8")
        assert (work / "report" / "templates" / "reference.docx").is_file()


def test_a_page_mark_reaches_every_format_through_quarto(tmp_path):
    """Issue 11.14 on the Quarto path: the example's mark is a banner in HTML, a typst page header, a DOCX header."""
    from dataclasses import replace

    import docx

    book = replace(render.read_book(REPO / "_quarto.yml", "evaluation"), page_mark="SỐ LIỆU MINH HỌA — không phải kết quả thực tế")
    chapters = []
    for chapter in book.chapters:
        executed = tmp_path / "executed" / chapter
        executed.parent.mkdir(parents=True, exist_ok=True)
        executed.write_bytes((REPO / chapter).read_bytes())
        chapters.append((chapter, executed))
    work = quarto.generate_project(book, chapters, ("html", "pdf", "docx"), tmp_path / "project")
    config = render._load_yaml(work / "_quarto.yml")
    html_includes = config["format"]["html"]["include-before-body"]
    typst_includes = config["format"]["typst"]["include-in-header"]
    assert "page-mark.html" in html_includes and "page-mark.typ" in typst_includes
    assert any("typst-fonts.typ" in str(v) for v in typst_includes)  # the document's own header stays
    assert 'class="page-mark"' in (work / "page-mark.html").read_text(encoding="utf-8")
    assert "#set page(header:" in (work / "page-mark.typ").read_text(encoding="utf-8")
    document = docx.Document()
    document.add_paragraph("nội dung")
    path = tmp_path / "x.docx"
    document.save(str(path))
    render.add_docx_page_mark(path, book.page_mark)
    for section in docx.Document(str(path)).sections:
        assert any("SỐ LIỆU MINH HỌA" in p.text for p in section.header.paragraphs)
