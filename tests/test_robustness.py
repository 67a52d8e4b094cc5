"""Files as people make them: Excel in Vietnamese, other encodings and separators, corrupted copies."""

from __future__ import annotations

import csv
import io as stdio
import random
import shutil
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capnuoc_model.data import io

from capnuoc_model.data.errors import CapnuocInputError
from capnuoc_model.data.numbers import COMMA, DOT, MIXED, detect_style, parse_number
from capnuoc_model.data.schema import TABLES
from capnuoc_model.evaluation import actuals_io
from capnuoc_model.model.scenario import load_scenario

from .conftest import DATA, REPO, examples, run_cli, some_cases_fast


TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below


def cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: precomposed where the code page has the letter, combining tone marks otherwise."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in parts if c in TONE_MARKS)
        letter = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONE_MARKS))
        # a character the code page lacks (Σ, ≤, →) is lost as '?', as Excel does
        out += letter.encode("cp1258", errors="replace") + tones.encode("cp1258", errors="replace")
    return bytes(out)


def vietnamese_number(text: str, kind: str) -> str:
    """How a Vietnamese-locale Excel writes a number: ',' decimal mark, '.' between thousands."""
    value = float(text)
    if kind == "int" or value.is_integer() and kind == "int":
        return f"{int(value):,}".replace(",", ".")
    whole, _, decimals = text.partition(".")
    grouped = f"{int(whole):,}".replace(",", ".") if whole.lstrip("-").isdigit() else whole
    return grouped + ("," + decimals if decimals else "")


def resave_like_vietnamese_excel(source: Path, target: Path, encoding: str) -> None:
    """Every table re-saved as Excel (Vietnamese locale) would: ';' separator, decimal commas, CRLF."""
    for table in TABLES:
        kinds = {f.name: f.kind for f in table.columns()}
        with (source / table.file).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        header = rows[0]
        converted = [header] + [
            [vietnamese_number(cell, kinds.get(name, "str")) if cell and kinds.get(name) in ("int", "float") else cell
             for name, cell in zip(header, row)]
            for row in rows[1:]
        ]
        buffer = stdio.StringIO()
        csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(converted + [[""] * len(header)])
        text = buffer.getvalue()
        data = cp1258(text) if encoding == "cp1258" else text.encode(encoding)
        (target / table.file).write_bytes(data)


def same_tables(a: io.DataPackage, b: io.DataPackage, numbers_only: bool = False) -> None:
    """Equal tables; with ``numbers_only`` the numeric, boolean and key columns (free text may lose characters)."""
    for table in TABLES:
        frame, other = a.tables[table.name], b.tables[table.name]
        if numbers_only:
            keep = [f.name for f in table.columns() if f.kind != "str" or f.name in table.key]
            frame, other = frame[keep], other[keep]
        pd.testing.assert_frame_equal(frame, other, check_dtype=True, obj=table.name)


@pytest.mark.parametrize("encoding", some_cases_fast(["cp1258", "utf-8-sig", "utf-16"], 2))
def test_vietnamese_excel_resave_loads_to_the_same_numbers(tmp_path, package, encoding):
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    resave_like_vietnamese_excel(DATA, target, encoding)
    raw = (target / "urban_areas.csv").read_bytes()
    assert b";" in raw and (encoding != "cp1258" or b"\xcc" in raw or b"\xd2" in raw or b"\xde" in raw or b"\xec" in raw)
    same_tables(package, io.load_package(target), numbers_only=encoding == "cp1258")


@pytest.mark.parametrize("mutate", some_cases_fast([
    pytest.param(lambda t: t.replace("\n", "\r\n"), id="CRLF line ends"),
    pytest.param(lambda t: t + "\n\n,,,\n", id="blank trailing rows"),
    pytest.param(lambda t: "\n".join(line + ",," for line in t.splitlines()) + "\n", id="empty trailing columns"),
    pytest.param(lambda t: unicodedata.normalize("NFD", t), id="decomposed Unicode (NFD)"),
], 2))
def test_harmless_variations(data_copy, package, mutate):
    path = data_copy / "urban_areas.csv"
    path.write_text(mutate(path.read_text(encoding="utf-8")), encoding="utf-8")
    same_tables(package, io.load_package(data_copy))


@pytest.mark.parametrize("text, integer, style, bounds, expected", [
    ("17,9", False, DOT, (None, None), 17.9),
    ("17.9", False, COMMA, (None, None), 17.9),
    ("2.600", True, DOT, (0, None), 2600),  # a whole-number column: 2,6 people is impossible
    ("2.600", False, COMMA, (0, None), 2600.0),  # the file writes decimal commas
    ("2.600", False, DOT, (0, None), 2.6),  # the file writes decimal points
    ("0.600", False, COMMA, (0, 1), 0.6),  # a fraction column: 600 is out of range
    ("1.234.567", True, DOT, (None, None), 1234567),
    ("1.234,5", False, DOT, (None, None), 1234.5),
    ("2 600", True, COMMA, (None, None), 2600),
    ("17,9 %", False, COMMA, (0, 100), 17.9),
])
def test_numbers_are_resolved_by_column_and_file(text, integer, style, bounds, expected):
    value, problem = parse_number(text, integer=integer, style=style, bounds=bounds)
    assert problem is None and value == pytest.approx(expected)


@pytest.mark.parametrize("text, integer, style, fragment", [
    ("2.600", False, MIXED, "có hai cách đọc: 2.600 hoặc 2,6"),
    ("abc", False, DOT, "không phải là số"),
    ("nan", False, DOT, "không phải là một số hữu hạn"),
    ("inf", False, DOT, "không phải là một số hữu hạn"),
    ("4582.5", True, DOT, "không phải là số nguyên"),
])
def test_numbers_that_are_rejected(text, integer, style, fragment):
    value, problem = parse_number(text, integer=integer, style=style)
    assert value is None and fragment in problem


