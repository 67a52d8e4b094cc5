"""The tracebacks of issue 10 item 8, each now a located message with exit code 2 (in-process, typer's test runner)."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

import pytest
import yaml

from capnuoc_model.data.errors import CapnuocInputError
from capnuoc_model.publish import render, report

from .conftest import REPO, some_cases_fast
from .corruptions import few_sensitivity_draws, invoke, rejected_properly

QUARTO = REPO / "_quarto.yml"


def quarto_with(tmp_path: Path, chapters: list[str]) -> Path:
    """A copy of _quarto.yml and its profiles whose plan document lists ``chapters`` (absolute paths are allowed)."""
    shutil.copy(QUARTO, tmp_path / "_quarto.yml")
    for profile in REPO.glob("_quarto-*.yml"):  # each document's title and chapters are in its profile
        data = yaml.safe_load(profile.read_text(encoding="utf-8"))
        if profile.name == "_quarto-plan.yml":
            data["book"]["chapters"] = chapters
            data["book"].pop("appendices", None)
            if data.get("capnuoc", {}).get("summary") not in chapters:  # a document without the summary page
                data["capnuoc"].pop("summary")
        (tmp_path / profile.name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return tmp_path / "_quarto.yml"


def run_report(monkeypatch, quarto: Path, *args: str):
    monkeypatch.setattr(report, "QUARTO_FILE", str(quarto))  # REPO_ROOT / an absolute path is that path
    monkeypatch.setattr(render, "find_quarto", lambda: None)
    return invoke(["report", "plan", "--to", "html", "--draws", "100", *args])


@pytest.mark.parametrize("content, line", some_cases_fast([
    ('{"cells": [}', 1),
    ("", 1),
    ('{\n  "cells": [\n    {"cell_type": "code",\n', 4),
    ("[" * 3000 + "]" * 3000, None),
], 2))
def test_notebook_that_is_not_json(tmp_path, monkeypatch, content, line):
    broken = tmp_path / "hong.ipynb"
    broken.write_text(content, encoding="utf-8")
    outcome = run_report(monkeypatch, quarto_with(tmp_path, [str(broken)]))
    assert rejected_properly(outcome), outcome.output
    assert f"hong.ipynb{':' + str(line) if line else ''}:" in outcome.output and "không phải JSON hợp lệ" in outcome.output


def test_notebook_that_is_json_but_not_a_notebook(tmp_path, monkeypatch):
    broken = tmp_path / "khong_phai.ipynb"
    broken.write_text(json.dumps({"cells": "none", "nbformat": 4}), encoding="utf-8")
    outcome = run_report(monkeypatch, quarto_with(tmp_path, [str(broken)]))
    assert rejected_properly(outcome) and "không phải là notebook Jupyter hợp lệ" in outcome.output, outcome.output


def test_every_missing_chapter_is_named(tmp_path, monkeypatch):
    chapters = ["notebooks/01_hien_trang.ipynb", "notebooks/khong_co.ipynb", "notebooks/cung_khong_co.ipynb"]
    outcome = run_report(monkeypatch, quarto_with(tmp_path, chapters))
    assert rejected_properly(outcome), outcome.output
    for missing in chapters[1:]:
        assert f"chương {missing} được liệt kê nhưng không có tệp này" in outcome.output


@pytest.mark.parametrize("text", some_cases_fast(["- a\n- b\n", "book: [1, 2]\n", "book:\n  title: X\n  chapters: notebooks\n", "{{{"], 2))
def test_project_file_of_the_wrong_shape(tmp_path, monkeypatch, text):
    path = tmp_path / "_quarto.yml"
    path.write_text(text, encoding="utf-8")
    outcome = run_report(monkeypatch, path)
    assert rejected_properly(outcome), outcome.output


@pytest.fixture()
def templates(tmp_path, monkeypatch):
    """A copy of report/templates that a test may break; the template cache starts empty."""
    folder = tmp_path / "templates"
    shutil.copytree(render.TEMPLATES_DIR, folder)
    monkeypatch.setattr(render, "TEMPLATES_DIR", folder)
    render._template.cache_clear()
    yield folder
    render._template.cache_clear()


@pytest.mark.slow
@pytest.mark.parametrize("name", render.TEMPLATE_FILES)
def test_missing_template_is_located_before_any_notebook_runs(templates, monkeypatch, name):
    (templates / name).unlink()
    executed = []
    monkeypatch.setattr(report, "execute_notebook", lambda *a: executed.append(a))
    outcome = run_report(monkeypatch, QUARTO)
    assert rejected_properly(outcome), outcome.output
    assert f"{name}: thiếu mẫu tài liệu" in outcome.output and not executed


def test_templates_are_not_read_on_import(templates, monkeypatch):
    """A missing template broke every command that imports the renderer, evaluate --to none among them."""
    for path in templates.iterdir():
        path.unlink()
    original = Path.read_text

    def guarded(self, *args, **kwargs):
        if "templates" in self.parts:
            raise FileNotFoundError(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", guarded)
    importlib.reload(render)  # on import, nothing is read
    monkeypatch.setattr(Path, "read_text", original)
    monkeypatch.setattr(render, "TEMPLATES_DIR", templates)
    render._template.cache_clear()
    with pytest.raises(CapnuocInputError) as info:
        render._template("capnuoc.md.j2")
    assert info.value.has("render.template_missing")


@pytest.mark.slow  # the whole evaluate command: a projection run, the evaluation and its tables
def test_evaluate_tables_only_needs_no_template(templates, tmp_path):
    for path in templates.iterdir():
        path.unlink()
    with few_sensitivity_draws(tmp_path / "cache"):
        outcome = invoke(["evaluate", "--actuals", REPO / "data/examples/thuc_hien_2026_minh_hoa", "--to", "none",
                          "--draws", "100", "--out", tmp_path / "danh_gia"])
    assert outcome.exit_code == 0 and not outcome.traceback, outcome.output
    assert (tmp_path / "danh_gia" / "bang_danh_gia" / "chi_tieu.csv").is_file()


@pytest.mark.slow
def test_a_failing_notebook_exits_2_with_its_cell(tmp_path, monkeypatch):
    def fails(source, target, parameters, kernel=None):
        raise report.ReportError(report.text("report.cell_failed", notebook="notebooks/05_du_bao.ipynb", cell=7,
                                             detail="'system_id'", executed=str(target)))

    monkeypatch.setattr(report, "execute_notebook", fails)
    outcome = run_report(monkeypatch, QUARTO, "--out", str(tmp_path / "bao_cao"), "--seed", "7")
    assert outcome.exit_code == 2 and not outcome.traceback, outcome.output
    assert "ô lệnh số 7 bị lỗi khi chạy" in outcome.output and "giữ nguyên" in outcome.output


@pytest.mark.slow
@pytest.mark.integration
def test_papermill_failure_is_reported_without_exception_names(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    source = tmp_path / "hong.ipynb"
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("raise KeyError('system_id')")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, source)
    with pytest.raises(report.ReportError) as info:
        report.execute_notebook(source, tmp_path / "da_chay.ipynb", {})
    message = str(info.value)
    assert "ô lệnh số 2 bị lỗi" in message and "da_chay.ipynb" in message and "system_id" in message
    assert "KeyError" not in message and "Error" not in message


def test_reproduce_on_an_empty_manifest(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text("{}", encoding="utf-8")
    outcome = invoke(["reproduce", path])
    assert rejected_properly(outcome), outcome.output
    for key in ("command", "arguments", "outputs"):
        assert f"manifest.json:{key}: thiếu khóa '{key}'" in outcome.output


@pytest.mark.parametrize("text, fragment", [
    ("[]", "không phải là một manifest"),
    ('{"command": "rm", "arguments": {"data": "data"}, "outputs": []}', "không chạy lại được lệnh 'rm'"),
    ('{"command": "project", "arguments": {"data": "data", "draws": 1e20}, "outputs": []}', "arguments.draws"),
    ('{"command": "project", "arguments": {"data": "data", "seed": -1}, "outputs": []}', "arguments.seed"),
    ('{"command": "baseline", "arguments": {"data": 5}, "outputs": []}', "arguments.data"),
    ('{"command": "baseline", "arguments": {"data": "data"}, "outputs": "all"}', "outputs"),
    ("[" * 5000 + "]" * 5000, "lồng quá nhiều cấp"),
    ('{"command": ', "không phải JSON hợp lệ"),
])
def test_reproduce_on_broken_manifests(tmp_path, text, fragment):
    path = tmp_path / "manifest.json"
    path.write_text(text, encoding="utf-8")
    outcome = invoke(["reproduce", path])
    assert rejected_properly(outcome) and fragment in outcome.output, outcome.output


@pytest.mark.parametrize("text", [
    "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 2000)) + "  " * 2000 + "x: 1\n",
    pytest.param("name: x\ndescription: y\noverrides: " + "[" * 2000 + "]" * 2000 + "\n",
                 marks=pytest.mark.slow),  # PyYAML's scanner takes seconds over 2000 open brackets
    "name: x\ndescription: y\noverrides: " + "{a: " * 2000 + "1" + "}" * 2000 + "\n",
])
def test_scenario_nested_2000_deep(tmp_path, text):
    path = tmp_path / "sau.yaml"
    path.write_text(text, encoding="utf-8")
    outcome = invoke(["check", "--scenario", path, "--draws", "100"])
    assert rejected_properly(outcome), outcome.output
    assert "lồng quá" in outcome.output or "cấu trúc" in outcome.output or "YAML" in outcome.output


def test_compare_reports_every_bad_scenario(tmp_path):
    first, second = tmp_path / "mot.yaml", tmp_path / "hai.yaml"
    first.write_text("name: mot\ndescription: x\noverrides:\n  uptake:\n    final_shar: 0.9\n", encoding="utf-8")
    second.write_text("name: hai\ndescription: y\noverrides:\n  demand:\n    max_coverage_pct: abc\n", encoding="utf-8")
    outcome = invoke(["compare", first, REPO / "analysis/scenarios/baseline.yaml", second, "--draws", "100"])
    assert rejected_properly(outcome), outcome.output
    assert "mot.yaml:5:uptake.final_shar" in outcome.output and "hai.yaml:5:demand.max_coverage_pct" in outcome.output
    assert "2 tệp kịch bản" in outcome.output


@pytest.mark.parametrize("args", [["baseline", "--out"], ["template", "--out"]])
def test_an_output_path_that_cannot_be_written(tmp_path, args):
    blocker = tmp_path / "la_tep"
    blocker.write_text("một tệp, không phải thư mục", encoding="utf-8")
    target = blocker / ("ket_qua.xlsx" if args[0] == "template" else "ket_qua")
    outcome = invoke([*args, target])
    assert outcome.exit_code == 2 and not outcome.traceback, outcome.output
    assert outcome.output.startswith("Không ghi được vào") and "--out" in outcome.output
