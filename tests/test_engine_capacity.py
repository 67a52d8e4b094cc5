"""Capacity in the engine: the production limit and unserved demand (issue 10 item 4), how leakage
responds to production, linked systems not yet built (issue 16 item 5) and capacity that cannot count
twice (issue 16 item 8)."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from capnuoc_model.model import engine, projection

from capnuoc_model.data import io
from capnuoc_model.data.errors import CapnuocInputError
from capnuoc_model.model.scenario import load_scenario

from .conftest import REPO

BASELINE = REPO / "analysis" / "scenarios" / "baseline.yaml"
DEFAULTS = REPO / "analysis" / "assumptions" / "defaults.yaml"
# the probe: demand 20 % higher than the defaults (110 and 90 l/person/day)
HIGHER_DEMAND = {"demand.centre_domestic_l_per_person_day": 132.0, "demand.town_domestic_l_per_person_day": 108.0}


@pytest.fixture(scope="module")
def s(package):
    return projection.setup(package, load_scenario(BASELINE))


def _run(s, n: int = 1, vary: dict[str, np.ndarray] | None = None, inputs: engine.Inputs | None = None, **values):
    """A run with assumption values changed (as one value, or per draw through ``vary``)."""
    draws = {path: np.asarray(v, float) for path, v in (vary or {}).items()}
    growth = np.full((n, s.inputs.n_areas), s.fit.growth_pct_per_year / 100)
    params = engine.Params({**s.values, **values}, n, draws, reference=s.reference)
    return engine.run(inputs or s.inputs, params, growth)


# ----------------------------------------------------------------------------- the production limit (10.4)


def test_higher_demand_never_takes_a_system_above_its_capacity_and_reports_what_is_missing(s):
    r = _run(s, **HIGHER_DEMAND)
    j = s.inputs.system_ids.index("song_bang")
    y = r.years.index(2026)
    limit = r.capacity[0, y, j] * float(s.values["demand.max_utilisation_pct"]) / 100
    # main let Sông Bằng run at 103,6 % of its design capacity; now it produces its limit and no more
    assert r.production[0, y, j] == pytest.approx(limit, rel=1e-12)
    assert r.unserved[0, y, j] > 50
    assert np.all(r.production[0, 1:] <= r.production_limit[0, 1:] * (1 + 1e-12))
    # the unserved part is what its customers would need: with room to spare it would be produced
    roomy = _run(s, **HIGHER_DEMAND, **{"demand.max_utilisation_pct": 130.0})
    assert roomy.unserved[0, y, j] == 0
    assert roomy.production[0, y, j] > limit


def test_unserved_demand_is_reported_per_system_and_year_and_shortage_is_a_finding(package):
    scenario = load_scenario(BASELINE, [f"{k}={v}" for k, v in HIGHER_DEMAND.items()])
    p = projection.project(package, scenario, 300, projection.DEFAULT_SEED)
    systems = projection.systems_table(p)
    row = systems[(systems["year"] == 2026) & (systems["system_id"] == "song_bang")].iloc[0]
    assert row["unserved_demand_m3_per_day"] > 50 and row["p_shortage"] > 0.5
    assert row["production_m3_per_day"] <= row["production_limit_m3_per_day"] * (1 + 1e-12)
    assert (systems["utilisation_pct"].dropna() <= 100 + 1e-9)[systems["year"] > 2025].all()
    province = projection.province_table(p).set_index("year")
    assert province.loc[2026, "p_shortage"] >= row["p_shortage"]
    assert province.loc[2026, "unserved_demand_m3_per_day"] == pytest.approx(
        systems[systems["year"] == 2026]["unserved_demand_m3_per_day"].sum())


# ----------------------------------------------------------------------------- leakage and production


def test_more_production_never_lowers_real_losses(s):
    """Hours of supply: a capacity-bound system that may produce more (a higher max utilisation)
    supplies more hours, so its real losses, production and billed volume rise and its unserved demand falls."""
    utilisation = np.linspace(80, 130, 26)
    r = _run(s, n=len(utilisation), vary={"demand.max_utilisation_pct": utilisation}, **HIGHER_DEMAND)
    for name in ("production", "real_loss", "billed"):
        step = np.diff(getattr(r, name)[:, 1], axis=0)
        assert np.all(step >= -1e-9), (name, step.min())
    assert np.all(np.diff(r.unserved[:, 1], axis=0) <= 1e-9)
    j = s.inputs.system_ids.index("song_bang")
    assert r.real_loss[-1, 1, j] > r.real_loss[0, 1, j] * 1.1  # the direction is not empty


def test_real_losses_do_not_follow_consumption_while_demand_is_met(s):
    """Pressure, not consumption, drives leaks: with capacity to spare, more use per person raises billed
    volume and production but leaves real losses as they are (so the loss rate falls)."""
    inp = s.inputs
    roomy = dataclasses.replace(inp, capacity_base=10 * inp.capacity_base)
    big = {p: 10 * float(s.values[p]) for p in s.values if p.endswith(("capacity_m3_per_day", "capacity_added_m3_per_day"))}
    use = np.array([80.0, 90.0, 105.0])
    r = _run(s, n=3, vary={"demand.town_domestic_l_per_person_day": use}, inputs=roomy, **big)
    assert np.all(r.unserved == 0)
    np.testing.assert_allclose(r.served[0], r.served[2], rtol=1e-12)
    established = inp.operating_base  # new systems lose a rate of their input (losses.new_system_loss_pct)
    np.testing.assert_allclose(r.real_loss[0][:, established], r.real_loss[2][:, established], rtol=1e-12, atol=1e-9)
    town = (inp.demand_weights["demand.town_domestic_l_per_person_day"] == 1) & r.active[0, 1]
    assert np.all(np.diff(r.billed[:, 1][:, town], axis=0) > 0)


def test_a_shortage_scales_the_whole_balance_and_keeps_the_loss_rate(s):
    """Fewer hours of supply cut billed use, real and apparent losses alike: the loss rate of a rationed
    system is the one its customers' full demand would give."""
    r = _run(s, **HIGHER_DEMAND)
    y = 1
    short = r.unserved[0, y] > 1
    assert short.any()
    needed = r.production[0, y] + r.unserved[0, y]
    supplied = r.production[0, y] / needed
    # the same loss rate as at full supply: production × rate + unserved × rate = needed × rate
    rate = r.loss[0, y] / r.production[0, y]
    np.testing.assert_allclose((r.loss[0, y] / supplied)[short], (rate * needed)[short], rtol=1e-12)
    assert np.all(supplied[short] < 1)


