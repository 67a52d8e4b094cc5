"""_quarto.yml, its profiles and the notebook sources meet what real Quarto needs (always run, no Quarto).

Each check stands for an obstacle met with real Quarto 1.11 (issue 13): a book needs an index.* home
page; profiles append lists; Quarto executes nothing here and never writes into the notebooks;
embed-resources in a book; vegaEmbed missing; no Vietnamese language file; the typst book template
ignores mainfont and number-depth and drops unlabelled table captions; a year-only date; the DOCX
reference document; the author's dash; the lines Quarto adds to .gitignore.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from capnuoc_model.publish import quarto, quarto_scripts, render

from .conftest import REPO

QUARTO_YML = REPO / "_quarto.yml"
DOCUMENTS = ("plan", "evaluation")  # capnuoc report plan|evaluation; quarto render [--profile evaluation]


def _config(document: str) -> dict:
    return render.read_project(QUARTO_YML, document)[0]


def _chapters(entries) -> list[str]:
    out = []
    for entry in entries or []:
        out += _chapters(entry.get("chapters")) if isinstance(entry, dict) else [entry]
    return out


def _pandoc(markdown: str, *args: str, to: str = "typst") -> str:
    import pypandoc

    done = subprocess.run([pypandoc.get_pandoc_path(), "-f", "markdown", "-t", to, *args], input=markdown,
                          capture_output=True, text=True, check=True)
    return done.stdout


# ------------------------------------------------------------------------------- structure
def test_two_documents_as_profiles_with_the_plan_by_default():
    base = yaml.safe_load(QUARTO_YML.read_text(encoding="utf-8"))
    assert base["project"]["type"] == "book"
    assert base["profile"]["default"] == "plan"
    assert not (base.get("book") or {}).get("chapters"), "profiles append to book.chapters: the base file has none"
    for document in DOCUMENTS:
        assert render.profile_file(QUARTO_YML, document) is not None, document
        config, profile = render.read_project(QUARTO_YML, document)
        assert profile == document and config["book"]["title"] and config["book"]["output-file"]
        assert config["project"]["output-dir"].startswith("output/"), "Quarto's outputs stay in the ignored output/"
    assert render.read_project(QUARTO_YML)[1] == "plan"  # plain `quarto render`
    plan, evaluation = (render.read_book(QUARTO_YML, d) for d in DOCUMENTS)
    assert plan.basename != evaluation.basename and set(plan.chapters[1:]).isdisjoint(evaluation.chapters[1:])


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_chapter_is_a_stored_notebook_and_the_home_page_comes_first(document):
    chapters = _chapters(_config(document)["book"]["chapters"])
    home = chapters[0]
    assert home.startswith("index.") and Path(home).suffix == ".ipynb", "Quarto's book home page; the offline renderer takes notebooks"
    assert all(Path(c).suffix == ".ipynb" and (REPO / c).is_file() for c in chapters), chapters
    assert render.read_book(QUARTO_YML, document).notebooks()[0] == Path(home)


@pytest.mark.slow  # pandoc, in a subprocess
@pytest.mark.parametrize("document", DOCUMENTS)
def test_home_page_is_an_unnumbered_preface_with_text_for_its_document(document):
    home = nbformat.read(REPO / _chapters(_config(document)["book"]["chapters"])[0], as_version=4)
    assert home.metadata["kernelspec"]["language"] == "python"  # Quarto reads the language of every .ipynb
    assert all(cell.cell_type == "markdown" for cell in home.cells), "text only: nothing to execute"
    markdown = "\n\n".join(cell.source for cell in home.cells)
    assert re.match(r"# Lời nói đầu \{[^}]*\.unnumbered[^}]*\}\s*$", markdown.splitlines()[0])
    shown = {}
    for profile in DOCUMENTS:
        shown[profile] = _pandoc(markdown, "--lua-filter", str(render.TEMPLATES_DIR / "conditional-content.lua"),
                                 "-M", f"capnuoc-profile={profile}", to="plain")
    other = next(p for p in DOCUMENTS if p != document)
    assert len(shown[document].split()) > 20 and shown[document] != shown[other]
    assert "content-visible" not in shown[document]


def test_chapter_sources_are_never_executed_in_place():
    """Outputs, execution counts, injected parameters or papermill metadata in a tracked notebook mean something
    executed it in place (Quarto --execute does): git would not stay clean and the cache keys would move."""
    notebooks = {c for d in DOCUMENTS for c in _chapters(_config(d)["book"]["chapters"])}
    for chapter in sorted(notebooks):
        notebook = nbformat.read(REPO / chapter, as_version=4)
        assert "papermill" not in notebook.metadata, chapter
        for cell in notebook.cells:
            assert "injected-parameters" not in cell.metadata.get("tags", []), chapter
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, chapter


def test_quarto_executes_nothing_and_gets_the_executed_copies():
    base = yaml.safe_load(QUARTO_YML.read_text(encoding="utf-8"))
    assert base["execute"]["enabled"] is False
    for key in ("pre-render", "post-render"):
        assert (REPO / base["project"][key]).is_file(), key
    metadata = yaml.safe_load((REPO / "notebooks" / "_metadata.yml").read_text(encoding="utf-8"))
    [script] = metadata["ipynb-filters"]
    assert (REPO / "notebooks" / script).resolve() == (REPO / "report" / "quarto" / "executed.py").resolve()
    for document in DOCUMENTS:  # every chapter with code sits where the filter applies
        for chapter in _chapters(_config(document)["book"]["chapters"]):
            if any(c.cell_type == "code" for c in nbformat.read(REPO / chapter, as_version=4).cells):
                assert Path(chapter).parent == Path("notebooks"), chapter


def test_gitignore_has_the_lines_quarto_would_add():
    lines = [line.strip() for line in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()]
    assert "/.quarto/" in lines and "**/*.quarto_ipynb" in lines and "output/" in lines


def test_no_embedded_resources_in_the_book():
    for document in DOCUMENTS:
        for name, options in (_config(document).get("format") or {}).items():
            options = options if isinstance(options, dict) else {}
            assert not options.get("embed-resources") and not options.get("self-contained"), (document, name)


ENGLISH = {
    "toc-title-document": "Table of contents", "toc-title-website": "On this page", "section-title-appendices": "Appendices",
    "section-title-footnotes": "Footnotes", "title-block-author-single": "Author", "title-block-author-plural": "Authors",
    "title-block-published": "Published", "crossref-fig-title": "Figure", "crossref-tbl-title": "Table",
    "crossref-ch-prefix": "Chapter", "crossref-apx-prefix": "Appendix", "crossref-sec-prefix": "Section",
    "search-label": "Search", "search-no-results-text": "No results", "back-to-top": "Back to top",
    "toggle-sidebar": "Toggle sidebar navigation", "toggle-section": "Toggle section", "code-summary": "Code",
    "copy-button-tooltip": "Copy to Clipboard", "callout-note-title": "Note",
}


def test_language_block_gives_every_label_in_vietnamese():
    config = _config("plan")
    assert config["lang"] == "vi"
    language = config["language"]
    assert {k: language.get(k) for k in ("toc-title-document", "crossref-ch-prefix", "crossref-tbl-title",
                                         "crossref-fig-title", "section-title-appendices")} == {
        "toc-title-document": "Mục lục", "crossref-ch-prefix": "Chương", "crossref-tbl-title": "Bảng",
        "crossref-fig-title": "Hình", "section-title-appendices": "Phụ lục"}
    for key, english in ENGLISH.items():
        assert language.get(key) and language[key] != english, key
    assert all(isinstance(v, str) and v.strip() for v in language.values())


def test_date_has_a_format_when_it_is_a_year():
    config = _config("plan")
    date = str(config["book"]["date"])
    if re.fullmatch(r"\d{4}", date):
        assert config["date-format"] == "YYYY"  # else Quarto writes 2026-01-01 in DOCX and typst
    assert render.read_book(QUARTO_YML).date == date


def test_authors_have_no_dash_for_the_typst_title_page():
    for document in DOCUMENTS:
        authors = _config(document)["book"]["author"]
        for author in authors if isinstance(authors, list) else [authors]:
            name = author.get("name") if isinstance(author, dict) else author
            assert not re.search(r"[—–]|--", name), name


# ----------------------------------------------------------------------------- HTML, typst, DOCX
@pytest.mark.slow  # bundles the Vega scripts (vl-convert): seconds
def test_html_gets_the_vega_bundle_from_a_local_header():
    html = _config("plan")["format"]["html"]
    includes = html["include-in-header"] if isinstance(html["include-in-header"], list) else [html["include-in-header"]]
    assert str(quarto.VEGA_HEADER) in includes
    assert not any(str(i).startswith(("http:", "https:")) for i in includes)
    header = render.vega_header_html()
    assert "vegaEmbed" in header and not re.search(r"<script[^>]+src=", header)
    assert (REPO / html["css"]).is_file()


def test_typst_fonts_come_from_the_file_the_offline_template_uses():
    typst = _config("plan")["format"]["typst"]
    assert (REPO / typst["include-in-header"]).resolve() == render.TYPST_FONTS.resolve()
    fonts = render.TYPST_FONTS.read_text(encoding="utf-8")
    assert '#set text(font: ("Times New Roman", "Liberation Serif"))' in fonts  # render.DOCUMENT_FONTS
    assert "mainfont" not in typst  # ignored by the typst book template: the header is the one place
    assert "$for(header-includes)$" in (render.TEMPLATES_DIR / "capnuoc.typ").read_text(encoding="utf-8")
    assert "font:" not in (render.TEMPLATES_DIR / "capnuoc.typ").read_text(encoding="utf-8")


@pytest.mark.slow  # pandoc, in a subprocess
def test_typst_filters_number_chapters_only_and_keep_table_captions():
    config = _config("plan")
    filters = [(REPO / f).resolve() for f in config["format"]["typst"]["filters"]]
    assert (render.TEMPLATES_DIR / "number-depth.lua").resolve() in filters
    assert (render.TEMPLATES_DIR / "table-captions.lua").resolve() in filters
    assert config["number-sections"] is False and config["number-depth"] == 1  # the plan: its own numerals
    assert _config("evaluation")["number-sections"] is True
    markdown = ("# Chương một\n\n## I. Căn cứ\n\n### 1. Mô hình\n\n| A | B |\n|--|--:|\n| x | 1,5 |\n\n"
                ": Bảng 1.1. Các đơn vị cấp nước năm 2025\n")
    # Quarto passes number-depth as metadata; pandoc 3.9 is the one Quarto 1.11 runs
    typ = _pandoc(markdown, "--number-sections", "-M", f"number-depth={config['number-depth']}",
                  *[a for f in filters for a in ("--lua-filter", str(f))])
    assert re.search(r"#heading\(level: 2, numbering: none\)\[I\. Căn cứ\]", typ)
    assert re.search(r"#heading\(level: 3, numbering: none\)\[1\. Mô hình\]", typ)
    assert "numbering: none)[Chương một]" not in typ
    assert "Bảng 1.1. Các đơn vị cấp nước năm 2025" in typ.replace("\n", " ")
    assert "caption:" not in typ  # no figure caption left for typst to drop


@pytest.mark.slow  # pandoc, in a subprocess
def test_docx_reference_document_is_the_projects_decree_30_file(tmp_path):
    import docx

    reference = _config("plan")["format"]["docx"]["reference-doc"]
    assert (REPO / reference).resolve() == render.REFERENCE_DOCX.resolve()
    tracked, fresh = docx.Document(str(render.REFERENCE_DOCX)), docx.Document(str(render.write_reference_docx(tmp_path / "r.docx")))

    def styles(document):
        section = document.sections[0]
        return ([round(getattr(section, m).mm, 1) for m in ("page_width", "page_height", "top_margin", "bottom_margin",
                                                              "left_margin", "right_margin")],
                {name: (document.styles[name].font.name, document.styles[name].font.size, document.styles[name].font.bold,
                        document.styles[name].font.italic, document.styles[name].paragraph_format.alignment)
                 for name in render._DOCX_STYLES})

    assert styles(tracked) == styles(fresh), "report/templates/reference.docx is stale: run render.write_reference_docx()"
    margins, named = styles(tracked)
    assert margins == [210.0, 297.0, 20.0, 20.0, 30.0, 15.0]
    assert named["Body Text"][0] == "Times New Roman" and named["Body Text"][1].pt == 13


# ------------------------------------------------------------------ scripts Quarto runs in the clone
def _executed_copy(folder: Path, source: Path) -> Path:
    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="DEBUG-STREAM\n"),
                            nbformat.v4.new_output("display_data", data={"text/markdown": "ĐÃ CHẠY 17,9 %"})]
    target = folder / f"{source.stem}-executed.ipynb"
    nbformat.write(notebook, target)
    return target


@pytest.mark.slow  # writes the Vega header: bundles the Vega scripts (vl-convert), seconds
def test_pre_render_indexes_the_executed_chapters_of_the_active_profile(tmp_path, monkeypatch):
    from capnuoc_model.publish import eval_build, report

    for name in ("_quarto.yml", "_quarto-plan.yml", "_quarto-evaluation.yml"):
        (tmp_path / name).write_bytes((REPO / name).read_bytes())
    calls = []

    def fake(document):
        book = render.read_book(QUARTO_YML, document)
        chapters = tuple(REPO / c for c in book.chapters)
        executed = tuple(_executed_copy(tmp_path, c) for c in chapters)
        return report.ReportResult({}, tmp_path, False, report.Timings(), executed, chapters, report.NOTEBOOKS_ONLY)

    monkeypatch.setattr(report, "build_report", lambda document=None, renderer=None, **_: calls.append(("plan", renderer)) or fake(document))
    monkeypatch.setattr(eval_build, "build_evaluation", lambda actuals, renderer=None, **_: calls.append(("evaluation", renderer))
                        or eval_build.EvaluationResult(None, tmp_path, [], {}, False, [], (), fake("evaluation")))
    for environ, document in (({}, "plan"), ({"QUARTO_PROFILE": "evaluation"}, "evaluation"),
                              ({"QUARTO_PROFILE": "khac,plan"}, "plan")):
        assert quarto_scripts.pre_render(tmp_path, environ) == 0
        assert calls[-1] == (document, report.NOTEBOOKS_ONLY)
        index = json.loads((tmp_path / quarto.GENERATED / f"executed-{document}.json").read_text(encoding="utf-8"))
        book = render.read_book(QUARTO_YML, document)
        assert len(index) == len(book.chapters)
        for chapter in book.chapters:  # the filter finds each chapter's executed copy
            filtered = json.loads(quarto.ipynb_filter((REPO / chapter).read_bytes(), tmp_path))
            assert filtered == json.loads(quarto.quarto_notebook(tmp_path / f"{Path(chapter).stem}-executed.ipynb"))
    assert "vegaEmbed" in (tmp_path / quarto.VEGA_HEADER).read_text(encoding="utf-8")


def test_notebook_filter_hands_quarto_the_executed_copy_without_streams(tmp_path):
    source = REPO / "notebooks" / "02_muc_tieu.ipynb"
    executed = _executed_copy(tmp_path, source)
    (tmp_path / quarto.GENERATED).mkdir(parents=True)
    (tmp_path / quarto.GENERATED / "executed-plan.json").write_text(
        json.dumps({quarto.source_key(source.read_bytes()): str(executed)}), encoding="utf-8")
    out = json.loads(quarto.ipynb_filter(source.read_bytes(), tmp_path))
    outputs = [o for c in out["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert outputs and all(o["output_type"] == "display_data" for o in outputs)
    assert "ĐÃ CHẠY 17,9 %" in json.dumps(out, ensure_ascii=False)
    other = (REPO / "notebooks" / "01_hien_trang.ipynb").read_bytes()
    assert quarto.ipynb_filter(other, tmp_path) == other  # not executed yet: unchanged


@pytest.mark.slow
def test_filter_script_runs_as_quarto_runs_it():
    """cwd the notebook's folder, the source on stdin, the notebook on stdout; quick (it runs per chapter and format)."""
    import time

    source = (REPO / "index.ipynb").read_bytes()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "../report/quarto/executed.py"], cwd=REPO / "notebooks", input=source,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == source
    assert time.perf_counter() - started < 10


