"""Issue 12 item 1: "Tóm tắt", the page after the home page, answers the question from the results."""

from __future__ import annotations

import re
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capnuoc_model.data import fmt

from capnuoc_model.data.io import REPO_ROOT
from capnuoc_model.publish import narrative, render
from capnuoc_model.publish import report_tables as rt

from .conftest import report_inputs


@pytest.fixture(scope="module", params=["baseline", "projects_slip"])
def ctx(request, report_inputs_cache):
    return report_inputs(report_inputs_cache, request.param)


def test_each_headline_target_gets_forecast_range_probability_verdict_and_what_it_takes(ctx):
    text = narrative.plan_summary(ctx.run, rt.sensitivity_labels(ctx))
    plan = ctx.plan
    row = ctx.table("province").set_index("year").loc[plan.plan_year]
    for number, key in enumerate(("coverage", "loss"), start=1):
        block = text.split(f"**{number}. ")[1].split("\n\n")[0]
        target = plan.target(key)
        assert target.wording_vi in block  # the plan's own words, not "≥ 87,4 %"
        assert f"Dự báo năm {plan.plan_year}: {fmt.pct(row[f'{key}_p50'])}" in block
        assert f"khoảng dự báo 90 %: {fmt.pct(row[f'{key}_p5'])} – {fmt.pct(row[f'{key}_p95'])}" in block
        p = row[f"p_{key}_target"]
        assert f"xác suất đạt {fmt.pct(100 * p, 0)}: **{narrative._verdict_words(p)}**" in block
        likely = narrative.first_year_likely(ctx.run, f"p_{key}_target")
        assert (f"từ năm {likely}" in block) if likely else (f"mọi năm đến {plan.horizon_year}" in block)
        assert "Cần gì:" in block
    assert "tỷ đồng" in text.split("**2. ")[1]  # the cost of the loss cut
    findings = text.split("**Những phát hiện chính**")[1].strip().splitlines()
    assert 3 <= len(findings) <= 5
    base = ctx.table("systems")
    base = base[base["year"] == plan.base_year].nlargest(2, "share_of_province_loss_pct")
    assert all(name in findings[0] for name in base["name_vi"])


@given(st.floats(0, 1), st.floats(0, 1))
def test_verdict_words_follow_the_probability(p, q):
    order = [words for _, words in narrative._SUMMARY_VERDICTS]
    low, high = sorted((p, q))
    assert order.index(narrative._verdict_words(high)) <= order.index(narrative._verdict_words(low))


def test_the_summary_is_the_books_abstract():
    """_quarto-plan.yml names the summary chapter; both renderers print it after the cover, before the contents."""
    book = render.read_book(REPO_ROOT / "_quarto.yml", "plan")
    assert book.summary is not None and book.summary.name == "00_tom_tat.ipynb"
    assert book.summary in book.notebooks()  # executed with the chapters


def _pages(pdf) -> list[str]:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout.split("\f")


def test_the_summary_is_page_two_and_fits_it(plan_document):
    """PDF page 2 opens with "Tóm tắt" and holds the whole summary; page 3 is the contents, not its continuation."""
    pages = _pages(plan_document.outputs["pdf"])
    second = [line.strip() for line in pages[1].splitlines() if line.strip()]
    assert second and second[0] == "Tóm tắt", "page 2 does not open with Tóm tắt (an empty page after the cover?)"
    assert "Những phát hiện chính" in pages[1]
    third = [line.strip() for line in pages[2].splitlines() if line.strip()]
    assert third and third[0] == "Mục lục"
    assert sum(1 for page in pages if re.search(r"^Tóm tắt\s*$", page, re.M)) == 1  # not repeated as a chapter


def test_the_summary_comes_before_the_contents_and_the_home_page_in_html_and_docx(plan_document):
    page = plan_document.outputs["html"].read_text(encoding="utf-8")
    title, abstract = page.find('id="title-block-header"'), page.find('class="abstract"')
    contents, preface = page.find('id="TOC"'), page.find("Lời nói đầu</h1>")
    assert 0 <= title < abstract < contents and (preface < 0 or abstract < preface)
    assert "Những phát hiện chính" in page[abstract:contents]
    from docx import Document

    doc = Document(str(plan_document.outputs["docx"]))
    styles = [(p.style.name, p.text.strip()) for p in doc.paragraphs]
    abstract_at = next(i for i, (style, _) in enumerate(styles) if style.startswith("Abstract"))
    contents_at = next(i for i, (style, _) in enumerate(styles) if style == "TOC Heading")
    preface_at = next(i for i, (style, text) in enumerate(styles) if style.startswith("Heading") and "Lời nói đầu" in text)
    assert abstract_at < contents_at < preface_at
    assert all(style in ("Title", "Subtitle", "Author", "Date") for style, _ in styles[:abstract_at] if style != "Normal")
    assert doc.paragraphs[contents_at].paragraph_format.page_break_before
