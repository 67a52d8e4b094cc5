"""What the evaluation document shows: the evaluation loaded once, its frames with Vietnamese headers, its sentences.

Every notebook of the evaluation (``notebooks/eval_*.ipynb``) calls
:func:`load_evaluation` with its parameters and shows the frames below with
:func:`capnuoc_model.publish.notebook_output.table`. In those frames a value nobody reported
is the text "chưa có số liệu", never a zero; "—" marks what does not apply.
A target's figures are written once (:func:`target_cells`) and every place that
shows them (page one, chapter 2, the command line) uses that text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from capnuoc_model.data import fmt, io
from capnuoc_model.data.errors import CapnuocInputError, Violation
from capnuoc_model.evaluation import actuals_io
from capnuoc_model.evaluation import evaluation as ev
from capnuoc_model.evaluation.actuals import ACTUALS_TABLES, Actuals, columns_of, parse_date
from capnuoc_model.model.scenario import load_scenario
from capnuoc_model.publish.report_inputs import BASELINE_SCENARIO, DEFAULT_CACHE, cached_run

BANNER = "SỐ LIỆU MINH HỌA — không phải kết quả thực tế"
NR = fmt.NOT_REPORTED
SHORT_VI = ev.TARGET_SHORT_VI
MEASURED_VI = {  # what each unit of measure of the targets table counts, and how (chapter 2, method appendix)
    "pct_population": "Σ người được cấp nước / Σ dân số của các đô thị",
    "pct_production": "Σ(sản xuất − thương phẩm) / Σ sản xuất của các công trình đang vận hành",
    "pct_systems": "tỷ lệ công trình đang vận hành báo cáo «có»",
    "pct_operators": "tỷ lệ đơn vị cấp nước có «có» ở mọi công trình đang vận hành của đơn vị",
    "hours_per_day": "mọi công trình đang vận hành nằm trong khoảng chỉ tiêu",
    "none": "mọi công trình đã vận hành từ năm hiện trạng đạt quy tắc khai thác công suất (xem Phụ lục)",
}


def widths(ctx: EvaluationInputs) -> dict[str, int]:
    """Relative column widths of the document's tables in PDF and DOCX (other columns count 3)."""
    return {keep_together(k): v for k, v in _widths_by_header(ctx.year, ctx.package.plan).items()}


def _widths_by_header(year: int, plan) -> dict[str, int]:
    return {"TT": 1, target_header(plan): 7, "Đánh giá": 4, f"Chỉ tiêu {year}": 5, f"Thực hiện {year}": 5, "Khoảng cách đến mục tiêu": 5,
            "Số liệu": 5, "Dự báo đầu năm": 3, f"Năm {plan.base_year}": 3, "Mục tiêu": 4, "Cách đánh giá": 9, "Nguyên nhân chính": 7,
            "Đô thị": 4, "Công trình": 7, "Dự án": 9, "Chủ đầu tư": 6, "Cơ quan, đơn vị": 5, "Đơn vị cấp nước": 7,
            f"Nhiệm vụ ({plan.section('tasks')})": 10, "Kết quả, ghi chú": 6,
            "Bảng (trang Excel)": 5, "Khoảng có thể": 4, "Căn cứ": 8, "Nội dung": 10, "Nơi": 6}


def target_header(plan) -> str:
    """'Mục tiêu (Mục III.3)': the header of the targets' column, citing the plan's section of targets."""
    return f"Mục tiêu ({plan.section('targets')})"


# ---------------------------------------------------------------------------- the projection the year started with


@dataclass(frozen=True)
class ProjectionSettings:
    """Scenario, --set, draws and seed of the start-of-year projection, and where they come from."""

    scenario: Path
    sets: list[str]
    draws: int
    seed: int
    source_vi: str
    manifest: Path | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)


def projection_settings(scenario: str | Path = BASELINE_SCENARIO, sets: list[str] | tuple[str, ...] = (), draws: int = 10_000,
                        seed: int = 20260515, plan_manifest: str | Path | None = None) -> ProjectionSettings:
    """The projection the plan published: from its ``manifest.json`` when given, else the same settings rerun.

    Either way the run is computed identically (same scenario, --set, draws, seed and data) and cached,
    so the plan and the evaluation show the same numbers; the sentence says which one was used.
    """
    warnings: list[str] = []
    manifest = Path(plan_manifest) if plan_manifest else None
    if manifest is not None:
        document = io.read_json(manifest)
        arguments = document.get("arguments") or {}
        if not {"scenario", "draws", "seed"} <= set(arguments):
            raise CapnuocInputError([Violation(io.display_path(manifest), None, "arguments", "không phải manifest của tài liệu Kế hoạch",
                                               "tệp manifest.json trong thư mục tài liệu Kế hoạch (capnuoc report plan)")])
        scenario, sets = Path(arguments["scenario"]), list(arguments.get("sets") or [])
        draws, seed = int(arguments["draws"]), int(arguments["seed"])
        for record in document.get("inputs", []):
            path = Path(record.get("absolute", ""))
            if not path.exists() or io.sha256_file(path) != record.get("sha256"):
                warnings.append(f"tệp {record.get('path')} đã thay đổi sau khi công bố Kế hoạch")
    chosen = load_scenario(io.resolve(scenario), list(sets))
    settings = (f"kịch bản «{chosen.name}»" + (f" ({'; '.join(sets)})" if sets else "")
                + f", {fmt.vn(draws)} lần mô phỏng, hạt giống {seed}")
    if manifest is not None:
        source = f"dự báo của Kế hoạch đã công bố, đọc từ hồ sơ tái lập kèm tài liệu Kế hoạch: {settings}, cùng bộ dữ liệu"
        if warnings:
            source += " (dữ liệu đã thay đổi sau khi công bố: " + "; ".join(warnings) + "; dự báo được tính lại trên dữ liệu hiện hành)"
    else:
        source = (f"dự báo của Kế hoạch chạy lại y hệt: {settings}, cùng bộ dữ liệu "
                  "(không có hồ sơ tái lập của tài liệu Kế hoạch để đọc)")
    return ProjectionSettings(io.resolve(scenario), list(sets), int(draws), int(seed), source, manifest, tuple(warnings))


def data_date_of(text: str | dt.date | None, year: int, plan) -> dt.date:
    """The date the reports describe: given (dd/mm/yyyy), else the plan's report deadline; inside the evaluated year."""
    if isinstance(text, dt.date):
        date = text
    elif text is None or not str(text).strip():
        return ev.default_data_date(plan, year)
    else:
        date = parse_date(str(text))
        if date is None:
            raise CapnuocInputError([Violation("--data-date", None, None, f"'{text}' không phải là ngày", "ngày dạng dd/mm/yyyy")])
    if date.year != int(year):
        raise CapnuocInputError([Violation("--data-date", None, None, f"ngày {date:%d/%m/%Y} không thuộc năm {year}",
                                           f"một ngày trong năm {year} (mặc định {plan.report_deadline}/{year})")])
    return date


