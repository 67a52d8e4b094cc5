"""The report's charts, built from the model's tables (Altair, Vietnamese labels, the plan's class colours).

Layout rules every chart keeps: a name is never cut ("…"): long names wrap onto lines (:func:`wrapped`,
:data:`NAME_AXIS`) and each bar's row is as tall as its lines (:func:`row_step`); a rule's label sits
above the plot, where nothing covers it and the chart's bounds include it; sixteen areas never share
colours (small multiples, :func:`area_lines`).
"""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd

from capnuoc_model.data import fmt
from capnuoc_model.publish.notebook_output import (
    COVERAGE_COLOURS,
    LOSS_COLOURS,
    SCENARIO_COLOUR,
    TARGET_COLOUR,
    UTILISATION_COLOURS,
    class_scale,
)

PCT = ",.1f"
LABEL_CHARS = 38  # a name longer than this wraps onto another line of the axis
LABEL = "label_lines"  # the column holding a name's lines, joined by "|"
LINE_PX = 12  # the height of a line of an axis label (11 px text)
NAME_AXIS = {"labelLimit": 0, "labelExpr": "split(datum.label, '|')", "labelLineHeight": LINE_PX}  # never "…": every line


def wrapped(text: object, width: int = LABEL_CHARS) -> str:
    """'Công trình cấp nước sạch trung tâm huyện lỵ Phục Hòa' -> lines of at most ``width`` characters, joined by '|'."""
    return "|".join(textwrap.wrap(str(text), width, break_long_words=False, break_on_hyphens=False)) or str(text)


def with_lines(frame: pd.DataFrame, column: str, width: int = LABEL_CHARS) -> pd.DataFrame:
    """``frame`` with :data:`LABEL`: ``column`` wrapped for an axis."""
    return frame.assign(**{LABEL: [wrapped(v, width) for v in frame[column]]})


def row_step(labels, minimum: int = 18) -> alt.Step:
    """A bar's row: tall enough for the most lines a label has, so that no two labels touch."""
    lines = max((str(v).count("|") + 1 for v in labels), default=1)
    return alt.Step(max(minimum, LINE_PX * lines + 6))


def _rule(value: float, label: str, axis: str = "y") -> alt.LayerChart:
    """A dashed target line and its label: above the line at the left (horizontal), above the plot (vertical)."""
    data = pd.DataFrame({"value": [value], "label": [label]})
    base = alt.Chart(data)
    if axis == "y":
        line = base.mark_rule(color=TARGET_COLOUR, strokeDash=[6, 4], strokeWidth=1.5).encode(y="value:Q")
        text = base.mark_text(color=TARGET_COLOUR, align="left", dx=4, dy=-6).encode(y="value:Q", x=alt.value(0), text="label:N")
    else:
        line = base.mark_rule(color=TARGET_COLOUR, strokeDash=[6, 4], strokeWidth=1.5).encode(x="value:Q")
        text = base.mark_text(color=TARGET_COLOUR, align="center", baseline="bottom", dy=-3).encode(
            x="value:Q", y=alt.value(0), text="label:N")
    return line + text


def class_bars(frame: pd.DataFrame, value: str, label: str, klass: str, colours: dict[str, str], title: str,
               rule: tuple[float, str] | None = None, extra_tooltip: list[alt.Tooltip] | None = None) -> alt.LayerChart:
    """Horizontal bars of ``value`` per ``label``, coloured by the plan's class, sorted by value."""
    frame = with_lines(frame, label)
    bars = alt.Chart(frame).mark_bar().encode(
        y=alt.Y(f"{LABEL}:N", sort="-x", title=None, axis=alt.Axis(**NAME_AXIS)),
        x=alt.X(f"{value}:Q", title=title),
        color=alt.Color(f"{klass}:N", scale=class_scale(colours), title="Mức độ"),
        tooltip=[alt.Tooltip(f"{label}:N", title="Tên"), alt.Tooltip(f"{value}:Q", title=title, format=PCT),
                 alt.Tooltip(f"{klass}:N", title="Mức độ"), *(extra_tooltip or [])],
    ).properties(height=row_step(frame[LABEL]), width=440)
    return bars + _rule(*rule, axis="x") if rule else bars