def test_post_render_drops_the_cdn_scripts_quarto_adds(tmp_path):
    page = tmp_path / "notebooks" / "01_hien_trang.html"
    page.parent.mkdir()
    page.write_text(
        '<head>\n<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js" integrity="sha512-a" crossorigin="anonymous"></script>\n'
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/jquery/3.5.1/jquery.min.js" integrity="sha512-b" crossorigin="anonymous" data-relocate-top="true"></script>\n'
        '<script type="application/javascript" data-relocate-top="true">define(\'jquery\', [],function() {return window.jQuery;})</script>\n'
        '<script src="../site_libs/quarto-html/quarto.js"></script>\n'
        '<script type="text/javascript">(function () { window.vegaEmbed = 1; })();</script>\n</head>', encoding="utf-8")
    other = tmp_path / "ke-hoach.pdf"
    other.write_bytes(b"%PDF")
    assert quarto.post_render({"QUARTO_PROJECT_OUTPUT_FILES": f"{page}\n{other}\n"}) == 0
    html = page.read_text(encoding="utf-8")
    assert "cdnjs" not in html and "define('jquery'" not in html
    assert "site_libs/quarto-html/quarto.js" in html and "window.vegaEmbed = 1" in html
    assert other.read_bytes() == b"%PDF"


@pytest.mark.slow
def test_post_render_script_runs_as_quarto_runs_it(tmp_path):
    page = tmp_path / "index.html"
    page.write_text('<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js"></script>\n<p>Mục lục</p>\n',
                    encoding="utf-8")
    done = subprocess.run([sys.executable, str(REPO / "report" / "quarto" / "post_render.py")], cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "QUARTO_PROJECT_OUTPUT_FILES": "index.html\n"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert page.read_text(encoding="utf-8") == "<p>Mục lục</p>\n"


@pytest.mark.slow
@pytest.mark.parametrize("document", DOCUMENTS)
def test_offline_renderer_shows_the_home_page_unnumbered(document, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    book = render.read_book(QUARTO_YML, document)
    chapter = tmp_path / "01_chuong.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Chương thử\n\n## I. Mục một\n\nNội dung.")]),
                   chapter)
    outputs = render.render_document([REPO / book.chapters[0], chapter], book, tmp_path / "out", formats=("pdf", "html"))
    first_page = subprocess.run(["pdftotext", "-f", "1", "-l", "1" if not book.title_page else "3", str(outputs["pdf"]), "-"],
                                capture_output=True, text=True, check=True).stdout
    flat = " ".join(first_page.split())
    lines = [line.strip() for line in first_page.splitlines()]
    assert "Lời nói đầu" in lines  # the heading, on a line of its own
    assert not any(re.fullmatch(r"\d+(\.\d+)*\.?\s+Lời nói đầu", line) for line in lines)  # and unnumbered
    other = "Bốn chương đầu" if document == "evaluation" else "tổng hợp báo cáo kết quả thực hiện"
    assert other not in flat  # the other document's preface is not shown
    whole = " ".join(subprocess.run(["pdftotext", str(outputs["pdf"]), "-"], capture_output=True, text=True).stdout.split())
    assert "1 Chương thử" in whole and "I. Mục một" in whole and "1.1 I. Mục một" not in whole
    html = outputs["html"].read_text(encoding="utf-8")
    assert "Lời nói đầu" in html and "content-visible" not in html
    if not book.title_page:  # compact: the title block, then the home page, on page one
        assert book.title.split()[0] in flat
