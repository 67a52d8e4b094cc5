"""Sentences with numbers, generated from the results (never typed by hand), in Vietnamese Markdown."""

from __future__ import annotations

import math

import pandas as pd

from capnuoc_model.data import fmt

from capnuoc_model.data.plan import Plan
from capnuoc_model.model import projection
from capnuoc_model.model.projection_run import ProjectionRun


def _plan_row(run: ProjectionRun, year: int) -> pd.Series:
    return run.tables["province"].set_index("year").loc[year]


def _plan(run: ProjectionRun) -> Plan:
    return run.projection.setup.plan


def baseline_summary(areas: pd.DataFrame, systems: pd.DataFrame, coverage_pct: float, loss_pct: float, year: int) -> str:
    running = systems.dropna(subset=["loss_pct"])
    worst = running.loc[running["loss_pct"].idxmax()]
    best = running.loc[running["loss_pct"].idxmin()]
    no_service = areas[areas["served_persons"] == 0]["name_vi"].tolist()
    return (
        f"Năm {year}, {len(areas)} đô thị của tỉnh có {fmt.persons(areas['population_persons'].sum())}; "
        f"{fmt.persons(areas['served_persons'].sum())} được sử dụng nước sạch qua hệ thống cấp nước tập trung, "
        f"tỷ lệ bao phủ {fmt.pct(coverage_pct)}. {len(running)} công trình đang vận hành sản xuất "
        f"{fmt.m3_per_day(running['production_m3_per_day'].sum())}; tỷ lệ thất thoát bình quân {fmt.pct(loss_pct)}, "
        f"thấp nhất {fmt.pct(best['loss_pct'])} ({best['name_vi']}), cao nhất {fmt.pct(worst['loss_pct'])} ({worst['name_vi']}). "
        f"Chưa có dịch vụ: {', '.join(no_service)}."
    )


# The verdict's words follow the probability p of meeting the target: (lowest p of the band, words).
# The middle band is open at both ends: from p = 0,6 up the median of the draws meets the target and
# up to p = 0,4 it does not, so the words and the median figure never contradict each other.
VERDICT_BANDS = ((0.9, "GẦN NHƯ CHẮC CHẮN ĐẠT"), (0.6, "CÓ KHẢ NĂNG ĐẠT"), (0.4, "CHƯA CHẮC ĐẠT"),
                 (0.005, "KHÓ ĐẠT"), (0.0, "GẦN NHƯ KHÔNG THỂ ĐẠT"))
FORECAST_RANGE = "khoảng dự báo 90 %"  # P5–P95 of the draws: where the outcome falls, not a confidence interval


def verdict(p_meet: float) -> str:
    """'CÓ KHẢ NĂNG ĐẠT (69 %)', 'KHÓ ĐẠT (3 %)': the words of VERDICT_BANDS and the probability."""
    words = next(w for low, w in VERDICT_BANDS if p_meet > low or (p_meet == low and low != 0.4))
    return f"{words} ({fmt.pct(100 * p_meet, 0)})"


def _outlook(run: ProjectionRun, year: int, indicator: str, key: str) -> str:
    """The forecast as every document states it: median, 90 % forecast range, verdict with probability.

    The median is printed as the plan's comparison rule rounds (plan.printed), so a median that prints as
    meeting the target is one that meets it, and the verdict's probability counts draws by the same rule.
    """
    row = _plan_row(run, year)
    return (
        f"{indicator} dự báo năm {year}: {fmt.pct(row[f'{key}_p50'])} (trung vị của "
        f"{fmt.vn(run.projection.draws)} lần mô phỏng; {FORECAST_RANGE}: {fmt.pct(row[f'{key}_p5'])} – "
        f"{fmt.pct(row[f'{key}_p95'])}); mục tiêu {_plan(run).target(key).text()}: {verdict(row[f'p_{key}_target'])}."
    )


def coverage_outlook(run: ProjectionRun, year: int | None = None) -> str:
    return _outlook(run, year or _plan(run).plan_year, "Tỷ lệ bao phủ", "coverage")


def loss_outlook(run: ProjectionRun, year: int | None = None) -> str:
    return _outlook(run, year or _plan(run).plan_year, "Tỷ lệ thất thoát bình quân", "loss")