def utilisation(systems: pd.DataFrame) -> alt.LayerChart:
    data = systems.dropna(subset=["utilisation_pct"])
    return class_bars(data, "utilisation_pct", "name_vi", "utilisation_class", UTILISATION_COLOURS,
                      "Tỷ lệ khai thác công suất (%)", rule=(100, "100 %"),
                      extra_tooltip=[alt.Tooltip("production_m3_per_day:Q", title="Sản lượng (m³/ngày đêm)", format=",.0f"),
                                     alt.Tooltip("design_capacity_m3_per_day:Q", title="Công suất (m³/ngày đêm)", format=",.0f")])


def loss(systems: pd.DataFrame, target_pct: float) -> alt.LayerChart:
    """Loss of each system in the classes of Biểu 02, with the plan's loss target (``plan.target("loss").high``) as a rule."""
    data = systems.dropna(subset=["loss_pct"])
    return class_bars(data, "loss_pct", "name_vi", "loss_class", LOSS_COLOURS, "Tỷ lệ thất thoát (%)",
                      rule=(target_pct, f"mục tiêu {fmt.vn(target_pct, 1, trim=True)} %"),
                      extra_tooltip=[alt.Tooltip("share_of_province_loss_pct:Q", title="Tỷ trọng thất thoát toàn tỉnh (%)", format=PCT)])


def coverage(areas: pd.DataFrame) -> alt.Chart:
    return class_bars(areas, "coverage_pct", "name_vi", "coverage_class", COVERAGE_COLOURS, "Tỷ lệ bao phủ (%)",
                      extra_tooltip=[alt.Tooltip("served_persons:Q", title="Người được cấp nước", format=",.0f"),
                                     alt.Tooltip("population_persons:Q", title="Dân số", format=",.0f")])


def loss_volume(systems: pd.DataFrame) -> alt.Chart:
    """Which systems move the province figure: each system's lost volume (m³/day), with its loss rate."""
    data = systems.dropna(subset=["loss_pct"]).assign(loss_m3=lambda f: f["production_m3_per_day"] - f["billed_m3_per_day"])
    data = with_lines(data, "name_vi")
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y(f"{LABEL}:N", sort="-x", title=None, axis=alt.Axis(**NAME_AXIS)),
        x=alt.X("loss_m3:Q", title="Nước thất thoát (m³/ngày đêm)"),
        color=alt.Color("loss_class:N", scale=class_scale(LOSS_COLOURS), title="Mức độ thất thoát"),
        tooltip=[alt.Tooltip("name_vi:N", title="Công trình"), alt.Tooltip("loss_m3:Q", title="m³/ngày đêm", format=",.0f"),
                 alt.Tooltip("loss_pct:Q", title="Tỷ lệ (%)", format=PCT),
                 alt.Tooltip("share_of_province_loss_pct:Q", title="Tỷ trọng toàn tỉnh (%)", format=PCT)],
    ).properties(height=row_step(data[LABEL]), width=440)


def fan(province: pd.DataFrame, value: str, low: str, high: str, title: str, target: float, target_label: str) -> alt.LayerChart:
    """The forecast (median of the draws) with its 90 % range and the target line."""
    base = alt.Chart(province).encode(x=alt.X("year:O", title="Năm", axis=alt.Axis(labelAngle=0)))
    band = base.mark_area(opacity=0.25, color=SCENARIO_COLOUR).encode(
        y=alt.Y(f"{low}:Q", title=title, scale=alt.Scale(zero=False)), y2=f"{high}:Q",
        tooltip=[alt.Tooltip("year:O", title="Năm"), alt.Tooltip(f"{low}:Q", title="P5", format=PCT),
                 alt.Tooltip(f"{high}:Q", title="P95", format=PCT)],
    )
    line = base.mark_line(point=True, color=SCENARIO_COLOUR).encode(
        y=f"{value}:Q", tooltip=[alt.Tooltip("year:O", title="Năm"), alt.Tooltip(f"{value}:Q", title="Dự báo", format=PCT)],
    )
    return (band + line + _rule(target, target_label)).properties(width=480, height=260)


