"""Assumption tree, scenario overrides, --set and sampling (fixtures in tests/fixtures/scenario/)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from capnuoc_model.data.errors import CapnuocInputError
from capnuoc_model.model import scenario as sc

from .conftest import examples

FIX = Path(__file__).resolve().parent / "fixtures" / "scenario"
DEFAULTS = FIX / "defaults.yaml"


def load(name: str | None, *sets: str, defaults: Path = DEFAULTS) -> sc.Scenario:
    return sc.load_scenario(None if name is None else FIX / name, list(sets), defaults_path=defaults)


def messages(name: str | None, *sets: str, defaults: Path = DEFAULTS) -> list[str]:
    with pytest.raises(CapnuocInputError) as info:
        load(name, *sets, defaults=defaults)
    return [str(v) for v in info.value.violations]


def only(found: list[str]) -> str:
    assert len(found) == 1, found
    return found[0]


def line_of(name: str, text: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing text, found independently of the module."""
    hits = [i for i, line in enumerate((FIX / name).read_text(encoding="utf-8").splitlines(), 1) if text in line]
    return hits[occurrence - 1]


# ---------------------------------------------------------------------------- defaults


def test_defaults_load_and_leaves_counted():
    tree = sc.load_defaults(DEFAULTS)
    assert len(tree) == 8
    assert tree.paths("demand") == ["demand.growth_method", "demand.per_capita_lpd", "demand.uptake_half_life_months"]
    assert tree.uncertain_paths() == ["demand.per_capita_lpd", "demand.uptake_half_life_months", "supply.loss_fraction",
                                      "supply.project_delay_months", "supply.tariff_growth"]
    assert tree.value("supply.include_new_plant") is True
    assert tree.value("demand.growth_method") == "loglinear"
    leaf = tree.get("demand.uptake_half_life_months")
    assert (leaf.unit, leaf.min, leaf.max) == ("months", 0, 36)
    assert isinstance(leaf.distribution, sc.Triangular) and leaf.distribution.mode == 9
    assert tree.get("supply.loss_fraction").distribution == sc.Beta(kind="beta", alpha=5, beta=15, low=0, high=1)


def test_unknown_path_lookup_suggests():
    tree = sc.load_defaults(DEFAULTS)
    with pytest.raises(KeyError, match="có phải là 'demand.per_capita_lpd'"):
        tree.get("demand.per_capita")


def test_leaf_missing_reference_and_description_named_with_line_and_path():
    name = "defaults_missing_fields.yaml"
    with pytest.raises(CapnuocInputError) as info:
        sc.load_defaults(FIX / name)
    found = [str(v) for v in info.value.violations]
    assert len(found) == 3, found
    assert f"{name}:{line_of(name, 'per_capita_lpd:')}:demand.per_capita_lpd.reference: thiếu khóa 'reference'" in found[0]
    assert "mục của Kế hoạch" in found[0]
    assert f"{name}:{line_of(name, 'uptake_half_life_months:')}:demand.uptake_half_life_months.description: " \
           "thiếu khóa 'description'" in found[1]
    assert f"{name}:{line_of(name, 'peak')}:demand.uptake_half_life_months.distribution.peak: không có khóa 'peak' " \
           "(cần: một trong: kind, low, mode, high)" in found[2]


def test_defaults_range_and_support_rules():
    name = "defaults_bad_ranges.yaml"
    with pytest.raises(CapnuocInputError) as info:
        sc.load_defaults(FIX / name)
    found = [str(v) for v in info.value.violations]
    assert len(found) == 3, found
    assert f":{line_of(name, 'value: 1.5')}:supply.loss_fraction.value: 1.5 nằm ngoài khoảng cho phép " \
           "(cần: một số từ 0 đến 1 (tỷ lệ))" in found[0]
    assert "supply.project_delay_months.distribution.low: phân phối đạt tới -∞, vượt min 0" in found[1]
    assert f":{line_of(name, 'value: 0.1')}:supply.tariff_growth.value: giá trị 0.1 nằm ngoài phân phối " \
           "tam giác (0,02; 0,04; 0,06)" in found[2]


# ---------------------------------------------------------------------------- scenario files


def test_no_scenario_and_empty_overrides_are_the_defaults():
    base, empty = load(None), load("no_overrides.yaml")
    assert empty.name == "defaults_only" and empty.assumptions == base.assumptions
    assert empty.fingerprint() == base.fingerprint()
    assert base.files == (DEFAULTS,)


