"""Frames ready to show in the documents: the model's tables selected and given Vietnamese headers.

Each function takes a :class:`~capnuoc_model.context.ReportContext` and returns
a DataFrame whose columns are the printed headers (a '%' in a header makes
:func:`capnuoc_model.display.table` print one decimal).
"""

from __future__ import annotations

import pandas as pd

from capnuoc_model import baseline as bl
from capnuoc_model import fmt, projection
from capnuoc_model.context import ReportContext
from capnuoc_model.feasibility import MEASURES_VI

PROJECT_SHORT_VI = "project_short_vi"


def bieu01(ctx: ReportContext) -> pd.DataFrame:
    return bl.bieu01_utilisation(ctx.systems)


def bieu02(ctx: ReportContext) -> pd.DataFrame:
    return bl.bieu02_loss(ctx.systems)


def bieu03(ctx: ReportContext) -> pd.DataFrame:
    return bl.bieu03_coverage(ctx.areas)


def operators(ctx: ReportContext) -> pd.DataFrame:
    by = bl.loss_by(ctx.systems, "operator_id")
    names = ctx.package.operators.set_index("operator_id")["name_vi"]
    counts = ctx.systems.groupby("operator_id").size()
    return pd.DataFrame({
        "Đơn vị cấp nước": by["operator_id"].map(names),
        "Số công trình": by["operator_id"].map(counts),
        "Sản lượng (m³/ngày đêm)": by["production_m3_per_day"],
        "Tỷ lệ thất thoát (%)": by["loss_pct"],
        "Tỷ lệ khai thác (%)": by["utilisation_pct"],
    })


def province_targets(ctx: ReportContext) -> pd.DataFrame:
    targets = ctx.package.targets_province
    units = {"pct_population": "%", "pct_production": "%", "pct_systems": "% công trình", "pct_operators": "% đơn vị",
             "hours_per_day": "giờ/ngày", "none": ""}

    def target_text(row) -> str:
        unit = units[row.unit]
        if not row.is_numeric:
            return "định tính"
        if pd.notna(row.target_min) and pd.notna(row.target_max):
            return f"{fmt.vn(row.target_min)}–{fmt.vn(row.target_max)} {unit}"
        if pd.notna(row.target_min):
            return f"≥ {fmt.vn(row.target_min, 1, trim=True)} {unit}"
        return f"≤ {fmt.vn(row.target_max, 1, trim=True)} {unit}"

    return pd.DataFrame({
        "Chỉ tiêu": targets["indicator_vi"],
        "Hiện trạng 2025": [fmt.vn(v, 1, trim=True) + " %" if pd.notna(v) else "—" for v in targets["baseline_value"]],
        "Mục tiêu 2026": [target_text(r) for r in targets.itertuples()],
    })


def bieu04_frame(ctx: ReportContext, year: int = projection.PLAN_YEAR) -> pd.DataFrame:
    """Per-area target against the projection (numbers, for the chart and the table)."""
    targets = ctx.table("targets")
    areas = targets[(targets["indicator"] == "coverage_pct") & (targets["scope"] != "province")]
    names = ctx.areas.set_index("area_id")["name_vi"]
    base = ctx.areas.set_index("area_id")["coverage_pct"]
    return pd.DataFrame({
        "area_id": areas["scope"].to_numpy(),
        "name_vi": areas["scope"].map(names).to_numpy(),
        "baseline": areas["scope"].map(base).to_numpy(),
        "target": areas["target"].to_numpy(),
        "value": areas["value"].to_numpy(),
        "p5": areas["p5"].to_numpy(),
        "p95": areas["p95"].to_numpy(),
        "p_meet": areas["p_meet"].to_numpy(),
    })