def area_lines(areas: pd.DataFrame, columns: int = 4) -> alt.FacetChart:
    """Coverage by area and year, one small panel per area (sixteen areas never share colours).

    Each panel: the forecast (median of the draws, line) and its 90 % range; the panels share their axes.
    """
    order = list(dict.fromkeys(areas["name_vi"]))
    years = sorted(int(y) for y in areas["year"].unique())
    base = alt.Chart().encode(x=alt.X("year:O", title="Năm", axis=alt.Axis(labelAngle=0, values=[years[0], years[-1]])))
    band = base.mark_area(opacity=0.25, color=SCENARIO_COLOUR).encode(
        y=alt.Y("coverage_p5:Q", title="Tỷ lệ bao phủ (%)", scale=alt.Scale(domain=[0, 100])), y2="coverage_p95:Q")
    line = base.mark_line(point=alt.OverlayMarkDef(size=14), color=SCENARIO_COLOUR).encode(
        y="coverage_p50:Q",
        tooltip=[alt.Tooltip("name_vi:N", title="Đô thị"), alt.Tooltip("year:O", title="Năm"),
                 alt.Tooltip("coverage_p50:Q", title="Dự báo (%)", format=PCT),
                 alt.Tooltip("coverage_p5:Q", title="P5", format=PCT), alt.Tooltip("coverage_p95:Q", title="P95", format=PCT)])
    return alt.layer(band, line, data=areas).properties(width=105, height=70).facet(
        facet=alt.Facet("name_vi:N", title=None, sort=order, header=alt.Header(labelFontSize=11, labelLimit=0)),
        columns=columns, spacing={"row": 8, "column": 10})


# which end of an assumption's range a half-bar of the sensitivity chart shows (legend words and colours)
TORNADO_ENDS = {"low": ("Giả định ở đầu thấp", "#9ecae1"), "high": ("Giả định ở đầu cao", "#2b6fa8")}


def tornado(sensitivity: pd.DataFrame, low: str, high: str, centre: float, title: str, labels: dict[str, str], top: int = 10) -> alt.LayerChart:
    """For each assumption, the headline value at the low and the high end of its range (largest swings first):
    two half-bars from the central value, coloured by the end of the range, so the reader sees which end moves
    the result which way."""
    data = sensitivity.assign(swing=(sensitivity[high] - sensitivity[low]).abs()).nlargest(top, "swing")
    data = data.assign(label=data["assumption"].map(labels).fillna(data["assumption"]))
    data = with_lines(data, "label", width=40)
    halves = pd.concat([data.assign(end=TORNADO_ENDS[end][0], result=data[column], setting=data[end], centre=centre)
                        for end, column in (("low", low), ("high", high))], ignore_index=True)
    bar = alt.Chart(halves).mark_bar(opacity=0.85).encode(
        y=alt.Y(f"{LABEL}:N", sort=alt.EncodingSortField("swing", order="descending"), title=None, axis=alt.Axis(**NAME_AXIS)),
        x=alt.X("centre:Q", title=title, scale=alt.Scale(zero=False, nice=True), axis=alt.Axis(tickCount=6, labelOverlap=True)),
        x2="result:Q",
        color=alt.Color("end:N", title=None, scale=alt.Scale(domain=[v[0] for v in TORNADO_ENDS.values()],
                                                             range=[v[1] for v in TORNADO_ENDS.values()]),
                        legend=alt.Legend(orient="bottom", labelLimit=0)),
        tooltip=[alt.Tooltip("label:N", title="Giả định"), alt.Tooltip("end:N", title="Đầu"),
                 alt.Tooltip("setting:Q", title="Giá trị giả định"), alt.Tooltip("result:Q", title="Kết quả", format=",.2f")],
    )
    rule = alt.Chart(pd.DataFrame({"x": [centre]})).mark_rule(color="#444").encode(x="x:Q")
    return (bar + rule).properties(height=row_step(data[LABEL], 20), width=360)


