"""The evaluation document's charts: target against achieved against the start-of-year projection (Altair, Vietnamese).

Colours follow the status everywhere (:data:`STATUS_COLOURS`): an achieved bar is green only when it is met.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from capnuoc_model.data import fmt
from capnuoc_model.evaluation import evaluation as ev
from capnuoc_model.publish.charts import LABEL, NAME_AXIS, row_step, with_lines
from capnuoc_model.publish.notebook_output import SCENARIO_COLOUR, TARGET_COLOUR

PCT = ",.1f"
STATUS_COLOURS = {ev.MET: "#1a9850", ev.NOT_MET: "#d73027", ev.INSUFFICIENT: "#f39c12", ev.NOT_REPORTED: "#9e9e9e",
                  ev.NOT_APPLICABLE: "#cccccc"}
BASE_YEAR_COLOUR = "#bdbdbd"  # the series "Năm <base year>", the first of each panel
SERIES_COLOURS = {"Dự báo đầu năm": SCENARIO_COLOUR, "Mục tiêu": "#f4a6a0"}
ACTUAL_COLOUR = "#54278f"  # a reported value that no status colours (not green: green means met)
TASK_COLOURS = {"Đã hoàn thành": "#1a9850", "Đang thực hiện": "#fee08b", "Chưa thực hiện": "#d73027", ev.NOT_REPORTED: "#9e9e9e"}
COMPONENT_COLOURS = {"Dân số": "#8c6bb1", "Tiến độ dự án": "#e6550d", "Mức đấu nối của dự án": "#3182bd",
                     "Mở rộng mạng lưới, đấu nối khác, số liệu": "#bdbdbd"}
HEIGHT = 230  # px of the indicator panels
LABEL_PX = 11  # font size of the value labels
CLEAR_PX = 8.0  # a label's centre stays this far from the target line (half its height and a margin)


def bar_colour(series: str, status: object, base_series: str | None = None) -> str:
    """An achieved value in its status colour; the reference bars in their series colour (``base_series``: the base year's)."""
    if isinstance(status, str) and status in STATUS_COLOURS:
        return STATUS_COLOURS[status]
    if base_series is not None and series == base_series:
        return BASE_YEAR_COLOUR
    return SERIES_COLOURS.get(series, ACTUAL_COLOUR)


def indicators(frame: pd.DataFrame) -> alt.HConcatChart:
    """Province targets: base year, start-of-year projection, achieved (or its range) and the target, side by side.

    The achieved bar takes the colour of its status; value labels sit inside the bars' tops, and move to
    the middle of a bar (or under a range) when the dashed target line passes where the label would be.
    """
    panels = []
    for indicator, group in frame.groupby("indicator", sort=False):
        data = group.assign(axis_label=group["series"].map(_two_lines)).reset_index(drop=True)
        order = list(data["axis_label"])
        first = data["series"].iloc[0]  # the base year comes first
        colours = [bar_colour(series, s, first) for s, series in zip(data["status"], data["series"])]
        target = float(data["target"].iloc[0]) if data["target"].notna().any() else None
        ceiling = float(np.nanmax(data[["top", "value"]].to_numpy(dtype=float))) * 1.12
        data["label_y"], data["label_dy"] = label_positions(data, target, ceiling)
        data["label_inside"] = (data["label_dy"] >= 0) & data["low"].isna() & (data["label_y"] > 0)
        x = alt.X("axis_label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, '|')"))
        y_scale = alt.Scale(zero=True, domain=[0, ceiling])
        bars = alt.Chart(data).mark_bar(size=40).encode(
            x=x, y=alt.Y("value:Q", title=indicator, scale=y_scale),
            color=alt.Color("axis_label:N", scale=alt.Scale(domain=order, range=colours), legend=None),
            tooltip=[alt.Tooltip("series:N", title=" "), alt.Tooltip("text:N", title=indicator)])
        layers = [bars]
        ranged = data.dropna(subset=["low"])
        if len(ranged):
            layers.append(alt.Chart(ranged).mark_errorbar(ticks=alt.TickConfig(size=30), thickness=2.5,
                                                          color=bar_colour("", ranged["status"].iloc[0])).encode(
                x=alt.X("axis_label:N", sort=order), y=alt.Y("low:Q", title=indicator, scale=y_scale), y2="high:Q"))
        if target is not None:
            layers.append(alt.Chart(pd.DataFrame({"y": [target]})).mark_rule(
                color=TARGET_COLOUR, strokeDash=[6, 4], strokeWidth=1.5).encode(y=alt.Y("y:Q", scale=y_scale)))
        for (dy, inside), rows in data.groupby(["label_dy", "label_inside"]):
            layers.append(alt.Chart(rows).mark_text(dy=float(dy), fontSize=LABEL_PX, fontWeight="bold",
                                                    color="white" if inside else "#333333").encode(
                x=alt.X("axis_label:N", sort=order), y=alt.Y("label_y:Q", scale=y_scale), text="text:N"))
        panels.append(alt.layer(*layers).properties(width=300, height=HEIGHT))
    return alt.hconcat(*panels, spacing=36)


