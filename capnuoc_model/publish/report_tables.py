"""Frames ready to show in the documents: the model's tables selected and given Vietnamese headers.

Each function takes a :class:`~capnuoc_model.publish.report_inputs.ReportInputs` and returns
a DataFrame whose columns are the printed headers (a '%' in a header makes
:func:`capnuoc_model.publish.notebook_output.table` print one decimal).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from capnuoc_model.data import fmt
from capnuoc_model.data import water_balance as wb
from capnuoc_model.data.schema import ESTIMATE_PREFIX
from capnuoc_model.evaluation.actuals import SYSTEM_STATUS_CHOICES
from capnuoc_model.model import losses
from capnuoc_model.model import baseline as bl
from capnuoc_model.model.feasibility import MEASURES_VI
from capnuoc_model.model.scenario import describe_distribution
from capnuoc_model.publish.report_inputs import ReportInputs


def bieu01(ctx: ReportInputs) -> pd.DataFrame:
    return bl.bieu01_utilisation(ctx.systems)


def bieu02(ctx: ReportInputs) -> pd.DataFrame:
    return bl.bieu02_loss(ctx.systems)


def bieu03(ctx: ReportInputs) -> pd.DataFrame:
    return bl.bieu03_coverage(ctx.areas)


# Which cells of the Biểu are estimates: a value whose provenance column says "estimate:<method>", and every
# value computed from one (a rate, a class, a share, a sum). Each function gives True/False cells in the shape
# and column order of the table it belongs to.

def _estimate(table: pd.DataFrame, column: str) -> pd.Series:
    """True where ``column``'s provenance (``<column>_source``) names an estimation method."""
    source = table[f"{column}_source"].astype("string")
    return source.str.startswith(ESTIMATE_PREFIX).fillna(False).astype(bool)


def _system_estimates(ctx) -> pd.DataFrame:
    """Per system (index: system_id): capacity, production, billed are estimates (``ctx``: a context or a package)."""
    systems = getattr(ctx, "package", ctx).systems.set_index("system_id")
    return pd.DataFrame({c: _estimate(systems, c) for c in
                         ("design_capacity_m3_per_day", "production_m3_per_day", "billed_m3_per_day")})


def _area_estimates(ctx) -> pd.DataFrame:
    """Per area (index: area_id): population and served are estimates (``ctx``: a context or a package)."""
    areas = getattr(ctx, "package", ctx).urban_areas.set_index("area_id")
    return pd.DataFrame({c: _estimate(areas, c) for c in ("population_base_persons", "served_base_persons")})


def balance_input_estimates(package) -> pd.Series:
    """Per system (index: system_id): True where an input of its water balance is an estimate (its volumes in
    systems.csv, any network, apparent-loss or unbilled input in system_network.csv, its tariff or variable cost).
    ``package``: a data package or the report's inputs, like :func:`_system_estimates`."""
    package = getattr(package, "package", package)
    volumes = _system_estimates(package)[["production_m3_per_day", "billed_m3_per_day"]].any(axis=1)
    network = package.system_network.set_index("system_id")
    sources = [c for c in network.columns if c.endswith("_source")]
    by_network = pd.DataFrame({c: network[c].astype("string").str.startswith(ESTIMATE_PREFIX).fillna(False).astype(bool)
                               for c in sources}).any(axis=1)
    return volumes.reindex(volumes.index.union(by_network.index), fill_value=False) | by_network.reindex(
        volumes.index.union(by_network.index), fill_value=False)


def per_system_estimated(ctx: ReportInputs, frame: pd.DataFrame, published: tuple[str, ...] = ()) -> pd.DataFrame:
    """The estimated cells of an annex table with one row per system, named in its first column (the short names
    of the wide tables or the full names): every other column, except ``published`` ones, on the rows of systems
    whose water balance has an estimated input; a row naming no system (the province's) when any system does."""
    estimated = balance_input_estimates(ctx.package)
    names = ctx.systems.set_index("system_id")["name_vi"]
    by_name = {**{n: bool(estimated.get(i, False)) for i, n in names.items()},
               **{n: bool(estimated.get(i, False)) for i, n in _names(ctx).items()}}
    rows = np.array([by_name.get(str(v), bool(estimated.any())) for v in frame.iloc[:, 0]], dtype=bool)
    return _mask(frame.columns, {c: rows for c in frame.columns[1:] if c not in published}, len(frame))


def area_target_estimates(ctx) -> pd.Series:
    """Per area (index: area_id): True where its Biểu 04 target is rebuilt (an estimate), not the plan's figure
    (``ctx``: the report's inputs or a data package, like :func:`_area_estimates`)."""
    targets = getattr(ctx, "package", ctx).targets_area.set_index("area_id")
    return _estimate(targets.rename(columns={"source": "coverage_target_pct_source"}), "coverage_target_pct")


def _mask(columns: pd.Index, values: dict[str, object], rows: int) -> pd.DataFrame:
    """A True/False frame of the table's columns: ``values`` for the columns named, False elsewhere."""
    return pd.DataFrame({c: (np.asarray(values[c], dtype=bool) if c in values else np.zeros(rows, dtype=bool))
                         for c in columns})


def bieu01_estimated(ctx: ReportInputs) -> pd.DataFrame:
    frame = bieu01(ctx)
    running = ctx.systems[ctx.systems["status"] == "operating"]
    est = _system_estimates(ctx).loc[running["system_id"]]
    capacity, production = est["design_capacity_m3_per_day"], est["production_m3_per_day"]
    columns = frame.columns  # name, operator, capacity, production, utilisation %, class
    return _mask(columns, {columns[2]: capacity, columns[3]: production,
                           columns[4]: capacity | production, columns[5]: capacity | production}, len(frame))


def bieu02_estimated(ctx: ReportInputs) -> pd.DataFrame:
    frame = bieu02(ctx)
    running = ctx.systems[ctx.systems["status"] == "operating"]
    est = _system_estimates(ctx).loc[running["system_id"]]
    production, billed = est["production_m3_per_day"], est["billed_m3_per_day"]
    loss = production | billed
    columns = frame.columns  # name, production, billed, lost, loss %, class, share of the province's loss
    share = np.full(len(frame), bool(loss.any()))  # a share of the province's loss depends on every system's
    return _mask(columns, {columns[1]: production, columns[2]: billed, columns[3]: loss, columns[4]: loss,
                           columns[5]: loss, columns[6]: share}, len(frame))


