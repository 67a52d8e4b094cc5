"""The documents' layout (issue 12, items 11-16): nothing cut or overflowing, one label per caption, things
kept together, charts whole, a DOCX with a cover and filled contents, one font family.

Unit tests first (widths, labels, numbering, fmt, the Lua filters, charts, the DOCX finishing); then the plan
and the evaluation as rendered (conftest's session documents), checked with tests/layout_checks.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capnuoc_model.publish import charts, eval_charts, notebook_output, render

from capnuoc_model.data import fmt

from . import layout_checks as lc
from .conftest import REPO, examples

pdfplumber = pytest.importorskip("pdfplumber")
docx = pytest.importorskip("docx")

TEMPLATES = render.TEMPLATES_DIR
ORGANISATION = "ỦY BAN NHÂN DÂN TỈNH CAO BẰNG"


def _pandoc(markdown: str, to: str, *filters: str) -> str:
    import pypandoc

    args = [a for f in filters for a in ("--lua-filter", str(TEMPLATES / f))]
    done = subprocess.run([pypandoc.get_pandoc_path(), "-f", "markdown", "-t", to, "--wrap=none", *args],
                          input=markdown, capture_output=True, text=True, check=True)
    return done.stdout


# ------------------------------------------------------------------------------ 11: column widths
words = st.text(alphabet="abcdeđghiklmnoơưy", min_size=1, max_size=14)
cells = st.lists(words, min_size=1, max_size=6).map(" ".join)


@settings(max_examples=examples(60), deadline=None)
@given(st.integers(min_value=1, max_value=12).flatmap(
    lambda n: st.tuples(st.lists(words, min_size=n, max_size=n, unique=True),
                        st.lists(st.lists(cells, min_size=n, max_size=n), min_size=1, max_size=6))))
def test_column_widths_follow_content(table):
    header, rows = table
    frame = pd.DataFrame(rows, columns=header)
    widths, landscape = notebook_output.column_widths(frame)
    least = [max(notebook_output._longest_word(c), *(notebook_output._longest_word(v) for v in frame[c])) for c in frame.columns]
    most = [max(max(len(v) for v in frame[c]), -(-len(c) // 3), w) for c, w in zip(frame.columns, least)]
    room = (notebook_output.LANDSCAPE_CHARS if landscape else notebook_output.PORTRAIT_CHARS) - notebook_output.CELL_PADDING_CHARS * len(least)
    assert landscape == (sum(least) + notebook_output.CELL_PADDING_CHARS * len(least) > notebook_output.PORTRAIT_CHARS)
    for width, lo, hi in zip(widths, least, most):
        assert lo - 1e-9 <= width <= hi + 1e-9  # never narrower than the longest word, never wider than the content
    if sum(least) <= room:
        assert sum(widths) <= room + 1e-6 or sum(widths) == pytest.approx(sum(most))
    # wider content, wider column: the order of what columns want is kept
    for a in range(len(widths)):
        for b in range(len(widths)):
            if least[a] >= least[b] and most[a] >= most[b]:
                assert widths[a] >= widths[b] - 1e-9


@settings(max_examples=examples(100))
@given(st.text(alphabet="ab_./ -c1", max_size=120))
def test_long_tokens_get_places_to_break_and_nothing_else_changes(text):
    broken = notebook_output.breakable(text)
    assert broken.replace(notebook_output.ZWSP, "") == text
    assert notebook_output._longest_word(broken) <= max(notebook_output.LONGEST_WORD_CHARS, 0)
    assert all(notebook_output.ZWSP not in w for w in text.split() if len(w) <= notebook_output.LONGEST_WORD_CHARS
               for w in [notebook_output.breakable(w)])


@pytest.mark.slow  # pandoc, in a subprocess
def test_a_wide_table_is_landscape_everywhere():
    frame = pd.DataFrame({f"Cột số {k} (m³/ngày đêm)": [1234.5, 2.0] for k in range(12)})
    notebook_output.start_chapter(1)
    bundle, _ = notebook_output.TableOutput(notebook_output.format_frame(frame), "Bảng 1.1", "Rộng", [True] * 12, None)._repr_mimebundle_()
    assert bundle["text/markdown"].startswith("::: {.landscape}") and bundle["text/markdown"].rstrip().endswith(":::")
    assert bundle["text/html"].startswith('<div class="landscape">')
    typ = _pandoc(bundle["text/markdown"], "typst", "landscape.lua")
    assert "#page(flipped: true)[" in typ
    narrow = notebook_output.TableOutput(notebook_output.format_frame(frame.iloc[:, :3]), "Bảng 1.2", "Hẹp", [True] * 3, None)
    assert not narrow._markdown().startswith(":::")
    rule = narrow._markdown().splitlines()[1]
    assert len(rule) > 72  # pandoc takes relative widths from the dashes only past 72 characters


# ------------------------------------------------------------------------------------ 12: labels
def _shown(function, *args, **kwargs) -> list[tuple[dict, dict]]:
    """The outputs a display call makes: (data, metadata) of each."""
    from unittest import mock

    shown = []
    with mock.patch("IPython.display.display", side_effect=lambda obj: shown.append(_bundle(obj))):
        function(*args, **kwargs)
    return shown


def _bundle(obj) -> tuple[dict, dict]:
    result = obj._repr_mimebundle_()
    return result if isinstance(result, tuple) else (result, {})


@pytest.mark.parametrize("chapter, expected", [(3, "Bảng 3.1"), ("B", "Bảng B.1")])
def test_tables_are_numbered_by_chapter_or_appendix(chapter, expected):
    notebook_output.start_chapter(chapter)
    (data, meta), = _shown(notebook_output.table, pd.DataFrame({"Đô thị": ["Hòa An"], "Số người": [12]}), "Dân số")
    assert f": {expected}. Dân số" in data["text/markdown"] and f"<caption>{expected}. Dân số</caption>" in data["text/html"]
    assert meta[notebook_output.LABEL_KEY]["label"] == expected


def test_a_caption_with_its_own_label_gets_no_second_one():
    notebook_output.start_chapter(1)
    frame = pd.DataFrame({"Công trình": ["Xuân Hòa"], "Tỷ lệ (%)": [72.5]})
    (data, meta), = _shown(notebook_output.table, frame, "Biểu 01. Mức độ khai thác công suất")
    assert ": Biểu 01. Mức độ khai thác công suất" in data["text/markdown"] and not meta
    assert not lc.TWO_LABELS.search(data["text/markdown"]) and "Bảng" not in data["text/html"]
    (_, after), = _shown(notebook_output.table, frame, "Tiếp theo")
    assert after[notebook_output.LABEL_KEY]["label"] == "Bảng 1.1"  # the Biểu took no number


def _executed(folder: Path, name: str, chapter, tables: int, figures: int) -> Path:
    notebook_output.start_chapter(chapter)
    outputs = []
    frame = pd.DataFrame({"A": [1]})
    for _ in range(tables):
        outputs += _shown(notebook_output.table, frame, "Bảng số liệu")
    for _ in range(figures):
        outputs += [o for o in _shown(notebook_output.figure, __import__("altair").Chart(frame).mark_bar().encode(x="A:Q"), "Hình vẽ")
                    if "image/png" not in o[0]]
    cell = nbformat.v4.new_code_cell("show()", outputs=[
        nbformat.v4.new_output("display_data", data=data, metadata=meta) for data, meta in outputs])
    path = folder / f"{name}.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return path


def _labels(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    return [re.match(r"[:*\s]*((?:Bảng|Hình) [\w.]+)\.", o["data"]["text/markdown"].split("\n: ")[-1]).group(1)
            for c in notebook.cells for o in c.outputs]


def test_number_captions_counts_through_the_body_and_keeps_appendix_labels(tmp_path):
    chapters = [_executed(tmp_path, "01", 1, 2, 1), _executed(tmp_path, "02", 2, 1, 2), _executed(tmp_path, "05", "A", 2, 1)]
    through = notebook_output.number_captions(chapters, tmp_path / "numbered", through=True)
    assert [_labels(p) for p in through] == [["Bảng 1", "Bảng 2", "Hình 1"], ["Bảng 3", "Hình 2", "Hình 3"],
                                             ["Bảng A.1", "Bảng A.2", "Hình A.1"]]
    assert through[2] == chapters[2]  # nothing to renumber in an appendix: the executed copy itself
    kept = notebook_output.number_captions(chapters, tmp_path / "kept", through=False)
    assert [_labels(p) for p in kept] == [["Bảng 1.1", "Bảng 1.2", "Hình 1.1"], ["Bảng 2.1", "Hình 2.1", "Hình 2.2"],
                                          ["Bảng A.1", "Bảng A.2", "Hình A.1"]]


def test_the_plan_numbers_no_chapter_and_the_evaluation_letters_its_appendix():
    plan, evaluation = render.read_book(REPO / "_quarto.yml"), render.read_book(REPO / "_quarto.yml", "evaluation")
    assert plan.number_sections is False  # the plan's Roman numerals are its numbering
    assert evaluation.number_sections is True
    for book in (plan, evaluation):
        appendix = False
        for chapter in book.chapters:
            text = (REPO / chapter).read_text(encoding="utf-8")
            heading = re.search(r'"# ([^"\\]*)', text).group(1)
            started = re.search(r"show\.start_chapter\(([^)]*)\)", text)
            if heading.startswith("Phụ lục"):
                appendix = True
                letter = heading.split()[2].rstrip(".")
                assert started and started.group(1).strip('\\"') == letter, chapter
                assert book is plan or "{.unnumbered}" in heading, chapter
            else:
                assert not appendix, f"{chapter}: a chapter after the appendices"


# ------------------------------------------------------------------------- 13: units, keeping together
@settings(max_examples=examples(80))
@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.sampled_from(["pct", "persons", "m3_per_day", "billion_vnd"]))
def test_documents_join_numbers_and_units_with_a_no_break_space(value, shape):
    try:
        fmt.join_units()
        text = getattr(fmt, shape)(value)
        number, unit = text.split(fmt.NBSP, 1)
        assert " " not in number and unit and not unit.startswith(" ")
    finally:
        fmt.join_units(False)
    assert fmt.NBSP not in getattr(fmt, shape)(value)  # the terminal keeps the plain space


@pytest.mark.parametrize("text, joined", [
    ("tỷ lệ 17,9 % năm 2025", "17,9\u00a0%"), ("cho 2.600 người", "2.600\u00a0người"),
    ("4.829 m³/ngày đêm", "4.829\u00a0m³/ngày"), ("(87,4 %)", "(87,4\u00a0%)"), ("20–24 giờ", "20–24\u00a0giờ"),
    ("0,169 tỷ đồng", "0,169\u00a0tỷ"), ("thiếu 2,5 điểm % nữa", "2,5\u00a0điểm\u00a0%"), ("8-12 %", "8-12\u00a0%"),
])
@pytest.mark.slow  # pandoc, in a subprocess
def test_units_filter_joins_the_notebooks_own_numbers(text, joined):
    for to in ("typst", "html", "plain"):  # typst writes the no-break space as "~" and an en dash as "--"
        expected = joined.replace("\u00a0", "~").replace("–", "--") if to == "typst" else joined
        assert expected in _pandoc(text, to, "units-nbsp.lua")
    assert "năm\u00a02025" not in _pandoc("năm 2025", "plain", "units-nbsp.lua")  # a year is not a unit's number


@pytest.mark.slow  # pandoc, in a subprocess
def test_a_chart_and_its_caption_are_one_figure():
    markdown = "![](hinh.png)\n\n*Hình A.2. Tỷ lệ bao phủ dự báo*\n\nĐoạn sau.\n"
    typ = _pandoc(markdown, "typst", "figure-captions.lua")
    assert re.search(r"#figure\(.*image\(\"hinh\.png\"\).*caption: \[\s*Hình A\.2\. Tỷ lệ bao phủ dự báo", typ, re.S)
    html = _pandoc(markdown, "html", "figure-captions.lua")
    assert re.search(r"<figure>.*<img[^>]*hinh\.png.*<figcaption>Hình A\.2\.", html, re.S)
    quarto_like = ("::: {.cell-output}\n![](hinh.png)\n:::\n\n::: {.cell-output}\n*Hình 3. Một hình*\n:::\n")
    assert "caption: [" in _pandoc(quarto_like, "typst", "figure-captions.lua")
    assert "caption" not in _pandoc("![](hinh.png)\n\n*Chú thích thường*\n", "typst", "figure-captions.lua")


@pytest.mark.slow
def test_headings_are_not_wrapped_in_the_typst_source(tmp_path):
    """typst breaks a heading's line where pandoc wrapped it: the typst source keeps each heading on one line."""
    path = tmp_path / "01.ipynb"
    long = "2. Hiệu quả khai thác và vận hành hệ thống cấp nước đô thị trên địa bàn tỉnh"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# Chương\n\n### {long}\n\nVăn bản.")]), path)
    book = render.Book(title="Thử", chapters=(Path("01.ipynb"),), number_depth=1, title_page=False)
    render.render_document([path], book, tmp_path / "out", formats=("pdf",), build_dir=tmp_path / "b")
    assert f"[{long}]" in (tmp_path / "b" / "capnuoc.typ").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------- 14: charts
