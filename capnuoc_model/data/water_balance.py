"""The IWA standard water balance as the data package states it: its inputs, its components and their Vietnamese names.

A data definition, not a model: the balance is an accounting identity over a system's
inputs (``data/system_network.csv`` with production and billed volumes of ``systems.csv``),
which validation checks and :mod:`capnuoc_model.model.losses` builds its indicators on
(Lambert & Hirner 2000, IWA Blue Pages; WB-EasyCalc). :data:`TERMS` is the one registry of the
Vietnamese names and units of the balance, its loss indicators and their value in money,
which the output registry (:mod:`capnuoc_model.data.outputs`) and the documents read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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
    return pd.DataFrame(balance_arrays(x), index=inputs.index)


def balance_arrays(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The components of :func:`water_balance` from arrays of its inputs (vectorised over systems or draws)."""
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


# ----------------------------------------------------------------------------- Vietnamese names

@dataclass(frozen=True)
class Term:
    """The Vietnamese name and unit of a quantity of the balance, its indicators or their value, as documents and workbooks print it.

    ``easycalc`` is True where the name is the term of WB-EasyCalc's Vietnamese interface (the
    Vietnamese edition prepared by Pham Thach and revised for version 6 by Giap Minh Bui, ADB;
    source ``wb_easycalc``): nước cấp nhưng thất thu, thất thoát cơ học, thất thoát thương mại,
    chỉ số rò rỉ hạ tầng. The other names are built from those terms and the plan's wording
    (the tool's full Vietnamese sheet could not be read offline to check them).
    """

    key: str
    name_vi: str
    unit_vi: str
    decimals: int = 1
    easycalc: bool = False

    @property
    def label_vi(self) -> str:
        """'Name (unit)', the header of a table column."""
        return f"{self.name_vi} ({self.unit_vi})" if self.unit_vi else self.name_vi


