"""Offline renderer: executed notebooks -> HTML (interactive, offline), PDF (typst) and DOCX (NĐ 30/2020)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # renders documents (a module fixture renders one in every format)

nbformat = pytest.importorskip("nbformat")
docx = pytest.importorskip("docx")
alt = pytest.importorskip("altair")
vl_convert = pytest.importorskip("vl_convert")

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output  # noqa: E402

from capnuoc_model.publish import render  # noqa: E402
from capnuoc_model.data.errors import CapnuocInputError  # noqa: E402

ROWS = [("TP Cao Bằng", "17,9"), ("Trùng Khánh", "21,3"), ("Quảng Uyên", "24,6")]
N_CHARTS = 2


def _table_output():
    html = "<table><thead><tr><th>Đô thị</th><th>Tỷ lệ thất thoát (%)</th></tr></thead><tbody>" + "".join(
        f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in ROWS) + "</tbody></table>"
    markdown = "\n".join(["| Đô thị | Tỷ lệ thất thoát (%) |", "|:--|--:|"] + [f"| {a} | {b} |" for a, b in ROWS])
    return new_output("display_data", data={"text/html": html, "text/markdown": markdown, "text/plain": "<bảng>"})


def _chart_output(vis_id: str):
    data = alt.Data(values=[{"do_thi": a, "ty_le": float(b.replace(",", "."))} for a, b in ROWS])
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("do_thi:N", title="Đô thị"), y=alt.Y("ty_le:Q", title="Tỷ lệ thất thoát (%)"),
        tooltip=["do_thi:N", "ty_le:Q"]).properties(width=360, height=200, title="Tỷ lệ thất thoát nước sạch")
    spec = chart.to_dict()
    png = base64.b64encode(vl_convert.vegalite_to_png(spec)).decode()
    html = (f'<div id="{vis_id}"></div><script type="text/javascript">vegaEmbed("#{vis_id}", '
            f'{json.dumps(spec)}, {{"actions": false, "renderer": "svg"}});</script>')
    return new_output("display_data", data={"image/png": png, "text/html": html, "text/plain": "<Chart>"})


def _notebooks(folder: Path) -> list[Path]:
    first = new_notebook(cells=[
        new_markdown_cell("# Hiện trạng cấp nước\n\n## Biểu 01. Hiện trạng\n\nTỷ lệ thất thoát 17,9 %; "
                          "tỷ lệ dân cư đô thị được cấp nước sạch 87,4 %."),
        new_code_cell('#| tbl-cap: "Tỷ lệ thất thoát theo đô thị"\nshow_table(df)',
                      outputs=[new_output("stream", name="stdout", text="DEBUG-STREAM\n"), _table_output()]),
        new_code_cell('#| fig-cap: "Tỷ lệ thất thoát, năm 2025"\nshow_chart(c)', outputs=[_chart_output("vis-1")]),
        new_code_cell("secret()", metadata={"tags": ["remove-cell"]},
                      outputs=[new_output("display_data", data={"text/markdown": "REMOVED-CELL"})]),
    ])
    second = new_notebook(cells=[
        new_markdown_cell("# Kế hoạch năm 2026\n\n## Biểu 02. Chỉ tiêu\n\nMục tiêu: Ỷ ỷ ẫ ậ ừ ợ ữ Đ đ."),
        new_code_cell("show_chart(c2)", outputs=[_chart_output("vis-1")]),  # same id: one kernel per notebook
        new_code_cell("show_table(df)", outputs=[_table_output()]),
    ])
    paths = [folder / "01_hien_trang.ipynb", folder / "02_ke_hoach.ipynb"]
    for path, nb in zip(paths, (first, second)):
        nbformat.write(nb, path)
    return paths


BOOK = render.Book(
    title="Kế hoạch cấp nước đô thị tỉnh Cao Bằng năm 2026", subtitle="Bản thử nghiệm",
    author="Mô hình capnuoc", organisation="UBND TỈNH CAO BẰNG", date="ngày 05 tháng 3 năm 2026",
    chapters=(Path("notebooks/01_hien_trang.ipynb"), Path("notebooks/02_ke_hoach.ipynb")), basename="thu")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("render")
    executed = _notebooks(folder)
    timings, paths = {}, {}
    for fmt in render.FORMATS:
        start = time.perf_counter()
        paths.update(render.render_document(executed, BOOK, folder / "out", formats=(fmt,)))
        timings[fmt] = time.perf_counter() - start
    print("render timings (s):", {k: round(v, 2) for k, v in timings.items()})
    return {"paths": paths, "build": folder / "out" / "_build", "executed": executed, "folder": folder}


def test_writes_the_three_formats(rendered):
    paths = rendered["paths"]
    assert {k: v.name for k, v in paths.items()} == {"html": "thu.html", "pdf": "thu.pdf", "docx": "thu.docx"}
    assert all(p.stat().st_size > 1000 for p in paths.values())
    assert (rendered["build"] / "thu.typ").is_file() and (rendered["build"] / "reference.docx").is_file()


@pytest.mark.slow
def test_pdf_text_has_vietnamese_headings_and_numbers(rendered):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-layout", str(rendered["paths"]["pdf"]), "-"],
                          capture_output=True, text=True, check=True).stdout
    for needle in ("Biểu 01. Hiện trạng", "Biểu 02. Chỉ tiêu", "Tỷ lệ thất thoát 17,9 %", "87,4 %",
                   "Ỷ ỷ ẫ ậ ừ ợ ữ Đ đ", "Mục lục", "UBND TỈNH CAO BẰNG", "ngày 05 tháng 3 năm 2026",
                   "Bảng 1. Tỷ lệ thất thoát theo đô thị", "Hình 1. Tỷ lệ thất thoát, năm 2025", "Trùng Khánh"):
        assert needle in text, needle
    assert "1.1 Biểu 01" in text  # numbered headings
    assert "Bảng 2" not in text  # the uncaptioned table is not numbered
    for absent in ("DEBUG-STREAM", "REMOVED-CELL", "show_table", "png"):
        assert absent not in text, absent


def test_html_is_self_contained_and_interactive(rendered):
    html = rendered["paths"]["html"].read_text(encoding="utf-8")
    assert not re.search(r"""<(script|link|img)\b[^>]*(src|href)=["']?(https?:)?//""", html)
    assert "window.vegaEmbed" in html and len(set(re.findall(r'vegaEmbed\("#([\w-]+)"', html))) == N_CHARTS
    assert '<html xmlns="http://www.w3.org/1999/xhtml" lang="vi"' in html
    assert 'id="TOC"' in html and "Mục lục" in html and 'id="title-block-header"' in html
    assert "Tỷ lệ thất thoát 17,9\u00a0%" in html and "<table" in html  # number and unit never part (units-nbsp.lua)
    for absent in ("```", "DEBUG-STREAM", "REMOVED-CELL", "show_table", 'alt="png"'):
        assert absent not in html, absent


