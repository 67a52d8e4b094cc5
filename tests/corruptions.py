"""Test tools: ``validate`` is the contract. Corrupt a data package, scenario or manifest, then check every command on it.

A corruption is a small list of operations (drop, rename, swap or duplicate a column;
header-only or empty file; shuffled or duplicated rows; huge and non-finite numbers;
dangling ids; ...). :func:`check_package` runs ``capnuoc validate`` on the corrupted
package, in-process through typer's test runner; when it accepts the package, every
command runs on it (baseline, check, project, compare, report's tables and texts,
template, evaluate), and none may end with a traceback. The property tests
(``tests/test_robustness_contract.py``) draw corruptions with hypothesis;
``benchmarks/bench_contract.py`` draws many more and prints the counts.
"""

from __future__ import annotations

import csv
import io as stdio
import json
import random
import re
import shutil
import traceback
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from capnuoc_model.data.schema import TABLES, TABLES_BY_NAME

PACKAGE_OPERATIONS = ("drop_column", "rename_column", "swap_columns", "duplicate_column", "header_only", "empty_file",
                      "shuffle_rows", "duplicate_row", "huge_number", "non_finite", "dangling_id", "rename_id", "blank_cell",
                      "drop_row", "unknown_column")
HUGE = ("1E+20", "1e308", "-1e30", "99999999999999999999", "1e400", "123456789012345678")
NON_FINITE = ("nan", "inf", "-inf", "NaN", "Infinity")
# columns that hold ids of another table, and the tables whose ids they are
ID_COLUMNS = {"area_id", "system_id", "operator_id", "project_id", "group_id", "orientation_group", "scope", "area_ids",
              "system_ids", "target_id", "source_id", "method_id", "task_id"}
LOCATED = re.compile(r"^.+?(:\d+)?(:[^:]+)?: .+ \(cần: .+\)$")


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _numeric_columns(table: str, header: list[str]) -> list[int]:
    kinds = {f.name: f.kind for f in TABLES_BY_NAME[table].columns()}
    return [i for i, name in enumerate(header) if kinds.get(name) in ("int", "float")]


PLAN_TABLE = "plan"  # the plan file, data/plan.yaml, corrupted by the same operation names


def corrupt_plan(folder: Path, operation: str, seed: int) -> str:
    """Corrupt ``folder/plan.yaml`` in place, each operation read for a mapping of keys: drop or rename a key,
    swap two keys' values, empty the file, a huge or non-finite year, a dangling source or example, ..."""
    import yaml

    rng = random.Random(seed)
    path = folder / "plan.yaml"
    if operation == "empty_file":
        path.write_bytes(b"")
        return "plan.yaml: empty file"
    plan = yaml.safe_load(path.read_text(encoding="utf-8"))
    keys = sorted(plan)
    key = rng.choice(keys)
    if operation in ("drop_column", "drop_row"):
        plan.pop(key)
        done = f"plan.yaml: drop {key}"
    elif operation in ("rename_column", "unknown_column"):
        plan[key + "_x" if operation == "rename_column" else "ghi_chu_them"] = plan.pop(key) if operation == "rename_column" else "x"
        done = f"plan.yaml: {operation} {key}"
    elif operation == "swap_columns":
        other = rng.choice(keys)
        plan[key], plan[other] = plan[other], plan[key]
        done = f"plan.yaml: swap {key} and {other}"
    elif operation == "header_only":
        plan = {}
        done = "plan.yaml: empty mapping"
    elif operation in ("huge_number", "non_finite"):
        year = rng.choice(("base", "plan", "horizon"))
        value = rng.choice(HUGE if operation == "huge_number" else NON_FINITE)
        plan["years"][year] = yaml.safe_load(value) if value[0].isdigit() or value[0] == "-" else value
        done = f"plan.yaml: years.{year} = {value}"
    elif operation in ("dangling_id", "rename_id"):
        field_ = rng.choice(("source", "evaluation_example", "sections"))
        plan[field_] = {"targets": "khong_co"} if field_ == "sections" else "khong_co"
        done = f"plan.yaml: {field_} dangling"
    elif operation == "blank_cell":
        plan[key] = None
        done = f"plan.yaml: blank {key}"
    elif operation == "duplicate_row":
        path.write_text(path.read_text(encoding="utf-8") + f"\n{key}: {json.dumps(plan[key], ensure_ascii=False)}\n", encoding="utf-8")
        return f"plan.yaml: duplicate key {key}"
    else:  # shuffle_rows, duplicate_column: key order and repeats do not change a mapping
        plan = dict(rng.sample(list(plan.items()), len(plan)))
        done = f"plan.yaml: {operation} (keys reordered)"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return done


