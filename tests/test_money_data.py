"""The tariff and cost tables of the data package: provenance, validation with located messages, the estimates' arithmetic."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from capnuoc_model.data import io
from capnuoc_model.data.errors import CapnuocInputError

from .conftest import DATA, edit_cell, some_cases_fast


def set_cell(path: Path, line: int, column: str, value: str) -> None:
    """Set the cell of ``column`` on file line ``line`` (the header is line 1)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[line - 1][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def problems(data_dir: Path) -> list[str]:
    with pytest.raises(CapnuocInputError) as info:
        io.load_package(data_dir)
    return [str(v) for v in info.value.violations]


def test_every_price_has_its_provenance(package):
    for table, column in (("tariffs", "tariff_vnd_per_m3"), ("tariffs", "billed_share_pct"),
                          ("operating_costs", "variable_cost_vnd_per_m3")):
        frame = package.tables[table]
        assert frame[f"{column}_source"].notna().all(), (table, column)
    # the city's non-domestic prices are the published ones; what the decision does not give is marked as an estimate
    city = package.tariffs[package.tariffs["tariff_zone"] == "cncb_city"].set_index("customer_class")
    assert city.loc["public", "tariff_vnd_per_m3_source"].startswith("cncb_tariff2019")
    assert city.loc["business", "tariff_vnd_per_m3"] == 14500
    others = package.tariffs[package.tariffs["operator_id"] != "cncb"]
    assert others["tariff_vnd_per_m3_source"].str.startswith("estimate:").all()


def test_domestic_average_is_the_block_prices_over_an_average_household():
    # city: 3,8 persons × 110 l × 365/12 = 12,714 m³ a month: (10 × 8.000 + 2,714 × 9.300) / 12,714 = 8.277,5 → 8.278
    # towns: 3,8 × 90 × 365/12 = 10,4025 m³: (10 × 7.100 + 0,4025 × 9.200) / 10,4025 = 7.181,3 → 7.181
    tariffs = pd.read_csv(DATA / "tariffs.csv").set_index(["tariff_zone", "customer_class"])["tariff_vnd_per_m3"]
    city_use, town_use = 3.8 * 110 * 365 / 12 / 1000, 3.8 * 90 * 365 / 12 / 1000
    assert tariffs[("cncb_city", "domestic")] == round((10 * 8000 + (city_use - 10) * 9300) / city_use) == 8278
    assert tariffs[("cncb_towns", "domestic")] == round((10 * 7100 + (town_use - 10) * 9200) / town_use) == 7181
    # branch towns' non-domestic prices: the city's × 12.200 / 12.400
    assert tariffs[("cncb_towns", "public")] == round(11400 * 12200 / 12400) == 11216
    assert tariffs[("cncb_towns", "business")] == round(14500 * 12200 / 12400) == 14266


def test_variable_cost_is_energy_and_chemicals_by_hand(package):
    # 0,51 kWh/m³ × 2.103,11 đồng/kWh = 1.072,59; PAC 37,5 g × 10 đồng/g = 375; chlorine 6,5 g × 35 đồng/g = 227,5: 1.675
    assert round(0.51 * 2103.11 + 37.5 * 10 + 6.5 * 35) == 1675
    assert (package.operating_costs["variable_cost_vnd_per_m3"] == 1675).all()


def test_the_tables_are_optional(data_copy):
    # a package without prices still loads: the money figures are then empty
    (data_copy / "tariffs.csv").unlink()
    (data_copy / "operating_costs.csv").unlink()
    package = io.load_package(data_copy)
    assert "tariffs" not in package.tables


CASES = [
    # (file, line, column, value, fragment of the message)
    ("tariffs.csv", 2, "tariff_vnd_per_m3", "abc", "tariffs.csv:2:tariff_vnd_per_m3: 'abc' không phải là số"),
    ("tariffs.csv", 2, "tariff_vnd_per_m3", "8.3", "tariffs.csv:2:tariff_vnd_per_m3: '8.3' không hợp lệ (cần: một giá trị từ 500 đến 100.000)"),
    ("tariffs.csv", 2, "tariff_vnd_per_m3_source", "estimate:hunch", "tariffs.csv:2:tariff_vnd_per_m3_source: không có phương pháp ước tính 'hunch'"),
    ("tariffs.csv", 2, "customer_class", "tourism", "tariffs.csv:2:customer_class: 'tourism' không hợp lệ (cần: một trong: domestic, public, production, business)"),
    ("tariffs.csv", 3, "operator_id", "ttkkt", "tariffs.csv:3:operator_id: 'ttkkt' khác với dòng 2 của vùng giá 'cncb_city'"),
    ("tariffs.csv", 2, "billed_share_pct", "70", "tariffs.csv:2:billed_share_pct: tổng tỷ phần các nhóm khách hàng của vùng giá 'cncb_city' là 93,07 %"),
    ("tariffs.csv", 14, "system_ids", "hoa_thuan;ta_lung", "công trình 'ta_lung' đã thuộc vùng giá 'ttkkt'"),
    ("tariffs.csv", 2, "system_ids", "song_bang;tan_ann", "tariffs.csv:2:system_ids: mã 'tan_ann' không có trong systems.csv"),
    ("operating_costs.csv", 2, "variable_cost_vnd_per_m3", "-3", "operating_costs.csv:2:variable_cost_vnd_per_m3: '-3' không hợp lệ"),
    ("operating_costs.csv", 2, "operating_cost_billion_vnd_per_year", "12", "operating_costs.csv:2:operating_cost_billion_vnd_per_year_source: thiếu nguồn gốc số liệu"),
    ("operating_costs.csv", 3, "operator_id", "ttkk", "operating_costs.csv:3:operator_id: mã 'ttkk' không có trong operators.csv"),
]


@pytest.mark.parametrize("file, line, column, value, fragment", some_cases_fast(CASES, 4), ids=[f"{c[0]}:{c[1]}:{c[2]}" for c in CASES])
def test_bad_prices_are_located(data_copy, file, line, column, value, fragment):
    set_cell(data_copy / file, line, column, value)
    found = problems(data_copy)
    assert any(fragment in message for message in found), found


def test_a_system_without_a_zone_or_the_wrong_operator_is_reported(data_copy):
    # Tà Lùng's zone given to Bảo Lạc's company: Tà Lùng has no zone left and belongs to another operator
    path = data_copy / "tariffs.csv"
    for line in range(10, 14):
        set_cell(path, line, "system_ids", "bao_lac")
    found = problems(data_copy)
    assert any("công trình đang vận hành 'ta_lung' chưa thuộc vùng giá nào" in m for m in found), found
    assert any("công trình 'bao_lac' đã thuộc vùng giá" in m for m in found), found
    assert any("tariffs.csv:10:operator_id: công trình 'bao_lac' thuộc đơn vị cấp nước 'ctn_bao_lac'" in m for m in found), found
    edit_cell(data_copy / "operating_costs.csv", "operator_id", "ctn_bao_lac", "operator_id", "cncb")
    assert any("giá trị 'cncb' bị trùng" in m for m in problems(data_copy))
