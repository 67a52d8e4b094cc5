"""Every output folder carries manifest.json; `capnuoc reproduce` confirms a published run or says what differs and why."""

import json

import pytest

from .conftest import edit_cell, run_cli

pytestmark = pytest.mark.integration


@pytest.fixture()
def published(tmp_path, data_copy):
    out = tmp_path / "published"
    done = run_cli("project", "--draws", "300", "--data", str(data_copy), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out, data_copy


def test_manifest_records_inputs_and_settings(published):
    out, data = published
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "project"
    assert manifest["arguments"]["draws"] == 300 and manifest["arguments"]["seed"] == 20260515
    paths = [record["path"] for record in manifest["inputs"]]
    assert any(p.endswith("systems.csv") for p in paths) and any(p.endswith("baseline.yaml") for p in paths)
    assert any(p.endswith("defaults.yaml") for p in paths)
    assert all(len(record["sha256"]) == 64 for record in manifest["inputs"])
    assert {"numpy", "pandas", "statsmodels"} <= set(manifest["packages"])
    assert "areas.csv" in manifest["outputs"] and "code_sha256" in manifest


def test_reproduce_confirms_a_published_run(published):
    out, _ = published
    done = run_cli("reproduce", str(out / "manifest.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    outputs = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    assert "nrw_value.csv" in outputs  # the value of NRW by year is a published output too
    compared = [name for name in outputs if name.endswith(".csv")]  # the workbook beside them is for people, not compared
    assert "Tái lập được" in done.stdout and f"{len(compared)} tệp" in done.stdout


def test_reproduce_names_the_changed_input(published):
    out, data = published
    edit_cell(data / "systems.csv", "system_id", "bao_lac", "billed_m3_per_day", "380")
    done = run_cli("reproduce", str(out / "manifest.json"))
    assert done.returncode == 1
    assert "Không tái lập được" in done.stdout and "systems.csv" in done.stdout
    assert "systems.csv: tệp đầu vào đã thay đổi từ lần chạy đó" in done.stdout


def test_reproduce_finds_an_edited_output(published):
    out, _ = published
    path = out / "province.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("2026", "2026", 1).rsplit(",", 1)[0] + ",0.999"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = run_cli("reproduce", str(out / "manifest.json"))
    assert done.returncode == 1 and "province.csv: dòng 3" in done.stdout


def test_baseline_folder_is_reproducible(tmp_path):
    out = tmp_path / "baseline"
    assert run_cli("baseline", "--out", str(out)).returncode == 0
    done = run_cli("reproduce", str(out / "manifest.json"))
    assert done.returncode == 0 and "Tái lập được" in done.stdout


def test_reproduce_a_missing_manifest(tmp_path):
    done = run_cli("reproduce", str(tmp_path / "manifest.json"))
    assert done.returncode == 2 and "không tìm thấy tệp" in done.stderr and "Traceback" not in done.stderr