def targets_vs_projection(frame: pd.DataFrame, year: int) -> alt.LayerChart:
    """Biểu 04: each area's target of ``year`` (the plan year) against the projection (dot) and its 90 % band."""
    frame = with_lines(frame, "name_vi")
    base = alt.Chart(frame).encode(y=alt.Y(f"{LABEL}:N", title=None, sort=alt.EncodingSortField("target", order="descending"),
                                           axis=alt.Axis(**NAME_AXIS)))
    band = base.mark_rule(color=SCENARIO_COLOUR, strokeWidth=3, opacity=0.4).encode(
        x=alt.X("p5:Q", title=f"Tỷ lệ bao phủ năm {year} (%)"), x2="p95:Q")
    projected = base.mark_point(color=SCENARIO_COLOUR, filled=True, size=60).encode(
        x="value:Q", tooltip=[alt.Tooltip("name_vi:N", title="Đô thị"), alt.Tooltip("value:Q", title="Dự báo (%)", format=PCT),
                              alt.Tooltip("target:Q", title="Mục tiêu (%)", format=PCT),
                              alt.Tooltip("p_meet:Q", title="Xác suất đạt", format=".0%")])
    target = base.mark_tick(color=TARGET_COLOUR, thickness=2, size=14).encode(x="target:Q")
    return (band + projected + target).properties(height=row_step(frame[LABEL], 20), width=460)


def project_costs(projects: pd.DataFrame) -> alt.Chart:
    data = with_lines(projects.dropna(subset=["million_vnd_per_stated_person"]), "short", width=50)
    return alt.Chart(data).mark_bar(color=SCENARIO_COLOUR).encode(
        y=alt.Y(f"{LABEL}:N", sort="-x", title=None, axis=alt.Axis(**NAME_AXIS)),
        x=alt.X("million_vnd_per_stated_person:Q", title="Suất đầu tư (triệu đồng/người hưởng lợi)"),
        tooltip=[alt.Tooltip("short:N", title="Dự án"), alt.Tooltip("cost_billion_vnd:Q", title="Tổng mức (tỷ đồng)", format=",.2f"),
                 alt.Tooltip("beneficiaries_persons:Q", title="Người hưởng lợi", format=",.0f"),
                 alt.Tooltip("million_vnd_per_stated_person:Q", title="Triệu đồng/người", format=",.1f")],
    ).properties(height=row_step(data[LABEL], 30), width=400)


ILI_BAND_COLOURS = {"A1": "#1a9850", "A2": "#91cf60", "B": "#fee08b", "C": "#fc8d59", "D": "#d73027"}