@dataclass(frozen=True)
class EvaluationInputs:
    """What a chapter of the evaluation needs: the package, the reports, their evaluation and the start of the year."""

    package: io.DataPackage
    actuals: Actuals
    ev: ev.Evaluation
    start: ev.StartOfYear
    year: int


def load_evaluation(actuals: str | Path | None = None, year: int | None = None, scenario: str | Path = BASELINE_SCENARIO,
                    sets: list[str] | tuple[str, ...] = (), draws: int = 10_000, seed: int = 20260515,
                    data_dir: str | Path = "data", cache_dir: str | Path = DEFAULT_CACHE, data_date: str = "",
                    plan_manifest: str = "") -> EvaluationInputs:
    """Data package, reports, the start-of-year projection (cached, shared with the plan) and the evaluation.

    ``scenario`` (and ``sets``) is the projection the year started with: the plan's baseline scenario, or what
    the plan's ``manifest.json`` (``plan_manifest``) says it was.
    ``actuals`` None (or empty): the package's illustrative example; ``year`` None (or 0): the plan year.
    """
    chosen = projection_settings(scenario, sets, draws, seed, plan_manifest or None)
    start_scenario = load_scenario(chosen.scenario, chosen.sets)
    path = None
    if actuals:  # kept in the cache under a key of everything it is computed from (the chapters share it)
        from capnuoc_model.publish.report_inputs import content_key

        key = content_key(io.resolve(data_dir), kind="evaluation", year=year, data_date=str(data_date),
                          actuals=[io.sha256_file(p) for p in actuals_io.actuals_files(io.resolve(actuals))], file=str(io.resolve(actuals)),
                          settings=repr(chosen), scenario=start_scenario.fingerprint())
        path = io.resolve(cache_dir) / f"evaluation-{key}.pkl"
        cached = io.read_pickle(path)
        if isinstance(cached, EvaluationInputs):  # kept without its start of year (which holds functions): made again
            run = cached_run(cached.package, start_scenario, chosen.draws, chosen.seed, io.resolve(cache_dir))
            return replace(cached, start=ev.start_of_year(run, cached.year, chosen.source_vi))
    package = io.load_package(io.resolve(data_dir))
    actuals = actuals or package.plan.evaluation_example
    year = year or package.plan.plan_year
    reported = actuals_io.load_actuals(io.resolve(actuals), package, int(year))
    run = cached_run(package, start_scenario, chosen.draws, chosen.seed, io.resolve(cache_dir))
    start = ev.start_of_year(run, int(year), chosen.source_vi)
    evaluation = ev.evaluate(package, reported, start, data_date_of(data_date, int(year), package.plan))
    inputs = EvaluationInputs(package, reported, evaluation, start, int(year))
    if path is not None:
        io.write_pickle(replace(inputs, start=None), path)
    return inputs


# ---------------------------------------------------------------------------- cells


def keep_together(text: object) -> object:
    """Non-breaking spaces where a number must not wrap away from its unit ('81,9 %', '20 giờ')."""
    if not isinstance(text, str):
        return text
    return fmt.keep_units(text)


def _frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell and header of a document table with its units kept on the number's line."""
    out = frame.copy()
    out.columns = [keep_together(c) for c in out.columns]
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = pd.Series([keep_together(v) for v in out[column]], index=out.index, dtype=object)
    return out


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


def _target_row(ctx: EvaluationInputs, measure: str) -> pd.Series | None:
    rows = ctx.ev.targets[ctx.ev.targets["measure"] == measure]
    return rows.iloc[0] if len(rows) else None


# ---------------------------------------------------------------------------- a target's figures, written once


def target_cells(row: pd.Series) -> dict[str, str]:
    """The texts of one target: what it asks, what was achieved (or could be), who reported, the gap or what is missing."""
    measure, unit = row["measure"], row["unit_vi"]
    low, high = row["target_min"], row["target_max"]
    if row["is_yes_no"] and not row["is_every_unit"]:
        asks = f"{fmt.vn(low)} % {unit}"
    elif measure == "hours_per_day":
        asks = f"{fmt.vn(low)}–{fmt.vn(high)} giờ/ngày, mọi {unit}"
    elif row["is_every_unit"]:
        asks = "nâng hiệu quả (định tính)"
    elif pd.notna(low) and pd.notna(high):
        asks = f"{fmt.vn(low, 1, trim=True)}–{fmt.pct(high)}"
    elif pd.notna(low):
        asks = f"≥ {fmt.pct(low)}"
    else:
        asks = f"≤ {fmt.vn(high, 1, trim=True)} %"
    reported, expected = int(row["reported"]), int(row["expected"])
    counted = f"{reported}/{expected} {unit} báo cáo" if expected else fmt.MISSING
    if expected == 0:
        achieved = fmt.MISSING
    elif reported == 0 and row["status"] == ev.NOT_REPORTED:
        achieved = NR
    elif row["is_yes_no"]:
        met, not_met = int(row["met_units"]), int(row["not_met_units"])
        if reported == expected:
            achieved = f"{met}/{expected} {unit} đạt"
        else:
            achieved = f"{met} đạt, {not_met} không đạt, {expected - reported} chưa báo cáo"
    elif pd.notna(row["value"]) or ev.printed(row["value_low"]) == ev.printed(row["value_high"]):
        achieved = fmt.pct(row["value"] if pd.notna(row["value"]) else row["value_low"])
    else:
        achieved = ev.range_text(row["value_low"], row["value_high"])  # a range: what the value could be
    status = row["status"]
    if status == ev.MET or status == ev.NOT_APPLICABLE:
        gap = fmt.MISSING
    elif status in (ev.INSUFFICIENT, ev.NOT_REPORTED):
        pending = [p for p in str(row["pending_vi"]).split(", ") if p and p != "nan"]
        gap = f"cần số liệu của {len(pending)} {unit}" if pending else fmt.MISSING
    elif row["is_yes_no"]:
        parts = [f"{int(row['not_met_units'])} chưa đạt"]
        if reported < expected:
            parts.append(f"{expected - reported} chưa báo cáo")
        gap = ", ".join(parts)
    else:
        above = pd.notna(high) and ev.printed(row["value_low"]) > high
        word = "cao hơn" if above else "thiếu"
        prefix = "" if pd.notna(row["value"]) or ev.printed(row["value_low"]) == ev.printed(row["value_high"]) else "ít nhất "
        gap = f"{word} {prefix}{fmt.vn(row['gap'], 1)} điểm %"
    return {"asks": asks, "achieved": achieved, "counted": counted, "status": status, "gap": gap}


