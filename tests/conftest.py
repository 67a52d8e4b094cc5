"""Shared fixtures: the shipped data package, writable copies of it, and the CLI in a subprocess."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings
from xdist.scheduler import LoadFileScheduling

# (the library is imported where it is used: `make test-fast`'s controller process, which runs no test, starts
# before its workers do and so never waits for pandas and pandera)
REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"


@pytest.fixture(scope="session")
def package():
    """The shipped data package (capnuoc_model.data.DataPackage)."""
    from capnuoc_model.data import io

    return io.load_package(DATA)


# ------------------------------------------------------------------ hypothesis: every example in `make test`, a few in the fast tier
# `make test` runs each property test with the number of examples its @settings asks for (hypothesis' default of
# 100 when it asks for none). The fast tier (a mark expression that leaves out `slow`, as `make test-fast`) loads the
# profile "fast": at most FAST_EXAMPLES examples per test, so that the edit-test loop stays short; CI and `make test`
# still search as widely as before. `--hypothesis-profile=default` (or `fast`) chooses either one explicitly.
# Hypothesis loads a profile of its own first: "default", or "ci" where the environment says CI (no deadline,
# derandomized); the fast tier's profile inherits that one's settings and lowers only the number of examples.
OWN_PROFILE = settings.get_current_profile_name()
FAST_EXAMPLES = 4
settings.register_profile("fast", max_examples=FAST_EXAMPLES)


def fast_tier(config) -> bool:
    """Whether this run is the fast tier: its mark expression leaves the ``slow`` tests out."""
    return "not slow" in " ".join((config.getoption("markexpr", "") or "").split())


def pytest_configure(config):
    if fast_tier(config) and not config.getoption("--hypothesis-profile", None):
        settings.load_profile("fast")


def examples(count: int) -> int:
    """A property test's number of examples: ``count`` in `make test`, at most FAST_EXAMPLES in the fast tier.

    For ``@settings(max_examples=examples(40))``; a test that names no number gets the profile's own.
    """
    return min(count, FAST_EXAMPLES) if settings.get_current_profile_name() == "fast" else count


def some_cases_fast(cases: list, keep: int | tuple[int, ...]) -> list:
    """The cases of a parametrized test, ``keep`` of them in the fast tier and all of them in `make test`.

    The same idea as :func:`examples`, for a table of cases where each costs a package load or more (a rule over every
    column, every group, every broken cell): the cases kept are spread over the table, its first and last included
    (or ``keep`` names their positions); the others carry the ``slow`` marker. A case is a tuple of the test's
    arguments (or one value, or a pytest.param). Run by its path (no mark expression), a module runs every case.
    """
    chosen = set(keep) if isinstance(keep, tuple) else {round(i * (len(cases) - 1) / max(keep - 1, 1)) for i in range(keep)}
    out = []
    for i, case in enumerate(cases):
        if i in chosen:
            out.append(case)
        elif isinstance(case, type(pytest.param(None))):
            out.append(pytest.param(*case.values, marks=[*case.marks, pytest.mark.slow], id=case.id))
        else:
            out.append(pytest.param(*(case if isinstance(case, tuple) else (case,)), marks=pytest.mark.slow))
    return out


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


# ------------------------------------------------------------------ a report's inputs, computed once a session
# Tests of the plan's tables and sentences need a scenario's report inputs (package, projection run, baseline).
# They are computed once per session and scenario, at REPORT_DRAWS draws and REPORT_SENSITIVITY_DRAWS draws for each
# end of each assumption in the sensitivity table (they check how the text follows the numbers, not the numbers of
# the shipped run: the rendered documents, at DOCUMENT_DRAWS and the shipped sensitivity draws, do that), and kept
# in load_report_inputs' own cache, keyed by content (data, code, scenario, draws, seed), in a folder that every
# xdist worker of the session shares. Each module unpickles its own copy, so a test may change what it was given.
REPORT_DRAWS, REPORT_SEED, REPORT_SENSITIVITY_DRAWS = 300, 20260515, 20


def session_folder(tmp_path_factory, name: str) -> Path:
    """A folder of this test session shared by its xdist workers (each worker's own base folder sits in the session's)."""
    root = tmp_path_factory.getbasetemp()
    folder = (root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root) / name
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def report_inputs_cache(tmp_path_factory) -> Path:
    """load_report_inputs' cache for :func:`report_inputs`; it holds only runs with REPORT_SENSITIVITY_DRAWS."""
    return session_folder(tmp_path_factory, f"report-inputs-sensitivity-{REPORT_SENSITIVITY_DRAWS}")


SHARED_FIXTURES = ("plan_document", "evaluation_document", "report_inputs_cache")  # built once a worker, or a session
SHARED_SCOPE = "tests using the rendered documents or the report inputs"


@functools.cache
def uses_shared_fixtures(module: str) -> bool:
    """Whether a test module (its path from the repository) names one of SHARED_FIXTURES."""
    try:
        source = (REPO / module).read_text(encoding="utf-8")
    except OSError:
        return False
    return any(re.search(rf"\b{name}\b", source) for name in SHARED_FIXTURES)


