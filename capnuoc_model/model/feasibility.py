"""What it takes to reach the plan year's targets: inverse questions, solved.

1. The smallest share of the projects' stated beneficiaries connected by
   31/12 of the plan year that brings the province to its coverage target, as
   :meth:`capnuoc_model.data.plan.Plan.meets` compares (bisection on the deterministic
   model, which is monotone in that share).
2. The loss volume (m³/day) to remove for the province loss target, and the
   least-cost way to remove it: a linear programme (scipy HiGHS) over the loss
   measures of the plan each system can take, each with its removable volume and cost,
   never taking a system below its floor loss rate nor its real losses below
   the unavoidable level (UARL, ILI ≥ 1); each measure names the component of
   the IWA balance it acts on (``MEASURE_COMPONENT``).
3. Cost per newly served person of each project, and cost per m³/day of loss
   removed of each measure in each system.

The loss programme is linearised for the allocation: each measure's removable
volume is computed on the plan year's state without any programme, and volumes add
up (the engine itself compounds measures, so the LP slightly overstates what
stacked measures remove in one system; the floor constraint bounds that).
Both solves' statuses are checked: a failed solve is reported in words
(:attr:`LossAnswer.solver_problem_vi`), never read as a cut of zero.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from capnuoc_model.model import engine

from capnuoc_model.data import fmt
from capnuoc_model.model import losses
from capnuoc_model.model.losses import favad_leak_ratio
from capnuoc_model.model.projection import Projection, Setup, deterministic

BISECTION_STEPS = 40


def coverage_at_uptake(s: Setup, share: float) -> float:
    """Deterministic province coverage on 31/12 of the plan year if ``share`` of every project's beneficiaries are connected."""
    results = deterministic(s, {**s.values, engine.UPTAKE_BY_PLAN_YEAR_END: share})
    return float(results.province_coverage_pct[0, results.years.index(s.plan_year)])


@dataclass(frozen=True)
class UptakeAnswer:
    reachable: bool
    share: float  # minimal share of stated beneficiaries connected by 31/12 of the plan year (1 when unreachable)
    people_to_connect: float  # share × stated beneficiaries of the projects commissioned by then
    coverage_at_full_uptake_pct: float
    shortfall_persons: float  # people still missing at full uptake (0 when reachable)


def commissioned_in_plan_year(s: Setup) -> pd.Series:
    """project_id -> whether the people-serving project commissions by 31/12 of the plan year (assumption values)."""
    people = s.inputs.people_projects
    year_end = s.plan.month_end(s.plan_year)
    months = [float(s.values[f"projects.{pid}.commissioning_month"]) for pid in people["project_id"]]
    return pd.Series([m <= year_end for m in months], index=people["project_id"].to_numpy(), dtype=bool)


def _beneficiaries_commissioned_in_plan_year(s: Setup) -> float:
    """Stated beneficiaries of the people-serving projects that commission by 31/12 of the plan year in this scenario."""
    people = s.inputs.people_projects
    return float(people["beneficiaries_persons"].to_numpy()[commissioned_in_plan_year(s).to_numpy()].sum())


def minimal_uptake(s: Setup) -> UptakeAnswer:
    beneficiaries = _beneficiaries_commissioned_in_plan_year(s)

    def reached(share: float) -> bool:
        return bool(s.plan.meets("coverage", coverage_at_uptake(s, share)))

    full = coverage_at_uptake(s, 1.0)
    if not reached(1.0):
        point = deterministic(s, {**s.values, engine.UPTAKE_BY_PLAN_YEAR_END: 1.0})
        y = point.years.index(s.plan_year)
        missing = s.plan.target("coverage").low / 100 * point.population[0, y].sum() - point.served[0, y].sum()
        return UptakeAnswer(False, 1.0, beneficiaries, full, float(missing))
    low, high = 0.0, 1.0
    if reached(0.0):
        return UptakeAnswer(True, 0.0, 0.0, full, 0.0)
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2
        if reached(middle):
            high = middle
        else:
            low = middle
    return UptakeAnswer(True, high, high * beneficiaries, full, 0.0)


