"""The current state (the plan's base year): per-area coverage, per-system loss and utilisation, province aggregates, Biểu 01-03."""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from capnuoc_model.model import losses

from capnuoc_model.data import water_balance as wb
from capnuoc_model.data.classes import classify, coverage_class, loss_class, utilisation_class
from capnuoc_model.data.io import DataPackage


def _ratio_pct(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    num = numerator.astype(float)
    den = denominator.astype(float)
    return (100 * num / den.where(den > 0)).astype(float)


def area_state(package: DataPackage) -> pd.DataFrame:
    """One row per urban area: population, served, coverage % and its class."""
    groups = package.orientation_groups.set_index("group_id")["label_vi"]
    areas = package.urban_areas
    out = pd.DataFrame(
        {
            "area_id": areas["area_id"].astype(str),
            "name_vi": areas["name_vi"].astype(str),
            "orientation_group": areas["orientation_group"].astype(str),
            "orientation_group_vi": areas["orientation_group"].map(groups).astype(str),
            "population_persons": areas["population_base_persons"].astype("int64"),
            "served_persons": areas["served_base_persons"].astype("int64"),
        }
    )
    out["coverage_pct"] = _ratio_pct(out["served_persons"], out["population_persons"])
    out["coverage_class"] = classify(out["coverage_pct"], coverage_class)
    return out


def system_state(package: DataPackage) -> pd.DataFrame:
    """One row per system: volumes, loss and utilisation (null where the system does not operate)."""
    systems = package.systems
    operators = package.operators.set_index("operator_id")["short_name_vi"]
    out = pd.DataFrame(
        {
            "system_id": systems["system_id"].astype(str),
            "name_vi": systems["name_vi"].astype(str),
            "operator_id": systems["operator_id"].astype(object),
            "operator_vi": systems["operator_id"].map(operators).astype(object),
            "kind": systems["kind"].astype(str),
            "status": systems["status"].astype(str),
            "design_capacity_m3_per_day": systems["design_capacity_m3_per_day"].astype(float),
            "production_m3_per_day": systems["production_m3_per_day"].astype(float),
            "billed_m3_per_day": systems["billed_m3_per_day"].astype(float),
        }
    )
    operating = out["status"] == "operating"
    for column in ("design_capacity_m3_per_day", "production_m3_per_day", "billed_m3_per_day"):
        out[column] = out[column].where(operating)
    out["loss_m3_per_day"] = out["production_m3_per_day"] - out["billed_m3_per_day"]
    out["loss_pct"] = _ratio_pct(out["loss_m3_per_day"], out["production_m3_per_day"])
    out["loss_class"] = classify(out["loss_pct"], loss_class, package.plan.loss_threshold_pct)
    out["utilisation_pct"] = _ratio_pct(out["production_m3_per_day"], out["design_capacity_m3_per_day"])
    out["utilisation_class"] = classify(out["utilisation_pct"], utilisation_class)
    total_loss = out["loss_m3_per_day"].sum()
    # Which systems move the province figure: each system's share of the province's lost volume.
    out["share_of_province_loss_pct"] = 100 * out["loss_m3_per_day"] / total_loss if total_loss else np.nan
    return out


def province_coverage_pct(areas: pd.DataFrame) -> float:
    """Population-weighted coverage: Σ served / Σ population."""
    return float(100 * areas["served_persons"].sum() / areas["population_persons"].sum())


def province_loss_pct(systems: pd.DataFrame) -> float:
    """Production-weighted loss: Σ(production − billed) / Σ production over operating systems."""
    production = systems["production_m3_per_day"].sum()
    return float(100 * (systems["production_m3_per_day"] - systems["billed_m3_per_day"]).sum() / production)


def coverage_by(areas: pd.DataFrame, key: str) -> pd.DataFrame:
    """Coverage aggregated over a grouping column of ``area_state``."""
    grouped = areas.groupby(key, sort=False)[["population_persons", "served_persons"]].sum()
    grouped["coverage_pct"] = _ratio_pct(grouped["served_persons"], grouped["population_persons"])
    return grouped.reset_index()


def loss_by(systems: pd.DataFrame, key: str) -> pd.DataFrame:
    """Loss and utilisation aggregated over a grouping column of ``system_state`` (operating systems)."""
    running = systems.dropna(subset=["production_m3_per_day"])
    columns = ["design_capacity_m3_per_day", "production_m3_per_day", "billed_m3_per_day", "loss_m3_per_day"]
    grouped = running.groupby(key, sort=False)[columns].sum()
    grouped["loss_pct"] = _ratio_pct(grouped["loss_m3_per_day"], grouped["production_m3_per_day"])
    grouped["utilisation_pct"] = _ratio_pct(grouped["production_m3_per_day"], grouped["design_capacity_m3_per_day"])
    return grouped.reset_index()


def bieu01_utilisation(systems: pd.DataFrame) -> pd.DataFrame:
    """Biểu 01: capacity utilisation of each system, Vietnamese headers."""
    table = systems[systems["status"] == "operating"]
    return pd.DataFrame(
        {
            "Công trình cấp nước": table["name_vi"],
            "Đơn vị quản lý": table["operator_vi"],
            "Công suất thiết kế (m³/ngày đêm)": table["design_capacity_m3_per_day"],
            "Sản lượng khai thác (m³/ngày đêm)": table["production_m3_per_day"],
            "Tỷ lệ khai thác (%)": table["utilisation_pct"],
            "Mức độ khai thác": table["utilisation_class"],
        }
    ).reset_index(drop=True)


def bieu02_loss(systems: pd.DataFrame) -> pd.DataFrame:
    """Biểu 02: loss rate of each system, Vietnamese headers."""
    table = systems[systems["status"] == "operating"]
    return pd.DataFrame(
        {
            "Công trình cấp nước": table["name_vi"],
            "Nước sản xuất (m³/ngày đêm)": table["production_m3_per_day"],
            "Nước thương phẩm (m³/ngày đêm)": table["billed_m3_per_day"],
            "Nước thất thoát (m³/ngày đêm)": table["loss_m3_per_day"],
            "Tỷ lệ thất thoát (%)": table["loss_pct"],
            "Mức độ thất thoát": table["loss_class"],
            "Tỷ trọng trong thất thoát toàn tỉnh (%)": table["share_of_province_loss_pct"],
        }
    ).reset_index(drop=True)


def bieu03_coverage(areas: pd.DataFrame) -> pd.DataFrame:
    """Biểu 03: coverage of each urban area, Vietnamese headers."""
    return pd.DataFrame(
        {
            "Đô thị": areas["name_vi"],
            "Dân số đô thị (người)": areas["population_persons"],
            "Dân số được cấp nước sạch (người)": areas["served_persons"],
            "Tỷ lệ bao phủ (%)": areas["coverage_pct"],
            "Mức độ bao phủ": areas["coverage_class"],
        }
    ).reset_index(drop=True)


def loss_money_state(package: DataPackage) -> pd.DataFrame:
    """Per operating system: the per-connection indicators with their 95 % limits, the bands and the money figures
    (the machine table of ``capnuoc baseline --out``; column ids as in ``baseline --json``)."""
    balance = balance_state(package)
    ranges = balance_uncertainty(package).ranges
    limits = [f"{key}_{end}" for key in LIMITED_KEYS for end in ("low", "high")]
    out = balance[list(LIMITED_KEYS)].join(ranges[limits])[[c for key in LIMITED_KEYS for c in (key, f"{key}_low", f"{key}_high")]]
    out = out.join(balance[list(BAND_KEYS)]).join(money_state(package))
    names = package.systems.set_index("system_id")["name_vi"]
    out.insert(0, "name_vi", out.index.map(names))
    return out.reset_index()


def bieu_loss_money(package: DataPackage) -> pd.DataFrame:
    """Per operating system, Vietnamese headers from the registry of names (:data:`capnuoc_model.data.water_balance.TERMS`): the per-connection
    indicators, the NRW matrix band and the yearly value of NRW."""
    state = loss_money_state(package)
    keys = (*LIMITED_KEYS, "nrw_matrix_band", "nrw_value_billion_vnd_per_year")
    return pd.DataFrame({"Công trình cấp nước": state["name_vi"], **{wb.TERMS_BY_KEY[k].label_vi: state[k] for k in keys}})


def bieu_loss_money_decimals() -> dict[str, int]:
    """Decimals of each column of :func:`bieu_loss_money`, from the registry."""
    return {t.label_vi: t.decimals for t in wb.TERMS}


def _nfc(text: object) -> object:
    return unicodedata.normalize("NFC", text) if isinstance(text, str) else text


def _number_or_none(value: object, digits: int = 4) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), digits)


