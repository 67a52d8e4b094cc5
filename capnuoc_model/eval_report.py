"""What the evaluation document shows: the evaluation loaded once, its frames with Vietnamese headers, its sentences.

Every notebook of the evaluation (``notebooks/eval_*.ipynb``) calls
:func:`load_evaluation` with its parameters and shows the frames below with
:func:`capnuoc_model.display.table`. In those frames a value nobody reported
is the text "chưa có số liệu", never a zero; "—" marks what does not apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from capnuoc_model import evaluation as ev
from capnuoc_model import fmt, io
from capnuoc_model.actuals import ACTUALS_TABLES, Actuals
from capnuoc_model.context import BASELINE_SCENARIO, DEFAULT_CACHE, cached_run
from capnuoc_model.scenario import load_scenario

BANNER = "SỐ LIỆU MINH HỌA — không phải kết quả thực tế"
NR = fmt.NOT_REPORTED
SHORT_VI = {
    "coverage": "Tỷ lệ dân số đô thị được cấp nước sạch",
    "loss": "Tỷ lệ thất thoát nước sạch bình quân",
    "utilisation": "Hiệu quả khai thác công suất",
    "water_quality": "Kiểm tra, công bố chất lượng nước",
    "safe_supply_plan": "Phương án cấp nước an toàn",
    "supply_hours": "Thời gian cấp nước",
}


def widths(year: int) -> dict[str, int]:
    """Relative column widths of the document's tables in PDF and DOCX (other columns count 3)."""
    return {"TT": 1, "Mục tiêu (Mục III.3)": 5, "Đánh giá": 4, f"Chỉ tiêu {year}": 4, f"Thực hiện {year}": 5, "Khoảng cách đến mục tiêu": 5,
            "Mục tiêu": 4, "Cách đánh giá": 9, "Nguyên nhân chính": 7, "Đô thị": 4, "Công trình": 7, "Dự án": 9,
            "Chủ đầu tư": 6, "Cơ quan, đơn vị": 5, "Đơn vị cấp nước": 7, "Nhiệm vụ (Mục VII)": 10, "Kết quả, ghi chú": 6,
            "Bảng (trang Excel)": 5}


@dataclass(frozen=True)
class EvaluationContext:
    package: io.DataPackage
    actuals: Actuals
    ev: ev.Evaluation
    start: ev.StartOfYear
    year: int


def load_evaluation(actuals: str | Path | None = None, year: int | None = None, scenario: str | Path = BASELINE_SCENARIO,
                    sets: list[str] | tuple[str, ...] = (), draws: int = 10_000, seed: int = 20260515,
                    data_dir: str | Path = "data", cache_dir: str | Path = DEFAULT_CACHE) -> EvaluationContext:
    """Data package, reports, the start-of-year projection (cached, shared with the plan) and the evaluation.

    ``scenario`` (and ``sets``) is the projection the year started with: the plan's baseline scenario.
    ``actuals`` None (or empty): the package's illustrative example; ``year`` None (or 0): the plan year.
    """
    package = io.load_package(io.resolve(data_dir))
    actuals = actuals or package.plan.evaluation_example
    year = year or package.plan.plan_year
    reported = io.load_actuals(io.resolve(actuals), package, int(year))
    run = cached_run(package, load_scenario(io.resolve(scenario), list(sets)), int(draws), int(seed), io.resolve(cache_dir))
    start = ev.start_of_year(run, int(year))
    return EvaluationContext(package, reported, ev.evaluate(package, reported, start), start, int(year))


# ---------------------------------------------------------------------------- cells


