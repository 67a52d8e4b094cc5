"""Issue 12 item 10: every source has a kind; a population figure from Wikipedia, a mirror of it or a real-estate
website is never shown without the mark of a secondary source."""

from __future__ import annotations

import html
import re

import pytest

from capnuoc_model.data import fmt
from capnuoc_model.data import io
from capnuoc_model.publish import report_tables as rt
from tests.document_text import normalise

SECONDARY_SITES = re.compile(r"wikipedia|diaoc|batdongsan|nhadat|bất động sản|sao chép|mirror", re.I)
PARAGRAPH = re.compile(r"<p[^>]*>(.*?)</p>", re.S)


@pytest.fixture(scope="module")
def package():
    return io.load_package(io.DEFAULT_DATA_DIR)


def test_every_source_has_a_kind_and_wikipedia_or_real_estate_is_secondary(package):
    sources = package.sources
    assert sources["kind"].isin(list(rt.SOURCE_KIND_VI)).all()
    for row in sources.itertuples():
        if SECONDARY_SITES.search(f"{row.publisher} {row.link_or_document}"):
            assert row.kind == "secondary", row.source_id


def _paragraphs(path) -> list[str]:
    page = re.sub(r"<script.*?</script>", "", path.read_text(encoding="utf-8"), flags=re.S)
    return [normalise(html.unescape(re.sub(r"<[^>]+>", "", p))) for p in PARAGRAPH.findall(page)]


def test_the_sources_table_gives_each_source_its_kind(plan_document, package):
    page = plan_document.outputs["html"].read_text(encoding="utf-8")
    table = next(t for t in re.findall(r'<table class="capnuoc-table">(.*?)</table>', page, re.S)
                 if "Nguồn số liệu đã công bố" in t)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    assert len(rows) == len(package.sources)
    kinds = [html.unescape(re.sub(r"<[^>]+>", "", re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)[-1])).strip() for r in rows]
    assert sorted(kinds) == sorted(package.sources["kind"].map(rt.SOURCE_KIND_VI))


def test_no_secondary_population_figure_is_shown_without_its_mark(plan_document, package):
    history = package.population_history
    kind = package.sources.set_index("source_id")["kind"]
    secondary = history[history["source"].map(kind) == "secondary"]
    assert len(secondary)  # the towns' census figures and the province's 2022 figure
    paragraphs = _paragraphs(plan_document.outputs["html"])
    shown = 0
    for value in secondary["population_persons"]:
        figure = normalise(fmt.persons(value))
        for paragraph in paragraphs:
            if figure in paragraph:
                shown += 1
                assert "thứ cấp" in paragraph, (figure, paragraph[:300])
    assert shown >= len(secondary)  # each one is named, with its mark, under the tables that rest on it
    biểu03_note = next(p for p in paragraphs if p.startswith("Dân số và số người được cấp nước được hiệu chỉnh"))
    for publisher in package.sources.set_index("source_id").loc[secondary["source"].unique(), "publisher"]:
        assert publisher in biểu03_note
