"""The engine faults of issue 16 that read the plan from data (items 6, 7, 9, 10, 11, 13, 14), each as a class.

6  every id of a multi-id project is used, in any order (engine and derivation);
7  the real-loss share of new systems is an assumption, in the sensitivity analysis;
9  a failed least-cost solve is reported in words, never read as a cut of zero;
10 a system without billed history gets a stated default, never 0/0;
11 one comparison rule for the projection and the evaluation;
13 one month text for both documents;
14 dead code is gone.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from capnuoc_model.model import engine, feasibility, projection, projection_run

from capnuoc_model.data import io

from capnuoc_model.data.errors import CapnuocInputError
from capnuoc_model.model.scenario import load_scenario
from capnuoc_model.publish import narrative

from .conftest import REPO

BASELINE = REPO / "analysis" / "scenarios" / "baseline.yaml"


def _setup(package, sets=()):
    return projection.setup(package, load_scenario(BASELINE, list(sets)))


def _with_table(package, name: str, frame: pd.DataFrame) -> io.DataPackage:
    """The package with one table replaced (in memory: the engine's inputs, not validation, are under test)."""
    return dataclasses.replace(package, tables={**package.tables, name: frame})


# ---------------------------------------------------------------------------- 6: every id, any order


def test_a_network_project_cuts_the_losses_of_every_system_it_lists(package):
    """nung_tri_cao_network lists song_bang;tan_an: a bigger cut lowers both systems' real losses."""
    cut = "projects.nung_tri_cao_network.real_loss_cut_pct"
    none = projection.deterministic(_setup(package, [f"{cut}.distribution=null", f"{cut}=0"]))
    big = projection.deterministic(_setup(package, [f"{cut}.distribution=null", f"{cut}=20"]))
    ids = list(none.system_ids)
    y = none.years.index(package.plan.plan_year)
    for system_id in ("song_bang", "tan_an"):
        j = ids.index(system_id)
        assert big.real_loss[0, y, j] < none.real_loss[0, y, j] - 1, system_id
    others = [j for j, sid in enumerate(ids) if sid not in ("song_bang", "tan_an")]
    assert np.allclose(big.real_loss[0, y, others], none.real_loss[0, y, others])


@pytest.mark.parametrize("column, project, ids", [
    ("system_ids", "nung_tri_cao_network", ("song_bang", "tan_an")),
    ("area_ids", "tan_an_reaction_tank", ("thuc_phan", "nung_tri_cao", "tan_giang")),
    ("area_ids", "hoa_an_capacity", ("hoa_an", "dong_khe")),
    ("system_ids", "hoa_an_capacity", ("hoa_an", "dong_khe")),
])
def test_results_do_not_depend_on_the_order_of_the_ids(package, column, project, ids):
    projects = package.projects.copy()
    forward, backward = ";".join(ids), ";".join(reversed(ids))
    results = []
    for text in (forward, backward):
        projects.loc[projects["project_id"] == project, column] = text
        s = projection.setup(_with_table(package, "projects", projects.copy()), load_scenario(BASELINE))
        results.append(projection.deterministic(s))
    a, b = results
    for name in ("served", "production", "real_loss", "capacity"):
        assert np.allclose(getattr(a, name), getattr(b, name), rtol=1e-12, atol=1e-9), name


def test_a_people_project_over_several_areas_serves_each_of_them(package):
    """Beneficiaries split over the listed areas by their unserved people; none is dropped."""
    projects = package.projects.copy()
    projects.loc[projects["project_id"] == "hoa_an_capacity", "area_ids"] = "hoa_an;dong_khe"
    inputs = engine.build_inputs(_with_table(package, "projects", projects))
    rows = inputs.people_projects[inputs.people_projects["project_id"] == "hoa_an_capacity"]
    areas = {inputs.area_ids[i]: persons for i, persons in zip(rows["area"], rows["beneficiaries_persons"])}
    assert set(areas) == {"hoa_an", "dong_khe"}
    assert sum(areas.values()) == pytest.approx(3134)
    unserved = (package.urban_areas.set_index("area_id")["population_base_persons"]
                - package.urban_areas.set_index("area_id")["served_base_persons"]).astype(float)
    assert areas["dong_khe"] / areas["hoa_an"] == pytest.approx(unserved["dong_khe"] / unserved["hoa_an"])


def test_the_derivation_splits_a_multi_area_project_the_same_way(package):
    from capnuoc_model.model.derivation import project_beneficiaries_by_area

    projects = package.projects.copy()
    projects.loc[projects["project_id"] == "hoa_an_capacity", "area_ids"] = "dong_khe;hoa_an"
    areas = package.urban_areas.set_index("area_id")
    unserved = (areas["population_base_persons"] - areas["served_base_persons"]).astype(float)
    by_area = project_beneficiaries_by_area(projects, unserved)
    reverse = projects.copy()
    reverse.loc[reverse["project_id"] == "hoa_an_capacity", "area_ids"] = "hoa_an;dong_khe"
    pd.testing.assert_series_equal(by_area.sort_index(), project_beneficiaries_by_area(reverse, unserved).sort_index())
    assert by_area.sum() == pytest.approx(2600 + 4000 + 3100 + 3134)
    assert by_area["dong_khe"] == pytest.approx(4000 + 3134 * unserved["dong_khe"] / unserved[["dong_khe", "hoa_an"]].sum())


# ---------------------------------------------------------------------------- 7: an assumption, not a 0,7 in code


def test_new_systems_real_loss_share_is_an_assumption(package):
    share = engine.NEW_SYSTEM_REAL_SHARE
    leaf = load_scenario(BASELINE).get(share)
    assert leaf.distribution is not None and leaf.min == 0 and leaf.max == 1 and leaf.reference
    y = package.plan.plan_year + 1  # Pác Miều runs from its commissioning in the plan year
    for value in (0.3, 0.9):
        r = projection.deterministic(_setup(package, [f"{share}.distribution=null", f"{share}={value}"]))
        j, t = r.system_ids.index("pac_mieu"), r.years.index(y)
        assert r.real_loss[0, t, j] / r.loss[0, t, j] == pytest.approx(value)


def test_the_new_share_is_in_the_sensitivity_analysis(package):
    p = projection.project(package, load_scenario(BASELINE), 200, 1)
    table = projection.sensitivity_table(p, draws=10)  # which assumptions it lists, not their numbers
    assert engine.NEW_SYSTEM_REAL_SHARE in set(table["assumption"])


# ---------------------------------------------------------------------------- 9: the LP's status


class _Failed:
    status, fun, x = 2, None, None


@pytest.mark.parametrize("fail_on", [1, 2])
def test_a_failed_solve_is_reported_not_read_as_zero(package, monkeypatch, fail_on):
    """The first solve (the most the measures can remove) or the second (the least cost) fails."""
    from scipy.optimize import linprog

    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        return _Failed() if len(calls) == fail_on else linprog(*args, **kwargs)

    s = _setup(package, ["loss_programme.first_year_realisation.distribution=null", "loss_programme.first_year_realisation=1"])
    monkeypatch.setattr(feasibility, "linprog", flaky)
    answer = feasibility.least_cost_loss_cut(s)
    assert answer.solver_problem_vi and "HiGHS" in answer.solver_problem_vi and "không có nghiệm" in answer.solver_problem_vi
    if fail_on == 1:
        assert not answer.feasible and np.isnan(answer.cut_achievable_m3_per_day)
        assert "chưa biết" in answer.solver_problem_vi and "15 %" in answer.solver_problem_vi
        assert answer.allocation["removed_m3_per_day"].isna().all()  # unknown, not zero
    else:
        assert answer.feasible and answer.allocation["removed_m3_per_day"].sum() > 0  # everything possible, said so
    run = SimpleNamespace(loss=answer, projection=SimpleNamespace(setup=s), tables={"province": pd.DataFrame(
        {"year": [package.plan.plan_year], "p_loss_target": [0.0]})})
    assert answer.solver_problem_vi in narrative.loss_requirement(run)
    if fail_on == 1:
        assert narrative.loss_measures(run) == answer.solver_problem_vi


# ---------------------------------------------------------------------------- 10: stated defaults, no 0/0


def test_a_new_system_with_no_running_system_of_its_kind_gets_the_stated_default(package):
    """With no running town system, a new town system bills what the running systems bill per person (was 0/0)."""
    systems = package.systems.copy()
    links = package.area_systems
    centre_systems = set(links.loc[links["area_id"].isin(
        package.urban_areas.loc[package.urban_areas["orientation_group"] == "centre", "area_id"]), "system_id"])
    towns = ~systems["system_id"].isin(centre_systems)
    systems.loc[towns, "status"] = "stopped"
    for column in ("production_m3_per_day", "billed_m3_per_day"):
        systems.loc[towns, column] = pd.NA
    inputs = engine.build_inputs(_with_table(package, "systems", systems))
    assert np.isfinite(inputs.billed_per_person_base).all() and (inputs.billed_per_person_base > 0).all()
    running = ~np.asarray(towns)
    persons = inputs.served_base @ inputs.shares
    overall = inputs.billed_base[running].sum() / persons[running].sum()
    assert inputs.billed_per_person_base[inputs.system_ids.index("pac_mieu")] == pytest.approx(overall)


def test_no_running_system_at_all_is_a_located_error(package):
    systems = package.systems.copy()
    systems["status"] = "stopped"
    with pytest.raises(CapnuocInputError) as caught:
        engine.build_inputs(_with_table(package, "systems", systems))
    assert "systems.csv" in str(caught.value) and "billed_m3_per_day" in str(caught.value)


# ---------------------------------------------------------------------------- 11: one comparison rule


def test_the_projection_compares_as_the_evaluation_does(package):
    """A province at 87,36 % prints 87,4 %: the evaluation says met, and so does the projection (it said 0 %)."""
    from capnuoc_model.evaluation import evaluation as ev

    p = projection.project(package, load_scenario(BASELINE), 100, 1)
    exact = dataclasses.replace(p.mc, served=p.mc.population * 0.8736)
    table = projection.province_table(dataclasses.replace(p, mc=exact)).set_index("year")
    year = package.plan.plan_year
    assert ev.meets(87.36, low=package.plan.target("coverage").low) is True
    assert table.loc[year, "p_coverage_target"] == 1.0
    targets = projection.targets_table(dataclasses.replace(p, mc=exact))
    province = targets[(targets["indicator"] == "coverage_pct") & (targets["scope"] == "province")]
    assert province["p_meet"].iloc[0] == 1.0


def test_both_documents_state_the_rule(package):
    from capnuoc_model.publish import eval_report

    rule = package.plan.comparison_rule_vi()
    assert "87,36 % in thành 87,4 % và đạt chỉ tiêu ≥ 87,4 %" in rule
    ctx = SimpleNamespace(package=package, ev=SimpleNamespace(areas=package.urban_areas))
    assert eval_report.keep_together(rule) in eval_report.method_markdown(ctx)  # numbers kept with their % in documents
    assert "plan.comparison_rule_vi()" in (REPO / "notebooks" / "02_muc_tieu.ipynb").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- 13: one month text


def test_both_documents_write_a_month_the_same_way(package):
    from capnuoc_model.evaluation import evaluation as ev
    from capnuoc_model.publish import report_tables as rt

    run = projection_run.full_run(package, load_scenario(BASELINE), 100, 1, with_sensitivity=False)
    scenario = run.projection.scenario.with_value("projects.pac_mieu_supply.commissioning_month", 11.7)
    ctx = SimpleNamespace(plan=package.plan, package=package, scenario=scenario, run=run, table=run.tables.__getitem__)
    shown = rt.project_costs(ctx).set_index("Dự án")["Vận hành (giả định)"]
    assert shown.iloc[0] == "tháng 12/2026" == package.plan.month_text(11.7)
    assert not hasattr(rt, "_month_text") and not hasattr(ev, "month_text")


# ---------------------------------------------------------------------------- 14: dead code


def test_dead_code_is_gone():
    from capnuoc_model.data import classes, schema
    from capnuoc_model.evaluation import evaluation
    from capnuoc_model.model import population
    from capnuoc_model.publish import report_tables

    assert not any(hasattr(classes, n) for n in ("UTILISATION_CLASSES", "LOSS_CLASSES", "COVERAGE_CLASSES", "UTILISATION_ORDER"))
    assert not hasattr(evaluation, "STATUSES") and not hasattr(evaluation, "_float")
    assert not hasattr(report_tables, "PROJECT_SHORT_VI")  # (losses.INDICATORS is now the indicators' registry)
    assert not hasattr(schema, "re")  # the unused import
    assert not hasattr(population, "project_population") and not hasattr(population, "SHARED_HISTORY_SCOPE")
    assert "fit_growth" in population.__doc__ and "growth_draws" in population.__doc__