def xdist_scope(nodeid: str) -> str:
    """The work unit of a test under `--dist loadfile` (make test, make test-fast): its module, except that every
    module that uses the rendered documents or the report inputs (SHARED_FIXTURES) is one unit, run by one worker.

    A session fixture is built once per worker: spread over two workers, the documents would be rendered twice (and
    the report inputs, which the workers share on disk, computed twice when both start on them at once).
    """
    module = nodeid.split("::", 1)[0]
    return SHARED_SCOPE if uses_shared_fixtures(module) else module


class SharedFixturesTogether(LoadFileScheduling):
    def _split_scope(self, nodeid: str) -> str:
        return xdist_scope(nodeid)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: unknown (and unused) with -p no:xdist
def pytest_xdist_make_scheduler(config, log):
    return SharedFixturesTogether(config, log) if config.getoption("dist") == "loadfile" else None


def report_inputs(cache: Path, scenario: str = "baseline", sets: tuple[str, ...] = ()):
    """The report's inputs of ``analysis/scenarios/<scenario>.yaml`` with ``sets`` (publish.ReportInputs), from ``cache``.

    The sensitivity's draws are not part of the cache key, hence a cache of their own (``report_inputs_cache``).
    """
    from capnuoc_model.model import projection
    from capnuoc_model.publish.report_inputs import load_report_inputs

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(projection, "SENSITIVITY_DRAWS", REPORT_SENSITIVITY_DRAWS)
        return load_report_inputs(f"analysis/scenarios/{scenario}.yaml", list(sets), REPORT_DRAWS, REPORT_SEED, "data", cache)


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


# ------------------------------------------------------------------ the two tiers: `make test` (all) and `make test-fast`
# A test is "slow" when it executes notebooks (papermill starts a kernel), renders a document, runs the command
# line in a subprocess or runs a long hypothesis search; `pytest -m "not slow"` (make test-fast) leaves those out.
# The guard below holds every other test to that: spawning a process (other than git, which a manifest asks
# for its commit, and fc-list, which finds the document fonts, both in milliseconds), executing a notebook or
# compiling typst fails it with this message.
FAST_TIER_ALLOWED = frozenset({"git", "fc-list"})


class SlowWorkInFastTest(AssertionError):
    """A test without the ``slow`` marker started a process, a kernel or a typst compilation."""


def _refuse(what: str, item) -> None:
    message = (f"{item.nodeid} is in the fast tier (no `slow` marker) but {what}; "
               "mark it `@pytest.mark.slow` (or the module `pytestmark = pytest.mark.slow`), or make it do less")
    item.stash[_REFUSED] = message
    raise SlowWorkInFastTest(message)


_REFUSED = pytest.StashKey[str]()
_CALL_FAILED = pytest.StashKey[bool]()
RENDERING_FIXTURES = {"plan_document", "evaluation_document", "documents_cache"}  # these render a document


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """A test that runs the command line or notebooks in a subprocess (``integration``) or uses a rendered
    document is slow, whatever its module says (the marker ``-m "not slow"`` selects on)."""
    for item in items:
        if item.get_closest_marker("integration") is not None or RENDERING_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Fail a test outside the ``slow`` tier that spawns a process, executes a notebook or compiles typst.

    Active through the test's whole run, so that module and session fixtures it sets up are held to it too.
    Patched at the lowest common point: ``subprocess.Popen._execute_child`` (every subprocess.run/Popen,
    papermill's kernel launch and pypandoc included, however they imported Popen), ``typst.compile`` and
    ``report.execute_notebook``. The failure is raised where it happens and, should the code under test
    swallow it, reported again when the test ends.
    """
    if item.get_closest_marker("slow") is not None:
        return (yield)
    import subprocess

    import typst

    from capnuoc_model.publish import report

    original = subprocess.Popen._execute_child

    def execute_child(self, args, *rest, **kwargs):
        argv = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
        program = Path(os.fsdecode(argv[0]).split()[0]).name if argv else ""
        if program not in FAST_TIER_ALLOWED:
            _refuse(f"starts a process ({program})", item)
        return original(self, args, *rest, **kwargs)

    patch = pytest.MonkeyPatch()
    patch.setattr(subprocess.Popen, "_execute_child", execute_child)
    patch.setattr(typst, "compile", lambda *a, **k: _refuse("compiles typst", item))
    patch.setattr(report, "execute_notebook", lambda *a, **k: _refuse("executes a notebook", item))
    try:
        return (yield)
    finally:
        patch.undo()


@pytest.fixture(autouse=True)
def _fast_tier_guard(request):
    """A refusal the code under test swallowed still fails the test (see pytest_runtest_protocol)."""
    yield
    refused = request.node.stash.get(_REFUSED, None)
    if refused is not None and not request.node.stash.get(_CALL_FAILED, False):
        pytest.fail(refused, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


def pytest_terminal_summary(terminalreporter):
    """The corruption counts of tests/test_robustness_contract.py, when it ran (tried, rejected, ran, tracebacks)."""
    import sys

    module = sys.modules.get("tests.test_robustness_contract")
    if module is not None and module.SUMMARY:
        terminalreporter.section("validate is the contract: generated corruptions")
        for line in module.SUMMARY:
            terminalreporter.write_line(line)