def _value(value: object, reported: bool = True) -> object:
    """A number, or the text the reader sees when it is missing: not reported, or not applicable."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return NR if reported else fmt.MISSING
    return value


def _values(series: pd.Series, applies: pd.Series | None = None) -> list[object]:
    applies = applies if applies is not None else pd.Series(True, index=series.index)
    return [_value(v, bool(a)) for v, a in zip(series, applies)]


def _yes_no(value: object, applies: bool = True) -> str:
    if not applies:
        return fmt.MISSING
    if value is None or pd.isna(value):
        return NR
    return "có" if bool(value) else "không"


def _status(value: str) -> str:
    return fmt.MISSING if value == ev.NOT_APPLICABLE else value


# ---------------------------------------------------------------------------- page one


def banner(ctx: EvaluationContext) -> str | None:
    """The warning shown first when the reports are the shipped example."""
    if not ctx.ev.is_illustrative:
        return None
    return (f"> **{BANNER}.** Các con số trong tài liệu này được tính từ bộ số liệu ví dụ "
            f"`{Path(ctx.actuals.source).name}`, lập ra để minh họa quy trình đánh giá; không dùng để báo cáo.")


def _achieved(row: pd.Series) -> str:
    target = row["target_id"]
    if target == "coverage":
        if pd.notna(row["value"]):
            return fmt.pct(row["value"])
        missing = int(row["expected"] - row["reported"])
        return f"{fmt.vn(row['value_low'], 1)}–{fmt.pct(row['value_high'])} (thiếu {missing} {row['unit_vi']})"
    if pd.isna(row["value"]):
        return NR
    count = f"{int(row['reported'])}/{int(row['expected'])} {row['unit_vi']}"
    if target == "loss":
        return f"{fmt.pct(row['value'])} ({count})"
    met = int(round(row["value"] * row["reported"] / 100))
    if target == "utilisation":
        return f"{met}/{int(row['reported'])} {row['unit_vi']}"
    return f"{fmt.pct(row['value'], 0)} ({met}/{int(row['reported'])} {row['unit_vi']})"


def _target(row: pd.Series) -> str:
    target = row["target_id"]
    if target == "coverage":
        return f"≥ {fmt.pct(row['target_min'])}"
    if target == "loss":
        return f"≤ {fmt.vn(row['target_max'], 1, trim=True)} %"
    if target == "utilisation":
        return "nâng hiệu quả khai thác (định tính)"
    if target == "supply_hours":
        return f"{fmt.vn(row['target_min'])}–{fmt.vn(row['target_max'])} giờ/ngày ở mọi công trình"
    return f"{fmt.vn(row['target_min'])} % {row['unit_vi']}"


def _gap(row: pd.Series) -> str:
    if row["status"] == ev.MET:
        return fmt.MISSING
    target = row["target_id"]
    if target == "coverage":
        if pd.notna(row["value"]):
            return f"thiếu {fmt.vn(row['gap'], 1)} điểm %"
        if row["status"] == ev.NOT_MET:
            return f"thiếu ít nhất {fmt.vn(row['target_min'] - ev.printed(row['value_high']), 1)} điểm %"
        return fmt.MISSING
    if target == "loss":
        return f"cao hơn {fmt.vn(row['gap'], 1)} điểm %" if pd.notna(row["gap"]) else fmt.MISSING
    missing = int(row["expected"] - row["reported"])
    parts = []
    if row["gap"] > 0:
        parts.append(f"{int(row['gap'])} {row['unit_vi']} chưa đạt")
    if missing:
        parts.append(f"{missing} {row['unit_vi']} chưa báo cáo")
    return "; ".join(parts) or fmt.MISSING


def target_header(plan) -> str:
    """'Mục tiêu (Mục III.3)': the header of the targets' column, citing the plan's section of targets."""
    return f"Mục tiêu ({plan.section('targets')})"


def summary(ctx: EvaluationContext) -> pd.DataFrame:
    """The plan's targets: target, base year, achieved, projected, status, gap (page one)."""
    return summary_frame(ctx.ev)


def summary_frame(evaluation: ev.Evaluation) -> pd.DataFrame:
    t = evaluation.targets
    projected = [fmt.pct(v) if pd.notna(v) else fmt.MISSING for v in t["projected"]]
    baseline = [fmt.pct(v) if pd.notna(v) else fmt.MISSING for v in t["baseline_value"]]
    return pd.DataFrame({
        "TT": [str(i) for i in range(1, len(t) + 1)],
        target_header(evaluation.plan): t["target_id"].map(SHORT_VI),
        f"Chỉ tiêu {evaluation.year}": [_target(r) for _, r in t.iterrows()],
        f"Năm {evaluation.plan.base_year}": baseline,
        f"Thực hiện {evaluation.year}": [_achieved(r) for _, r in t.iterrows()],
        "Dự báo đầu năm": projected,
        "Đánh giá": t["status"],
        "Khoảng cách đến mục tiêu": [_gap(r) for _, r in t.iterrows()],
    })