def test_markdown_has_no_png_alt_caption(rendered):
    for flavour in ("html", "print"):
        markdown = (rendered["build"] / f"{flavour}.md").read_text(encoding="utf-8")
        assert "![png]" not in markdown and "show_chart" not in markdown
    printed = (rendered["build"] / "print.md").read_text(encoding="utf-8")
    assert "<" not in printed  # never raw HTML in the print flavour
    assert printed.count("![") == N_CHARTS and "![Tỷ lệ thất thoát, năm 2025](" in printed


def test_docx_follows_decree_30_layout(rendered):
    document = docx.Document(str(rendered["paths"]["docx"]))
    section = document.sections[0]
    assert abs(section.page_width.mm - 210) < 1 and abs(section.page_height.mm - 297) < 1
    for margin, expected in (("top_margin", 20), ("bottom_margin", 20), ("left_margin", 30), ("right_margin", 15)):
        assert abs(getattr(section, margin).mm - expected) < 1, margin
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size.pt in (13, 14)
    assert document.styles["Heading 1"].font.name == "Times New Roman" and document.styles["Heading 1"].font.bold
    texts = [p.text.strip() for p in document.paragraphs]
    assert "png" not in texts and not any("DEBUG-STREAM" in t or "REMOVED-CELL" in t for t in texts)
    assert any("Biểu 01. Hiện trạng" in t for t in texts) and any("87,4\u00a0%" in t for t in texts)
    assert len(document.tables) == 2
    sizes = {r.font.size.pt for t in document.tables for row in t.rows for c in row.cells
             for p in c.paragraphs for r in p.runs}
    assert sizes and sizes <= {11.0, 12.0}