def bieu04(ctx: ReportContext) -> pd.DataFrame:
    frame = bieu04_frame(ctx)
    return pd.DataFrame({
        "Đô thị": frame["name_vi"],
        "Hiện trạng 2025 (%)": frame["baseline"],
        "Mục tiêu 2026 (%)": frame["target"],
        "Dự báo 2026 (%)": frame["value"],
        "P5 (%)": frame["p5"],
        "P95 (%)": frame["p95"],
        "Xác suất đạt (%)": 100 * frame["p_meet"],
    })


def groups(ctx: ReportContext) -> pd.DataFrame:
    labels = ctx.package.orientation_groups.set_index("group_id")
    areas = ctx.areas.groupby("orientation_group", sort=False)["name_vi"].apply(", ".join)
    return pd.DataFrame({
        "Nhóm đô thị": [labels.loc[g, "label_vi"] for g in areas.index],
        "Đô thị": areas.to_numpy(),
        "Định hướng": [labels.loc[g, "direction_vi"] for g in areas.index],
    })


def systems_in_loss_group(ctx: ReportContext, group: str) -> str:
    systems = ctx.package.systems
    return ", ".join(systems.loc[systems["plan_loss_group"] == group, "name_vi"])


def projects(ctx: ReportContext) -> pd.DataFrame:
    p = ctx.package.projects
    return pd.DataFrame({
        "TT": p["project_no"],
        "Tên dự án": p["name_vi"],
        "Chủ đầu tư": p["investor_vi"],
        "Tổng mức (tỷ đồng)": p["cost_billion_vnd"],
        "Nguồn vốn": p["funding_vi"],
        "Hoàn thành": p["completion_year"].astype(str),
        "Hiệu quả dự kiến": p["expected_effect_vi"],
    })


def project_costs_frame(ctx: ReportContext) -> pd.DataFrame:
    costs = ctx.table("projects").copy()
    costs["short"] = [f"Dự án {no}: {name[:48]}…" if len(name) > 48 else f"Dự án {no}: {name}"
                      for no, name in zip(costs["project_no"], costs["name_vi"])]
    return costs


def project_costs(ctx: ReportContext) -> pd.DataFrame:
    costs = project_costs_frame(ctx).dropna(subset=["beneficiaries_persons"])
    values = ctx.scenario
    months = [values.value(f"projects.{pid}.commissioning_month") for pid in costs["project_id"]]
    return pd.DataFrame({
        "Dự án": costs["short"],
        "Tổng mức (tỷ đồng)": costs["cost_billion_vnd"],
        "Người hưởng lợi (kế hoạch)": costs["beneficiaries_persons"].astype(float),
        "Suất đầu tư (triệu đồng/người)": costs["million_vnd_per_stated_person"],
        "Vận hành (giả định)": [_month_text(m) for m in months],
        f"Tăng số người được cấp nước đến 31/12/{projection.PLAN_YEAR}": costs[f"area_gain_{projection.PLAN_YEAR}_persons"],
        "Đến 31/12/2030": costs["area_gain_2030_persons"],
    })


def _month_text(months_from_2026: float) -> str:
    """Month 9 → 'tháng 10/2026' (start of the following month)."""
    whole = int(round(float(months_from_2026)))
    year, month = 2026 + whole // 12, whole % 12 + 1
    return f"tháng {month}/{year}"


def province_projection(ctx: ReportContext) -> pd.DataFrame:
    p = ctx.table("province")
    return pd.DataFrame({
        "Năm": p["year"].astype(str),
        "Dân số đô thị (người)": p["population"],
        "Được cấp nước (người)": p["served"],
        "Bao phủ (%)": p["coverage_pct"],
        "Bao phủ P5–P95 (%)": [f"{fmt.vn(a, 1)}–{fmt.vn(b, 1)}" for a, b in zip(p["coverage_p5"], p["coverage_p95"])],
        "Thất thoát (%)": p["loss_pct"],
        "Thất thoát P5–P95 (%)": [f"{fmt.vn(a, 1)}–{fmt.vn(b, 1)}" for a, b in zip(p["loss_p5"], p["loss_p95"])],
        "P(bao phủ ≥ 87,4 %) (%)": 100 * p["p_coverage_target"],
        "P(thất thoát ≤ 15 %) (%)": 100 * p["p_loss_target"],
    })


