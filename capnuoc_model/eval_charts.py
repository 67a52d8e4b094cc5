"""The evaluation document's charts: target against achieved against the start-of-year projection (Altair, Vietnamese)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from capnuoc_model import evaluation as ev
from capnuoc_model import fmt
from capnuoc_model.display import SCENARIO_COLOUR, TARGET_COLOUR

PCT = ",.1f"
STATUS_COLOURS = {ev.MET: "#1a9850", ev.NOT_MET: "#d73027", ev.NOT_REPORTED: "#9e9e9e", ev.NOT_APPLICABLE: "#cccccc"}
BASE_YEAR_COLOUR = "#bdbdbd"  # the series "Năm <base year>"
SERIES_COLOURS = {"Dự báo đầu năm": SCENARIO_COLOUR}
ACTUAL_COLOUR = "#31a354"
TASK_COLOURS = {"Đã hoàn thành": "#1a9850", "Đang thực hiện": "#fee08b", "Chưa thực hiện": "#d73027", ev.NOT_REPORTED: "#9e9e9e"}
COMPONENT_COLOURS = {"Dân số": "#8c6bb1", "Tiến độ dự án": "#e6550d", "Mức đấu nối của dự án": "#3182bd",
                     "Mở rộng mạng lưới, đấu nối khác, số liệu": "#bdbdbd"}


def indicators(frame: pd.DataFrame) -> alt.HConcatChart:
    """Coverage and loss: base year, start-of-year projection, achieved (or its range) and the target, side by side."""
    panels = []
    for indicator, group in frame.groupby("indicator", sort=False):
        data = group.assign(axis_label=group["series"].map(_two_lines)).copy()
        order = list(data["axis_label"])
        first = data["series"].iloc[0]  # the base year comes first
        colours = [BASE_YEAR_COLOUR if s == first else SERIES_COLOURS.get(s, TARGET_COLOUR if s == "Mục tiêu" else ACTUAL_COLOUR)
                   for s in data["series"]]
        base = alt.Chart(data).encode(x=alt.X("axis_label:N", sort=order, title=None,
                                              axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, '|')")))
        bars = base.mark_bar(size=40).encode(
            y=alt.Y("value:Q", title=indicator, scale=alt.Scale(zero=True)),
            color=alt.Color("axis_label:N", scale=alt.Scale(domain=order, range=colours), legend=None),
            tooltip=[alt.Tooltip("series:N", title=" "), alt.Tooltip("text:N", title=indicator)])
        labels = base.mark_text(dy=-7, fontSize=11).encode(y=alt.Y("top:Q"), text="text:N")
        layers = [bars, labels]
        if group["low"].notna().any():
            ranged = data.dropna(subset=["low"])
            layers.append(alt.Chart(ranged).mark_errorbar(ticks=alt.TickConfig(size=30), thickness=2.5, color=ACTUAL_COLOUR).encode(
                x=alt.X("axis_label:N", sort=order), y=alt.Y("low:Q", title=indicator), y2="high:Q"))
        target = data[data["series"] == "Mục tiêu"]
        layers.append(alt.Chart(target).mark_rule(color=TARGET_COLOUR, strokeDash=[6, 4], strokeWidth=1.5).encode(y="value:Q"))
        panels.append(alt.layer(*layers).properties(width=300, height=230))
    return alt.hconcat(*panels, spacing=36)


def _two_lines(text: str) -> str:
    """'Dự báo đầu năm' → 'Dự báo|đầu năm' (the axis splits labels at '|')."""
    words = text.split()
    if len(words) < 3:
        return text
    half = (len(words) + 1) // 2
    return " ".join(words[:half]) + "|" + " ".join(words[half:])


def _dots(frame: pd.DataFrame, title: str, rule: float | None = None, status_title: str = "Đánh giá") -> alt.LayerChart:
    """Per area or system: achieved (bar, coloured by status), target (red tick) and projection (blue dot)."""
    order = list(frame["name_vi"])
    present = [s for s in STATUS_COLOURS if s in set(frame["status"])]
    base = alt.Chart(frame).encode(y=alt.Y("name_vi:N", sort=order, title=None, axis=alt.Axis(labelLimit=240)))
    bars = base.mark_bar(height=11).encode(
        x=alt.X("actual:Q", title=title),
        color=alt.Color("status:N", scale=alt.Scale(domain=present, range=[STATUS_COLOURS[s] for s in present]), title=status_title),
        tooltip=[alt.Tooltip("name_vi:N", title="Tên"), alt.Tooltip("actual:Q", title="Thực hiện", format=PCT),
                 alt.Tooltip("target:Q", title="Chỉ tiêu", format=PCT) if "target" in frame else alt.Tooltip("baseline:Q", title="Hiện trạng", format=PCT),
                 alt.Tooltip("projected:Q", title="Dự báo đầu năm", format=PCT), alt.Tooltip("status:N", title="Đánh giá")])
    missing = base.transform_filter("!isValid(datum.actual)").mark_text(align="left", dx=3, color="#616161", fontStyle="italic").encode(
        x=alt.value(0), text=alt.value("chưa có số liệu"))
    projected = base.mark_point(color=SCENARIO_COLOUR, filled=True, size=45, shape="circle").encode(x="projected:Q")
    layers = [bars, missing, projected]
    if "target" in frame:
        layers.append(base.mark_tick(color=TARGET_COLOUR, thickness=2.5, size=16).encode(x="target:Q"))
    if "baseline" in frame and "target" not in frame:
        layers.append(base.mark_tick(color="#616161", thickness=2, size=12).encode(x="baseline:Q"))
    if rule is not None:
        line = pd.DataFrame({"x": [rule]})
        layers.append(alt.Chart(line).mark_rule(color=TARGET_COLOUR, strokeDash=[6, 4], strokeWidth=1.5).encode(x="x:Q"))
    return alt.layer(*layers).properties(height=alt.Step(19), width=440)


def areas(frame: pd.DataFrame) -> alt.LayerChart:
    return _dots(frame.drop(columns=["baseline"]), "Tỷ lệ bao phủ (%)")


def systems(frame: pd.DataFrame, target_pct: float) -> alt.LayerChart:
    """Each system's loss against the plan's loss target (``plan.target("loss").high``)."""
    return _dots(frame, "Tỷ lệ thất thoát (%)", rule=target_pct, status_title=f"Đánh giá (≤ {fmt.vn(target_pct, 1, trim=True)} %)")


def attribution(frame: pd.DataFrame) -> alt.Chart:
    """Projection error of coverage split into its causes (percentage points), one bar per area."""
    order = list(dict.fromkeys(frame["name_vi"]))
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("name_vi:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("sum(pct_points):Q", title="Thực tế trừ dự báo đầu năm (điểm %)"),
        color=alt.Color("label:N", scale=alt.Scale(domain=list(COMPONENT_COLOURS), range=list(COMPONENT_COLOURS.values())),
                        title="Do", legend=alt.Legend(columns=2, labelLimit=320)),
        tooltip=[alt.Tooltip("name_vi:N", title="Đô thị"), alt.Tooltip("label:N", title="Do"),
                 alt.Tooltip("pct_points:Q", title="Điểm %", format=",.2f"), alt.Tooltip("persons:Q", title="Người", format=",.0f")],
    ).properties(height=alt.Step(20), width=420)


def projects(frame: pd.DataFrame) -> alt.Chart:
    """People served by each people-serving project: planned, projected at the start of the year, actual."""
    series = list(dict.fromkeys(frame["series"]))
    colours = ["#bdbdbd", SCENARIO_COLOUR, ACTUAL_COLOUR][: len(series)]
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("series:N", sort=series, title=None, axis=None),
        x=alt.X("persons:Q", title="Số người"),
        row=alt.Row("project:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left", labelFontSize=11)),
        color=alt.Color("series:N", scale=alt.Scale(domain=series, range=colours), title=None),
        tooltip=[alt.Tooltip("project:N", title="Dự án"), alt.Tooltip("series:N", title=" "),
                 alt.Tooltip("persons:Q", title="Người", format=",.0f")],
    ).properties(height=alt.Step(12), width=400)


def agencies(frame: pd.DataFrame) -> alt.Chart:
    order = list(TASK_COLOURS)
    return alt.Chart(frame[frame["count"] > 0]).mark_bar().encode(
        y=alt.Y("agency_vi:N", sort=list(dict.fromkeys(frame["agency_vi"])), title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("count:Q", title="Số nhiệm vụ", axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("state_vi:N", scale=alt.Scale(domain=order, range=list(TASK_COLOURS.values())), title="Tình trạng"),
        order=alt.Order("state_order:Q"),
        tooltip=[alt.Tooltip("agency_vi:N", title="Cơ quan"), alt.Tooltip("state_vi:N", title="Tình trạng"),
                 alt.Tooltip("count:Q", title="Số nhiệm vụ")],
    ).transform_calculate(state_order=f"indexof({order!r}, datum.state_vi)").properties(height=alt.Step(22), width=420)


__all__ = ["indicators", "areas", "systems", "attribution", "projects", "agencies", "STATUS_COLOURS"]
