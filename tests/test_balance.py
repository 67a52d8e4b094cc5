"""The IWA balance of the data package, and how the projection and the loss programme use it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from capnuoc_model.data import io
from capnuoc_model.model import feasibility, losses, projection
from capnuoc_model.model import baseline as bl
from capnuoc_model.model.derivation import DERIVED_INPUTS, derive_all, plan_years, system_served_persons
from capnuoc_model.model.scenario import load_scenario

from .conftest import DATA, REPO, edit_cell, run_cli

BASELINE = REPO / "analysis" / "scenarios" / "baseline.yaml"
TOL = 1e-9


@pytest.fixture(scope="module")
def balance(package) -> pd.DataFrame:
    return bl.balance_state(package)


@pytest.fixture(scope="module")
def s(package):
    return projection.setup(package, load_scenario(BASELINE))


# ----------------------------------------------------------------------------- the data package


def test_every_operating_system_has_a_balance(package, balance):
    operating = package.systems.loc[package.systems["status"] == "operating", "system_id"]
    assert list(balance.index) == list(operating)


def test_the_balance_keeps_the_plans_loss_rates(package, balance):
    systems = bl.system_state(package).set_index("system_id")
    np.testing.assert_allclose(balance["nrw_pct"], systems.loc[balance.index, "loss_pct"], rtol=1e-12)
    total = balance.sum(numeric_only=True)
    assert round(100 * total["nrw_m3_per_day"] / total["system_input_m3_per_day"], 1) == 17.9


def test_the_balance_closes_and_real_losses_are_at_least_unavoidable(balance):
    parts = balance["authorised_m3_per_day"] + balance["apparent_losses_m3_per_day"] + balance["real_losses_m3_per_day"]
    np.testing.assert_allclose(parts, balance["system_input_m3_per_day"], rtol=1e-12)
    assert (balance["real_losses_m3_per_day"] >= balance["uarl_m3_per_day"]).all()
    assert (balance["ili"] >= 1).all()


def test_ili_values_are_plausible_and_xuan_hoa_is_worst(balance):
    assert balance["ili"].between(1, 20).all(), balance["ili"]
    assert balance["ili"].idxmax() == "xuan_hoa"
    # the systems §V.2 names high or very high loss are outside band A
    for system_id in ("xuan_hoa", "ta_lung", "bao_lac"):
        assert balance.loc[system_id, "ili_band"] in ("B", "C", "D"), system_id


def test_network_values_are_plausible_for_small_vietnamese_towns(package):
    network = package.system_network.set_index("system_id")
    served = system_served_persons(package.urban_areas, package.area_systems)[network.index]
    households = served / 3.8
    ratio = network["service_connections"].astype(float) / households
    assert ratio.between(1.0, 1.1).all()  # households plus a few non-domestic connections
    density = network["service_connections"].astype(float) / network["mains_km"].astype(float)
    assert density.between(25, 80).all()
    assert network["pressure_m"].astype(float).between(15, 40).all()
    assert network["supply_hours_per_day"].astype(float).between(20, 24).all()
    assert network["meter_under_registration_pct"].astype(float).between(2, 8).all()


def test_shipped_network_table_equals_the_derivation(tmp_path):
    derived = derive_all(io.read_loose_tables(DATA, list(DERIVED_INPUTS)), io.read_priors(DATA), plan_years(DATA))
    io.write_csv(derived["system_network"], tmp_path / "system_network.csv")
    assert (tmp_path / "system_network.csv").read_text(encoding="utf-8") == (DATA / "system_network.csv").read_text(encoding="utf-8")


def test_derivation_refuses_a_balance_below_the_unavoidable_level():
    tables = io.read_loose_tables(DATA, list(DERIVED_INPUTS))
    network = tables["system_network"]
    # 12 % of Tân An's input taken as unauthorised use leaves less real loss than UARL
    tables["system_network"] = network.assign(unauthorised_pct=np.where(network["system_id"] == "tan_an", 12.0, network["unauthorised_pct"]))
    with pytest.raises(ValueError, match="tan_an"):
        derive_all(tables, io.read_priors(DATA), plan_years(DATA))


def test_validation_reports_a_balance_with_negative_real_losses(data_copy):
    line = edit_cell(data_copy / "system_network.csv", "system_id", "tan_an", "unauthorised_pct", "30")
    with pytest.raises(Exception) as info:
        io.load_package(data_copy)
    messages = [str(v) for v in info.value.violations]
    assert len(messages) == 1, messages
    assert f"system_network.csv:{line}:unauthorised_pct: tiêu thụ hợp pháp và thất thoát thương mại vượt sản lượng sản xuất" in messages[0]


def test_validation_needs_a_row_for_every_operating_system(data_copy):
    path = data_copy / "system_network.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("bao_lac,")), encoding="utf-8")
    with pytest.raises(Exception) as info:
        io.load_package(data_copy)
    assert any("công trình đang vận hành 'bao_lac' chưa có dòng nào" in str(v) for v in info.value.violations)


def test_validation_checks_the_ranges_of_the_new_columns(data_copy):
    edit_cell(data_copy / "system_network.csv", "system_id", "hoa_an", "pressure_m", "250")
    with pytest.raises(Exception) as info:
        io.load_package(data_copy)
    assert any("pressure_m: '250' không hợp lệ (cần: một giá trị từ 5 đến 100)" in str(v) for v in info.value.violations)


# ----------------------------------------------------------------------------- capnuoc baseline --json

KEYS = ("nrw_pct", "real_losses_l_per_conn_day", "uarl_m3_per_day", "ili", "ili_band")


@pytest.mark.slow
def test_baseline_json_carries_the_iwa_indicators(balance):
    result = run_cli("baseline", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    for system in document["systems"]:
        assert set(KEYS) <= set(system), system["id"]
        if system["status"] == "operating":
            row = balance.loc[system["id"]]
            assert system["nrw_pct"] == pytest.approx(system["loss_pct"], abs=1e-4)
            assert system["ili"] == pytest.approx(row["ili"], abs=1e-4) and system["ili"] >= 1
            assert system["uarl_m3_per_day"] == pytest.approx(row["uarl_m3_per_day"], abs=1e-4)
            assert system["real_losses_l_per_conn_day"] == pytest.approx(row["real_losses_l_per_conn_day"], abs=1e-4)
            assert system["ili_band"] == losses.ili_band(system["ili"]) or system["ili_band"] == row["ili_band"]
            assert system["ili_band"] in losses.BAND_ORDER
        else:
            assert all(system[key] is None for key in KEYS), system["id"]


# ----------------------------------------------------------------------------- the engine


def _at(values: dict, **change) -> dict:
    return {**values, **change}


def _quiet(s) -> dict:
    """The programme's levers isolated: no ageing, no new-pipe leaks, no floor, whole first-year effect, no §VI network works."""
    return _at(s.values, **{
        "losses.ageing_real_loss_growth_pct_per_year": 0.0, "losses.new_connection_real_loss_l_per_person_day": 0.0,
        "losses.floor_pct": 0.0, "loss_programme.first_year_realisation": 1.0,
        "projects.tan_giang_network.real_loss_cut_pct": 0.0, "projects.nung_tri_cao_network.real_loss_cut_pct": 0.0,
        "loss_programme.dma_leak_repair.real_loss_cut": 0.0, "loss_programme.dma_leak_repair.maintenance_real_loss_cut": 0.0,
        "loss_programme.pressure_management.pressure_cut": 0.0, "loss_programme.pipe_renewal.network_share_per_year": 0.0,
        "loss_programme.meter_replacement.apparent_loss_cut": 0.0, "loss_programme.customer_records.apparent_loss_cut": 0.0,
        "loss_programme.customer_records.real_loss_cut": 0.0,
    })


