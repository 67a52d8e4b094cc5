"""The fast tier (`make test-fast`, pytest -m "not slow") holds no test that starts a process, a kernel or typst.

The guard of tests/conftest.py fails such a test; these tests show that it does, that git (a manifest's
commit) is allowed, that a slow test is not held to it, and that tests that render or run the command line
in a subprocess are marked slow however their module is written.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import (_REFUSED, FAST_EXAMPLES, OWN_PROFILE, RENDERING_FIXTURES, REPO, SHARED_FIXTURES, SHARED_SCOPE, SharedFixturesTogether, SlowWorkInFastTest, examples, fast_tier,
                       pytest_xdist_make_scheduler, some_cases_fast, uses_shared_fixtures, xdist_scope)


@pytest.fixture()
def refused(request):
    """What the guard said; cleared afterwards, so that this test's own teardown does not fail on it."""
    yield lambda: request.node.stash.get(_REFUSED, "")
    if _REFUSED in request.node.stash:
        del request.node.stash[_REFUSED]


def test_a_fast_test_that_starts_a_process_fails(refused):
    with pytest.raises(SlowWorkInFastTest, match="starts a process"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)
    assert "mark it `@pytest.mark.slow`" in refused()


def test_a_fast_test_that_executes_a_notebook_fails(refused, tmp_path):
    from capnuoc_model.publish import report

    with pytest.raises(SlowWorkInFastTest, match="executes a notebook"):
        report.execute_notebook(tmp_path / "a.ipynb", tmp_path / "b.ipynb", {})


def test_a_fast_test_that_compiles_typst_fails(refused, tmp_path):
    import typst

    with pytest.raises(SlowWorkInFastTest, match="compiles typst"):
        typst.compile(str(tmp_path / "a.typ"))


def test_a_swallowed_refusal_still_fails_the_test(refused):
    try:
        subprocess.run(["true"], check=False)
    except Exception:  # noqa: BLE001 - code under test that hides the error
        pass
    assert refused(), "the guard keeps what it refused, for the test's teardown to report"


def test_git_is_allowed():
    from capnuoc_model.data import io

    io.git_commit()  # a manifest's commit: milliseconds, no kernel


@pytest.mark.slow
def test_a_slow_test_may_start_a_process():
    assert subprocess.run(["true"], check=False).returncode == 0


def test_rendering_and_subprocess_tests_are_slow(request):
    """Every collected test that uses a rendered document or is an integration test carries the slow marker;
    with -m "not slow" none of them is collected at all."""
    unmarked = [item.nodeid for item in request.session.items
                if (RENDERING_FIXTURES & set(item.fixturenames) or item.get_closest_marker("integration"))
                and item.get_closest_marker("slow") is None]
    assert not unmarked, unmarked
    if "not slow" in (request.config.getoption("markexpr") or ""):
        assert all(item.get_closest_marker("slow") is None for item in request.session.items)


# ---------------------------------------------------------------------------- fewer examples and cases, in the fast tier only


class _Config:
    def __init__(self, markexpr):
        self.markexpr = markexpr

    def getoption(self, name, default=None):
        return self.markexpr if name == "markexpr" else default


@pytest.mark.parametrize("markexpr, fast", [("not slow", True), ("not  slow and not integration", True), ("", False),
                                            ("slow", False), ("integration", False)])
def test_the_fast_tier_is_a_mark_expression_without_slow(markexpr, fast):
    assert fast_tier(_Config(markexpr)) is fast


def test_property_tests_search_fully_unless_the_fast_profile_is_loaded():
    from hypothesis import settings

    current = settings.get_current_profile_name()
    try:
        settings.load_profile("default")
        assert (examples(3), examples(400)) == (3, 400)
        settings.load_profile("fast")
        assert (examples(3), examples(400)) == (min(3, FAST_EXAMPLES), FAST_EXAMPLES)
        assert settings().max_examples == FAST_EXAMPLES  # a test that names no number
    finally:
        settings.load_profile(current)


def test_this_run_uses_the_profile_of_its_tier(request):
    from hypothesis import settings

    explicit = request.config.getoption("--hypothesis-profile", None)
    expected = explicit or ("fast" if fast_tier(request.config) else OWN_PROFILE)
    assert settings.get_current_profile_name() == expected


def test_some_cases_fast_marks_the_others_slow_and_keeps_every_case():
    cases = [(i, str(i)) for i in range(10)]
    spread = some_cases_fast(cases, 3)
    assert len(spread) == len(cases)
    kept = [i for i, case in enumerate(spread) if case == cases[i]]
    assert kept == [0, 4, 9]  # spread over the table, first and last included
    for i, case in enumerate(spread):
        if i not in kept:
            assert tuple(case.values) == cases[i] and [m.name for m in case.marks] == ["slow"]
    chosen = some_cases_fast(["a", pytest.param("b", marks=pytest.mark.integration, id="b"), "c"], (0,))
    assert chosen[0] == "a"
    assert chosen[1].id == "b" and {m.name for m in chosen[1].marks} == {"integration", "slow"}
    assert tuple(chosen[2].values) == ("c",)


def test_the_modules_of_the_shared_fixtures_go_to_one_worker_and_every_other_module_to_its_own():
    scheduler = object.__new__(SharedFixturesTogether)  # its rule alone (a real one needs the controller's workers)
    for scope in (xdist_scope, scheduler._split_scope):
        assert scope("tests/test_plan_text_summary.py::test_a[baseline]") == scope("tests/test_layout.py::test_b") == SHARED_SCOPE
        assert scope("tests/test_plan_text_counts.py::test_c") == scope("tests/test_report.py::test_d") == SHARED_SCOPE
        assert scope("tests/test_plan.py::test_e") == "tests/test_plan.py"
        assert scope("tests/test_evaluation.py::test_f[x::y]") == "tests/test_evaluation.py"  # imports report_inputs' module only
    uses = {p.name for p in (REPO / "tests").glob("test_*.py") if uses_shared_fixtures(f"tests/{p.name}")}
    named = {p.name for p in (REPO / "tests").glob("test_*.py")
             if any(f"{name}," in p.read_text(encoding="utf-8") or f"{name})" in p.read_text(encoding="utf-8")
                    for name in SHARED_FIXTURES)}  # a test or fixture that takes one as an argument
    assert named and named <= uses
    assert "test_fast_tier.py" not in uses and "test_validation.py" not in uses


def test_make_uses_the_scheduler_for_loadfile_only():
    class Config:
        def __init__(self, dist):
            self.dist = dist

        def getoption(self, name, default=None):
            return self.dist if name == "dist" else default

    assert pytest_xdist_make_scheduler(Config("load"), None) is None
    assert pytest_xdist_make_scheduler(Config("loadgroup"), None) is None


@pytest.mark.slow  # a pytest run in a subprocess
def test_the_suite_collects_without_xdist():
    """The scheduler hook is optional: with -p no:xdist (one process) the suite still collects."""
    import os

    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "--collect-only", "-q",
                             "tests/test_fast_tier.py"], cwd=REPO, capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