_M3 = "m³/ngày đêm"
_L_CONN = "lít/đấu nối/ngày"
_BVND = "tỷ đồng/năm"
TERMS: tuple[Term, ...] = (
    # the IWA standard water balance
    Term("system_input_m3_per_day", "Lượng nước cấp vào hệ thống", _M3, 0),
    Term("authorised_m3_per_day", "Tiêu thụ hợp pháp", _M3, 0),
    Term("billed_authorised_m3_per_day", "Tiêu thụ hợp pháp có doanh thu", _M3, 0),
    Term("billed_metered_m3_per_day", "Tiêu thụ có đồng hồ, có doanh thu", _M3, 0),
    Term("billed_unmetered_m3_per_day", "Tiêu thụ không đồng hồ, có doanh thu", _M3, 0),
    Term("unbilled_authorised_m3_per_day", "Tiêu thụ hợp pháp không doanh thu", _M3, 0),
    Term("unbilled_metered_m3_per_day", "Tiêu thụ có đồng hồ, không doanh thu", _M3, 0),
    Term("unbilled_unmetered_m3_per_day", "Tiêu thụ không đồng hồ, không doanh thu", _M3, 0),
    Term("water_losses_m3_per_day", "Lượng nước thất thoát", _M3, 0),
    Term("apparent_losses_m3_per_day", "Thất thoát thương mại", _M3, 0, True),
    Term("unauthorised_m3_per_day", "Sử dụng nước trái phép", _M3, 0),
    Term("meter_inaccuracy_m3_per_day", "Sai số đồng hồ khách hàng", _M3, 0),
    Term("data_errors_m3_per_day", "Sai sót xử lý số liệu", _M3, 0),
    Term("real_losses_m3_per_day", "Thất thoát cơ học", _M3, 0, True),
    Term("revenue_water_m3_per_day", "Nước có doanh thu", _M3, 0),
    Term("nrw_m3_per_day", "Nước cấp nhưng thất thu", _M3, 0, True),
    # indicators
    Term("nrw_pct", "Nước cấp nhưng thất thu so với lượng nước cấp vào", "%", 1),
    Term("nrw_m3_per_km_day", "Nước cấp nhưng thất thu theo chiều dài ống", "m³/km/ngày", 1),
    Term("nrw_m3_per_conn_day", "Nước cấp nhưng thất thu theo đấu nối", "m³/đấu nối/ngày", 2),
    Term("nrw_l_per_connection_day", "Nước cấp nhưng thất thu theo đấu nối, khi có áp", _L_CONN, 0),
    Term("real_losses_l_per_conn_day", "Thất thoát cơ học theo đấu nối, khi có áp", _L_CONN, 0),
    Term("real_losses_l_per_connection_day_per_m", "Thất thoát cơ học theo đấu nối và áp lực", "lít/đấu nối/ngày/m áp lực", 2),
    Term("real_losses_m3_per_km_hour", "Thất thoát cơ học theo chiều dài ống, khi có áp", "m³/km/giờ", 3),
    Term("apparent_losses_pct_of_authorised", "Thất thoát thương mại so với tiêu thụ hợp pháp", "%", 1),
    Term("apparent_losses_l_per_connection_day", "Thất thoát thương mại theo đấu nối", _L_CONN, 0),
    Term("uarl_m3_per_day", "Thất thoát cơ học không thể tránh (UARL)", _M3, 1),
    Term("ili", "Chỉ số rò rỉ hạ tầng (ILI)", "", 1, True),
    Term("ili_band", "Nhóm ILI (WBI)", "", 0),
    Term("matrix_band", "Nhóm theo ma trận thất thoát cơ học", "", 0),
    Term("nrw_matrix_band", "Nhóm theo ma trận đánh giá NRW quốc tế, thu nhập thấp và trung bình", "", 0),
    Term("nrw_matrix_band_hic", "Nhóm theo ma trận đánh giá NRW quốc tế, thu nhập cao", "", 0),
    # money
    Term("average_tariff_vnd_per_m3", "Giá bán nước bình quân", "đồng/m³", 0),
    Term("variable_cost_vnd_per_m3", "Chi phí sản xuất biến đổi", "đồng/m³", 0),
    Term("operating_cost_billion_vnd_per_year", "Chi phí vận hành", _BVND, 3),
    Term("nrw_value_billion_vnd_per_year", "Giá trị nước cấp nhưng thất thu", _BVND, 3),
    Term("real_losses_value_billion_vnd_per_year", "Giá trị thất thoát cơ học", _BVND, 3),
    Term("apparent_losses_value_billion_vnd_per_year", "Giá trị thất thoát thương mại", _BVND, 3),
    Term("unbilled_authorised_value_billion_vnd_per_year", "Giá trị tiêu thụ hợp pháp không doanh thu", _BVND, 3),
    Term("nrw_pct_of_operating_cost", "Giá trị nước cấp nhưng thất thu so với chi phí vận hành", "%", 1),
    Term("target_real_cut_m3_per_day", "Thất thoát cơ học cần giảm để đạt mục tiêu", _M3, 0),
    Term("target_apparent_cut_m3_per_day", "Thất thoát thương mại cần giảm để đạt mục tiêu", _M3, 0),
    Term("target_revenue_recovered_billion_vnd_per_year", "Doanh thu thu hồi khi đạt mục tiêu thất thoát", _BVND, 3),
    Term("target_cost_recovered_billion_vnd_per_year", "Chi phí sản xuất giảm khi đạt mục tiêu thất thoát", _BVND, 3),
    Term("target_value_billion_vnd_per_year", "Giá trị thu hồi khi đạt mục tiêu thất thoát", _BVND, 3),
    Term("million_vnd_per_m3_day", "Suất chi phí giảm thất thoát", "triệu đồng/(m³/ngày đêm)", 1),
    Term("value_billion_vnd_per_year", "Giá trị thu hồi hằng năm", _BVND, 3),
    Term("payback_years", "Thời gian hoàn vốn giản đơn", "năm", 1),
)
TERMS_BY_KEY = {t.key: t for t in TERMS}


__all__ = ["BALANCE_INPUTS", "UNCERTAIN_INPUTS", "INPUT_LABELS_VI", "water_balance", "balance_arrays", "Term", "TERMS",
           "TERMS_BY_KEY"]
