"""Issue 12 item 5, the class: every table of both documents marks each cell that shows an estimated base-year value.

The test walks every table of the rendered HTML of the plan and of the evaluation. It knows, from the data
package's provenance columns alone, which base-year values are estimates (a system's volumes, capacity and water
balance inputs, an area's population and people served) and what each of them, or a rate computed from them, looks
like when printed. A cell in the row of that system or area that shows such a value must be in italics with the
mark, and a table with marks must carry the legend.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from capnuoc_model.model import baseline as bl
from capnuoc_model.publish import notebook_output as show
from capnuoc_model.data import fmt
from capnuoc_model.data import io
from capnuoc_model.publish.report_tables import _KIND_PREFIX
from capnuoc_model.data.schema import ESTIMATE_PREFIX
from tests.document_text import html_text, normalise

INVISIBLE = re.compile(r"[\u00ad\u200b\u2060]")
TABLE = re.compile(r'<table class="capnuoc-table">(.*?)</table>(\s*<p class="table-note">(.*?)</p>)?', re.S)
CAPTION = re.compile(r"<caption>(.*?)</caption>", re.S)
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)
MARKED = re.compile(rf"^<em>.*</em>{re.escape(show.ESTIMATE_MARK)}$", re.S)


def _text(cell: str) -> str:
    return " ".join(INVISIBLE.sub("", html.unescape(re.sub(r"<[^>]+>", "", cell))).split())


def _cell(cell: str) -> tuple[str, bool]:
    """A cell's value as printed (without the mark) and whether it is marked as an estimate."""
    marked = bool(MARKED.match(cell.strip()))
    text = _text(cell)
    return (text.removesuffix(show.ESTIMATE_MARK) if marked else text), marked


YEAR = re.compile(r"\b(?:19|20)\d\d\b")
LATER = re.compile(r"dự báo|\bP5\b|\bP95\b|thực tế|thực hiện", re.I)


def shows_base_year(caption: str, header: str, base: int) -> bool:
    """Whether a column shows base-year values: its header names the base year, or it names no year, no forecast and
    no result, and the table's caption names no later year (a forecast or a report of a later year may print the
    same figure as the base year without being an estimate)."""
    years = {int(y) for y in YEAR.findall(header)}
    if years:
        return base in years
    if LATER.search(header):
        return False
    return all(int(y) <= base for y in YEAR.findall(caption))


def tables(path) -> list[tuple[str, list[list[tuple[str, bool]]], str]]:
    """(caption, rows of (text, is marked) cells, note) of every table of a rendered HTML document."""
    out = []
    for match in TABLE.finditer(path.read_text(encoding="utf-8")):
        body, note = match.group(1), _text(match.group(3) or "")
        caption = _text(CAPTION.search(body).group(1)) if CAPTION.search(body) else ""
        rows = [[_cell(c) for c in CELL.findall(r)] for r in ROW.findall(body)]
        out.append((caption, rows, note))
    return out


def _estimated(frame: pd.DataFrame) -> pd.Series:
    sources = [c for c in frame.columns if c.endswith("_source")]
    return frame[sources].astype("string").apply(lambda s: s.str.startswith(ESTIMATE_PREFIX)).fillna(False).any(axis=1)


def _printed(values) -> set[str]:
    """How a value can be printed in a table (0 to 2 decimals), keeping only forms with 3 digits or more."""
    out = set()
    for value in values:
        if value is None or pd.isna(value):
            continue
        for decimals in (0, 1, 2):
            text = fmt.vn(float(value), decimals)
            if sum(ch.isdigit() for ch in text) >= 3 and text.strip("0,.") != "":
                out.add(text)
    return out


@pytest.fixture(scope="module")
def estimated_values() -> dict[str, set[str]]:
    return estimated_base_values()