def shortage(run: ProjectionRun, year: int | None = None) -> str:
    """Which systems cannot produce what their customers need in ``year`` (capacity × max utilisation)."""
    year = year or _plan(run).plan_year
    systems = run.tables["systems"]
    rows = systems[(systems["year"] == year) & ((systems["p_shortage"] > 0)
                                                | (systems["unserved_demand_m3_per_day"] >= projection.SHORTAGE_M3_PER_DAY))]
    if rows.empty:
        return (f"Năm {year} không công trình nào thiếu công suất: trong mọi lần mô phỏng, mỗi công trình sản xuất đủ "
                "nước cho khách hàng của mình mà không vượt công suất thiết kế × mức khai thác tối đa.")
    parts = []
    for r in rows.sort_values(["p_shortage", "unserved_demand_m3_per_day"], ascending=False).itertuples():
        central = (f", thiếu {fmt.m3_per_day(r.unserved_demand_m3_per_day)} theo tính toán trung tâm"
                   if r.unserved_demand_m3_per_day >= projection.SHORTAGE_M3_PER_DAY else "")
        share = "dưới 1 %" if 0 < r.p_shortage < 0.005 else fmt.pct(100 * r.p_shortage, 0)
        parts.append(f"{r.name_vi} (thiếu nước trong {share} số lần mô phỏng{central})")
    return (f"Thiếu công suất năm {year}: nhu cầu vượt công suất thiết kế × mức khai thác tối đa ở " + "; ".join(parts)
            + ". Phần vượt là nhu cầu không được đáp ứng: công trình cấp nước ít giờ hơn, nước thương phẩm và "
            "thất thoát cùng giảm theo.")


def first_year_likely(run: ProjectionRun, column: str) -> int | None:
    """First projected year in which the target is met in at least half of the draws."""
    province = run.tables["province"]
    later = province[(province["year"] > _plan(run).base_year) & (province[column] >= 0.5)]
    return int(later["year"].iloc[0]) if len(later) else None


def coverage_requirement(run: ProjectionRun) -> str:
    """What the coverage target takes, in the model's own terms (:func:`capnuoc_model.model.feasibility.coverage_gap`):
    people served on top of the forecast so that the target is met in at least half of the draws, and where they
    can come from. The CLI's check, the plan's summary and its chapters all say it with this one function."""
    from capnuoc_model.model.feasibility import commissioned_in_plan_year, coverage_gap

    gap = coverage_gap(run.projection)
    plan = _plan(run)
    target = plan.target("coverage").words()  # the plan's words; the comparison rule is stated once elsewhere
    end = f"31/12/{plan.plan_year}"
    on_time = commissioned_in_plan_year(run.projection.setup)
    costs = run.projection.setup.inputs.project_costs.set_index("project_id")
    late = list(dict.fromkeys(str(costs.loc[pid, "project_no"]) for pid, done in on_time.items() if not done))
    late_text = ("" if not late else f" (dự án số {_and(late)} vào sử dụng sau {end})")
    curve = (f"Theo giả định của kịch bản, đến {end} các dự án vào sử dụng trước ngày này{late_text} đấu nối khoảng "
             f"{fmt.persons(gap.connected_persons)} trong số {fmt.persons(gap.beneficiaries_persons)} hưởng lợi"
             if on_time.any() else f"Trong kịch bản này không dự án cấp nước nào vào sử dụng trước {end}{late_text}")
    if gap.people_needed <= 0:
        text = (f"Mục tiêu {target} có xác suất đạt từ 50 % trở lên vào {end} với mức đấu nối và mở rộng mạng lưới mà "
                f"kịch bản giả định. {curve}.")
    else:
        text = (f"Để mục tiêu {target} có xác suất đạt từ 50 % trở lên vào {end}, cần thêm "
                f"{fmt.persons(gap.people_needed)} được cấp nước so với dự báo (trung vị "
                f"{fmt.persons(gap.served_persons)} trên dân số đô thị {fmt.persons(gap.population_persons)}). {curve}")
        if not on_time.any():
            text += (f": cả {fmt.persons(gap.from_extension)} phải được cấp nước nhờ mở rộng mạng lưới ngoài dự án, "
                     "hoặc phải đưa dự án vào sử dụng sớm hơn.")
        elif gap.from_extension <= 0:
            text += (f": đấu nối thêm {fmt.persons(gap.from_projects)} trong số {fmt.persons(gap.remaining_persons)} "
                     "hưởng lợi còn lại (vận động, hỗ trợ đấu nối ngay khi dự án vận hành) là đủ.")
        else:
            text += (f": kể cả đấu nối hết {fmt.persons(gap.remaining_persons)} hưởng lợi còn lại, vẫn cần cấp nước "
                     f"cho thêm {fmt.persons(gap.from_extension)} nhờ mở rộng mạng lưới và phát triển đấu nối ngoài dự án.")
        if not gap.achievable:
            text += (f" Số này vượt số người các đô thị còn có thể được cấp nước ({fmt.persons(gap.room_persons)}): "
                     f"trong kịch bản này mục tiêu không thể đạt vào {end}.")
    year = first_year_likely(run, "p_coverage_target")
    if year:
        text += f" Theo kịch bản này, mục tiêu có xác suất đạt từ 50 % trở lên vào năm {year}."
    return text