def _frames():
    names = ["Công trình cấp nước sạch trung tâm huyện lỵ Phục Hòa (Hòa Thuận)", "Nhà máy nước Tân An",
             "Trạm cấp nước tổ 13 Trùng Khánh"]
    systems = pd.DataFrame({"name_vi": names, "utilisation_pct": [71.7, 77.4, 106.2], "utilisation_class": ["Trung bình"] * 2 + ["Vượt công suất"],
                            "production_m3_per_day": [490.0, 7350.0, 520.0], "design_capacity_m3_per_day": [690.0, 9500.0, 490.0],
                            "loss_pct": [22.0, 12.0, 13.5], "loss_class": ["Trung bình", "Thấp", "Thấp"],
                            "billed_m3_per_day": [380.0, 6468.0, 450.0], "share_of_province_loss_pct": [3.0, 27.0, 2.0]})
    areas = pd.DataFrame([{"name_vi": f"Đô thị số {k} có tên khá dài", "year": y, "coverage_pct": 50 + k + y - 2025,
                           "coverage_p5": 45.0, "coverage_p95": 60.0 + k} for k in range(16) for y in range(2025, 2031)])
    return systems, areas


def _svg_texts(chart) -> tuple[list[tuple[float, float, str]], float, float]:
    import vl_convert

    notebook_output.start_chapter(1)
    spec = notebook_output.FigureChart(chart, "thử").spec
    svg = vl_convert.vegalite_to_svg(spec)
    width, height = (float(v) for v in re.search(r'<svg[^>]*width="([\d.]+)"[^>]*height="([\d.]+)"', svg).groups())
    texts = [" ".join(re.findall(r">([^<]+)<", f">{inner}<")) for inner in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)]
    return [(0, 0, t) for t in texts], width, height