def test_2025_starts_from_the_balance_components(s, balance):
    point = projection.deterministic(s)
    for system_id in balance.index:
        j = s.inputs.system_ids.index(system_id)
        row = balance.loc[system_id]
        assert point.real_loss[0, 0, j] == pytest.approx(row["real_losses_m3_per_day"], rel=1e-12)
        assert point.unbilled_authorised[0, 0, j] == pytest.approx(row["unbilled_authorised_m3_per_day"], rel=1e-12)
        assert point.apparent_loss[0, 0, j] - point.unbilled_authorised[0, 0, j] == pytest.approx(row["apparent_losses_m3_per_day"], rel=1e-10)
        assert point.unavoidable_real_loss[0, 0, j] == pytest.approx(row["uarl_m3_per_day"], rel=1e-12)


@pytest.mark.parametrize("position", [-1.0, -0.5, 0.5, 1.0])
def test_apparent_loss_position_moves_the_split_not_the_loss(package, s, balance, position):
    spread = losses.apparent_split_2025(package.systems, package.system_network)
    base = projection.deterministic(s)
    moved = projection.deterministic(s, _at(s.values, **{"losses.apparent_loss_position": position}))
    np.testing.assert_allclose(moved.loss[0, 0], base.loss[0, 0], rtol=1e-12, atol=1e-12)
    for system_id in balance.index:
        j = s.inputs.system_ids.index(system_id)
        apparent = moved.apparent_loss[0, 0, j] - moved.unbilled_authorised[0, 0, j]
        expected = balance.loc[system_id, "apparent_losses_m3_per_day"] + position * spread.loc[system_id, "apparent_half_width_m3_per_day"]
        nrw = balance.loc[system_id, "nrw_m3_per_day"]
        cap = nrw - balance.loc[system_id, "unbilled_authorised_m3_per_day"] - balance.loc[system_id, "uarl_m3_per_day"]
        assert apparent == pytest.approx(min(max(expected, 0.0), cap), rel=1e-9, abs=1e-9), system_id
        assert moved.real_loss[0, 0, j] >= balance.loc[system_id, "uarl_m3_per_day"] - TOL