def summary(ctx: EvaluationInputs) -> pd.DataFrame:
    """The plan's targets: target, base year, achieved, who reported, projected, status, gap (page one)."""
    return _frame(summary_frame(ctx.ev))


def summary_frame(evaluation: ev.Evaluation) -> pd.DataFrame:
    t = evaluation.targets
    cells = [target_cells(r) for _, r in t.iterrows()]
    projected = [fmt.pct(v) if pd.notna(v) else fmt.MISSING for v in t["projected"]]
    baseline = [fmt.pct(v) if pd.notna(v) else fmt.MISSING for v in t["baseline_value"]]
    return pd.DataFrame({
        "TT": [str(i) for i in range(1, len(t) + 1)],
        target_header(evaluation.plan): [ev.short_label(r) for _, r in t.iterrows()],
        f"Chỉ tiêu {evaluation.year}": [c["asks"] for c in cells],
        f"Năm {evaluation.plan.base_year}": baseline,
        f"Thực hiện {evaluation.year}": [c["achieved"] for c in cells],
        "Số liệu": [c["counted"] for c in cells],
        "Dự báo đầu năm": projected,
        "Đánh giá": t["status"].to_numpy(),
        "Khoảng cách đến mục tiêu": [c["gap"] for c in cells],
    })


def banner(ctx: EvaluationInputs) -> str | None:
    """The warning shown first when the reports are the shipped example."""
    if not ctx.ev.is_illustrative:
        return None
    return f"> **{BANNER}:** bộ số liệu ví dụ, chỉ để minh họa quy trình đánh giá; không dùng để báo cáo."


def _counts_text(evaluation: ev.Evaluation) -> str:
    counts = evaluation.targets["status"].value_counts()
    undecided = counts.get(ev.INSUFFICIENT, 0) + counts.get(ev.NOT_REPORTED, 0)
    return f"{counts.get(ev.MET, 0)} đạt, {counts.get(ev.NOT_MET, 0)} không đạt, {undecided} chưa đủ số liệu"


def summary_sentence(ctx: EvaluationInputs) -> str:
    date = ctx.ev.data_date
    when = f" tính đến ngày {date:%d/%m/%Y}" if date else ""
    return keep_together(
        f"Kết quả năm {ctx.year} so với {len(ctx.ev.targets)} mục tiêu của {ctx.package.plan.section('targets')}: **{_counts_text(ctx.ev)}** để kết luận. "
        f"Số liệu do các cơ quan, đơn vị báo cáo{when}; các mục tiêu đặt cho ngày 31/12/{ctx.year}. "
        f"Dự báo đầu năm: {ctx.ev.projection_source_vi}.")


def findings_markdown(ctx: EvaluationInputs, topics: tuple[str, ...] | None = None) -> str:
    rows = ctx.ev.findings
    if topics is not None:
        rows = rows[rows["topic"].isin(topics)]
    return keep_together("\n".join(f"- {text}" for text in rows["text"]))


def status_note(ctx: EvaluationInputs | None = None) -> str:
    date = ctx.ev.data_date if ctx is not None else None
    when = f" đến {date:%d/%m/%Y}" if date else ""
    return keep_together(
        "Đạt, Không đạt: đúng với mọi giá trị có thể của số liệu còn thiếu; Chưa đủ số liệu: số liệu còn thiếu có thể đổi "
        f"kết luận (Thực hiện: khoảng có thể). Số liệu tính{when}, dự báo đến 31/12. Cách đánh giá: Phụ lục.")


# ---------------------------------------------------------------------------- by indicator


def _rule_text(row: pd.Series) -> str:
    rule = MEASURED_VI.get(row["measure"], "")
    if row["measure"] == "pct_population":
        rule += "; đô thị chưa báo cáo: tính theo khoảng có thể (Phụ lục)"
    elif row["measure"] == "pct_production":
        rule += "; công trình chưa báo cáo: tính theo khoảng có thể (Phụ lục)"
    elif row["measure"] == "hours_per_day":
        rule = f"mọi công trình đang vận hành cấp nước từ {fmt.vn(row['target_min'])} đến {fmt.vn(row['target_max'])} giờ/ngày"
    return rule


def indicator_detail(ctx: EvaluationInputs) -> pd.DataFrame:
    """Each target with the rule that gives its status and what was counted (the same texts as page one)."""
    t = ctx.ev.targets
    cells = [target_cells(r) for _, r in t.iterrows()]
    return _frame(pd.DataFrame({
        "Mục tiêu": [ev.short_label(r) for _, r in t.iterrows()],
        "Cách đánh giá": [_rule_text(r) for _, r in t.iterrows()],
        "Số liệu": [c["counted"] for c in cells],
        "Thực hiện": [c["achieved"] for c in cells],
        "Đánh giá": t["status"].to_numpy(),
    }))


def indicator_frame(ctx: EvaluationInputs) -> pd.DataFrame:
    """The targets with a province value: base year, start-of-year projection, achieved (or its range), target — for the chart."""
    rows = []
    for _, r in ctx.ev.targets[~ctx.ev.targets["is_yes_no"]].iterrows():
        label = f"{ev.short_label(r)} (%)"
        bound = r["target_min"] if pd.notna(r["target_min"]) else r["target_max"]
        low, high = r["value_low"], r["value_high"]
        ranged = pd.isna(r["value"]) and pd.notna(low) and ev.printed(low) != ev.printed(high)
        value = r["value"] if pd.notna(r["value"]) else low  # a range: the bar up to what holds for sure, a whisker beyond
        actual = {"indicator": label, "series": f"Thực hiện {ctx.year}", "value": value,
                  "low": low if ranged else np.nan, "high": high if ranged else np.nan, "status": r["status"],
                  "text": ev.range_text(low, high, "").strip() if ranged else fmt.vn(value, 1) if pd.notna(value) else NR,
                  "top": high if ranged else value if pd.notna(value) else 0.0}
        rows += [
            {"indicator": label, "series": f"Năm {ctx.package.plan.base_year}", "value": r["baseline_value"], "status": None},
            {"indicator": label, "series": "Dự báo đầu năm", "value": r["projected"], "status": None},
            actual,
            {"indicator": label, "series": "Mục tiêu", "value": bound, "status": None, "target": bound},
        ]
    frame = pd.DataFrame(rows)
    plain = frame["text"].isna()
    frame.loc[plain, "text"] = [fmt.vn(v, 1) for v in frame.loc[plain, "value"]]
    frame.loc[plain, "top"] = frame.loc[plain, "value"]
    frame["target"] = frame.groupby("indicator")["target"].transform("max")
    return frame