def population_projection(ctx: ReportContext, years: tuple[int, ...] = (2025, 2026, 2028, 2030)) -> pd.DataFrame:
    areas = ctx.table("areas")
    wide = areas[areas["year"].isin(years)].pivot(index="area_id", columns="year", values="population")
    order = ctx.areas["area_id"]
    out = pd.DataFrame({"Đô thị": ctx.areas.set_index("area_id").loc[order, "name_vi"].to_numpy()})
    for year in years:
        out[f"{year} (người)"] = wide.loc[order, year].to_numpy()
    last = areas[areas["year"] == years[-1]].set_index("area_id").loc[order]
    out[f"{years[-1]} P5–P95"] = [f"{fmt.vn(a)}–{fmt.vn(b)}" for a, b in zip(last["population_p5"], last["population_p95"])]
    return out


def population_fit(ctx: ReportContext) -> pd.DataFrame:
    fit = ctx.table("population_fit")
    return pd.DataFrame({"Tham số": fit["parameter"], "Giá trị": fit["value"].astype(str)})


def systems_projection(ctx: ReportContext, year: int) -> pd.DataFrame:
    s = ctx.table("systems")
    s = s[(s["year"] == year) & s["is_running"]]
    return pd.DataFrame({
        "Công trình": s["name_vi"],
        "Sản lượng (m³/ngày đêm)": s["production_m3_per_day"],
        "Thương phẩm (m³/ngày đêm)": s["billed_m3_per_day"],
        "Thất thoát (%)": s["loss_pct"],
        "P5–P95 (%)": [f"{fmt.vn(a, 1)}–{fmt.vn(b, 1)}" for a, b in zip(s["loss_p5"], s["loss_p95"])],
        "Khai thác công suất (%)": s["utilisation_pct"],
        "Mức độ khai thác": s["utilisation_class"],
        "Tỷ trọng thất thoát toàn tỉnh (%)": s["share_of_province_loss_pct"],
    })


def allocation(ctx: ReportContext) -> pd.DataFrame:
    a = ctx.run.loss.allocation
    names = ctx.systems.set_index("system_id")["name_vi"]
    used = a[a["share_used"] > 1e-6].sort_values("million_vnd_per_m3_day")
    return pd.DataFrame({
        "Công trình": used["system_id"].map(names),
        "Giải pháp": used["measure"].map(MEASURES_VI),
        "Giảm thất thoát (m³/ngày đêm)": used["removed_m3_per_day"],
        "Chi phí (tỷ đồng)": used["cost_used_billion_vnd"],
        "Chi phí đơn vị (triệu đồng/(m³/ngày đêm))": used["million_vnd_per_m3_day"],
    })


def sensitivity_labels(ctx: ReportContext) -> dict[str, str]:
    """Short labels for assumptions in charts: the description, shortened."""
    return {path: _shorten(ctx.scenario.get(path).description) for path in ctx.scenario.uncertain_paths()}


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def assumptions(ctx: ReportContext) -> pd.DataFrame:
    records = pd.DataFrame(ctx.scenario.to_records())
    return pd.DataFrame({
        "Giả định": records["path"],
        "Giá trị": [fmt.vn(v, 3, trim=True) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)
                    for v in records["value"]],
        "Đơn vị": records["unit"],
        "Phân phối": records["distribution"],
        "Nguồn / lý do": records["reference"],
    })


def sources(ctx: ReportContext) -> pd.DataFrame:
    s = ctx.package.sources
    return pd.DataFrame({"Mã": s["source_id"], "Tài liệu": s["title"], "Đơn vị công bố": s["publisher"],
                         "Năm": s["year"].astype(str)})


def methods(ctx: ReportContext) -> pd.DataFrame:
    m = ctx.package.methods
    return pd.DataFrame({"Phương pháp": m["method_id"], "Nội dung": m["title"]})