def loss_requirement(run: ProjectionRun) -> str:
    loss = run.loss
    plan = _plan(run)
    year, target = plan.plan_year, plan.target("loss")
    goal = f"{fmt.vn(target.high, 1, trim=True)} %"
    without = f"Không có chương trình giảm thất thoát, tỷ lệ năm {year} là {fmt.pct(loss.loss_pct_without_programme)}; "
    if loss.cut_needed_m3_per_day <= 0:
        text = f"Mục tiêu {target.text()} đạt được ngay cả khi không có chương trình giảm thất thoát."
    elif loss.solver_problem_vi is not None and not loss.feasible:
        text = without + loss.solver_problem_vi
    elif loss.feasible:
        text = (without + f"để về {goal} cần giảm {fmt.m3_per_day(loss.cut_needed_m3_per_day)} nước thất thoát, "
                f"chi phí thấp nhất {fmt.billion_vnd(loss.cost_billion_vnd)}.")
        if loss.solver_problem_vi is not None:
            text = (without + f"để về {goal} cần giảm {fmt.m3_per_day(loss.cut_needed_m3_per_day)} nước thất thoát. "
                    + loss.solver_problem_vi)
    else:
        text = (without + f"để về {goal} cần giảm {fmt.m3_per_day(loss.cut_needed_m3_per_day)} nước thất thoát, nhưng các giải pháp "
                f"của {plan.section('loss_measures')} chỉ giảm được tối đa {fmt.m3_per_day(loss.cut_achievable_m3_per_day)} "
                f"trước 31/12/{year} (chi phí {fmt.billion_vnd(loss.cost_billion_vnd)}).")
    year = first_year_likely(run, "p_loss_target")
    if year:
        text += f" Theo kịch bản này, mục tiêu có xác suất đạt từ 50 % trở lên vào năm {year}."
    return text


def loss_value(run: ProjectionRun, year: int | None = None) -> str:
    """What the losses cost and what the least-cost cut is worth: NRW value this year, the cut's yearly value and payback."""
    from capnuoc_model.model.feasibility import programme_payback

    plan = _plan(run)
    year = year or plan.plan_year
    value = run.tables["nrw_value"]
    province = value[value["system_id"] == "province"].set_index("year")["nrw_value_billion_vnd_per_year"]
    text = (f"Nước cấp nhưng thất thu năm {plan.base_year} trị giá {fmt.billion_vnd(province.get(plan.base_year))}/năm, năm {year} "
            f"{fmt.billion_vnd(province.get(year))}/năm (thất thoát thương mại tính theo giá bán nước bình quân, thất thoát cơ học "
            "và tiêu thụ không doanh thu theo chi phí sản xuất biến đổi).")
    recovered, payback = programme_payback(run.loss)
    if run.loss.cost_billion_vnd > 0 and not math.isnan(recovered):
        years = f"hoàn vốn giản đơn sau {fmt.vn(payback, 1)} năm" if math.isfinite(payback) else "không hoàn vốn"
        text += (f" Phần giảm thất thoát của phương án ({fmt.billion_vnd(run.loss.cost_billion_vnd)}), khi phát huy đủ, thu hồi "
                 f"{fmt.billion_vnd(recovered)}/năm: {years}.")
    return text


def loss_movers(run: ProjectionRun, year: int | None = None, top: int = 3) -> str:
    year = year or _plan(run).plan_year
    systems = run.tables["systems"]
    rows = systems[systems["year"] == year].nlargest(top, "share_of_province_loss_pct")
    listed = ", ".join(f"{r.name_vi} ({fmt.pct(r.share_of_province_loss_pct, 0)})" for r in rows.itertuples())
    return f"Các công trình chiếm phần lớn lượng nước thất thoát năm {year}: {listed}."


