"""Issue 12 item 3: targets keep the plan's words ("phấn đấu … khoảng 87,4 %", "100 % công trình")."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capnuoc_model.data import io
from capnuoc_model.data.plan import UNIT_RANGE, UNIT_VI, Target

FIXTURE = io.REPO_ROOT / "tests" / "fixtures" / "tinh_song_may" / "data"


def _number(text: str) -> str | None:
    found = re.search(r"\d+(?:,\d+)?", text)
    return found.group(0) if found else None


@pytest.mark.parametrize("data_dir", [io.REPO_ROOT / "data", FIXTURE], ids=["cao_bang", "song_may"])
def test_every_target_is_quoted_in_the_plans_words(data_dir):
    plan = io.load_package(data_dir).plan
    for target in plan.targets.values():
        words = target.words()
        assert "≥" not in words and "≤" not in words, words
        if target.comparator in ("at_least", "at_most"):
            assert _number(words) in target.wording_vi, (words, target.wording_vi)
            assert words.startswith("khoảng ") == ("khoảng" in target.wording_vi.lower())


@given(unit=st.sampled_from([u for u in UNIT_RANGE if UNIT_RANGE[u][1] == 100.0]),
       value=st.floats(0, 100).map(lambda v: round(v, 1)))
def test_nothing_is_above_the_whole(unit, value):
    target = Target("t", "x", f"đạt {value}", "at_least", value, None, unit, ("system",), None, "s")
    assert ("≥" in target.text()) == (value < 100.0)
    assert target.words().endswith(UNIT_VI[unit]) and "≥" not in target.words()


def test_the_targets_table_quotes_the_words_and_states_the_rule_apart(package):
    from types import SimpleNamespace

    from capnuoc_model.publish import report_tables as rt

    table = rt.province_targets(SimpleNamespace(plan=package.plan))
    words = table[[c for c in table.columns if "lời Kế hoạch" in c][0]]
    assert "khoảng 87,4 %" in set(words) and "100 % công trình" in set(words)
    assert not any(w.startswith("≥") for w in words)
