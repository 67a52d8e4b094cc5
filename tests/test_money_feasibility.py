"""Each loss-reduction measure's cost per m³/day saved and simple payback; the value of NRW by projected year;
the figures in `check`'s "what it takes" and in `project`'s outputs."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from capnuoc_model.model import baseline, feasibility, losses, projection, projection_run
from capnuoc_model.model.scenario import load_scenario

from .conftest import REPO, run_cli

BASELINE = REPO / "analysis" / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def run(package):
    return projection_run.full_run(package, load_scenario(BASELINE, []), draws=200, seed=7, with_sensitivity=False)


def test_measures_split_what_they_recover_into_real_and_apparent(package):
    options, _, _ = feasibility.measure_options(projection.setup(package, load_scenario(BASELINE, [])))
    first = 0.6  # loss_programme.first_year_realisation of the baseline scenario
    whole = options["full_real_cut_m3_per_day"] + options["full_apparent_cut_m3_per_day"]
    np.testing.assert_allclose(options["removable_m3_per_day"], whole * first, rtol=1e-12)
    kinds = options.set_index("measure")
    assert (kinds.loc[["dma_leak_repair", "pressure_management", "pipe_renewal", "maintenance"], "full_apparent_cut_m3_per_day"] == 0).all()
    assert (kinds.loc["meter_replacement", "full_real_cut_m3_per_day"] == 0).all()
    records = kinds.loc[["customer_records"]]
    assert (records["full_real_cut_m3_per_day"] > 0).all() and (records["full_apparent_cut_m3_per_day"] > 0).all()


def test_payback_of_every_measure_by_its_prices(run, package):
    a = run.loss.allocation
    prices = baseline.prices_state(package)
    for r in a.itertuples():
        p = prices.loc[r.system_id]
        value = (r.full_real_cut_m3_per_day * p["variable_cost_vnd_per_m3"]
                 + r.full_apparent_cut_m3_per_day * p["average_tariff_vnd_per_m3"]) * 365 / 1e9
        assert r.value_billion_vnd_per_year == pytest.approx(value)
        assert r.payback_years == pytest.approx(r.cost_billion_vnd / value)
        assert r.million_vnd_per_m3_day == pytest.approx(1000 * r.cost_billion_vnd / r.removable_m3_per_day)
    # meters pay back faster than leak repair where both are offered: apparent losses sell at the tariff
    xh = a[a["system_id"] == "xuan_hoa"].set_index("measure")
    assert xh.loc["meter_replacement", "payback_years"] < xh.loc["dma_leak_repair", "payback_years"]


def test_programme_payback_counts_the_shares_used(run):
    a = run.loss.allocation
    value, payback = feasibility.programme_payback(run.loss)
    assert value == pytest.approx((a["share_used"] * a["value_billion_vnd_per_year"]).sum())
    assert payback == pytest.approx(run.loss.cost_billion_vnd / value)
    table = run.tables["what_it_takes"]
    rows = table[(table["question"] == "loss") & (table["unit"] == "years")]
    assert rows["value"].iloc[0] == pytest.approx(payback)
    assert (table["question"] == "measure_payback").sum() == len(a)
    # without prices there is no payback, and nothing breaks
    bare = feasibility.LossAnswer(1, 1, True, 1, 1.0, a.drop(columns=["value_billion_vnd_per_year", "payback_years"]))
    assert all(np.isnan(feasibility.programme_payback(bare)))


def test_nrw_value_by_year_starts_from_the_baseline(run, package):
    value = run.tables["nrw_value"]
    province = value[value["system_id"] == "province"].set_index("year")
    assert province.loc[2025, "nrw_value_billion_vnd_per_year"] == pytest.approx(
        baseline.province_money(package)["nrw_value_billion_vnd_per_year"], rel=1e-9)
    systems = value[value["system_id"] != "province"]
    sums = systems.groupby("year")["nrw_value_billion_vnd_per_year"].sum()
    np.testing.assert_allclose(province["nrw_value_billion_vnd_per_year"].to_numpy(), sums.to_numpy(), rtol=1e-12)
    assert set(value["year"]) == set(range(2025, 2031))


@pytest.mark.integration
def test_check_says_what_the_losses_cost_and_the_payback():
    result = run_cli("check", "--draws", "200")
    assert result.returncode == 0, result.stderr
    line = next(l for l in result.stdout.splitlines() if "Giá trị:" in l)
    assert "Nước cấp nhưng thất thu năm 2025 trị giá" in line and "tỷ đồng/năm" in line
    assert "hoàn vốn giản đơn sau" in line


@pytest.mark.integration
def test_project_writes_the_value_of_nrw_and_the_paybacks(tmp_path):
    result = run_cli("project", "--draws", "200", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    with (tmp_path / "out" / "nrw_value.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["system_id"] for r in rows} >= {"province", "tan_an", "xuan_hoa"}
    assert all(float(r["nrw_value_billion_vnd_per_year"]) > 0 for r in rows)
    what = pd.read_csv(tmp_path / "out" / "what_it_takes.csv")
    assert (what["question"] == "measure_payback").any()
    assert ((what["question"] == "loss") & (what["unit"] == "years")).sum() == 1