def bieu03_estimated(ctx: ReportInputs) -> pd.DataFrame:
    frame = bieu03(ctx)
    est = _area_estimates(ctx).loc[ctx.areas["area_id"]]
    population, served = est["population_base_persons"], est["served_base_persons"]
    columns = frame.columns  # name, population, served, coverage %, class
    return _mask(columns, {columns[1]: population, columns[2]: served, columns[3]: population | served,
                           columns[4]: population | served}, len(frame))


def _counted_systems(ctx: ReportInputs) -> pd.DataFrame:
    """The systems an operator runs, each with the work (công trình) the plan counts it as (systems.csv
    ``plan_work``; empty: the system is a work of its own)."""
    work = ctx.package.systems.set_index("system_id")["plan_work"]
    systems = ctx.systems.assign(plan_work=ctx.systems["system_id"].map(work).astype(object))
    systems["plan_work"] = systems["plan_work"].where(systems["plan_work"].notna(), systems["system_id"])
    return systems.dropna(subset=["operator_id"])


def operators(ctx: ReportInputs) -> pd.DataFrame:
    """Operators with the works each runs, counted as the plan counts them, and a province total row."""
    systems = _counted_systems(ctx)
    by = bl.loss_by(systems, "operator_id")
    total = bl.loss_by(systems.assign(everyone="total"), "everyone")
    names = ctx.package.operators.set_index("operator_id")["name_vi"]
    counts = systems.groupby("operator_id")["plan_work"].nunique()
    return pd.DataFrame({
        "Đơn vị cấp nước": [*by["operator_id"].map(names), "Toàn tỉnh"],
        "Số công trình": [*by["operator_id"].map(counts), systems["plan_work"].nunique()],
        "Sản lượng (m³/ngày đêm)": [*by["production_m3_per_day"], *total["production_m3_per_day"]],
        "Tỷ lệ thất thoát (%)": [*by["loss_pct"], *total["loss_pct"]],
        "Tỷ lệ khai thác (%)": [*by["utilisation_pct"], *total["utilisation_pct"]],
    })


def operators_estimated(ctx: ReportInputs) -> pd.DataFrame:
    """The operators' volumes and rates are sums and ratios of the systems' (estimated) values."""
    frame = operators(ctx)
    systems = _counted_systems(ctx)
    running = systems.dropna(subset=["production_m3_per_day"])
    est = _system_estimates(ctx).loc[running["system_id"]].set_axis(running.index)
    est["operator_id"] = running["operator_id"]
    est["loss"] = est["production_m3_per_day"] | est["billed_m3_per_day"]
    est["use"] = est["production_m3_per_day"] | est["design_capacity_m3_per_day"]
    by = est.groupby("operator_id", sort=False)[["production_m3_per_day", "loss", "use"]].any()
    order = bl.loss_by(systems, "operator_id")["operator_id"]
    by = pd.concat([by.loc[order], by.any().to_frame().T])
    columns = frame.columns  # operator, works, production, loss %, utilisation %
    return _mask(columns, {columns[2]: by["production_m3_per_day"], columns[3]: by["loss"], columns[4]: by["use"]},
                 len(frame))


def operators_note(ctx: ReportInputs) -> str:
    """How the operators table counts works: stations the plan counts as one work, works without output."""
    systems = _counted_systems(ctx)
    notes = ["Số công trình đếm như Kế hoạch."]
    for work, rows in systems.groupby("plan_work", sort=False):
        if len(rows) > 1:
            notes.append(f"{' và '.join(rows['name_vi'])} là {len(rows)} trạm của một công trình, Kế hoạch đếm là một.")
    idle = systems[systems["status"] != "operating"]
    if not idle.empty:
        status = dict(SYSTEM_STATUS_CHOICES)
        notes.append("Được đếm nhưng không có sản lượng: " + "; ".join(
            f"{name} ({status.get(state, state).lower()})" for name, state in zip(idle["name_vi"], idle["status"])) + ".")
    return " ".join(notes)


def province_targets(ctx: ReportInputs) -> pd.DataFrame:
    plan = ctx.plan
    targets = list(plan.targets.values())
    return pd.DataFrame({
        "Chỉ tiêu": [t.indicator_vi for t in targets],
        f"Hiện trạng {plan.base_year}": [fmt.vn(t.baseline_value, 1, trim=True) + " %" if t.baseline_value is not None else fmt.MISSING
                                         for t in targets],
        f"Mục tiêu {plan.plan_year} (lời Kế hoạch)": [t.words() for t in targets],
        "Mô hình tính là đạt khi": [t.text() if t.comparator != "qualitative" else "không định lượng" for t in targets],
    })


def bieu04_frame(ctx: ReportInputs) -> pd.DataFrame:
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
        # "Dự báo" is the median of the draws, with its 90 % range: never a value beside a probability it contradicts
        "value": areas["p50"].to_numpy(),
        "p5": areas["p5"].to_numpy(),
        "p95": areas["p95"].to_numpy(),
        "p_meet": areas["p_meet"].to_numpy(),
    })


def bieu04(ctx: ReportInputs) -> pd.DataFrame:
    frame = bieu04_frame(ctx)
    plan = ctx.plan
    return pd.DataFrame({
        "Đô thị": frame["name_vi"],
        f"Hiện trạng {plan.base_year} (%)": frame["baseline"],
        f"Mục tiêu {plan.plan_year} (%)": frame["target"],
        f"Dự báo {plan.plan_year} (%)": frame["value"],
        "P5 (%)": frame["p5"],
        "P95 (%)": frame["p95"],
        "Xác suất đạt (%)": 100 * frame["p_meet"],
    })


def bieu04_estimated(ctx: ReportInputs) -> pd.DataFrame:
    """The base-year coverage (from estimated population and served) and the rebuilt targets are estimates; the
    forecast columns are the simulation's, not the data package's."""
    frame = bieu04(ctx)
    areas = bieu04_frame(ctx)["area_id"]
    est = _area_estimates(ctx).loc[areas]
    target = area_target_estimates(ctx.package).loc[areas]
    columns = frame.columns
    return _mask(columns, {columns[1]: est["population_base_persons"] | est["served_base_persons"],
                           columns[2]: target}, len(frame))


def _grouped_areas(ctx: ReportInputs, in_plan: bool) -> tuple[pd.DataFrame, pd.Series]:
    labels = ctx.package.orientation_groups.set_index("group_id")
    areas = ctx.areas.groupby("orientation_group", sort=False)["name_vi"].apply(", ".join)
    keep = [g for g in areas.index if bool(labels.loc[g, "in_plan"]) == in_plan]
    return labels, areas.loc[keep]