def label_positions(data: pd.DataFrame, target: float | None, ceiling: float, height: float = HEIGHT) -> tuple[list[float], list[float]]:
    """Where each bar's label goes, as (y in data units, dy in px, positive = down); never across the target line.

    A label is a band about ``LABEL_PX`` px high. It sits just inside the top of its bar (above a short bar,
    above a range); when the dashed line would cross it, it moves to the next place in the list that is clear:
    the bar's middle, above the bar, under the range, higher still.
    """
    per_unit = height / ceiling
    line = None if target is None else target * per_unit  # px above the axis

    def clear(y: float, dy: float) -> float:
        return math.inf if line is None else abs(y * per_unit - dy - line)

    ys, dys = [], []
    for top, value, low in zip(data["top"], data["value"], data["low"]):
        if pd.notna(low):  # a range, drawn as a bar to its low end and a whisker to its top
            candidates = [(top, -10.0), (top, -10.0 - 2 * LABEL_PX), (low / 2, 0.0)]
        elif pd.isna(value) or value <= 0:
            candidates = [(0.0, -10.0), (0.0, -10.0 - 2 * LABEL_PX)]
        elif value * per_unit > 2.5 * LABEL_PX:  # room inside the bar
            candidates = [(value, 10.0), (value / 2, 0.0), (value, -10.0), (value, -10.0 - 2 * LABEL_PX)]
        else:
            candidates = [(value, -10.0), (value, -10.0 - 2 * LABEL_PX)]
        y, dy = next((c for c in candidates if clear(*c) >= CLEAR_PX), max(candidates, key=lambda c: clear(*c)))
        ys.append(float(y))
        dys.append(float(dy))
    return ys, dys


def _two_lines(text: str) -> str:
    """'Dự báo đầu năm' → 'Dự báo|đầu năm' (the axis splits labels at '|')."""
    words = text.split()
    if len(words) < 3:
        return text
    half = (len(words) + 1) // 2
    return " ".join(words[:half]) + "|" + " ".join(words[half:])


def _dots(frame: pd.DataFrame, title: str, rule: float | None = None, status_title: str = "Đánh giá") -> alt.LayerChart:
    """Per area or system: achieved (bar, coloured by status), target (red tick) and projection (blue dot).

    A row nobody reported says so in its axis label, so the words never cover a marker.
    """
    frame = frame.assign(name_vi=[n if pd.notna(v) else f"{n} (chưa có số liệu)" for n, v in zip(frame["name_vi"], frame["actual"])])
    frame = with_lines(frame, "name_vi")
    order = list(frame[LABEL])
    present = [s for s in STATUS_COLOURS if s in set(frame["status"])]
    base = alt.Chart(frame).encode(y=alt.Y(f"{LABEL}:N", sort=order, title=None, axis=alt.Axis(**NAME_AXIS)))
    bars = base.mark_bar(height=11).encode(
        x=alt.X("actual:Q", title=title),
        color=alt.Color("status:N", scale=alt.Scale(domain=present, range=[STATUS_COLOURS[s] for s in present]), title=status_title),
        tooltip=[alt.Tooltip("name_vi:N", title="Tên"), alt.Tooltip("actual:Q", title="Thực hiện", format=PCT),
                 alt.Tooltip("target:Q", title="Chỉ tiêu", format=PCT) if "target" in frame else alt.Tooltip("baseline:Q", title="Hiện trạng", format=PCT),
                 alt.Tooltip("projected:Q", title="Dự báo đầu năm", format=PCT), alt.Tooltip("status:N", title="Đánh giá")])
    projected = base.mark_point(color=SCENARIO_COLOUR, filled=True, size=45, shape="circle").encode(x="projected:Q")
    layers = [bars, projected]
    if "target" in frame:
        layers.append(base.mark_tick(color=TARGET_COLOUR, thickness=2.5, size=16).encode(x="target:Q"))
    if "baseline" in frame and "target" not in frame:
        layers.append(base.mark_tick(color="#616161", thickness=2, size=12).encode(x="baseline:Q"))
    if rule is not None:
        line = pd.DataFrame({"x": [rule]})
        layers.append(alt.Chart(line).mark_rule(color=TARGET_COLOUR, strokeDash=[6, 4], strokeWidth=1.5).encode(x="x:Q"))
    return alt.layer(*layers).properties(height=row_step(frame[LABEL], 19), width=420)