_HOVER = """<script>
function capnuocProbe(n) {  // hover the first bar, then report the tooltip in the title
  const mark = document.querySelector("g.mark-rect path");
  if (!mark) { if (n > 0) setTimeout(() => capnuocProbe(n - 1), 200); return; }
  const r = mark.getBoundingClientRect(), at = {bubbles: true, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2};
  for (const t of ["pointerover", "pointermove", "mouseover", "mousemove"])
    mark.dispatchEvent(t.startsWith("pointer") ? new PointerEvent(t, at) : new MouseEvent(t, at));
  setTimeout(() => { const tip = document.getElementById("vg-tooltip-element");
    document.title = "TOOLTIP " + (tip ? tip.className + " " + tip.textContent : "none"); }, 500);
}
window.addEventListener("load", () => capnuocProbe(30));
</script>"""


@pytest.mark.slow
def test_html_charts_and_tooltips_work_offline_in_chromium(rendered, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed")
    html = rendered["paths"]["html"].read_text(encoding="utf-8")
    end = html.rindex("</body>")  # the last one: the inlined bundle itself contains "</body>" strings
    probe = rendered["folder"] / "probe.html"
    probe.write_text(html[:end] + _HOVER + html[end:], encoding="utf-8")
    dom = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path}",
         "--virtual-time-budget=8000", "--dump-dom", probe.resolve().as_uri()],
        capture_output=True, text=True, timeout=60).stdout
    assert len(re.findall(r'<svg\b[^>]*class="marks"', dom)) == N_CHARTS
    title = re.search(r"<title>([^<]*)</title>", dom).group(1)
    assert "TOOLTIP" in title and "visible" in title and "TP Cao Bằng" in title, title


@pytest.mark.slow
def test_read_book_from_quarto_yml(tmp_path):
    yml = tmp_path / "_quarto.yml"
    yml.write_text("""
project: {type: book, title: "capnuoc", output-dir: output/report}
lang: vi
book:
  title: "Kế hoạch cấp nước 2026"
  author: "UBND tỉnh Cao Bằng"
  chapters:
    - notebooks/01_hien_trang.ipynb
    - part: "Phần II"
      chapters: [notebooks/02_ke_hoach.ipynb]
capnuoc:
  subtitle: "Dự thảo"
  date: 2026-03-05
  output-basename: ke-hoach-2026
  number-depth: 1
""", encoding="utf-8")
    (tmp_path / "_quarto-danh-gia.yml").write_text("""
book:
  title: "Đánh giá năm 2025"
  chapters: [notebooks/10_danh_gia.ipynb, index.qmd]
capnuoc:
  output-basename: danh-gia-2025
""", encoding="utf-8")
    book = render.read_book(yml)
    assert book.title == "Kế hoạch cấp nước 2026" and book.subtitle == "Dự thảo" and book.lang == "vi"
    assert book.chapters == (Path("notebooks/01_hien_trang.ipynb"), Path("notebooks/02_ke_hoach.ipynb"))
    assert book.basename == "ke-hoach-2026" and book.date == "ngày 05 tháng 3 năm 2026"
    assert book.output_dir == Path("output/report") and book.notebooks() == book.chapters
    assert book.number_sections and book.number_depth == 1
    other = render.read_book(yml, "danh-gia")  # a Quarto profile: _quarto-danh-gia.yml merged over _quarto.yml
    assert other.title == "Đánh giá năm 2025" and other.basename == "danh-gia-2025" and other.profile == "danh-gia"
    assert other.chapters == book.chapters + (Path("notebooks/10_danh_gia.ipynb"), Path("index.qmd"))  # lists append
    with pytest.raises(CapnuocInputError, match="chỉ nhận notebook"):
        other.notebooks()
    with pytest.raises(CapnuocInputError, match="chỉ nhận notebook"):
        render.render_document([tmp_path / "a.ipynb"], other, tmp_path / "out")
    with pytest.raises(CapnuocInputError, match="không có tài liệu 'khong-co'.*danh-gia"):
        render.read_book(yml, "khong-co")


def test_read_book_reads_the_project_file():
    book = render.read_book(Path(__file__).resolve().parent.parent / "_quarto.yml")
    assert book.title and book.lang == "vi" and book.chapters


@pytest.mark.slow
def test_bad_inputs_are_located_errors(rendered, tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CapnuocInputError) as info:
        render.render_document([broken], BOOK, tmp_path / "out1", formats=("html",))
    assert info.value.violations[0].file == str(broken)
    missing_image = tmp_path / "missing.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("# A\n\n![](khong-co.png)")]), missing_image)
    with pytest.raises(CapnuocInputError) as info:
        render.render_document([missing_image], BOOK, tmp_path / "out2", formats=("pdf",))
    assert info.value.violations[0].file == "typst"


