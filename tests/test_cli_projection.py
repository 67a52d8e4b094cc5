"""capnuoc project / check / compare in a subprocess, as a user runs them; bad scenarios and --set end with exit 2."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
import re

import pytest

import capnuoc_model
from capnuoc_model.data import fmt
from capnuoc_model.model import projection
from capnuoc_model.model.scenario import load_scenario
from capnuoc_model.publish import narrative

from .conftest import REPO, run_cli

pytestmark = pytest.mark.integration

SCENARIOS = REPO / "analysis" / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
AMBITIOUS = SCENARIOS / "ambitious.yaml"
OUTPUTS = {"areas.csv", "systems.csv", "targets.csv", "sensitivity.csv", "what_it_takes.csv", "manifest.json"}
AREAS_COLUMNS = ["scenario", "year", "area_id", "population", "served", "coverage_pct", "coverage_p5", "coverage_p50", "coverage_p95"]
SYSTEMS_COLUMNS = ["scenario", "year", "system_id", "production_m3_per_day", "billed_m3_per_day", "loss_pct", "utilisation_pct",
                   "loss_class", "utilisation_class", "loss_p5", "loss_p50", "loss_p95"]
TARGETS_COLUMNS = ["indicator", "scope", "target", "value", "p_meet"]
VN_NUMBER = re.compile(r"\d{1,3}(?:\.\d{3})*(?:,\d+)?")


def _rows(path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:  # output CSVs carry a BOM for Excel
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _ok(result) -> None:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def _bad_input(result) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    return result.stderr


# ----------------------------------------------------------------------------- project


@pytest.fixture(scope="module")
def projected(tmp_path_factory):
    """Two runs of the same scenario and seed into two folders."""
    root = tmp_path_factory.mktemp("project")
    folders = []
    for name in ("first", "second"):
        result = run_cli("project", "--draws", "500", "--out", str(root / name))
        _ok(result)
        folders.append(root / name)
    return folders


def test_project_writes_the_required_files(projected):
    names = {f.name for f in projected[0].iterdir()}
    assert OUTPUTS <= names
    assert not [n for n in names if n.startswith(".")], "no temporary folder left behind"


def test_project_areas_columns_and_rows(projected):
    header, rows = _rows(projected[0] / "areas.csv")
    assert set(AREAS_COLUMNS) <= set(header), set(AREAS_COLUMNS) - set(header)
    assert len(rows) == 6 * 16
    assert {r["year"] for r in rows} == {str(y) for y in range(2025, 2031)}
    for r in rows:
        coverage = float(r["coverage_pct"])
        assert 0 <= float(r["served"]) <= float(r["population"]) + 1e-6
        assert coverage == pytest.approx(100 * float(r["served"]) / float(r["population"]), abs=1e-5)
        assert float(r["coverage_p5"]) <= float(r["coverage_p50"]) <= float(r["coverage_p95"])
    assert {r["scenario"] for r in rows} == {"Kế hoạch năm 2026 (cơ sở)"}


def test_project_systems_columns(projected):
    header, rows = _rows(projected[0] / "systems.csv")
    assert set(SYSTEMS_COLUMNS) <= set(header), set(SYSTEMS_COLUMNS) - set(header)
    assert len(rows) == 6 * 16
    running = [r for r in rows if r["production_m3_per_day"]]
    for r in running:
        assert float(r["production_m3_per_day"]) >= float(r["billed_m3_per_day"])
        assert r["loss_class"] and r["utilisation_class"]
    # systems not running have empty volumes
    idle = [r for r in rows if r["year"] == "2025" and r["system_id"] in ("tra_linh", "pac_mieu")]
    assert len(idle) == 2 and all(r["production_m3_per_day"] == "" and r["loss_pct"] == "" for r in idle)


def test_project_targets_columns(projected):
    header, rows = _rows(projected[0] / "targets.csv")
    assert set(TARGETS_COLUMNS) <= set(header), set(TARGETS_COLUMNS) - set(header)
    province = {(r["indicator"], r["scope"]): r for r in rows if r["scope"] == "province"}
    assert float(province[("coverage_pct", "province")]["target"]) == 87.4
    assert float(province[("loss_pct", "province")]["target"]) == 15.0
    assert all(0 <= float(r["p_meet"]) <= 1 for r in rows)
    # a probability is a share of the 500 draws
    assert all(float(r["p_meet"]) * 500 == pytest.approx(round(float(r["p_meet"]) * 500)) for r in rows)


def test_project_manifest(projected):
    manifest = json.loads((projected[0] / "manifest.json").read_text(encoding="utf-8"))
    assert {"capnuoc_version", "scenario", "seed", "draws"} <= set(manifest)
    assert manifest["capnuoc_version"] == capnuoc_model.__version__
    assert manifest["seed"] == projection.DEFAULT_SEED and manifest["draws"] == 500
    assert manifest["scenario"]["overrides"] == []
    files = {Path(f["absolute"]).resolve(): f["sha256"] for f in manifest["inputs"]}
    assert files[BASELINE.resolve()] == hashlib.sha256(BASELINE.read_bytes()).hexdigest()
    defaults = (REPO / "analysis" / "assumptions" / "defaults.yaml").resolve()
    assert files[defaults] == hashlib.sha256(defaults.read_bytes()).hexdigest()
    assert any(path.name == "systems.csv" for path in files)  # the data package is hashed too
    assert OUTPUTS - {"manifest.json"} <= set(manifest["outputs"])


def test_project_twice_with_the_same_seed_gives_identical_files(projected):
    first, second = projected
    names = sorted(f.name for f in first.iterdir())
    assert names == sorted(f.name for f in second.iterdir())
    for name in names:
        a, b = (first / name).read_bytes(), (second / name).read_bytes()
        if name == "manifest.json":
            # git_commit carries '+dirty' from the state of the working tree, which other work may change
            a, b = (json.loads(x) for x in (a, b))
            a.pop("git_commit"), b.pop("git_commit")
        assert a == b, name


def test_project_records_set_overrides_and_another_seed_changes_the_quantiles(projected, tmp_path):
    out = tmp_path / "effort"
    _ok(run_cli("project", "--draws", "500", "--seed", "1", "--set", "loss_programme.effort=1.5", "--out", str(out)))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"]["overrides"] == ["loss_programme.effort=1.5"] and manifest["seed"] == 1
    _, base = _rows(projected[0] / "areas.csv")
    _, other = _rows(out / "areas.csv")
    assert [r["coverage_p5"] for r in base] != [r["coverage_p5"] for r in other]  # another seed, other draws
    _, base_sys = _rows(projected[0] / "systems.csv")
    _, other_sys = _rows(out / "systems.csv")
    later = [(a, b) for a, b in zip(base_sys, other_sys) if a["year"] != "2025" and a["loss_pct"]]
    assert all(float(b["loss_pct"]) <= float(a["loss_pct"]) + 1e-3 for a, b in later)  # more effort, less loss
    assert sum(float(b["loss_pct"]) < float(a["loss_pct"]) - 0.1 for a, b in later) >= 10


# ----------------------------------------------------------------------------- check and compare


def test_check_prints_both_verdicts_in_vietnamese(package):
    result = run_cli("check", "--draws", "500")
    _ok(result)
    out = result.stdout
    coverage_head = "1. Tỷ lệ dân số đô thị được cấp nước sạch năm 2026 (mục tiêu ≥ 87,4 %):"
    loss_head = "2. Tỷ lệ thất thoát bình quân năm 2026 (mục tiêu ≤ 15 %):"
    assert coverage_head in out and loss_head in out
    assert out.index(coverage_head) < out.index(loss_head)
    p = projection.project(package, load_scenario(BASELINE), 500, projection.DEFAULT_SEED)
    row = projection.province_table(p).set_index("year").loc[2026]
    for head, key in ((coverage_head, "coverage"), (loss_head, "loss")):
        verdict = out[out.index(head) + len(head):].splitlines()[0].strip()
        # the verdict's words follow the probability, which it also prints
        assert verdict == narrative.verdict(row[f"p_{key}_target"]), verdict
    assert out.count("Cần gì:") == 2
    # every percentage in Vietnamese format: '.' groups thousands, ',' marks decimals
    numbers = re.findall(r"([\d.,]+) %", out)
    assert len(numbers) >= 8
    assert all(VN_NUMBER.fullmatch(n) for n in numbers), numbers
    assert any("," in n for n in numbers)
    assert not re.search(r"\d\.\d{1,2} %", out)
    # the headline figure is the simulation's median with its 90 % forecast range (not a confidence interval)
    assert "khoảng tin cậy" not in out and out.count("khoảng dự báo 90 %") == 2
    for key in ("coverage", "loss"):
        assert f"{fmt.pct(row[f'{key}_p5'])} – {fmt.pct(row[f'{key}_p95'])}" in out, key
        assert f"dự báo năm 2026: {fmt.pct(row[f'{key}_p50'])} (trung vị" in out, key
    assert "3. Công suất các công trình năm 2026:" in out


def test_compare_prints_both_scenarios(package):
    result = run_cli("compare", str(BASELINE), str(AMBITIOUS), "--draws", "200")
    _ok(result)
    names = [load_scenario(path).name for path in (BASELINE, AMBITIOUS)]
    assert names == ["Kế hoạch năm 2026 (cơ sở)", "Phương án tích cực"]
    for name in names:
        assert name in result.stdout
    for path in (BASELINE, AMBITIOUS):
        p = projection.project(package, load_scenario(path), 200, projection.DEFAULT_SEED)
        province = projection.province_table(p).set_index("year")
        assert fmt.pct(province.loc[2026, "coverage_p50"]) in result.stdout
        assert fmt.pct(province.loc[2030, "loss_p50"]) in result.stdout
        assert narrative.verdict(province.loc[2026, "p_loss_target"]) in result.stdout
    assert "Bao phủ 2026: trung vị" in result.stdout and "Thất thoát 2026: trung vị" in result.stdout


# ----------------------------------------------------------------------------- bad input


def test_misspelled_key_in_a_scenario_file(tmp_path):
    scenario = tmp_path / "typo.yaml"
    scenario.write_text("name: typo\ndescription: A misspelled key.\noverrides:\n  uptake:\n    final_shar: 0.95\n", encoding="utf-8")
    out = tmp_path / "out"
    err = _bad_input(run_cli("project", "--scenario", str(scenario), "--draws", "100", "--out", str(out)))
    line = scenario.read_text(encoding="utf-8").splitlines().index("    final_shar: 0.95") + 1
    assert f"{scenario}:{line}:uptake.final_shar: không có khóa 'final_shar'" in err
    assert "có phải là 'final_share'?" in err
    assert not out.exists()


def test_value_out_of_range_in_set():
    err = _bad_input(run_cli("check", "--draws", "100", "--set", "uptake.final_share=1.5"))
    assert "--set:1:uptake.final_share" in err
    assert "1.5 nằm ngoài khoảng cho phép" in err and "từ 0 đến 1" in err


def test_unknown_assumption_in_set_lists_what_exists():
    err = _bad_input(run_cli("check", "--draws", "100", "--set", "nonsense=1"))
    assert "không có giả định 'nonsense'" in err
    # nothing is close to 'nonsense', so the suggestion is the list of valid top-level groups
    for group in ("demand", "uptake", "projects", "extension", "losses", "loss_programme", "population"):
        assert group in err


def test_misspelled_assumption_in_set_suggests_the_nearest():
    err = _bad_input(run_cli("check", "--draws", "100", "--set", "uptake.final_shar=0.9"))
    assert "không có giả định 'uptake.final_shar'" in err and "có phải là 'uptake.final_share'?" in err


def test_yaml_syntax_error_gives_line_and_column(tmp_path):
    scenario = tmp_path / "broken.yaml"
    text = "name: broken\ndescription: The colon after a group is missing.\noverrides:\n  uptake\n    final_share: 0.95\n"
    scenario.write_text(text, encoding="utf-8")
    err = _bad_input(run_cli("check", "--scenario", str(scenario), "--draws", "100"))
    # the parser stops at the ':' of line 5 (a mapping value where a plain scalar continues)
    line = 5
    column = text.splitlines()[line - 1].index(":") + 1
    assert f"{scenario}:{line}:cột {column}: lỗi cú pháp YAML" in err