def groups(ctx: ReportInputs) -> pd.DataFrame:
    """The plan's own groups of urban areas (orientation_groups.csv ``in_plan``), never a grouping the model adds."""
    labels, areas = _grouped_areas(ctx, True)
    return pd.DataFrame({
        "Nhóm đô thị": [labels.loc[g, "label_vi"] for g in areas.index],
        "Đô thị": areas.to_numpy(),
        "Định hướng": [labels.loc[g, "direction_vi"] for g in areas.index],
    })


def model_groups(ctx: ReportInputs) -> str:
    """The areas the plan's groups leave out and how the model treats them: said as the model's, not the plan's."""
    labels, areas = _grouped_areas(ctx, False)
    if areas.empty:
        return ""
    section = ctx.plan.section("orientation")
    parts = [f"{names} (mô hình gọi là “{labels.loc[g, 'label_vi']}”; hướng giả định: "
             f"{labels.loc[g, 'direction_vi'].rstrip('.')})" for g, names in areas.items()]
    return (f"{section} không xếp các đô thị sau vào nhóm nào của Kế hoạch: " + "; ".join(parts)
            + ". Các nhóm này là giả định của mô hình để tính toán, không phải nhóm của Kế hoạch.")


def systems_in_loss_group(ctx: ReportInputs, at_or_below: bool) -> str:
    """The systems the plan puts at or below (``True``) or above its loss threshold (systems.csv plan_loss_group)."""
    from capnuoc_model.model.engine import LOW_LOSS_SET

    systems = ctx.package.systems
    low = systems["plan_loss_group"] == LOW_LOSS_SET
    grouped = systems["plan_loss_group"].notna()
    return ", ".join(systems.loc[grouped & (low if at_or_below else ~low), "name_vi"])


def projects(ctx: ReportInputs) -> pd.DataFrame:
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


def project_costs_frame(ctx: ReportInputs) -> pd.DataFrame:
    costs = ctx.table("projects").copy()
    # the whole name: charts wrap it onto lines, tables wrap it in its cell (never cut with "…")
    costs["short"] = [f"Dự án {no}: {name}" for no, name in zip(costs["project_no"], costs["name_vi"])]
    return costs


def project_costs(ctx: ReportInputs) -> pd.DataFrame:
    costs = project_costs_frame(ctx).dropna(subset=["beneficiaries_persons"])
    values = ctx.scenario
    months = [values.value(f"projects.{pid}.commissioning_month") for pid in costs["project_id"]]
    plan = ctx.plan
    return pd.DataFrame({
        "Dự án": costs["short"],
        "Tổng mức (tỷ đồng)": costs["cost_billion_vnd"],
        "Người hưởng lợi (kế hoạch)": costs["beneficiaries_persons"].astype(float),
        "Suất đầu tư (triệu đồng/người)": costs["million_vnd_per_stated_person"],
        "Vận hành (giả định)": [plan.month_text(m) for m in months],
        f"Tăng số người được cấp nước đến 31/12/{plan.plan_year}": costs["area_gain_plan_year_persons"],
        f"Đến 31/12/{plan.horizon_year}": costs["area_gain_horizon_persons"],
    })


def province_projection(ctx: ReportInputs) -> pd.DataFrame:
    p = ctx.table("province")
    return pd.DataFrame({
        "Năm": p["year"].astype(str),
        "Dân số đô thị (người)": p["population"],
        "Được cấp nước (người)": p["served"],
        "Bao phủ, dự báo (%)": p["coverage_p50"],
        "Bao phủ, khoảng dự báo 90 % (%)": fmt.spans(p["coverage_p5"], p["coverage_p95"]),
        "Thất thoát, dự báo (%)": p["loss_p50"],
        "Thất thoát, khoảng dự báo 90 % (%)": fmt.spans(p["loss_p5"], p["loss_p95"]),
        f"Xác suất bao phủ {ctx.plan.target('coverage').text()} (%)": 100 * p["p_coverage_target"],
        f"Xác suất thất thoát {ctx.plan.target('loss').text()} (%)": 100 * p["p_loss_target"],
    })


