"""Issue 12 item 6: every "what it takes" sentence is achievable in the model's own terms, and one function says it
for the command line (check), the projection's table (project) and the plan (Tóm tắt, chapters III and B)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from capnuoc_model.model import feasibility
from capnuoc_model.data import fmt
from capnuoc_model.publish import narrative
from capnuoc_model.publish.report_inputs import load_report_inputs
from tests.document_text import html_text, normalise
from tests.conftest import DOCUMENT_DRAWS, report_inputs, run_cli

DRAWS, SEED = 300, 20260515
SCENARIOS = {"baseline": (), "projects_slip": (), "late_uptake": ("uptake.midpoint_months=20",)}


# late_uptake takes the same branch of the sentence as the baseline (people from the projects' beneficiaries): make test
@pytest.fixture(scope="module", params=["baseline", "projects_slip", pytest.param("late_uptake", marks=pytest.mark.slow)])
def ctx(request, report_inputs_cache):
    return report_inputs(report_inputs_cache, "projects_slip" if request.param == "projects_slip" else "baseline",
                         SCENARIOS[request.param])


def _draws(ctx):
    p = ctx.run.projection
    y = p.mc.years.index(ctx.plan.plan_year)
    return p.mc.served[:, y].sum(axis=1), p.mc.population[:, y].sum(axis=1)


def test_the_people_it_takes_meet_the_target_in_half_of_the_draws_and_no_fewer_would(ctx):
    gap = feasibility.coverage_gap(ctx.run.projection)
    served, population = _draws(ctx)

    def share(extra):
        return ctx.plan.meets("coverage", 100 * (served + extra) / population).mean()

    assert share(gap.people_needed) >= 0.5
    if gap.people_needed > 0:
        assert share(gap.people_needed - 1) < 0.5
    assert gap.from_projects + gap.from_extension == pytest.approx(gap.people_needed)
    assert gap.from_projects <= gap.remaining_persons + 1e-9  # never more beneficiaries than are left to connect


def test_the_sentence_rests_on_nothing_the_model_never_draws(ctx):
    """No "even with every beneficiary connected ... N more" on top of a connection the draws never reach."""
    text = narrative.coverage_requirement(ctx.run)
    gap = feasibility.coverage_gap(ctx.run.projection)
    assert "Kể cả khi toàn bộ" not in text
    if gap.people_needed > 0:
        assert f"cần thêm {fmt.persons(gap.people_needed)} được cấp nước so với dự báo" in text
        assert fmt.persons(gap.served_persons) in text  # counted from the forecast the reader sees
        if gap.beneficiaries_persons == 0:  # no project in use by 31/12: everyone from network extension
            assert f"cả {fmt.persons(gap.from_extension)} phải được cấp nước nhờ mở rộng mạng lưới" in text
        elif gap.from_extension > 0:
            assert f"vẫn cần cấp nước cho thêm {fmt.persons(gap.from_extension)}" in text
        else:
            assert f"đấu nối thêm {fmt.persons(gap.from_projects)} trong số {fmt.persons(gap.remaining_persons)}" in text
        assert ("không thể đạt" in text) == (not gap.achievable)
    p50 = ctx.table("province").set_index("year").loc[ctx.plan.plan_year, "p_coverage_target"]
    assert (gap.people_needed == 0) == (p50 >= 0.5)


@pytest.mark.slow  # runs the CLI in subprocesses
def test_check_and_project_say_and_write_the_same_requirement(tmp_path):
    ctx = load_report_inputs("analysis/scenarios/baseline.yaml", [], DRAWS, SEED, "data", str(tmp_path / "cache"))
    expected = narrative.coverage_requirement(ctx.run)
    check = run_cli("check", "--draws", str(DRAWS), "--seed", str(SEED))
    assert check.returncode == 0, check.stderr
    assert " ".join(expected.split()) in " ".join(check.stdout.split())
    out = tmp_path / "project"
    project = run_cli("project", "--draws", str(DRAWS), "--seed", str(SEED), "--out", str(out))
    assert project.returncode == 0, project.stderr
    with (out / "what_it_takes.csv").open(encoding="utf-8-sig") as handle:
        rows = [r for r in csv.DictReader(handle) if r["question"] == "coverage"]
    gap = feasibility.coverage_gap(ctx.run.projection)
    by_note = {r["note"].split(" by ")[0].split(",")[0]: float(r["value"]) for r in rows}
    assert by_note["people to serve"] == pytest.approx(gap.people_needed)
    assert fmt.persons(gap.people_needed) in check.stdout


def test_the_plan_says_the_same_in_its_summary_and_chapters(plan_document, documents_cache):
    ctx = load_report_inputs("analysis/scenarios/baseline.yaml", [], DOCUMENT_DRAWS, SEED, "data", documents_cache)
    expected = normalise(narrative.coverage_requirement(ctx.run).split(" Theo kịch bản này, mục tiêu có xác suất")[0])
    text = normalise(html_text(plan_document.outputs["html"]))
    assert text.count(expected) >= 3  # Tóm tắt, chapter III (đấu nối) and the feasibility annex
    assert "Kể cả khi toàn bộ" not in text
    assert not np.isnan(feasibility.coverage_gap(ctx.run.projection).people_needed)