def summary_sentence(ctx: EvaluationContext) -> str:
    counts = ctx.ev.targets["status"].value_counts()
    return (f"Kết quả năm {ctx.year} so với {len(ctx.ev.targets)} mục tiêu của {ctx.package.plan.section('targets')}: **{counts.get(ev.MET, 0)} đạt, "
            f"{counts.get(ev.NOT_MET, 0)} không đạt, {counts.get(ev.NOT_REPORTED, 0)} chưa có số liệu** để kết luận. "
            f"Số liệu do các cơ quan, đơn vị báo cáo ({Path(ctx.actuals.source).name}); dự báo đầu năm là kịch bản "
            f"«{ctx.start.scenario_name}» của mô hình.")


def findings_markdown(ctx: EvaluationContext, topics: tuple[str, ...] | None = None) -> str:
    rows = ctx.ev.findings
    if topics is not None:
        rows = rows[rows["topic"].isin(topics)]
    return "\n".join(f"- {text}" for text in rows["text"])


def status_note() -> str:
    return ("Đánh giá: Đạt; Không đạt; Chưa có số liệu (thiếu báo cáo nên chưa kết luận được). Giá trị được so sánh "
            "sau khi làm tròn như khi in (một chữ số thập phân): đúng bằng chỉ tiêu là đạt. Dự báo đầu năm: kịch bản "
            "cơ sở của Kế hoạch, tính đến 31/12.")


# ---------------------------------------------------------------------------- by indicator


def indicator_detail(ctx: EvaluationContext) -> pd.DataFrame:
    """Each target with the rule that gives its status and what was counted."""
    t = ctx.ev.targets
    base = ctx.package.plan.base_year
    hours = _hours_header(ctx)
    rules = {
        "coverage": f"Σ người được cấp nước / Σ dân số của {len(ctx.ev.areas)} đô thị; thiếu đô thị nào thì tính khoảng (đô thị thiếu: không ai … tất cả được cấp nước)",
        "loss": "Σ(sản xuất − thương phẩm) / Σ sản xuất, các công trình vận hành có đủ hai sản lượng",
        "utilisation": f"tỷ lệ khai thác trong {fmt.vn(ev.UTILISATION_BAND_PCT[0])}–{fmt.vn(ev.UTILISATION_BAND_PCT[1])} % "
                       f"hoặc tiến gần khoảng này so với năm {base} (công trình đã vận hành năm {base})",
        "water_quality": "mọi công trình vận hành đã kiểm tra, giám sát và công bố chất lượng nước",
        "safe_supply_plan": "mọi đơn vị cấp nước có phương án cấp nước an toàn cho mọi công trình đang vận hành",
        "supply_hours": f"mọi công trình vận hành cấp nước {hours}",
    }
    return pd.DataFrame({
        "Mục tiêu": t["target_id"].map(SHORT_VI),
        "Cách đánh giá": t["target_id"].map(rules),
        "Có số liệu": [f"{int(r)}/{int(e)} {u}" for r, e, u in zip(t["reported"], t["expected"], t["unit_vi"])],
        "Đánh giá": t["status"],
    })


