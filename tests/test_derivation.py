"""The shipped estimated columns are exactly what data/derivation/derive.py computes."""

import pandas as pd
import pytest

from capnuoc_model.data import io
from capnuoc_model.model.derivation import DERIVED_INPUTS, derive_all, plan_years, province_growth_rate_per_year

from .conftest import DATA


@pytest.fixture(scope="module")
def derived():
    return derive_all(io.read_loose_tables(DATA, list(DERIVED_INPUTS)), io.read_priors(DATA), plan_years(DATA))


@pytest.mark.parametrize("name", ["urban_areas", "systems", "targets_area"])
def test_shipped_tables_equal_the_derivation(derived, name, tmp_path):
    io.write_csv(derived[name], tmp_path / f"{name}.csv")
    assert (tmp_path / f"{name}.csv").read_text(encoding="utf-8") == (DATA / f"{name}.csv").read_text(encoding="utf-8")


def test_growth_rate_is_the_province_2019_2022_rate(package):
    rate = province_growth_rate_per_year(package.population_history, 2019, 2022)
    assert rate == pytest.approx((543100 / 530856) ** (1 / 3) - 1)


def test_census_town_carried_forward(package):
    rate = (543100 / 530856) ** (1 / 3) - 1
    areas = package.urban_areas.set_index("area_id")
    assert areas.loc["dong_khe", "population_base_persons"] == round(4629 * (1 + rate) ** 6)
    assert areas.loc["dong_khe", "population_base_persons_source"] == "estimate:pop_carry_2019"


def test_every_estimated_value_names_its_method(package):
    for table, column in [("urban_areas", "population_base_persons"), ("urban_areas", "served_base_persons"),
                          ("systems", "production_m3_per_day"), ("systems", "billed_m3_per_day"),
                          ("systems", "design_capacity_m3_per_day")]:
        frame = package.tables[table]
        has_value = frame[column].notna()
        assert frame.loc[has_value, f"{column}_source"].str.startswith("estimate:").all()


def test_priors_change_moves_the_closing_value():
    """The derivation really uses the priors: a different prior changes the output and keeps 81,9 %."""
    tables = io.read_loose_tables(DATA, list(DERIVED_INPUTS))
    priors = io.read_priors(DATA)
    mask = (priors["id"] == "hoa_an") & (priors["parameter"] == "coverage_pct")
    priors.loc[mask, "value"] = "90"
    out = derive_all(tables, priors, plan_years(DATA))["urban_areas"].set_index("area_id")
    shipped = pd.read_csv(DATA / "urban_areas.csv").set_index("area_id")
    assert out.loc["hoa_an", "served_base_persons"] < shipped.loc["hoa_an", "served_base_persons"]
    assert out.loc["thuc_phan", "served_base_persons"] > shipped.loc["thuc_phan", "served_base_persons"]
    assert round(100 * out["served_base_persons"].sum() / out["population_base_persons"].sum(), 1) == 81.9


def test_calibration_comes_from_the_plan_not_the_library():
    """The province aggregates the derivation reproduces are the plan's (targets_province.csv), so another
    province's package calibrates to its own figures: a different base-year coverage moves the closing area."""
    tables = io.read_loose_tables(DATA, list(DERIVED_INPUTS))
    targets = tables["targets_province"]
    targets.loc[targets["target_id"] == "coverage", "baseline_value"] = 81.6
    out = derive_all(tables, io.read_priors(DATA), plan_years(DATA))["urban_areas"]
    assert round(100 * out["served_base_persons"].sum() / out["population_base_persons"].sum(), 1) == 81.6


def test_census_years_and_base_year_are_data():
    """Carrying a census figure forward uses the priors' years and the plan's base year."""
    tables = io.read_loose_tables(DATA, list(DERIVED_INPUTS))
    priors = io.read_priors(DATA)
    years = plan_years(DATA)
    later = derive_all(tables, priors, {**years, "base": years["base"] + 1, "plan": years["plan"] + 1})
    rate = (543100 / 530856) ** (1 / 3) - 1
    areas = later["urban_areas"].set_index("area_id")
    assert areas.loc["dong_khe", "population_base_persons"] == round(4629 * (1 + rate) ** (years["base"] + 1 - 2019))
    assert set(later["targets_area"]["year"]) == {years["plan"] + 1}
    import capnuoc_model.model.derivation as derivation

    assert not any(hasattr(derivation, name) for name in ("PLAN_COVERAGE_2025_PCT", "PLAN_LOSS_2025_PCT", "PLAN_MIN_LOSS_PCT",
                                                          "CENTRE_GROUP", "EXTENSION_GROUPS"))