def test_scalar_mapping_and_null_distribution_overrides():
    s = load("slip.yaml")
    assert s.name == "projects_slip" and s.description.startswith("New plants")
    assert s.value("demand.per_capita_lpd") == 110  # scalar: value only, the distribution moves with it
    assert sc.describe_distribution(sc.load_defaults(DEFAULTS).get("demand.per_capita_lpd")) == "triangular(100, 120, 150)"
    assert sc.describe_distribution(s.get("demand.per_capita_lpd")) == "triangular(90, 110, 140)"
    assert sc.describe_distribution(s.get("demand.uptake_half_life_months")) == "triangular(9, 12, 18)"
    delay = s.get("supply.project_delay_months")
    assert delay.value == 12 and delay.distribution is None
    assert "supply.project_delay_months" not in s.uncertain_paths()
    assert s.value("supply.capacity_m3_day") == 12000  # untouched
    assert s.files == (DEFAULTS, FIX / "slip.yaml")


def test_extends_chain_applies_base_first():
    s = load("nested/chain_top.yaml")
    assert s.name == "chain_top"
    assert s.value("demand.per_capita_lpd") == 100  # from chain_base
    assert s.value("supply.loss_fraction") == 0.35  # chain_mid overrides chain_base
    assert s.value("supply.include_new_plant") is False  # chain_top
    assert [p.name for p in s.files] == ["defaults.yaml", "chain_base.yaml", "chain_mid.yaml", "chain_top.yaml"]


def test_extends_cycle_is_an_error():
    msg = only(messages("cycle_a.yaml"))
    assert f"cycle_b.yaml:{line_of('cycle_b.yaml', 'extends:')}:extends: 'extends' tạo thành vòng lặp" in msg
    assert "cycle_a.yaml → " in msg and "cycle_b.yaml → " in msg


def test_missing_header_key_is_reported_at_line_1():
    found = messages("many_problems.yaml")
    assert any("many_problems.yaml:1:name: thiếu khóa 'name'" in m for m in found), found


# ---------------------------------------------------------------------------- --set


def test_set_value_distribution_parameter_and_null():
    s = load("slip.yaml", "demand.per_capita_lpd=130", "demand.uptake_half_life_months.distribution.mode=10",
             "supply.loss_fraction.distribution=null", "demand.growth_method=province_rate", "supply.include_new_plant=false")
    assert s.value("demand.per_capita_lpd") == 130
    assert sc.describe_distribution(s.get("demand.uptake_half_life_months"), "vi") == "tam giác (9; 10; 18)"
    assert s.get("supply.loss_fraction").distribution is None
    assert s.value("demand.growth_method") == "province_rate"
    assert s.value("supply.include_new_plant") is False
    assert s.sets[0] == "demand.per_capita_lpd=130" and len(s.sets) == 5


def test_set_unknown_path_suggests_the_nearest():
    msg = only(messages(None, "supply.loss_fraction=0.2", "demand.uptake_halflife=12"))
    assert msg.startswith("--set:2:demand.uptake_halflife: không có giả định 'demand.uptake_halflife'")
    assert "có phải là 'demand.uptake_half_life_months'?" in msg


def test_set_problems_all_reported():
    found = messages(None, "noequals", "supply.capacity_m3_day.distribution.mode=3",
                     "supply.tariff_growth.distribution.mdoe=0.03", "supply.tariff_growth=0.5")
    assert found[0] == "--set:1: 'noequals' không có dấu '=' (cần: tên.giả.định=giá_trị, ví dụ uptake.final_share=0.8)"
    assert found[1].startswith("--set:2:supply.capacity_m3_day.distribution.mode: 'supply.capacity_m3_day' không có phân phối")
    assert found[2].startswith("--set:3:supply.tariff_growth.distribution.mdoe: không có khóa 'mdoe'")
    assert found[3] == ("--set:4:supply.tariff_growth.value: 0.5 nằm ngoài khoảng cho phép "
                        "(cần: một số từ 0 đến 0.2 (tỷ lệ mỗi năm))")
    assert len(found) == 4


# ---------------------------------------------------------------------------- located messages


def test_misspelled_key_names_file_line_key_and_suggestion():
    msg = only(messages("misspelled.yaml"))
    line = line_of("misspelled.yaml", "uptake_halflife")
    assert f"misspelled.yaml:{line}:demand.uptake_halflife: không có khóa 'uptake_halflife'" in msg
    assert "có phải là 'uptake_half_life_months'?" in msg
    assert "một trong: growth_method, per_capita_lpd, uptake_half_life_months" in msg