def loss_measures(run: ProjectionRun, top: int = 3) -> str:
    """Which measures the least-cost loss cut uses, on which component of the IWA balance and where."""
    from capnuoc_model.model.feasibility import COMPONENT_VI, MEASURE_COMPONENT, MEASURES_VI

    if run.loss.solver_problem_vi is not None and not run.loss.feasible:
        return run.loss.solver_problem_vi
    used = run.loss.allocation
    used = used[used["removed_m3_per_day"] > 0.05]
    if used.empty:
        return f"Không cần giải pháp giảm thất thoát nào trong năm {_plan(run).plan_year}."
    names = dict(zip(run.projection.setup.inputs.system_ids, run.projection.setup.inputs.system_names))
    parts = []
    for component in ("real", "apparent", "apparent+real"):
        rows = used[used["measure"].map(MEASURE_COMPONENT) == component]
        if rows.empty:
            continue
        by_measure = rows.groupby("measure", sort=False)["removed_m3_per_day"].sum().sort_values(ascending=False)
        measures = []
        for measure, volume in by_measure.items():
            where = rows[rows["measure"] == measure].nlargest(top, "removed_m3_per_day")["system_id"].map(names)
            measures.append(f"{_first_lower(MEASURES_VI[measure])} ({fmt.m3_per_day(volume)}; {', '.join(where)})")
        parts.append(f"{_first_lower(COMPONENT_VI[component])} {fmt.m3_per_day(rows['removed_m3_per_day'].sum())}: "
                     + "; ".join(measures))
    return "Giảm " + "; giảm ".join(parts) + "."