def ili(frame: pd.DataFrame, band_bounds: tuple[float, ...] = (2, 4, 8, 16)) -> alt.LayerChart:
    """ILI of each system (bar, coloured by its WBI band) with its ±95 % range and the band boundaries."""
    data = with_lines(frame.dropna(subset=["ili"]), "name_vi")
    order = data.sort_values("ili", ascending=False)[LABEL].tolist()  # an explicit order survives the layering
    y = alt.Y(f"{LABEL}:N", sort=order, title=None, axis=alt.Axis(**NAME_AXIS))
    bars = alt.Chart(data).mark_bar(opacity=0.9).encode(
        y=y, x=alt.X("ili:Q", title="Chỉ số rò rỉ hạ tầng (ILI)"),
        color=alt.Color("ili_band:N", scale=class_scale(ILI_BAND_COLOURS), title="Nhóm (WBI)"),
        tooltip=[alt.Tooltip("name_vi:N", title="Công trình"), alt.Tooltip("ili:Q", title="ILI", format=",.1f"),
                 alt.Tooltip("ili_low:Q", title="thấp (95 %)", format=",.1f"), alt.Tooltip("ili_high:Q", title="cao (95 %)", format=",.1f"),
                 alt.Tooltip("ili_band:N", title="Nhóm"),
                 alt.Tooltip("real_losses_l_per_conn_day:Q", title="l/đấu nối/ngày", format=",.0f")],
    )
    ranges = alt.Chart(data).mark_rule(color="#333", strokeWidth=1.2).encode(y=y, x="ili_low:Q", x2="ili_high:Q")
    bounds = pd.DataFrame({"value": list(band_bounds)})
    rules = alt.Chart(bounds).mark_rule(color="#777", strokeDash=[4, 3]).encode(x="value:Q")
    return (bars + ranges + rules).properties(height=row_step(data[LABEL]), width=440)


def variance_shares(shares: pd.DataFrame, title: str = "Tỷ trọng trong phương sai của ILI (%)") -> alt.Chart:
    """Each input's share of the variance of an output, stacked per system (which inputs dominate)."""
    data = with_lines(shares[shares["share_pct"] > 0.05], "name_vi")
    order = list(dict.fromkeys(data[LABEL]))  # the data package's order of systems
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y(f"{LABEL}:N", sort=order, title=None, axis=alt.Axis(**NAME_AXIS)),
        x=alt.X("share_pct:Q", title=title, scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("input_vi:N", title="Đầu vào", legend=alt.Legend(columns=2, symbolLimit=0, labelLimit=0),
                        scale=alt.Scale(scheme="tableau20")),
        order=alt.Order("share_pct:Q", sort="descending"),
        tooltip=[alt.Tooltip("name_vi:N", title="Công trình"), alt.Tooltip("input_vi:N", title="Đầu vào"),
                 alt.Tooltip("share_pct:Q", title="Tỷ trọng (%)", format=",.1f")],
    ).properties(height=row_step(data[LABEL]), width=440)



NRW_VALUE_COLOURS = {"Thất thoát thương mại": "#d95f02", "Thất thoát cơ học": "#1b9e77", "Tiêu thụ hợp pháp không doanh thu": "#7570b3"}


def nrw_value(frame: pd.DataFrame) -> alt.Chart:
    """Yearly value of NRW of each system, stacked by component (apparent losses at the tariff, the rest at the variable cost)."""
    parts = {"apparent_losses_value_billion_vnd_per_year": "Thất thoát thương mại",
             "real_losses_value_billion_vnd_per_year": "Thất thoát cơ học",
             "unbilled_authorised_value_billion_vnd_per_year": "Tiêu thụ hợp pháp không doanh thu"}
    data = frame.melt(id_vars=["name_vi"], value_vars=list(parts), var_name="part", value_name="value")
    data["part_vi"] = data["part"].map(parts)
    data = with_lines(data, "name_vi")
    order = [wrapped(n) for n in frame.sort_values("nrw_value_billion_vnd_per_year", ascending=False)["name_vi"]]
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y(f"{LABEL}:N", sort=order, title=None, axis=alt.Axis(**NAME_AXIS)),
        x=alt.X("value:Q", title="Giá trị nước cấp nhưng thất thu (tỷ đồng/năm)", stack="zero"),
        color=alt.Color("part_vi:N", scale=class_scale(NRW_VALUE_COLOURS), title=None, legend=alt.Legend(labelLimit=0)),
        tooltip=[alt.Tooltip("name_vi:N", title="Công trình"), alt.Tooltip("part_vi:N", title="Thành phần"),
                 alt.Tooltip("value:Q", title="Tỷ đồng/năm", format=",.3f")],
    ).properties(height=row_step(data[LABEL]), width=440)