def apply_operation(folder: Path, operation: str, table: str, seed: int) -> str:
    """Corrupt ``folder/<table>.csv`` (or ``plan.yaml`` for :data:`PLAN_TABLE`) in place; returns what was done."""
    if table == PLAN_TABLE:
        return corrupt_plan(folder, operation, seed)
    rng = random.Random(seed)
    path = folder / f"{table}.csv"
    if not path.exists():
        return f"{operation} {table}: file already gone"
    if operation == "empty_file":
        path.write_bytes(b"")
        return f"{table}: empty file"
    rows = read_rows(path)
    if not rows:
        return f"{operation} {table}: nothing to corrupt"
    header, data = rows[0], rows[1:]
    width = len(header)
    pick_column = lambda: rng.randrange(width)  # noqa: E731
    pick_row = lambda: rng.randrange(len(data)) if data else None  # noqa: E731
    done = operation
    if operation == "drop_column":
        j = pick_column()
        rows = [r[:j] + r[j + 1:] for r in rows]
        done = f"{table}: drop column {header[j]}"
    elif operation == "rename_column":
        j = pick_column()
        new = rng.choice([header[j].upper(), header[j] + "x", header[j].replace("_", " "), "cột mới", header[j][:-1]])
        rows[0] = header[:j] + [new] + header[j + 1:]
        done = f"{table}: rename column {header[j]} -> {new}"
    elif operation == "swap_columns" and width > 1:
        i, j = rng.sample(range(width), 2)
        header = list(header)
        header[i], header[j] = header[j], header[i]
        rows[0] = header
        done = f"{table}: swap headers {header[j]} and {header[i]}"
    elif operation == "duplicate_column":
        j = pick_column()
        rows = [r + [r[j] if j < len(r) else ""] for r in rows]
        done = f"{table}: duplicate column {header[j]}"
    elif operation == "header_only":
        rows = rows[:1]
        done = f"{table}: header only"
    elif operation == "shuffle_rows":
        rng.shuffle(data)
        rows = [header] + data
        done = f"{table}: shuffle rows"
    elif operation in ("duplicate_row", "drop_row") and data:
        i = pick_row()
        data = data[:i + 1] + [list(data[i])] + data[i + 1:] if operation == "duplicate_row" else data[:i] + data[i + 1:]
        rows = [header] + data
        done = f"{table}: {operation.replace('_', ' ')} {i + 2}"
    elif operation in ("huge_number", "non_finite") and data:
        numeric = _numeric_columns(table, header) or [pick_column()]
        j, i = rng.choice(numeric), pick_row()
        value = rng.choice(HUGE if operation == "huge_number" else NON_FINITE)
        if j < len(data[i]):
            data[i][j] = value
        done = f"{table}: {header[j]} row {i + 2} = {value}"
    elif operation == "dangling_id" and data:
        ids = [j for j, name in enumerate(header) if name in ID_COLUMNS] or [0]
        j, i = rng.choice(ids), pick_row()
        if j < len(data[i]):
            data[i][j] = rng.choice(["khong_co", data[i][j] + "_x", "", "HOA AN", data[i][j] + ";ghost"])
        done = f"{table}: {header[j]} row {i + 2} = {data[i][j] if j < len(data[i]) else ''}"
    elif operation == "rename_id" and data:
        key = TABLES_BY_NAME[table].key[0]
        if key in header:
            j, i = header.index(key), pick_row()
            old = data[i][j]
            data[i][j] = old + "_moi"
            done = f"{table}: rename {key} {old} -> {old}_moi"
    elif operation == "blank_cell" and data:
        j, i = pick_column(), pick_row()
        if j < len(data[i]):
            data[i][j] = ""
        done = f"{table}: blank {header[j]} row {i + 2}"
    elif operation == "unknown_column":
        rows = [header + ["ghi_chu_them"]] + [r + ["x"] for r in data]
        done = f"{table}: unknown column"
    write_rows(path, rows)
    return done