@dataclass(frozen=True)
class CoverageGap:
    """What the coverage target takes in the model's own terms, on 31/12 of the plan year.

    Counted on the Monte Carlo draws, not on a what-if the draws never reach: ``people_needed`` is the smallest
    number of people served on top of each draw's forecast that makes the target met (as the plan compares) in at
    least half of the draws. Where those people can come from is said with the scenario's assumptions: the
    stated beneficiaries of the projects commissioned by then that the uptake curve has not yet connected, then
    network extension, never beyond what the areas' populations leave (``room_persons``, at the median).
    """
    people_needed: float  # 0 when the target is already met in at least half of the draws
    served_persons: float  # median of the draws
    population_persons: float  # median of the draws
    beneficiaries_persons: float  # stated beneficiaries of the projects commissioned by 31/12 (assumption values)
    connected_persons: float  # of those, connected by 31/12 along the uptake curve (assumption values)
    room_persons: float  # people the areas can still be served, up to their maximum coverage (median)

    @property
    def remaining_persons(self) -> float:
        return max(self.beneficiaries_persons - self.connected_persons, 0.0)

    @property
    def from_projects(self) -> float:
        return min(self.people_needed, self.remaining_persons)

    @property
    def from_extension(self) -> float:
        return max(self.people_needed - self.remaining_persons, 0.0)

    @property
    def achievable(self) -> bool:
        return self.people_needed <= self.room_persons


def people_needed(plan, served: np.ndarray, population: np.ndarray) -> float:
    """Smallest whole number of people X so that ``served + X`` meets the coverage target in half of the draws or more."""
    def share(extra: float) -> float:
        return float(plan.meets("coverage", 100 * (served + extra) / population).mean())

    if share(0.0) >= 0.5:
        return 0.0
    low, high = 0.0, float(np.max(population))  # with everyone served, every draw meets any share target ≤ 100 %
    while high - low > 1:
        middle = np.floor((low + high) / 2)
        low, high = (low, middle) if share(middle) >= 0.5 else (middle, high)
    return high


def coverage_gap(p: Projection) -> CoverageGap:
    """:class:`CoverageGap` of a projection (plan year, province)."""
    s = p.setup
    y = p.mc.years.index(s.plan_year)
    served, population = p.mc.served[:, y].sum(axis=1), p.mc.population[:, y].sum(axis=1)
    needed = people_needed(s.plan, served, population)
    people = s.inputs.people_projects
    year_end = s.plan.month_end(s.plan_year)
    months = np.array([float(s.values[f"projects.{pid}.commissioning_month"]) for pid in people["project_id"]])
    stated = people["beneficiaries_persons"].to_numpy(float)
    on_time = months <= year_end
    share = engine.uptake_share(year_end - months, np.full(len(months), float(s.values["uptake.final_share"])),
                                np.full(len(months), float(s.values["uptake.midpoint_months"])),
                                np.full(len(months), float(s.values["uptake.steepness_per_month"])))
    max_cover = p.mc.population[:, y] * (np.asarray(s.values["demand.max_coverage_pct"], float) / 100)
    room = np.maximum(max_cover - p.mc.served[:, y], 0).sum(axis=1)
    return CoverageGap(needed, float(np.median(served)), float(np.median(population)), float(stated[on_time].sum()),
                       float((share * stated)[on_time].sum()), float(np.median(room)))


MEASURES_VI = {
    "dma_leak_repair": "Phân vùng tách mạng (DMA), dò tìm và sửa rò rỉ",
    "maintenance": "Duy trì, bảo dưỡng, sửa rò rỉ nhỏ",
    "pressure_management": "Kiểm soát áp lực",
    "pipe_renewal": "Cải tạo, thay thế tuyến ống xuống cấp",
    "meter_replacement": "Kiểm định, thay thế đồng hồ",
    "customer_records": "Rà soát đấu nối, quản lý khách hàng",
}
# the component of the IWA balance each measure acts on (engine._loss_levers)
MEASURE_COMPONENT = {
    "dma_leak_repair": "real", "maintenance": "real", "pressure_management": "real", "pipe_renewal": "real",
    "meter_replacement": "apparent", "customer_records": "apparent+real",
}
COMPONENT_VI = {"real": "Thất thoát cơ học", "apparent": "Thất thoát thương mại",
                "apparent+real": "Thất thoát thương mại và cơ học"}