def test_style_detection():
    assert detect_style(["17,9", "2.600"]) == COMMA
    assert detect_style(["17.9"], ";") == DOT
    assert detect_style(["2.600"], ";") == COMMA
    assert detect_style(["17,9", "17.5"]) == MIXED


def test_ambiguous_number_in_a_mixed_file_is_rejected_with_its_place(data_copy):
    path = data_copy / "projects.csv"
    text = path.read_text(encoding="utf-8").replace(",42.43,", ',"42,43",').replace(",18.8,", ",18.800,")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CapnuocInputError) as info:
        io.load_package(data_copy)
    messages = [str(v) for v in info.value.violations]
    assert any(":6:cost_billion_vnd: '18.800' có hai cách đọc" in m for m in messages), messages


def test_percentages_written_as_fractions(data_copy):
    path = data_copy / "targets_area.csv"
    frame = pd.read_csv(path)
    frame["coverage_target_pct"] = (frame["coverage_target_pct"] / 100).round(3)
    frame.to_csv(path, index=False)
    with pytest.raises(CapnuocInputError) as info:
        io.load_package(data_copy)
    assert any("viết dạng tỷ lệ thay vì phần trăm?" in str(v) and ":coverage_target_pct:" in str(v) for v in info.value.violations)


def test_huge_file_is_refused_quickly(data_copy, monkeypatch):
    monkeypatch.setattr(io, "MAX_INPUT_BYTES", 1000)
    with pytest.raises(CapnuocInputError) as info:
        io.load_package(data_copy)
    assert any("tệp quá lớn" in str(v) for v in info.value.violations)


# ----------------------------------------------------------------------------- fuzzing

CSV_FILES = sorted(p.name for p in DATA.glob("*.csv"))


def corrupt(data: bytes, rng: random.Random, how: str) -> bytes:
    if not data:
        return data
    position = rng.randrange(len(data))
    if how == "flip":
        return data[:position] + bytes([rng.randrange(256)]) + data[position + 1:]
    if how == "delete":
        return data[:position] + data[position + rng.randrange(1, 40):]
    if how == "insert":
        junk = rng.choice([b",", b";", b'"', b"\n", b"-1", b"NaN", b"inf", b"1e400", b"\xff\xfe", b"\x00", b"abc", b"2.600"])
        return data[:position] + junk + data[position:]
    if how == "truncate":
        return data[:position]
    lines = data.split(b"\n")  # "shuffle": swap two lines
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(CSV_FILES), how=st.sampled_from(["flip", "delete", "insert", "truncate", "shuffle"]),
       seed=st.integers(0, 2**32 - 1), times=st.integers(1, 4))
@pytest.mark.slow
def test_fuzzed_data_package_gives_located_messages(tmp_path_factory, name, how, seed, times):
    target = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(DATA, target)
    rng = random.Random(seed)
    data = (target / name).read_bytes()
    for _ in range(times):
        data = corrupt(data, rng, how)
    (target / name).write_bytes(data)
    try:
        io.load_package(target)
    except CapnuocInputError as error:
        assert error.violations
        for violation in error.violations:
            assert violation.file.endswith(".csv") and violation.problem and violation.expected


SCENARIO_TEXT = (REPO / "analysis" / "scenarios" / "projects_slip.yaml").read_text(encoding="utf-8")


@pytest.mark.slow
@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), how=st.sampled_from(["flip", "delete", "insert", "truncate", "shuffle"]))
def test_fuzzed_scenario_gives_located_messages(tmp_path_factory, seed, how):
    path = tmp_path_factory.mktemp("scenario") / "broken.yaml"
    path.write_bytes(corrupt(SCENARIO_TEXT.encode("utf-8"), random.Random(seed), how))
    try:
        load_scenario(path)
    except CapnuocInputError as error:
        assert error.violations and all(v.problem and v.expected for v in error.violations)


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fuzzed_inputs_through_the_cli(tmp_path, seed):
    rng = random.Random(seed)
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    name = rng.choice(CSV_FILES)
    data = (target / name).read_bytes()
    for how in ("flip", "insert", "delete"):
        data = corrupt(data, rng, how)
    (target / name).write_bytes(data)
    scenario = tmp_path / "s.yaml"
    scenario.write_bytes(corrupt(SCENARIO_TEXT.encode("utf-8"), rng, "insert"))
    for args in (["validate", "--data", str(target)], ["check", "--draws", "200", "--scenario", str(scenario)]):
        done = run_cli(*args)
        assert done.returncode in (0, 2), (args, done.stderr[-2000:])
        assert "Traceback" not in done.stderr + done.stdout


def test_reported_results_with_vietnamese_headers_semicolons_and_decimal_commas(tmp_path, package):
    folder = tmp_path / "bao_cao"
    folder.mkdir()
    text = ("Mã đô thị;Dân số đô thị (người);Số người được cấp nước sạch (người);Năm;Nguồn số liệu\n"
            "Hoà An;4.600;4.400;2026;Báo cáo số 12/BC-UBND\n"
            "bao_lam;6.100;2.000,0;2026;Báo cáo số 7/BC-UBND\n\n;;;;\n")
    (folder / "area_results.csv").write_bytes(cp1258(text))
    actuals = actuals_io.load_actuals(folder, package, 2026)
    areas = actuals.tables["area_results"].set_index("area_id")
    assert areas.loc["hoa_an", "population_persons"] == 4600 and areas.loc["hoa_an", "served_persons"] == 4400
    assert areas.loc["bao_lam", "served_persons"] == 2000