def test_charts_cut_no_name_and_show_the_rule_label():
    systems, _ = _frames()
    for chart in (charts.utilisation(systems), charts.loss(systems, 15.0), charts.loss_volume(systems)):
        texts, _, _ = _svg_texts(chart)
        shown = " ".join(t for *_, t in texts)
        assert not any(t.endswith("…") for *_, t in texts), shown
        assert "Phục Hòa (Hòa Thuận)" in shown  # the long name, whole, on its second line
    spec = charts.utilisation(systems).to_dict()
    rule_text = [layer for layer in spec["layer"][1]["layer"] if layer["mark"]["type"] == "text"][0]
    assert rule_text["encoding"]["y"] == {"value": 0} and rule_text["mark"]["baseline"] == "bottom"  # above the plot


def test_sixteen_areas_are_small_multiples_not_sixteen_colours():
    _, areas = _frames()
    spec = charts.area_lines(areas).to_dict()
    assert "facet" in spec and spec["facet"]["field"] == "name_vi"
    assert "color" not in json.dumps(spec["spec"]).replace('"color": "#', "")  # one colour, set on the marks
    texts, _, _ = _svg_texts(charts.area_lines(areas))
    assert sum(t.startswith("Đô thị số") for *_, t in texts) == 16


@pytest.mark.parametrize("build", [
    lambda: eval_charts.agencies(pd.DataFrame({"agency_vi": ["Ủy ban nhân dân các huyện, thành phố và các xã, phường"] * 2,
                                               "state_vi": ["Đã hoàn thành", "Đang thực hiện"], "count": [2, 1]})),
    lambda: charts.project_costs(pd.DataFrame({"short": ["Dự án 1: Cấp nước sinh hoạt thị trấn Pác Miều, huyện Bảo Lâm"],
                                               "million_vnd_per_stated_person": [16.3], "cost_billion_vnd": [42.43],
                                               "beneficiaries_persons": [2600]})),
])
def test_strips_are_sized_for_their_wrapped_names(build):
    texts, _, height = _svg_texts(build())
    assert not any(t.endswith("…") for *_, t in texts)
    assert height >= 60


