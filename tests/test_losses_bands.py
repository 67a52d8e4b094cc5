"""Band edges as WB-EasyCalc draws them: at, just below and just above every boundary of the ILI bands,
the physical-loss matrix and the NRW assessment matrix, on both income scales."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capnuoc_model.model import losses

EPS = 1e-6

# (edge, band below it, band from it on): the tool's tests "below 2,01", "below 4,01", ...
LMIC_EDGES = [(2.01, "A1", "A2"), (4.01, "A2", "B"), (8.01, "B", "C"), (16.01, "C", "D")]
HIC_EDGES = [(1.51, "A1", "A2"), (2.01, "A2", "B"), (4.01, "B", "C"), (8.0, "C", "D")]


@pytest.mark.parametrize("income, edges", [("lmic", LMIC_EDGES), ("hic", HIC_EDGES)])
def test_ili_band_at_just_below_and_just_above_every_edge(income, edges):
    for edge, below, above in edges:
        assert losses.ili_band(edge - EPS, income) == below, (income, edge)
        assert losses.ili_band(edge, income) == above, (income, edge)
        assert losses.ili_band(edge + EPS, income) == above, (income, edge)


@pytest.mark.parametrize("value, band", [(2.0, "A1"), (4.0, "A2"), (4.0033, "A2"), (8.0, "B"), (16.0, "C"), (1.0, "A1"), (40.0, "D")])
def test_a_value_on_a_nominal_bound_is_in_the_better_band_low_and_middle_income(value, band):
    # the case: an ILI of 4,0033 is A2 (WB-EasyCalc), not B
    assert losses.ili_band(value) == band


@pytest.mark.parametrize("value, band", [(1.5, "A1"), (2.0, "A2"), (4.0, "B"), (7.99, "C"), (8.0, "D")])
def test_a_value_on_a_nominal_bound_high_income(value, band):
    # high income: C is "below 8" in the tool, so 8 itself is D
    assert losses.ili_band(value, "hic") == band


def test_ili_band_missing_values_arrays_and_bad_income():
    assert losses.ili_band(float("nan")) is None
    assert losses.ili_band(None) is None
    assert list(losses.ili_band(np.array([1.5, 5.0, np.nan, 20.0]))) == ["A1", "B", None, "D"]
    assert losses.ili_band(np.array([[2.0, 2.02]])).tolist() == [["A1", "A2"]]
    with pytest.raises(ValueError):
        losses.ili_band(3.0, income="oecd")


@given(st.floats(0, 100, allow_nan=False), st.floats(0, 100, allow_nan=False), st.sampled_from(losses.INCOME_LEVELS))
def test_ili_bands_never_get_better_as_ili_rises(a, b, income):
    low, high = sorted((a, b))
    order = losses.BAND_ORDER.index
    assert order(losses.ili_band(low, income)) <= order(losses.ili_band(high, income))


# ----------------------------------------------------------------------------- the l/connection/day matrices

def _matrix_edges(pressure, income):
    bounds = losses.ILI_BAND_BOUNDS[income]
    return [b * 1.25 * pressure for b in bounds]


@pytest.mark.parametrize("function", [losses.matrix_band, losses.nrw_matrix_band])
@pytest.mark.parametrize("income", losses.INCOME_LEVELS)
@pytest.mark.parametrize("pressure", [10, 20, 35, 50])
def test_matrix_bands_at_just_below_and_just_above_every_edge(function, income, pressure):
    # developing countries at 10 m: 25, 50, 100, 200 l/connection/day; a value on an edge is in the better band
    names = losses.BAND_ORDER
    for i, edge in enumerate(_matrix_edges(pressure, income)):
        assert function(edge - EPS, pressure, income) == names[i]
        assert function(edge, pressure, income) == names[i]
        assert function(edge + EPS, pressure, income) == names[i + 1]


def test_matrix_edges_by_hand():
    # low/middle income at 10 m: 2 × 12,5 = 25, 4 × 12,5 = 50, 100, 200; high income at 40 m: 1,5 × 50 = 75, 100, 200, 400
    assert [e for _, e in list(losses.nrw_matrix_l_per_conn_day(10).values())[:4]] == pytest.approx([25, 50, 100, 200])
    assert [e for _, e in list(losses.nrw_matrix_l_per_conn_day(40, "hic").values())[:4]] == pytest.approx([75, 100, 200, 400])
    assert losses.nrw_matrix_l_per_conn_day(40, "hic")["D"] == (pytest.approx(400), np.inf)
    # the same numbers as the physical-loss matrix, by construction
    nrw, real = losses.nrw_matrix_l_per_conn_day(30), losses.real_loss_matrix_l_per_conn_day(30)
    assert list(nrw) == list(real) and all(nrw[b][1] == pytest.approx(real[b][1]) for b in losses.BAND_ORDER[:4])
    # 150 l/connection/day at 30 m (edges 75, 150, 300, 600): A2 on the edge; on the high-income scale (56,25, 75, 150, 300): B
    assert losses.nrw_matrix_band(150, 30) == "A2" and losses.nrw_matrix_band(150, 30, "hic") == "B"
    assert losses.nrw_matrix_band(np.array([20.0, np.nan, 700.0]), np.array([10, 10, 30])).tolist() == ["A1", None, "D"]


@given(st.floats(0, 2000, allow_nan=False), st.floats(0, 2000, allow_nan=False), st.floats(5, 100, allow_nan=False))
def test_nrw_band_is_never_better_than_the_real_loss_band_of_its_part(nrw, real_share_pct, pressure):
    # NRW ≥ its real-loss part, so its band on the NRW matrix is never better than the real losses' band
    real = nrw * min(real_share_pct, 100) / 100
    order = losses.BAND_ORDER.index
    assert order(losses.nrw_matrix_band(nrw, pressure)) >= order(losses.matrix_band(real, pressure))


def test_indicators_carry_both_nrw_matrix_bands():
    from tests.test_losses import example

    t = losses.indicators(example()).loc["x"]
    # NRW 200 m³/day over 2.000 connections, 24 h: 100 l/connection/day at 30 m → A2 (75-150), high income B (75-150)
    assert t["nrw_l_per_connection_day"] == pytest.approx(100)
    assert t["nrw_matrix_band"] == "A2" and t["nrw_matrix_band_hic"] == "B"