# ---------------------------------------------------------------------------- running the commands


@dataclass
class Tally:
    """Corruptions tried, rejected by validate (or the input's own checks), run by every command, and tracebacks."""

    tried: int = 0
    rejected: int = 0
    ran: int = 0
    tracebacks: int = 0
    examples: list[str] = field(default_factory=list)  # the tracebacks, for the report

    def line(self, what: str) -> str:
        return f"{what}: {self.tried} tried, {self.rejected} rejected, {self.ran} ran every command, {self.tracebacks} tracebacks"

    def add(self, other: "Tally") -> None:
        self.tried += other.tried
        self.rejected += other.rejected
        self.ran += other.ran
        self.tracebacks += other.tracebacks
        self.examples += other.examples


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    output: str
    traceback: str | None


def invoke(args: list[str]) -> Outcome:
    """Run ``capnuoc ARGS`` in-process; a traceback is any exception that is not a clean exit."""
    from typer.testing import CliRunner

    from capnuoc_model.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    error = result.exception
    if error is not None and not isinstance(error, SystemExit):
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        return Outcome(result.exit_code, result.output, text)
    return Outcome(result.exit_code, result.output, None)


def rejected_properly(outcome: Outcome) -> bool:
    """Exit 2 and every message line located ('file:row:column: what (cần: ...)') or the closing summary."""
    if outcome.exit_code != 2 or outcome.traceback:
        return False
    lines = [line for line in outcome.output.splitlines() if line.strip()]
    return bool(lines) and all(LOCATED.match(line) or line.startswith(("Lỗi", "Cách dùng", "Xem hướng dẫn")) for line in lines)


def report_data(data: Path, scenario: Path, draws: int, cache: Path) -> None:
    """What the report's notebooks compute: the context, every table builder and every sentence of the plan."""
    import inspect

    from capnuoc_model.publish import narrative, report_tables
    from capnuoc_model.publish.report_inputs import load_report_inputs

    ctx = load_report_inputs(scenario, (), draws, 20260515, data, cache)
    for name, function in inspect.getmembers(report_tables, inspect.isfunction):
        if name.startswith("_") or function.__module__ != report_tables.__name__:
            continue
        parameters = list(inspect.signature(function).parameters.values())
        required = [p for p in parameters[1:] if p.default is inspect.Parameter.empty]
        if required and name == "systems_in_loss_group":
            function(ctx, True)
            function(ctx, False)
        elif required and name == "systems_projection":
            function(ctx, ctx.package.plan.plan_year)
        elif not required:
            function(ctx)
    for name in ("coverage_outlook", "loss_outlook", "coverage_requirement", "loss_requirement", "loss_measures", "loss_movers"):
        getattr(narrative, name)(ctx.run)
    narrative.baseline_summary(ctx.areas, ctx.systems, ctx.coverage_pct, ctx.loss_pct, ctx.package.plan.base_year)


