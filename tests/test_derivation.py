"""The shipped estimated columns are exactly what data/derivation/derive.py computes."""

import pandas as pd
import pytest

from capnuoc_model import io
from capnuoc_model.derivation import DERIVED_INPUTS, derive_all, province_growth_rate_per_year

from .conftest import DATA


@pytest.fixture(scope="module")
def derived():
    return derive_all(io.read_loose_tables(DATA, list(DERIVED_INPUTS)), io.read_priors(DATA))


@pytest.mark.parametrize("name", ["urban_areas", "systems", "targets_area"])
def test_shipped_tables_equal_the_derivation(derived, name, tmp_path):
    io.write_csv(derived[name], tmp_path / f"{name}.csv")
    assert (tmp_path / f"{name}.csv").read_text(encoding="utf-8") == (DATA / f"{name}.csv").read_text(encoding="utf-8")


def test_growth_rate_is_the_province_2019_2022_rate(package):
    rate = province_growth_rate_per_year(package.population_history)
    assert rate == pytest.approx((543100 / 530856) ** (1 / 3) - 1)


def test_census_town_carried_forward(package):
    rate = (543100 / 530856) ** (1 / 3) - 1
    areas = package.urban_areas.set_index("area_id")
    assert areas.loc["dong_khe", "population_2025_persons"] == round(4629 * (1 + rate) ** 6)
    assert areas.loc["dong_khe", "population_2025_persons_source"] == "estimate:pop_carry_2019"


def test_every_estimated_value_names_its_method(package):
    for table, column in [("urban_areas", "population_2025_persons"), ("urban_areas", "served_2025_persons"),
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
    out = derive_all(tables, priors)["urban_areas"].set_index("area_id")
    shipped = pd.read_csv(DATA / "urban_areas.csv").set_index("area_id")
    assert out.loc["hoa_an", "served_2025_persons"] < shipped.loc["hoa_an", "served_2025_persons"]
    assert out.loc["thuc_phan", "served_2025_persons"] > shipped.loc["thuc_phan", "served_2025_persons"]
    assert round(100 * out["served_2025_persons"].sum() / out["population_2025_persons"].sum(), 1) == 81.9