def test_meters_and_customer_records_act_on_apparent_losses_only(s):
    quiet = _quiet(s)
    without = projection.deterministic(s, quiet)
    with_meters = projection.deterministic(s, _at(quiet, **{"loss_programme.meter_replacement.apparent_loss_cut": 0.5,
                                                           "loss_programme.customer_records.apparent_loss_cut": 0.5}))
    y = without.years.index(2026)
    np.testing.assert_allclose(with_meters.real_loss[0, y], without.real_loss[0, y], rtol=1e-12)
    np.testing.assert_allclose(with_meters.unbilled_authorised[0, y], without.unbilled_authorised[0, y], rtol=1e-12)
    above = ~s.inputs.is_low_loss & s.inputs.operating_base
    apparent = lambda r: r.apparent_loss[0, y] - r.unbilled_authorised[0, y]  # noqa: E731
    assert np.all(apparent(with_meters)[above] < apparent(without)[above])
    np.testing.assert_allclose(apparent(with_meters)[~above], apparent(without)[~above], rtol=1e-12)
    # Xuân Hòa takes both: (1 − 0,5) × (1 − 0,5) of its apparent losses remain; the others 0,5
    j = s.inputs.system_ids.index("xuan_hoa")
    assert apparent(with_meters)[j] == pytest.approx(0.25 * apparent(without)[j], rel=1e-12)
    k = s.inputs.system_ids.index("ta_lung")
    assert apparent(with_meters)[k] == pytest.approx(0.5 * apparent(without)[k], rel=1e-12)


def test_dma_and_leak_repair_act_on_real_losses_only(s):
    quiet = _quiet(s)
    without = projection.deterministic(s, quiet)
    with_dma = projection.deterministic(s, _at(quiet, **{"loss_programme.dma_leak_repair.real_loss_cut": 0.2}))
    y = without.years.index(2026)
    np.testing.assert_allclose(with_dma.apparent_loss[0, y], without.apparent_loss[0, y], rtol=1e-12)
    k = s.inputs.system_ids.index("ta_lung")
    assert with_dma.real_loss[0, y, k] == pytest.approx(0.8 * without.real_loss[0, y, k], rel=1e-12)