# ----------------------------------------------------------------------------- linked systems not yet built (16.5)


def _edited_package(data_copy: Path, rows: dict[tuple[str, str], str]) -> io.DataPackage:
    """The data package with area_systems.csv shares set (a new (area, system) pair is appended)."""
    path = data_copy / "area_systems.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    header, body = table[0], table[1:]
    a, sy, share = header.index("area_id"), header.index("system_id"), header.index("share_of_area_served")
    for (area, system), value in rows.items():
        for row in body:
            if row[a] == area and row[sy] == system:
                row[share] = value
                break
        else:
            new = [""] * len(header)
            new[a], new[sy], new[share], new[header.index("source")] = area, system, value, "estimate:share_by_judgement"
            body.append(new)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header] + body)
    return io.load_package(data_copy)


def test_an_unbuilt_linked_system_does_not_freeze_its_area(package, data_copy):
    """The issue's probe: 1 % of Hòa An linked to the Pác Miều system, not running before 2029."""
    linked = _edited_package(data_copy, {("hoa_an", "hoa_an"): "0.99", ("hoa_an", "pac_mieu"): "0.01"})
    scenario = load_scenario(BASELINE, ["projects.pac_mieu_supply.commissioning_month=40"])
    with_link = projection.deterministic(projection.setup(linked, scenario))
    without = projection.deterministic(projection.setup(package, scenario))
    i = with_link.area_ids.index("hoa_an")
    before = [with_link.years.index(y) for y in (2026, 2027, 2028)]
    # main froze Hòa An at its 4.307 people of 2025 (the unbuilt system counted as zero capacity)
    assert with_link.served[0, before[-1], i] > 4400
    np.testing.assert_allclose(with_link.served[0, before, i], without.served[0, before, i], rtol=1e-12)
    # the unbuilt share is supplied by Hòa An's running system until Pác Miều runs, then by Pác Miều
    j, k = with_link.system_ids.index("hoa_an"), with_link.system_ids.index("pac_mieu")
    np.testing.assert_allclose(with_link.billed[0, before, j], without.billed[0, before, j], rtol=1e-12)
    y2029 = with_link.years.index(2029)
    assert with_link.active[0, y2029, k]
    bao_lam_only = without.billed[0, y2029, k]
    per_person = without.billed[0, y2029, j] / without.served[0, y2029, i]
    assert with_link.billed[0, y2029, k] > bao_lam_only + 0.5 * 0.01 * with_link.served[0, y2029, i] * per_person