# ------------------------------------------------------------------------------------------ 15: DOCX
@pytest.mark.slow
def test_docx_cover_contents_and_landscape_section(tmp_path):
    notebook_output.start_chapter(1)
    wide = notebook_output.TableOutput(notebook_output.format_frame(pd.DataFrame({f"Cột {k} (m³/ngày đêm)": [1234.5] for k in range(12)})),
                               "Bảng 1.1", "Bảng rộng", [True] * 12, None)
    cells = [nbformat.v4.new_markdown_cell("# Lời nói đầu {.unnumbered}\n\nMở đầu."),
             nbformat.v4.new_markdown_cell("# Hiện trạng\n\n## I. Căn cứ\n\nVăn bản."),
             nbformat.v4.new_code_cell("t", outputs=[nbformat.v4.new_output("display_data", data=_bundle(wide)[0])]),
             nbformat.v4.new_markdown_cell("## II. Sau bảng\n\nVăn bản.")]
    path = tmp_path / "01.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    book = render.Book(title="Kế hoạch thử", chapters=(Path("01.ipynb"),), author=("Ủy ban nhân dân tỉnh Cao Bằng", "Sở Xây dựng"),
                       organisation=ORGANISATION, date="2026", number_sections=False)
    target = render.render_document([path], book, tmp_path / "out", formats=("docx",))["docx"]
    assert lc.docx_problems(target, ORGANISATION, True) == []
    document = docx.Document(str(target))
    entries = [p.text for p in document.paragraphs if re.fullmatch(r"toc \d", p.style.name.lower())]
    assert [e.split("\t")[0] for e in entries] == ["Lời nói đầu", "Hiện trạng", "I. Căn cứ", "II. Sau bảng"]
    orientations = [s.orientation for s in document.sections]
    from docx.enum.section import WD_ORIENT

    assert orientations == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    assert [s.different_first_page_header_footer for s in document.sections] == [True, False, False]
    assert all(abs(s.left_margin.mm - 30) < 1 and abs(s.top_margin.mm - 20) < 1 for s in document.sections)


