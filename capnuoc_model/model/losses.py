"""Water balance and loss indicators to the international standard: IWA balance, NRW, UARL/ILI, FAVAD, uncertainty.

The IWA standard water balance (Lambert & Hirner 2000, "Losses from water
supply systems: standard terminology and recommended performance measures",
IWA Blue Pages; Alegre et al. 2006, "Performance Indicators for Water Supply
Services", IWA Manual of Best Practice) splits the system input volume of a
system into authorised consumption (billed metered, billed unmetered, unbilled
metered, unbilled unmetered) and water losses; water losses into apparent
losses (unauthorised consumption, customer meter inaccuracy, data handling
errors) and real losses (leakage and overflows, the residual of the balance).
Revenue water is the billed authorised consumption; non-revenue water (NRW) is
everything else. The plan's loss rate ("tỷ lệ thất thoát", production − billed
over production) is NRW as a share of input.

Volumes here are m³/day (annual averages); a ratio of daily averages equals
the ratio of annual volumes, so ILI is the same either way.

Public API, each citing its source:

- :func:`uarl_m3_per_day`, :func:`ili`, :func:`ili_band`, :func:`favad_leak_ratio`;
- :func:`real_loss_matrix_l_per_conn_day` and :func:`matrix_band` (the WBI
  physical-loss target matrix by pressure);
- :func:`uarl_validity` (where the UARL formula is outside its tested range);
- :func:`indicators` (the balance of :mod:`capnuoc_model.data.water_balance` and IBNET
  6.1-6.3, real losses per connection, UARL, ILI, bands) and
  :func:`balance_uncertainty` (±95 % ranges by propagation of each input's
  range, as WB-EasyCalc does, and each input's share of the variance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capnuoc_model.data.water_balance import BALANCE_INPUTS, UNCERTAIN_INPUTS, balance_arrays

# ----------------------------------------------------------------------------- constants

# UARL (Lambert et al. 1999; Lambert & McKenzie 2002): litres/day per metre of pressure for
# each km of mains, each service connection (main to property line) and each km of private
# pipe between property line and customer meter.
UARL_L_PER_KM_MAINS_PER_M = 18.0
UARL_L_PER_CONNECTION_PER_M = 0.8
UARL_L_PER_KM_PRIVATE_PIPE_PER_M = 25.0

# Validity of the UARL formula (Lambert & McKenzie 2002 gave ≥ 5.000 connections, density
# ≥ 20 connections/km and pressure ≥ 25 m; IWA Water Loss Specialist Group practice since
# Lambert 2009, "Ten years experience in using the UARL formula", lowered the size limit to
# 3.000 connections). Outside these limits the background-leakage terms dominate and ILI is
# unreliable, usually understated.
VALID_MIN_CONNECTIONS = 3000
VALID_MIN_DENSITY_PER_KM = 20.0
VALID_MIN_PRESSURE_M = 25.0

# ILI bands of the World Bank Institute (Liemberger & McKenzie 2005, "Accuracy limitations of
# the ILI: is it an appropriate indicator for developing countries?"; WBI NRW training
# "physical loss target matrix", reproduced in Farley et al. 2008, The Manager's Non-Revenue
# Water Handbook, USAID): for low- and middle-income countries A 1-4 (split by WB-EasyCalc into
# A1 1-2 and A2 2-4), B 4-8, C 8-16, D above; for high-income countries A1 1-1,5, A2 1,5-2,
# B 2-4, C 4-8, D above. These nominal bounds draw the matrices and the charts.
ILI_BAND_BOUNDS = {"lmic": (2.0, 4.0, 8.0, 16.0), "hic": (1.5, 2.0, 4.0, 8.0)}
BAND_ORDER = ("A1", "A2", "B", "C", "D")
# How WB-EasyCalc (Liemberger & Partners, version 6.17) sorts an ILI into a band: a value on a
# nominal bound belongs to the *better* band, the tool testing "below 2,01" for A1, "below 4,01"
# for A2, and so on; for high-income countries its last test is "below 8" (not 8,01), which we
# follow so that the same ILI gets the same band in both tools. (These tests are as capnuoc
# issue 14 records them from the tool; its password-protected workbook could not be opened
# here to check them again.) Bands are tested in order: the first edge below names the band.
ILI_BAND_EDGES = {
    "lmic": ((2.01, "A1"), (4.01, "A2"), (8.01, "B"), (16.01, "C"), (np.inf, "D")),
    "hic": ((1.51, "A1"), (2.01, "A2"), (4.01, "B"), (8.0, "C"), (np.inf, "D")),
}
INCOME_LEVELS = tuple(ILI_BAND_EDGES)
INCOME_LABEL_VI = {"lmic": "các nước thu nhập thấp và trung bình", "hic": "các nước thu nhập cao"}
# The matrix expresses each ILI bound as litres/connection/day at a pressure: bound × 1,25 l per
# connection per day per metre (the UARL of a typical network of about 50 connections/km with
# meters at the property line: (18/50 + 0,8) × 1,08 ≈ 1,25); at 10 m the developing-country
# A/B boundary is 4 × 12,5 = 50 l/conn/day, as printed in the matrix. A value on a bound of
# the matrix belongs to the better band, as in WB-EasyCalc.
MATRIX_L_PER_CONN_DAY_PER_M_PER_ILI = 1.25
MATRIX_PRESSURES_M = (10, 20, 30, 40, 50)

BAND_LABEL_VI = {"A1": "Rất tốt", "A2": "Tốt", "B": "Cần cải thiện", "C": "Kém", "D": "Rất kém"}
BAND_MEANING_VI = {
    "A1": "Rất tốt: giảm thêm chỉ khi thiếu nước hoặc giá nước rất cao",
    "A2": "Tốt: tiếp tục kiểm soát áp lực, dò tìm rò rỉ chủ động",
    "B": "Có tiềm năng cải thiện rõ: kiểm soát áp lực, dò tìm chủ động, bảo dưỡng tốt hơn",
    "C": "Kém: chỉ chấp nhận được khi nước dồi dào, rẻ; cần chương trình giảm rò rỉ",
    "D": "Rất kém: sử dụng tài nguyên kém hiệu quả, cần chương trình giảm thất thoát khẩn cấp",
}

Z95 = 1.959963984540054  # two-sided 95 % of a normal distribution


# ----------------------------------------------------------------------------- formulas


def uarl_m3_per_day(mains_km, connections, private_pipe_km, pressure_m, supply_hours=24):
    """Unavoidable annual real losses, as a daily average in m³/day.

    UARL (litres/day) = (18 × Lm + 0,8 × Nc + 25 × Lp) × P (Lambert, Brown, Takizawa &
    Weimer 1999, "A review of performance indicators for real losses from water supply
    systems", AQUA 48(6); Lambert & McKenzie 2002, "Practical experience in using the
    Infrastructure Leakage Index", IWA conference), with Lm the mains length (km), Nc the
    number of service connections, Lp the total length of private pipe between property
    line and customer meter (km, 0 where meters sit at the property line) and P the average
    operating pressure (m). Where supply is intermittent the formula is scaled by the hours
    the system is pressurised, × hours/24 (Lambert & McKenzie 2002; as in WB-EasyCalc).
    Returns m³/day (litres / 1000). Works on scalars and arrays.
    """
    litres_per_day = (
        UARL_L_PER_KM_MAINS_PER_M * np.asarray(mains_km, float)
        + UARL_L_PER_CONNECTION_PER_M * np.asarray(connections, float)
        + UARL_L_PER_KM_PRIVATE_PIPE_PER_M * np.asarray(private_pipe_km, float)
    ) * np.asarray(pressure_m, float) * np.asarray(supply_hours, float) / 24.0
    out = litres_per_day / 1000.0
    return float(out) if np.ndim(out) == 0 else out


def ili(carl_m3_per_day, uarl_m3_per_day):
    """Infrastructure Leakage Index: current annual real losses / unavoidable annual real losses.

    ILI = CARL / UARL (Lambert et al. 1999; Alegre et al. 2006, IWA performance indicator
    Op29), dimensionless, ≥ 1 in theory. Both volumes in the same unit (here m³/day, daily
    averages of the year). NaN where UARL is not positive.
    """
    carl = np.asarray(carl_m3_per_day, float)
    uarl = np.asarray(uarl_m3_per_day, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(uarl > 0, carl / np.where(uarl > 0, uarl, 1.0), np.nan)
    return float(out) if np.ndim(out) == 0 else out


def _check_income(income: str) -> None:
    if income not in ILI_BAND_EDGES:
        raise ValueError(f"income must be one of {', '.join(ILI_BAND_EDGES)}, not {income!r}")


def _bands(values, uppers, names, on_edge_better: bool):
    """Band names of ``values`` against increasing upper bounds (the last band has none).

    ``uppers`` has the bounds on its last axis and broadcasts against ``values``.
    ``on_edge_better``: a value equal to an upper bound belongs to that (better) band;
    otherwise it must lie strictly below. Missing values give None. A scalar gives a string,
    an array-like an object array of its shape.
    """
    v = np.asarray(np.nan if values is None else values, float)
    v, u = np.broadcast_arrays(v[..., None], np.asarray(uppers, float))
    below = v <= u if on_edge_better else v < u
    index = np.where(below.any(axis=-1), below.argmax(axis=-1), len(names) - 1)
    out = np.where(np.isfinite(v[..., 0]), np.array(names, dtype=object)[index], None)
    return out.item() if out.ndim == 0 else out


def ili_band(ili, income="lmic"):
    """The World Bank Institute performance band of an ILI: "A1", "A2", "B", "C" or "D".

    Bands (Liemberger & McKenzie 2005; WBI physical-loss target matrix), edges as WB-EasyCalc
    draws them (:data:`ILI_BAND_EDGES`; Liemberger & Partners, WB-EasyCalc version 6.17):
    low- and middle-income countries (``income="lmic"``, Viet Nam) A1 below 2,01, A2 below
    4,01, B below 8,01, C below 16,01, D otherwise; high-income countries (``income="hic"``) A1
    below 1,51, A2 below 2,01, B below 4,01, C below 8, D otherwise. So a value on a nominal
    bound belongs to the better band (an ILI of 4 or of 4,0033 is A2, of 4,01 is B), and the
    same input gets the same band here and in the tool. Missing values give None. A scalar
    gives a string, an array-like an object array.
    """
    _check_income(income)
    edges = ILI_BAND_EDGES[income]
    return _bands(ili, [e for e, _ in edges[:-1]], [n for _, n in edges], on_edge_better=False)


def real_loss_matrix_l_per_conn_day(pressure_m, income="lmic") -> dict[str, tuple[float, float]]:
    """The WBI physical-loss target matrix at one average pressure: band -> (low, high) l/connection/day.

    Each nominal ILI bound of :data:`ILI_BAND_BOUNDS` × 1,25 l/connection/day per metre of
    pressure (the printed matrix: at 10 m A < 50, B 50-100, C 100-200, D > 200 l/conn/day for
    developing countries, A split at 25 into A1 and A2; proportional to pressure in the
    20-50 m columns). A value equal to ``high`` belongs to the band (the better one).
    """
    _check_income(income)
    rows, low = {}, 0.0
    for upper, name in zip((*ILI_BAND_BOUNDS[income], np.inf), BAND_ORDER):
        high = upper * MATRIX_L_PER_CONN_DAY_PER_M_PER_ILI * float(pressure_m)
        rows[name] = (low, high)
        low = high
    return rows


def _matrix_uppers(pressure_m, income: str, per_m_per_ili: float) -> np.ndarray:
    """Upper bounds (l/connection/day) of bands A1..C at each pressure: shape pressure.shape + (4,)."""
    _check_income(income)
    bounds = np.asarray(ILI_BAND_BOUNDS[income], float)
    return np.asarray(pressure_m, float)[..., None] * per_m_per_ili * bounds


def matrix_band(real_l_per_conn_day, pressure_m, income="lmic"):
    """Band of real losses per connection (when pressurised) at their average pressure, read off the
    WBI physical-loss matrix (:func:`real_loss_matrix_l_per_conn_day`; no network length needed).
    A value on a bound belongs to the better band, as in WB-EasyCalc."""
    return _bands(real_l_per_conn_day, _matrix_uppers(pressure_m, income, MATRIX_L_PER_CONN_DAY_PER_M_PER_ILI),
                  BAND_ORDER, on_edge_better=True)


# The International NRW Assessment Matrix of WB-EasyCalc (Liemberger & Partners, version 6.17)
# bands NRW in litres/connection/day while the system is pressurised, by average pressure, with
# the physical-loss matrix's layout: five pressure columns (10-50 m), bands A1-D, a low- and
# middle-income and a high-income scale. Its printed edges could not be read here (the
# workbook in github.com/Liemberger-Partners/easycalc is a password-protected binary and no
# copy of the sheet was reachable), so the edges are drawn like the physical-loss matrix's:
# each nominal ILI bound × 1,25 l/connection/day per metre of pressure, NRW being held to the
# limits of its largest part. This never gives a better band than the physical-loss matrix
# for the same system. A value on an edge belongs to the better band. Change the one constant
# below when the tool's sheet is at hand.
NRW_MATRIX_L_PER_CONN_DAY_PER_M_PER_ILI = 1.25


def nrw_matrix_l_per_conn_day(pressure_m, income="lmic") -> dict[str, tuple[float, float]]:
    """The NRW assessment matrix at one pressure: band -> (low, high) NRW l/connection/day."""
    uppers = _matrix_uppers(float(pressure_m), income, NRW_MATRIX_L_PER_CONN_DAY_PER_M_PER_ILI)
    edges = [0.0, *uppers.tolist(), np.inf]
    return {name: (edges[i], edges[i + 1]) for i, name in enumerate(BAND_ORDER)}


def nrw_matrix_band(nrw_l_per_conn_day, pressure_m, income="lmic"):
    """International NRW Assessment Matrix band (A1-D) of NRW per connection (when pressurised) at
    the average pressure, ``income`` "lmic" (low and middle income) or "hic" (high income)."""
    return _bands(nrw_l_per_conn_day, _matrix_uppers(pressure_m, income, NRW_MATRIX_L_PER_CONN_DAY_PER_M_PER_ILI),
                  BAND_ORDER, on_edge_better=True)


def favad_leak_ratio(p0_m, p1_m, n1):
    """Leak flow after a pressure change relative to before: L1/L0 = (P1/P0)^N1.

    FAVAD, fixed and variable area discharges (May 1994, "Pressure dependent leakage",
    World Water and Environmental Engineering; Thornton & Lambert 2005, "Progress in
    practical prediction of pressure: leakage, pressure: burst frequency and pressure:
    consumption relationships", IWA Leakage 2005). N1 is 0,5 for fixed-area leaks in rigid
    pipes, up to 1,5 (or more) for plastic pipes whose leak areas open with pressure; 1,15
    for a mix. So a 20 % pressure cut with N1 = 1,15 leaves 0,8^1,15 = 77,4 % of the leakage.
    """
    ratio = np.power(np.asarray(p1_m, float) / np.asarray(p0_m, float), np.asarray(n1, float))
    return float(ratio) if np.ndim(ratio) == 0 else ratio


def uarl_validity(connections, mains_km, pressure_m) -> list[str]:
    """Vietnamese warnings where the UARL formula is used outside its tested range (empty list: valid).

    Limits: ≥ 3.000 service connections, ≥ 20 connections per km of mains, average pressure
    ≥ 25 m (see :data:`VALID_MIN_CONNECTIONS`). Below them the formula's background terms
    weigh too much and the ILI is uncertain (usually too low).
    """
    warnings = []
    if connections < VALID_MIN_CONNECTIONS:
        warnings.append(f"hệ thống nhỏ (< {VALID_MIN_CONNECTIONS:,} đấu nối)".replace(",", "."))
    if mains_km > 0 and connections / mains_km < VALID_MIN_DENSITY_PER_KM:
        warnings.append(f"mật độ đấu nối thấp (< {VALID_MIN_DENSITY_PER_KM:g} đấu nối/km)")
    if pressure_m < VALID_MIN_PRESSURE_M:
        warnings.append(f"áp lực thấp (< {VALID_MIN_PRESSURE_M:g} m)")
    return warnings


def _indicator_arrays(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    b = balance_arrays(x)
    connections, mains = x["service_connections"], x["mains_km"]
    hours = x["supply_hours_per_day"]
    uarl = uarl_m3_per_day(mains, connections, connections * x["private_pipe_m"] / 1000, x["pressure_m"], hours)
    with np.errstate(divide="ignore", invalid="ignore"):
        real_l_per_conn_day = 1000 * b["real_losses_m3_per_day"] / connections * 24 / hours
        return {
            **b,
            "nrw_pct": 100 * b["nrw_m3_per_day"] / b["system_input_m3_per_day"],
            "nrw_m3_per_km_day": b["nrw_m3_per_day"] / mains,
            "nrw_m3_per_conn_day": b["nrw_m3_per_day"] / connections,
            # WB-EasyCalc: NRW in litres per connection per day *when the system is pressurised*
            "nrw_l_per_connection_day": 1000 * b["nrw_m3_per_day"] / connections * 24 / hours,
            "apparent_losses_pct": 100 * b["apparent_losses_m3_per_day"] / b["system_input_m3_per_day"],
            "real_losses_pct": 100 * b["real_losses_m3_per_day"] / b["system_input_m3_per_day"],
            # IWA Op24: litres per connection per day *when the system is pressurised*
            "real_losses_l_per_conn_day": real_l_per_conn_day,
            # Op24 per metre of average pressure (IWA Blue Pages 2000; compares systems at different pressures)
            "real_losses_l_per_connection_day_per_m": real_l_per_conn_day / x["pressure_m"],
            # for networks of few connections per km: m³ per km of mains per hour pressurised (WB-EasyCalc)
            "real_losses_m3_per_km_hour": b["real_losses_m3_per_day"] / mains / hours,
            # apparent losses as % of authorised consumption (WB-EasyCalc)
            "apparent_losses_pct_of_authorised": 100 * b["apparent_losses_m3_per_day"] / b["authorised_m3_per_day"],
            # apparent losses per connection per calendar day (they follow consumption, not pressure)
            "apparent_losses_l_per_connection_day": 1000 * b["apparent_losses_m3_per_day"] / connections,
            "uarl_m3_per_day": np.asarray(uarl, float),
            "ili": np.asarray(ili(b["real_losses_m3_per_day"], uarl), float),
        }


INDICATORS = ("nrw_pct", "nrw_m3_per_km_day", "nrw_m3_per_conn_day", "nrw_l_per_connection_day", "real_losses_l_per_conn_day",
              "real_losses_l_per_connection_day_per_m", "real_losses_m3_per_km_hour", "apparent_losses_pct_of_authorised",
              "apparent_losses_l_per_connection_day", "uarl_m3_per_day", "ili")


def indicators(inputs: pd.DataFrame, income: str = "lmic") -> pd.DataFrame:
    """The balance of :func:`~capnuoc_model.data.water_balance.water_balance` plus the loss indicators of each row.

    - ``nrw_pct``: NRW / input (IBNET indicator 6.1; IWA Fi46 by volume);
    - ``nrw_m3_per_km_day``: NRW per km of mains per day (IBNET 6.2);
    - ``nrw_m3_per_conn_day``: NRW per connection per day (IBNET 6.3);
    - ``nrw_l_per_connection_day``: NRW in litres per connection per day while the system is
      pressurised (NRW × 24 / supply hours; WB-EasyCalc's NRW per connection);
    - ``real_losses_l_per_conn_day``: real losses per connection per day when the system is
      pressurised (IWA Op24), and ``real_losses_l_per_connection_day_per_m`` the same per
      metre of average pressure;
    - ``real_losses_m3_per_km_hour``: real losses per km of mains per hour pressurised;
    - ``apparent_losses_pct_of_authorised``: apparent losses / authorised consumption;
      ``apparent_losses_l_per_connection_day``: per connection per calendar day;
    - ``uarl_m3_per_day``, ``ili``, ``ili_band`` (:func:`uarl_m3_per_day`, :func:`ili`,
      :func:`ili_band`); ``matrix_band``: the band of real losses per connection at the
      system's pressure (:func:`matrix_band`); ``nrw_matrix_band`` and ``nrw_matrix_band_hic``:
      the International NRW Assessment Matrix band on the low/middle-income and on the
      high-income scale (:func:`nrw_matrix_band`); ``uarl_warning``: :func:`uarl_validity`.
    """
    x = {k: inputs[k].astype(float).to_numpy() for k in BALANCE_INPUTS}
    out = pd.DataFrame(_indicator_arrays(x), index=inputs.index)
    out["ili_band"] = ili_band(out["ili"].to_numpy(), income)
    out["matrix_band"] = matrix_band(out["real_losses_l_per_conn_day"].to_numpy(), x["pressure_m"], income)
    out["nrw_matrix_band"] = nrw_matrix_band(out["nrw_l_per_connection_day"].to_numpy(), x["pressure_m"], "lmic")
    out["nrw_matrix_band_hic"] = nrw_matrix_band(out["nrw_l_per_connection_day"].to_numpy(), x["pressure_m"], "hic")
    out["uarl_warning"] = [
        "; ".join(uarl_validity(c, m, p)) for c, m, p in zip(x["service_connections"], x["mains_km"], x["pressure_m"])
    ]
    return out


# ----------------------------------------------------------------------------- uncertainty


@dataclass(frozen=True)
class Uncertainty:
    """±95 % ranges of the balance's outputs and each input's share of their variance."""

    ranges: pd.DataFrame  # index as inputs; <output>, <output>_low, <output>_high, <output>_sd
    variance_shares: pd.DataFrame  # long: row index label, output, input, share_pct


UNCERTAIN_OUTPUTS = ("nrw_m3_per_day", "nrw_pct", "apparent_losses_m3_per_day", "real_losses_m3_per_day",
                     "real_losses_l_per_conn_day", "uarl_m3_per_day", "ili", "nrw_l_per_connection_day",
                     "real_losses_l_per_connection_day_per_m", "real_losses_m3_per_km_hour",
                     "apparent_losses_pct_of_authorised", "apparent_losses_l_per_connection_day")


def balance_uncertainty(inputs: pd.DataFrame, ci95_pct: pd.DataFrame, outputs: tuple[str, ...] = UNCERTAIN_OUTPUTS) -> Uncertainty:
    """Propagate each input's ±95 % range to the balance's outputs, to first order.

    ``ci95_pct`` has a column per name of :data:`UNCERTAIN_INPUTS`: the half-width of the
    input's 95 % confidence range in % of its value (WB-EasyCalc's "±95 % confidence
    limits"). Inputs are taken as independent and normal, σ = value × ci / 100 / 1,96; an
    output's variance is Σ (∂output/∂input × σ)² (the law of propagation of uncertainty, as
    WB-EasyCalc and the IWA "Water Balance" error analysis do, derivatives by central
    differences), its range the value ± 1,96 σ, cut at 0 below (no volume or ILI is negative).
    Each input's share of an output's variance says which inputs dominate the uncertainty.
    """
    x = {k: inputs[k].astype(float).to_numpy() for k in BALANCE_INPUTS}
    point = _indicator_arrays(x)
    contributions = {}
    for name in UNCERTAIN_INPUTS:
        sigma = x[name] * ci95_pct[name].astype(float).to_numpy() / 100 / Z95
        step = np.where(x[name] != 0, 1e-6 * np.abs(x[name]), 1e-9)
        up = _indicator_arrays({**x, name: x[name] + step})
        down = _indicator_arrays({**x, name: x[name] - step})
        contributions[name] = {o: ((up[o] - down[o]) / (2 * step) * sigma) ** 2 for o in outputs}
    ranges = pd.DataFrame(index=inputs.index)
    rows = []
    for o in outputs:
        variance = sum(contributions[name][o] for name in UNCERTAIN_INPUTS)
        sd = np.sqrt(variance)
        ranges[o] = point[o]
        ranges[f"{o}_sd"] = sd
        ranges[f"{o}_low"] = np.maximum(point[o] - Z95 * sd, 0.0)
        ranges[f"{o}_high"] = point[o] + Z95 * sd
        for name in UNCERTAIN_INPUTS:
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(variance > 0, 100 * contributions[name][o] / np.where(variance > 0, variance, 1), 0.0)
            rows.append(pd.DataFrame({"row": inputs.index, "output": o, "input": name, "share_pct": share}))
    return Uncertainty(ranges, pd.concat(rows, ignore_index=True))


# ----------------------------------------------------------------------------- the data package


def balance_inputs(systems: pd.DataFrame, network: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Balance inputs and their ±95 % ranges for the operating systems (index: system_id, package order).

    ``systems`` and ``network`` are the data package's ``systems`` and ``system_network``
    tables; system input is production.
    """
    running = systems[systems["status"] == "operating"].set_index("system_id")
    net = network.set_index("system_id").reindex(running.index)
    frame = pd.DataFrame(index=running.index)
    frame["system_input_m3_per_day"] = running["production_m3_per_day"].astype(float)
    frame["billed_m3_per_day"] = running["billed_m3_per_day"].astype(float)
    for name in BALANCE_INPUTS:
        if name not in frame:
            frame[name] = net[name].astype(float)
    ci = pd.DataFrame(index=running.index)
    ci["system_input_m3_per_day"] = net["system_input_ci95_pct"].astype(float)
    ci["billed_m3_per_day"] = net["billed_ci95_pct"].astype(float)
    for name in UNCERTAIN_INPUTS[2:]:
        ci[name] = net[f"{name}_ci95_pct"].astype(float)
    return frame, ci


def apparent_split_2025(systems: pd.DataFrame, network: pd.DataFrame) -> pd.DataFrame:
    """Per operating system: 2025 real and apparent losses, unbilled authorised consumption, UARL,
    and the ±95 % half-width of apparent losses (m³/day), as the projection engine takes them."""
    frame, ci = balance_inputs(systems, network)
    table = indicators(frame)
    spread = balance_uncertainty(frame, ci, outputs=("apparent_losses_m3_per_day",)).ranges
    return pd.DataFrame({
        "real_losses_m3_per_day": table["real_losses_m3_per_day"],
        "apparent_losses_m3_per_day": table["apparent_losses_m3_per_day"],
        "unbilled_authorised_m3_per_day": table["unbilled_authorised_m3_per_day"],
        "uarl_m3_per_day": table["uarl_m3_per_day"],
        "apparent_half_width_m3_per_day": Z95 * spread["apparent_losses_m3_per_day_sd"],
    })


# ----------------------------------------------------------------------------- money

DAYS_PER_YEAR = 365.0
VND_PER_BILLION = 1e9
PRICE_COLUMNS = ("average_tariff_vnd_per_m3", "variable_cost_vnd_per_m3", "operating_cost_billion_vnd_per_year")


def billion_vnd_per_year(m3_per_day, vnd_per_m3):
    """The yearly value of a daily volume: m³/day × 365 × đồng/m³ / 10⁹ (tỷ đồng/năm)."""
    return np.asarray(m3_per_day, float) * DAYS_PER_YEAR * np.asarray(vnd_per_m3, float) / VND_PER_BILLION


def nrw_value(balance: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """The yearly value of non-revenue water of each row, in billion VND a year.

    As WB-EasyCalc and the AWWA Free Water Audit Software value the balance (AWWA M36, 4th ed.
    2016, ch. 3): real losses at the variable production cost (the energy and chemicals the lost
    water used; the water could not have been sold where demand is met), apparent losses at the
    average tariff (the water reached a customer and was not paid for), unbilled authorised
    consumption at the variable production cost. ``balance`` has the columns of
    :func:`~capnuoc_model.data.water_balance.water_balance`; ``prices`` the columns of :data:`PRICE_COLUMNS` on the same index
    (operating cost may be missing: ``nrw_pct_of_operating_cost`` is then NaN).
    """
    prices = prices.reindex(balance.index)
    variable, tariff = prices["variable_cost_vnd_per_m3"], prices["average_tariff_vnd_per_m3"]
    out = pd.DataFrame(index=balance.index)
    out["real_losses_value_billion_vnd_per_year"] = billion_vnd_per_year(balance["real_losses_m3_per_day"], variable)
    out["apparent_losses_value_billion_vnd_per_year"] = billion_vnd_per_year(balance["apparent_losses_m3_per_day"], tariff)
    out["unbilled_authorised_value_billion_vnd_per_year"] = billion_vnd_per_year(balance["unbilled_authorised_m3_per_day"], variable)
    out["nrw_value_billion_vnd_per_year"] = out[["real_losses_value_billion_vnd_per_year", "apparent_losses_value_billion_vnd_per_year",
                                                 "unbilled_authorised_value_billion_vnd_per_year"]].sum(axis=1, min_count=3)
    cost = prices["operating_cost_billion_vnd_per_year"].astype(float)
    out["nrw_pct_of_operating_cost"] = 100 * out["nrw_value_billion_vnd_per_year"] / cost.where(cost > 0)
    return out


def loss_target_cut(nrw_m3_per_day, input_m3_per_day, apparent_m3_per_day, real_m3_per_day, target_pct):
    """(real, apparent) volumes to recover, m³/day, for NRW / input to come down to ``target_pct``.

    The cut X is shared between the two kinds of loss as they stand (apparent share s of the
    water losses; unbilled authorised consumption is not a loss and stays). Recovered real
    losses are no longer produced (input falls by them); recovered apparent losses are billed
    (input stays). So (NRW − X) / (input − (1 − s) X) = t gives X = (NRW − t·input) / (1 − t(1 − s)),
    0 when the target is already met and at most the water losses. Works on arrays.
    """
    nrw, siv = np.asarray(nrw_m3_per_day, float), np.asarray(input_m3_per_day, float)
    apparent, real = np.asarray(apparent_m3_per_day, float), np.asarray(real_m3_per_day, float)
    losses_ = apparent + real
    t = float(target_pct) / 100
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(losses_ > 0, apparent / np.where(losses_ > 0, losses_, 1.0), 0.0)
    cut = np.clip((nrw - t * siv) / (1 - t * (1 - share)), 0.0, losses_)
    return cut * (1 - share), cut * share


def target_recovery(balance: pd.DataFrame, prices: pd.DataFrame, target_pct: float) -> pd.DataFrame:
    """What reaching a loss target is worth a year, per row: the volumes recovered (:func:`loss_target_cut`),
    the revenue recovered (apparent losses billed at the average tariff) and the production cost
    recovered (real losses no longer produced, at the variable cost), billion VND a year."""
    prices = prices.reindex(balance.index)
    real, apparent = loss_target_cut(balance["nrw_m3_per_day"], balance["system_input_m3_per_day"],
                                     balance["apparent_losses_m3_per_day"], balance["real_losses_m3_per_day"], target_pct)
    out = pd.DataFrame({"target_real_cut_m3_per_day": real, "target_apparent_cut_m3_per_day": apparent}, index=balance.index)
    out["target_revenue_recovered_billion_vnd_per_year"] = billion_vnd_per_year(apparent, prices["average_tariff_vnd_per_m3"])
    out["target_cost_recovered_billion_vnd_per_year"] = billion_vnd_per_year(real, prices["variable_cost_vnd_per_m3"])
    out["target_value_billion_vnd_per_year"] = (out["target_revenue_recovered_billion_vnd_per_year"]
                                                + out["target_cost_recovered_billion_vnd_per_year"])
    return out


def money_table(balance: pd.DataFrame, prices: pd.DataFrame, target_pct: float) -> pd.DataFrame:
    """Per row: the prices, the value of NRW (:func:`nrw_value`) and of reaching the loss target
    (:func:`target_recovery`)."""
    return pd.concat([prices.reindex(balance.index)[list(PRICE_COLUMNS)], nrw_value(balance, prices),
                      target_recovery(balance, prices, target_pct)], axis=1)


def province_money(balance: pd.DataFrame, prices: pd.DataFrame, target_pct: float) -> dict[str, float]:
    """The province's money figures from its systems' balances and prices.

    NRW value: the sum of the systems' values. Operating cost: the sum over the systems whose
    operator gives it (NRW % of operating cost over those systems only; NaN when none gives it).
    Reaching the target: the cut of :func:`loss_target_cut` on the province totals (the plan's
    target is the production-weighted province average), valued at the average tariff weighted
    by the systems' apparent losses and the variable cost weighted by their real losses.
    """
    prices = prices.reindex(balance.index)
    value = nrw_value(balance, prices)
    total = balance[["nrw_m3_per_day", "system_input_m3_per_day", "apparent_losses_m3_per_day", "real_losses_m3_per_day"]].sum()
    real, apparent = loss_target_cut(total["nrw_m3_per_day"], total["system_input_m3_per_day"],
                                     total["apparent_losses_m3_per_day"], total["real_losses_m3_per_day"], target_pct)

    def weighted(price: str, weight: str) -> float:
        w = balance[weight].astype(float)
        return float((prices[price] * w).sum() / w.sum()) if w.sum() > 0 else np.nan

    tariff = weighted("average_tariff_vnd_per_m3", "apparent_losses_m3_per_day")
    variable = weighted("variable_cost_vnd_per_m3", "real_losses_m3_per_day")
    cost = prices["operating_cost_billion_vnd_per_year"].astype(float)
    given = cost.notna() & (cost > 0)
    revenue, saved = float(billion_vnd_per_year(apparent, tariff)), float(billion_vnd_per_year(real, variable))
    return {
        "nrw_value_billion_vnd_per_year": float(value["nrw_value_billion_vnd_per_year"].sum(min_count=1)),
        "real_losses_value_billion_vnd_per_year": float(value["real_losses_value_billion_vnd_per_year"].sum(min_count=1)),
        "apparent_losses_value_billion_vnd_per_year": float(value["apparent_losses_value_billion_vnd_per_year"].sum(min_count=1)),
        "unbilled_authorised_value_billion_vnd_per_year": float(value["unbilled_authorised_value_billion_vnd_per_year"].sum(min_count=1)),
        "operating_cost_billion_vnd_per_year": float(cost[given].sum()) if given.any() else np.nan,
        "nrw_pct_of_operating_cost": (float(100 * value.loc[given, "nrw_value_billion_vnd_per_year"].sum() / cost[given].sum())
                                      if given.any() else np.nan),
        "target_real_cut_m3_per_day": float(real), "target_apparent_cut_m3_per_day": float(apparent),
        "target_revenue_recovered_billion_vnd_per_year": revenue,
        "target_cost_recovered_billion_vnd_per_year": saved,
        "target_value_billion_vnd_per_year": revenue + saved,
    }


def measure_payback(options: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """Each loss-reduction measure's yearly value and simple payback.

    ``options`` has ``system_id``, ``cost_billion_vnd`` and the volumes the measure recovers once
    fully in effect, ``full_real_cut_m3_per_day`` and ``full_apparent_cut_m3_per_day``; the value
    is real losses at the system's variable cost plus apparent losses at its average tariff (as
    :func:`nrw_value`), the simple payback cost / yearly value, in years (inf when worth nothing).
    """
    p = prices.reindex(options["system_id"].to_numpy())
    value = (billion_vnd_per_year(options["full_real_cut_m3_per_day"], p["variable_cost_vnd_per_m3"].to_numpy())
             + billion_vnd_per_year(options["full_apparent_cut_m3_per_day"], p["average_tariff_vnd_per_m3"].to_numpy()))
    with np.errstate(divide="ignore", invalid="ignore"):
        payback = np.where(value > 0, options["cost_billion_vnd"].to_numpy(float) / np.where(value > 0, value, 1.0), np.inf)
    return options.assign(value_billion_vnd_per_year=value, payback_years=np.where(np.isnan(value), np.nan, payback))


def system_prices(systems: pd.DataFrame, tariffs: pd.DataFrame | None, costs: pd.DataFrame | None) -> pd.DataFrame:
    """Prices of each system (index system_id, package order) from the data package's tariff and cost tables.

    - ``average_tariff_vnd_per_m3``: Σ class tariff × class share of the billed volume / 100 in
      the system's tariff zone (``tariffs.csv``);
    - ``variable_cost_vnd_per_m3``: its operator's variable production cost (``operating_costs.csv``);
    - ``operating_cost_billion_vnd_per_year``: its operator's operating cost shared among the
      operator's operating systems by production (NaN where the operator does not give it).
    A system in no zone (one not yet built, whose operator is not named) and missing tables
    leave the prices NaN: the money figures are then empty, the balance is not.
    """
    out = pd.DataFrame({"operator_id": systems["operator_id"].astype(object).to_numpy()}, index=pd.Index(systems["system_id"], name="system_id"))
    out["tariff_zone"] = None
    out["average_tariff_vnd_per_m3"] = np.nan
    if tariffs is not None and len(tariffs):
        t = tariffs.assign(weighted=tariffs["tariff_vnd_per_m3"].astype(float) * tariffs["billed_share_pct"].astype(float) / 100)
        by_zone = t.groupby("tariff_zone")["weighted"].sum()
        members = t.drop_duplicates("tariff_zone")[["tariff_zone", "system_ids"]]
        zone_of = {s.strip(): zone for zone, ids in zip(members["tariff_zone"], members["system_ids"]) for s in str(ids).split(";")}
        out["tariff_zone"] = out.index.map(zone_of)
        out["average_tariff_vnd_per_m3"] = out["tariff_zone"].map(by_zone).astype(float)
    out["variable_cost_vnd_per_m3"] = np.nan
    out["operating_cost_billion_vnd_per_year"] = np.nan
    if costs is not None and len(costs):
        c = costs.set_index("operator_id")
        out["variable_cost_vnd_per_m3"] = out["operator_id"].map(c["variable_cost_vnd_per_m3"].astype(float))
        operating = (systems["status"] == "operating").to_numpy()
        production = pd.Series(np.where(operating, systems["production_m3_per_day"].astype(float), np.nan), index=out.index)
        share = production / production.groupby(out["operator_id"]).transform("sum")
        out["operating_cost_billion_vnd_per_year"] = out["operator_id"].map(c["operating_cost_billion_vnd_per_year"].astype(float)) * share
    return out