def estimated_base_values() -> dict[str, set[str]]:
    """Row name -> the printed forms of its estimated base-year values (systems by full and short name, areas)."""
    package = io.load_package(io.DEFAULT_DATA_DIR)
    systems = package.systems.set_index("system_id")
    network = package.system_network.set_index("system_id")
    by_system = _estimated(systems).add(_estimated(network).reindex(systems.index, fill_value=False), fill_value=False)
    balance = bl.balance_state(package)
    out: dict[str, set[str]] = {}
    for system_id, row in systems.iterrows():
        if not by_system.get(system_id, False) or row["status"] != "operating":
            continue
        production, billed, capacity = (float(row[c]) for c in ("production_m3_per_day", "billed_m3_per_day",
                                                                "design_capacity_m3_per_day"))
        values = [production, billed, capacity, 100 * (production - billed) / production, 100 * production / capacity]
        if system_id in balance.index:
            values += [v for v in balance.loc[system_id].to_numpy() if isinstance(v, (int, float))]
        short = _KIND_PREFIX.sub("", row["name_vi"])
        for name in {row["name_vi"], short[:1].upper() + short[1:]}:
            out.setdefault(name, set()).update(_printed(values))
    areas = package.urban_areas.set_index("area_id")
    for area_id, row in areas[_estimated(areas)].iterrows():
        population, served = float(row["population_base_persons"]), float(row["served_base_persons"])
        values = [population, served] + ([100 * served / population] if population > 0 else [])
        out.setdefault(row["name_vi"], set()).update(_printed(values))
    return out


def _unmarked(path, estimated_values) -> tuple[list[str], list[str], int]:
    """Cells showing an estimated value without the mark; tables with marks but no legend; how many cells were checked."""
    base = io.load_package(io.DEFAULT_DATA_DIR).plan.base_year
    unmarked, no_legend, checked = [], [], 0
    for caption, rows, note in tables(path):
        header = [text for text, _ in rows[0]] if rows else []
        marks = False
        for row in rows[1:]:
            if not row:
                continue
            values = estimated_values.get(row[0][0], set())
            for column, (text, marked) in enumerate(row[1:], start=1):
                marks |= marked
                if text in values and column < len(header) and shows_base_year(caption, header[column], base):
                    checked += 1
                    if not marked:
                        unmarked.append(f"{caption} | {row[0][0]} | {header[column]}: {text}")
        if marks and not any(" ".join(legend.split()) in note for legend in (show.ESTIMATE_LEGEND, show.ESTIMATE_LEGEND_PLAN)):
            no_legend.append(caption)
    return unmarked, no_legend, checked


def test_every_estimated_cell_of_the_plan_is_marked_and_every_marked_table_has_its_legend(plan_document, estimated_values):
    unmarked, no_legend, checked = _unmarked(plan_document.outputs["html"], estimated_values)
    assert checked > 250  # Biểu 01-03, the operators, the projections and the annexes' balances all show estimates
    assert not unmarked, "\n".join(unmarked)
    assert not no_legend, no_legend


def test_every_estimated_cell_of_the_evaluation_is_marked(evaluation_document, estimated_values):
    unmarked, no_legend, checked = _unmarked(evaluation_document.outputs["html"], estimated_values)
    assert checked > 30  # the base-year columns of the areas, systems and projects tables
    assert not unmarked, "\n".join(unmarked)
    assert not no_legend, no_legend


def test_placeholder_looking_equal_values_each_have_their_sentence(plan_document):
    package = io.load_package(io.DEFAULT_DATA_DIR)
    areas = package.urban_areas
    counts = areas["population_base_persons"].value_counts()
    equal = counts[counts >= 2].index
    assert len(equal) >= 2  # four towns at 4.582, two wards at 27.929
    text = normalise(html_text(plan_document.outputs["html"]))
    for value in equal:
        names = areas.loc[areas["population_base_persons"] == value, "name_vi"]
        sentence = next((s for s in text.split(". ") if normalise(f"cùng có {fmt.persons(value)}") in s), None)
        assert sentence is not None, value
        assert all(name in sentence for name in names) and "phương pháp" in sentence
