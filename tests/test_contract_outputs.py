"""Tables that people open: one Excel workbook beside the CSVs, CSVs with BOM and snake_case names, one registry of columns."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from capnuoc_model.data import outputs

from .conftest import REPO
from .corruptions import few_sensitivity_draws, invoke

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


RUNS = {  # each command's arguments below the output root, and its folder of tables there
    "baseline": (lambda root: ["baseline", "--out", root / "baseline"], "baseline"),
    "project": (lambda root: ["project", "--draws", "100", "--out", root / "project"], "project"),
    "evaluate": (lambda root: ["evaluate", "--actuals", REPO / "data/examples/thuc_hien_2026_minh_hoa", "--to", "none",
                               "--draws", "100", "--out", root / "evaluate"], "evaluate/bang_danh_gia"),
}
# project and evaluate make a projection run (seconds): their cases are in the slow tier, baseline's in both
COMMANDS = ["baseline", pytest.param("project", marks=pytest.mark.slow), pytest.param("evaluate", marks=pytest.mark.slow)]


class Folders:
    """The output folder of each command, made by running it (in-process) the first time a test asks for it."""

    def __init__(self, root: Path):
        self.root, self.made = root, {}

    def __getitem__(self, command: str) -> Path:
        if command not in self.made:
            arguments, folder = RUNS[command]
            with few_sensitivity_draws(self.root / "cache"):  # the fast setting: every table, few draws
                outcome = invoke(arguments(self.root))
            assert outcome.exit_code == 0 and not outcome.traceback, outcome.output
            self.made[command] = self.root / folder
        return self.made[command]


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> Folders:
    return Folders(tmp_path_factory.mktemp("outputs"))


def csv_tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_csv(p, encoding="utf-8-sig") for p in sorted(folder.glob("*.csv"))}


@pytest.mark.parametrize("command", COMMANDS)
def test_csvs_are_utf8_with_bom_snake_case_and_decimal_points(folders, command):
    for path in sorted(folders[command].glob("*.csv")):
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), path.name
        header = raw[3:].decode("utf-8").splitlines()[0].split(",")
        assert all(SNAKE.match(name) for name in header), (path.name, header)
        frame = pd.read_csv(path, encoding="utf-8-sig")
        for column in frame.select_dtypes("number").columns:  # numbers read back as numbers: the decimal mark is '.'
            assert pd.api.types.is_numeric_dtype(frame[column])


@pytest.mark.parametrize("command", COMMANDS)
def test_one_workbook_of_all_tables_with_vietnamese_headers(folders, command):
    folder = folders[command]
    workbook = folder / outputs.WORKBOOK_NAMES[command]
    tables = csv_tables(folder)
    wb = load_workbook(workbook)
    assert wb.sheetnames[0] == "Mục lục" and len(wb.sheetnames) == 1 + len(tables)
    listed = {row[2]: row[0] for row in wb["Mục lục"].iter_rows(min_row=5, values_only=True)}
    assert set(listed) == {f"{name}.csv" for name in tables}
    for name, frame in tables.items():
        ws = wb[listed[f"{name}.csv"]]
        headers = [c.value for c in ws[2]]
        expected = [outputs.resolve(name, column).header for column in frame.columns]
        assert headers == expected, name
        assert not any(SNAKE.match(str(h)) and "_" in str(h) for h in headers), (name, headers)  # no column ids shown
        assert ws.max_row == len(frame) + 2, name


@pytest.mark.slow  # the project command
def test_workbook_people_are_whole_and_numbers_formatted(folders):
    wb = load_workbook(folders["project"] / outputs.WORKBOOK_NAMES["project"])
    ws = wb["Toàn tỉnh"]
    headers = [c.value for c in ws[2]]
    population = headers.index("Dân số (người)") + 1
    coverage = headers.index("Tỷ lệ bao phủ (%)") + 1
    probability = headers.index("Xác suất đạt mục tiêu bao phủ (%)") + 1
    for row in ws.iter_rows(min_row=3):
        assert isinstance(row[population - 1].value, int) and row[population - 1].number_format == "#,##0"
        assert isinstance(row[coverage - 1].value, float) and row[coverage - 1].number_format == "#,##0.0"
        assert row[probability - 1].number_format == "0%" and 0 <= row[probability - 1].value <= 1
    csv_population = pd.read_csv(folders["project"] / "province.csv", encoding="utf-8-sig")["population"]
    assert not (csv_population == csv_population.round()).all()  # the CSV keeps the model's fractions of people


def test_biểu_tables_have_names_in_csv_and_vietnamese_headers_in_the_workbook(folders):
    frame = pd.read_csv(folders["baseline"] / "bieu03_bao_phu.csv", encoding="utf-8-sig")
    assert list(frame.columns) == ["area_name_vi", "population_persons", "served_persons", "coverage_pct", "coverage_class"]
    ws = load_workbook(folders["baseline"] / outputs.WORKBOOK_NAMES["baseline"])["Biểu 03 bao phủ"]
    assert [c.value for c in ws[2]] == ["Đô thị", "Dân số đô thị (người)", "Dân số được cấp nước sạch (người)",
                                       "Tỷ lệ bao phủ (%)", "Mức độ bao phủ"]


@pytest.mark.parametrize("command", COMMANDS)
def test_registry_describes_every_output_column(folders, command):
    assert outputs.unknown_columns(csv_tables(folders[command])) == []


@pytest.mark.slow  # the project command
def test_manifests_list_the_workbook_and_reproduce_still_matches(folders):
    import json

    for command in ("baseline", "project"):
        manifest = json.loads((folders[command] / "manifest.json").read_text(encoding="utf-8"))
        assert outputs.WORKBOOK_NAMES[command] in manifest["outputs"]
    outcome = invoke(["reproduce", folders["baseline"] / "manifest.json"])
    assert outcome.exit_code == 0 and "Tái lập được" in outcome.output, outcome.output


def test_registry_entries_are_well_formed():
    reg = outputs.registry()
    entries = list(reg["columns"].items()) + [(n, s) for t in reg["tables"].values() for n, s in (t.get("columns") or {}).items()]
    for name, spec in entries:
        assert SNAKE.match(name) and set(spec) <= {"label", "unit", "format", "decimals"}, (name, spec)
        assert spec.get("format", "text") in outputs.FORMATS and spec["label"].strip(), name
    for table, info in reg["tables"].items():
        assert SNAKE.match(table) and 0 < len(info["sheet"]) <= 31 and info.get("title"), table


def test_the_output_dictionary_is_the_registry():
    assert outputs.DICTIONARY_FILE.read_text(encoding="utf-8") == outputs.dictionary_markdown()