def indicator_frame(ctx: EvaluationContext) -> pd.DataFrame:
    """Coverage and loss: base year, start-of-year projection, achieved (or its bounds) and the target — for the chart."""
    t = ctx.ev.targets.set_index("target_id")
    rows = []
    for target_id, label in (("coverage", "Tỷ lệ bao phủ (%)"), ("loss", "Tỷ lệ thất thoát (%)")):
        r = t.loc[target_id]
        bound = r["target_min"] if target_id == "coverage" else r["target_max"]
        low, high = r.get("value_low", np.nan), r.get("value_high", np.nan)
        ranged = pd.isna(r["value"]) and pd.notna(low)
        actual = {"indicator": label, "series": f"Thực hiện {ctx.year}", "value": r["value"],
                  "low": low if ranged else np.nan, "high": high if ranged else np.nan,
                  "text": f"{fmt.vn(low, 1)}–{fmt.vn(high, 1)}" if ranged else fmt.vn(r["value"], 1) if pd.notna(r["value"]) else NR,
                  "top": high if ranged else r["value"] if pd.notna(r["value"]) else 0.0}
        rows += [
            {"indicator": label, "series": f"Năm {ctx.package.plan.base_year}", "value": r["baseline_value"]},
            {"indicator": label, "series": "Dự báo đầu năm", "value": r["projected"]},
            actual,
            {"indicator": label, "series": "Mục tiêu", "value": bound},
        ]
    frame = pd.DataFrame(rows)
    plain = frame["text"].isna()
    frame.loc[plain, "text"] = [fmt.vn(v, 1) for v in frame.loc[plain, "value"]]
    frame.loc[plain, "top"] = frame.loc[plain, "value"]
    return frame


def target_sentence(ctx: EvaluationContext, target_id: str) -> str:
    """One generated sentence per target: value, status and what is missing."""
    targets = ctx.ev.targets
    r = targets[targets["target_id"] == target_id].iloc[0]
    s = ctx.ev.systems
    scope = s[s["is_in_scope"]]
    verdict = f"Đánh giá: **{r['status']}**."
    if target_id == "coverage":
        if pd.notna(r["value"]):
            text = f"Tỷ lệ bao phủ toàn tỉnh năm {ctx.year}: {fmt.pct(r['value'])} (mục tiêu {fmt.pct(r['target_min'])})."
        else:
            lacking = ctx.ev.areas[ctx.ev.areas["served_persons"].isna() | ctx.ev.areas["population_persons"].isna()]
            text = (f"Thiếu số liệu của {len(lacking)} đô thị ({', '.join(lacking['name_vi'])}): tỷ lệ bao phủ toàn tỉnh nằm trong "
                    f"khoảng {fmt.pct(r['value_low'])}–{fmt.pct(r['value_high'])} (mục tiêu {fmt.pct(r['target_min'])}).")
        return f"{text} Dự báo đầu năm: {fmt.pct(r['projected'])}. {verdict}"
    if target_id == "loss":
        missing = scope[scope["loss_pct"].isna()]
        extra = f" Chưa có sản lượng: {', '.join(missing['name_vi'])}." if len(missing) else ""
        value = fmt.pct(r["value"]) if pd.notna(r["value"]) else NR
        return (f"Tỷ lệ thất thoát bình quân của {int(r['reported'])} công trình có đủ sản lượng: {value} "
                f"(năm {ctx.package.plan.base_year}: {fmt.pct(r['baseline_value'])}; mục tiêu ≤ {fmt.vn(r['target_max'], 1, trim=True)} %; "
                f"dự báo đầu năm {fmt.pct(r['projected'])}).{extra} {verdict}")
    if target_id == "utilisation":
        low, high = ev.UTILISATION_BAND_PCT
        away = scope[scope["utilisation_status"] == ev.NOT_MET]
        extra = f" Chưa đạt: {', '.join(away['name_vi'])}." if len(away) else ""
        return (f"{_achieved(r)} đã vận hành từ năm {ctx.package.plan.base_year} có tỷ lệ khai thác trong khoảng {fmt.vn(low)}–{fmt.vn(high)} % "
                f"hoặc tiến gần khoảng này.{extra} {verdict}")
    if target_id == "water_quality":
        no = scope[scope["quality_status"] == ev.NOT_MET]
        nr = scope[scope["quality_status"] == ev.NOT_REPORTED]
    elif target_id == "supply_hours":
        no = scope[scope["hours_status"] == ev.NOT_MET]
        nr = scope[scope["hours_status"] == ev.NOT_REPORTED]
    else:
        o = ctx.ev.operators
        no, nr = o[o["status"] == ev.NOT_MET], o[o["status"] == ev.NOT_REPORTED]
    parts = [f"{_achieved(r)} đạt yêu cầu."]
    if len(no):
        parts.append(f"Chưa đạt: {', '.join(no['name_vi'])}.")
    if len(nr):
        parts.append(f"Chưa báo cáo: {', '.join(nr['name_vi'])}.")
    return " ".join(parts + [verdict])