# ------------------------------------------------------------------------------------------ 16: fonts
def test_one_font_family_in_every_template():
    family = render.DOCUMENT_FONTS
    typst = (TEMPLATES / "typst-fonts.typ").read_text(encoding="utf-8")
    listed = '("' + '", "'.join(family) + '")'
    assert typst.count(listed) == 3 and "DejaVu" not in typst  # text, headings, code
    for css in ("capnuoc.css", "quarto.css"):
        rules = (TEMPLATES / css).read_text(encoding="utf-8")
        stacks = set(re.findall(r"font-family:\s*([^;]+);", rules))
        assert stacks == {'"Times New Roman", "Liberation Serif", serif'}, (css, stacks)
    assert notebook_output.FONT.startswith("'Times New Roman', 'Liberation Serif'")
    assert "Liberation Serif" in yaml_mainfont()
    reference = docx.Document(str(render.REFERENCE_DOCX))
    assert {s.font.name for s in reference.styles if s.type == 1 and s.font.name} == {"Times New Roman"}


def yaml_mainfont() -> str:
    import yaml

    return yaml.safe_load((REPO / "_quarto.yml").read_text(encoding="utf-8"))["format"]["html"]["mainfont"]


def test_the_document_font_is_found_with_its_vietnamese_letters():
    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig is not installed")
    folders = render.font_dirs()
    assert folders, f"no font of {render.DOCUMENT_FONTS}: install {render.FONT_PACKAGE}"
    assert any(Path(f, "LiberationSerif-Regular.ttf").is_file() or list(Path(f).glob("*imes*")) for f in folders)


# ------------------------------------------------------------------------------- rendered documents
pytestmark_documents = pytest.mark.integration


@pytest.fixture(scope="module")
def plan_pdf(plan_document) -> lc.PdfLayout:
    return lc.read_pdf(plan_document.outputs["pdf"])


@pytest.fixture(scope="module")
def evaluation_pdf(evaluation_document) -> lc.PdfLayout:
    return lc.read_pdf(evaluation_document.outputs["pdf"])