def _and(items: list[str]) -> str:
    """'1', '1 và 2', '1, 2 và 3'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " và " + items[-1]


def assumption_changes(scenario) -> list[str]:
    """One line per assumption the scenario file or --set changed, with what happened to its distribution."""
    return [f"{c.sentence()} (tại {', '.join(c.sources)})" for c in scenario.changes]


def _first_lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def iwa_summary(balance: pd.DataFrame, year: int) -> str:
    """The province's IWA balance of ``year`` (the base year) in two sentences, and where the ILI is highest and lowest.

    ``balance``: :func:`capnuoc_model.publish.report_tables.iwa_indicator_frame` (one row per operating
    system, with its ``name_vi``).
    """
    names = balance["name_vi"]
    total = balance.sum(numeric_only=True)
    siv = total["system_input_m3_per_day"]

    def part(key: str) -> str:
        return f"{fmt.m3_per_day(total[key])} ({fmt.pct(100 * total[key] / siv)})"

    worst = balance["ili"].idxmax()
    best = balance["ili"].idxmin()
    return (
        f"Năm {year} các công trình đang vận hành cấp vào mạng lưới {fmt.m3_per_day(siv)}; nước cấp nhưng thất thu "
        f"(NRW) là {part('nrw_m3_per_day')}, đúng tỷ lệ thất thoát bình quân của Kế hoạch. Trong đó thất thoát cơ học "
        f"{part('real_losses_m3_per_day')}, thất thoát thương mại {part('apparent_losses_m3_per_day')} và tiêu thụ hợp "
        f"pháp không doanh thu {part('unbilled_authorised_m3_per_day')}. Chỉ số rò rỉ hạ tầng (ILI) cao nhất ở "
        f"{names[worst]} ({fmt.vn(balance.loc[worst, 'ili'], 1)}, nhóm {balance.loc[worst, 'ili_band']}), thấp nhất ở "
        f"{names[best]} ({fmt.vn(balance.loc[best, 'ili'], 1)}, nhóm {balance.loc[best, 'ili_band']})."
    )


def iwa_indicator_definitions() -> str:
    """The loss indicators of Phụ lục C and the UARL formula with its validity limits, as Markdown bullets."""
    from capnuoc_model.model import losses

    coefficients = (fmt.vn(losses.UARL_L_PER_KM_MAINS_PER_M, 1, trim=True), fmt.vn(losses.UARL_L_PER_CONNECTION_PER_M, 1, trim=True),
                    fmt.vn(losses.UARL_L_PER_KM_PRIVATE_PIPE_PER_M, 1, trim=True))
    return (
        "- Nước cấp nhưng thất thu tính theo % lượng nước cấp vào, theo m³ trên mỗi km ống và theo m³ trên mỗi đấu nối "
        "mỗi ngày (chỉ số 6.1–6.3 của IBNET).\n"
        "- Thất thoát cơ học tính theo lít trên mỗi đấu nối mỗi ngày khi mạng lưới có áp (chỉ số Op24 của IWA).\n"
        "- Thất thoát cơ học không thể tránh (UARL) theo công thức chuẩn của Lambert và cộng sự: UARL (lít/ngày) = "
        f"({coefficients[0]} × Lm + {coefficients[1]} × Nc + {coefficients[2]} × Lp) × P, với Lm chiều dài ống phân phối (km), "
        "Nc số đấu nối, Lp tổng chiều dài ống từ ranh giới đến đồng hồ (km), P áp lực trung bình (m); nhân với số giờ "
        "cấp nước / 24 khi cấp nước không liên tục.\n"
        "- Chỉ số rò rỉ hạ tầng ILI = thất thoát cơ học hiện tại / UARL, xếp nhóm theo cách của Viện Ngân hàng Thế giới "
        "cho các nước thu nhập thấp và trung bình (A1, A2, B, C, D); nhóm theo ma trận đọc thẳng lít/đấu nối/ngày ở áp "
        "lực của công trình.\n\n"
        f"Công thức UARL được kiểm nghiệm cho hệ thống từ {fmt.vn(losses.VALID_MIN_CONNECTIONS)} đấu nối, mật độ từ "
        f"{fmt.vn(losses.VALID_MIN_DENSITY_PER_KM)} đấu nối/km và áp lực từ {fmt.vn(losses.VALID_MIN_PRESSURE_M)} m. "
        "Với công trình nhỏ hơn hoặc áp lực thấp hơn, ILI chỉ để tham khảo và thường thấp hơn thực tế."
    )


def iwa_uncertainty_method(network: pd.DataFrame) -> str:
    """How the ±95 % ranges of the balance inputs (``system_network`` table) were set and propagated."""

    def span(*columns: str) -> str:
        values = pd.concat([network[c].astype(float) for c in columns])
        low, high = values.min(), values.max()
        return f"±{fmt.vn(low, 1, trim=True)} %" if low == high else f"±{fmt.vn(low, 1, trim=True)}–{fmt.vn(high, 1, trim=True)} %"

    return (
        "Mỗi số liệu đầu vào của cân bằng có một khoảng tin cậy 95 % (± % giá trị), như WB-EasyCalc yêu cầu: lượng "
        f"nước cấp vào {span('system_input_ci95_pct')} (đồng hồ tổng ở nhà máy, giờ chạy bơm ở các trạm), nước thương "
        f"phẩm {span('billed_ci95_pct')}, số đấu nối {span('service_connections_ci95_pct')}, chiều dài ống "
        f"{span('mains_km_ci95_pct')}, áp lực {span('pressure_m_ci95_pct')}, sai số đồng hồ, sử dụng trái phép và sai sót "
        f"số liệu {span('meter_under_registration_pct_ci95_pct', 'unauthorised_pct_ci95_pct', 'data_error_pct_ci95_pct')} vì chưa có kiểm định đồng hồ và kiểm toán khách hàng. "
        "Sai số được cộng theo phương sai (luật truyền sai số, bậc một) sang nước cấp nhưng thất thu, thất thoát cơ học "
        "và ILI; cận dưới không nhỏ hơn 0. Tỷ trọng phương sai cho biết cần đo lại số liệu nào trước."
    )



def money_summary(province: dict, target_pct: float, variable_cost_vnd_per_m3: float, year: int) -> str:
    """What NRW costs the province a year, what it would be worth to reach the loss target, and the operating-cost ratio.

    ``province``: :func:`capnuoc_model.model.baseline.province_money`; ``year``: the base year it describes.
    """
    text = (f"Năm {year} nước cấp nhưng thất thu của các công trình trị giá {fmt.billion_vnd(province['nrw_value_billion_vnd_per_year'])}"
            f"/năm: thất thoát thương mại {fmt.billion_vnd(province['apparent_losses_value_billion_vnd_per_year'])} (nước đã đến "
            "khách hàng mà không thu được tiền, tính theo giá bán nước bình quân), thất thoát cơ học "
            f"{fmt.billion_vnd(province['real_losses_value_billion_vnd_per_year'])} và tiêu thụ hợp pháp không doanh thu "
            f"{fmt.billion_vnd(province['unbilled_authorised_value_billion_vnd_per_year'])} (tính theo chi phí sản xuất biến đổi "
            f"{fmt.vn(variable_cost_vnd_per_m3)} đồng/m³). ")
    if math.isnan(province["nrw_pct_of_operating_cost"]):
        text += "Các đơn vị cấp nước chưa công bố chi phí vận hành nên chưa so sánh được với tổng chi phí. "
    else:
        text += f"Con số này bằng {fmt.pct(province['nrw_pct_of_operating_cost'])} chi phí vận hành của các đơn vị đã công bố. "
    text += (f"Đưa tỷ lệ thất thoát bình quân về {fmt.pct(target_pct, 0)} (mục tiêu của Kế hoạch) thu thêm "
             f"{fmt.billion_vnd(province['target_revenue_recovered_billion_vnd_per_year'])}/năm doanh thu và giảm "
             f"{fmt.billion_vnd(province['target_cost_recovered_billion_vnd_per_year'])}/năm chi phí sản xuất, tổng cộng "
             f"{fmt.billion_vnd(province['target_value_billion_vnd_per_year'])}/năm.")
    return text


def draft_mark(plan: Plan) -> str:
    """What the reproduced plan is: a reference rebuild with the model's analysis, not the signed document."""
    return (f"**DỰ THẢO — bản tham khảo dựng lại từ {plan.title_vi} kèm phân tích của mô hình.** "
            "Văn bản của Kế hoạch được trích nguyên văn; các bảng, biểu đồ và đoạn mở đầu bằng "
            "«Phân tích của mô hình» là phần bổ sung, không thuộc văn bản Kế hoạch.")


