"""`make report` makes the documents again exactly when something they are made from changed.

`make -n` (nothing is run) with `-W <file>` (that file as if just edited) shows whether `capnuoc report all`
would run. The stamp of the last run is a temporary file here, so the checkout's own outputs are not touched.
`make report` hands both stamps to a second make that builds them side by side (-j2), and make passes no `-W`
down: these checks ask for the stamps themselves, and one check reads what `make report` hands down.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")]

# one of each kind of input the documents are made from
INPUTS = ["data/systems.csv", "data/plan.yaml", "analysis/scenarios/baseline.yaml", "notebooks/04_du_an.ipynb",
          "_quarto.yml", "_quarto-evaluation.yml", "capnuoc_model/model/engine.py",
          "report/templates/capnuoc.typ", "report/quarto/post_render.py", "capnuoc_model/data/messages.yaml"]


def _would_run(stamp: Path, *make_args: str) -> bool:
    done = subprocess.run(["make", "-n", "--no-print-directory", f"REPORT_STAMP={stamp}", *make_args, str(stamp)],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return "capnuoc report all" in done.stdout


def _future(*paths: Path) -> None:
    """Files (made if missing) newer than every input, all with the same time: make compares them with each other too."""
    future = time.time() + 3600
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text("")
        os.utime(path, (future, future))


@pytest.fixture
def fresh_stamp(tmp_path):
    """A stamp newer than every input, listing two output files that exist."""
    outputs = [tmp_path / "plan" / "manifest.json", tmp_path / "evaluation" / "manifest.json"]
    for path in outputs:
        path.parent.mkdir()
        path.write_text("{}")
    stamp = tmp_path / "report-all.stamp"
    stamp.write_text("\n".join(map(str, outputs)) + "\n")
    _future(*outputs, stamp)
    return stamp, outputs


def test_unchanged_inputs_run_nothing(fresh_stamp):
    stamp, _ = fresh_stamp
    assert not _would_run(stamp)


@pytest.mark.parametrize("changed", INPUTS)
def test_a_changed_input_makes_the_documents_again(fresh_stamp, changed):
    assert (REPO / changed).is_file(), changed
    assert _would_run(fresh_stamp[0], "-W", changed)


def test_a_missing_document_folder_makes_the_documents_again(fresh_stamp):
    stamp, outputs = fresh_stamp
    shutil.rmtree(outputs[1].parent)
    assert _would_run(stamp)


def test_no_stamp_runs_the_report(tmp_path):
    assert _would_run(tmp_path / "none.stamp")


def _baseline_dry_run(tmp_path: Path, *make_args: str, folder: bool = True) -> tuple[str, Path]:
    """What `make -n` would run for a baseline stamp newer than every input, with (or without) its folder there (a clean
    checkout has none: its first run makes it); and the folder."""
    stamp, written = tmp_path / "baseline.stamp", tmp_path / "baseline"
    _future(stamp, *([written / "manifest.json"] if folder else []))
    done = subprocess.run(["make", "-n", "--no-print-directory", f"BASELINE_STAMP={stamp}", f"BASELINE_OUT={written}",
                           *make_args, str(stamp)], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout, written


@pytest.mark.parametrize("changed", ["data/systems.csv", "analysis/scenarios/baseline.yaml", "capnuoc_model/data/schema.py"])
def test_a_changed_input_checks_the_data_and_writes_the_baseline_again(tmp_path, changed):
    commands, written = _baseline_dry_run(tmp_path, "-W", changed)
    assert "capnuoc validate" in commands and f"capnuoc baseline --out {written}" in commands


def test_an_unchanged_input_leaves_the_baseline_alone(tmp_path):
    commands, _ = _baseline_dry_run(tmp_path)
    assert "capnuoc validate" not in commands


def test_make_report_builds_both_stamps_side_by_side():
    done = subprocess.run(["make", "-n", "--no-print-directory", "report"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    handed_down = [line for line in done.stdout.splitlines() if "-j2" in line]
    assert handed_down and "baseline.stamp" in handed_down[0] and "report-all.stamp" in handed_down[0]


def test_a_missing_baseline_folder_writes_it_again(tmp_path):
    commands, written = _baseline_dry_run(tmp_path, folder=False)
    assert f"capnuoc baseline --out {written}" in commands
