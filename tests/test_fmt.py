"""Vietnamese number formats."""

import math

import pytest

from capnuoc_model.data import fmt


@pytest.mark.parametrize(
    "call, expected",
    [
        (lambda: fmt.pct(17.9), "17,9 %"),
        (lambda: fmt.pct(81.8998), "81,9 %"),
        (lambda: fmt.pct(87.4), "87,4 %"),
        (lambda: fmt.persons(2600), "2.600 người"),
        (lambda: fmt.persons(12834), "12.834 người"),
        (lambda: fmt.billion_vnd(42.43), "42,43 tỷ đồng"),
        (lambda: fmt.billion_vnd(0.169), "0,169 tỷ đồng"),
        (lambda: fmt.billion_vnd(108.159), "108,159 tỷ đồng"),
        (lambda: fmt.billion_vnd(14.5), "14,5 tỷ đồng"),
        (lambda: fmt.m3_per_day(13700000), "13.700.000 m³/ngày đêm"),
        (lambda: fmt.vn(1234567.891, 2), "1.234.567,89"),
        (lambda: fmt.vn(2.5), "3"),
        (lambda: fmt.vn(-3.5), "-4"),
        (lambda: fmt.vn(None), "—"),
        (lambda: fmt.pct(math.nan), "—"),
    ],
)
def test_vietnamese_formats(call, expected):
    assert call() == expected