def population_projection(ctx: ReportInputs, years: tuple[int, ...] | None = None) -> pd.DataFrame:
    """Population of each area in the base year, the plan year, midway and the horizon (or ``years``)."""
    plan = ctx.plan
    years = years or tuple(sorted({plan.base_year, plan.plan_year, (plan.plan_year + plan.horizon_year) // 2, plan.horizon_year}))
    areas = ctx.table("areas")
    wide = areas[areas["year"].isin(years)].pivot(index="area_id", columns="year", values="population")
    order = ctx.areas["area_id"]
    out = pd.DataFrame({"Đô thị": ctx.areas.set_index("area_id").loc[order, "name_vi"].to_numpy()})
    for year in years:
        out[f"{year} (người)"] = wide.loc[order, year].to_numpy()
    last = areas[areas["year"] == years[-1]].set_index("area_id").loc[order]
    out[f"{years[-1]} P5–P95"] = fmt.spans(last["population_p5"], last["population_p95"], 0)
    return out


def population_projection_estimated(ctx: ReportInputs, years: tuple[int, ...] | None = None) -> pd.DataFrame:
    """The base-year column holds Biểu 03's populations (estimated where its provenance says so); later years
    are the projection's."""
    frame = population_projection(ctx, years)
    est = _area_estimates(ctx).loc[ctx.areas["area_id"], "population_base_persons"]
    return _mask(frame.columns, {f"{ctx.plan.base_year} (người)": est}, len(frame))


# The population fit's parameters as a reader names them, and how each value is printed (decimals; None: as text).
POPULATION_FIT_VI = {
    "observations": ("Số năm có số liệu", 0),
    "years": ("Các năm có số liệu", None),
    "growth_pct_per_year": ("Tốc độ tăng dân số ước lượng (%/năm)", 2),
    "growth_se_pct_per_year": ("Sai số chuẩn của tốc độ tăng (%/năm)", 2),
    "r_squared": ("Hệ số xác định R²", 2),
    "df_resid": ("Số bậc tự do của phần dư", 0),
    "method": ("Phương pháp", None),
}
FIT_METHODS_VI = {"loglinear_ols": "hồi quy tuyến tính của lô-ga-rít dân số theo năm, bình phương nhỏ nhất"}


def population_fit(ctx: ReportInputs) -> pd.DataFrame:
    fit = ctx.table("population_fit")
    names, values = [], []
    for parameter, value in zip(fit["parameter"], fit["value"]):
        name, decimals = POPULATION_FIT_VI.get(parameter, (parameter, None))
        names.append(name)
        if decimals is not None:
            values.append(fmt.vn(float(value), decimals))
        else:
            values.append(FIT_METHODS_VI.get(str(value), str(value)))
    return pd.DataFrame({"Tham số": names, "Giá trị": values})


def systems_projection(ctx: ReportInputs, year: int) -> pd.DataFrame:
    s = ctx.table("systems")
    s = s[(s["year"] == year) & s["is_running"]]
    return pd.DataFrame({
        "Công trình": s["name_vi"],
        "Sản lượng (m³/ngày đêm)": s["production_m3_per_day"],
        "Thương phẩm (m³/ngày đêm)": s["billed_m3_per_day"],
        "Thất thoát, dự báo (%)": s["loss_p50"],
        "Khoảng dự báo 90 % (%)": fmt.spans(s["loss_p5"], s["loss_p95"]),
        "Khai thác công suất (%)": s["utilisation_pct"],
        "Mức độ khai thác": s["utilisation_class"],
        "Tỷ trọng thất thoát toàn tỉnh (%)": s["share_of_province_loss_pct"],
    })


def systems_projection_estimated(ctx: ReportInputs, year: int) -> pd.DataFrame:
    """A projected year's utilisation (and its class) divides by the design capacity, an estimate where its
    provenance says so; the volumes and losses are the simulation's."""
    frame = systems_projection(ctx, year)
    s = ctx.table("systems")
    s = s[(s["year"] == year) & s["is_running"]]
    capacity = _system_estimates(ctx)["design_capacity_m3_per_day"].reindex(s["system_id"], fill_value=False).to_numpy()
    return _mask(frame.columns, {"Khai thác công suất (%)": capacity, "Mức độ khai thác": capacity}, len(frame))


def province_projection_estimated(ctx: ReportInputs) -> pd.DataFrame:
    """The base year's population and people served are the sums of Biểu 03 (estimated areas make them estimates);
    the plan's own aggregates (coverage, loss) are published."""
    frame = province_projection(ctx)
    est = _area_estimates(ctx)
    base = (frame["Năm"] == str(ctx.plan.base_year)).to_numpy()
    return _mask(frame.columns, {"Dân số đô thị (người)": base & bool(est["population_base_persons"].any()),
                                 "Được cấp nước (người)": base & bool(est["served_base_persons"].any())}, len(frame))


def _used_measures(ctx: ReportInputs, order: str, names: pd.Series) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """The measures the least-cost cut uses, in ``order``, and their first columns (system and measure in Vietnamese)."""
    a = ctx.run.loss.allocation
    used = a[a["share_used"] > 1e-6].sort_values(order)
    return used, {"Công trình": used["system_id"].map(names), "Giải pháp": used["measure"].map(MEASURES_VI)}


def allocation(ctx: ReportInputs) -> pd.DataFrame:
    used, first = _used_measures(ctx, "million_vnd_per_m3_day", ctx.systems.set_index("system_id")["name_vi"])
    return pd.DataFrame({
        **first,
        "Giảm thất thoát (m³/ngày đêm)": used["removed_m3_per_day"],
        "Chi phí (tỷ đồng)": used["cost_used_billion_vnd"],
        "Chi phí đơn vị (triệu đồng/(m³/ngày đêm))": used["million_vnd_per_m3_day"],
    })


def sensitivity_labels(ctx: ReportInputs) -> dict[str, str]:
    """Labels for assumptions in charts: the Vietnamese label, whole (the chart wraps it onto lines, never cuts it)."""
    return {path: _label_vi(ctx.scenario.get(path)) for path in ctx.scenario.uncertain_paths()}


def _label_vi(assumption) -> str:
    return assumption.label_vi or assumption.description


def reference_vi(ctx: ReportInputs, reference: str) -> str:
    """Where an assumption comes from, for a reader: the source's title (and the plan's section), or a judgement."""
    if reference.startswith("assumption"):
        return "Đánh giá của mô hình (lý do ghi trong bộ giả định)"
    titles = ctx.package.sources.set_index("source_id")["title"]
    parts = []
    for token in re.split(r"[;,]\s*", reference):
        source, _, rest = token.strip().partition(" ")
        section = re.match(r"§[IVXLC0-9.]+", rest)  # the locator only: the rest is the modeller's note
        if source in titles.index:
            parts.append(("Kế hoạch" if source == ctx.plan.source else f"«{titles[source]}»")
                         + (f" {section.group(0)}" if section else ""))
    return "; ".join(parts) if parts else "Đánh giá của mô hình (lý do ghi trong bộ giả định)"


def assumptions(ctx: ReportInputs) -> pd.DataFrame:
    paths = sorted(ctx.scenario.assumptions)
    items = [ctx.scenario.get(path) for path in paths]
    return pd.DataFrame({
        "Giả định": [_label_vi(a) for a in items],
        "Giá trị": [fmt.vn(a.value, 3, trim=True) if isinstance(a.value, (int, float)) and not isinstance(a.value, bool)
                    else str(a.value) for a in items],
        "Đơn vị": [a.unit_vi or a.unit for a in items],
        "Phân phối": [describe_distribution(a, "document") for a in items],
        "Ý nghĩa": [a.explanation_vi or "" for a in items],
        "Nguồn": [reference_vi(ctx, a.reference) for a in items],
    })


SOURCE_KIND_VI = {"primary": "chính thức", "secondary": "thứ cấp"}


def _source_title(title: str) -> str:
    """A title or publisher as the documents cite it: in «», so that a foreign name reads as the name it is."""
    return f"«{title}»"


def sources(ctx: ReportInputs) -> pd.DataFrame:
    s = ctx.package.sources
    kind = s["kind"] if "kind" in s else pd.Series(["primary"] * len(s), index=s.index)
    return pd.DataFrame({"Tài liệu": s["title"].map(_source_title), "Đơn vị công bố": s["publisher"].map(_source_title),
                         "Năm": s["year"].astype(str), "Loại nguồn": kind.map(SOURCE_KIND_VI).fillna("chính thức")})


def secondary_sources_note(ctx: ReportInputs) -> str:
    """Which figures rest on a secondary source: said where the sources are listed (issue: item 10)."""
    s = ctx.package.sources
    if "kind" not in s or not (s["kind"] == "secondary").any():
        return "Mọi số liệu đã công bố được lấy từ nguồn chính thức."
    listed = "; ".join(f"{_source_title(t)} ({_source_title(p)})" for t, p in zip(s.loc[s["kind"] == "secondary", "title"],
                                                                    s.loc[s["kind"] == "secondary", "publisher"]))
    return (f"Nguồn thứ cấp (bách khoa toàn thư mở, trang sao chép, báo, trang tư nhân dẫn lại số liệu mà chưa tìm được "
            f"bản công bố chính thức): {listed}. Các số liệu lấy từ những nguồn này được đánh dấu «thứ cấp» trong bảng "
            "dưới đây và cần được thay bằng số liệu của cơ quan thống kê, Tổng điều tra dân số hoặc của tỉnh khi có.")


def secondary_population_note(ctx: ReportInputs, scopes: tuple[str, ...] | None = None, since: int | None = None) -> str:
    """The published population figures behind a table that come from a secondary source (issue 12 item 10), each
    with its unit, year and publisher and marked «thứ cấp»; '' when there are none. ``scopes`` and ``since`` keep
    the figures a table rests on (the province's series from the fit's first year, say)."""
    history = ctx.package.population_history
    sources = ctx.package.sources.set_index("source_id")
    if "kind" not in sources:
        return ""
    rows = history[history["source"].map(sources["kind"]) == "secondary"]
    if scopes is not None:
        rows = rows[rows["scope"].isin(scopes)]
    if since is not None:
        rows = rows[rows["year"] >= since]
    if rows.empty:
        return ""
    parts = [f"{r.unit_vi} năm {r.year}: {fmt.persons(r.population_persons)}{' (đô thị)' if r.measure == 'urban' else ''}, "
             f"theo {_source_title(sources.loc[r.source, 'publisher'])}" for r in rows.itertuples()]
    return ("Số liệu dân số từ nguồn thứ cấp, chưa tìm được bản công bố chính thức (Phụ lục B.4): " + "; ".join(parts) + ".")


def methods(ctx: ReportInputs) -> pd.DataFrame:
    m = ctx.package.methods
    return pd.DataFrame({"Phương pháp ước tính": m["title"]})


# ----------------------------------------------------------------------------- Phụ lục C: IWA water balance

def _term(key: str) -> str:
    return wb.TERMS_BY_KEY[key].name_vi


def _label(key: str) -> str:
    return wb.TERMS_BY_KEY[key].label_vi


# Vietnamese terms of the IWA water balance: the registry of capnuoc_model.model.losses (WB-EasyCalc's Vietnamese edition)
IWA_TERMS_VI = {key: _term(key) for key in (
    "system_input_m3_per_day", "authorised_m3_per_day", "billed_authorised_m3_per_day", "billed_metered_m3_per_day",
    "billed_unmetered_m3_per_day", "unbilled_authorised_m3_per_day", "unbilled_metered_m3_per_day",
    "unbilled_unmetered_m3_per_day", "water_losses_m3_per_day", "apparent_losses_m3_per_day", "unauthorised_m3_per_day",
    "meter_inaccuracy_m3_per_day", "data_errors_m3_per_day", "real_losses_m3_per_day", "revenue_water_m3_per_day",
    "nrw_m3_per_day")}
IWA_DECIMALS = {"ILI": 1, "NRW (m³/km/ngày)": 1, "NRW (m³/đấu nối/ngày)": 2,
                "UARL (m³/ngày đêm)": 1, "Ống (km)": 1, "Chi phí (tỷ đồng)": 3, "Ống sau ranh giới (m)": 1,
                "ĐH đo thiếu (%)": 1, "Trái phép (% đầu vào)": 1, "Sai sót (% doanh thu)": 1,
                "Không doanh thu (% đầu vào)": 2, "Giảm áp lực (%)": 0}


_KIND_PREFIX = re.compile(r"^(Nhà máy nước|Trạm cấp nước|Công trình cấp nước( sạch)?( trung tâm huyện lỵ)?( thị trấn)?|"
                          r"Hệ thống cấp nước( thị trấn)?)\s+")


def _names(ctx: ReportInputs) -> pd.Series:
    """Short system names for the wide tables of the annex: the place, without "Nhà máy nước", "Trạm cấp nước"..."""
    def short(name: str) -> str:
        place = _KIND_PREFIX.sub("", name)
        return place[:1].upper() + place[1:]

    return ctx.systems.set_index("system_id")["name_vi"].map(short)


def iwa_balance_province(ctx: ReportInputs) -> pd.DataFrame:
    """The IWA standard balance of the province (Σ over operating systems) laid out as its box diagram.

    Columns are the diagram's levels, rows its leaves; a box that spans several leaves is
    written in its first row. Each box: its Vietnamese term, m³/ngày đêm and % of input.
    """
    total = ctx.balance.sum(numeric_only=True)
    siv = total["system_input_m3_per_day"]

    def box(key: str) -> str:
        return f"{IWA_TERMS_VI[key]}: {fmt.m3_per_day(total[key])} ({fmt.pct(100 * total[key] / siv)})"

    layout = [  # (input, level 1, level 2, leaf, revenue)
        ("system_input_m3_per_day", "authorised_m3_per_day", "billed_authorised_m3_per_day", "billed_metered_m3_per_day", "revenue_water_m3_per_day"),
        (None, None, None, "billed_unmetered_m3_per_day", None),
        (None, None, "unbilled_authorised_m3_per_day", "unbilled_metered_m3_per_day", "nrw_m3_per_day"),
        (None, None, None, "unbilled_unmetered_m3_per_day", None),
        (None, "water_losses_m3_per_day", "apparent_losses_m3_per_day", "unauthorised_m3_per_day", None),
        (None, None, None, "meter_inaccuracy_m3_per_day", None),
        (None, None, None, "data_errors_m3_per_day", None),
        (None, None, "real_losses_m3_per_day", "real_losses_m3_per_day", None),
    ]
    headers = ["Đầu vào", "Tiêu thụ hợp pháp / thất thoát", "Thành phần", "Chi tiết", "Doanh thu"]
    rows = [[box(k) if k else "" for k in row] for row in layout]
    rows[-1][3] = "Rò rỉ, vỡ ống, tràn bể (tổng, phần dư của cân bằng)"
    return pd.DataFrame(rows, columns=headers)


def iwa_balance_province_estimated(ctx: ReportInputs) -> pd.DataFrame:
    """Every box with a value is a sum over systems whose balances have estimated inputs."""
    frame = iwa_balance_province(ctx)
    state = ctx.balance
    any_estimate = bool(balance_input_estimates(ctx.package).reindex(state.index, fill_value=False).any())
    return frame.map(lambda v: any_estimate and bool(re.search(r"\d", str(v)))).astype(bool)


def iwa_balance_systems(ctx: ReportInputs) -> pd.DataFrame:
    """The balance of every operating system, one row each, components as columns (m³/ngày đêm)."""
    b = ctx.balance
    return pd.DataFrame({
        "Công trình": b.index.map(_names(ctx)),
        "Đầu vào": b["system_input_m3_per_day"],
        "Doanh thu, có ĐH": b["billed_metered_m3_per_day"],
        "Doanh thu, không ĐH": b["billed_unmetered_m3_per_day"],
        "Không doanh thu, có ĐH": b["unbilled_metered_m3_per_day"],
        "Không doanh thu, không ĐH": b["unbilled_unmetered_m3_per_day"],
        "Trái phép": b["unauthorised_m3_per_day"],
        "Sai số ĐH": b["meter_inaccuracy_m3_per_day"],
        "Sai sót số liệu": b["data_errors_m3_per_day"],
        "TT thương mại": b["apparent_losses_m3_per_day"],
        "TT cơ học": b["real_losses_m3_per_day"],
        "Thất thu (NRW)": b["nrw_m3_per_day"],
    }).reset_index(drop=True)


def iwa_indicator_frame(ctx: ReportInputs) -> pd.DataFrame:
    """Indicators and their ±95 % ranges per operating system (numbers, for the chart and the tables)."""
    b = ctx.balance
    ranges = ctx.balance_uncertainty.ranges
    network = ctx.package.system_network.set_index("system_id")
    out = b.join(ranges[[c for c in ranges.columns if c.endswith(("_low", "_high"))]])
    out["name_vi"] = b.index.map(_names(ctx))
    out["pressure_m"] = network["pressure_m"].astype(float).reindex(b.index)
    out["service_connections"] = network["service_connections"].astype(float).reindex(b.index)
    out["mains_km"] = network["mains_km"].astype(float).reindex(b.index)
    return out.reset_index()


def iwa_network_inputs(ctx: ReportInputs) -> pd.DataFrame:
    """The balance's network and apparent-loss inputs per operating system (data/system_network.csv)."""
    n = ctx.package.system_network.set_index("system_id")
    n = n.reindex(ctx.balance.index)
    return pd.DataFrame({
        "Công trình": n.index.map(_names(ctx)),
        "Đấu nối": n["service_connections"].astype(float),
        "Ống (km)": n["mains_km"].astype(float),
        "Đấu nối/km": n["service_connections"].astype(float) / n["mains_km"].astype(float),
        "Ống sau ranh giới (m)": n["private_pipe_m"].astype(float),
        "Áp lực (m)": n["pressure_m"].astype(float),
        "Giờ cấp nước": n["supply_hours_per_day"].astype(float),
        "ĐH đo thiếu (%)": n["meter_under_registration_pct"].astype(float),
        "Trái phép (% đầu vào)": n["unauthorised_pct"].astype(float),
        "Sai sót (% doanh thu)": n["data_error_pct"].astype(float),
        "Không doanh thu (% đầu vào)": n["unbilled_authorised_pct"].astype(float),
    }).reset_index(drop=True)


def _validity_short(f: pd.DataFrame) -> list[str]:
    from capnuoc_model.model import losses

    out = []
    for c, m, p in zip(f["service_connections"], f["mains_km"], f["pressure_m"]):
        flags = []
        if c < losses.VALID_MIN_CONNECTIONS:
            flags.append(f"< {fmt.vn(losses.VALID_MIN_CONNECTIONS)} đấu nối")
        if m > 0 and c / m < losses.VALID_MIN_DENSITY_PER_KM:
            flags.append(f"< {fmt.vn(losses.VALID_MIN_DENSITY_PER_KM)} đấu nối/km")
        if p < losses.VALID_MIN_PRESSURE_M:
            flags.append(f"P < {fmt.vn(losses.VALID_MIN_PRESSURE_M)} m")
        out.append("; ".join(flags) or "—")
    return out


def iwa_indicators(ctx: ReportInputs) -> pd.DataFrame:
    f = iwa_indicator_frame(ctx)
    return pd.DataFrame({
        "Công trình": f["name_vi"],
        "NRW (%)": f["nrw_pct"],
        "NRW (m³/km/ngày)": f["nrw_m3_per_km_day"],
        "NRW (m³/đấu nối/ngày)": f["nrw_m3_per_conn_day"],
        "TT cơ học (l/đấu nối/ngày)": f["real_losses_l_per_conn_day"],
        "UARL (m³/ngày đêm)": f["uarl_m3_per_day"],
        "ILI": f["ili"],
        "Nhóm ILI": f["ili_band"],
        "Nhóm theo ma trận": f["matrix_band"],
        "Ngoài phạm vi công thức UARL": _validity_short(f),
    })


def ili_bands(ctx: ReportInputs, income: str = "lmic") -> pd.DataFrame:
    """The WBI bands: ILI range, real losses per connection by pressure, meaning (nominal bounds; a value on a
    bound belongs to the better band)."""
    rows = []
    bounds = (0.0, *losses.ILI_BAND_BOUNDS[income], float("inf"))
    for band, low, upper in zip(losses.BAND_ORDER, bounds[:-1], bounds[1:]):
        row = {"Nhóm": band, "ILI": _range_text(low, upper, 1)}
        for pressure in losses.MATRIX_PRESSURES_M:
            row[f"{pressure} m"] = _range_text(*losses.real_loss_matrix_l_per_conn_day(pressure, income)[band], 2)
        row["Đánh giá"] = losses.BAND_LABEL_VI[band]
        rows.append(row)
    return pd.DataFrame(rows)


def _range_text(low: float, high: float, decimals: int) -> str:
    """'≤ 25', '25–50', '> 200' (a value on a bound belongs to the lower, better band)."""
    if low == 0:
        return f"≤ {fmt.vn(high, decimals, trim=True)}"
    if high == float("inf"):
        return f"> {fmt.vn(low, decimals, trim=True)}"
    return f"{fmt.vn(low, decimals, trim=True)}–{fmt.vn(high, decimals, trim=True)}"


def ili_bands_note(ctx: ReportInputs) -> str:
    """What each band means, for the note under the band table."""
    meanings = "; ".join(f"{band}: {text[:1].lower() + text[1:]}" for band, text in losses.BAND_MEANING_VI.items())
    return (f"Theo Viện Ngân hàng Thế giới (Liemberger và McKenzie 2005); nhóm A chia thành A1 và A2 như WB-EasyCalc. "
            f"Lít/đấu nối/ngày = ILI × {fmt.vn(losses.MATRIX_L_PER_CONN_DAY_PER_M_PER_ILI, 2)} × áp lực. Giá trị đúng bằng "
            f"ranh giới thuộc nhóm tốt hơn, như WB-EasyCalc (phiên bản 6.17) xếp nhóm: ILI 4,0033 thuộc nhóm A2. {meanings}.")


def favad_examples(ctx: ReportInputs, cuts=(0.1, 0.2, 0.3), exponents=(0.5, 1.0, 1.15, 1.5)) -> pd.DataFrame:
    """Leakage left after a pressure cut, by FAVAD exponent N1 (L1/L0 = (P1/P0)^N1), in %."""
    from capnuoc_model.model.losses import favad_leak_ratio

    return pd.DataFrame({
        "Giảm áp lực (%)": [100 * c for c in cuts],
        **{f"N1 = {fmt.vn(n, 2, trim=True)}: rò rỉ còn lại (%)": [100 * favad_leak_ratio(1.0, 1 - c, n) for c in cuts]
           for n in exponents},
    })


def favad_note(ctx: ReportInputs) -> str:
    n1 = float(ctx.scenario.value("loss_programme.pressure_management.n1_exponent"))
    return (f"N1 = {fmt.vn(0.5, 1)} với ống cứng (gang, thép), đến {fmt.vn(1.5, 1)} với ống nhựa; kịch bản này dùng "
            f"N1 = {fmt.vn(n1, 2, trim=True)} cho mạng lưới hỗn hợp (May 1994; Thornton và Lambert 2005).")


def iwa_uncertainty(ctx: ReportInputs) -> pd.DataFrame:
    """±95 % ranges of NRW %, real losses and ILI, and the input that dominates each system's ILI uncertainty."""
    from capnuoc_model.data.water_balance import INPUT_LABELS_VI

    f = iwa_indicator_frame(ctx)
    shares = ctx.balance_uncertainty.variance_shares
    ili_shares = shares[shares["output"] == "ili"]
    top = ili_shares.loc[ili_shares.groupby("row")["share_pct"].idxmax()].set_index("row")
    return pd.DataFrame({
        "Công trình": f["name_vi"],
        "NRW (%)": f["nrw_pct"],
        "NRW: khoảng 95 % (%)": fmt.spans(f["nrw_pct_low"], f["nrw_pct_high"], 1),
        "TT cơ học (m³/ngày đêm)": f["real_losses_m3_per_day"],
        "TT cơ học: khoảng 95 %": fmt.spans(f["real_losses_m3_per_day_low"], f["real_losses_m3_per_day_high"], 0),
        "ILI": f["ili"],
        "ILI: khoảng 95 %": fmt.spans(f["ili_low"], f["ili_high"], 1),
        "Đầu vào chi phối ILI": f["system_id"].map(top["input"]).map(INPUT_LABELS_VI),
        "Tỷ trọng phương sai (%)": f["system_id"].map(top["share_pct"]),
    })


def iwa_variance_shares(ctx: ReportInputs, output: str = "ili") -> pd.DataFrame:
    """Long frame for the chart: each input's share of the variance of ``output`` in each system."""
    from capnuoc_model.data.water_balance import INPUT_LABELS_VI

    shares = ctx.balance_uncertainty.variance_shares
    shares = shares[shares["output"] == output].copy()
    shares["name_vi"] = shares["row"].map(_names(ctx))
    shares["input_vi"] = shares["input"].map(INPUT_LABELS_VI)
    return shares


def loss_measures_by_component(ctx: ReportInputs) -> pd.DataFrame:
    """Which §V.2 measure acts on which component of the balance, and what the least-cost plan takes of it."""
    from capnuoc_model.model.feasibility import COMPONENT_VI, MEASURE_COMPONENT

    a = ctx.run.loss.allocation
    used = a.groupby("measure", sort=False).agg(removable=("removable_m3_per_day", "sum"), removed=("removed_m3_per_day", "sum"),
                                                cost=("cost_used_billion_vnd", "sum"))
    order = [m for m in MEASURES_VI if m in used.index]
    return pd.DataFrame({
        "Giải pháp (Mục V.2)": [MEASURES_VI[m] for m in order],
        "Tác động lên": [COMPONENT_VI[MEASURE_COMPONENT[m]] for m in order],
        "Giảm được tối đa (m³/ngày đêm)": used.loc[order, "removable"].to_numpy(),
        "Phương án chi phí thấp nhất (m³/ngày đêm)": used.loc[order, "removed"].to_numpy(),
        "Chi phí (tỷ đồng)": used.loc[order, "cost"].to_numpy(),
    })



# ----------------------------------------------------------------------------- Phụ lục C.6: what the losses cost


def _with_range(value: pd.Series, low: pd.Series, high: pd.Series, decimals: int) -> list[str]:
    """'78,5 (46,5–110,6)': a value and its 95 % limits in one cell."""
    return [f"{fmt.vn(v, decimals)} ({fmt.vn(a, decimals)}–{fmt.vn(b, decimals)})" for v, a, b in zip(value, low, high)]


def connection_indicators(ctx: ReportInputs) -> pd.DataFrame:
    """The per-connection indicators of each operating system with their 95 % limits (names and units of the registry)."""
    f = iwa_indicator_frame(ctx)
    out = pd.DataFrame({"Công trình": f["name_vi"]})
    for key in bl.LIMITED_KEYS:
        out[_label(key)] = _with_range(f[key], f[f"{key}_low"], f[f"{key}_high"], wb.TERMS_BY_KEY[key].decimals)
    return out


def nrw_matrix_bands(ctx: ReportInputs) -> pd.DataFrame:
    """Each system's NRW per connection at its pressure and its bands: NRW matrix (both scales), ILI, physical-loss matrix."""
    f = iwa_indicator_frame(ctx)
    return pd.DataFrame({
        "Công trình": f["name_vi"],
        _label("nrw_l_per_connection_day"): f["nrw_l_per_connection_day"],
        "Áp lực (m)": f["pressure_m"],
        "Ma trận NRW, thu nhập thấp và trung bình": f["nrw_matrix_band"],
        "Ma trận NRW, thu nhập cao": f["nrw_matrix_band_hic"],
        _term("ili_band"): f["ili_band"],
        _term("matrix_band"): f["matrix_band"],
    })


def nrw_matrix(ctx: ReportInputs) -> pd.DataFrame:
    """The NRW assessment matrix on both scales: NRW l/connection/day when pressurised, by average pressure."""
    rows = []
    for income in losses.INCOME_LEVELS:
        for band in losses.BAND_ORDER:
            row = {"Thang": "Thu nhập thấp và trung bình" if income == "lmic" else "Thu nhập cao", "Nhóm": band}
            for pressure in losses.MATRIX_PRESSURES_M:
                row[f"{pressure} m"] = _range_text(*losses.nrw_matrix_l_per_conn_day(pressure, income)[band], 2)
            rows.append(row)
    return pd.DataFrame(rows)


def nrw_matrix_note(ctx: ReportInputs) -> str:
    return ("Ma trận đánh giá NRW quốc tế của WB-EasyCalc (Liemberger & Partners, phiên bản 6.17): lít nước cấp nhưng thất thu "
            "trên mỗi đấu nối mỗi ngày khi mạng lưới có áp, theo áp lực trung bình. Ranh giới các nhóm ở đây lấy như ma trận "
            f"thất thoát cơ học (ILI × {fmt.vn(losses.NRW_MATRIX_L_PER_CONN_DAY_PER_M_PER_ILI, 2)} × áp lực) vì chưa đối chiếu được "
            "bảng gốc của phần mềm; giá trị đúng bằng ranh giới thuộc nhóm tốt hơn.")


def money_frame(ctx: ReportInputs) -> pd.DataFrame:
    """Prices and money figures of each operating system (numbers, for the chart and the tables)."""
    money = bl.money_state(ctx.package)
    balance = ctx.balance
    out = money.join(balance[["nrw_pct", "nrw_m3_per_day"]])
    out["name_vi"] = out.index.map(_names(ctx))
    return out.reset_index()


MONEY_DECIMALS = {_label(k): wb.TERMS_BY_KEY[k].decimals for k in (
    "nrw_value_billion_vnd_per_year", "real_losses_value_billion_vnd_per_year", "apparent_losses_value_billion_vnd_per_year",
    "unbilled_authorised_value_billion_vnd_per_year", "target_revenue_recovered_billion_vnd_per_year",
    "target_cost_recovered_billion_vnd_per_year", "target_value_billion_vnd_per_year", "value_billion_vnd_per_year",
    "payback_years", "million_vnd_per_m3_day")} | {"Tổng mức (tỷ đồng)": 3}


def nrw_value(ctx: ReportInputs) -> pd.DataFrame:
    """Each system's prices and yearly value of NRW by component, and the province's."""
    f = money_frame(ctx)
    province = bl.province_money(ctx.package)
    keys = ("real_losses_value_billion_vnd_per_year", "apparent_losses_value_billion_vnd_per_year",
            "unbilled_authorised_value_billion_vnd_per_year", "nrw_value_billion_vnd_per_year")
    out = pd.DataFrame({"Công trình": f["name_vi"], _label("average_tariff_vnd_per_m3"): f["average_tariff_vnd_per_m3"],
                        _label("variable_cost_vnd_per_m3"): f["variable_cost_vnd_per_m3"],
                        **{_label(k): f[k] for k in keys}})
    total = {"Công trình": "Toàn tỉnh", **{_label(k): province[k] for k in keys}}
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)


def target_value(ctx: ReportInputs) -> pd.DataFrame:
    """What reaching the loss target is worth a year, for each system above it and for the province."""
    f = money_frame(ctx)
    target = bl.loss_target_pct(ctx.package)
    above = f[f["target_value_billion_vnd_per_year"] > 0]
    keys = ("target_real_cut_m3_per_day", "target_apparent_cut_m3_per_day", "target_revenue_recovered_billion_vnd_per_year",
            "target_cost_recovered_billion_vnd_per_year", "target_value_billion_vnd_per_year")
    nrw = f"NRW {ctx.plan.base_year} (%)"
    out = pd.DataFrame({"Công trình": above["name_vi"], nrw: above["nrw_pct"], **{_label(k): above[k] for k in keys}})
    province = bl.province_money(ctx.package)
    total = {"Công trình": f"Toàn tỉnh (về {fmt.pct(target, 0)} bình quân)", nrw: ctx.loss_pct,
             **{_label(k): province[k] for k in keys}}
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)


def measure_paybacks(ctx: ReportInputs) -> pd.DataFrame:
    """The measures of the least-cost cut: cost, volume saved, cost per m³/day saved, yearly value, simple payback."""
    used, first = _used_measures(ctx, "payback_years", _names(ctx))
    return pd.DataFrame({
        **first,
        "Tổng mức (tỷ đồng)": used["cost_billion_vnd"],
        f"Giảm đến 31/12/{ctx.plan.plan_year} (m³/ngày đêm)": used["removable_m3_per_day"],
        _label("million_vnd_per_m3_day"): used["million_vnd_per_m3_day"],
        _label("value_billion_vnd_per_year"): used["value_billion_vnd_per_year"],
        _label("payback_years"): used["payback_years"],
    })


def prices_note(ctx: ReportInputs) -> str:
    """Where the prices come from, from the data package's provenance (the published sources by title, else estimates)."""
    def cited(table: str, column: str) -> tuple[list[str], bool]:
        frame = ctx.package.tables.get(table)
        if frame is None or column not in frame or frame.empty:
            return [], False
        given = frame[column].dropna().astype(str)
        estimated = given.str.startswith("estimate:")
        titles = ctx.package.sources.set_index("source_id")["title"]
        ids = dict.fromkeys(text.split()[0] for text in given[~estimated])
        return [f"{titles[i]}" for i in ids if i in titles.index], bool(estimated.any())

    tariffs, tariffs_estimated = cited("tariffs", "tariff_vnd_per_m3_source")
    costs, costs_estimated = cited("operating_costs", "variable_cost_vnd_per_m3_source")
    prices = "; ".join(tariffs) if tariffs else "ước tính"
    if tariffs and tariffs_estimated:
        prices += "; các giá còn lại là số ước tính"
    cost = "; ".join(costs) if costs else "ước tính"
    if costs and costs_estimated:
        cost += "; còn lại là số ước tính"
    return (f"Giá bán nước: {prices} (bảng giá nước của gói dữ liệu; phương pháp ước tính: Mục B.4). Chi phí sản xuất "
            f"biến đổi: {cost}. Giá chưa gồm thuế giá trị gia tăng.")


def money_summary(ctx: ReportInputs) -> str:
    """The sentence on what the losses cost the province (:func:`capnuoc_model.publish.narrative.money_summary`)."""
    from capnuoc_model.publish import narrative

    variable = bl.prices_state(ctx.package)["variable_cost_vnd_per_m3"].dropna()
    return narrative.money_summary(bl.province_money(ctx.package), bl.loss_target_pct(ctx.package), float(variable.mean()),
                                   ctx.plan.base_year)