# ---------------------------------------------------------------------------- by area


def areas(ctx: EvaluationContext) -> pd.DataFrame:
    a = ctx.ev.areas
    return pd.DataFrame({
        "Đô thị": a["name_vi"],
        "Dân số (người)": _values(a["population_persons"]),
        "Được cấp nước (người)": _values(a["served_persons"]),
        f"Bao phủ {ctx.year} (%)": _values(a["coverage_pct"]),
        f"Năm {ctx.package.plan.base_year} (%)": a["coverage_base_pct"],
        "Chỉ tiêu Biểu 04 (%)": a["target_pct"],
        "Đánh giá": a["status"],
        "Dự báo đầu năm (%)": a["projected_coverage_pct"],
    })


def area_chart_frame(ctx: EvaluationContext) -> pd.DataFrame:
    a = ctx.ev.areas
    return pd.DataFrame({"name_vi": a["name_vi"], "actual": a["coverage_pct"], "target": a["target_pct"],
                         "projected": a["projected_coverage_pct"], "baseline": a["coverage_base_pct"], "status": a["status"]})


def attribution(ctx: EvaluationContext) -> pd.DataFrame:
    """Why the projection was wrong, area by area (percentage points of coverage), largest errors first."""
    a = ctx.ev.areas.dropna(subset=["projection_error_pct_points"])
    a = a.reindex(a["projection_error_pct_points"].abs().sort_values(ascending=False).index)
    province = ctx.ev.attribution[ctx.ev.attribution["scope"] == "province"].set_index("component")
    frame = pd.DataFrame({
        "Đô thị": a["name_vi"],
        "Thực tế (%)": a["coverage_pct"],
        "Dự báo (%)": a["projected_coverage_pct"],
        "Chênh lệch (điểm %)": a["projection_error_pct_points"],
        "Do dân số (điểm %)": a["effect_population_pct_points"],
        "Do tiến độ dự án (điểm %)": _values(a["effect_timing_pct_points"]),
        "Do đấu nối dự án (điểm %)": _values(a["effect_uptake_pct_points"]),
        "Khác (điểm %)": a["effect_other_pct_points"],
        "Nguyên nhân chính": a["main_cause_vi"],
    })
    if len(province):
        first = ctx.ev.attribution[ctx.ev.attribution["scope"] == "province"].iloc[0]
        total = {
            "Đô thị": first["name_vi"], "Thực tế (%)": first["actual_pct"], "Dự báo (%)": first["projected_pct"],
            "Chênh lệch (điểm %)": first["actual_pct"] - first["projected_pct"],
            "Do dân số (điểm %)": province.at["population", "pct_points"],
            "Do tiến độ dự án (điểm %)": _value(province.at["timing", "pct_points"]),
            "Do đấu nối dự án (điểm %)": _value(province.at["uptake", "pct_points"]),
            "Khác (điểm %)": province.at["other", "pct_points"],
            "Nguyên nhân chính": "",
        }
        frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    return frame


def attribution_chart_frame(ctx: EvaluationContext) -> pd.DataFrame:
    at = ctx.ev.attribution.dropna(subset=["pct_points"])
    return at[at["pct_points"].abs() > 0.005].assign(label=lambda f: f["component_vi"].str.capitalize())


# ---------------------------------------------------------------------------- by system


def systems_loss(ctx: EvaluationContext) -> pd.DataFrame:
    s = ctx.ev.systems
    scope = s["is_in_scope"]
    return pd.DataFrame({
        "Công trình": s["name_vi"],
        "Sản xuất (m³/ngày đêm)": _values(s["production_m3_per_day"], scope),
        "Thương phẩm (m³/ngày đêm)": _values(s["billed_m3_per_day"], scope),
        f"Thất thoát {ctx.year} (%)": _values(s["loss_pct"], scope),
        f"Năm {ctx.package.plan.base_year} (%)": s["loss_base_pct"],
        "Thay đổi (điểm %)": s["loss_change_pct_points"],
        "Dự báo đầu năm (%)": s["projected_loss_pct"].where(scope),
        "Mức độ": s["loss_class"].where(s["loss_class"].notna(), fmt.MISSING),
        f"Đánh giá ({ctx.package.plan.target('loss').text()})": s["loss_status"].map(_status),
    })