def _headings(result) -> list[str]:
    found = []
    executed = result.executed if hasattr(result, "executed") else result.rendered.executed  # a plan, or an evaluation
    for path in executed:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                found += [re.sub(r"\s*\{[^}]*\}\s*$", "", line.lstrip("#").strip())
                          for line in cell.source.splitlines() if line.startswith("#")]
    return found


@pytest.mark.integration
@pytest.mark.parametrize("document", ["plan", "evaluation"])
def test_pdf_has_nothing_cut_overlapping_or_apart(document, request):
    layout = request.getfixturevalue(f"{document}_pdf")
    result = request.getfixturevalue(f"{document}_document")
    problems = {
        "chữ đè lên chữ": lc.pdf_overlaps(layout),
        "chữ ra ngoài ô bảng": lc.pdf_cells_overflow(layout),
        "chú thích tách khỏi bảng/hình": lc.pdf_captions_apart(layout),
        "tiêu đề xuống dòng sớm": lc.pdf_headings_wrap_early(layout, _headings(result)),
        "số tách khỏi đơn vị": lc.pdf_units_apart(layout),
        "chú thích hai nhãn": lc.pdf_two_labels(layout),
    }
    assert {k: v for k, v in problems.items() if v} == {}


@pytest.mark.integration
@pytest.mark.parametrize("document", ["plan", "evaluation"])
def test_pdf_uses_one_font_family_with_every_diacritic(document, request):
    layout = request.getfixturevalue(f"{document}_pdf")
    families = {f.replace("TimesNewRomanPS", "TimesNewRoman").split("MT")[0] for f in layout.fonts}
    assert len(families) == 1 and families <= {"LiberationSerif", "TimesNewRoman"}, layout.fonts
    assert layout.vietnamese_fonts == layout.fonts  # stacked diacritics drawn by the same font, none by a fallback


@pytest.mark.integration
def test_plan_numbering(plan_pdf):
    text = [line.text for line in plan_pdf.lines]
    assert not [t for t in text if re.match(r"^\d+\s+(Căn cứ|Quan điểm|Định hướng|Danh mục|Phụ lục)", t)]  # no chapter number
    for letter in "ABC":
        assert any(t.startswith(f"Phụ lục {letter}.") for t in text), letter
        assert any(re.match(rf"^(Bảng|Hình) {letter}\.1\. ", t) for t in text), letter
    body = [int(m.group(1)) for t in text if (m := re.match(r"^Bảng (\d+)\. ", t))]
    assert body and body == list(range(1, len(body) + 1))  # one count through the body, in order
    assert any(t.startswith("Biểu 01. ") for t in text)


@pytest.mark.integration
def test_evaluation_numbering(evaluation_pdf):
    text = [line.text for line in evaluation_pdf.lines]
    assert any(t.startswith("Phụ lục A. Phương pháp") for t in text)
    assert not any(re.match(r"^\d+\s+Phụ lục", t) for t in text)
    assert any(t.startswith("Bảng A.1. ") for t in text) and any(t.startswith("Bảng 2.1. ") for t in text)


@pytest.mark.integration
@pytest.mark.parametrize("document", ["plan", "evaluation"])
def test_docx_cover_contents_and_tables(document, request):
    result = request.getfixturevalue(f"{document}_document")
    assert lc.docx_problems(result.outputs["docx"], ORGANISATION, title_page=document == "plan") == []


@pytest.mark.integration
@pytest.mark.parametrize("document", ["plan", "evaluation"])
def test_html_fits_1280_pixels_in_one_font(document, request, tmp_path):
    if lc.chromium() is None:
        pytest.skip("chromium is not installed")
    result = request.getfixturevalue(f"{document}_document")
    laid = lc.html_layout(result.outputs["html"], tmp_path)
    assert laid["bad"] == []
    assert set(laid["fonts"]) == {'"Times New Roman", "Liberation Serif", serif'}
    html = result.outputs["html"].read_text(encoding="utf-8")
    header = html[html.index('<header id="title-block-header"'):html.index("</header>")]
    names = [n.casefold() for n in re.findall(r'<p class="author">([^<]*)</p>', header)]
    assert len(names) == len(set(names)) and ORGANISATION.casefold() in names
