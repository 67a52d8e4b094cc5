"""The sensitivity charts say which end of an assumption's range each half-bar shows (issue 12 item 8)."""

from __future__ import annotations

import pandas as pd

from capnuoc_model.publish import charts


def test_each_assumption_has_a_low_and_a_high_half_bar_with_a_legend():
    sensitivity = pd.DataFrame({"assumption": ["a.x", "a.y"], "low": [0.1, 1.0], "high": [0.3, 2.0],
                                "loss_pct_low": [15.0, 16.5], "loss_pct_high": [17.0, 15.8]})
    spec = charts.tornado(sensitivity, "loss_pct_low", "loss_pct_high", 16.1, "Tỷ lệ thất thoát (%)",
                          {"a.x": "Giả định X", "a.y": "Giả định Y"}).to_dict()
    bar = spec["layer"][0]
    values = spec["datasets"][bar["data"]["name"]] if "name" in bar.get("data", {}) else next(iter(spec["datasets"].values()))
    ends = {(v["label"], v["end"]): v["result"] for v in values}
    low_words, high_words = charts.TORNADO_ENDS["low"][0], charts.TORNADO_ENDS["high"][0]
    assert ends[("Giả định Y", low_words)] == 16.5 and ends[("Giả định Y", high_words)] == 15.8
    colour = bar["encoding"]["color"]
    assert colour["scale"]["domain"] == [low_words, high_words] and colour["legend"] is not None
    assert all(v["centre"] == 16.1 for v in values)  # every half-bar starts at the central value