def test_wrong_type_and_out_of_range_give_the_expected_form():
    found = messages("bad_values.yaml")
    assert len(found) == 3, found
    assert f"bad_values.yaml:{line_of('bad_values.yaml', 'abc')}:demand.per_capita_lpd.value: 'abc' không phải là số " \
           "(cần: một số từ 50 đến 250 (lít/người/ngày))" in found[0]
    assert f"bad_values.yaml:{line_of('bad_values.yaml', '1.5')}:supply.loss_fraction.value: 1.5 nằm ngoài khoảng cho phép " \
           "(cần: một số từ 0 đến 1 (tỷ lệ))" in found[1]
    assert "supply.include_new_plant.value: 'maybe' không phải là true hoặc false (cần: true hoặc false)" in found[2]


def test_yaml_syntax_error_gives_line_and_column():
    msg = only(messages("syntax_error.yaml"))
    assert f"syntax_error.yaml:{line_of('syntax_error.yaml', 'per_capita_lpd: 110')}:cột 19: lỗi cú pháp YAML" in msg
    assert "(cần: YAML hợp lệ (kiểm tra thụt đầu dòng và dấu ':' sau mỗi khóa))" in msg


def test_several_problems_in_one_file_reported_together():
    name = "many_problems.yaml"
    found = messages(name)
    expected = [
        f"{name}:1:name: thiếu khóa 'name'",
        f"{name}:{line_of(name, 'overides')}:overides: không có khóa 'overides' (cần: một trong: name, description, "
        "extends, overrides; có phải là 'overrides'?)",
        f"{name}:{line_of(name, 'suply')}:suply: không có khóa 'suply' (cần: một trong: demand, supply; có phải là 'supply'?)",
        f"{name}:{line_of(name, 'exponential')}:demand.growth_method.value: 'exponential' không nằm trong các lựa chọn "
        "(cần: một trong: loglinear, province_rate)",
        f"{name}:{line_of(name, 'distribution: {kind')}:demand.uptake_half_life_months.distribution.high: thiếu khóa 'high'",
        f"{name}:{line_of(name, 'distrib:')}:demand.per_capita_lpd.distrib: không có khóa 'distrib'",
    ]
    assert len(found) == len(expected), found
    for fragment, msg in zip(expected, found):
        assert fragment in msg


def test_no_raw_exception_escapes_for_garbage(tmp_path):
    cases = {"list.yaml": "- a\n- b\n", "tags.yaml": "name: !!python/object:os.system x\n",
             "tab.yaml": "name: x\n\tdescription: y\n", "group.yaml": "name: a\ndescription: b\noverrides:\n  demand: 3\n"}
    for file, text in cases.items():
        (tmp_path / file).write_text(text, encoding="utf-8")
        with pytest.raises(CapnuocInputError) as info:
            sc.load_scenario(tmp_path / file, defaults_path=DEFAULTS)
        assert all(v.row is not None for v in info.value.violations), file


# ---------------------------------------------------------------------------- fingerprint, records, with_value


def test_fingerprint_stable_under_reformatting():
    assert load(None).fingerprint() == load(None, defaults=FIX / "defaults_reformatted.yaml").fingerprint()
    assert load("slip.yaml").fingerprint() == load("slip_reformatted.yaml").fingerprint()
    assert len(load("slip.yaml").fingerprint()) == 64


def _other_value(a: sc.Assumption):
    if isinstance(a.value, bool):
        return not a.value
    if isinstance(a.value, str):
        return next(c for c in a.choices if c != a.value)
    if a.distribution is not None:
        lo, hi = sc.support(a.distribution)
        return (a.value + (hi if hi > a.value else lo)) / 2
    return a.value + 1


def test_fingerprint_changed_by_any_value_change():
    s = load("slip.yaml")
    prints = {s.fingerprint()}
    for path in s.paths():
        changed = s.with_value(path, _other_value(s.get(path)))
        assert changed.value(path) != s.value(path)
        prints.add(changed.fingerprint())
    prints.add(load("slip.yaml", "demand.uptake_half_life_months.distribution.high=19").fingerprint())
    assert len(prints) == len(s.paths()) + 2


def test_with_value_is_validated_and_recorded():
    s = load(None)
    t = s.with_value("supply.loss_fraction", np.float64(0.3))
    assert t.value("supply.loss_fraction") == 0.3 and s.value("supply.loss_fraction") == 0.25
    assert t.sets == ("supply.loss_fraction=0.3",)
    with pytest.raises(CapnuocInputError, match=r"1.5 nằm ngoài khoảng cho phép \(cần: một số từ 0 đến 1"):
        s.with_value("supply.loss_fraction", 1.5)


