"""The losses annex's money and indicator tables (Phụ lục C.6) and the baseline tables: registry names, numbers from the model."""

from __future__ import annotations

import json

import pytest

from capnuoc_model.data import fmt
from capnuoc_model.data import water_balance as wb
from capnuoc_model.model import losses, projection_run
from capnuoc_model.model import baseline as bl
from capnuoc_model.model.scenario import load_scenario
from capnuoc_model.publish import report_tables as rt
from capnuoc_model.publish.report_inputs import ReportInputs

from .conftest import REPO, run_cli

BASELINE = REPO / "analysis" / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def ctx(package):
    scenario = load_scenario(BASELINE, [])
    run = projection_run.full_run(package, scenario, draws=200, seed=3, with_sensitivity=False)
    systems, areas = bl.system_state(package), bl.area_state(package)
    return ReportInputs(package, scenario, BASELINE, run, areas, systems, bl.province_coverage_pct(areas),
                         bl.province_loss_pct(systems.dropna(subset=["production_m3_per_day"])))


def test_connection_indicators_use_the_registry_and_show_the_limits(ctx):
    table = rt.connection_indicators(ctx)
    label = wb.TERMS_BY_KEY["nrw_l_per_connection_day"].label_vi
    assert label == "Nước cấp nhưng thất thu theo đấu nối, khi có áp (lít/đấu nối/ngày)" and label in table.columns
    frame = rt.iwa_indicator_frame(ctx).set_index("system_id")
    row = frame.loc["xuan_hoa"]
    cell = table.loc[table["Công trình"] == "Xuân Hòa", label].iloc[0]
    assert cell == (f"{fmt.vn(row['nrw_l_per_connection_day'])} ({fmt.vn(row['nrw_l_per_connection_day_low'])}–"
                    f"{fmt.vn(row['nrw_l_per_connection_day_high'])})")


def test_nrw_value_table_ends_with_the_province(ctx, package):
    table = rt.nrw_value(ctx)
    label = wb.TERMS_BY_KEY["nrw_value_billion_vnd_per_year"].label_vi
    assert table["Công trình"].iloc[-1] == "Toàn tỉnh"
    assert table[label].iloc[-1] == pytest.approx(bl.province_money(package)["nrw_value_billion_vnd_per_year"])
    assert table[label].iloc[-1] == pytest.approx(table[label].iloc[:-1].sum())


def test_target_value_lists_the_systems_above_the_target(ctx, package):
    table = rt.target_value(ctx)
    above = bl.balance_state(package).query("nrw_pct > 15")
    assert len(table) == len(above) + 1 and table["Công trình"].iloc[-1].replace("\xa0", " ").startswith("Toàn tỉnh (về 15 %")
    assert (table["NRW 2025 (%)"].iloc[:-1] > 15).all()  # the base year of the shipped plan


def test_measure_paybacks_fastest_first(ctx):
    table = rt.measure_paybacks(ctx)
    payback = wb.TERMS_BY_KEY["payback_years"].label_vi
    assert table[payback].is_monotonic_increasing and len(table) == (ctx.run.loss.allocation["share_used"] > 1e-6).sum()


def test_band_tables_draw_nominal_bounds_and_the_better_band_rule(ctx):
    bands = rt.ili_bands(ctx)
    assert bands["ILI"].tolist() == ["≤ 2", "2–4", "4–8", "8–16", "> 16"]
    assert bands["10 m"].tolist() == ["≤ 25", "25–50", "50–100", "100–200", "> 200"]
    assert "4,0033 thuộc nhóm A2" in rt.ili_bands_note(ctx)
    matrix = rt.nrw_matrix(ctx)
    assert len(matrix) == 10 and matrix.loc[(matrix["Thang"] == "Thu nhập cao") & (matrix["Nhóm"] == "A1"), "10 m"].iloc[0] == "≤ 18,75"


def test_money_sentence_carries_the_province_figures(ctx, package):
    text = rt.money_summary(ctx)
    province = bl.province_money(package)
    assert fmt.billion_vnd(province["nrw_value_billion_vnd_per_year"]) in text
    assert fmt.billion_vnd(province["target_value_billion_vnd_per_year"]) in text
    assert "chưa công bố chi phí vận hành" in text


def test_the_annex_notebook_has_the_money_section():
    notebook = json.loads((REPO / "notebooks" / "07_nuoc_that_thu.ipynb").read_text(encoding="utf-8"))
    text = "".join("".join(c["source"]) for c in notebook["cells"])
    assert "## C.6." in text
    for call in ("rt.connection_indicators(ctx)", "rt.nrw_matrix(ctx)", "rt.nrw_value(ctx)", "rt.target_value(ctx)",
                 "rt.measure_paybacks(ctx)", "charts.nrw_value(money)"):
        assert call in text, call


@pytest.mark.integration
def test_baseline_tables_carry_the_indicators_and_the_money(tmp_path):
    result = run_cli("baseline", "--out", str(tmp_path / "b"))
    assert result.returncode == 0, result.stderr
    import pandas as pd

    table = pd.read_csv(tmp_path / "b" / "chi_so_gia_tri_that_thoat.csv")
    for key in (*bl.LIMITED_KEYS, "nrw_matrix_band", "nrw_matrix_band_hic", "nrw_value_billion_vnd_per_year"):
        assert key in table.columns, key
    assert (table["nrw_l_per_connection_day_low"] <= table["nrw_l_per_connection_day"]).all()
    shown = run_cli("baseline")
    assert "Chỉ số thất thoát theo đấu nối và giá trị nước cấp nhưng thất thu" in shown.stdout
    assert "nước cấp nhưng thất thu trị giá" in shown.stdout