def _hours_header(ctx: EvaluationContext) -> str:
    hours = ctx.package.plan.targets.get("supply_hours")
    return hours.text() if hours is not None else "Thời gian cấp nước"


def systems_service(ctx: EvaluationContext) -> pd.DataFrame:
    s = ctx.ev.systems
    scope = s["is_in_scope"]
    state = s["status_reported"].map(ev.SYSTEM_STATUS_VI)
    return pd.DataFrame({
        "Công trình": s["name_vi"],
        "Tình trạng": state.where(state.notna(), NR),
        "Giờ cấp nước (giờ/ngày)": _values(s["supply_hours_per_day"], scope),
        _hours_header(ctx): s["hours_status"].map(_status),
        "Công bố chất lượng nước": [_yes_no(v, a) for v, a in zip(s["is_quality_published"], scope)],
        "Phương án cấp nước an toàn": [_yes_no(v, a) for v, a in zip(s["has_safe_supply_plan"], scope)],
        "Đấu nối (hộ)": [_value(v, a) if pd.notna(v) else fmt.MISSING for v, a in zip(s["connections_households"], scope)],
    })


def systems_utilisation(ctx: EvaluationContext) -> pd.DataFrame:
    s = ctx.ev.systems
    scope = s["is_in_scope"]
    return pd.DataFrame({
        "Công trình": s["name_vi"],
        "Công suất (m³/ngày đêm)": s["design_capacity_m3_per_day"],
        "Nguồn số công suất": s["capacity_source_vi"].where(s["capacity_source_vi"].notna(), fmt.MISSING),
        f"Khai thác {ctx.year} (%)": _values(s["utilisation_pct"], scope),
        f"Năm {ctx.package.plan.base_year} (%)": s["utilisation_base_pct"],
        "Mức độ": s["utilisation_class"].where(s["utilisation_class"].notna(), fmt.MISSING),
        "Đánh giá": s["utilisation_status"].map(_status),
    })


def system_chart_frame(ctx: EvaluationContext) -> pd.DataFrame:
    s = ctx.ev.systems[ctx.ev.systems["is_in_scope"]]
    return pd.DataFrame({"name_vi": s["name_vi"], "actual": s["loss_pct"], "baseline": s["loss_base_pct"],
                         "projected": s["projected_loss_pct"], "status": s["loss_status"], "loss_class": s["loss_class"]})


def operators(ctx: EvaluationContext) -> pd.DataFrame:
    o = ctx.ev.operators
    return pd.DataFrame({
        "Đơn vị cấp nước": o["name_vi"],
        "Công trình đang vận hành": o["systems_in_scope"],
        "Có phương án": o["systems_with_plan"],
        "Chưa có phương án": o["systems_without_plan"],
        "Chưa báo cáo": o["systems_not_reported"],
        "Đánh giá": o["status"].map(_status),
    })


# ---------------------------------------------------------------------------- by project


def _date(value: object) -> str:
    return NR if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%d/%m/%Y")


def projects_timing(ctx: EvaluationContext) -> pd.DataFrame:
    p = ctx.ev.projects
    in_use = p["status"] == "in_use"
    return pd.DataFrame({
        "TT": p["project_no"].astype(str),
        "Dự án": p["name_vi"].map(_short),
        "Tình trạng": p["status_vi"].where(p["status_vi"].notna(), NR),
        "Đưa vào sử dụng": [_date(d) if u else fmt.MISSING if pd.notna(s) else NR
                             for d, u, s in zip(p["commissioning_date"], in_use, p["status"])],
        "Giả định đầu năm": [ctx.package.plan.month_text(m) if pd.notna(m) else fmt.MISSING for m in p["assumed_commissioning_month"]],
        "Chênh lệch (tháng)": p["delay_months"],
        f"Đánh giá (hoàn thành năm {ctx.package.plan.plan_year})": p["timing_status"].map(_status),
    })