def measure_options(s: Setup) -> tuple[pd.DataFrame, float, float]:
    """Every (system, measure) the plan's loss measures allow, with the loss it removes by 31/12 of the plan year
    and its cost; also the province loss and production of the plan year without any programme (m³/day).

    Each measure is sized at the programme's highest effort (the ``loss_programme.effort`` leaf's
    maximum), with the engine's effect rule 1 − (1 − effect)^effort and a cost proportional to
    effort, so the LP can use anything the projection could do; a share below 1 is a smaller campaign.
    """
    effort_leaf = s.scenario.get("loss_programme.effort")
    effort = float(effort_leaf.max if effort_leaf.max is not None else effort_leaf.value)
    v = {**s.values, "loss_programme.effort": 0.0}
    base = deterministic(s, v)
    y = base.years.index(s.plan_year)
    real, apparent, production = base.real_loss[0, y], base.apparent_loss[0, y], base.production[0, y]
    # the engine books unbilled authorised consumption with the apparent losses; no measure acts on it
    commercial = apparent - base.unbilled_authorised[0, y]
    uarl = base.unavoidable_real_loss[0, y]
    first = float(v["loss_programme.first_year_realisation"])
    lp = "loss_programme."
    pressure_effect = 1 - favad_leak_ratio(1.0, 1 - float(v[lp + "pressure_management.pressure_cut"]),
                                           float(v[lp + "pressure_management.n1_exponent"]))
    renewal_share = min(1.0, float(v[lp + "pipe_renewal.network_share_per_year"]) * effort)

    def at_effort(effect: float) -> float:
        return 1 - (1 - effect) ** effort

    inp = s.inputs
    rows = []
    for j, system_id in enumerate(inp.system_ids):
        if not inp.operating_base[j]:
            continue
        size = production[j] / 1000  # thousands of m³/day of system input

        def add(measure: str, real_removed: float, apparent_removed: float, cost: float) -> None:
            rows.append({"system_id": system_id, "measure": measure, "measure_vi": MEASURES_VI[measure],
                         "component": MEASURE_COMPONENT[measure],
                         "removable_m3_per_day": (real_removed + apparent_removed) * first, "cost_billion_vnd": cost * effort,
                         # once fully in effect (the first year realises only part): what the payback counts
                         "full_real_cut_m3_per_day": real_removed, "full_apparent_cut_m3_per_day": apparent_removed})

        if inp.is_low_loss[j]:
            add("maintenance", real[j] * at_effort(float(v[lp + "dma_leak_repair.maintenance_real_loss_cut"])), 0.0,
                size * float(v[lp + "dma_leak_repair.maintenance_cost_billion_vnd_per_1000_m3_day"]))
            continue
        add("dma_leak_repair", real[j] * at_effort(float(v[lp + "dma_leak_repair.real_loss_cut"])), 0.0,
            size * float(v[lp + "dma_leak_repair.cost_billion_vnd_per_1000_m3_day"]))
        add("pressure_management", real[j] * at_effort(pressure_effect), 0.0,
            size * float(v[lp + "pressure_management.cost_billion_vnd_per_1000_m3_day"]))
        add("meter_replacement", 0.0, commercial[j] * at_effort(float(v[lp + "meter_replacement.apparent_loss_cut"])),
            size * float(v[lp + "meter_replacement.cost_billion_vnd_per_1000_m3_day"]))
        if inp.is_recent[j]:
            add("customer_records", real[j] * at_effort(float(v[lp + "customer_records.real_loss_cut"])),
                commercial[j] * at_effort(float(v[lp + "customer_records.apparent_loss_cut"])),
                size * float(v[lp + "customer_records.cost_billion_vnd_per_1000_m3_day"]))
        else:
            add("pipe_renewal", real[j] * renewal_share * float(v[lp + "pipe_renewal.leak_reduction_on_renewed"]), 0.0,
                size * 100 * renewal_share / effort * float(v[lp + "pipe_renewal.cost_billion_vnd_per_1000_m3_day_per_pct"]))
    options = pd.DataFrame(rows)
    options["million_vnd_per_m3_day"] = 1000 * options["cost_billion_vnd"] / options["removable_m3_per_day"]
    floor = float(v["losses.floor_pct"]) / 100
    billed = base.billed[0, y]
    loss = real + apparent
    # a system can go neither below the floor loss rate nor below its unavoidable real losses (ILI ≥ 1)
    # plus the unbilled authorised consumption no measure touches
    headroom = {sid: max(0.0, min(loss[j] - billed[j] * floor / (1 - floor), real[j] - uarl[j] + commercial[j]))
                for j, sid in enumerate(inp.system_ids)}
    options["system_headroom_m3_per_day"] = options["system_id"].map(headroom)
    return options, float(loss[base.active[0, y]].sum()), float(production[base.active[0, y]].sum())


