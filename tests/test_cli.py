"""The capnuoc command line, run in a subprocess as a user would."""

import json
import unicodedata

import pytest

from .conftest import edit_cell, run_cli

pytestmark = pytest.mark.integration


def test_validate_ok():
    result = run_cli("validate")
    assert result.returncode == 0, result.stderr
    from capnuoc_model.data.schema import TABLES

    assert result.stdout.startswith(f"Dữ liệu hợp lệ: data — {len(TABLES)} bảng")
    assert len(result.stdout.strip().splitlines()) == 1


def test_validate_corrupted_copy(data_copy):
    line_a = edit_cell(data_copy / "urban_areas.csv", "area_id", "dong_khe", "served_base_persons", "lots")
    line_s = edit_cell(data_copy / "systems.csv", "system_id", "bao_lac", "billed_m3_per_day", "9999")
    result = run_cli("validate", "--data", str(data_copy))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert f"{data_copy / 'urban_areas.csv'}:{line_a}:served_base_persons: 'lots' không phải là số" in result.stderr
    assert f"{data_copy / 'systems.csv'}:{line_s}:billed_m3_per_day: sản lượng ghi thu 9.999 lớn hơn sản lượng sản xuất" in result.stderr
    assert "2 lỗi trong gói dữ liệu" in result.stderr


def test_validate_relative_path_is_shown_as_given(data_copy):
    edit_cell(data_copy / "systems.csv", "system_id", "bao_lac", "kind", "factory")
    result = run_cli("validate", "--data", "data", cwd=data_copy.parent)
    assert result.returncode == 2
    assert result.stderr.startswith("data/systems.csv:")


def test_validate_missing_folder(tmp_path):
    result = run_cli("validate", "--data", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "không tìm thấy thư mục" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def document():
    result = run_cli("baseline", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_json_headline_figures(document):
    assert document["year"] == 2025
    assert round(document["coverage_pct"], 1) == 81.9
    assert round(document["loss_pct"], 1) == 17.9
    losses = {s["id"]: s["loss_pct"] for s in document["systems"] if s["loss_pct"] is not None}
    assert round(min(losses.values()), 1) == 12.0
    assert round(max(losses.values()), 1) == 72.5 and max(losses, key=losses.get) == "xuan_hoa"


def test_json_keys(document):
    assert {"id", "name", "population", "served", "coverage_pct", "coverage_class"} <= set(document["areas"][0])
    assert {"id", "name", "operator", "status", "loss_pct", "loss_class", "utilisation_pct", "utilisation_class"} <= set(document["systems"][0])
    assert len(document["areas"]) == 16 and len(document["systems"]) == 16


def test_json_labels_exact_and_nfc(document):
    labels = {a["coverage_class"] for a in document["areas"]} | {s["loss_class"] for s in document["systems"]} | {
        s["utilisation_class"] for s in document["systems"]}
    allowed = {"Chưa có dịch vụ", "Thấp", "Trung bình", "Khá", "Cao", "Rất cao", "Vượt công suất", "Rất thấp", None}
    assert labels <= allowed
    for item in document["areas"] + document["systems"]:
        for value in item.values():
            if isinstance(value, str):
                assert unicodedata.is_normalized("NFC", value)


def test_json_non_operating_systems_are_null(document):
    by_id = {s["id"]: s for s in document["systems"]}
    for system_id in ("tra_linh", "pac_mieu"):
        assert by_id[system_id]["loss_pct"] is None and by_id[system_id]["utilisation_pct"] is None
        assert by_id[system_id]["loss_class"] is None


def test_terminal_tables_in_vietnamese():
    result = run_cli("baseline")
    assert result.returncode == 0, result.stderr
    for title in ("Biểu 01", "Biểu 02", "Biểu 03"):
        assert title in result.stdout
    assert "tỷ lệ bao phủ 81,9 %" in result.stdout and "thất thoát bình quân 17,9 %" in result.stdout
    assert "72,5" in result.stdout and "Vượt công suất" in result.stdout


def test_baseline_out_folder(tmp_path):
    out = tmp_path / "baseline"
    result = run_cli("baseline", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert {"bieu01_cong_suat.csv", "bieu02_that_thoat.csv", "bieu03_bao_phu.csv", "baseline.json"} <= {p.name for p in out.iterdir()}
    assert str(out) in result.stdout


def test_bad_data_leaves_previous_output(tmp_path, data_copy):
    out = tmp_path / "baseline"
    assert run_cli("baseline", "--out", str(out)).returncode == 0
    before = (out / "baseline.json").read_text(encoding="utf-8")
    edit_cell(data_copy / "systems.csv", "system_id", "bao_lac", "status", "??")
    result = run_cli("baseline", "--data", str(data_copy), "--out", str(out))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (out / "baseline.json").read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["baseline", "data"]  # no temporary folder left
