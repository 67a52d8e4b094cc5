"""What the losses cost: NRW value, NRW % of operating cost, the value of reaching the loss target and each
measure's payback, against hand-worked examples; and where they are shown (baseline --json, check, project)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capnuoc_model.model import baseline, losses

from capnuoc_model.data import water_balance as wb

from .conftest import edit_cell, run_cli
from .test_losses import example


def prices(tariff=8000.0, variable=1500.0, operating=np.nan, index=("x",)) -> pd.DataFrame:
    return pd.DataFrame({"average_tariff_vnd_per_m3": tariff, "variable_cost_vnd_per_m3": variable,
                         "operating_cost_billion_vnd_per_year": operating}, index=list(index))


# The balance of test_losses.example: real 121,894737, apparent 68,105263, unbilled authorised 10, NRW 200 of 1.000 m³/day.
REAL, APPARENT, UNBILLED = 121.894737, 68.105263, 10.0


def test_nrw_value_by_hand():
    value = losses.nrw_value(wb.water_balance(example()), prices(operating=1.0)).loc["x"]
    # real losses at the variable cost: 121,894737 × 365 × 1.500 / 10⁹ = 0,066737 tỷ đồng/năm
    assert value["real_losses_value_billion_vnd_per_year"] == pytest.approx(0.066737368, rel=1e-6)
    # apparent losses at the tariff: 68,105263 × 365 × 8.000 / 10⁹ = 0,198867
    assert value["apparent_losses_value_billion_vnd_per_year"] == pytest.approx(0.198867368, rel=1e-6)
    # unbilled authorised at the variable cost: 10 × 365 × 1.500 / 10⁹ = 0,005475
    assert value["unbilled_authorised_value_billion_vnd_per_year"] == pytest.approx(0.005475)
    assert value["nrw_value_billion_vnd_per_year"] == pytest.approx(0.271079737, rel=1e-6)
    # against an operating cost of 1 tỷ đồng a year: 27,1 %
    assert value["nrw_pct_of_operating_cost"] == pytest.approx(27.1079737, rel=1e-6)
    # no operating cost given: no percentage (never a division by a missing cost)
    assert math.isnan(losses.nrw_value(wb.water_balance(example()), prices()).loc["x", "nrw_pct_of_operating_cost"])


def test_target_cut_by_hand():
    # apparent share of the water losses s = 68,105263 / 190 = 0,358449; t = 15 %:
    # X = (200 − 0,15 × 1.000) / (1 − 0,15 × (1 − 0,358449)) = 50 / 0,903767 = 55,3240 m³/day
    real, apparent = losses.loss_target_cut(200, 1000, APPARENT, REAL, 15)
    share = APPARENT / (APPARENT + REAL)
    assert real + apparent == pytest.approx(50 / (1 - 0.15 * (1 - share)), rel=1e-9)
    assert real + apparent == pytest.approx(55.3240, abs=1e-4)
    assert apparent / (real + apparent) == pytest.approx(share)
    # afterwards: NRW 200 − 55,324 over input 1.000 − 35,493 (real losses are no longer produced) = 15 %
    assert (200 - real - apparent) / (1000 - real) == pytest.approx(0.15)
    # a system already at or below the target recovers nothing
    assert losses.loss_target_cut(120, 1000, 50, 60, 15) == (0.0, 0.0)


@given(st.floats(100, 10000), st.floats(0.16, 0.8), st.floats(0.0, 1.0), st.floats(0.0, 0.1), st.floats(5, 30))
def test_target_cut_reaches_the_target_exactly(siv, nrw_share, apparent_share, unbilled_share, target):
    nrw = siv * nrw_share
    unbilled = min(siv * unbilled_share, nrw)
    apparent, real = (nrw - unbilled) * apparent_share, (nrw - unbilled) * (1 - apparent_share)
    cut_real, cut_apparent = losses.loss_target_cut(nrw, siv, apparent, real, target)
    assert 0 <= cut_real <= real + 1e-9 and 0 <= cut_apparent <= apparent + 1e-9
    after = (nrw - cut_real - cut_apparent) / (siv - cut_real)
    t = target / 100
    needed = (nrw - t * siv) / (1 - t * (1 - apparent_share))
    if nrw / siv <= t:
        assert cut_real == cut_apparent == 0
    elif needed <= apparent + real:  # reachable without touching unbilled consumption: exactly on target
        assert after == pytest.approx(t, rel=1e-9, abs=1e-12)
    else:  # out of reach: every loss recovered, unbilled consumption alone is above the target
        assert cut_real + cut_apparent == pytest.approx(apparent + real) and after > t


def test_target_recovery_by_hand():
    r = losses.target_recovery(wb.water_balance(example()), prices(), 15).loc["x"]
    real, apparent = losses.loss_target_cut(200, 1000, APPARENT, REAL, 15)
    # revenue: the recovered apparent losses billed, 19,8309 × 365 × 8.000 / 10⁹; cost: real 35,4931 × 365 × 1.500 / 10⁹
    assert r["target_revenue_recovered_billion_vnd_per_year"] == pytest.approx(apparent * 365 * 8000 / 1e9)
    assert r["target_revenue_recovered_billion_vnd_per_year"] == pytest.approx(0.05790, abs=1e-5)
    assert r["target_cost_recovered_billion_vnd_per_year"] == pytest.approx(real * 365 * 1500 / 1e9)
    assert r["target_cost_recovered_billion_vnd_per_year"] == pytest.approx(0.019433, abs=1e-6)
    assert r["target_value_billion_vnd_per_year"] == pytest.approx(0.05790 + 0.019433, abs=2e-5)


def test_province_money_by_hand():
    # two systems: the example and the same at half the size with a 10.000 đồng tariff and an operating cost of 2 tỷ đồng
    inputs = pd.concat([example(), example(system_input_m3_per_day=500.0, billed_m3_per_day=400.0).rename(index={"x": "y"})])
    balance = losses.indicators(inputs)
    p = pd.concat([prices(), prices(tariff=10000.0, operating=2.0, index=("y",))])
    province = losses.province_money(balance, p, 15)
    values = losses.nrw_value(balance, p)
    assert province["nrw_value_billion_vnd_per_year"] == pytest.approx(values["nrw_value_billion_vnd_per_year"].sum())
    # operating cost is given for y only: NRW % of operating cost over y alone
    assert province["nrw_pct_of_operating_cost"] == pytest.approx(100 * values.loc["y", "nrw_value_billion_vnd_per_year"] / 2)
    # the cut on the totals (NRW 300 of 1.500, the same apparent share): 1,5 × the example's; apparent losses 68,1 and
    # 34,05 m³/day weight the tariffs: (68,105 × 8.000 + 34,053 × 10.000) / 102,158 = 8.666,7 đồng/m³
    real, apparent = losses.loss_target_cut(300, 1500, 1.5 * APPARENT, 1.5 * REAL, 15)
    assert province["target_apparent_cut_m3_per_day"] == pytest.approx(apparent, rel=1e-6)
    assert province["target_revenue_recovered_billion_vnd_per_year"] == pytest.approx(apparent * 365 * (26000 / 3) / 1e9, rel=1e-6)
    assert province["target_cost_recovered_billion_vnd_per_year"] == pytest.approx(real * 365 * 1500 / 1e9, rel=1e-6)


def test_measure_payback_by_hand():
    options = pd.DataFrame({"system_id": ["x", "x"], "cost_billion_vnd": [1.0, 0.5],
                            "full_real_cut_m3_per_day": [100.0, 0.0], "full_apparent_cut_m3_per_day": [50.0, 0.0]})
    out = losses.measure_payback(options, prices())
    # (100 × 1.500 + 50 × 8.000) × 365 / 10⁹ = 0,20075 tỷ đồng a year; 1 / 0,20075 = 4,98 years
    assert out.loc[0, "value_billion_vnd_per_year"] == pytest.approx(0.20075)
    assert out.loc[0, "payback_years"] == pytest.approx(1 / 0.20075)
    assert out.loc[1, "payback_years"] == math.inf  # recovers nothing: never pays back


def test_system_prices_by_hand():
    systems = pd.DataFrame({"system_id": ["a", "b", "c"], "status": ["operating", "operating", "stopped"],
                            "operator_id": ["op", "op", "op"], "production_m3_per_day": [3000, 1000, None]})
    tariffs = pd.DataFrame({"tariff_zone": ["z", "z"], "operator_id": ["op", "op"], "system_ids": ["a;b", "a;b"],
                            "customer_class": ["domestic", "business"], "tariff_vnd_per_m3": [7000.0, 12000.0],
                            "billed_share_pct": [80.0, 20.0]})
    costs = pd.DataFrame({"operator_id": ["op"], "variable_cost_vnd_per_m3": [1600.0], "operating_cost_billion_vnd_per_year": [10.0]})
    p = losses.system_prices(systems, tariffs, costs)
    # 7.000 × 80 % + 12.000 × 20 % = 8.000 đồng/m³; the operator's 10 tỷ đồng shared by production 3.000 : 1.000
    assert list(p.index) == ["a", "b", "c"]
    assert p.loc[["a", "b"], "average_tariff_vnd_per_m3"].tolist() == pytest.approx([8000, 8000])
    assert p.loc[["a", "b"], "operating_cost_billion_vnd_per_year"].tolist() == pytest.approx([7.5, 2.5])
    assert p["variable_cost_vnd_per_m3"].tolist() == [1600, 1600, 1600]
    # the stopped system is in no zone and produces nothing: no tariff, no share of the operating cost
    assert np.isnan(p.loc["c", "average_tariff_vnd_per_m3"]) and np.isnan(p.loc["c", "operating_cost_billion_vnd_per_year"])
    empty = losses.system_prices(systems, None, None)
    assert empty[list(losses.PRICE_COLUMNS)].isna().all().all()


# ----------------------------------------------------------------------------- the shipped package


def test_province_value_is_the_sum_of_the_systems(package):
    money = baseline.money_state(package)
    province = baseline.province_money(package)
    assert province["nrw_value_billion_vnd_per_year"] == pytest.approx(money["nrw_value_billion_vnd_per_year"].sum())
    # systems at or below 15 % recover nothing by reaching it; the others do
    state = baseline.balance_state(package)
    low = state.index[state["nrw_pct"] <= 15]
    assert (money.loc[low, "target_value_billion_vnd_per_year"] == 0).all()
    assert (money.drop(low)["target_value_billion_vnd_per_year"] > 0).all()
    assert math.isnan(province["nrw_pct_of_operating_cost"])  # no operator publishes its operating cost


def test_the_target_is_read_from_the_targets_table(package, data_copy):
    from capnuoc_model.data import io

    shipped = baseline.province_money(package)  # data_copy holds the shipped package until edited
    edit_cell(data_copy / "targets_province.csv", "target_id", "loss", "target_max", "10")
    tighter = baseline.province_money(io.load_package(data_copy))
    assert tighter["target_value_billion_vnd_per_year"] > shipped["target_value_billion_vnd_per_year"] > 0
    edit_cell(data_copy / "targets_province.csv", "target_id", "loss", "target_max", "20")
    assert baseline.province_money(io.load_package(data_copy))["target_value_billion_vnd_per_year"] == 0  # 17,9 % ≤ 20 %


def test_operating_cost_gives_the_percentage(data_copy):
    from capnuoc_model.data import io

    edit_cell(data_copy / "operating_costs.csv", "operator_id", "cncb", "operating_cost_billion_vnd_per_year", "40")
    edit_cell(data_copy / "operating_costs.csv", "operator_id", "cncb", "operating_cost_billion_vnd_per_year_source", "estimate:variable_cost_energy_chemicals")
    package = io.load_package(data_copy)
    money = baseline.money_state(package)
    cncb = package.systems.loc[package.systems["operator_id"] == "cncb", "system_id"]
    assert money.loc[cncb, "operating_cost_billion_vnd_per_year"].sum() == pytest.approx(40)
    province = baseline.province_money(package)
    assert province["nrw_pct_of_operating_cost"] == pytest.approx(100 * money.loc[cncb, "nrw_value_billion_vnd_per_year"].sum() / 40)


@pytest.mark.integration
def test_baseline_json_has_the_money_and_the_indicators():
    result = run_cli("baseline", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    for key in ("nrw_value_billion_vnd_per_year", "nrw_pct_of_operating_cost", "target_value_billion_vnd_per_year"):
        assert key in document
    assert document["loss_target_pct"] == 15
    operating = [s for s in document["systems"] if s["status"] == "operating"]
    assert sum(s["nrw_value_billion_vnd_per_year"] for s in operating) == pytest.approx(document["nrw_value_billion_vnd_per_year"], abs=1e-3)
    for system in document["systems"]:
        assert set(baseline.SYSTEM_KEYS) <= set(system)
    for system in operating:
        for key in baseline.LIMITED_KEYS:
            low, high = system[f"{key}_ci95"]
            assert low <= system[key] <= high, (system["id"], key)
        assert system["nrw_matrix_band"] in losses.BAND_ORDER and system["nrw_matrix_band_hic"] in losses.BAND_ORDER
    assert "NaN" not in result.stdout


@pytest.mark.slow
def test_without_a_loss_target_the_package_is_rejected(data_copy):
    """The projection, the loss classes and the value of reaching the target all need the plan's loss target:
    a package without one is a located error, not a traceback or a NaN in the JSON."""
    import csv as csv_module

    from capnuoc_model.data import io
    from capnuoc_model.data.errors import CapnuocInputError

    path = data_copy / "targets_province.csv"
    rows = [r for r in csv_module.reader(path.open(encoding="utf-8")) if r[0] != "loss"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv_module.writer(handle, lineterminator="\n").writerows(rows)
    with pytest.raises(CapnuocInputError, match="thiếu mục tiêu 'loss'"):
        io.load_package(data_copy)
    result = run_cli("baseline", "--json", "--data", str(data_copy))
    assert result.returncode == 2 and "Traceback" not in result.stderr and "targets_province.csv" in result.stderr
