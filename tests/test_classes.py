"""The plan's class rules at every boundary of the legends of Biểu 01-03."""

import math

import pandas as pd
import pytest

from capnuoc_model.data.classes import classify, coverage_class, loss_class, utilisation_class


@pytest.mark.parametrize(
    "value, expected",
    [
        (150.0, "Vượt công suất"), (100.0001, "Vượt công suất"), (100.0, "Cao"), (95.0, "Cao"),
        (90.0, "Cao"), (89.9999, "Trung bình"), (70.0, "Trung bình"), (69.9999, "Thấp"),
        (50.0, "Thấp"), (49.9999, "Rất thấp"), (0.0, "Rất thấp"),
    ],
)
def test_utilisation_boundaries(value, expected):
    assert utilisation_class(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        (72.5, "Rất cao"), (50.0001, "Rất cao"), (50.0, "Cao"), (25.0, "Cao"), (24.9999, "Trung bình"),
        (15.0001, "Trung bình"), (15.0, "Thấp"), (12.0, "Thấp"), (0.0, "Thấp"),
    ],
)
def test_loss_boundaries(value, expected):
    assert loss_class(value, 15.0) == expected


@pytest.mark.parametrize("threshold, value, expected", [(18.0, 17.5, "Thấp"), (18.0, 18.0, "Thấp"), (18.0, 18.1, "Trung bình"),
                                                        (10.0, 12.0, "Trung bình"), (10.0, 10.0, "Thấp")])
def test_loss_low_class_ends_at_the_plans_threshold(threshold, value, expected):
    """The low class ends at the plan's loss threshold (its loss target), not at a number in the code."""
    assert loss_class(value, threshold) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        (0.0, "Chưa có dịch vụ"), (0.0001, "Thấp"), (74.9999, "Thấp"), (75.0, "Trung bình"),
        (89.9999, "Trung bình"), (90.0, "Khá"), (94.9999, "Khá"), (95.0, "Cao"), (100.0, "Cao"),
    ],
)
def test_coverage_boundaries(value, expected):
    assert coverage_class(value) == expected


def test_missing_values_have_no_class():
    for rule in (utilisation_class, coverage_class):
        assert rule(None) is None
        assert rule(math.nan) is None
    assert loss_class(None, 15.0) is None and loss_class(math.nan, 15.0) is None


def test_classify_series_keeps_index_and_missing():
    series = pd.Series([15.0, None, 25.0], index=["a", "b", "c"])
    out = classify(series, loss_class, 15.0)
    assert list(out.index) == ["a", "b", "c"]
    assert out["a"] == "Thấp" and out["b"] is None and out["c"] == "Cao"
