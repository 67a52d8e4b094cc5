"""Sentences with numbers, generated from the results (never typed by hand), in Vietnamese Markdown."""

from __future__ import annotations

import pandas as pd

from capnuoc_model import fmt, projection
from capnuoc_model.runs import ProjectionRun


def _plan_row(run: ProjectionRun, year: int) -> pd.Series:
    return run.tables["province"].set_index("year").loc[year]


def baseline_summary(areas: pd.DataFrame, systems: pd.DataFrame, coverage_pct: float, loss_pct: float) -> str:
    running = systems.dropna(subset=["loss_pct"])
    worst = running.loc[running["loss_pct"].idxmax()]
    best = running.loc[running["loss_pct"].idxmin()]
    no_service = areas[areas["served_persons"] == 0]["name_vi"].tolist()
    return (
        f"Năm 2025, {len(areas)} đô thị của tỉnh có {fmt.persons(areas['population_persons'].sum())}; "
        f"{fmt.persons(areas['served_persons'].sum())} được sử dụng nước sạch qua hệ thống cấp nước tập trung, "
        f"tỷ lệ bao phủ {fmt.pct(coverage_pct)}. {len(running)} công trình đang vận hành sản xuất "
        f"{fmt.m3_per_day(running['production_m3_per_day'].sum())}; tỷ lệ thất thoát bình quân {fmt.pct(loss_pct)}, "
        f"thấp nhất {fmt.pct(best['loss_pct'])} ({best['name_vi']}), cao nhất {fmt.pct(worst['loss_pct'])} ({worst['name_vi']}). "
        f"Chưa có dịch vụ: {', '.join(no_service)}."
    )


def coverage_outlook(run: ProjectionRun, year: int = projection.PLAN_YEAR) -> str:
    row = _plan_row(run, year)
    return (
        f"Tỷ lệ bao phủ dự báo năm {year}: {fmt.pct(row['coverage_pct'])} "
        f"(khoảng tin cậy 90 %: {fmt.pct(row['coverage_p5'])} – {fmt.pct(row['coverage_p95'])}), "
        f"xác suất đạt mục tiêu {fmt.pct(projection.COVERAGE_TARGET_PCT)}: {fmt.pct(100 * row['p_coverage_target'], 0)}."
    )


def loss_outlook(run: ProjectionRun, year: int = projection.PLAN_YEAR) -> str:
    row = _plan_row(run, year)
    return (
        f"Tỷ lệ thất thoát bình quân dự báo năm {year}: {fmt.pct(row['loss_pct'])} "
        f"(khoảng tin cậy 90 %: {fmt.pct(row['loss_p5'])} – {fmt.pct(row['loss_p95'])}), "
        f"xác suất đạt mục tiêu {fmt.pct(projection.LOSS_TARGET_PCT, 0)}: {fmt.pct(100 * row['p_loss_target'], 0)}."
    )


def first_year_likely(run: ProjectionRun, column: str) -> int | None:
    """First projected year in which the target is met in at least half of the draws."""
    province = run.tables["province"]
    later = province[(province["year"] > 2025) & (province[column] >= 0.5)]
    return int(later["year"].iloc[0]) if len(later) else None


def coverage_requirement(run: ProjectionRun) -> str:
    uptake = run.uptake
    if uptake.reachable:
        text = (f"Để đạt {fmt.pct(projection.COVERAGE_TARGET_PCT)} vào 31/12/2026, cần đấu nối ít nhất "
                f"{fmt.pct(100 * uptake.share, 0)} số người hưởng lợi của các dự án ({fmt.persons(uptake.people_to_connect)}).")
    else:
        text = (f"Kể cả khi toàn bộ {fmt.persons(uptake.people_to_connect)} hưởng lợi của các dự án được đấu nối trước 31/12/2026, "
                f"tỷ lệ bao phủ chỉ đạt {fmt.pct(uptake.coverage_at_full_uptake_pct)}; cần thêm "
                f"{fmt.persons(uptake.shortfall_persons)} được cấp nước nhờ mở rộng mạng lưới và phát triển đấu nối.")
    year = first_year_likely(run, "p_coverage_target")
    if year:
        text += f" Theo kịch bản này, mục tiêu có xác suất đạt từ 50 % trở lên vào năm {year}."
    return text


def loss_requirement(run: ProjectionRun) -> str:
    loss = run.loss
    if loss.cut_needed_m3_per_day <= 0:
        text = "Mục tiêu 15 % đạt được ngay cả khi không có chương trình giảm thất thoát."
    elif loss.feasible:
        text = (f"Không có chương trình giảm thất thoát, tỷ lệ năm 2026 là {fmt.pct(loss.loss_pct_without_programme)}; "
                f"để về 15 % cần giảm {fmt.m3_per_day(loss.cut_needed_m3_per_day)} nước thất thoát, "
                f"chi phí thấp nhất {fmt.billion_vnd(loss.cost_billion_vnd)}.")
    else:
        text = (f"Không có chương trình giảm thất thoát, tỷ lệ năm 2026 là {fmt.pct(loss.loss_pct_without_programme)}; "
                f"để về 15 % cần giảm {fmt.m3_per_day(loss.cut_needed_m3_per_day)} nước thất thoát, nhưng các giải pháp "
                f"của Mục V.2 chỉ giảm được tối đa {fmt.m3_per_day(loss.cut_achievable_m3_per_day)} trước 31/12/2026 "
                f"(chi phí {fmt.billion_vnd(loss.cost_billion_vnd)}).")
    year = first_year_likely(run, "p_loss_target")
    if year:
        text += f" Theo kịch bản này, mục tiêu có xác suất đạt từ 50 % trở lên vào năm {year}."
    return text


def loss_movers(run: ProjectionRun, year: int = projection.PLAN_YEAR, top: int = 3) -> str:
    systems = run.tables["systems"]
    rows = systems[systems["year"] == year].nlargest(top, "share_of_province_loss_pct")
    listed = ", ".join(f"{r.name_vi} ({fmt.pct(r.share_of_province_loss_pct, 0)})" for r in rows.itertuples())
    return f"Các công trình chiếm phần lớn lượng nước thất thoát năm {year}: {listed}."
