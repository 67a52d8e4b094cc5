"""A second, synthetic province (tests/fixtures/tinh_song_may) runs through every command (issue 16 item 4).

Its package differs from Cao Bằng's in every count, id and name, in its group ids and assumption paths,
and in its years (base 2026, plan 2027, horizon 2031). Each command runs on it with ``--data`` alone
(its scenario and assumptions are found beside its data), and its own years, targets and names come out.
"""

from __future__ import annotations

import csv
import json
import re
from html import unescape

import pytest

from capnuoc_model.data import io

from .conftest import REPO, run_cli

pytestmark = pytest.mark.integration

PROVINCE = REPO / "tests" / "fixtures" / "tinh_song_may"
DATA = PROVINCE / "data"
EXAMPLE = DATA / "examples" / "thuc_hien_2027_minh_hoa"
DRAWS = "200"
AREAS = ("An Phú", "Bình Minh", "Cầu Gỗ", "Đồi Chè", "Én Hạ")
CAO_BANG_IDS = ("thuc_phan", "pac_mieu", "xuan_hoa", "le_15", "gt_15")


def _ok(result) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def _rows(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_fixture_differs_from_cao_bang_in_every_count():
    ours, theirs = io.load_package(DATA), io.load_package(REPO / "data")
    for table in ("urban_areas", "systems", "projects", "orientation_groups", "operators"):
        assert len(ours.tables[table]) != len(theirs.tables[table]), table
    assert set(ours.orientation_groups["group_id"]).isdisjoint(theirs.orientation_groups["group_id"])
    assert (ours.plan.base_year, ours.plan.plan_year, ours.plan.horizon_year) == (2026, 2027, 2031)


def test_validate():
    assert "Dữ liệu hợp lệ" in _ok(run_cli("validate", "--data", str(DATA)))


def test_baseline():
    document = json.loads(_ok(run_cli("baseline", "--json", "--data", str(DATA))))
    assert document["year"] == 2026 and round(document["coverage_pct"], 1) == 79.5 and round(document["loss_pct"], 1) == 20.9
    assert [a["name"] for a in document["areas"]] == list(AREAS)
    text = _ok(run_cli("baseline", "--data", str(DATA)))
    assert "Toàn tỉnh năm 2026" in text and "79,5 %" in text


def test_check_speaks_of_its_own_year_and_targets():
    text = _ok(run_cli("check", "--data", str(DATA), "--draws", DRAWS))
    assert "năm 2027 (mục tiêu ≥ 83,5 %)" in text and "năm 2027 (mục tiêu ≤ 18 %)" in text
    assert "31/12/2027" in text and "Kế hoạch Sông Mây năm 2027 (cơ sở)" in text
    after_header = text.split("\n", 1)[1]  # the header line carries the seed 20260515
    # 2026 is this province's base year (the money sentence values its base-year losses), so the
    # Cao Bằng years that must not leak are its base and horizon years
    assert "87,4" not in text and "2025" not in after_header and "2030" not in after_header
    # nor is Cao Bằng's plan year used as this plan's
    assert "31/12/2026" not in text and "năm 2026 (mục tiêu" not in text


def test_project_writes_its_years_and_targets(tmp_path):
    _ok(run_cli("project", "--data", str(DATA), "--draws", DRAWS, "--out", str(tmp_path / "p")))
    province = _rows(tmp_path / "p" / "province.csv")
    assert [int(r["year"]) for r in province] == list(range(2026, 2032))
    targets = _rows(tmp_path / "p" / "targets.csv")
    assert {r["year"] for r in targets} == {"2027"}
    by_scope = {(r["indicator"], r["scope"]): float(r["target"]) for r in targets}
    assert by_scope[("coverage_pct", "province")] == 83.5 and by_scope[("loss_pct", "province")] == 18.0
    assert by_scope[("coverage_pct", "en_ha")] == 60.0
    assert by_scope[("loss_pct", "nm_song_may")] == 18.0  # the loss target applies to each system
    areas = _rows(tmp_path / "p" / "areas.csv")
    assert {r["name_vi"] for r in areas} == set(AREAS)
    projects = {r["project_id"]: r for r in _rows(tmp_path / "p" / "projects.csv")}
    assert float(projects["cau_go_binh_minh_network"]["area_gain_plan_year_persons"]) > 0
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text(encoding="utf-8"))
    inputs = [r["path"] for r in manifest["inputs"]]
    assert any(p.endswith("tinh_song_may/data/plan.yaml") for p in inputs)
    assert any(p.endswith("tinh_song_may/analysis/assumptions/defaults.yaml") for p in inputs)