def test_find_quarto(monkeypatch, tmp_path):
    fake = tmp_path / "quarto"
    fake.write_text("#!/bin/sh\n", encoding="utf-8")
    monkeypatch.setenv("QUARTO_PATH", str(fake))
    assert render.find_quarto() == str(fake)
    monkeypatch.delenv("QUARTO_PATH")
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert render.find_quarto() is None


@pytest.mark.slow
def test_captions_labelled_by_the_notebooks_are_not_numbered_twice(tmp_path):
    """Outputs shaped like capnuoc_model.publish.notebook_output: 'Bảng 2.1. ...' pandoc caption, '*Hình 2.1. ...*' line."""
    rows = "\n".join(f"| {a} | {b} |" for a, b in ROWS)
    table = new_output("display_data", data={
        "text/html": "<table><caption>Bảng 2.1. Tỷ lệ thất thoát</caption><tbody><tr><td>1</td></tr></tbody></table>",
        "text/markdown": f"| Đô thị | Tỷ lệ (%) |\n|:---|---:|\n{rows}\n\n: Bảng 2.1. Tỷ lệ thất thoát"})
    caption = new_output("display_data", data={"text/markdown": "*Hình 2.1. Tỷ lệ thất thoát theo đô thị*"})
    nb = new_notebook(cells=[new_markdown_cell("# Mục tiêu"), new_code_cell("table()", outputs=[table]),
                             new_code_cell("figure()", outputs=[_chart_output("vis-c1"), caption])])
    path = tmp_path / "02_muc_tieu.ipynb"
    nbformat.write(nb, path)
    paths = render.render_document([path], BOOK, tmp_path / "out")
    html = paths["html"].read_text(encoding="utf-8")
    assert "counter(tbl)" not in html and "<caption>Bảng 2.1. Tỷ lệ thất thoát</caption>" in html
    texts = [p.text for p in docx.Document(str(paths["docx"])).paragraphs]
    assert "Bảng 2.1. Tỷ lệ thất thoát" in texts and not any(t.startswith("Bảng :") for t in texts)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(paths["pdf"]), "-"], capture_output=True, text=True).stdout
        assert "Bảng 2.1. Tỷ lệ thất thoát" in text and "Hình 2.1. Tỷ lệ thất thoát theo đô thị" in text
        assert "Bảng 1" not in text and "Hình 1" not in text


@pytest.mark.slow
def test_number_depth_keeps_deeper_headings_unnumbered(tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "01.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("# Hiện trạng\n\n## I. Căn cứ\n\n### 1. Mô hình quản lý")]), path)
    book = render.Book(title="Thử", chapters=(Path("01.ipynb"),), number_depth=1)
    pdf = render.render_document([path], book, tmp_path / "out", formats=("pdf",))["pdf"]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "1 Hiện trạng" in text and "I. Căn cứ" in text and "1.1 I. Căn cứ" not in text


# ------------------------------------------------------------------ PDF and DOCX written from the print text read once
def test_the_shared_filters_do_not_ask_the_format():
    """print_ast runs them once with FORMAT "json" for PDF and DOCX: a filter that asked FORMAT would act otherwise."""
    for name in (*render.FILTERS, "number-depth.lua"):
        assert "FORMAT" not in (render.TEMPLATES_DIR / name).read_text(encoding="utf-8"), name


@pytest.mark.slow
@pytest.mark.parametrize("fmt,writer", [("typst", ["-t", "typst", "--standalone", "--wrap=none"]), ("docx", ["-t", "docx"])])
def test_the_print_text_read_once_writes_what_reading_it_per_format_wrote(rendered, tmp_path, fmt, writer):
    """The same typst, and the same DOCX body, as when each format read print.md with the filters itself."""
    import shutil
    import zipfile

    build = tmp_path / "build"
    shutil.copytree(rendered["build"], build)
    after = render._filters("landscape.lua") + writer
    render.print_ast(BOOK, build)
    render._pandoc(render._from_print_ast(build) + render._writing(BOOK, fmt) + after + ["-o", "once.out"], build, "once")
    render._pandoc(render._reading(BOOK, build, "print.md", fmt) + render._writing(BOOK, fmt) + after + ["-o", "each.out"],
                   build, "each")

    def body(name: str) -> str:
        if fmt == "docx":
            return zipfile.ZipFile(build / name).read("word/document.xml").decode("utf-8")
        return (build / name).read_text(encoding="utf-8")

    once = body("once.out")
    # the chapters' text, its number joined to its unit by the filter (typst writes the no-break space as "~")
    assert ("17,9\u00a0%" in once or "17,9~%" in once) and "Ỷ ỷ" in once
    assert once == body("each.out")
