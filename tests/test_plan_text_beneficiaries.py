"""Issue 12 item 6: the document explains why connecting every stated beneficiary does not add them all."""

from __future__ import annotations

import pandas as pd
import pytest

from capnuoc_model.data import fmt

from capnuoc_model.publish import narrative

from .conftest import report_inputs


@pytest.fixture(scope="module")
def ctx(report_inputs_cache):
    return report_inputs(report_inputs_cache)


def test_the_plain_sum_and_the_areas_that_cannot_take_their_beneficiaries(ctx):
    projects, areas = ctx.package.projects, ctx.areas
    text = narrative.beneficiaries_outside(ctx.run, projects, areas)
    stated = projects.dropna(subset=["beneficiaries_persons"])
    population = ctx.table("province").set_index("year").loc[ctx.plan.plan_year, "population"]
    naive = 100 * (areas["served_persons"].sum() + stated["beneficiaries_persons"].sum()) / population
    assert fmt.pct(naive) in text
    by_area = areas.set_index("area_id")
    for row in stated.itertuples():
        ids = str(row.area_ids).split(";")
        unserved = (by_area.loc[ids, "population_persons"] - by_area.loc[ids, "served_persons"]).sum()
        named = f"{fmt.persons(row.beneficiaries_persons)} hưởng lợi của dự án số {row.project_no}" in text
        assert named == (row.beneficiaries_persons > unserved + 0.5), row.project_id
    assert fmt.pct(ctx.run.uptake.coverage_at_full_uptake_pct) in text


def test_no_area_is_named_when_every_beneficiary_fits(ctx):
    projects = ctx.package.projects.copy()
    areas = ctx.areas.set_index("area_id")
    for index, row in projects.iterrows():
        if pd.notna(row["beneficiaries_persons"]):  # stated
            ids = str(row["area_ids"]).split(";")
            unserved = float((areas.loc[ids, "population_persons"] - areas.loc[ids, "served_persons"]).sum())
            projects.loc[index, "beneficiaries_persons"] = min(unserved, float(row["beneficiaries_persons"]))
    text = narrative.beneficiaries_outside(ctx.run, projects, ctx.areas)
    assert "hưởng lợi của dự án số" not in text