@dataclass(frozen=True)
class LossAnswer:
    loss_pct_without_programme: float
    cut_needed_m3_per_day: float  # from the no-programme state of the plan year to the loss target
    feasible: bool
    cut_achievable_m3_per_day: float  # the most the measures can remove by 31/12 of the plan year (NaN: not solved)
    cost_billion_vnd: float
    allocation: pd.DataFrame  # options with the share used and volume removed
    target_pct: float = float("nan")  # the loss target the cut aims at
    solver_problem_vi: str | None = None  # why the least-cost programme could not be solved, and what is unknown


SOLVER_STATUS_VI = {1: "dừng vì vượt giới hạn số vòng lặp", 2: "các ràng buộc mâu thuẫn, bài toán không có nghiệm",
                    3: "bài toán không bị chặn", 4: "gặp sự cố số học"}


def cut_needed(loss_m3_per_day: float, production_m3_per_day: float, target_pct: float) -> float:
    """Loss volume to remove so that loss / production = target (removing loss lowers production too)."""
    t = target_pct / 100
    return max(0.0, (loss_m3_per_day - t * production_m3_per_day) / (1 - t))


def linprog(*args, **kwargs):
    """scipy's ``linprog`` (HiGHS), imported on the first solve: a notebook or command that reads a cached run never solves."""
    from scipy.optimize import linprog as solve

    return solve(*args, **kwargs)


def _solver_problem(status: int, what_vi: str) -> str:
    return f"Không giải được bài toán {what_vi} (HiGHS: {SOLVER_STATUS_VI.get(status, f'mã trạng thái {status}')})"


def least_cost_loss_cut(s: Setup) -> LossAnswer:
    """The least-cost cut to the loss target; every solve's status is checked (module docstring)."""
    target_pct = s.plan.target("loss").high
    options, loss, production = measure_options(s)
    need = cut_needed(loss, production, target_pct)
    volumes = options["removable_m3_per_day"].to_numpy()
    costs = options["cost_billion_vnd"].to_numpy()
    systems = options["system_id"].to_numpy()
    unique = list(dict.fromkeys(systems))
    # per-system floor: Σ_m x_m v_m ≤ headroom_s ; total: Σ x v ≥ need
    a_ub = [np.where(systems == sid, volumes, 0.0) for sid in unique] + [-volumes]
    headroom = options.groupby("system_id", sort=False)["system_headroom_m3_per_day"].first()
    most = linprog(-volumes, A_ub=np.array(a_ub[:-1]), b_ub=headroom[unique].to_numpy(), bounds=[(0, 1)] * len(volumes), method="highs")
    loss_pct = 100 * loss / production
    year = s.plan_year
    if most.status != 0:
        problem = (_solver_problem(most.status, "lượng thất thoát các giải pháp giảm được tối đa")
                   + f": chưa biết các giải pháp giảm được bao nhiêu trong {fmt.m3_per_day(need)} cần giảm để tỷ lệ thất thoát "
                   f"năm {year} về {fmt.vn(target_pct, 1, trim=True)} %.")
        unknown = options.assign(share_used=np.nan, removed_m3_per_day=np.nan, cost_used_billion_vnd=np.nan)
        return LossAnswer(loss_pct, need, False, float("nan"), float("nan"), unknown, target_pct, problem)
    achievable = float(-most.fun)
    feasible = need <= achievable + 1e-9
    problem = None
    if need <= 0:
        share = np.zeros(len(volumes))
    elif feasible:
        result = linprog(costs, A_ub=np.array(a_ub), b_ub=np.append(headroom[unique].to_numpy(), -need),
                         bounds=[(0, 1)] * len(volumes), method="highs")
        if result.status == 0:
            share = result.x
        else:  # the most the measures can do still reaches the target: report that, and say the cost is not the least
            share = most.x
            problem = (_solver_problem(result.status, "chi phí thấp nhất")
                       + f": chi phí nêu ở đây là của phương án làm mọi giải pháp có thể, không phải chi phí thấp nhất để "
                       f"giảm {fmt.m3_per_day(need)}.")
    else:
        share = most.x
    allocation = options.assign(share_used=np.round(share, 6), removed_m3_per_day=share * volumes,
                                cost_used_billion_vnd=share * costs)
    return LossAnswer(loss_pct, need, feasible, achievable, float((share * costs).sum()), allocation, target_pct, problem)


