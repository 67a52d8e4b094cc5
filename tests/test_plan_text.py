"""Issue 12 item 2: the plan's own text, whole and word for word, in the data package and in every rendered format."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capnuoc_model.data import io
from capnuoc_model.data.errors import CapnuocInputError
from capnuoc_model.data.plan import strip_accents
from tests.document_text import docx_footnotes, docx_text, html_text, normalise, pdf_text, seed_items, unmarked

from .conftest import examples

DATA = io.REPO_ROOT / "data"
SEED = DATA / "derivation" / "ke_hoach_ban_trich.txt"  # the plan's text as extracted from the signed document


def corrected(items: list[str], corrections) -> list[str]:
    out = []
    for item in items:
        for source, fixed in corrections:
            item = item.replace(source, fixed)
        out.append(item)
    return out


@pytest.fixture(scope="module")
def expected(package) -> list[str]:
    return corrected(seed_items(SEED), package.plan.text.corrections)


def _package_items(text) -> list[str]:
    items = []
    for paragraph in text.paragraphs():
        lines = [line.strip() for line in paragraph.splitlines()]
        if all(line.endswith("\\") for line in lines[:-1]) and len(lines) > 1:  # hard line breaks: one paragraph
            lines = [" ".join(line.rstrip("\\") for line in lines)]
        for line in lines:
            line = re.sub(r"^(#+|-) ", "", line)
            if line:
                items.append(unmarked(line))
    return items


def test_the_package_holds_the_plan_paragraph_by_paragraph(package, expected):
    """Every paragraph, list item and footnote of the source, nothing added, the body in the source's order."""
    got = _package_items(package.plan.text)
    assert Counter(got) == Counter(expected)
    body = corrected(seed_items(SEED, footnotes=False), package.plan.text.corrections)
    assert [item for item in got if item in set(body)] == body


def test_corrections_change_accents_only(package):
    corrections = package.plan.text.corrections
    assert corrections, "the shipped plan lists its misprints"
    for source, fixed in corrections:
        assert strip_accents(source) == strip_accents(fixed) and source != fixed


def _with_plan_yaml(tmp_path: Path, extra: str) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    plan_yaml = folder / "plan.yaml"
    text = plan_yaml.read_text(encoding="utf-8")
    text = text[: text.index("text_corrections:")] + extra
    plan_yaml.write_text(text, encoding="utf-8")
    return folder


@settings(max_examples=examples(15), deadline=None)
@given(word=st.sampled_from(["Phần đầu", "đầu nổi", "Kế hoạch", "công trình"]),
       replacement=st.text(alphabet="abcxyzđêô ", min_size=1, max_size=8))
def test_a_correction_that_changes_letters_is_refused(tmp_path_factory, word, replacement):
    if strip_accents(word) == strip_accents(replacement):
        return
    folder = _with_plan_yaml(tmp_path_factory.mktemp("p"), f'text_corrections:\n  - {{source: "{word}", corrected: "{replacement}"}}\n')
    with pytest.raises(CapnuocInputError) as error:
        io.load_package(folder)
    assert "text_corrections.0" in str(error.value) and "dấu" in str(error.value)


def test_an_unknown_insert_is_a_located_error(tmp_path):
    folder = _with_plan_yaml(tmp_path, "text_corrections: []\n")
    path = folder / "plan_text.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index("<!-- chèn: bieu01 -->")
    lines[at] = "<!-- chèn: bieu99 -->"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CapnuocInputError) as error:
        io.load_package(folder)
    assert f"plan_text.md:{at + 1}" in str(error.value) and "bieu99" in str(error.value)


def test_the_evaluation_tasks_are_the_plans_own(package):
    """The evaluation reproduces §VII's tasks from agency_tasks.csv: each is a paragraph of the plan's text."""
    paragraphs = {normalise(line.strip().removeprefix("- ")) for p in package.plan.text.paragraphs() for line in p.splitlines()}
    for task in package.tables["agency_tasks"]["task_vi"]:
        assert normalise(task) in paragraphs, task


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_the_rendered_plan_reproduces_the_plan_paragraph_by_paragraph(plan_document, expected, fmt):
    path = plan_document.outputs[fmt]
    text = {"html": html_text, "pdf": pdf_text, "docx": lambda p: docx_text(p) + " " + docx_footnotes(p)}[fmt](path)
    # the PDF breaks words across lines with no hyphen only at spaces; footnote marks are not text
    document = normalise(text.replace("¹", "").replace("²", ""))
    missing = [item for item in expected if normalise(item.replace("¹", "").replace("²", "")) not in document]
    assert not missing, f"{len(missing)} of {len(expected)} paragraphs not found word for word, first: {missing[:3]}"
    assert "DỰ THẢO — bản tham khảo dựng lại từ" in document