def test_compare_two_of_its_scenarios():
    scenarios = PROVINCE / "analysis" / "scenarios"
    text = _ok(run_cli("compare", str(scenarios / "baseline.yaml"), str(scenarios / "slow.yaml"), "--data", str(DATA),
                       "--draws", DRAWS))
    assert "Bao phủ 2027" in text and "Thất thoát 2031" in text and "≥ 83,5 %" in text and "Sông Mây — dự án chậm" in text


def test_template_is_for_its_plan_year(tmp_path):
    from openpyxl import load_workbook

    _ok(run_cli("template", "--data", str(DATA), "--out", str(tmp_path / "mau.xlsx")))
    wb = load_workbook(tmp_path / "mau.xlsx")
    help_sheet = wb.worksheets[0]
    assert help_sheet["A1"].value.endswith("TỈNH SÔNG MÂY NĂM 2027")
    assert "30/10/2027" in help_sheet["A2"].value and "Mục V" in help_sheet["A2"].value
    names = {row[1] for row in wb["Đô thị"].iter_rows(values_only=True)}
    assert set(AREAS) <= names


def test_evaluate_against_its_targets(tmp_path):
    text = _ok(run_cli("evaluate", "--data", str(DATA), "--actuals", str(EXAMPLE), "--to", "none", "--draws", DRAWS,
                       "--out", str(tmp_path / "e")))
    assert "Đánh giá 6 mục tiêu năm 2027" in text and "≥ 83,5 %" in text and "22–24 giờ/ngày" in text
    targets = {r["target_id"]: r for r in _rows(tmp_path / "e" / "bang_danh_gia" / "chi_tieu.csv")}
    assert float(targets["coverage"]["target_min"]) == 83.5 and float(targets["loss"]["target_max"]) == 18.0
    assert targets["loss"]["status"] == "Không đạt"  # 19,0 % > 18 %
    systems = {r["system_id"]: r for r in _rows(tmp_path / "e" / "bang_danh_gia" / "cong_trinh.csv")}
    assert systems["tr_cau_go"]["supply_hours_status"] == "Đạt" and systems["ct_doi_che"]["supply_hours_status"] == "Không đạt"  # 20 h < 22 (a target's per-system status: <target_id>_status)
    assert systems["tr_cau_go"]["loss_status"] == "Đạt"  # 15,4 % ≤ 18 %
    found = " ".join(r["text"] for r in _rows(tmp_path / "e" / "bang_danh_gia" / "phat_hien.csv"))
    assert "/6 mục tiêu" in found and "Thất thoát tăng so với năm 2026" in found  # its base year
    assert "ngoài khoảng 22–24 giờ/ngày: Công trình cấp nước Đồi Chè" in found


def test_report_plan_is_its_own_document(tmp_path):
    _ok(run_cli("report", "plan", "--data", str(DATA), "--to", "html", "--draws", DRAWS, "--out", str(tmp_path / "r")))
    page = next((tmp_path / "r").glob("*.html"))
    assert "2027" in page.name
    text = unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style).*?</\1>", "", page.read_text(encoding="utf-8"), flags=re.S)))
    text = re.sub(r"\s+", " ", text)
    assert "Kế hoạch phát triển cấp nước đô thị tỉnh Sông Mây năm 2027" in text
    assert "Mục tiêu cụ thể năm 2027 (Mục II.2 của Kế hoạch)" in text
    assert "≥ 83,5 %" in text and "≤ 18 %" in text and "Thấp: từ 18 % trở xuống" in text
    assert "Dân số đô thị dự báo" in text and "2031" in text
    assert all(name in text for name in AREAS)
    assert not any(f" {i} " in text for i in CAO_BANG_IDS)
    for generated in ("87,4 %", "mục tiêu ≤ 15 %", "năm 2025:"):
        assert generated not in text, generated