def target_sentence(ctx: EvaluationInputs, target_id: str) -> str:
    """One generated sentence per target: value, who reported, status and what would settle it."""
    targets = ctx.ev.targets
    r = targets[targets["target_id"] == target_id].iloc[0]
    cells = target_cells(r)
    verdict = f"Đánh giá: **{r['status']}**."
    ranged = not r["is_yes_no"] and pd.isna(r["value"]) and ev.printed(r["value_low"]) != ev.printed(r["value_high"])
    achieved = f"trong khoảng {cells['achieved']}" if ranged else cells["achieved"]
    parts = [f"{ev.short_label(r)}: {achieved} ({cells['counted']}; chỉ tiêu {cells['asks']})."]
    if pd.notna(r["baseline_value"]) or pd.notna(r["projected"]):
        parts.append(f"Năm {ctx.package.plan.base_year}: {fmt.pct(r['baseline_value'])}; dự báo đầu năm: {fmt.pct(r['projected'])}.")
    if r["is_state"] and pd.notna(r["value_year_end"]) and ctx.ev.data_date is not None:
        parts.append(f"Số liệu tính đến ngày {ctx.ev.data_date:%d/%m/%Y}; nếu giữ tốc độ tăng từ đầu năm, đến 31/12/{ctx.year} ước đạt "
                     f"{fmt.pct(r['value_year_end'])}. Đánh giá dựa trên số liệu báo cáo, không dựa trên số ước.")
    column = f"{target_id}_status"
    frame = ctx.ev.systems if column in ctx.ev.systems else ctx.ev.operators if column in ctx.ev.operators else None
    if frame is not None and r["is_yes_no"]:  # a province value: its systems are in the tables by system
        no = frame[frame[column] == ev.NOT_MET]
        if len(no):
            parts.append(f"Chưa đạt: {', '.join(no['name_vi'])}.")
    pending = [p for p in str(r["pending_vi"]).split(", ") if p and p != "nan"]
    if r["status"] in (ev.INSUFFICIENT, ev.NOT_REPORTED) and pending:
        if r["is_yes_no"]:
            span = (f"từ {int(r['met_units'])} đến {int(r['expected'] - r['not_met_units'])} trên {int(r['expected'])} "
                    f"{r['unit_vi']} có thể đạt")
        else:
            span = f"giá trị có thể là {ev.range_text(r['value_low'], r['value_high'], prefix='từ ')}"
        parts.append(f"Với các số liệu còn thiếu, {span}; báo cáo của {', '.join(pending)} sẽ quyết định kết luận.")
    elif pending:
        parts.append(f"Chưa báo cáo: {', '.join(pending)} (dù báo cáo thế nào cũng không thay đổi kết luận).")
    return keep_together(" ".join(parts + [verdict]))


def utilisation_note(ctx: EvaluationInputs) -> str:
    low, high = ev.UTILISATION_BAND_PCT
    return keep_together(
        f"Đánh giá: đạt khi tỷ lệ khai thác trong khoảng {fmt.vn(low)}–{fmt.vn(high)} % hoặc tiến gần khoảng này so với năm {ctx.package.plan.base_year}; "
        f"công trình có dự án nâng công suất đã đưa vào sử dụng trong năm: đạt khi tỷ lệ khai thác không quá {fmt.vn(high)} % "
        "(công suất mới đủ đáp ứng nhu cầu, tỷ lệ giảm là do nâng công suất theo Kế hoạch). — : công trình không vận hành "
        "hoặc mới đưa vào sử dụng.")


# ---------------------------------------------------------------------------- by area


def areas(ctx: EvaluationInputs) -> pd.DataFrame:
    a = ctx.ev.areas
    date = ctx.ev.data_date
    reported = f"Bao phủ {date:%d/%m} (%)" if date else f"Bao phủ {ctx.year} (%)"
    return _frame(pd.DataFrame({
        "Đô thị": a["name_vi"],
        "Dân số (người)": _values(a["population_persons"]),
        "Được cấp nước (người)": _values(a["served_persons"]),
        reported: _values(a["coverage_pct"]),
        f"Ước đến 31/12 (%)": _values(a["coverage_year_end_pct"]),
        f"Năm {ctx.package.plan.base_year} (%)": a["coverage_base_pct"],
        "Chỉ tiêu Biểu 04 (%)": a["target_pct"],
        "Đánh giá": a["status"].map(_status),
        "Dự báo đầu năm (%)": a["projected_coverage_pct"],
    }))


def areas_note(ctx: EvaluationInputs) -> str:
    date = ctx.ev.data_date
    return keep_together(
        f"Bao phủ: số liệu báo cáo đến ngày {date:%d/%m/%Y}, được đánh giá so với chỉ tiêu. Ước đến 31/12: giữ tốc độ tăng "
        "dân số và số người được cấp nước từ đầu năm đến ngày báo cáo. Chỉ tiêu Biểu 04: bản dựng lại trong gói dữ liệu của "
        "Kế hoạch. — : đô thị có chỉ tiêu 0 % (chưa có hệ thống cấp nước), không áp dụng. Dự báo đầu năm: đến 31/12.")


def area_chart_frame(ctx: EvaluationInputs) -> pd.DataFrame:
    a = ctx.ev.areas
    return pd.DataFrame({"name_vi": a["name_vi"], "actual": a["coverage_pct"], "target": a["target_pct"],
                         "projected": a["projected_coverage_pct"], "baseline": a["coverage_base_pct"], "status": a["status"]})