def balance_state(package: DataPackage) -> pd.DataFrame:
    """The base-year IWA water balance and loss indicators of each operating system (index: system_id).

    Columns: the components of :func:`capnuoc_model.data.water_balance.water_balance` and the indicators of
    :func:`capnuoc_model.model.losses.indicators`; system input is production, revenue water the billed volume.
    """
    inputs, _ = losses.balance_inputs(package.systems, package.system_network)
    return losses.indicators(inputs)


def balance_uncertainty(package: DataPackage) -> losses.Uncertainty:
    """±95 % ranges of NRW, real losses and ILI of each operating system and each input's share of their variance."""
    inputs, ci95 = losses.balance_inputs(package.systems, package.system_network)
    return losses.balance_uncertainty(inputs, ci95)


def loss_target_pct(package: DataPackage) -> float:
    """The plan's province loss target (%), the highest value that meets it (``package.plan``); NaN when the plan
    has none (validation requires one; the figures of reaching it are then empty)."""
    target = package.plan.targets.get("loss") if package.plan is not None else None
    return float(target.high) if target is not None and target.high is not None else float("nan")


def prices_state(package: DataPackage) -> pd.DataFrame:
    """Average tariff, variable cost and operating cost of each operating system (index: system_id)."""
    return losses.system_prices(package.systems, package.tables.get("tariffs"), package.tables.get("operating_costs"))


