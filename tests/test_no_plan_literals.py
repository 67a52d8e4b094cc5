"""The library and the plan's notebooks hold no plan year, target, count, group id or province (issue 16, "done when").

Every number and every string in ``capnuoc_model/**/*.py`` (docstrings excepted: they explain with the shipped
plan's example) and in the code cells of the plan's notebooks is scanned for what belongs to one plan:
its years (2025-2031), its targets and published aggregates (87,4, 15,0, 81,9, 17,9, 72,5), its counts
("/6", "16 đô thị", "sáu mục tiêu"), the ids of its groups, areas, systems, projects and operators, the old
``le_15``/``gt_15`` classes and the province's name. A hit is allowed only when listed in ``ALLOWED`` with
the reason it is not a plan literal.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from pathlib import Path

import pytest

from .conftest import DATA, REPO

LIBRARY = sorted((REPO / "capnuoc_model").rglob("*.py"))
NAMES = [p.relative_to(REPO / "capnuoc_model").as_posix() for p in LIBRARY]  # data/schema.py
PLAN_NOTEBOOKS = sorted((REPO / "notebooks").glob("0*.ipynb"))
PLAN_NUMBERS = {2025, 2026, 2027, 2028, 2029, 2030, 2031, 87.4, 15.0, 81.9, 17.9, 72.5}
PLAN_TEXT = re.compile(r"(?<!\d)20(2[5-9]|3[01])(?!\d)|87[,.]4|(?<![\d,.])15 ?%|(?<![\w/])/6\b|16 đô thị|\bsáu mục tiêu"
                       r"|\ble_15\b|\bgt_15\b|Cao Bằng", re.IGNORECASE)


def _ids() -> set[str]:
    """The shipped package's ids a library could hard-code."""
    columns = {"orientation_groups": "group_id", "urban_areas": "area_id", "systems": "system_id",
               "projects": "project_id", "operators": "operator_id"}
    out = set()
    for table, column in columns.items():
        with (DATA / f"{table}.csv").open(encoding="utf-8") as handle:
            out |= {row[column] for row in csv.DictReader(handle)}
    return out


PLAN_IDS = _ids()

# (file, literal) -> why it is not a plan literal
ALLOWED = {
    ("data/schema.py", "near_capacity"): "a value of systems.plan_utilisation_group (the §IV.1 placement vocabulary), "
                                    "which happens to equal one of Cao Bằng's group ids",
}


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                out.add(id(first.value))
    return out


def plan_literals(source: str) -> list[tuple[int, object]]:
    """(line, literal) of every plan literal in Python ``source``."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in skip or isinstance(node.value, bool):
            continue
        value = node.value
        if isinstance(value, (int, float)) and value in PLAN_NUMBERS and not (isinstance(value, int) and value == 15):
            hits.append((node.lineno, node.col_offset, value))
        elif isinstance(value, str) and (PLAN_TEXT.search(value) or value in PLAN_IDS):
            hits.append((node.lineno, node.col_offset, value))
    return [(line, value) for line, _, value in sorted(hits, key=lambda h: h[:2])]


def test_the_scanner_finds_what_it_looks_for():
    found = [v for _, v in plan_literals('Y = 2026\nT = 87.4\nL = 15.0\nG = "centre"\nS = f"{a}/6 mục tiêu"\n'
                                         'P = "tỉnh Cao Bằng"\nK = "le_15"\nM = "năm 2030"\n')]
    assert found == [2026, 87.4, 15.0, "centre", "/6 mục tiêu", "tỉnh Cao Bằng", "le_15", "năm 2030"]
    assert plan_literals('"""Docstrings may say 2026 and 87,4 %."""\nSEED = 20260515\nWIDTH = 15\nX = "2.600 người"\n') == []


@pytest.mark.parametrize("name", NAMES)
def test_library_has_no_plan_literal(name):
    hits = [(line, value) for line, value in plan_literals((REPO / "capnuoc_model" / name).read_text(encoding="utf-8"))
            if (name, value) not in ALLOWED]
    assert hits == [], f"{name}: {hits}"


@pytest.mark.parametrize("path", PLAN_NOTEBOOKS, ids=[p.name for p in PLAN_NOTEBOOKS])
def test_plan_notebooks_code_has_no_plan_literal(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    hits = []
    for number, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            hits += [(number, value) for _, value in plan_literals("".join(cell["source"]))]
    assert hits == [], f"{path.name}: {hits}"


def test_every_allowance_is_still_needed():
    for (name, value), reason in ALLOWED.items():
        assert reason
        assert any(v == value for _, v in plan_literals((REPO / "capnuoc_model" / name).read_text(encoding="utf-8"))), name