def attribution(ctx: EvaluationInputs) -> pd.DataFrame:
    """Why the projection was wrong, area by area (percentage points of coverage), largest errors first."""
    a = ctx.ev.areas.dropna(subset=["projection_error_pct_points"])
    a = a.reindex(a["projection_error_pct_points"].abs().sort_values(ascending=False).index)
    province = ctx.ev.attribution[ctx.ev.attribution["scope"] == "province"].set_index("component")
    frame = pd.DataFrame({
        "Đô thị": a["name_vi"],
        "Thực tế (%)": a["coverage_pct"],
        "Dự báo (%)": a["projected_coverage_pct"],
        "Chênh lệch (điểm %)": [ev.shown_change(x, y) for x, y in zip(a["coverage_pct"], a["projected_coverage_pct"])],
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
            "Chênh lệch (điểm %)": ev.shown_change(first["actual_pct"], first["projected_pct"]),
            "Do dân số (điểm %)": province.at["population", "pct_points"],
            "Do tiến độ dự án (điểm %)": _value(province.at["timing", "pct_points"]),
            "Do đấu nối dự án (điểm %)": _value(province.at["uptake", "pct_points"]),
            "Khác (điểm %)": province.at["other", "pct_points"],
            "Nguyên nhân chính": "",
        }
        frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    return _frame(frame)


def attribution_chart_frame(ctx: EvaluationInputs) -> pd.DataFrame:
    at = ctx.ev.attribution.dropna(subset=["pct_points"])
    return at[at["pct_points"].abs() > 0.005].assign(label=lambda f: f["component_vi"].str.capitalize())


# ---------------------------------------------------------------------------- by system


def _loss_row(ctx: EvaluationInputs) -> pd.Series | None:
    return _target_row(ctx, "pct_production")


def loss_target_pct(ctx: EvaluationInputs) -> float | None:
    row = _loss_row(ctx)
    if row is None:
        return None
    return float(row["target_max"]) if pd.notna(row["target_max"]) else float(row["target_min"])


def _status_column(ctx: EvaluationInputs, measure: str) -> pd.Series:
    row = _target_row(ctx, measure)
    column = f"{row['target_id']}_status" if row is not None else None
    s = ctx.ev.systems
    return s[column] if column in s else pd.Series(ev.NOT_APPLICABLE, index=s.index)


def systems_loss(ctx: EvaluationInputs) -> pd.DataFrame:
    s = ctx.ev.systems
    scope = s["is_in_scope"]
    target = loss_target_pct(ctx)
    return _frame(pd.DataFrame({
        "Công trình": s["name_vi"],
        "Sản xuất (m³/ngày đêm)": _values(s["production_m3_per_day"], scope),
        "Thương phẩm (m³/ngày đêm)": _values(s["billed_m3_per_day"], scope),
        f"Thất thoát {ctx.year} (%)": _values(s["loss_pct"], scope),
        f"Năm {ctx.package.plan.base_year} (%)": s["loss_base_pct"],
        "Thay đổi (điểm %)": s["loss_change_pct_points"],
        "Dự báo đầu năm (%)": s["projected_loss_pct"].where(scope),
        "Mức độ": s["loss_class"].where(s["loss_class"].notna(), fmt.MISSING),
        f"Đánh giá (≤ {fmt.vn(target, 1, trim=True)} %)" if target is not None else "Đánh giá": _status_column(ctx, "pct_production").map(_status),
    }))


def systems_service(ctx: EvaluationInputs) -> pd.DataFrame:
    s = ctx.ev.systems
    scope = s["is_in_scope"]
    state = s["status_reported"].map(ev.SYSTEM_STATUS_VI)
    hours = _target_row(ctx, "hours_per_day")
    hours_label = f"{fmt.vn(hours['target_min'])}–{fmt.vn(hours['target_max'])} giờ" if hours is not None else "Giờ cấp nước"
    return _frame(pd.DataFrame({
        "Công trình": s["name_vi"],
        "Tình trạng": state.where(state.notna(), NR),
        "Giờ cấp nước (giờ/ngày)": _values(s["supply_hours_per_day"], scope),
        hours_label: _status_column(ctx, "hours_per_day").map(_status),
        "Công bố chất lượng nước": [_yes_no(v, a) for v, a in zip(s["is_quality_published"], scope)],
        "Phương án cấp nước an toàn": [_yes_no(v, a) for v, a in zip(s["has_safe_supply_plan"], scope)],
        "Đấu nối (hộ)": [_value(v, a) if pd.notna(v) else fmt.MISSING for v, a in zip(s["connections_households"], scope)],
    }))


def systems_utilisation(ctx: EvaluationInputs) -> pd.DataFrame:
    s = ctx.ev.systems
    scope = s["is_in_scope"]
    project = ["đã đưa vào sử dụng" if v is True else "chưa" if v is False else NR if h else fmt.MISSING
               for v, h in zip(s["capacity_project_in_use"], s["has_capacity_project"])]
    return _frame(pd.DataFrame({
        "Công trình": s["name_vi"],
        "Công suất (m³/ngày đêm)": s["design_capacity_m3_per_day"],
        "Nguồn số công suất": s["capacity_source_vi"].where(s["capacity_source_vi"].notna(), fmt.MISSING),
        "Dự án nâng công suất": project,
        f"Khai thác {ctx.year} (%)": _values(s["utilisation_pct"], scope),
        f"Năm {ctx.package.plan.base_year} (%)": s["utilisation_base_pct"],
        "Mức độ": s["utilisation_class"].where(s["utilisation_class"].notna(), fmt.MISSING),
        "Đánh giá": _status_column(ctx, "none").map(_status),
    }))


def system_chart_frame(ctx: EvaluationInputs) -> pd.DataFrame:
    s = ctx.ev.systems[ctx.ev.systems["is_in_scope"]]
    status = _status_column(ctx, "pct_production")[s.index]
    return pd.DataFrame({"name_vi": s["name_vi"], "actual": s["loss_pct"], "baseline": s["loss_base_pct"],
                         "projected": s["projected_loss_pct"], "status": status, "loss_class": s["loss_class"]})


def operators(ctx: EvaluationInputs) -> pd.DataFrame:
    o = ctx.ev.operators
    row = _target_row(ctx, "pct_operators")
    column = f"{row['target_id']}_status" if row is not None else None
    return _frame(pd.DataFrame({
        "Đơn vị cấp nước": o["name_vi"],
        "Công trình đang vận hành": o["systems_in_scope"],
        "Có phương án": o["systems_with_plan"],
        "Chưa có phương án": o["systems_without_plan"],
        "Chưa báo cáo": o["systems_not_reported"],
        "Đánh giá": o[column].map(_status) if column in o else fmt.MISSING,
    }))


# ---------------------------------------------------------------------------- by project


def _date(value: object) -> str:
    return NR if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%d/%m/%Y")


def projects_timing(ctx: EvaluationInputs) -> pd.DataFrame:
    p = ctx.ev.projects
    in_use = p["status"] == "in_use"
    return _frame(pd.DataFrame({
        "TT": p["project_no"].astype(str),
        "Dự án": p["name_vi"].map(_short),
        "Tình trạng": p["status_vi"].where(p["status_vi"].notna(), NR),
        "Đưa vào sử dụng": [_date(d) if u else fmt.MISSING if pd.notna(s) else NR
                             for d, u, s in zip(p["commissioning_date"], in_use, p["status"])],
        "Giả định đầu năm": [ctx.package.plan.month_text(m) if pd.notna(m) else fmt.MISSING for m in p["assumed_commissioning_month"]],
        "Chênh lệch (tháng)": p["delay_months"],
        f"Đánh giá (hoàn thành năm {ctx.year})": p["timing_status"].map(_status),
    }))


def projects_money(ctx: EvaluationInputs) -> pd.DataFrame:
    p = ctx.ev.projects
    return _frame(pd.DataFrame({
        "TT": p["project_no"].astype(str),
        "Chủ đầu tư": p["investor_vi"],
        "Tổng mức (tỷ đồng)": p["cost_billion_vnd"],
        "Đã giải ngân (tỷ đồng)": _values(p["disbursed_billion_vnd"]),
        "Tỷ lệ giải ngân (%)": _values(p["disbursed_pct"]),
        "Trong tổng mức": p["cost_status"].map(_status),
    }))


def projects_people(ctx: EvaluationInputs) -> pd.DataFrame:
    """People served by the people-serving projects: planned, the plan's own projection, reported, and the area's rise."""
    p = ctx.ev.projects[ctx.ev.projects["beneficiaries_persons"].notna()]
    not_in_use = p["status"].isin(["not_started", "under_way", "finished"])
    areas = ctx.ev.areas.set_index("area_id")
    change = [areas.loc[[a for a in ids.split(";") if a in areas.index], "served_change_persons"].sum(min_count=1)
              for ids in p["area_ids"]]
    return _frame(pd.DataFrame({
        "TT": p["project_no"].astype(str),
        "Dự án": p["name_vi"].map(_short),
        f"Dự kiến ({ctx.package.plan.section('projects')}, người)": p["beneficiaries_persons"],
        f"Dự báo đầu năm: tăng đến 31/12 (người)": p["projected_area_gain_persons"],
        "Đấu nối thực tế (người)": [0 if n and pd.isna(c) else _value(c) for c, n in zip(p["connected_persons"], not_in_use)],
        f"Đô thị tăng so với năm {ctx.package.plan.base_year} (người)": _values(pd.Series(change, index=p.index)),
        "Đạt so với dự kiến (%)": _values(p["connected_pct"], ~not_in_use | p["connected_pct"].notna()),
        "Đánh giá": p["people_status"].map(_status),
    }))


def projects_people_note(ctx: EvaluationInputs) -> str:
    return keep_together(
        f"Dự kiến: số người hưởng lợi ghi trong {ctx.package.plan.section('projects')}. Dự báo đầu năm: mức tăng số người được cấp nước của đô thị có dự án đến 31/12, "
        f"đúng số liệu tài liệu Kế hoạch công bố ({ctx.ev.projection_source_vi}). Đô thị tăng so với năm {ctx.package.plan.base_year}: số người được cấp "
        f"nước báo cáo trừ số năm {ctx.package.plan.base_year}; số người đấu nối của dự án không thể lớn hơn mức tăng này.")


def project_chart_frame(ctx: EvaluationInputs) -> pd.DataFrame:
    p = ctx.ev.projects[ctx.ev.projects["beneficiaries_persons"].notna()]
    rows = []
    for r in p.itertuples():
        label = f"Dự án {r.project_no}"
        rows += [{"project": label, "series": f"Dự kiến ({ctx.package.plan.section('projects')})", "persons": r.beneficiaries_persons},
                 {"project": label, "series": "Dự báo đầu năm", "persons": r.projected_area_gain_persons},
                 {"project": label, "series": f"Thực tế {ctx.year}", "persons": r.connected_persons if r.status == "in_use" else
                  (0.0 if r.status in ("not_started", "under_way", "finished") else np.nan)}]
    return pd.DataFrame(rows)


def reconciliation(ctx: EvaluationInputs) -> pd.DataFrame:
    r = ctx.ev.reconciliation
    return _frame(pd.DataFrame({
        "Dự án": r["project_nos"],
        "Đô thị": r["areas_vi"],
        "Đấu nối báo cáo (người)": _values(r["connected_persons"]),
        "Số người được cấp nước tăng (người)": _values(r["served_change_persons"]),
        "Vượt (người)": r["excess_persons"],
        "Khớp": ["có" if v is True else "không" if v is False else NR for v in r["is_consistent"]],
    }))


def _short(name: str, limit: int = 70) -> str:
    return name if len(name) <= limit else name[: limit - 1].rsplit(" ", 1)[0] + "…"


# ---------------------------------------------------------------------------- by agency


def agencies(ctx: EvaluationInputs) -> pd.DataFrame:
    a = ctx.ev.agencies
    return _frame(pd.DataFrame({
        "Cơ quan, đơn vị": a["agency_vi"],
        "Số nhiệm vụ": a["tasks"],
        "Đã hoàn thành": a["done"],
        "Đang thực hiện": a["in_progress"],
        "Chưa thực hiện": a["not_started"],
        "Chưa báo cáo": a["not_reported"],
    }))


def tasks(ctx: EvaluationInputs, agency_id: str) -> pd.DataFrame:
    t = ctx.ev.tasks[ctx.ev.tasks["agency_id"] == agency_id]
    return _frame(pd.DataFrame({
        f"Nhiệm vụ ({ctx.package.plan.section('tasks')})": t["task_vi"],
        "Tình trạng": t["status_vi"],
        "Kết quả, ghi chú": [n if isinstance(n, str) and n.strip() else fmt.MISSING for n in t["note"]],
    }))


def agency_chart_frame(ctx: EvaluationInputs) -> pd.DataFrame:
    a = ctx.ev.agencies
    long = a.melt(id_vars=["agency_vi"], value_vars=["done", "in_progress", "not_started", "not_reported"],
                  var_name="state", value_name="count")
    labels = {"done": "Đã hoàn thành", "in_progress": "Đang thực hiện", "not_started": "Chưa thực hiện", "not_reported": ev.NOT_REPORTED}
    return long.assign(state_vi=long["state"].map(labels))


# ---------------------------------------------------------------------------- appendix


def received(ctx: EvaluationInputs) -> pd.DataFrame:
    """What was reported: rows with data and cells left empty, per table."""
    rows = []
    expected = {"area_results": len(ctx.package.urban_areas), "system_results": len(ctx.package.systems),
                "project_results": len(ctx.package.projects), "task_results": len(ctx.package.agency_tasks)}
    for table in ACTUALS_TABLES:
        frame = ctx.actuals.tables[table.name]
        inputs = [c.name for c in table.fields if not getattr(c, "prefilled", False) and c.name not in ("source", "note")]
        filled = frame[inputs].notna() if len(frame) else pd.DataFrame(columns=inputs)
        rows.append({
            "Bảng (trang Excel)": table.sheet_vi,
            "Số dòng phải báo cáo": expected[table.name],
            "Số dòng có số liệu": int(filled.any(axis=1).sum()) if len(filled) else 0,
            "Số ô còn trống": int(expected[table.name] * len(inputs) - filled.to_numpy().sum()),
        })
    return _frame(pd.DataFrame(rows))


def ranges(ctx: EvaluationInputs) -> pd.DataFrame:
    """The plausible range of every missing report the targets depend on."""
    r = ctx.ev.ranges
    shown = []
    for row in r.itertuples():
        if row.unit_vi == "không/có":
            shown.append("không … có")
        else:
            decimals = 1 if row.unit_vi in ("%", "giờ/ngày") else 0
            shown.append(f"{fmt.vn(row.low, decimals)}–{fmt.vn(row.high, decimals)} {row.unit_vi}")
    return _frame(pd.DataFrame({
        "Nơi": r["name_vi"],
        "Số liệu còn thiếu": r["quantity_vi"],
        "Khoảng có thể": shown,
        "Căn cứ": r["basis_vi"],
    }))


def input_warnings(ctx: EvaluationInputs) -> pd.DataFrame:
    """Problems in the reports that did not stop the evaluation (with where they are)."""
    labels = {c.name: c.label_vi for t in ACTUALS_TABLES for c in columns_of(t)}
    rows = []
    for w in ctx.actuals.warnings:  # the reporter's own file, row and the column's header as the workbook shows it
        where = Path(w.file.split("[")[0]).name + (f"[{w.file.split('[', 1)[1]}" if "[" in w.file else "")
        column = f"«{labels[w.column]}»" if w.column in labels else w.column
        place = where + (f", dòng {w.row}" if w.row is not None else "") + (f", cột {column}" if column else "")
        rows.append({"Nơi": place, "Nội dung": f"{w.problem} (cần: {w.expected})"})
    return _frame(pd.DataFrame(rows, columns=["Nơi", "Nội dung"]))


def source_sentence(ctx: EvaluationInputs) -> str:
    kind = "bảng tính Excel" if ctx.actuals.kind == "xlsx" else "các tệp CSV trong một thư mục"
    name = "" if ctx.ev.is_illustrative else f" «{Path(ctx.actuals.source).name}»"
    text = (f"Số liệu năm {ctx.year}: {kind}{name}, tính đến ngày {ctx.ev.data_date:%d/%m/%Y}, đã kiểm tra theo cùng các quy tắc "
            "của gói dữ liệu (kiểu, đơn vị, khoảng giá trị, mã đô thị, công trình, dự án, nhiệm vụ).")
    if ctx.ev.is_illustrative:
        text += f" **{BANNER}.**"
    return keep_together(text)


def method_markdown(ctx: EvaluationInputs) -> str:
    low, high = ev.UTILISATION_BAND_PCT
    r = ev.RANGES
    plan = ctx.package.plan
    base = plan.base_year
    data_date = getattr(ctx.ev, "data_date", None)
    date = f"{data_date:%d/%m/%Y}" if data_date else "ngày báo cáo"
    source = getattr(ctx.ev, "projection_source_vi", "") or "kịch bản cơ sở của Kế hoạch"
    lines = [
        "- **Đánh giá**: Đạt, Không đạt, Chưa đủ số liệu, Chưa có số liệu, Không áp dụng (—). " + plan.comparison_rule_vi(),
        "- **Ô trống là chưa có số liệu**, không bao giờ được hiểu là số 0. Mỗi số liệu còn thiếu được thay bằng khoảng giá trị "
        "có thể của nó (dưới đây); một mục tiêu chỉ được kết luận Đạt hoặc Không đạt khi kết luận đó đúng ở cả hai đầu của mọi "
        "khoảng, nếu không là Chưa đủ số liệu, kèm khoảng giá trị có thể và các báo cáo còn thiếu sẽ quyết định kết luận.",
        f"- **Khoảng có thể của số liệu còn thiếu**: tỷ lệ được cấp nước của một đô thị — giữa mức năm {base} và chỉ tiêu Biểu 04; "
        f"dân số — giữa dân số năm {base} và dân số Biểu 04, nới thêm ±{fmt.vn(r.population_margin_pct, 0)} %; tỷ lệ thất thoát của "
        f"một công trình — từ mức thấp nhất toàn tỉnh năm {base} (hoặc mức năm {base} của công trình trừ {fmt.vn(r.loss_margin_pct_points, 0)} "
        f"điểm % nếu thấp hơn) đến mức năm {base} cộng {fmt.vn(r.loss_margin_pct_points, 0)} điểm %; sản lượng — từ sản lượng năm {base} "
        f"chia {fmt.vn(r.production_ratio, 1, trim=True)} đến nhân {fmt.vn(r.production_ratio, 1, trim=True)} (công trình mới: từ 0 "
        f"đến công suất thiết kế); số giờ cấp nước — bất kỳ từ {fmt.vn(r.hours_per_day[0])} đến {fmt.vn(r.hours_per_day[1])} giờ/ngày; "
        "công bố chất lượng nước, phương án cấp nước an toàn — có hoặc không.",
        "- **Số liệu** của mỗi mục tiêu là số đô thị, công trình hoặc đơn vị đã báo cáo trên tổng số phải báo cáo.",
        f"- **Tỷ lệ bao phủ** toàn tỉnh: tổng số người được cấp nước chia tổng dân số của {len(ctx.ev.areas)} đô thị. Đô thị có "
        "chỉ tiêu Biểu 04 bằng 0 % (chưa có hệ thống cấp nước) không áp dụng chỉ tiêu riêng, nhưng dân số vẫn được tính vào toàn tỉnh.",
        f"- **Ngày số liệu**: các báo cáo gửi trước {plan.report_deadline} ({plan.section('tasks')}), số liệu tính đến {date}; "
        "các mục tiêu đặt cho 31/12. Tỷ lệ bao phủ được đánh giá theo số liệu báo cáo; bên cạnh là số ước đến 31/12 (giữ tốc độ "
        "tăng từ đầu năm đến ngày báo cáo), chỉ để tham khảo.",
        "- **Tỷ lệ thất thoát** bình quân: Σ(sản xuất − thương phẩm) / Σ sản xuất của các công trình vận hành; sản lượng báo cáo "
        "theo năm được quy về m³/ngày đêm (365 ngày).",
        f"- **Hiệu quả khai thác công suất** (mục tiêu định tính): một công trình đã vận hành từ năm {base} đạt khi tỷ lệ khai thác "
        f"(sản lượng / công suất thiết kế) nằm trong {fmt.vn(low)}–{fmt.vn(high)} % — giữa nhóm khai thác thấp và nhóm tiệm cận "
        f"công suất của {plan.section('orientation')} — hoặc tiến gần khoảng đó so với năm {base}. Công trình có dự án nâng công "
        f"suất của {plan.section('projects')} đã đưa vào sử dụng trong năm được đánh giá theo đúng mục đích của dự án: đạt khi tỷ "
        f"lệ khai thác không quá {fmt.vn(high)} % (công suất mới đủ đáp ứng nhu cầu), vì tỷ lệ khai thác giảm là do nâng công suất "
        f"theo Kế hoạch. Quy tắc này áp dụng như nhau cho mọi công trình. Công suất: số báo cáo, nếu không có thì số năm {base}.",
        "- **Chất lượng nước, phương án cấp nước an toàn, thời gian cấp nước**: mục tiêu áp dụng cho mọi công trình (đơn vị); "
        "không đạt ngay khi một công trình (đơn vị) chắc chắn không đạt.",
        "- **Đối chiếu dự án**: số người đấu nối mà các dự án báo cáo phải không lớn hơn mức tăng số người được cấp nước của "
        f"đô thị có dự án so với năm {base}; chênh lệch được nêu trong phần phát hiện.",
        f"- **Dự báo đầu năm**: {source}; giá trị tất định đến 31/12. Chênh lệch bao phủ của mỗi đô thị được tách thành: dân số "
        "(cùng số người được cấp nước trên dân số thực tế thay cho dân số dự báo); tiến độ dự án (chạy lại dự báo với ngày đưa vào "
        "sử dụng thực tế); đấu nối dự án (số người đấu nối thực tế so với đường cong đấu nối của mô hình tại ngày đó); khác (mở rộng "
        "mạng lưới, đấu nối do tăng dân cư, sai số số liệu).",
        "- **Cột thay đổi, chênh lệch** được tính từ hai số đã làm tròn như khi in, nên luôn khớp với các số đứng cạnh.",
    ]
    return keep_together("\n".join(lines))


# ---------------------------------------------------------------------------- chapter 2, one section per target


def heading(ctx: EvaluationInputs, target_id: str) -> str:
    row = ctx.ev.targets[ctx.ev.targets["target_id"] == target_id].iloc[0]
    return ev.short_label(row)


def target_tables(ctx: EvaluationInputs, target_id: str) -> list[tuple[pd.DataFrame, str, str | None, pd.DataFrame | None]]:
    """The tables a target's section shows, by what the target measures: (frame, caption, note, estimated cells)."""
    row = ctx.ev.targets[ctx.ev.targets["target_id"] == target_id].iloc[0]
    if row["measure"] == "none":
        return [(systems_utilisation(ctx), f"Mức độ khai thác công suất các công trình năm {ctx.year} so với năm {ctx.package.plan.base_year}",
                 utilisation_note(ctx), systems_utilisation_estimated(ctx))]
    if row["measure"] == "pct_operators":
        return [(operators(ctx), "Phương án cấp nước an toàn của các đơn vị cấp nước",
                 "Một đơn vị đạt khi mọi công trình đang vận hành của đơn vị có phương án cấp nước an toàn được lập hoặc cập nhật.",
                 None)]
    return []


# ------------------------------------------------------------- estimated base-year values in the evaluation's tables
# The base year's values are the data package's (partly estimated, Biểu 01-04): a column that shows one, or is
# computed from one (a change since the base year, a rise of people served), is marked where the row's input is
# an estimate, as in the plan's tables (display.table's ``estimated``).

def _base_column(ctx: EvaluationInputs) -> str:
    return f"Năm {ctx.package.plan.base_year} (%)"


def _mask_of(frame: pd.DataFrame, values: dict[str, object]) -> pd.DataFrame:
    """True/False cells of ``frame``: ``values`` for the columns named, never a cell that reports no value."""
    mask = pd.DataFrame({c: (np.asarray(values[c], dtype=bool) if c in values else np.zeros(len(frame), dtype=bool))
                         for c in frame.columns}, index=frame.index)
    return mask & ~frame.isin([NR, keep_together(NR), fmt.MISSING]).to_numpy()


def _areas_served_estimated(ctx: EvaluationInputs, area_ids) -> np.ndarray:
    from capnuoc_model.publish.report_tables import _area_estimates

    est = _area_estimates(ctx.package)
    base = est["population_base_persons"] | est["served_base_persons"]
    return np.array([bool(base.reindex([a.strip() for a in str(ids).split(";") if a.strip()], fill_value=False).any())
                     for ids in area_ids], dtype=bool)


def areas_estimated(ctx: EvaluationInputs) -> pd.DataFrame:
    from capnuoc_model.publish.report_tables import area_target_estimates

    frame, a = areas(ctx), ctx.ev.areas
    target = area_target_estimates(ctx.package).reindex(a["area_id"], fill_value=False).to_numpy()
    return _mask_of(frame, {keep_together(_base_column(ctx)): _areas_served_estimated(ctx, a["area_id"]),
                            keep_together("Chỉ tiêu Biểu 04 (%)"): target})


def _systems_estimated(ctx: EvaluationInputs, columns: tuple[str, ...]) -> np.ndarray:
    from capnuoc_model.publish.report_tables import _system_estimates

    est = _system_estimates(ctx.package)[list(columns)].any(axis=1)
    return est.reindex(ctx.ev.systems["system_id"], fill_value=False).to_numpy()


def systems_loss_estimated(ctx: EvaluationInputs) -> pd.DataFrame:
    base = _systems_estimated(ctx, ("production_m3_per_day", "billed_m3_per_day"))
    return _mask_of(systems_loss(ctx), {keep_together(_base_column(ctx)): base, keep_together("Thay đổi (điểm %)"): base})


def systems_utilisation_estimated(ctx: EvaluationInputs) -> pd.DataFrame:
    s = ctx.ev.systems
    capacity = _systems_estimated(ctx, ("design_capacity_m3_per_day",)) & (s["capacity_source_vi"] != "báo cáo").to_numpy()
    base = _systems_estimated(ctx, ("design_capacity_m3_per_day", "production_m3_per_day"))
    return _mask_of(systems_utilisation(ctx), {
        keep_together("Công suất (m³/ngày đêm)"): capacity, keep_together(f"Khai thác {ctx.year} (%)"): capacity,
        keep_together("Mức độ"): capacity, keep_together(_base_column(ctx)): base})


def projects_people_estimated(ctx: EvaluationInputs) -> pd.DataFrame:
    p = ctx.ev.projects[ctx.ev.projects["beneficiaries_persons"].notna()]
    column = keep_together(f"Đô thị tăng so với năm {ctx.package.plan.base_year} (người)")
    return _mask_of(projects_people(ctx), {column: _areas_served_estimated(ctx, p["area_ids"])})


def reconciliation_estimated(ctx: EvaluationInputs) -> pd.DataFrame:
    rise = _areas_served_estimated(ctx, ctx.ev.reconciliation["area_ids"])
    return _mask_of(reconciliation(ctx), {keep_together("Số người được cấp nước tăng (người)"): rise,
                                          keep_together("Vượt (người)"): rise})  # "Khớp" is a verdict, like "Đánh giá"


__all__ = ["load_evaluation", "EvaluationInputs", "target_header", "BANNER", "summary", "summary_frame", "banner", "heading",
           "target_cells", "projection_settings", "ProjectionSettings", "data_date_of"]