# ------------------------------------------------------------------------------------------- the summary
# The words of a verdict follow the probability of meeting the target (lowest probability of each band).
_SUMMARY_VERDICTS = ((0.9, "gần như chắc chắn đạt"), (0.6, "có khả năng đạt"), (0.4, "chưa chắc đạt"),
                     (0.005, "khó đạt"), (0.0, "gần như không thể đạt"))


def _verdict_words(p_meet: float) -> str:
    return next(words for low, words in _SUMMARY_VERDICTS if p_meet > low or (p_meet == low == 0.0))


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " và " + names[-1]


def _target_block(run: ProjectionRun, key: str, number: int) -> str:
    """One headline target: the plan's words, the forecast with its range, probability and verdict, when likely."""
    plan = _plan(run)
    year, target = plan.plan_year, plan.target(key)
    row = _plan_row(run, year)
    likely = first_year_likely(run, f"p_{key}_target")
    when = (f"xác suất đạt từ 50 % trở lên từ năm {likely}" if likely
            else f"xác suất đạt chưa tới 50 % trong mọi năm đến {plan.horizon_year}")
    return (f"**{number}. {target.indicator_vi}.** Kế hoạch: «{target.wording_vi}». "
            f"Dự báo năm {year}: {fmt.pct(row[f'{key}_p50'])} (khoảng dự báo 90 %: {fmt.pct(row[f'{key}_p5'])} – "
            f"{fmt.pct(row[f'{key}_p95'])}); xác suất đạt {fmt.pct(100 * row[f'p_{key}_target'], 0)}: "
            f"**{_verdict_words(row[f'p_{key}_target'])}**; {when}.")


def _coverage_where(run: ProjectionRun, top: int = 3) -> str:
    """Where the people are missing: the areas furthest below their Biểu 04 target in people, at the median."""
    plan = _plan(run)
    targets = run.tables["targets"]
    areas = run.tables["areas"]
    areas = areas[areas["year"] == plan.plan_year].set_index("area_id")
    rows = targets[(targets["indicator"] == "coverage_pct") & (targets["scope"] != "province")].set_index("scope")
    gap = ((rows["target"] - rows["p50"]).clip(lower=0) / 100 * areas.loc[rows.index, "population"]).sort_values(ascending=False)
    gap = gap[gap >= 1].head(top)
    if gap.empty:
        return ""
    listed = [f"{areas.loc[a, 'name_vi']} ({fmt.persons(v)})" for a, v in gap.items()]
    return f" Theo dự báo, các đô thị thiếu nhiều người được cấp nước nhất so với Biểu 04 là {_names(listed)}."


