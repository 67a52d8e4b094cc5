"""Shared fixtures: the shipped data package, writable copies of it, and the CLI in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from capnuoc_model.data import io

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"


@pytest.fixture(scope="session")
def package() -> io.DataPackage:
    return io.load_package(DATA)


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the data package."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def edit_cell(path: Path, key_column: str, key: str, column: str, value: str) -> int:
    """Set one cell of a CSV in place (through the csv module); returns the line number edited."""
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    k, c = header.index(key_column), header.index(column)
    for number, row in enumerate(rows[1:], start=2):
        if row[k] == key:
            row[c] = value
            with path.open("w", encoding="utf-8", newline="") as handle:
                csv.writer(handle, lineterminator="\n").writerows(rows)
            return number
    raise KeyError(key)


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "capnuoc_model.cli", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )


# ------------------------------------------------------------------ the two documents, rendered once a session
DOCUMENT_DRAWS = 1000


@pytest.fixture(scope="session")
def documents_cache(tmp_path_factory) -> Path:
    """One cache for every test that renders a document (the projection run and executed chapters are shared)."""
    return tmp_path_factory.mktemp("documents-cache")


@pytest.fixture(scope="session")
def plan_document(tmp_path_factory, documents_cache):
    """The plan in HTML, PDF and DOCX by the offline renderer (report.ReportResult)."""
    from capnuoc_model.publish import report

    out = tmp_path_factory.mktemp("plan") / "baseline"
    return report.build_report(draws=DOCUMENT_DRAWS, out=out, cache_dir=documents_cache, use_quarto=False)


@pytest.fixture(scope="session")
def evaluation_document(tmp_path_factory, documents_cache):
    """The evaluation of the shipped example reports in HTML, PDF and DOCX (eval_build.EvaluationResult)."""
    from capnuoc_model.publish import eval_build

    out = tmp_path_factory.mktemp("evaluation") / "vd"
    return eval_build.build_evaluation(DATA / "examples" / "thuc_hien_2026_minh_hoa", draws=DOCUMENT_DRAWS, out=out, cache_dir=documents_cache,
                                       use_quarto=False)


@pytest.fixture(autouse=True)
def _units_joined_by_plain_spaces():
    """A document's chapter joins numbers and units with no-break spaces (fmt.join_units); the terminal does not.

    A test that runs chapter code in this process must not leave that setting to the tests after it.
    """
    from capnuoc_model.data import fmt

    yield
    fmt.join_units(False)


def pytest_terminal_summary(terminalreporter):
    """The corruption counts of tests/test_robustness_contract.py, when it ran (tried, rejected, ran, tracebacks)."""
    import sys

    module = sys.modules.get("tests.test_robustness_contract")
    if module is not None and module.SUMMARY:
        terminalreporter.section("validate is the contract: generated corruptions")
        for line in module.SUMMARY:
            terminalreporter.write_line(line)
