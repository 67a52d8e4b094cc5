"""Issue 12 items 8 and 9: everything a reader sees is Vietnamese; no decimal points, file paths or program names.

The scan reads the rendered text of the three formats (HTML, PDF, DOCX). Left out: titles of publications quoted
in «» (a foreign publication keeps its own title) and the one paragraph of the methods annex that names the
files and programs (narrative.FILES_AND_PROGRAMS_OPENING).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capnuoc_model.data import fmt

from capnuoc_model.model.scenario import load_scenario
from capnuoc_model.publish import narrative
from tests.document_text import docx_text, html_text, normalise, pdf_text
from tests.language_scan import decimal_points, english_words, paths_and_programs


def readable(text: str) -> str:
    text = normalise(text)
    text = re.sub(rf"{re.escape(narrative.FILES_AND_PROGRAMS_OPENING)}.*?typst\.", " ", text)
    return re.sub(r"«[^»]*»", " ", text)


# ----------------------------------------------------------------------------- the scanner finds the class


@pytest.mark.parametrize("text", ["l/person/day", "fraction/year", "triangular(0.2, 0.5, 0.8)", "District towns of Cao Bằng",
                                  "assumption: no town has a series"])
def test_english_is_found(text):
    assert english_words(text)


@pytest.mark.parametrize("text", ["Nhà máy nước Tân An", "Thông Nông", "thị trấn Trà Lĩnh", "Chỉ số ILI theo IWA", "Mục VII",
                                  "UBND các xã, phường", "Số: /KH-UBND", "Quyết định số 2502/QĐ-TTg", "thanh toán"])
def test_vietnamese_is_not_english(text):
    assert english_words(text) == []


@given(st.floats(0, 1e7, allow_nan=False), st.integers(0, 3))
def test_vietnamese_numbers_have_no_decimal_point(value, decimals):
    assert decimal_points(f"giá trị {fmt.vn(value, decimals)} người") == []


@given(st.floats(0, 1e4, allow_nan=False).filter(lambda v: v != int(v)))
def test_a_number_printed_by_python_is_found(value):
    assert decimal_points(f"giá trị {value!r} người") or "e" in repr(value)


@pytest.mark.parametrize("text", ["data/system_network.csv", "analysis/assumptions/defaults.yaml", "mô hình capnuoc",
                                  "hồi quy (OLS, statsmodels)"])
def test_paths_and_programs_are_found(text):
    assert paths_and_programs(text)


def test_labels_and_section_numbers_are_not_decimals():
    assert decimal_points("Bảng A.1, Hình B.2, Mục III.3, Biểu 01, 140.429 người, 2.600 người, 17,9 %") == []


# ----------------------------------------------------------------------------- the assumptions carry Vietnamese


def test_every_assumption_has_a_vietnamese_label_unit_and_explanation():
    scenario = load_scenario("analysis/scenarios/baseline.yaml", [])
    for path in scenario.assumptions:
        a = scenario.get(path)
        for field in ("label_vi", "unit_vi", "explanation_vi"):
            text = getattr(a, field)
            assert text, f"{path}: {field}"
            assert not english_words(text) and not decimal_points(text), f"{path}: {field} {text!r}"


# ----------------------------------------------------------------------------- the rendered documents

READERS = {"html": html_text, "pdf": pdf_text, "docx": docx_text}


@pytest.mark.parametrize("fmt_name", list(READERS))
def test_the_plan_reads_in_vietnamese(plan_document, fmt_name):
    text = readable(READERS[fmt_name](plan_document.outputs[fmt_name]))
    english = sorted(set(english_words(text)))
    assert not english, f"English words in the {fmt_name}: {english[:40]}"
    assert not decimal_points(text), f"decimal points in the {fmt_name}: {decimal_points(text)[:20]}"
    assert not paths_and_programs(text), f"file paths or program names in the {fmt_name}: {paths_and_programs(text)[:20]}"


@pytest.mark.parametrize("fmt_name", list(READERS))
def test_the_plan_names_files_and_programs_once_in_its_methods_annex(plan_document, fmt_name):
    text = normalise(READERS[fmt_name](plan_document.outputs[fmt_name]))
    assert text.count(narrative.FILES_AND_PROGRAMS_OPENING) == 1


@pytest.mark.parametrize("fmt_name", list(READERS))
def test_the_evaluation_has_no_decimal_point_path_or_program_name(evaluation_document, fmt_name):
    text = readable(READERS[fmt_name](evaluation_document.outputs[fmt_name]))
    assert not decimal_points(text), f"decimal points in the {fmt_name}: {decimal_points(text)[:20]}"
    assert not paths_and_programs(text), f"file paths or program names in the {fmt_name}: {paths_and_programs(text)[:20]}"


@pytest.mark.parametrize("fmt_name", list(READERS))
def test_the_evaluation_reads_in_vietnamese(evaluation_document, fmt_name):
    text = readable(READERS[fmt_name](evaluation_document.outputs[fmt_name]))
    english = sorted(set(english_words(text)))
    assert not english, f"English words in the {fmt_name}: {english[:40]}"
