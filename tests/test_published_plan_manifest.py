"""Which published plan an evaluation compares against: only one built from the same data package and scenario file.

The plan's output folder is named after the scenario (``output/report/baseline``), so a plan published
for one province sits where another province's evaluation with a scenario of the same name looks. Its
projection settings must not be taken over unless it names the same data package and scenario file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from capnuoc_model.publish import eval_build
from capnuoc_model.publish import report

REPO = Path(__file__).resolve().parent.parent
SECOND = REPO / "tests" / "fixtures" / "tinh_song_may"


@pytest.fixture
def published(tmp_path, monkeypatch):
    """Where ``report.output_folder`` says the plan of a scenario is published, redirected to a temporary folder."""
    monkeypatch.setattr(report, "output_folder", lambda scenario, sets: tmp_path / Path(scenario).stem)

    def publish(data: Path, scenario: Path) -> Path:
        folder = tmp_path / scenario.stem
        folder.mkdir(exist_ok=True)
        path = folder / "manifest.json"
        path.write_text(json.dumps({"arguments": {"data": str(data), "scenario": str(scenario), "sets": []}}),
                        encoding="utf-8")
        return path

    return publish


CASES = [
    # (the package and scenario the plan was published from, the package and scenario evaluated, used?)
    ((REPO / "data", REPO / "analysis/scenarios/baseline.yaml"), (REPO / "data", REPO / "analysis/scenarios/baseline.yaml"), True),
    ((REPO / "data", REPO / "analysis/scenarios/baseline.yaml"), (SECOND / "data", SECOND / "analysis/scenarios/baseline.yaml"), False),
    ((SECOND / "data", SECOND / "analysis/scenarios/baseline.yaml"), (REPO / "data", REPO / "analysis/scenarios/baseline.yaml"), False),
    ((REPO / "data", SECOND / "analysis/scenarios/baseline.yaml"), (REPO / "data", REPO / "analysis/scenarios/baseline.yaml"), False),
]


@pytest.mark.parametrize(("published_from", "evaluated", "used"), CASES)
def test_a_plan_counts_only_for_its_own_package_and_scenario(published, published_from, evaluated, used):
    path = published(*published_from)
    data, scenario = evaluated
    found = eval_build.published_plan_manifest(scenario, [], data)
    assert (found == path) is used


def test_no_published_plan(published):
    assert eval_build.published_plan_manifest(REPO / "analysis/scenarios/baseline.yaml", [], REPO / "data") is None