def every_command(data: Path, work: Path, draws: int = 100) -> list[tuple[str, Outcome]]:
    """Every command on an accepted package (small draws; outputs and caches under ``work``)."""
    repo = Path(__file__).resolve().parent.parent  # tests/ sits in the repository root
    baseline, slip = repo / "analysis/scenarios/baseline.yaml", repo / "analysis/scenarios/projects_slip.yaml"
    example = repo / "data/examples/thuc_hien_2026_minh_hoa"
    d = str(draws)
    commands = [
        ["baseline", "--data", data, "--out", work / "baseline"],
        ["check", "--data", data, "--draws", d],
        ["project", "--data", data, "--draws", d, "--out", work / "project"],
        ["compare", baseline, slip, "--data", data, "--draws", d],
        ["template", "--data", data, "--out", work / "mau.xlsx"],
        ["evaluate", "--data", data, "--actuals", example, "--to", "none", "--draws", d, "--out", work / "evaluate"],
    ]
    with few_sensitivity_draws(work / "cache", draws):  # the run cache of this work folder, shared by evaluate and the report
        results = [(" ".join(str(a) for a in c[:1]), invoke(c)) for c in commands]
        results.append(_report_data_outcome(data, baseline, draws, work / "cache"))
    return results


@contextmanager
def few_sensitivity_draws(cache: Path, draws: int = 100):
    """Commands run in-process with ``draws`` draws per end of each assumption in the sensitivity table (instead of
    projection.SENSITIVITY_DRAWS), and ``evaluate`` keeps its projection run in ``cache``.

    The cache key of a run does not hold the sensitivity's draws: such a run must never reach the repository's
    output/.cache, where `capnuoc report` would take it for one with the full sensitivity.
    """
    from unittest import mock

    from capnuoc_model.model import projection
    from capnuoc_model.publish import eval_build

    build = eval_build.build_evaluation
    with mock.patch.object(projection, "SENSITIVITY_DRAWS", draws), \
            mock.patch.object(eval_build, "build_evaluation", lambda *a, **k: build(*a, **{**k, "cache_dir": cache})):
        yield


def _report_data_outcome(data: Path, scenario: Path, draws: int, cache: Path) -> tuple[str, Outcome]:
    try:
        report_data(data, scenario, draws, cache)
        return "report (tables and texts)", Outcome(0, "", None)
    except Exception as error:  # noqa: BLE001 - what we are counting
        from capnuoc_model.data.errors import CapnuocInputError

        if isinstance(error, CapnuocInputError):
            return "report (tables and texts)", Outcome(2, str(error), None)
        return "report (tables and texts)", Outcome(1, "", traceback.format_exc())


def allowed(command: str, outcome: Outcome) -> bool:
    """An accepted package: every command exits 0, except evaluate, whose example reports may not fit the package (exit 2)."""
    if outcome.traceback:
        return False
    if outcome.exit_code == 0:
        return True
    return command == "evaluate" and rejected_properly(outcome)


def _stopped_at_the_gate(outcome: Outcome, what: str, tally: Tally, problems: list[str]) -> bool:
    """The first command on a corrupted input: True when it stopped there (a traceback, or a rejection, proper or not)."""
    if outcome.traceback:
        tally.tracebacks += 1
        tally.examples.append(f"{what}:\n{outcome.traceback}")
        problems.append(f"traceback: {what}")
        return True
    if outcome.exit_code != 0:
        tally.rejected += 1
        if not rejected_properly(outcome):
            problems.append(f"rejected without located messages: {what}:\n{outcome.output[-2000:]}")
        return True
    return False


def check_package(source: Path, work: Path, operations: list[tuple[str, str, int]], draws: int = 100) -> tuple[Tally, list[str]]:
    """Corrupt a copy of ``source`` by ``operations`` (operation, table, seed), validate it, run everything if accepted."""
    tally = Tally(tried=1)
    data = work / "data"
    shutil.copytree(source, data)
    done = [apply_operation(data, op, table, seed) for op, table, seed in operations]
    problems: list[str] = []
    if _stopped_at_the_gate(invoke(["validate", "--data", data]), f"validate after {done}", tally, problems):
        return tally, problems
    results = every_command(data, work, draws)
    for command, result in results:
        if result.traceback:
            tally.tracebacks += 1
            tally.examples.append(f"{command} after {done}:\n{result.traceback}")
        if not allowed(command, result):
            problems.append(f"{command} failed after validate accepted {done} (exit {result.exit_code}):\n"
                            f"{(result.traceback or result.output)[-2500:]}")
    if not problems:
        tally.ran += 1
    return tally, problems


