"""Property tests over generated corruptions (hypothesis): either the input is rejected with located messages
(exit 2) or every command runs on it; never a traceback. Data packages, scenario files and reproduce manifests.

The same machinery, run on many more corruptions, is ``benchmarks/bench_contract.py``; the counts of this
run (tried, rejected, ran, tracebacks) are printed at the end of the test session.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import corruptions as c
from .conftest import DATA, REPO, examples

TABLE_NAMES = sorted(p.stem for p in DATA.glob("*.csv")) + [c.PLAN_TABLE]  # the tables and the plan file
SCENARIOS = sorted((REPO / "analysis" / "scenarios").glob("*.yaml"))
TALLIES = {"data package": c.Tally(), "scenario files": c.Tally(), "reproduce manifests": c.Tally()}
SLOW = settings(deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)

operations = st.lists(st.tuples(st.sampled_from(c.PACKAGE_OPERATIONS), st.sampled_from(TABLE_NAMES), st.integers(0, 2**31 - 1)),
                      min_size=1, max_size=2)


@pytest.mark.slow  # an accepted corruption runs every command (about 10 s an example)
@settings(SLOW, max_examples=examples(8))
@given(operations=operations)
def test_corrupted_data_package(tmp_path_factory, operations):
    tally, problems = c.check_package(DATA, tmp_path_factory.mktemp("package"), operations)
    TALLIES["data package"].add(tally)
    assert not problems, "\n\n".join(problems)


@pytest.mark.slow  # an accepted corruption runs check and compare
@settings(SLOW, max_examples=examples(12))
@given(source=st.sampled_from(SCENARIOS), operation=st.sampled_from(c.SCENARIO_OPERATIONS), seed=st.integers(0, 2**31 - 1))
def test_corrupted_scenario_file(tmp_path_factory, source, operation, seed):
    tally, problems = c.check_scenario_file(source, operation, seed, tmp_path_factory.mktemp("scenario"))
    TALLIES["scenario files"].add(tally)
    assert not problems, "\n\n".join(problems)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    return c.publish_baseline(tmp_path_factory.mktemp("published") / "baseline")


@settings(SLOW, max_examples=examples(15))
@given(operation=st.sampled_from(c.MANIFEST_OPERATIONS), seed=st.integers(0, 2**31 - 1))
def test_corrupted_manifest(published, operation, seed):
    tally, problems = c.check_manifest(published, operation, seed)
    TALLIES["reproduce manifests"].add(tally)
    assert not problems, "\n\n".join(problems)


@pytest.mark.slow  # runs every command on the accepted package
def test_a_harmless_corruption_is_accepted_and_runs_everywhere(tmp_path):
    """The machinery itself: a shuffled table is accepted and runs everywhere."""
    ran, problems = c.check_package(DATA, tmp_path / "a", [("shuffle_rows", "urban_areas", 3)])
    assert (ran.ran, ran.rejected, ran.tracebacks, problems) == (1, 0, 0, [])


def test_a_breaking_corruption_is_rejected_with_located_messages(tmp_path):
    """The machinery itself: a header-only table is rejected (by validate, before any other command runs)."""
    rejected, problems = c.check_package(DATA, tmp_path / "b", [("header_only", "systems", 3)])
    assert (rejected.ran, rejected.rejected, rejected.tracebacks, problems) == (0, 1, 0, [])
    for tally in TALLIES.values():
        assert tally.tracebacks == 0


def test_print_the_counts(capsys):
    """Written to the terminal summary (see conftest.py) so that the numbers appear in every `make test`."""
    total = c.Tally()
    for tally in TALLIES.values():
        total.add(tally)
    assert total.tracebacks == 0, total.examples
    SUMMARY.extend(t.line(what) for what, t in TALLIES.items())
    SUMMARY.append(total.line("all corruptions"))
    json.dumps(SUMMARY)


SUMMARY: list[str] = []