def _loss_where(run: ProjectionRun, top: int = 3) -> str:
    used = run.loss.allocation
    used = used[used["removed_m3_per_day"] > 0.05]
    if used.empty:
        return ""
    names = dict(zip(run.projection.setup.inputs.system_ids, run.projection.setup.inputs.system_names))
    by_system = used.groupby("system_id")["removed_m3_per_day"].sum().sort_values(ascending=False).head(top)
    listed = [f"{names[s]} ({fmt.m3_per_day(v)})" for s, v in by_system.items()]
    return f" Phương án chi phí thấp nhất giảm nhiều nhất ở {_names(listed)}."


def _findings(run: ProjectionRun, labels: dict[str, str]) -> list[str]:
    plan = _plan(run)
    base, year = plan.base_year, plan.plan_year
    systems = run.tables["systems"]
    now = systems[(systems["year"] == base) & systems["is_running"].astype(bool)]
    findings = []
    top = now.nlargest(2, "share_of_province_loss_pct")
    findings.append(f"{_names(top['name_vi'].tolist())} giữ {fmt.pct(top['share_of_province_loss_pct'].sum(), 0)} lượng nước "
                    f"thất thoát toàn tỉnh năm {base}: tỷ lệ toàn tỉnh đi theo các công trình lớn, không theo số công trình.")
    worst = now.loc[now["loss_pct"].idxmax()]
    findings.append(f"{worst['name_vi']} có tỷ lệ thất thoát cao nhất ({fmt.pct(worst['loss_pct'])} năm {base}), "
                    f"chiếm {fmt.pct(worst['share_of_province_loss_pct'], 0)} lượng nước thất thoát toàn tỉnh.")
    areas = run.tables["areas"]
    start = areas[areas["year"] == base].set_index("area_id")
    later = areas[areas["year"] == year].set_index("area_id")
    unserved = start.index[start["served"] <= 0]
    if len(unserved):
        listed = [f"{start.loc[a, 'name_vi']} ({fmt.pct(later.loc[a, 'coverage_p50'])})" for a in unserved]
        findings.append(f"Năm {base} chưa có dịch vụ: {_names([start.loc[a, 'name_vi'] for a in unserved])}; "
                        f"tỷ lệ bao phủ dự báo năm {year}: {_names(listed)}.")
    sensitivity = run.tables.get("sensitivity")
    if sensitivity is not None and len(sensitivity):
        swing = (sensitivity["loss_pct_high"] - sensitivity["loss_pct_low"]).abs()
        first = sensitivity.loc[swing.idxmax()]
        if swing.max() >= 0.05:
            findings.append(f"Giả định quyết định nhiều nhất tỷ lệ thất thoát năm {year}: "
                            f"{_first_lower(labels.get(first['assumption'], first['assumption']))} (giữa hai đầu của khoảng "
                            f"giá trị, tỷ lệ thất thoát dự báo thay đổi {fmt.vn(swing.max(), 1)} điểm %).")
    return findings


def plan_summary(run: ProjectionRun, labels: dict[str, str]) -> str:
    """The page after the cover: each headline target (forecast, probability, verdict, when, what it takes), then findings.

    Every number comes from the run; ``labels`` are the assumptions' Vietnamese labels (for the sensitivity finding).
    """
    plan = _plan(run)
    parts = [f"Kết quả của kịch bản «{run.projection.scenario.name}», {fmt.vn(run.projection.draws)} lần mô phỏng. "
             "Dự báo là trung vị của các lần mô phỏng; khoảng dự báo 90 % chứa 90 % số lần mô phỏng; xác suất đạt "
             "là tỷ lệ số lần mô phỏng đạt mục tiêu."]
    for number, (key, requirement, where) in enumerate((("coverage", coverage_requirement, _coverage_where),
                                                         ("loss", loss_requirement, _loss_where)), start=1):
        # the year it becomes likely is said once, in the target's block
        needed = requirement(run).split(" Theo kịch bản này, mục tiêu có xác suất")[0]
        parts.append(_target_block(run, key, number) + " Cần gì: " + needed + where(run))
    parts.append("**Những phát hiện chính**\n\n" + "\n".join(f"- {f}" for f in _findings(run, labels)))
    return "\n\n".join(parts)


# The one paragraph of a document that names files and programs (the methods annex); everywhere else they are not named.
FILES_AND_PROGRAMS_OPENING = "Tệp và chương trình:"