def test_records_for_report_tables():
    records = load("slip.yaml").to_records()
    assert [r["path"] for r in records] == load("slip.yaml").paths()
    delay = next(r for r in records if r["path"] == "supply.project_delay_months")
    assert delay == {"path": "supply.project_delay_months", "value": 12, "unit": "months",
                     "description": "Delay of the new plant beyond its planned commissioning date.",
                     "reference": "assumption: past projects in the province slipped by a few months",
                     "distribution": "cố định"}
    texts = {r["path"]: r["distribution"] for r in load(None).to_records()}
    assert texts["supply.project_delay_months"] == "chuẩn (trung bình 3, độ lệch chuẩn 2) trên [0; 12]"
    assert texts["supply.loss_fraction"] == "beta (5; 15) trên [0; 1]"
    assert texts["supply.tariff_growth"] == "đều (0,02; 0,06)"


# ---------------------------------------------------------------------------- sampling


def test_sample_all_shapes_and_determinism():
    s = load(None)
    a, b, c = sc.sample_all(s, 1000, seed=7), sc.sample_all(s, 1000, seed=7), sc.sample_all(s, 1000, seed=8)
    assert list(a) == s.uncertain_paths()
    assert all(x.shape == (1000,) for x in a.values())
    assert all(np.array_equal(a[p], b[p]) for p in a)
    assert not np.array_equal(a["supply.loss_fraction"], c["supply.loss_fraction"])
    fixed = sc.sample(s.get("supply.capacity_m3_day"), 5, np.random.default_rng(0))
    assert fixed.tolist() == [12000] * 5


def _leaf(distribution: dict) -> sc.Assumption:
    return sc.Assumption(value=0.0, unit="-", description="Test.", reference="assumption: test",
                         distribution=distribution)


finite = st.floats(-1e3, 1e3, allow_nan=False)


@st.composite
def distributions(draw) -> dict:
    kind = draw(st.sampled_from(["triangular", "uniform", "normal", "beta"]))
    low = draw(finite)
    high = low + draw(st.floats(1e-3, 1e3))
    if kind == "triangular":
        return {"kind": kind, "low": low, "mode": low + draw(st.floats(0, 1)) * (high - low), "high": high}
    if kind == "uniform":
        return {"kind": kind, "low": low, "high": high}
    if kind == "normal":
        d = {"kind": kind, "mean": draw(finite), "sd": draw(st.floats(1e-2, 1e3))}
        return d | draw(st.sampled_from([{"low": low, "high": high}, {"low": low}, {"high": high}, {}]))
    return {"kind": kind, "alpha": draw(st.floats(0.05, 50)), "beta": draw(st.floats(0.05, 50)), "low": low, "high": high}


@settings(max_examples=examples(300), deadline=None)
@given(distributions(), st.integers(0, 2**32 - 1))
def test_draws_stay_in_the_support(dist, seed):
    a = _leaf(dist)
    x = sc.sample(a, 500, np.random.default_rng(seed))
    lo, hi = sc.support(a.distribution)
    assert x.shape == (500,) and np.isfinite(x).all()
    assert (x >= lo).all() and (x <= hi).all()


@pytest.mark.parametrize("dist, mean, sd", [
    ({"kind": "triangular", "low": 6, "mode": 9, "high": 15}, 10, math.sqrt((36 + 81 + 225 - 54 - 90 - 135) / 18)),
    ({"kind": "uniform", "low": 0.02, "high": 0.06}, 0.04, 0.04 / math.sqrt(12)),
    ({"kind": "beta", "alpha": 5, "beta": 15, "low": 0, "high": 2}, 0.5, 2 * math.sqrt(75 / (400 * 21))),
    ({"kind": "normal", "mean": 3, "sd": 2, "low": 0, "high": 12},
     stats.truncnorm.mean(-1.5, 4.5, loc=3, scale=2), stats.truncnorm.std(-1.5, 4.5, loc=3, scale=2)),
])
def test_sample_mean_near_analytic_mean(dist, mean, sd):
    n = 200_000
    x = sc.sample(_leaf(dist), n, np.random.default_rng(2026))
    assert abs(x.mean() - mean) < 5 * sd / math.sqrt(n)
    assert abs(x.std() - sd) < 0.02 * sd
