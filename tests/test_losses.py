"""The IWA water balance and loss indicators (capnuoc_model.model.losses), against worked examples computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from capnuoc_model.model import losses

from capnuoc_model.data import water_balance as wb

# ----------------------------------------------------------------------------- UARL


def test_uarl_worked_example():
    # Lm = 100 km, Nc = 5.000, meters 3 m inside the property line: Lp = 5.000 × 3 m = 15 km, P = 40 m.
    # UARL = (18 × 100 + 0,8 × 5.000 + 25 × 15) × 40 = (1.800 + 4.000 + 375) × 40 = 6.175 × 40 = 247.000 l/day = 247 m³/day
    assert losses.uarl_m3_per_day(100, 5000, 15, 40) == pytest.approx(247.0, rel=1e-12)


def test_uarl_intermittent_supply_scales_by_hours():
    # the same network pressurised 12 hours a day: 247 × 12/24 = 123,5 m³/day; 20 hours: 247 × 20/24 = 205,8333…
    assert losses.uarl_m3_per_day(100, 5000, 15, 40, supply_hours=12) == pytest.approx(123.5, rel=1e-12)
    assert losses.uarl_m3_per_day(100, 5000, 15, 40, 20) == pytest.approx(247 * 20 / 24, rel=1e-12)


def test_uarl_per_connection_at_a_typical_density():
    # 50 connections per km, meters at the property line (Lp = 0): per connection (18/50 + 0,8) = 1,16 l/day per metre;
    # at 50 m that is 58 l/connection/day, so 1.000 connections on 20 km: 58 m³/day
    assert losses.uarl_m3_per_day(20, 1000, 0, 50) == pytest.approx(58.0, rel=1e-12)


def test_uarl_units_and_vectorised():
    # a single km of main at 1 m of pressure loses 18 litres a day unavoidably: 0,018 m³/day
    assert losses.uarl_m3_per_day(1, 0, 0, 1) == pytest.approx(0.018)
    assert losses.uarl_m3_per_day(0, 1, 0, 1) == pytest.approx(0.0008)
    assert losses.uarl_m3_per_day(0, 0, 1, 1) == pytest.approx(0.025)
    out = losses.uarl_m3_per_day(np.array([100, 20]), np.array([5000, 1000]), np.array([15, 0]), np.array([40, 50]))
    np.testing.assert_allclose(out, [247.0, 58.0], rtol=1e-12)


# ----------------------------------------------------------------------------- ILI and bands


def test_ili_worked_example():
    # current real losses 600 m³/day, unavoidable 150 m³/day: ILI = 600 / 150 = 4
    assert losses.ili(600, 150) == pytest.approx(4.0)
    # the UARL example above with 988 m³/day of real losses: 988 / 247 = 4
    assert losses.ili(988, losses.uarl_m3_per_day(100, 5000, 15, 40)) == pytest.approx(4.0, rel=1e-12)
    assert math.isnan(losses.ili(10, 0))
    np.testing.assert_allclose(losses.ili(np.array([300, 50]), np.array([150, 50])), [2.0, 1.0])


def test_real_loss_matrix_reproduces_the_printed_wbi_matrix():
    # developing countries, 10 m: A < 50, B 50-100, C 100-200, D > 200 l/connection/day; 50 m: A < 250, B 250-500, ...
    at_10 = losses.real_loss_matrix_l_per_conn_day(10)
    assert at_10["A2"][1] == pytest.approx(50) and at_10["B"] == pytest.approx((50, 100)) and at_10["C"] == pytest.approx((100, 200))
    assert at_10["D"][0] == pytest.approx(200) and at_10["D"][1] == math.inf
    at_50 = losses.real_loss_matrix_l_per_conn_day(50)
    assert at_50["B"] == pytest.approx((250, 500)) and at_50["C"] == pytest.approx((500, 1000))
    # 120 l/connection/day at 20 m, where the bounds are 50, 100, 200, 400: B; at 50 m (125, 250, 500, 1.000): A1
    assert losses.matrix_band(120, 20) == "B"
    assert losses.matrix_band(120, 50) == "A1"


# ----------------------------------------------------------------------------- FAVAD


def test_favad_worked_examples():
    # 30 m → 24 m (a 20 % cut): (24/30)^N1 = 0,8^N1
    assert losses.favad_leak_ratio(30, 24, 1.0) == pytest.approx(0.8)  # N1 = 1: leakage falls with pressure
    assert losses.favad_leak_ratio(30, 24, 0.5) == pytest.approx(math.sqrt(0.8))  # rigid pipes: 0,8944
    # N1 = 1,15: exp(1,15 × ln 0,8) = exp(1,15 × −0,2231436) = exp(−0,2566151) = 0,773666
    assert losses.favad_leak_ratio(30, 24, 1.15) == pytest.approx(0.773666, abs=5e-7)
    assert losses.favad_leak_ratio(30, 24, 1.5) == pytest.approx(0.8 ** 1.5)  # plastic: 0,7155
    # only the ratio of pressures matters; no change, no effect; raising pressure raises leakage
    assert losses.favad_leak_ratio(50, 40, 1.15) == pytest.approx(losses.favad_leak_ratio(30, 24, 1.15))
    assert losses.favad_leak_ratio(25, 25, 1.3) == 1.0
    assert losses.favad_leak_ratio(20, 30, 1.0) == pytest.approx(1.5)


# ----------------------------------------------------------------------------- the balance

EXAMPLE = {
    "system_input_m3_per_day": 1000.0, "billed_m3_per_day": 800.0, "billed_unmetered_pct": 5.0,
    "unbilled_authorised_pct": 1.0, "unbilled_metered_share_pct": 20.0, "unauthorised_pct": 2.0,
    "meter_under_registration_pct": 5.0, "data_error_pct": 1.0, "service_connections": 2000.0, "mains_km": 40.0,
    "private_pipe_m": 2.0, "pressure_m": 30.0, "supply_hours_per_day": 24.0,
}


def example(**change) -> pd.DataFrame:
    return pd.DataFrame([{**EXAMPLE, **change}], index=["x"])


def test_balance_worked_example():
    b = wb.water_balance(example()).loc["x"]
    # billed 800, of which 5 % flat rate: 40 unmetered, 760 metered
    assert b["billed_unmetered_m3_per_day"] == pytest.approx(40) and b["billed_metered_m3_per_day"] == pytest.approx(760)
    # unbilled authorised 1 % of 1.000 = 10, of which 20 % metered: 2 metered, 8 unmetered
    assert b["unbilled_authorised_m3_per_day"] == pytest.approx(10)
    assert b["unbilled_metered_m3_per_day"] == pytest.approx(2) and b["unbilled_unmetered_m3_per_day"] == pytest.approx(8)
    assert b["authorised_m3_per_day"] == pytest.approx(810)
    # unauthorised 2 % of input = 20; meters read 95 % of the flow: (760 + 2) × 5/95 = 40,105263; data errors 1 % of billed = 8
    assert b["unauthorised_m3_per_day"] == pytest.approx(20)
    assert b["meter_inaccuracy_m3_per_day"] == pytest.approx(762 * 5 / 95)
    assert b["meter_inaccuracy_m3_per_day"] == pytest.approx(40.105263, abs=1e-6)
    assert b["data_errors_m3_per_day"] == pytest.approx(8)
    assert b["apparent_losses_m3_per_day"] == pytest.approx(68.105263, abs=1e-6)
    # real losses, the residual: 1.000 − 810 − 68,105263 = 121,894737
    assert b["real_losses_m3_per_day"] == pytest.approx(121.894737, abs=1e-6)
    assert b["water_losses_m3_per_day"] == pytest.approx(190)
    # revenue water is billed; NRW = 1.000 − 800 = 200 = 10 + 68,105263 + 121,894737
    assert b["revenue_water_m3_per_day"] == 800 and b["nrw_m3_per_day"] == pytest.approx(200)


def test_balance_closes_for_any_inputs():
    rng = np.random.default_rng(3)
    n = 500
    frame = pd.DataFrame({k: np.full(n, v) for k, v in EXAMPLE.items()})
    frame["system_input_m3_per_day"] = rng.uniform(100, 10000, n)
    frame["billed_m3_per_day"] = frame["system_input_m3_per_day"] * rng.uniform(0.2, 0.95, n)
    for column, high in (("billed_unmetered_pct", 20), ("unbilled_authorised_pct", 3), ("unbilled_metered_share_pct", 100),
                         ("unauthorised_pct", 5), ("meter_under_registration_pct", 10), ("data_error_pct", 5)):
        frame[column] = rng.uniform(0, high, n)
    b = wb.water_balance(frame)
    siv = b["system_input_m3_per_day"]
    np.testing.assert_allclose(b["authorised_m3_per_day"] + b["apparent_losses_m3_per_day"] + b["real_losses_m3_per_day"], siv, rtol=1e-12)
    np.testing.assert_allclose(b["authorised_m3_per_day"] + b["water_losses_m3_per_day"], siv, rtol=1e-12)
    np.testing.assert_allclose(b["revenue_water_m3_per_day"] + b["nrw_m3_per_day"], siv, rtol=1e-12)
    np.testing.assert_allclose(b["nrw_m3_per_day"], b["unbilled_authorised_m3_per_day"] + b["water_losses_m3_per_day"], rtol=1e-12)
    np.testing.assert_allclose(b["billed_metered_m3_per_day"] + b["billed_unmetered_m3_per_day"], b["billed_authorised_m3_per_day"], rtol=1e-12)
    np.testing.assert_allclose(b["unbilled_metered_m3_per_day"] + b["unbilled_unmetered_m3_per_day"], b["unbilled_authorised_m3_per_day"], rtol=1e-12)
    np.testing.assert_allclose(b["unauthorised_m3_per_day"] + b["meter_inaccuracy_m3_per_day"] + b["data_errors_m3_per_day"],
                               b["apparent_losses_m3_per_day"], rtol=1e-12)


def test_indicators_worked_example():
    t = losses.indicators(example()).loc["x"]
    # IBNET 6.1-6.3: NRW 200 of 1.000 = 20 %; 200 / 40 km = 5 m³/km/day; 200 / 2.000 = 0,1 m³/connection/day
    assert t["nrw_pct"] == pytest.approx(20) and t["nrw_m3_per_km_day"] == pytest.approx(5) and t["nrw_m3_per_conn_day"] == pytest.approx(0.1)
    # real losses 121,894737 m³/day over 2.000 connections: 60,947 l/connection/day
    assert t["real_losses_l_per_conn_day"] == pytest.approx(121894.737 / 2000, rel=1e-8)
    # UARL = (18 × 40 + 0,8 × 2.000 + 25 × 4) × 30 = (720 + 1.600 + 100) × 30 = 72.600 l/day = 72,6 m³/day
    assert t["uarl_m3_per_day"] == pytest.approx(72.6)
    # ILI = 121,894737 / 72,6 = 1,679
    assert t["ili"] == pytest.approx(121.894737 / 72.6, rel=1e-8) and t["ili_band"] == "A1"
    # matrix at 30 m: bounds 75, 150, 300, 600 l/conn/day; 60,95 ≤ 75 → A1
    assert t["matrix_band"] == "A1"
    assert "hệ thống nhỏ" in t["uarl_warning"] and "áp lực thấp" not in t["uarl_warning"]


def test_intermittent_supply_in_the_indicators():
    # 12 hours of supply: real losses per connection when pressurised double (× 24/12) and UARL halves, so ILI doubles
    full, half = losses.indicators(example()).loc["x"], losses.indicators(example(supply_hours_per_day=12.0)).loc["x"]
    assert half["real_losses_l_per_conn_day"] == pytest.approx(2 * full["real_losses_l_per_conn_day"])
    assert half["uarl_m3_per_day"] == pytest.approx(full["uarl_m3_per_day"] / 2)
    assert half["ili"] == pytest.approx(2 * full["ili"])


def test_uarl_validity_limits():
    assert losses.uarl_validity(5000, 100, 30) == []
    assert losses.uarl_validity(3000, 150, 25) == []  # on the limits: valid
    warnings = losses.uarl_validity(800, 50, 18)
    assert len(warnings) == 3 and any("nhỏ" in w for w in warnings) and any("mật độ" in w for w in warnings)
    assert any("áp lực" in w for w in warnings)


# ----------------------------------------------------------------------------- uncertainty


def ranges(**ci) -> pd.DataFrame:
    return pd.DataFrame([{name: ci.get(name, 0.0) for name in wb.UNCERTAIN_INPUTS}], index=["x"])


def test_uncertainty_of_nrw_by_hand():
    # NRW = input − billed; σ_input = 1.000 × 10 % / 1,96, σ_billed = 800 × 2 % / 1,96
    u = losses.balance_uncertainty(example(), ranges(system_input_m3_per_day=10, billed_m3_per_day=2))
    s_in, s_b = 1000 * 0.10 / losses.Z95, 800 * 0.02 / losses.Z95
    sd = math.sqrt(s_in ** 2 + s_b ** 2)
    r = u.ranges.loc["x"]
    assert r["nrw_m3_per_day_sd"] == pytest.approx(sd, rel=1e-6)
    # the 95 % range is ± 1,96 σ = ±√(100² + 16²) = ±101,27 m³/day around 200
    assert r["nrw_m3_per_day_high"] - 200 == pytest.approx(math.sqrt(100 ** 2 + 16 ** 2), rel=1e-6)
    shares = u.variance_shares.query("output == 'nrw_m3_per_day'").set_index("input")["share_pct"]
    assert shares["system_input_m3_per_day"] == pytest.approx(100 * 100 ** 2 / (100 ** 2 + 16 ** 2), rel=1e-5)
    assert shares.sum() == pytest.approx(100)


def test_uncertainty_of_uarl_by_hand():
    # UARL = 72,6 m³/day, of which pressure enters linearly: ±20 % on pressure alone is ±20 % on UARL, ±14,52 m³/day
    u = losses.balance_uncertainty(example(), ranges(pressure_m=20))
    r = u.ranges.loc["x"]
    assert r["uarl_m3_per_day_high"] - r["uarl_m3_per_day"] == pytest.approx(0.2 * 72.6, rel=1e-6)
    # ILI = CARL / UARL moves by the same relative amount (first order)
    assert (r["ili_high"] - r["ili"]) / r["ili"] == pytest.approx(0.2, rel=1e-6)


def test_ranges_contain_the_point_and_are_cut_at_zero():
    big = ranges(**{name: 50.0 for name in wb.UNCERTAIN_INPUTS})
    u = losses.balance_uncertainty(example(), big)
    r = u.ranges.loc["x"]
    for output in losses.UNCERTAIN_OUTPUTS:
        assert r[f"{output}_low"] <= r[output] <= r[f"{output}_high"], output
        assert r[f"{output}_low"] >= 0
    # real losses of 122 ± more than 122 (input ±50 %): the low end is cut at 0
    assert r["real_losses_m3_per_day_low"] == 0.0
    total = u.variance_shares.groupby("output")["share_pct"].sum()
    np.testing.assert_allclose(total.to_numpy(), 100.0, rtol=1e-9)


def test_no_range_no_uncertainty():
    u = losses.balance_uncertainty(example(), ranges())
    r = u.ranges.loc["x"]
    for output in losses.UNCERTAIN_OUTPUTS:
        assert r[f"{output}_sd"] == 0 and r[f"{output}_low"] == pytest.approx(r[output]) == r[f"{output}_high"]


def test_apparent_loss_inputs_dominate_when_only_they_are_uncertain():
    # under-registration alone: its share of the variance of apparent and real losses is 100 %
    u = losses.balance_uncertainty(example(), ranges(meter_under_registration_pct=50))
    shares = u.variance_shares.query("output == 'real_losses_m3_per_day'").set_index("input")["share_pct"]
    assert shares["meter_under_registration_pct"] == pytest.approx(100)
    # ±50 % on 5 % under-registration moves meter inaccuracy 762 × u/(100 − u) by its derivative: 762 × 100/95² × 2,5
    r = u.ranges.loc["x"]
    assert r["apparent_losses_m3_per_day_high"] - r["apparent_losses_m3_per_day"] == pytest.approx(762 * 100 / 95 ** 2 * 2.5, rel=1e-5)
