"""The fast tier (`make test-fast`, pytest -m "not slow") holds no test that starts a process, a kernel or typst.

The guard of tests/conftest.py fails such a test; these tests show that it does, that git (a manifest's
commit) is allowed, that a slow test is not held to it, and that tests that render or run the command line
in a subprocess are marked slow however their module is written.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import _REFUSED, RENDERING_FIXTURES, SlowWorkInFastTest


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
