"""The projection model: population, connections, coverage, demand, capacity use and losses, base year → horizon.

Vectorised over Monte Carlo draws: every state is an array with draws on the
first axis (``n × areas`` or ``n × systems``); the only Python loop is over
the five projected years. A deterministic run is the same code with ``n = 1``
and every assumption at its value.

The years come from the plan (``package.plan``: base, plan and horizon year).
Each year ``t`` is the state on 31/12 of that year (month ``12·(t − base)``
counted from 1/1 of the first projected year), the date on which the plan's
targets are measured. The base year is the data package's baseline, unchanged.

Coverage. Served people change only by connections: (a) the people-serving
projects of §VI, each connecting its stated beneficiaries along a logistic
uptake curve after its commissioning month; (b) densification, a share of the
population growth in served zones; (c) network extension, a yearly share of
the remaining gap in areas, at the rate of the assumption the area's orientation
group names (``orientation_groups.csv`` ``extension_assumption``; none: no
extension). A project listing several areas splits its beneficiaries over them
in proportion to their unserved people in the base year (equally when none is
unserved), and one listing several systems gives its capacity to them in equal
parts (see Capacity); a network project cuts the real losses of every system it lists. Requests are cut by capacity: a
system takes new people only while its production stays under
``max_utilisation_pct`` of design capacity (capacity projects raise it when
they commission), and no area passes ``max_coverage_pct``. So served ≤
population and coverage ∈ [0, 100] hold by construction.

Linked systems not yet running. An area's served people are supplied by its
linked systems in the shares of ``area_systems.csv``; until a linked system
runs (before its project commissions, or a stopped one), its share is supplied
by the area's running systems in proportion to their own shares, and only
running systems limit the area's growth. When it starts, the shares of the
data apply. An area without any running system gets no new connections.

Capacity. A project's ``capacity_m3_per_day`` is the whole design capacity of
a new or rebuilt system: it replaces whatever capacity ``systems.csv``
records for it (a stopped plant's old capacity is not counted again);
``capacity_added_m3_per_day`` adds to the capacity of a system running in
the base year (:func:`check_capacity_projects` rejects any other use). No system
produces more than design capacity × ``max_utilisation_pct``: the production
its customers would need above that is *unserved demand* (``Results.unserved``,
m³/day of system input), reported per system and year.

Leakage and hours of supply. Real losses of the systems running in the base
year depend on network pressure and on the hours the mains are charged, not on
the volume customers use: while a system meets its demand it runs at full
pressure and hours, so a higher use per person raises billed volume and
production but not real losses, and the loss rate falls (a property of a
loss rate as a share of input; the per-connection indicators of
:mod:`capnuoc_model.model.losses` do not move). New systems, with no balance of
their own yet, lose ``new_system_loss_pct`` of their input. When
demand passes the capacity limit the system supplies fewer hours
(intermittent supply): billed use, real losses (leaks run only while the
mains are charged, as in the UARL's hours-of-supply factor) and apparent
losses all fall in the same proportion, production equals the limit, and the
rest is unserved demand. So more production never lowers real losses, and a
shortage never improves a system's loss rate.

Losses. Each system's base-year loss (non-revenue water, production − billed)
splits by its IWA water balance (:mod:`capnuoc_model.model.losses`, the data
package's ``system_network.csv``) into real (physical) losses, apparent
(commercial) losses and unbilled authorised consumption; where the apparent
losses sit inside their ±95 % balance range is the assumption
``losses.apparent_loss_position``. Real losses grow with ageing and new pipes
and are cut by DMAs with leak repair, pressure management (FAVAD,
:func:`capnuoc_model.model.losses.favad_leak_ratio`), pipe renewal, connection fixing
and the centre's network projects, never below the unavoidable real losses
(UARL, ILI ≥ 1; UARL grows with the people a system serves); apparent losses
scale with billed volume and are cut by meter replacement and customer
records; unbilled authorised consumption scales with billed volume and no
measure acts on it. ``Results.apparent_loss`` carries the non-physical part of
the loss, apparent losses plus unbilled authorised consumption (the plan's
"thất thu"), of which ``Results.unbilled_authorised`` is the unbilled part, so
that production = billed + real + apparent, never below the floor loss rate.
New systems run at ``new_system_loss_pct``, of which the share
``losses.new_system_real_loss_share`` is real (physical) loss.

Demand. Billed volume per served person is each system's base-year volume per
person, scaled by the demand assumption of the areas it serves (the orientation
group's ``demand_assumption``, relative to its default). Defaults where data are
missing, each stated here rather than silent: a system without billed history
(not running in the base year, or billing nothing) bills the average per person
of the running systems with the same demand assumption, else of all running
systems; with no running system at all the package is rejected (located error).
Systems that do not operate in the base year have no capacity, production or
billed volume (validation enforces it), so those count as 0. A system whose
real and non-physical losses are both 0 splits a floor loss with
``losses.new_system_real_loss_share``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from capnuoc_model.data.errors import CapnuocInputError, violation
from capnuoc_model.data.io import DataPackage, display_path
from capnuoc_model.data.schema import split_ids
from capnuoc_model.model.losses import apparent_split_2025, favad_leak_ratio

UPTAKE_BY_PLAN_YEAR_END = "whatif.uptake_share_by_plan_year_end"
NEW_SYSTEM_REAL_SHARE = "losses.new_system_real_loss_share"
LOW_LOSS_SET = "at_or_below_threshold"  # systems.csv plan_loss_group: the plan's set at or below the loss threshold


@dataclass(frozen=True)
class Inputs:
    """Static arrays taken from the data package (index order = the package's row order)."""

    area_ids: tuple[str, ...]
    system_ids: tuple[str, ...]
    area_names: tuple[str, ...]
    system_names: tuple[str, ...]
    area_group: np.ndarray  # (A,) orientation group ids
    population_base: np.ndarray  # (A,) persons
    served_base: np.ndarray  # (A,) persons
    shares: np.ndarray  # (A, S) share of an area's served people supplied by each system
    operating_base: np.ndarray  # (S,) bool
    capacity_base: np.ndarray  # (S,) m³/day, 0 where not operating
    production_base: np.ndarray  # (S,) m³/day
    billed_base: np.ndarray  # (S,) m³/day
    billed_per_person_base: np.ndarray  # (S,) m³/person/day (see "Defaults" in the module docstring)
    is_low_loss: np.ndarray  # (S,) bool: in the plan's set at or below the loss threshold (§V.2 footnote 1 for Cao Bằng)
    is_recent: np.ndarray  # (S,) bool
    people_projects: pd.DataFrame  # one row per (people-serving project, area): project_id, area index, beneficiaries, kind
    loss_projects: pd.DataFrame  # one row per (network project, system): project_id, system index
    years: tuple[int, ...] = ()  # base year first, then every projected year to the horizon
    plan_year: int = 0
    area_extension: tuple[str, ...] = ()  # (A,) extension assumption path of the area's group, "" for none
    demand_weights: dict[str, np.ndarray] = field(repr=False, default_factory=dict)  # demand path -> (S,) weight
    project_systems: pd.DataFrame = field(repr=False, default=None)  # project_id, system index, capacity share
    project_costs: pd.DataFrame = field(repr=False, default=None)  # project_id, cost_billion_vnd, beneficiaries
    # the base-year IWA balance as shares, so that scaling volumes scales every component (0 where not operating)
    apparent_share_base: np.ndarray = field(repr=False, default=None)  # (S,) apparent losses / NRW
    unbilled_share_base: np.ndarray = field(repr=False, default=None)  # (S,) unbilled authorised consumption / NRW
    apparent_spread_base: np.ndarray = field(repr=False, default=None)  # (S,) ±95 % half-width of apparent losses / NRW
    uarl_share_base: np.ndarray = field(repr=False, default=None)  # (S,) unavoidable real losses / system input

    @property
    def n_areas(self) -> int:
        return len(self.area_ids)

    @property
    def n_systems(self) -> int:
        return len(self.system_ids)


def build_inputs(package: DataPackage) -> Inputs:
    plan = package.plan
    areas = package.urban_areas.reset_index(drop=True)
    systems = package.systems.reset_index(drop=True)
    area_index = {a: i for i, a in enumerate(areas["area_id"])}
    system_index = {s: i for i, s in enumerate(systems["system_id"])}
    shares = np.zeros((len(areas), len(systems)))
    for link in package.area_systems.itertuples():
        shares[area_index[link.area_id], system_index[link.system_id]] = float(link.share_of_area_served)

    population = areas["population_base_persons"].to_numpy(float)
    served = areas["served_base_persons"].to_numpy(float)
    operating = (systems["status"] == "operating").to_numpy()
    billed = systems["billed_m3_per_day"].fillna(0).to_numpy(float)
    group = areas["orientation_group"].astype(str)
    demand_path = group.map(plan.demand_assumptions).fillna("").to_numpy(object)
    demand_weights = _demand_weights(shares, demand_path)
    per_person = _billed_per_person(package, shares, served, operating, billed, demand_weights)

    people_rows, system_rows, loss_rows = [], [], []
    unserved = np.maximum(population - served, 0)
    for project in package.projects.itertuples():
        system_list = [system_index[s] for s in split_ids(project.system_ids)]
        if project.kind == "network":
            loss_rows += [{"project_id": str(project.project_id), "system": j} for j in system_list]
        if project.beneficiaries_basis != "additional":
            continue
        area_list = [area_index[a] for a in split_ids(project.area_ids)]
        weight = unserved[area_list] if unserved[area_list].sum() > 0 else np.ones(len(area_list))
        for i, w in zip(area_list, weight / weight.sum()):
            people_rows.append({"project_id": str(project.project_id), "area": i,
                                "beneficiaries_persons": float(project.beneficiaries_persons) * w, "kind": str(project.kind)})
        system_rows += [{"project_id": str(project.project_id), "system": j, "capacity_share": 1 / len(system_list)}
                        for j in system_list]
    people_projects = pd.DataFrame(people_rows, columns=["project_id", "area", "beneficiaries_persons", "kind"])
    project_systems = pd.DataFrame(system_rows, columns=["project_id", "system", "capacity_share"])
    loss_projects = pd.DataFrame(loss_rows, columns=["project_id", "system"])
    costs = package.projects[["project_id", "project_no", "name_vi", "cost_billion_vnd", "beneficiaries_persons", "kind"]].copy()
    return Inputs(
        area_ids=tuple(areas["area_id"].astype(str)),
        system_ids=tuple(systems["system_id"].astype(str)),
        area_names=tuple(areas["name_vi"].astype(str)),
        system_names=tuple(systems["name_vi"].astype(str)),
        area_group=group.to_numpy(),
        population_base=population,
        served_base=served,
        shares=shares,
        operating_base=operating,
        capacity_base=systems["design_capacity_m3_per_day"].fillna(0).to_numpy(float),
        production_base=systems["production_m3_per_day"].fillna(0).to_numpy(float),
        billed_base=billed,
        billed_per_person_base=per_person,
        is_low_loss=(systems["plan_loss_group"] == LOW_LOSS_SET).fillna(False).to_numpy(bool),
        is_recent=systems["is_recent_system"].astype(bool).to_numpy(),
        people_projects=people_projects,
        loss_projects=loss_projects,
        years=plan.years,
        plan_year=plan.plan_year,
        area_extension=tuple(group.map(plan.extension_assumptions).fillna("")),
        demand_weights=demand_weights,
        project_systems=project_systems,
        project_costs=costs.reset_index(drop=True),
        **_balance_shares(package, systems),
    )


def _demand_weights(shares: np.ndarray, demand_path: np.ndarray) -> dict[str, np.ndarray]:
    """For each demand assumption, the share of each system's supply links that lie in areas using it (Σ = 1 per linked system)."""
    links = shares > 0
    total = links.sum(axis=0)
    out = {}
    for path in sorted(set(demand_path) - {""}):
        count = links[demand_path == path].sum(axis=0)
        out[path] = np.divide(count, total, out=np.zeros(shares.shape[1]), where=total > 0)
    return out


def _billed_per_person(package: DataPackage, shares: np.ndarray, served: np.ndarray, operating: np.ndarray,
                       billed: np.ndarray, demand_weights: dict[str, np.ndarray]) -> np.ndarray:
    """Base-year billed m³/day per served person of each system; the stated default where a system has none."""
    persons = served @ _running_shares(shares, operating[None])[0]  # a stopped system supplies no one
    per_person = np.divide(billed, persons, out=np.zeros_like(billed), where=persons > 0)
    running = operating & (persons > 0) & (billed > 0)
    if not running.any():
        systems = package.systems
        raise CapnuocInputError([violation(display_path(package.directory / "systems.csv"), None, "billed_m3_per_day",
                                           "engine.no_running_system", count=len(systems))])
    overall = billed[running].sum() / persons[running].sum()
    # the demand assumption that weighs most in each system; its running systems give the default
    paths = sorted(demand_weights)
    dominant = np.array([paths[int(np.argmax([demand_weights[p][j] for p in paths]))] if paths else ""
                         for j in range(len(billed))], dtype=object)
    default = np.full(len(billed), overall)
    for path in paths:
        same = running & (dominant == path)
        if same.any():
            default[dominant == path] = billed[same].sum() / persons[same].sum()
    return np.where(per_person > 0, per_person, default)


def _balance_shares(package: DataPackage, systems: pd.DataFrame) -> dict[str, np.ndarray]:
    """The base-year IWA balance of each operating system as shares of its NRW (UARL as a share of input)."""
    split = apparent_split_2025(systems, package.system_network).reindex(systems["system_id"])
    nrw = (systems["production_m3_per_day"] - systems["billed_m3_per_day"]).astype(float).to_numpy()
    production = systems["production_m3_per_day"].astype(float).to_numpy()

    def share(column: str, denominator: np.ndarray) -> np.ndarray:
        values = split[column].to_numpy(float)
        ok = np.isfinite(values) & (denominator > 0)
        return np.divide(values, denominator, out=np.zeros_like(values), where=ok)

    return {
        "apparent_share_base": share("apparent_losses_m3_per_day", nrw),
        "unbilled_share_base": share("unbilled_authorised_m3_per_day", nrw),
        "apparent_spread_base": share("apparent_half_width_m3_per_day", nrw),
        "uarl_share_base": share("uarl_m3_per_day", production),
    }


class Params:
    """Assumption values for a run: ``p(path)`` is an array of shape (n, 1) (draws × broadcast axis)."""

    def __init__(self, values: dict[str, object], n: int, draws: dict[str, np.ndarray] | None = None,
                 reference: dict[str, float] | None = None):
        self.values = values
        self.n = n
        self.draws = draws or {}
        # values the base-year baseline was built with (the defaults file); demand scales relative to them
        self.reference = reference or {}

    def __call__(self, path: str) -> np.ndarray:
        if path in self.draws:
            return np.asarray(self.draws[path], dtype=float).reshape(self.n, 1)
        return np.full((self.n, 1), float(self.values[path]))

    def has(self, path: str) -> bool:
        return path in self.values


@dataclass
class Results:
    """Arrays of a run: (n, years, areas) and (n, years, systems)."""

    years: tuple[int, ...]
    area_ids: tuple[str, ...]
    system_ids: tuple[str, ...]
    population: np.ndarray
    served: np.ndarray
    production: np.ndarray
    billed: np.ndarray
    real_loss: np.ndarray
    apparent_loss: np.ndarray  # apparent losses plus unbilled authorised consumption: the non-physical part of the loss
    capacity: np.ndarray
    active: np.ndarray  # bool
    unbilled_authorised: np.ndarray = None  # the unbilled authorised part of apparent_loss
    unavoidable_real_loss: np.ndarray = None  # UARL of established systems (floor of real_loss), 0 elsewhere
    unserved: np.ndarray = None  # production needed above design capacity × max utilisation, m³/day (0 in the base year)
    production_limit: np.ndarray = None  # design capacity × max utilisation, m³/day

    @property
    def coverage_pct(self) -> np.ndarray:
        return 100 * self.served / self.population

    @property
    def loss(self) -> np.ndarray:
        return self.real_loss + self.apparent_loss

    @property
    def loss_pct(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.active, 100 * self.loss / self.production, np.nan)

    @property
    def utilisation_pct(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.active & (self.capacity > 0), 100 * self.production / self.capacity, np.nan)

    @property
    def province_coverage_pct(self) -> np.ndarray:
        """(n, years)"""
        return 100 * self.served.sum(axis=2) / self.population.sum(axis=2)

    @property
    def province_loss_pct(self) -> np.ndarray:
        """(n, years): Σ loss / Σ production over running systems."""
        loss = np.where(self.active, self.loss, 0).sum(axis=2)
        production = np.where(self.active, self.production, 0).sum(axis=2)
        return 100 * loss / production


def uptake_share(months_since: np.ndarray, final: np.ndarray, midpoint: np.ndarray, steepness: np.ndarray) -> np.ndarray:
    """Share of stated beneficiaries connected ``months_since`` months after commissioning (0 before).

    A logistic curve shifted so that it starts at 0 at commissioning and tends to ``final``.
    """
    start = 1 / (1 + np.exp(steepness * midpoint))
    now = 1 / (1 + np.exp(-steepness * (np.maximum(months_since, 0) - midpoint)))
    share = final * (now - start) / (1 - start)
    return np.where(months_since > 0, np.clip(share, 0, None), 0.0)


def _lever(effect: np.ndarray, effort: np.ndarray) -> np.ndarray:
    """Effect of a measure at a programme effort: 1 − (1 − effect)^effort (monotone in effort, ≤ 1)."""
    return 1 - np.power(np.clip(1 - effect, 0, 1), effort)


def run(inputs: Inputs, p: Params, growth_per_year: np.ndarray, years: tuple[int, ...] | None = None) -> Results:
    """Project every year of ``years`` (default the plan's; the first must be the base year) for ``p.n`` draws.

    ``growth_per_year`` is the annual population growth of each area, shape (n, A), as a fraction.
    """
    years = tuple(years or inputs.years)
    base_year = years[0]
    n, A, S, Y = p.n, inputs.n_areas, inputs.n_systems, len(years)
    W = inputs.shares
    out = {k: np.zeros((n, Y, A)) for k in ("population", "served")}
    out |= {k: np.zeros((n, Y, S)) for k in ("production", "billed", "real_loss", "apparent_loss", "capacity",
                                             "unbilled_authorised", "unavoidable_real_loss", "unserved",
                                             "production_limit")}
    out["active"] = np.zeros((n, Y, S), dtype=bool)

    # --- base year ------------------------------------------------------------
    population = np.broadcast_to(inputs.population_base, (n, A)).astype(float)
    served = np.broadcast_to(inputs.served_base, (n, A)).astype(float)
    capacity = np.broadcast_to(inputs.capacity_base, (n, S)).astype(float).copy()
    active = np.broadcast_to(inputs.operating_base, (n, S)).copy()
    real_base, apparent_base, unbilled_base, uarl_base = _split_base(inputs, p)  # (n, S) each
    apparent_rate = np.divide(apparent_base, inputs.billed_base, out=np.zeros((n, S)), where=inputs.billed_base > 0)
    unbilled_rate = np.divide(unbilled_base, inputs.billed_base, out=np.zeros((n, S)), where=inputs.billed_base > 0)
    persons_base = _persons(served, _running_shares(W, active))  # (n, S)
    production = np.broadcast_to(inputs.production_base, (n, S)).astype(float)
    _record(out, 0, population, served, production, inputs.billed_base, real_base * inputs.operating_base,
            (apparent_base + unbilled_base) * inputs.operating_base, capacity, active,
            unbilled_base * inputs.operating_base, uarl_base * inputs.operating_base)

    # --- assumptions used every year -----------------------------------------
    # each system's use per person follows the demand assumptions of the areas it serves
    demand_factor = np.zeros((n, S))
    for path, weight in inputs.demand_weights.items():
        demand_factor = demand_factor + weight * (p(path) / _reference(p, path))
    demand_factor = np.where(sum(inputs.demand_weights.values(), np.zeros(S)) > 0, demand_factor, 1.0)
    billed_per_person = inputs.billed_per_person_base * demand_factor
    max_util = p("demand.max_utilisation_pct") / 100
    max_cover = p("demand.max_coverage_pct") / 100
    densify = p("demand.densification_share")
    extension_rate = np.zeros((n, A))
    for path in sorted(set(inputs.area_extension) - {""}):
        extension_rate = np.where(np.array(inputs.area_extension) == path, p(path), extension_rate)
    people = inputs.people_projects
    commissioning = _months(p, people["project_id"], n)
    project_systems = inputs.project_systems if inputs.project_systems is not None else pd.DataFrame(columns=["project_id", "system", "capacity_share"])
    system_commissioning = _months(p, project_systems["project_id"], n)
    project_realised = np.zeros((n, len(people)))
    new_system_loss = p("losses.new_system_loss_pct") / 100
    new_system_real_share = p(NEW_SYSTEM_REAL_SHARE)
    floor = p("losses.floor_pct") / 100
    ageing = p("losses.ageing_real_loss_growth_pct_per_year") / 100
    new_pipe_leak = p("losses.new_connection_real_loss_l_per_person_day") / 1000
    levers = _loss_levers(inputs, p)
    billed_prev = np.broadcast_to(inputs.billed_base, (n, S)).astype(float)
    out["production_limit"][:, 0] = capacity * max_util
    # a project's whole capacity replaces the recorded one; capacity added goes on top (replacements first)
    whole = [j for j, pid in enumerate(project_systems["project_id"]) if p.has(f"projects.{pid}.capacity_m3_per_day")]
    capacity_order = whole + [j for j in range(len(project_systems)) if j not in whole]

    for y, year in enumerate(years[1:], start=1):
        month = 12.0 * (year - base_year)
        previous_population = population
        coverage_prev = served / previous_population
        population = inputs.population_base * np.power(1 + growth_per_year, year - base_year)
        # where population falls, the served part of it falls in proportion (served ≤ population always)
        served = served * np.minimum(1.0, population / previous_population)

        # systems and capacity that exist at the end of this year
        capacity = np.broadcast_to(inputs.capacity_base, (n, S)).astype(float).copy()
        active = np.broadcast_to(inputs.operating_base, (n, S)).copy()
        for j in capacity_order:
            row = project_systems.iloc[j]
            system, path, part = int(row["system"]), f"projects.{row['project_id']}.", float(row["capacity_share"])
            done = system_commissioning[:, j] <= month
            if j in whole:
                capacity[:, system] = np.where(done, p(path + "capacity_m3_per_day")[:, 0] * part, capacity[:, system])
            else:
                capacity[:, system] += np.where(done, p(path + "capacity_added_m3_per_day")[:, 0] * part, 0.0)
            active[:, system] |= done
        shares = _running_shares(W, active)  # (n, A, S): who supplies an area's served people this year

        # connection requests per area
        uptake = uptake_share(month - commissioning, p("uptake.final_share"), p("uptake.midpoint_months"), p("uptake.steepness_per_month"))
        if p.has(UPTAKE_BY_PLAN_YEAR_END) and year == inputs.plan_year:
            # what-if: a given share of the stated beneficiaries connected by 31/12 of the plan year
            uptake = np.where(commissioning <= month, p(UPTAKE_BY_PLAN_YEAR_END), 0.0)
        project_target = uptake * people["beneficiaries_persons"].to_numpy()
        project_request = np.maximum(project_target - project_realised, 0)  # (n, P)
        request_by_project_area = np.zeros((n, A))
        np.add.at(request_by_project_area.T, people["area"].to_numpy(), project_request.T)
        has_service = (shares > 0).any(axis=2)
        densification = densify * coverage_prev * np.maximum(population - previous_population, 0)
        room = np.maximum(max_cover * population - served, 0)
        extension = extension_rate * np.maximum(room - request_by_project_area - densification, 0)
        request = np.where(has_service, request_by_project_area + densification + extension, 0.0)

        # capacity limit: production needed per new person, headroom per system
        loss_rate_prev = np.divide(production - billed_prev, production,
                                   out=np.zeros((n, S)), where=production > 0)
        loss_rate_prev = np.where(active & (production <= 0), new_system_loss, loss_rate_prev)
        need_per_person = billed_per_person / np.clip(1 - loss_rate_prev, 0.05, 1)
        current_need = _persons(served, shares) * billed_per_person / np.clip(1 - loss_rate_prev, 0.05, 1)
        headroom = np.maximum(capacity * max_util - current_need, 0)
        demand_new = _persons(request, shares) * need_per_person
        with np.errstate(over="ignore"):  # a tiny request over a large headroom is simply granted
            ratio = np.divide(headroom, demand_new, out=np.ones_like(headroom), where=demand_new > 0)
        scale_system = np.where(demand_new > 0, np.minimum(1, ratio), 1.0)
        scale_system = np.where(active, scale_system, 0.0)
        linked = shares > 0  # running systems only: a system not yet built does not hold its area back
        scale_area = np.where(linked, scale_system[:, None, :], np.inf).min(axis=2)
        scale_area = np.where(np.isfinite(scale_area), scale_area, 0.0)
        new = np.minimum(request * scale_area, room)
        fraction_granted = np.divide(new, request, out=np.zeros_like(new), where=request > 0)
        project_realised += project_request * fraction_granted[:, people["area"].to_numpy()]
        served = served + new

        # volumes and losses
        persons = _persons(served, shares)
        billed = persons * billed_per_person
        new_people = np.maximum(persons - persons_base, 0)
        established = inputs.operating_base[None, :]
        # the unavoidable real losses grow with the customers (connections and mains follow the people served)
        uarl = uarl_base * np.divide(persons, persons_base, out=np.ones((n, S)), where=persons_base > 0)
        real = levers.real_factor(y) * real_base * np.power(1 + ageing, year - base_year) + new_pipe_leak * new_people
        real = np.where(established, np.maximum(real, uarl), real)  # ILI ≥ 1: no measure removes the unavoidable part
        apparent = levers.apparent_factor(y) * apparent_rate * billed
        unbilled = unbilled_rate * billed
        nonphysical = apparent + unbilled
        new_system_total = billed * new_system_loss / (1 - new_system_loss)
        loss = np.where(established, real + nonphysical, new_system_total)
        floor_loss = billed * floor / (1 - floor)
        loss = np.where(active, np.maximum(loss, floor_loss), 0.0)
        # keep the real/non-physical split of the loss after the floor and for new systems
        real_share = np.divide(real, real + nonphysical, out=np.broadcast_to(new_system_real_share, (n, S)).copy(),
                               where=(real + nonphysical) > 0)
        real_share = np.where(established, real_share, new_system_real_share)
        unbilled_part = np.divide(unbilled, nonphysical, out=np.zeros((n, S)), where=nonphysical > 0)
        unbilled_part = np.where(established, unbilled_part, 0.0)
        billed = np.where(active, billed, 0.0)
        # capacity limit: fewer hours of supply scale every part of the balance alike (module docstring)
        limit = capacity * max_util
        needed = billed + loss
        supplied = np.divide(limit, needed, out=np.ones((n, S)), where=active & (needed > limit))
        unserved = np.where(active, needed - needed * supplied, 0.0)
        billed, loss, uarl = billed * supplied, loss * supplied, uarl * supplied
        production = billed + loss
        billed_prev = billed
        out["unserved"][:, y] = unserved
        out["production_limit"][:, y] = limit
        _record(out, y, population, served, production, billed, loss * real_share, loss * (1 - real_share), capacity, active,
                loss * (1 - real_share) * unbilled_part, np.where(established & active, uarl, 0.0))

    return Results(years=years, area_ids=inputs.area_ids, system_ids=inputs.system_ids, **out)


def _reference(p: Params, path: str) -> float:
    """The value the baseline was built with; without one given, the run's own value (a factor of 1)."""
    return float(p.reference.get(path, p.values[path]))


def _running_shares(W: np.ndarray, active: np.ndarray) -> np.ndarray:
    """(n, A, S) shares of each area's served people by system, over the systems running in each draw.

    A linked system that is not running passes its share to the area's running systems, in proportion
    to their shares; an area with no running system has no row (all zero).
    """
    # the draws share few patterns of running systems: compute each pattern once (the same arithmetic per row)
    if active.shape[1] < 63:  # each row's pattern as one integer (a bit per system): fast to sort
        keys = active.astype(np.int64) @ (np.int64(1) << np.arange(active.shape[1], dtype=np.int64))
    else:
        keys = np.unique(active, axis=0, return_inverse=True)[1]
    _, first, row_pattern = np.unique(keys, return_index=True, return_inverse=True)
    running = np.where(active[first][:, None, :], W[None], 0.0)
    total = running.sum(axis=2, keepdims=True)
    shares = np.divide(running, total, out=np.zeros_like(running), where=total > 0)
    return shares[np.asarray(row_pattern).reshape(-1)]


def _persons(people: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """(n, S) people by system from (n, A) people by area and (n, A, S) shares."""
    return np.einsum("na,nas->ns", people, shares)


def check_capacity_projects(inputs: Inputs, has: Callable[[str], bool]) -> list[tuple[str, str, str]]:
    """How the people-serving projects give capacity, as (assumption path, problem, expected); empty when
    capacity cannot count twice.

    Each project has exactly one of ``capacity_m3_per_day`` (the whole capacity of a new or rebuilt
    system, replacing what ``systems.csv`` records) and ``capacity_added_m3_per_day`` (added to a
    system running in the base year); at most one project gives a system its whole capacity. ``has``
    tells whether an assumption path exists. Problems are Vietnamese.
    """
    problems, whole = [], {}
    base_year = inputs.years[0] if inputs.years else None
    whole_or_added = "đúng một trong hai: capacity_m3_per_day (công suất cả công trình) hoặc capacity_added_m3_per_day (công suất tăng thêm)"
    project_systems = inputs.project_systems if inputs.project_systems is not None else pd.DataFrame(columns=["project_id", "system"])
    for project_id, rows in project_systems.groupby("project_id", sort=False):
        path = f"projects.{project_id}"
        given = [name for name in ("capacity_m3_per_day", "capacity_added_m3_per_day") if has(f"{path}.{name}")]
        if len(given) != 1:
            problems.append((path, f"dự án có {len(given)} giả định công suất", whole_or_added))
            continue
        for system in rows["system"].astype(int):
            name = inputs.system_names[system]
            if given[0] == "capacity_m3_per_day":
                if system in whole:
                    problems.append((f"{path}.capacity_m3_per_day", f"công suất cả công trình {name} đã do dự án "
                                     f"{whole[system]} đặt; công suất sẽ bị tính hai lần", "một dự án đặt công suất cả công trình"))
                whole[system] = project_id
            elif not inputs.operating_base[system]:
                problems.append((f"{path}.capacity_added_m3_per_day", f"{name} không vận hành năm {base_year} nên không có "
                                 "công suất để cộng thêm", "capacity_m3_per_day (công suất cả công trình sau dự án)"))
    return problems


def _months(p: Params, project_ids, n: int) -> np.ndarray:
    """(n, len(project_ids)) commissioning months of the listed projects (months from 1/1 of the first projected year)."""
    ids = list(project_ids)
    return np.hstack([p(f"projects.{pid}.commissioning_month") for pid in ids]) if ids else np.zeros((n, 0))


def _split_base(inputs: Inputs, p: Params) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Real losses, apparent losses, unbilled authorised consumption and UARL of the base year, (n, S) each.

    From the IWA balance; apparent losses move inside their ±95 % range with
    ``losses.apparent_loss_position`` (−1 low end, +1 high end), never below 0 nor so high
    that real losses fall under UARL. The three parts add up to production − billed.
    """
    n, S = p.n, inputs.n_systems
    zeros = np.zeros(S)

    def get(name: str) -> np.ndarray:
        value = getattr(inputs, name)
        return zeros if value is None else np.asarray(value, float)

    loss = inputs.production_base - inputs.billed_base
    position = p("losses.apparent_loss_position") if p.has("losses.apparent_loss_position") else np.zeros((n, 1))
    unbilled = np.broadcast_to(loss * get("unbilled_share_base"), (n, S))
    uarl = np.broadcast_to(inputs.production_base * get("uarl_share_base"), (n, S))
    apparent = loss * (get("apparent_share_base") + position * get("apparent_spread_base"))
    apparent = np.clip(apparent, 0.0, np.maximum(loss - unbilled - uarl, 0.0))
    real = loss - unbilled - apparent
    return real, apparent, unbilled, uarl


def _record(out, y, population, served, production, billed, real, apparent, capacity, active,
            unbilled=0.0, uarl=0.0) -> None:
    out["unbilled_authorised"][:, y] = unbilled
    out["unavoidable_real_loss"][:, y] = uarl
    out["population"][:, y] = population
    out["served"][:, y] = served
    out["production"][:, y] = production
    out["billed"][:, y] = billed
    out["real_loss"][:, y] = real
    out["apparent_loss"][:, y] = apparent
    out["capacity"][:, y] = capacity
    out["active"][:, y] = active


@dataclass
class LossLevers:
    """Remaining share of real and apparent losses after the programme, by programme year."""

    real_step: np.ndarray  # (n, S) full one-off reduction of real losses
    apparent_step: np.ndarray  # (n, S)
    renewal_per_year: np.ndarray  # (n, S) share of real losses removed per year of renewal
    first_year: np.ndarray  # (n, 1)

    def _realised(self, y: int) -> np.ndarray:
        return self.first_year if y == 1 else np.ones_like(self.first_year)

    def real_factor(self, y: int) -> np.ndarray:
        years_of_renewal = (y - 1) + self.first_year
        renewal = np.clip(self.renewal_per_year * years_of_renewal, 0, 1)
        return (1 - self.real_step * self._realised(y)) * (1 - renewal)

    def apparent_factor(self, y: int) -> np.ndarray:
        return 1 - self.apparent_step * self._realised(y)


def _loss_levers(inputs: Inputs, p: Params) -> LossLevers:
    """Which measure acts on which system and component (§V.2), at the programme's effort."""
    effort = p("loss_programme.effort")
    above = ~inputs.is_low_loss & inputs.operating_base
    below = inputs.is_low_loss & inputs.operating_base
    old = above & ~inputs.is_recent
    recent = above & inputs.is_recent

    dma = _lever(p("loss_programme.dma_leak_repair.real_loss_cut"), effort)
    maintenance = _lever(p("loss_programme.dma_leak_repair.maintenance_real_loss_cut"), effort)
    # FAVAD: cutting pressure by a share c leaves (1 − c)^N1 of the leak flow
    pressure_effect = 1 - favad_leak_ratio(1.0, 1 - p("loss_programme.pressure_management.pressure_cut"),
                                           p("loss_programme.pressure_management.n1_exponent"))
    pressure = _lever(pressure_effect, effort)
    connections = _lever(p("loss_programme.customer_records.real_loss_cut"), effort)
    remaining_real = np.where(above, (1 - dma) * (1 - pressure), 1.0)
    remaining_real = np.where(below, 1 - maintenance, remaining_real)
    remaining_real = np.where(recent, remaining_real * (1 - connections), remaining_real)
    for row in inputs.loss_projects.itertuples():
        cut = p(f"projects.{row.project_id}.real_loss_cut_pct") / 100
        column = np.arange(inputs.n_systems) == row.system
        remaining_real = np.where(column, remaining_real * (1 - cut), remaining_real)

    meters = _lever(p("loss_programme.meter_replacement.apparent_loss_cut"), effort)
    records = _lever(p("loss_programme.customer_records.apparent_loss_cut"), effort)
    remaining_apparent = np.where(above, 1 - meters, 1.0)
    remaining_apparent = np.where(recent, remaining_apparent * (1 - records), remaining_apparent)

    renewal = np.where(
        old,
        p("loss_programme.pipe_renewal.network_share_per_year") * effort * p("loss_programme.pipe_renewal.leak_reduction_on_renewed"),
        0.0,
    )
    return LossLevers(
        real_step=1 - remaining_real,
        apparent_step=1 - remaining_apparent,
        renewal_per_year=renewal,
        first_year=p("loss_programme.first_year_realisation"),
    )