def test_pressure_management_follows_favad(s):
    quiet = _quiet(s)
    cut, n1 = 0.2, 1.15
    without = projection.deterministic(s, quiet)
    managed = projection.deterministic(s, _at(quiet, **{"loss_programme.pressure_management.pressure_cut": cut,
                                                        "loss_programme.pressure_management.n1_exponent": n1}))
    y = without.years.index(2026)
    k = s.inputs.system_ids.index("ta_lung")  # 5,3 times its UARL: the floor does not bind
    ratio = losses.favad_leak_ratio(20.0, 20.0 * (1 - cut), n1)  # 0,8^1,15 = 0,7737
    assert managed.real_loss[0, y, k] == pytest.approx(ratio * without.real_loss[0, y, k], rel=1e-12)
    np.testing.assert_allclose(managed.apparent_loss[0, y], without.apparent_loss[0, y], rtol=1e-12)
    # ≤ 15 % systems get no pressure management
    j = s.inputs.system_ids.index("tan_an")
    assert managed.real_loss[0, y, j] == pytest.approx(without.real_loss[0, y, j], rel=1e-12)


def test_no_programme_takes_real_losses_below_the_unavoidable_level(s):
    extreme = _at(s.values, **{
        "loss_programme.effort": 2.0, "loss_programme.first_year_realisation": 1.0,
        "loss_programme.dma_leak_repair.real_loss_cut": 0.9, "loss_programme.dma_leak_repair.maintenance_real_loss_cut": 0.5,
        "loss_programme.pressure_management.pressure_cut": 0.6, "loss_programme.pressure_management.n1_exponent": 2.5,
        "loss_programme.customer_records.real_loss_cut": 0.9, "losses.floor_pct": 0.0,
    })
    r = projection.deterministic(s, extreme)
    established = s.inputs.operating_base
    real, uarl = r.real_loss[0][:, established], r.unavoidable_real_loss[0][:, established]
    assert np.all(real >= uarl - TOL)
    assert np.any(np.isclose(real[1:], uarl[1:], rtol=1e-12))  # the floor binds somewhere
    assert np.all(uarl[1:] >= uarl[0] - TOL)  # the unavoidable part grows with the customers


def test_the_engine_keeps_production_equal_to_billed_plus_the_three_parts(s):
    mc = projection.monte_carlo(s, 200, 5)
    assert np.all(mc.unbilled_authorised >= -TOL) and np.all(mc.unbilled_authorised <= mc.apparent_loss + TOL)
    np.testing.assert_allclose(mc.production, mc.billed + mc.real_loss + mc.apparent_loss, rtol=1e-12, atol=1e-9)


# ----------------------------------------------------------------------------- what it takes


def test_measures_name_the_component_they_act_on(s):
    options, _, _ = feasibility.measure_options(s)
    assert set(options["component"]) <= set(feasibility.COMPONENT_VI)
    expected = {"dma_leak_repair": "real", "maintenance": "real", "pressure_management": "real", "pipe_renewal": "real",
                "meter_replacement": "apparent", "customer_records": "apparent+real"}
    assert options.set_index("measure")["component"].groupby(level=0).first().to_dict() == {
        m: c for m, c in expected.items() if m in set(options["measure"])}


def test_headroom_never_goes_below_unavoidable_real_losses(s):
    options, _, _ = feasibility.measure_options(s)
    base = projection.deterministic(s, {**s.values, "loss_programme.effort": 0.0})
    y = base.years.index(2026)
    for system_id, headroom in options.groupby("system_id")["system_headroom_m3_per_day"].first().items():
        j = s.inputs.system_ids.index(system_id)
        commercial = base.apparent_loss[0, y, j] - base.unbilled_authorised[0, y, j]
        assert headroom <= base.real_loss[0, y, j] - base.unavoidable_real_loss[0, y, j] + commercial + 1e-9
    # meter replacement removes a share of apparent losses only (not of unbilled authorised consumption)
    meters = options[options["measure"] == "meter_replacement"].set_index("system_id")
    for system_id, row in meters.iterrows():
        j = s.inputs.system_ids.index(system_id)
        commercial = base.apparent_loss[0, y, j] - base.unbilled_authorised[0, y, j]
        assert row["removable_m3_per_day"] < commercial
