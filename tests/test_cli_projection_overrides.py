"""check / project with overrides: the listed changes (issue 10 item 1), output folders and labels
(item 5), a headline figure and a verdict that never contradict each other (item 6)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from capnuoc_model import cli

from capnuoc_model.data import io

from capnuoc_model.publish import narrative

from capnuoc_model.model import projection, projection_run
from capnuoc_model.model.scenario import load_scenario

from .conftest import REPO, examples, run_cli

pytestmark = pytest.mark.integration

BASELINE = REPO / "analysis" / "scenarios" / "baseline.yaml"
LATE_SETS = ["projects.pac_mieu_supply.commissioning_month=15", "projects.dong_khe_supply.commissioning_month=15",
             "projects.tra_linh_renovation.commissioning_month=16", "projects.hoa_an_capacity.commissioning_month=14"]


def _sets(*sets: str) -> list[str]:
    return [a for s in sets for a in ("--set", s)]


# ----------------------------------------------------------------------------- check with every project late


@pytest.fixture(scope="module")
def late_check():
    result = run_cli("check", "--draws", "400", *_sets(*LATE_SETS))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_check_lists_the_overridden_assumptions_and_their_moved_distributions(late_check):
    assert "Giả định khác bộ mặc định (4):" in late_check
    assert ("projects.pac_mieu_supply.commissioning_month: 9 → 15; phân phối dịch theo giá trị mới: "
            "tam giác (6; 9; 15) → tam giác (12; 15; 21) (tại --set:1)") in late_check


def test_check_says_something_true_when_every_project_is_late(late_check):
    # main: "Kể cả khi toàn bộ 0 người hưởng lợi ... được đấu nối"
    assert "toàn bộ 0 người" not in late_check
    assert "không dự án cấp nước nào vào sử dụng trước 31/12/2026 (dự án số 1, 2, 3 và 5 vào sử dụng sau" in late_check


def test_check_without_overrides_says_so():
    result = run_cli("check", "--draws", "100")
    assert "Giả định: như bộ mặc định" in result.stdout


# ----------------------------------------------------------------------------- headline figure vs verdict


@settings(max_examples=examples(300), deadline=None)
@given(draws=st.lists(st.floats(80, 95, allow_nan=False), min_size=1, max_size=300),
       target=st.integers(800, 950).map(lambda t: t / 10), at_least=st.booleans())
def test_the_verdict_never_contradicts_the_printed_median(draws, target, at_least):
    """The figure is the median of the draws (projection._quantiles) as printed; the words follow p(meet),
    both by the plan's comparison rule (a value meets the target when it does as printed)."""
    from capnuoc_model.data.plan import meets_bounds

    low, high = (target, None) if at_least else (None, target)
    x = np.asarray(draws)
    p = float(meets_bounds(x, low, high).mean())
    median = float(np.nanpercentile(x, 50))
    words = narrative.verdict(p)
    assert words.endswith(f"({narrative.fmt.pct(100 * p, 0)})")
    if words.startswith(("CÓ KHẢ NĂNG ĐẠT", "GẦN NHƯ CHẮC CHẮN ĐẠT")):
        assert meets_bounds(median, low, high)
    if words.startswith(("KHÓ ĐẠT", "GẦN NHƯ KHÔNG THỂ ĐẠT")):
        assert not meets_bounds(median, low, high)


def test_verdict_words_follow_the_probability():
    assert narrative.verdict(0.69) == "CÓ KHẢ NĂNG ĐẠT (69 %)"
    assert narrative.verdict(0.03) == "KHÓ ĐẠT (3 %)"
    assert narrative.verdict(0.5) == "CHƯA CHẮC ĐẠT (50 %)"
    assert narrative.verdict(0.97) == "GẦN NHƯ CHẮC CHẮN ĐẠT (97 %)"
    assert narrative.verdict(0.0) == "GẦN NHƯ KHÔNG THỂ ĐẠT (0 %)"


# ----------------------------------------------------------------------------- output folders and labels


def test_default_output_folder_is_named_by_scenario_and_overrides():
    base = projection_run.output_folder("projection", BASELINE, [])
    a = projection_run.output_folder("projection", BASELINE, ["uptake.final_share=0.8"])
    b = projection_run.output_folder("projection", BASELINE, ["uptake.final_share=0.7"])
    ab = projection_run.output_folder("projection", BASELINE, ["a=1", "a=2"])
    ba = projection_run.output_folder("projection", BASELINE, ["a=2", "a=1"])
    assert base == io.REPO_ROOT / "output" / "projection" / "baseline"
    assert re.fullmatch(r"baseline-[0-9a-f]{8}", a.name) and a.parent == base.parent
    assert len({base, a, b, ab, ba}) == 5  # the order of --set matters when one path is set twice
    assert a == projection_run.output_folder("projection", BASELINE, ["uptake.final_share=0.8"])


def test_project_without_out_keeps_each_override_in_its_own_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "REPO_ROOT", tmp_path)
    runner = CliRunner()
    folders = []
    for value in ("0.8", "0.7"):
        result = runner.invoke(cli.app, ["project", "--draws", "100", "--set", f"uptake.final_share={value}"])
        assert result.exit_code == 0, result.output
        assert "uptake.final_share: 0,9 → " in result.output  # the changes are listed
        folders.append(projection_run.output_folder("projection", BASELINE, [f"uptake.final_share={value}"]))
    assert all(folder.is_dir() and folder.parent == tmp_path / "output" / "projection" for folder in folders)
    assert folders[0] != folders[1]
    for folder, value in zip(folders, ("0.8", "0.7")):
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["scenario"]["overrides"] == [f"uptake.final_share={value}"]
        [change] = manifest["scenario"]["changes"]
        assert change["path"] == "uptake.final_share" and change["distribution_change"] == "moved"
        label = f"Kế hoạch năm 2026 (cơ sở) (--set uptake.final_share={value})"
        assert manifest["scenario"]["label"] == label
        for name in ("province", "areas", "systems", "targets", "assumption_changes"):
            frame = pd.read_csv(folder / f"{name}.csv", encoding="utf-8-sig")
            assert set(frame["scenario"]) == {label}, name


# ----------------------------------------------------------------------------- shortage as a finding


class _Run:
    def __init__(self, p):
        self.projection = p
        self.tables = {"systems": projection.systems_table(p)}


def test_a_shortage_is_a_finding_naming_the_systems(package):
    sets = ["demand.centre_domestic_l_per_person_day=132", "demand.town_domestic_l_per_person_day=108"]
    text = narrative.shortage(_Run(projection.project(package, load_scenario(BASELINE, sets), 300, 1)))
    assert text.startswith("Thiếu công suất năm 2026") and "Nhà máy nước Sông Bằng (thiếu nước trong" in text


def test_no_shortage_is_said_as_such(package):
    p = projection.project(package, load_scenario(BASELINE, ["demand.max_utilisation_pct=130"]), 200, 1)
    assert narrative.shortage(_Run(p)).startswith("Năm 2026 không công trình nào thiếu công suất")