# ---------------------------------------------------------------------------- scenario files and manifests

SCENARIO_OPERATIONS = ("flip", "delete", "insert", "truncate", "shuffle", "deep", "decimal_comma", "huge", "non_finite",
                       "unknown_key", "null_value", "list_value", "wrong_type", "drop_name")


def corrupt_scenario(text: str, operation: str, seed: int) -> str:
    """A scenario file's text, corrupted one way."""
    rng = random.Random(seed)
    lines = text.splitlines()
    values = [i for i, line in enumerate(lines) if re.search(r"value: [-0-9.]+\s*$", line)]
    if operation == "deep":
        depth = rng.choice([60, 300, 2000])
        return text + "\n".join("  " * i + f"k{i}:" for i in range(depth)) + " 1\n" if rng.random() < 0.5 else \
            "name: x\ndescription: y\noverrides: " + "[" * depth + "]" * depth + "\n"
    if operation in ("decimal_comma", "huge", "non_finite", "null_value", "list_value", "wrong_type") and values:
        i = rng.choice(values)
        new = {"decimal_comma": lambda v: v.replace(".", ",") if "." in v else v + ",5", "huge": lambda v: rng.choice(HUGE),
               "non_finite": lambda v: rng.choice([".nan", ".inf", "-.inf", "nan"]), "null_value": lambda v: "null",
               "list_value": lambda v: "[1, 2]", "wrong_type": lambda v: rng.choice(["'mười'", "true", "{a: 1}"])}[operation]
        head, _, value = lines[i].rpartition("value: ")
        lines[i] = head + "value: " + new(value.strip())
        return "\n".join(lines) + "\n"
    if operation == "unknown_key":
        return text.replace("commissioning_month:", rng.choice(["comissioning_month:", "commissioning_months:"]), 1)
    if operation == "drop_name":
        return "\n".join(line for line in lines if not line.startswith(("name:", "description:"))) + "\n"
    data = text.encode("utf-8")
    if not data:
        return text
    position = rng.randrange(len(data))
    if operation == "flip":
        data = data[:position] + bytes([rng.randrange(256)]) + data[position + 1:]
    elif operation == "delete":
        data = data[:position] + data[position + rng.randrange(1, 40):]
    elif operation == "insert":
        data = data[:position] + rng.choice([b":", b"\t", b"- ", b"{", b"&a", b"*b", b"\x00", b"1e400", b"'"]) + data[position:]
    elif operation == "truncate":
        data = data[:position]
    else:
        chunks = data.split(b"\n")
        i, j = rng.randrange(len(chunks)), rng.randrange(len(chunks))
        chunks[i], chunks[j] = chunks[j], chunks[i]
        data = b"\n".join(chunks)
    return data.decode("utf-8", errors="replace")


MANIFEST_OPERATIONS = ("empty_object", "drop_key", "wrong_type", "bad_command", "huge_draws", "negative_seed", "not_object",
                       "deep", "bad_json", "missing_data", "outputs_outside", "extra_key")


