"""YAML read through libyaml gives what PyYAML's Python parser gives: the same document or the same error.

The one difference allowed: libyaml accepts a few constructs PyYAML's parser refuses (a comment right after a
block scalar's "|", for one); such a document is read as libyaml reads it."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from capnuoc_model.data import yaml_reading
from capnuoc_model.model import scenario as sc

from .conftest import examples

pytestmark = pytest.mark.skipif(yaml_reading.FAST_LOADER is None, reason="PyYAML without libyaml: only the Python parser")


def outcome(load, text):
    try:
        return ("ok", load(text))
    except yaml.YAMLError as error:
        return ("error", type(error).__name__, str(error))
    except RecursionError:
        return ("recursion",)


PIECES = ["a", "b: ", "1", "1e5", "1.5e-3", "'x'", '"y"', "- ", "[", "]", "{", "}", ",", ":", " ", "  ", "\n", "#c",
          "&a ", "*a", "!!str ", "~", "true", "ngày", "\t", "\r", "\x07", "\x85", "\ufeff", "\u2028", "\u2029", "\x00", "---", "...", "|", ">", "?", "%"]


@settings(max_examples=examples(400), deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join))
def test_the_same_document_or_the_same_error(text):
    fast, python = outcome(yaml_reading.safe_load, text), outcome(yaml.safe_load, text)
    assert fast == python or (fast[0] == "ok" and python[0] != "ok")


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join))
def test_a_scenario_is_read_the_same_with_either_parser(text):
    fast = sc._Doc(None, "s.yaml", ())
    found_fast = sc._parse(text, fast)
    slow = sc._Doc(None, "s.yaml", ())
    saved, yaml_reading.FAST_LOADER = yaml_reading.FAST_LOADER, None
    try:
        found_slow = sc._parse(text, slow)
    finally:
        yaml_reading.FAST_LOADER = saved
    if slow.ok or not fast.ok:  # both read it, or libyaml refused it too: the same document, or the same problems
        assert (found_fast, fast.data, fast.lines, fast.ok) == (found_slow, slow.data, slow.lines, slow.ok)


def test_libyaml_reads_the_catalogue_and_a_plain_exponent_stays_a_number():
    text = "growth: 1e-2\nname: '1e-2'\n"
    loader = yaml_reading.loader(text)
    assert isinstance(loader, yaml_reading.FAST_LOADER)
    doc = sc._Doc(None, "s.yaml", ())
    assert sc._parse(text, doc) == [] and doc.data == {"growth": 0.01, "name": "1e-2"}


def test_a_control_character_goes_to_the_python_parser():
    for text in ("a: \x07", "a: 1\ufeff", "a: 1\x85b: 2"):
        assert not yaml_reading._fast(text)
    with pytest.raises(yaml.reader.ReaderError):
        yaml_reading.loader("a: \x07")
    with pytest.raises(yaml.reader.ReaderError):
        yaml_reading.safe_load("a: \x07")