def files_and_programs() -> str:
    return (f"{FILES_AND_PROGRAMS_OPENING} gói dữ liệu là thư mục data (mỗi bảng một tệp CSV; nguồn và phương pháp của "
            "từng giá trị trong data/README.md; văn bản Kế hoạch trong data/plan_text.md); giả định mặc định trong "
            "analysis/assumptions/defaults.yaml, kịch bản trong thư mục analysis/scenarios; tính toán bằng chương trình "
            "capnuoc viết bằng Python (pandas, numpy; statsmodels cho hồi quy dân số; scipy cho bài toán quy hoạch tuyến "
            "tính); tài liệu được dàn trang bằng papermill, pandoc và typst.")


def beneficiaries_outside(run: ProjectionRun, projects: pd.DataFrame, areas: pd.DataFrame) -> str:
    """Why connecting every stated beneficiary does not add them all to coverage (issue 12 item 6).

    A project's stated beneficiaries that exceed the people its area still lacks in the base year fall outside
    the urban area's population: the model cannot count them. The plain sum the plan's figures invite is given
    beside what the model reaches, so that the reader sees where the difference comes from.
    """
    plan = _plan(run)
    stated = projects.dropna(subset=["beneficiaries_persons"])
    if stated.empty:
        return ""
    area = areas.set_index("area_id")
    over = []
    for row in stated.itertuples():
        ids = [a for a in str(row.area_ids).split(";") if a in area.index]
        unserved = float((area.loc[ids, "population_persons"] - area.loc[ids, "served_persons"]).sum())
        if row.beneficiaries_persons > unserved + 0.5:
            names = _names(area.loc[ids, "name_vi"].tolist())
            over.append(f"{names} còn {fmt.persons(unserved)} chưa được cấp nước năm {plan.base_year} so với "
                        f"{fmt.persons(row.beneficiaries_persons)} hưởng lợi của dự án số {row.project_no}")
    total = float(stated["beneficiaries_persons"].sum())
    population = float(run.tables["province"].set_index("year").loc[plan.plan_year, "population"])
    served = float(area["served_persons"].sum())
    naive = 100 * (served + total) / population
    text = (f"Cộng thẳng {fmt.persons(total)} hưởng lợi của các dự án vào {fmt.persons(served)} đang được cấp nước, trên "
            f"dân số đô thị dự báo năm {plan.plan_year} ({fmt.persons(population)}), sẽ được {fmt.pct(naive)}; nhưng mô hình "
            "không tính quá dân số của từng đô thị")
    if over:
        text += ": " + "; ".join(over) + ". Phần hưởng lợi vượt số người chưa được cấp nước nằm ngoài dân số đô thị của Kế hoạch"
    uptake = run.uptake
    return text + (f". Vì vậy, kể cả khi mọi người hưởng lợi đều đấu nối, tỷ lệ bao phủ chỉ đạt "
                   f"{fmt.pct(uptake.coverage_at_full_uptake_pct)}." if not uptake.reachable else ".")


def reconstruction_notice(plan: Plan) -> str:
    """Said above the first Biểu: the plan's tables are not in its text; what is estimated and where it is explained."""
    return (f"Biểu 01 đến Biểu 04 không có trong văn bản Kế hoạch. Các biểu dưới đây được dựng lại từ các số tổng hợp của "
            f"Kế hoạch (Mục {plan.sections['current_state']}) và số liệu đã công bố; giá trị chưa được công bố là số ước tính, "
            "được hiệu chỉnh để khớp đúng các số tổng hợp đó. Nguồn hoặc phương pháp ước tính của từng giá trị: Phụ lục B.4.")


def equal_values(urban_areas: pd.DataFrame, methods: pd.DataFrame, column: str = "population_base_persons") -> str:
    """Why estimated values that look like placeholders are equal: the same method gave them (issue 12 item 5)."""
    titles = methods.set_index("method_id")["title"]
    source = urban_areas[f"{column}_source"].astype(str)
    parts = []
    for value, group in urban_areas.groupby(column, sort=False):
        if len(group) < 2:
            continue
        methods_used = sorted({m for s in source[group.index] if s.startswith("estimate:")
                               for m in s.removeprefix("estimate:").split("+")})
        how = "; ".join(f"«{titles.get(m, m)}»" for m in methods_used) or "cùng một nguồn"
        parts.append(f"{_names(group['name_vi'].tolist())} cùng có {fmt.persons(value)} vì cùng được ước tính theo "
                     f"một phương pháp ({how}), không phải số đo riêng của từng đô thị")
    return ("Dân số bằng nhau: " + "; ".join(parts) + ".") if parts else ""