def areas(frame: pd.DataFrame) -> alt.LayerChart:
    return _dots(frame.drop(columns=["baseline"]), "Tỷ lệ bao phủ (%)")


def systems(frame: pd.DataFrame, target_pct: float | None) -> alt.LayerChart:
    """Loss per system against the loss target (the dashed line)."""
    title = "Đánh giá" if target_pct is None else f"Đánh giá (≤ {fmt.vn(target_pct, 1, trim=True)} %)"
    return _dots(frame, "Tỷ lệ thất thoát (%)", rule=target_pct, status_title=title)


def attribution(frame: pd.DataFrame) -> alt.Chart:
    """Projection error of coverage split into its causes (percentage points), one bar per area."""
    frame = with_lines(frame, "name_vi")
    order = list(dict.fromkeys(frame[LABEL]))
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y(f"{LABEL}:N", sort=order, title=None, axis=alt.Axis(**NAME_AXIS)),
        x=alt.X("sum(pct_points):Q", title="Thực tế trừ dự báo đầu năm (điểm %)"),
        color=alt.Color("label:N", scale=alt.Scale(domain=list(COMPONENT_COLOURS), range=list(COMPONENT_COLOURS.values())),
                        title="Do", legend=alt.Legend(columns=2, labelLimit=0)),
        tooltip=[alt.Tooltip("name_vi:N", title="Đô thị"), alt.Tooltip("label:N", title="Do"),
                 alt.Tooltip("pct_points:Q", title="Điểm %", format=",.2f"), alt.Tooltip("persons:Q", title="Người", format=",.0f")],
    ).properties(height=row_step(frame[LABEL], 20), width=420)


def projects(frame: pd.DataFrame) -> alt.Chart:
    """People served by each people-serving project: planned, projected at the start of the year, actual."""
    series = list(dict.fromkeys(frame["series"]))
    colours = ["#bdbdbd", SCENARIO_COLOUR, ACTUAL_COLOUR][: len(series)]
    frame = with_lines(frame, "project", width=34)
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("series:N", sort=series, title=None, axis=None),
        x=alt.X("persons:Q", title="Số người"),
        row=alt.Row(f"{LABEL}:N", title=None, sort=list(dict.fromkeys(frame[LABEL])),
                    header=alt.Header(labelAngle=0, labelAlign="left", labelFontSize=11, labelLimit=0,
                                      labelExpr="split(datum.label, '|')", labelLineHeight=12)),
        color=alt.Color("series:N", scale=alt.Scale(domain=series, range=colours), title=None),
        tooltip=[alt.Tooltip("project:N", title="Dự án"), alt.Tooltip("series:N", title=" "),
                 alt.Tooltip("persons:Q", title="Người", format=",.0f")],
    ).properties(height=alt.Step(12), width=400)


def agencies(frame: pd.DataFrame) -> alt.Chart:
    order = list(TASK_COLOURS)
    frame = with_lines(frame[frame["count"] > 0], "agency_vi")
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y(f"{LABEL}:N", sort=list(dict.fromkeys(frame[LABEL])), title=None, axis=alt.Axis(**NAME_AXIS)),
        x=alt.X("count:Q", title="Số nhiệm vụ", axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("state_vi:N", scale=alt.Scale(domain=order, range=list(TASK_COLOURS.values())), title="Tình trạng"),
        order=alt.Order("state_order:Q"),
        tooltip=[alt.Tooltip("agency_vi:N", title="Cơ quan"), alt.Tooltip("state_vi:N", title="Tình trạng"),
                 alt.Tooltip("count:Q", title="Số nhiệm vụ")],
    ).transform_calculate(state_order=f"indexof({order!r}, datum.state_vi)").properties(height=row_step(frame[LABEL], 22), width=420)


__all__ = ["indicators", "areas", "systems", "attribution", "projects", "agencies", "STATUS_COLOURS"]
