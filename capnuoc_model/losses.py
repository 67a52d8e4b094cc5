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
- :func:`water_balance` (the balance per system), :func:`indicators` (IBNET
  6.1-6.3, real losses per connection, UARL, ILI, bands) and
  :func:`balance_uncertainty` (±95 % ranges by propagation of each input's
  range, as WB-EasyCalc does, and each input's share of the variance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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
# Water Handbook, USAID): for low- and middle-income countries A < 4, B 4-8, C 8-16, D ≥ 16;
# for high-income countries half of each (A < 2, B 2-4, C 4-8, D ≥ 8). WB-EasyCalc splits
# band A into A1 and A2; we split it at 2 for low- and middle-income countries (A1 < 2:
# the high-income A band, world class; A2 2-4) and at 1,5 for high-income countries
# (A1 < 1,5, A2 1,5-2). The split is our reading of WB-EasyCalc's matrix (not reachable
# offline to check), documented here so that it can be changed in one place.
ILI_BANDS = {
    "lmic": ((2.0, "A1"), (4.0, "A2"), (8.0, "B"), (16.0, "C"), (np.inf, "D")),
    "hic": ((1.5, "A1"), (2.0, "A2"), (4.0, "B"), (8.0, "C"), (np.inf, "D")),
}
BAND_ORDER = ("A1", "A2", "B", "C", "D")
# The matrix expresses each ILI bound as litres/connection/day at a pressure: bound × 1,25 l per
# connection per day per metre (the UARL of a typical network of about 50 connections/km with
# meters at the property line: (18/50 + 0,8) × 1,08 ≈ 1,25); at 10 m the developing-country
# A/B boundary is 4 × 12,5 = 50 l/conn/day, as printed in the matrix.
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


def ili_band(ili, income="lmic"):
    """The World Bank Institute performance band of an ILI: "A1", "A2", "B", "C" or "D".

    Bands (Liemberger & McKenzie 2005; WBI physical-loss target matrix; WB-EasyCalc v6):
    low- and middle-income countries (``income="lmic"``, Viet Nam) A1 < 2 ≤ A2 < 4 ≤ B < 8
    ≤ C < 16 ≤ D; high-income countries (``income="hic"``) A1 < 1,5 ≤ A2 < 2 ≤ B < 4 ≤ C < 8
    ≤ D. A value on a boundary belongs to the worse band. Missing values give None. A scalar
    gives a string, an array-like an object array.
    """
    if income not in ILI_BANDS:
        raise ValueError(f"income must be one of {', '.join(ILI_BANDS)}, not {income!r}")
    bands = ILI_BANDS[income]

    def one(value) -> str | None:
        if value is None or not np.isfinite(value):
            return None
        for upper, name in bands:
            if value < upper:
                return name
        return bands[-1][1]

    if np.ndim(ili) == 0:
        return one(None if ili is None else float(ili))
    return np.array([one(float(v)) for v in np.asarray(ili, float).ravel()], dtype=object).reshape(np.shape(ili))


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


def real_loss_matrix_l_per_conn_day(pressure_m, income="lmic") -> dict[str, tuple[float, float]]:
    """The WBI physical-loss target matrix at one average pressure: band -> (low, high) l/connection/day.

    Each ILI bound of :data:`ILI_BANDS` × 1,25 l/connection/day per metre of pressure (the
    printed matrix: at 10 m A < 50, B 50-100, C 100-200, D > 200 l/conn/day for developing
    countries; proportional to pressure in the 20-50 m columns).
    """
    rows, low = {}, 0.0
    for upper, name in ILI_BANDS[income]:
        high = upper * MATRIX_L_PER_CONN_DAY_PER_M_PER_ILI * float(pressure_m)
        rows[name] = (low, high)
        low = high
    return rows


def matrix_band(real_l_per_conn_day, pressure_m, income="lmic"):
    """Band of real losses per connection at their pressure, read off the WBI matrix (no network data needed)."""
    per_metre = np.asarray(real_l_per_conn_day, float) / (MATRIX_L_PER_CONN_DAY_PER_M_PER_ILI * np.asarray(pressure_m, float))
    return ili_band(per_metre, income)


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


# ----------------------------------------------------------------------------- the balance

# Inputs of the balance (columns of the frame :func:`water_balance` takes), with the unit.
BALANCE_INPUTS = {
    "system_input_m3_per_day": "m³/day",
    "billed_m3_per_day": "m³/day",
    "billed_unmetered_pct": "% of billed volume",
    "unbilled_authorised_pct": "% of system input",
    "unbilled_metered_share_pct": "% of unbilled authorised",
    "unauthorised_pct": "% of system input",
    "meter_under_registration_pct": "% of true metered flow",
    "data_error_pct": "% of billed volume",
    "service_connections": "connections",
    "mains_km": "km",
    "private_pipe_m": "m per connection",
    "pressure_m": "m",
    "supply_hours_per_day": "hours/day",
}
# Inputs that carry a ±95 % range (the two split shares only move volume inside one box).
UNCERTAIN_INPUTS = (
    "system_input_m3_per_day", "billed_m3_per_day", "unbilled_authorised_pct", "unauthorised_pct",
    "meter_under_registration_pct", "data_error_pct", "service_connections", "mains_km", "private_pipe_m",
    "pressure_m", "supply_hours_per_day",
)
INPUT_LABELS_VI = {
    "system_input_m3_per_day": "Lượng nước đầu vào",
    "billed_m3_per_day": "Lượng nước thương phẩm",
    "unbilled_authorised_pct": "Tiêu thụ hợp pháp không doanh thu",
    "unauthorised_pct": "Sử dụng trái phép",
    "meter_under_registration_pct": "Sai số đồng hồ khách hàng",
    "data_error_pct": "Sai sót số liệu",
    "service_connections": "Số đấu nối",
    "mains_km": "Chiều dài ống phân phối",
    "private_pipe_m": "Ống sau ranh giới đến đồng hồ",
    "pressure_m": "Áp lực trung bình",
    "supply_hours_per_day": "Số giờ cấp nước",
}


def water_balance(inputs: pd.DataFrame) -> pd.DataFrame:
    """The IWA water balance of each row (one system), every component in m³/day.

    Columns of ``inputs``: :data:`BALANCE_INPUTS`. The components (Lambert & Hirner 2000;
    apparent-loss conventions of AWWA M36, 4th ed. 2016, and WB-EasyCalc):

    - billed authorised = billed volume, of which unmetered = billed × billed_unmetered_pct;
    - unbilled authorised = input × unbilled_authorised_pct, of which metered = that ×
      unbilled_metered_share_pct;
    - unauthorised consumption = input × unauthorised_pct;
    - customer meter inaccuracy = metered consumption (billed + unbilled metered) × u / (100 − u),
      u the under-registration in % (the meters record (100 − u) % of what flows);
    - data handling errors = billed × data_error_pct;
    - real losses = input − authorised consumption − apparent losses (the residual);
    - revenue water = billed authorised; NRW = input − revenue water.

    The balance closes by construction: authorised + apparent + real = input.
    """
    x = {k: inputs[k].astype(float).to_numpy() for k in BALANCE_INPUTS}
    return pd.DataFrame(_balance_arrays(x), index=inputs.index)


def _balance_arrays(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    siv, billed = x["system_input_m3_per_day"], x["billed_m3_per_day"]
    billed_unmetered = billed * x["billed_unmetered_pct"] / 100
    billed_metered = billed - billed_unmetered
    unbilled = siv * x["unbilled_authorised_pct"] / 100
    unbilled_metered = unbilled * x["unbilled_metered_share_pct"] / 100
    unbilled_unmetered = unbilled - unbilled_metered
    authorised = billed + unbilled
    unauthorised = siv * x["unauthorised_pct"] / 100
    u = x["meter_under_registration_pct"]
    meter_inaccuracy = (billed_metered + unbilled_metered) * u / (100 - u)
    data_errors = billed * x["data_error_pct"] / 100
    apparent = unauthorised + meter_inaccuracy + data_errors
    real = siv - authorised - apparent
    return {
        "system_input_m3_per_day": siv,
        "authorised_m3_per_day": authorised,
        "billed_authorised_m3_per_day": billed,
        "billed_metered_m3_per_day": billed_metered,
        "billed_unmetered_m3_per_day": billed_unmetered,
        "unbilled_authorised_m3_per_day": unbilled,
        "unbilled_metered_m3_per_day": unbilled_metered,
        "unbilled_unmetered_m3_per_day": unbilled_unmetered,
        "water_losses_m3_per_day": apparent + real,
        "apparent_losses_m3_per_day": apparent,
        "unauthorised_m3_per_day": unauthorised,
        "meter_inaccuracy_m3_per_day": meter_inaccuracy,
        "data_errors_m3_per_day": data_errors,
        "real_losses_m3_per_day": real,
        "revenue_water_m3_per_day": billed,
        "nrw_m3_per_day": siv - billed,
    }


def _indicator_arrays(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    b = _balance_arrays(x)
    connections, mains = x["service_connections"], x["mains_km"]
    hours = x["supply_hours_per_day"]
    uarl = uarl_m3_per_day(mains, connections, connections * x["private_pipe_m"] / 1000, x["pressure_m"], hours)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            **b,
            "nrw_pct": 100 * b["nrw_m3_per_day"] / b["system_input_m3_per_day"],
            "nrw_m3_per_km_day": b["nrw_m3_per_day"] / mains,
            "nrw_m3_per_conn_day": b["nrw_m3_per_day"] / connections,
            "apparent_losses_pct": 100 * b["apparent_losses_m3_per_day"] / b["system_input_m3_per_day"],
            "real_losses_pct": 100 * b["real_losses_m3_per_day"] / b["system_input_m3_per_day"],
            # IWA Op24: litres per connection per day *when the system is pressurised*
            "real_losses_l_per_conn_day": 1000 * b["real_losses_m3_per_day"] / connections * 24 / hours,
            "uarl_m3_per_day": np.asarray(uarl, float),
            "ili": np.asarray(ili(b["real_losses_m3_per_day"], uarl), float),
        }


INDICATORS = ("nrw_pct", "nrw_m3_per_km_day", "nrw_m3_per_conn_day", "real_losses_l_per_conn_day", "uarl_m3_per_day", "ili")


def indicators(inputs: pd.DataFrame, income: str = "lmic") -> pd.DataFrame:
    """The balance of :func:`water_balance` plus the loss indicators of each row.

    - ``nrw_pct``: NRW / input (IBNET indicator 6.1; IWA Fi46 by volume);
    - ``nrw_m3_per_km_day``: NRW per km of mains per day (IBNET 6.2);
    - ``nrw_m3_per_conn_day``: NRW per connection per day (IBNET 6.3);
    - ``real_losses_l_per_conn_day``: real losses per connection per day when the system is
      pressurised (IWA Op24);
    - ``uarl_m3_per_day``, ``ili``, ``ili_band`` (:func:`uarl_m3_per_day`, :func:`ili`,
      :func:`ili_band`); ``matrix_band``: the band of real losses per connection at the
      system's pressure (:func:`matrix_band`); ``uarl_warning``: :func:`uarl_validity`.
    """
    x = {k: inputs[k].astype(float).to_numpy() for k in BALANCE_INPUTS}
    out = pd.DataFrame(_indicator_arrays(x), index=inputs.index)
    out["ili_band"] = ili_band(out["ili"].to_numpy(), income)
    out["matrix_band"] = matrix_band(out["real_losses_l_per_conn_day"].to_numpy(), x["pressure_m"], income)
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
                     "real_losses_l_per_conn_day", "uarl_m3_per_day", "ili")


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