def corrupt_manifest(manifest: dict, operation: str, seed: int) -> str:
    """A manifest's JSON text, corrupted one way."""
    rng = random.Random(seed)
    m = json.loads(json.dumps(manifest))
    if operation == "empty_object":
        return "{}"
    if operation == "not_object":
        return rng.choice(["[]", "1", "null", '"manifest"'])
    if operation == "deep":
        depth = rng.choice([100, 5000])
        return "[" * depth + "]" * depth
    if operation == "bad_json":
        text = json.dumps(m)
        return text[: rng.randrange(1, len(text))]
    if operation == "drop_key":
        key = rng.choice(["command", "arguments", "outputs", "inputs"])
        m.pop(key, None)
    elif operation == "wrong_type":
        key = rng.choice(["command", "arguments", "outputs", "inputs", "packages"])
        m[key] = rng.choice([1, None, "x", [1], {"a": 1}])
    elif operation == "bad_command":
        m["command"] = rng.choice(["rm", "", "report ", "BASELINE"])
    elif operation == "huge_draws":
        m.setdefault("arguments", {})["draws"] = rng.choice([10**20, 0, -5, "1000", 1.5])
    elif operation == "negative_seed":
        m.setdefault("arguments", {})["seed"] = rng.choice([-1, 2**70, "x"])
    elif operation == "missing_data":
        m.setdefault("arguments", {})["data"] = rng.choice(["/khong/co", "", 5])
    elif operation == "outputs_outside":
        m["outputs"] = rng.choice([["../../etc/passwd.csv"], ["/tmp/x.csv"], [1, 2]])
    elif operation == "extra_key":
        m["ghi_chu"] = {"a": [1, 2, {"b": None}]}
    return json.dumps(m)


def check_scenario_file(source: Path, operation: str, seed: int, work: Path, draws: int = 100) -> tuple[Tally, list[str]]:
    """Corrupt a scenario file (beside copies of the others, for 'extends'); check rejects it, or check and compare run."""
    tally, problems = Tally(tried=1), []
    folder = work / "scenarios"
    shutil.copytree(source.parent, folder)
    target = folder / source.name
    target.write_text(corrupt_scenario(source.read_text(encoding="utf-8"), operation, seed), encoding="utf-8")
    what = f"{source.name} {operation} {seed}"
    if _stopped_at_the_gate(invoke(["check", "--scenario", target, "--draws", draws]), f"check on {what}", tally, problems):
        return tally, problems
    for command in (["compare", target, folder / "baseline.yaml", "--draws", draws],):
        result = invoke(command)
        if result.traceback or result.exit_code != 0:
            tally.tracebacks += bool(result.traceback)
            tally.examples += [f"{command[0]} on {what}:\n{result.traceback}"] if result.traceback else []
            problems.append(f"{command[0]} failed on {what} that check accepted:\n{(result.traceback or result.output)[-2000:]}")
    tally.ran += not problems
    return tally, problems


def publish_baseline(folder: Path) -> Path:
    """A published output folder to corrupt the manifest of (capnuoc baseline --out)."""
    outcome = invoke(["baseline", "--out", folder])
    assert outcome.exit_code == 0 and not outcome.traceback, outcome.output
    return folder


def check_manifest(published: Path, operation: str, seed: int) -> tuple[Tally, list[str]]:
    """reproduce on a corrupted copy of a manifest: exit 0/1 (it ran and compared) or 2 with located messages."""
    tally, problems = Tally(tried=1), []
    manifest = json.loads((published / "manifest.json").read_text(encoding="utf-8"))
    target = published / f"manifest-{operation}-{seed}.json"
    target.write_text(corrupt_manifest(manifest, operation, seed), encoding="utf-8")
    outcome = invoke(["reproduce", target])
    target.unlink()
    what = f"manifest {operation} {seed}"
    if outcome.traceback:
        tally.tracebacks += 1
        tally.examples.append(f"reproduce on {what}:\n{outcome.traceback}")
        return tally, [f"reproduce traceback on {what}"]
    if outcome.exit_code == 2:
        tally.rejected += 1
        if not rejected_properly(outcome):
            problems.append(f"reproduce rejected {what} without located messages:\n{outcome.output[-2000:]}")
    elif outcome.exit_code in (0, 1):
        tally.ran += 1
    else:
        problems.append(f"reproduce on {what} ended with exit code {outcome.exit_code}:\n{outcome.output[-2000:]}")
    return tally, problems


__all__ = ["apply_operation", "check_package", "corrupt_scenario", "corrupt_manifest", "invoke", "rejected_properly", "Tally",
           "PACKAGE_OPERATIONS", "PLAN_TABLE", "SCENARIO_OPERATIONS", "MANIFEST_OPERATIONS", "every_command", "check_scenario_file",
           "check_manifest", "publish_baseline", "few_sensitivity_draws"]