def projects_money(ctx: EvaluationContext) -> pd.DataFrame:
    p = ctx.ev.projects
    return pd.DataFrame({
        "TT": p["project_no"].astype(str),
        "Chủ đầu tư": p["investor_vi"],
        "Tổng mức (tỷ đồng)": p["cost_billion_vnd"],
        "Đã giải ngân (tỷ đồng)": _values(p["disbursed_billion_vnd"]),
        "Tỷ lệ giải ngân (%)": _values(p["disbursed_pct"]),
        "Trong tổng mức": p["cost_status"].map(_status),
    })


def projects_people(ctx: EvaluationContext) -> pd.DataFrame:
    p = ctx.ev.projects[ctx.ev.projects["beneficiaries_persons"].notna()]
    not_in_use = p["status"].isin(["not_started", "under_way", "finished"])
    return pd.DataFrame({
        "TT": p["project_no"].astype(str),
        "Dự án": p["name_vi"].map(_short),
        "Dự kiến (Mục VI, người)": p["beneficiaries_persons"],
        "Dự báo đầu năm đến 31/12 (người)": p["expected_connections_persons"],
        "Thực tế (người)": [0 if n and pd.isna(c) else _value(c) for c, n in zip(p["connected_persons"], not_in_use)],
        "Đạt so với dự kiến (%)": _values(p["connected_pct"], ~not_in_use | p["connected_pct"].notna()),
        "Đánh giá": p["people_status"].map(_status),
    })


def project_chart_frame(ctx: EvaluationContext) -> pd.DataFrame:
    p = ctx.ev.projects[ctx.ev.projects["beneficiaries_persons"].notna()]
    rows = []
    for r in p.itertuples():
        label = f"Dự án {r.project_no}"
        rows += [{"project": label, "series": "Dự kiến (Mục VI)", "persons": r.beneficiaries_persons},
                 {"project": label, "series": "Dự báo đầu năm", "persons": r.expected_connections_persons},
                 {"project": label, "series": f"Thực tế {ctx.year}", "persons": r.connected_persons if r.status == "in_use" else
                  (0.0 if r.status in ("not_started", "under_way", "finished") else np.nan)}]
    return pd.DataFrame(rows)


def _short(name: str, limit: int = 70) -> str:
    return name if len(name) <= limit else name[: limit - 1].rsplit(" ", 1)[0] + "…"


# ---------------------------------------------------------------------------- by agency


def agencies(ctx: EvaluationContext) -> pd.DataFrame:
    a = ctx.ev.agencies
    return pd.DataFrame({
        "Cơ quan, đơn vị": a["agency_vi"],
        "Số nhiệm vụ": a["tasks"],
        "Đã hoàn thành": a["done"],
        "Đang thực hiện": a["in_progress"],
        "Chưa thực hiện": a["not_started"],
        "Chưa báo cáo": a["not_reported"],
    })


def tasks(ctx: EvaluationContext, agency_id: str) -> pd.DataFrame:
    t = ctx.ev.tasks[ctx.ev.tasks["agency_id"] == agency_id]
    return pd.DataFrame({
        "Nhiệm vụ (Mục VII)": t["task_vi"],
        "Tình trạng": t["status_vi"],
        "Kết quả, ghi chú": [n if isinstance(n, str) and n.strip() else fmt.MISSING for n in t["note"]],
    })


def agency_chart_frame(ctx: EvaluationContext) -> pd.DataFrame:
    a = ctx.ev.agencies
    long = a.melt(id_vars=["agency_vi"], value_vars=["done", "in_progress", "not_started", "not_reported"],
                  var_name="state", value_name="count")
    labels = {"done": "Đã hoàn thành", "in_progress": "Đang thực hiện", "not_started": "Chưa thực hiện", "not_reported": ev.NOT_REPORTED}
    return long.assign(state_vi=long["state"].map(labels))


# ---------------------------------------------------------------------------- appendix


