"""The command line speaks Vietnamese: every --help, usage error, -h, --version and case-insensitive values."""

from __future__ import annotations

import re

import pytest
import typer

from capnuoc_model.cli import app

from .conftest import REPO, some_cases_fast
from .corruptions import invoke

COMMANDS = sorted(typer.main.get_command(app).commands)
# English words of click's and typer's interface, and raw type names, none of which a user should read
ENGLISH = re.compile(r"\b(Usage|Options?|Arguments?|Commands?|Show this message|Missing|No such|default|required|Error|"
                     r"Try|for help|Invalid value|Got unexpected|Did you mean|Possible options|Aborted|"
                     r"INTEGER|TEXT|PATH|BOOLEAN|FLOAT|RANGE|list\[str\]|int range|<path>|<int>|<bool>|<str>|"
                     r"is not|expected|unknown|not found|problem\(s\))\b")


def english(text: str) -> list[str]:
    return sorted(set(ENGLISH.findall(text)))


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_is_vietnamese(command, flag):
    outcome = invoke([command, flag] if command else [flag])
    assert outcome.exit_code == 0 and not outcome.traceback, outcome.output
    assert outcome.output.startswith(f"Cách dùng: capnuoc{' ' + command if command else ''} [TÙY_CHỌN]")
    assert "Tùy chọn" in outcome.output and "Hiện hướng dẫn này rồi thoát." in outcome.output
    assert not english(outcome.output), english(outcome.output)


def test_defaults_are_shown_in_full():
    outcome = invoke(["evaluate", "-h"])
    flat = " ".join(outcome.output.split())
    # defaults that depend on the data package (its scenario, its plan year) are said in words
    for default in ("mặc định: kịch bản cơ sở analysis/scenarios/baseline.yaml cạnh thư mục dữ liệu", "[mặc định: data]",
                    "[mặc định: 10000]", "[mặc định: 20260515]", "[mặc định: html,pdf,docx]",
                    "mặc định: năm kế hoạch trong plan.yaml của gói dữ liệu"):
        assert default in flat.replace("│ ", "").replace(" │", ""), (default, outcome.output)
    assert "[bắt buộc]" in flat.replace("│ ", "").replace(" │", ""), outcome.output  # the tag may wrap inside the help box


USAGE_ERRORS = [
    (["check", "--draws", "5"], "giá trị «5» không hợp lệ cho «--draws»: cần một số ≥ 100"),
    (["check", "--draws", "abc"], "giá trị «abc» không hợp lệ cho «--draws»: cần một số nguyên"),
    (["check", "--draws", "2000000"], "cần một số ≤ 1.000.000"),
    (["check", "--seed", "-1"], "giá trị «-1» không hợp lệ cho «--seed»: cần một số ≥ 0"),
    (["check", "--draws"], "tùy chọn «--draws» cần một giá trị ngay sau nó"),
    (["check", "--nope"], "không có tùy chọn «--nope»"),
    (["check", "--draw", "300"], "có phải là --draws"),
    (["baseline", "--json=1"], "tùy chọn «--json» không nhận giá trị"),
    (["evaluate"], "thiếu tùy chọn bắt buộc «--actuals»"),
    (["template"], "thiếu tùy chọn bắt buộc «--out»"),
    (["compare"], "thiếu tham số «KỊCH_BẢN»"),
    (["reproduce"], "thiếu tham số «MANIFEST»"),
    (["validate", "thua"], "thừa tham số: thua"),
    (["chek"], "không có lệnh «chek»"),
    (["evaluate", "--actuals", "x", "--year", "1899"], "cần một số ≥ 1.990"),
    (["report", "--to", "pptx"], "Định dạng không hợp lệ: pptx"),
    (["report", "tai_lieu"], "Tài liệu không hợp lệ: 'tai_lieu'"),
]


@pytest.mark.parametrize("args, fragment", USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_usage_errors_are_vietnamese(args, fragment):
    outcome = invoke(args)
    assert outcome.exit_code == 2 and not outcome.traceback, outcome.output
    assert fragment in outcome.output
    assert not english(outcome.output), english(outcome.output)


def test_no_arguments_shows_the_help():
    outcome = invoke([])
    assert outcome.output.startswith("Cách dùng: capnuoc") and "Lệnh" in outcome.output and not english(outcome.output)


def test_version():
    import capnuoc_model

    outcome = invoke(["--version"])
    assert outcome.exit_code == 0 and outcome.output.strip() == f"capnuoc phiên bản {capnuoc_model.__version__}"


@pytest.mark.parametrize("args", some_cases_fast([
    ["evaluate", "--actuals", "khong_co", "--to", "NONE"],
    ["evaluate", "--actuals", "khong_co", "--to", "HTML,Pdf"],
    ["EVALUATE", "--actuals", "khong_co", "--to", "none"],
], 2))
def test_option_values_and_command_names_are_case_insensitive(args):
    """The format passes (the error is then about the missing reports, not about the format)."""
    outcome = invoke(args)
    assert outcome.exit_code == 2 and "Định dạng không hợp lệ" not in outcome.output
    assert "khong_co: không tìm thấy" in outcome.output, outcome.output


def test_report_document_is_case_insensitive(monkeypatch):
    from capnuoc_model.publish import report

    called = []
    monkeypatch.setattr(report, "build_report", lambda *a, **k: called.append(k) or (_ for _ in ()).throw(
        report.ReportError("dừng ở đây")))
    outcome = invoke(["report", "PLAN", "--to", "HTML"])
    assert called and called[0]["formats"] == ("html",) and outcome.exit_code == 2


def test_data_and_scenario_messages_are_vietnamese(data_copy, tmp_path):
    """A broken package, scenario and --set: located messages, no English words, no exception names."""
    from .conftest import edit_cell

    edit_cell(data_copy / "systems.csv", "system_id", "tan_an", "production_m3_per_day", "nhiều")
    outcome = invoke(["validate", "--data", data_copy])
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\ndescription: d\noverrides:\n  uptake:\n    final_share: 0,8\n", encoding="utf-8")
    outcome2 = invoke(["check", "--scenario", scenario, "--set", "uptake.midpoint_months=abc", "--set", "x"])
    for result in (outcome, outcome2):
        assert result.exit_code == 2 and not english(result.output), (english(result.output), result.output)
        assert not re.search(r"\b[A-Z][a-zA-Z]+(Error|Exception)\b", result.output)
    assert "'0,8' không phải là số (cần: trong tệp YAML và sau --set dùng dấu chấm thập phân, ví dụ 0.8" in outcome2.output


def test_help_of_the_repository_readme_commands_exist():
    """The README's command list names only commands that exist."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\.venv/bin/capnuoc (\w+)", readme))
    assert named and named <= set(COMMANDS), named - set(COMMANDS)
