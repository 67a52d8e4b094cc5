"""The shipped baseline reproduces every figure and class placement the plan states (data/README.md)."""

import pytest

from capnuoc_model.model import baseline as bl


@pytest.fixture(scope="module")
def areas(package):
    return bl.area_state(package).set_index("area_id")


@pytest.fixture(scope="module")
def systems(package):
    return bl.system_state(package).set_index("system_id")


@pytest.fixture(scope="module")
def running(systems):
    return systems[systems["status"] == "operating"]


def test_province_coverage_is_81_9(areas):
    assert round(bl.province_coverage_pct(areas.reset_index()), 1) == 81.9


def test_province_loss_is_17_9(running):
    assert round(bl.province_loss_pct(running), 1) == 17.9


def test_fourteen_systems_report_a_loss(running):
    assert len(running) == 14


def test_loss_range_12_to_72_5_with_xuan_hoa_highest(running):
    assert round(running["loss_pct"].min(), 1) == 12.0
    assert round(running["loss_pct"].max(), 1) == 72.5
    assert running["loss_pct"].idxmax() == "xuan_hoa"


LE_15 = {"tan_an", "song_bang", "quang_uyen", "trung_khanh_to13", "thong_nong", "ha_lang", "nguyen_binh"}
GT_15 = {"trung_khanh_to4", "hoa_an", "dong_khe", "hoa_thuan", "ta_lung", "bao_lac", "xuan_hoa"}
HIGH = {"ta_lung", "bao_lac", "xuan_hoa"}


def test_footnote_sets(running):
    assert set(running.index[running["loss_pct"] <= 15]) == LE_15
    assert set(running.index[running["loss_pct"] > 15]) == GT_15


def test_high_loss_classes(running):
    high = set(running.index[running["loss_class"].isin(["Cao", "Rất cao"])])
    assert high == HIGH
    assert running.loc["xuan_hoa", "loss_class"] == "Rất cao"
    assert set(running.loc[sorted(GT_15 - HIGH), "loss_class"]) == {"Trung bình"}


def test_stored_plan_groups(package):
    systems = package.systems.set_index("system_id")
    assert set(systems.index[systems["plan_loss_group"] == "at_or_below_threshold"]) == LE_15
    assert set(systems.index[systems["plan_loss_group"] == "above_threshold"]) == GT_15
    assert set(systems.index[systems["is_plan_high_loss"].astype(bool)]) == HIGH


@pytest.mark.parametrize(
    "system_ids, classes",
    [
        (["xuan_hoa", "ta_lung"], {"Thấp", "Rất thấp"}),
        (["hoa_an", "dong_khe"], {"Cao", "Vượt công suất"}),
        (["bao_lac", "nguyen_binh", "ha_lang", "trung_khanh_to4", "trung_khanh_to13", "quang_uyen", "thong_nong"], {"Trung bình"}),
    ],
)
def test_utilisation_placements(running, system_ids, classes):
    for system_id in system_ids:
        assert running.loc[system_id, "utilisation_class"] in classes, system_id


def test_no_service_areas(areas):
    zero = set(areas.index[areas["served_persons"] == 0])
    assert zero == {"tinh_tuc", "tra_linh", "bao_lam"}
    assert set(areas.loc[sorted(zero), "coverage_class"]) == {"Chưa có dịch vụ"}


def test_sixteen_areas_in_sixteen_units(package):
    assert len(package.urban_areas) == 16
    assert package.urban_areas["commune_vi"].is_unique


def test_domestic_use_is_plausible(package, systems, running):
    """Billed volume per served person stays within the field's range (80-120 l/p/d domestic + non-domestic)."""
    from capnuoc_model.model.derivation import system_served_persons

    served = system_served_persons(package.urban_areas, package.area_systems)
    litres = 1000 * running["billed_m3_per_day"] / served.reindex(running.index)
    assert litres.between(80, 120 * 1.35).all(), litres.to_dict()


def test_bieu04_sums_to_87_4(package):
    targets = package.targets_area
    assert round(100 * targets["served_target_persons"].sum() / targets["population_target_persons"].sum(), 1) == 87.4


def test_bieu04_never_below_2025(package, areas):
    targets = package.targets_area.set_index("area_id")
    assert (targets["coverage_target_pct"] >= areas["coverage_pct"].round(1) - 0.05).all()


def test_projects_total(package):
    projects = package.projects
    assert len(projects) == 8
    assert round(projects["cost_billion_vnd"].sum(), 3) == 108.159
    assert int(projects["beneficiaries_persons"].sum()) == 12834