def received(ctx: EvaluationContext) -> pd.DataFrame:
    """What was reported: rows with data and cells left empty, per table."""
    rows = []
    expected = {"area_results": len(ctx.package.urban_areas), "system_results": len(ctx.package.systems),
                "project_results": len(ctx.package.projects), "task_results": len(ctx.package.agency_tasks)}
    for table in ACTUALS_TABLES:
        frame = ctx.actuals.tables[table.name]
        inputs = [c.name for c in table.fields if not getattr(c, "prefilled", False) and c.name not in ("source", "note")]
        filled = frame[inputs].notna() if len(frame) else pd.DataFrame(columns=inputs)
        rows.append({
            "Bảng (trang Excel)": f"{table.sheet_vi} ({table.name})",
            "Số dòng phải báo cáo": expected[table.name],
            "Số dòng có số liệu": int(filled.any(axis=1).sum()) if len(filled) else 0,
            "Số ô còn trống": int(expected[table.name] * len(inputs) - filled.to_numpy().sum()),
        })
    return pd.DataFrame(rows)


def source_sentence(ctx: EvaluationContext) -> str:
    kind = "bảng tính Excel" if ctx.actuals.kind == "xlsx" else "các tệp CSV trong thư mục"
    text = (f"Số liệu năm {ctx.year}: {kind} `{Path(ctx.actuals.source).name}`, đã kiểm tra theo cùng các quy tắc của gói dữ liệu "
            f"(kiểu, đơn vị, khoảng giá trị, mã đô thị, công trình, dự án, nhiệm vụ).")
    if ctx.ev.is_illustrative:
        text += f" **{BANNER}.**"
    return text


def method_markdown(ctx: EvaluationContext) -> str:
    low, high = ev.UTILISATION_BAND_PCT
    base = ctx.package.plan.base_year
    return "\n".join([
        "- **Đánh giá**: Đạt, Không đạt, Chưa có số liệu (thiếu báo cáo nên chưa kết luận được), Không áp dụng (—). "
        + ctx.package.plan.comparison_rule_vi(),
        "- **Ô trống là chưa có số liệu**, không bao giờ được hiểu là số 0; kết luận chỉ được đưa ra khi phần còn thiếu "
        "không thể làm thay đổi kết luận.",
        f"- **Tỷ lệ bao phủ** toàn tỉnh: tổng số người được cấp nước chia tổng dân số của {len(ctx.ev.areas)} đô thị. Khi thiếu số liệu "
        "một số đô thị, tính khoảng giá trị (đô thị thiếu không ai … tất cả được cấp nước, theo dân số báo cáo hoặc dân số Biểu 04).",
        "- **Tỷ lệ thất thoát** bình quân: Σ(sản xuất − thương phẩm) / Σ sản xuất của các công trình vận hành có đủ hai "
        "sản lượng; sản lượng báo cáo theo năm được quy về m³/ngày đêm (365 ngày).",
        f"- **Hiệu quả khai thác công suất** (mục tiêu định tính): một công trình đạt khi tỷ lệ khai thác "
        f"(sản lượng / công suất thiết kế) nằm trong {fmt.vn(low)}–{fmt.vn(high)} % — giữa nhóm khai thác thấp và nhóm tiệm cận "
        f"công suất của {ctx.package.plan.section('orientation')} — hoặc tiến gần khoảng đó so với năm {base}. "
        f"Công suất: số báo cáo, nếu không có thì số năm {base}.",
        "- **Chất lượng nước, phương án cấp nước an toàn, thời gian cấp nước**: mục tiêu 100 %; không đạt ngay khi một công "
        "trình (đơn vị) chắc chắn không đạt, chưa có số liệu khi chưa ai không đạt nhưng còn nơi chưa báo cáo.",
        "- **Dự báo đầu năm**: kịch bản cơ sở của Kế hoạch (mô hình dự báo), giá trị tất định đến 31/12. Chênh lệch "
        "bao phủ của mỗi đô thị được tách thành: dân số (cùng số người được cấp nước trên dân số thực tế thay cho dân số dự báo); "
        "tiến độ dự án (chạy lại dự báo với ngày đưa vào sử dụng thực tế); đấu nối dự án (số người đấu nối thực tế so với "
        "đường cong đấu nối của mô hình tại ngày đó); khác (mở rộng mạng lưới, đấu nối do tăng dân cư, sai số số liệu).",
    ])


__all__ = ["load_evaluation", "EvaluationContext", "BANNER", "summary", "banner"]
