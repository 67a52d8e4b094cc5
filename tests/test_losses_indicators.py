"""The per-connection indicators of the reference tools, against hand-worked examples, with their 95 % limits."""

from __future__ import annotations

import pytest

from capnuoc_model.model import losses

from capnuoc_model.data import water_balance as wb

from .test_losses import example, ranges

# The example of test_losses: input 1.000, billed 800, authorised 810, apparent 68,105263, real 121,894737 m³/day,
# 2.000 connections on 40 km of mains, 30 m of pressure, 24 hours of supply.
REAL, APPARENT, AUTHORISED = 121.894737, 68.105263, 810.0


def test_per_connection_indicators_by_hand():
    t = losses.indicators(example()).loc["x"]
    # NRW 200 m³/day = 200.000 l over 2.000 connections: 100 l/connection/day
    assert t["nrw_l_per_connection_day"] == pytest.approx(100)
    # real losses 121.894,737 l / 2.000 = 60,947 l/connection/day, per metre of pressure / 30 = 2,03158
    assert t["real_losses_l_per_connection_day_per_m"] == pytest.approx(REAL * 1000 / 2000 / 30, rel=1e-6)
    assert t["real_losses_l_per_connection_day_per_m"] == pytest.approx(2.031579, abs=1e-6)
    # per km of mains per hour: 121,894737 / 40 km / 24 h = 0,126974 m³/km/hour
    assert t["real_losses_m3_per_km_hour"] == pytest.approx(0.126974, abs=1e-6)
    # apparent 68,105263 of authorised 810: 8,408057 %; per connection 68.105,263 l / 2.000 = 34,0526 l/day
    assert t["apparent_losses_pct_of_authorised"] == pytest.approx(100 * APPARENT / AUTHORISED, rel=1e-7)
    assert t["apparent_losses_pct_of_authorised"] == pytest.approx(8.408057, abs=1e-6)
    assert t["apparent_losses_l_per_connection_day"] == pytest.approx(34.052632, abs=1e-6)


def test_intermittent_supply_counts_the_pressurised_hours():
    # 12 hours a day: NRW and real losses per connection and per km while pressurised double; apparent losses do not move
    full, half = losses.indicators(example()).loc["x"], losses.indicators(example(supply_hours_per_day=12.0)).loc["x"]
    assert half["nrw_l_per_connection_day"] == pytest.approx(200)
    assert half["real_losses_m3_per_km_hour"] == pytest.approx(2 * full["real_losses_m3_per_km_hour"])
    assert half["real_losses_l_per_connection_day_per_m"] == pytest.approx(2 * full["real_losses_l_per_connection_day_per_m"])
    assert half["apparent_losses_l_per_connection_day"] == pytest.approx(full["apparent_losses_l_per_connection_day"])


def test_the_new_indicators_have_95_pct_limits_by_hand():
    # ±10 % on the connections only: NRW per connection ∝ 1/Nc, so ±10 % to first order: 100 ± 10 l/connection/day
    r = losses.balance_uncertainty(example(), ranges(service_connections=10)).ranges.loc["x"]
    assert r["nrw_l_per_connection_day_low"] == pytest.approx(90, rel=1e-6)
    assert r["nrw_l_per_connection_day_high"] == pytest.approx(110, rel=1e-6)
    assert r["apparent_losses_l_per_connection_day_high"] == pytest.approx(1.1 * 34.052632, rel=1e-6)
    # ±20 % on pressure only: real losses per metre of pressure ∝ 1/P: ±20 % of 2,031579
    r = losses.balance_uncertainty(example(), ranges(pressure_m=20)).ranges.loc["x"]
    assert r["real_losses_l_per_connection_day_per_m_high"] - r["real_losses_l_per_connection_day_per_m"] == pytest.approx(
        0.2 * 2.031579, rel=1e-5)
    assert r["real_losses_m3_per_km_hour_high"] == pytest.approx(r["real_losses_m3_per_km_hour"])  # pressure is not in it
    # ±5 % on the mains: real losses per km ∝ 1/Lm
    r = losses.balance_uncertainty(example(), ranges(mains_km=5)).ranges.loc["x"]
    assert r["real_losses_m3_per_km_hour_low"] == pytest.approx(0.95 * 0.126974, rel=1e-5)


def test_every_indicator_and_money_figure_has_a_vietnamese_name_and_unit():
    # one registry: the indicators, the balance, the bands and the money figures
    keys = set(losses.INDICATORS) | {"ili_band", "matrix_band", "nrw_matrix_band", "nrw_matrix_band_hic", "nrw_value_billion_vnd_per_year",
                                     "nrw_pct_of_operating_cost", "payback_years", "million_vnd_per_m3_day"}
    keys |= set(wb.water_balance(example()).columns)
    for key in keys:
        term = wb.TERMS_BY_KEY[key]
        assert term.name_vi and term.name_vi[0].isupper(), key
        assert term.label_vi.startswith(term.name_vi)
    assert wb.TERMS_BY_KEY["nrw_l_per_connection_day"].label_vi.endswith("(lít/đấu nối/ngày)")
    # the terms of WB-EasyCalc's Vietnamese interface
    assert {t.name_vi for t in wb.TERMS if t.easycalc} >= {"Nước cấp nhưng thất thu", "Thất thoát cơ học", "Thất thoát thương mại"}
