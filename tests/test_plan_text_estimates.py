"""Issue 12 item 5 (part): the reconstruction is announced above the first Biểu, and estimated values that
look like placeholders (several areas with exactly the same population) come with the reason they are equal."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from capnuoc_model.data import fmt

from capnuoc_model.data.io import REPO_ROOT
from capnuoc_model.publish import narrative

from .conftest import examples


def test_every_group_of_equal_populations_is_explained(package):
    areas, methods = package.urban_areas, package.methods
    text = narrative.equal_values(areas, methods)
    for value, group in areas.groupby("population_base_persons"):
        if len(group) > 1:
            assert fmt.persons(value) in text and all(name in text for name in group["name_vi"])


@settings(max_examples=examples(10), deadline=None)
@given(st.integers(1, 5000))
def test_distinct_values_need_no_explanation(package, offset):
    areas = package.urban_areas.copy()
    areas["population_base_persons"] = areas["population_base_persons"] + offset * (1 + areas.index.to_numpy())
    assert narrative.equal_values(areas, package.methods) == ""


def test_the_reconstruction_is_announced_before_the_first_bieu():
    source = "".join("".join(c["source"]) for c in json.loads(
        (REPO_ROOT / "notebooks" / "01_hien_trang.ipynb").read_text(encoding="utf-8"))["cells"])
    assert source.index("reconstruction_notice") < source.index("rt.bieu01(ctx)")