def money_state(package: DataPackage) -> pd.DataFrame:
    """Per operating system: prices, the yearly value of NRW and of reaching the loss target (:func:`losses.money_table`)."""
    return losses.money_table(balance_state(package), prices_state(package), loss_target_pct(package))


def province_money(package: DataPackage) -> dict[str, float]:
    """The province's NRW value, NRW % of operating cost and value of reaching the loss target (:func:`losses.province_money`)."""
    return losses.province_money(balance_state(package), prices_state(package), loss_target_pct(package))


# keys of the JSON document, per system: the IWA indicators, those with ±95 % limits, the bands and the money figures
LOSS_KEYS = ("nrw_pct", "real_losses_l_per_conn_day", "uarl_m3_per_day", "ili")
LIMITED_KEYS = ("nrw_l_per_connection_day", "real_losses_l_per_connection_day_per_m", "real_losses_m3_per_km_hour",
                "apparent_losses_pct_of_authorised", "apparent_losses_l_per_connection_day")
BAND_KEYS = ("ili_band", "matrix_band", "nrw_matrix_band", "nrw_matrix_band_hic")
MONEY_KEYS = ("average_tariff_vnd_per_m3", "variable_cost_vnd_per_m3", "operating_cost_billion_vnd_per_year",
              "nrw_value_billion_vnd_per_year", "real_losses_value_billion_vnd_per_year",
              "apparent_losses_value_billion_vnd_per_year", "unbilled_authorised_value_billion_vnd_per_year",
              "nrw_pct_of_operating_cost", "target_revenue_recovered_billion_vnd_per_year",
              "target_cost_recovered_billion_vnd_per_year", "target_value_billion_vnd_per_year")
SYSTEM_KEYS = (*LOSS_KEYS, *LIMITED_KEYS, *(f"{k}_ci95" for k in LIMITED_KEYS), *BAND_KEYS, *MONEY_KEYS)
PROVINCE_MONEY_KEYS = ("nrw_value_billion_vnd_per_year", "nrw_pct_of_operating_cost", "real_losses_value_billion_vnd_per_year",
                       "apparent_losses_value_billion_vnd_per_year", "unbilled_authorised_value_billion_vnd_per_year",
                       "operating_cost_billion_vnd_per_year", "target_revenue_recovered_billion_vnd_per_year",
                       "target_cost_recovered_billion_vnd_per_year", "target_value_billion_vnd_per_year")


def _loss_indicators(balance: pd.DataFrame, ranges: pd.DataFrame, money: pd.DataFrame, system_id: str) -> dict:
    """The IWA indicators, their ±95 % limits, bands and money figures of one system for the JSON document
    (null where the system does not operate or a figure cannot be computed)."""
    if system_id not in balance.index:
        return {key: None for key in SYSTEM_KEYS}
    row, spread, value = balance.loc[system_id], ranges.loc[system_id], money.loc[system_id]
    out = {key: _number_or_none(row[key]) for key in (*LOSS_KEYS, *LIMITED_KEYS)}
    out |= {f"{key}_ci95": [_number_or_none(spread[f"{key}_low"]), _number_or_none(spread[f"{key}_high"])] for key in LIMITED_KEYS}
    out |= {key: row[key] for key in BAND_KEYS}
    out |= {key: _number_or_none(value[key]) for key in MONEY_KEYS}
    return out


def baseline_document(package: DataPackage) -> dict:
    """The machine-readable baseline (``capnuoc baseline --json``)."""
    areas = area_state(package)
    systems = system_state(package)
    running = systems.dropna(subset=["production_m3_per_day"])
    balance = balance_state(package)
    ranges = balance_uncertainty(package).ranges
    money = money_state(package)
    province = province_money(package)
    return {
        "year": package.plan.base_year,
        "coverage_pct": round(province_coverage_pct(areas), 4),
        "loss_pct": round(province_loss_pct(running), 4),
        "population_persons": int(areas["population_persons"].sum()),
        "served_persons": int(areas["served_persons"].sum()),
        "loss_target_pct": _number_or_none(loss_target_pct(package)),
        **{key: _number_or_none(province[key]) for key in PROVINCE_MONEY_KEYS},
        "areas": [
            {
                "id": row.area_id,
                "name": _nfc(row.name_vi),
                "population": int(row.population_persons),
                "served": int(row.served_persons),
                "coverage_pct": _number_or_none(row.coverage_pct),
                "coverage_class": _nfc(row.coverage_class),
            }
            for row in areas.itertuples()
        ],
        "systems": [
            {
                "id": row.system_id,
                "name": _nfc(row.name_vi),
                "operator": _nfc(row.operator_vi) if isinstance(row.operator_vi, str) else None,
                "status": row.status,
                "loss_pct": _number_or_none(row.loss_pct),
                "loss_class": _nfc(row.loss_class),
                "utilisation_pct": _number_or_none(row.utilisation_pct),
                "utilisation_class": _nfc(row.utilisation_class),
                **_loss_indicators(balance, ranges, money, row.system_id),
            }
            for row in systems.itertuples()
        ],
    }
