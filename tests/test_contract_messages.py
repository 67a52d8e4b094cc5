"""The message catalogue: every id the code names exists, every template fills, and none of it is English."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from capnuoc_model.data import errors, messages

PACKAGE = Path(messages.__file__).resolve().parents[1]  # capnuoc_model/, every subpackage
LITERAL = re.compile(r"(?<![\w{])[\"']([a-z_]+(?:\.[a-z_0-9]+)+)[\"']")  # "data.column_missing" (not f-strings)
# ids built at run time: the prefix and the endings the code uses
DYNAMIC = {
    "cell.form_": ("int", "float", "bool", "str"),
    "scenario.not_": ("number", "bool", "text"),
    "scenario.kind_": ("number", "bool", "text"),
    "names.kind_": ("area", "system", "operator"),
    "label.limit_": ("low", "high"),
    "scenario.help.": ("value", "unit", "description", "reference", "min", "max", "choices", "distribution",
                       "header_name", "header_description", "header_extends", "header_overrides"),
}
ENGLISH = re.compile(r"\b(the|is|are|not|of|expected|missing|unknown|must|should|please|cannot|found|problem|error|warning|"
                     r"invalid|file|row|column|between|with|only|empty|number|value|values|exceeds|given)\b", re.I)
IDENTIFIERS = re.compile(r"'[^']*'|«[^»]*»|\{[^}]*\}|\b[a-z]+_[a-z_0-9]+\b|\b(?:value|unit|description|reference|kind|low|mode|"
                         r"high|mean|sd|alpha|beta|min|max|null|true|false|name|extends|overrides|target_min|target_max|"
                         r"triangular|uniform|normal|estimate|additional|none)\b")


def used_ids() -> set[str]:
    """Every string literal of the package that names a catalogue namespace ('data.', 'cli.', ...)."""
    namespaces = {key.split(".")[0] for key in messages.catalogue()}
    found = set()
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        source = re.sub(r"\bf([\"'])", "F\\1", source)  # leave f-strings out (their ids are the DYNAMIC ones)
        found |= {i for i in LITERAL.findall(source) if i.split(".")[0] in namespaces
                  and not re.search(r"\.(json|csv|ya?ml|xlsx|ipynb|py|css|lua|typ|docx)$", i)}  # file names are not ids
    return found


def test_every_id_the_code_names_is_in_the_catalogue():
    ids = used_ids()
    assert len(ids) > 150  # the scan finds the calls
    catalogue = messages.catalogue()
    missing = sorted(i for i in ids if i not in catalogue)
    assert not missing, missing
    for prefix, endings in DYNAMIC.items():
        for ending in endings:
            assert prefix + ending in catalogue, prefix + ending


def test_every_catalogue_entry_is_used():
    """No dead messages: each id is named by the code (literally or through a dynamic prefix)."""
    ids = used_ids()
    dynamic = {prefix + ending for prefix, endings in DYNAMIC.items() for ending in endings}
    structural = {"units", "yaml_problems"}
    unused = sorted(k for k in messages.catalogue() if k not in ids | dynamic | structural)
    assert not unused, unused


def entries():
    for key, entry in messages.catalogue().items():
        if key in ("units", "yaml_problems"):
            for sub, value in entry.items():
                yield f"{key}.{sub}", value.replace("{", "{{").replace("}", "}}")  # used as they are, not filled
        elif isinstance(entry, dict):
            assert set(entry) == {"problem", "expected"}, key
            yield f"{key}.problem", entry["problem"]
            yield f"{key}.expected", entry["expected"]
        else:
            yield key, entry


@pytest.mark.parametrize("key, template", list(entries()))
def test_entries_are_vietnamese_templates(key, template):
    assert isinstance(template, str) and template.strip(), key
    list(string.Formatter().parse(template))  # a valid format string
    words = ENGLISH.findall(IDENTIFIERS.sub(" ", template))
    assert not words, (key, words, template)
    assert not re.search(r"(Error|Exception)\b", template), key


def test_pairs_fill_with_their_own_placeholders():
    for key, entry in messages.catalogue().items():
        if isinstance(entry, dict) and key not in ("units", "yaml_problems"):
            names = messages.placeholders(entry["problem"]) | messages.placeholders(entry["expected"])
            problem, expected = messages.pair(key, **{n: "x" for n in names})
            assert "{" not in problem + expected or "{{" in entry["problem"] + entry["expected"], key


def test_a_violation_renders_in_vietnamese():
    v = errors.violation("data/systems.csv", 5, "status", "data.not_allowed", value="running", rule="một trong: a, b")
    assert str(v) == "data/systems.csv:5:status: 'running' không hợp lệ (cần: một trong: a, b)"
    w = errors.violation("data/x.csv", 1, "c", "data.unknown_column", severity="warning", column="c")
    assert str(w).startswith("data/x.csv:1:c: cảnh báo: ")


def test_every_data_package_column_has_a_vietnamese_label():
    """Messages name a column with its label; a column without one would show only its id."""
    from capnuoc_model.data.schema import TABLES

    unlabelled = [(t.name, f.name) for t in TABLES for f in t.columns() if t.label(f.name) == f.name]
    assert not unlabelled, unlabelled