def with_payback(loss: LossAnswer, prices: pd.DataFrame) -> LossAnswer:
    """The answer with each measure's yearly value and simple payback (:func:`losses.measure_payback`)
    at the systems' prices (index system_id: average tariff, variable cost)."""
    return replace(loss, allocation=losses.measure_payback(loss.allocation, prices))


def programme_payback(loss: LossAnswer) -> tuple[float, float]:
    """(yearly value in billion VND, simple payback in years) of the measures the least-cost cut uses,
    each counted with its share used; NaN without prices, inf when the cut is worth nothing."""
    a = loss.allocation
    if "value_billion_vnd_per_year" not in a:
        return np.nan, np.nan
    value = float((a["share_used"] * a["value_billion_vnd_per_year"]).sum(min_count=1))
    if not np.isfinite(value):
        return np.nan, np.nan
    return value, (loss.cost_billion_vnd / value if value > 0 else np.inf)


def nrw_value_by_year(systems: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """The yearly value of NRW of each running system in each projected year, and of the province
    (``system_id`` "province"), at 2025 prices (:func:`losses.nrw_value`). ``systems``:
    :func:`capnuoc_model.model.projection.systems_table`. A system without prices of its own (one built
    during the plan whose operator is not yet named) is valued at the mean prices of the others."""
    running = systems[systems["is_running"].astype(bool)]
    prices = prices.fillna({c: prices[c].mean() for c in ("average_tariff_vnd_per_m3", "variable_cost_vnd_per_m3")})
    balance = pd.DataFrame({
        "real_losses_m3_per_day": running["real_loss_m3_per_day"].to_numpy(float),
        "apparent_losses_m3_per_day": running["apparent_loss_m3_per_day"].to_numpy(float),
        "unbilled_authorised_m3_per_day": running["unbilled_authorised_m3_per_day"].to_numpy(float),
    })
    value = losses.nrw_value(balance, prices.reindex(running["system_id"].to_numpy()).reset_index(drop=True))
    frame = pd.concat([running[["scenario", "year", "system_id", "name_vi"]].reset_index(drop=True), value], axis=1)
    sums = ["real_losses_value_billion_vnd_per_year", "apparent_losses_value_billion_vnd_per_year",
            "unbilled_authorised_value_billion_vnd_per_year", "nrw_value_billion_vnd_per_year"]
    province = frame.groupby(["scenario", "year"], sort=False)[sums].sum(min_count=1).reset_index()
    province.insert(2, "system_id", "province")
    province.insert(3, "name_vi", "Toàn tỉnh")
    return pd.concat([frame.drop(columns="nrw_pct_of_operating_cost"), province], ignore_index=True)


def project_costs(p: Projection) -> pd.DataFrame:
    """Cost per person the project serves: as stated, and as connected by 31/12 of the plan year and of the horizon
    (the deterministic run's gain in the project's areas)."""
    costs = p.setup.inputs.project_costs.copy()
    people = p.setup.inputs.people_projects
    point = p.point
    out = []
    for row in costs.itertuples():
        record = {"project_id": row.project_id, "project_no": row.project_no, "name_vi": row.name_vi,
                  "kind": row.kind, "cost_billion_vnd": row.cost_billion_vnd,
                  "beneficiaries_persons": row.beneficiaries_persons}
        areas = people.loc[people["project_id"] == row.project_id, "area"].astype(int).unique()
        if len(areas):
            for column, year in (("area_gain_plan_year_persons", p.setup.plan_year), ("area_gain_horizon_persons", point.years[-1])):
                y = point.years.index(year)
                record[column] = float((point.served[0, y, areas] - point.served[0, 0, areas]).sum())
            record["million_vnd_per_stated_person"] = 1000 * row.cost_billion_vnd / row.beneficiaries_persons
        out.append(record)
    return pd.DataFrame(out)


def what_it_takes_table(p: Projection, uptake: UptakeAnswer, loss: LossAnswer) -> pd.DataFrame:
    """One long table: question, scope, measure, value, unit, note."""
    plan = p.setup.plan
    gap = coverage_gap(p)  # what it takes in the model's own terms (the sentences of check and of the documents)
    end = f"31/12/{plan.plan_year}"
    coverage_target = plan.target("coverage").text()
    loss_target = plan.target("loss").text()
    rows = [
        ("coverage", "province", "", uptake.share, "fraction",
         f"minimal share of the stated project beneficiaries connected by {end} for {coverage_target}" if uptake.reachable
         else f"{coverage_target} is not reached even with every beneficiary connected"),
        ("coverage", "province", "", uptake.people_to_connect, "persons", f"people the projects must connect by {end}"),
        ("coverage", "province", "", uptake.coverage_at_full_uptake_pct, "%", f"coverage on {end} with every beneficiary connected"),
        ("coverage", "province", "", uptake.shortfall_persons, "persons", "what-if: people still missing at full uptake"),
        ("coverage", "province", "", gap.people_needed, "persons",
         f"people to serve by {end} beyond the forecast so that {coverage_target} is met in half of the draws or more"),
        ("coverage", "province", "", gap.from_projects, "persons",
         f"of those, stated beneficiaries the uptake curve has not connected by {end}"),
        ("coverage", "province", "", gap.from_extension, "persons", "of those, by network extension beyond the projects"),
        ("loss", "province", "", loss.loss_pct_without_programme, "%", f"{plan.plan_year} loss without any programme"),
        ("loss", "province", "", loss.cut_needed_m3_per_day, "m³/day", f"loss volume to remove for {loss_target}"),
        ("loss", "province", "", loss.cut_achievable_m3_per_day, "m³/day",
         f"most the loss measures can remove by {end}" if loss.solver_problem_vi is None else loss.solver_problem_vi),
        ("loss", "province", "", loss.cost_billion_vnd, "billion VND",
         "least cost of the cut" if loss.feasible else f"cost of doing everything possible ({loss_target} not reachable)"),
    ]
    value, payback = programme_payback(loss)
    if np.isfinite(value):
        rows += [("loss", "province", "", value, "billion VND/year", "yearly value of what the cut recovers, fully in effect"),
                 ("loss", "province", "", payback, "years", "simple payback of the cut: its cost / its yearly value")]
    for r in loss.allocation.itertuples():
        rows.append(("loss_allocation", r.system_id, r.measure, r.removed_m3_per_day, "m³/day",
                     f"share used {r.share_used:.3f}; cost {r.cost_used_billion_vnd:.3f} billion VND"))
        rows.append(("measure_unit_cost", r.system_id, r.measure, r.million_vnd_per_m3_day, "million VND per m³/day",
                     f"removes up to {r.removable_m3_per_day:.1f} m³/day by {end}"))
        if hasattr(r, "payback_years"):
            rows.append(("measure_payback", r.system_id, r.measure, r.payback_years, "years",
                         f"cost {r.cost_billion_vnd:.3f} billion VND / value {r.value_billion_vnd_per_year:.3f} billion VND a year "
                         "(real losses at the variable cost, apparent losses at the tariff)"))
    for r in project_costs(p).itertuples():
        if pd.notna(r.beneficiaries_persons):
            rows.append(("project_unit_cost", r.project_id, "", r.million_vnd_per_stated_person, "million VND per person",
                         f"{r.cost_billion_vnd} billion VND for {int(r.beneficiaries_persons)} people stated"))
    frame = pd.DataFrame(rows, columns=["question", "scope", "measure", "value", "unit", "note"])
    frame.insert(0, "scenario", p.scenario.label)
    return frame