def test_an_area_whose_only_system_is_not_running_gets_no_connections(s):
    r = _run(s, **{"projects.pac_mieu_supply.commissioning_month": 30.0})
    i = s.inputs.area_ids.index("bao_lam")
    y2027, y2028 = r.years.index(2027), r.years.index(2028)
    assert r.served[0, y2027, i] == 0 and r.served[0, y2028, i] > 0


# ----------------------------------------------------------------------------- capacity counted once (16.8)


def test_a_rebuilt_system_with_a_recorded_capacity_is_not_counted_twice(data_copy, s):
    from .conftest import edit_cell

    edit_cell(data_copy / "systems.csv", "system_id", "tra_linh", "design_capacity_m3_per_day", "300")
    edit_cell(data_copy / "systems.csv", "system_id", "tra_linh", "design_capacity_m3_per_day_source",
              "estimate:capacity_from_utilisation")
    recorded = io.load_package(data_copy)
    scenario = load_scenario(BASELINE)
    r = projection.deterministic(projection.setup(recorded, scenario))
    j = r.system_ids.index("tra_linh")
    after = [y for y, year in enumerate(r.years) if r.active[0, y, j]]
    assert after, "Trà Lĩnh runs again in the projection"
    # its new capacity is the project's whole capacity (550 m³/day), not 300 + 550
    assert np.all(r.capacity[0, after, j] == float(scenario.value("projects.tra_linh_renovation.capacity_m3_per_day")))
    # capacity added to a running station adds up
    h = r.system_ids.index("hoa_an")
    assert r.capacity[0, -1, h] == s.inputs.capacity_base[h] + float(scenario.value("projects.hoa_an_capacity.capacity_added_m3_per_day"))


def test_capacity_added_to_a_system_that_does_not_run_is_rejected(package, tmp_path):
    text = DEFAULTS.read_text(encoding="utf-8")
    block = text[text.index("  tra_linh_renovation:"):text.index("  hoa_an_capacity:")]
    assert block.count("    capacity_m3_per_day:") == 1
    (tmp_path / "defaults.yaml").write_text(
        text.replace(block, block.replace("    capacity_m3_per_day:", "    capacity_added_m3_per_day:")), encoding="utf-8")
    scenario = load_scenario(None, defaults_path=tmp_path / "defaults.yaml")
    with pytest.raises(CapnuocInputError) as info:
        projection.setup(package, scenario)
    message = str(info.value.violations[0])
    assert "projects.tra_linh_renovation.capacity_added_m3_per_day" in message and "defaults.yaml" in message
    assert "không vận hành năm 2025" in message and "capacity_m3_per_day" in message


def test_two_projects_giving_one_system_its_whole_capacity_are_rejected(package, s):
    inputs = dataclasses.replace(s.inputs, project_systems=s.inputs.project_systems.assign(
        system=lambda f: np.where(f["project_id"] == "tra_linh_renovation",
                                  s.inputs.system_ids.index("pac_mieu"), f["system"])))
    problems = engine.check_capacity_projects(inputs, lambda path: path in s.scenario.assumptions)
    assert len(problems) == 1 and "tính hai lần" in problems[0][1]
    assert engine.check_capacity_projects(s.inputs, lambda path: path in s.scenario.assumptions) == []
