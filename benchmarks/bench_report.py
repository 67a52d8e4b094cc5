"""Benchmark: the main job (what ``make report`` runs after install), cold and warm, with where the time goes.

    .venv/bin/python benchmarks/bench_report.py [--cold-runs 1] [--warm-runs 2] [--no-cold] [--no-formats]

Cold: ``output/`` is removed first (the documents, the tables and every cache the job keeps in
``output/.cache``: the projection run, the executed notebooks, the build folders). Warm: the same
again, nothing changed. It runs ``make report`` itself (on an installed checkout), noting when each command
make echoes starts (the data check and baseline run beside ``capnuoc report all``), the whole in wall time and
in CPU time too (user + system of every process it starts: capnuoc, kernels, pandoc, typst), because the
machine may be shared and wall times are noisy.

The breakdown of the cold run:

* each command's own timing lines (``capnuoc report`` prints its steps: reading, the model run,
  the notebooks, rendering), as printed;
* per notebook: papermill's wall time, the part spent in cells, and the rest (starting the kernel for the first
  chapter a kernel runs, resetting it for the others, papermill's own work); the first code cell after the
  parameters is the imports (in a kernel's first chapter) plus loading the shared run;
* the model run alone (one full projection run in this process, as the report computes it);
* rendering per format: each document rendered again from the executed chapters, one format at a
  time, into a temporary folder.

Targets (issue 15): ≤ 30 s cold and ≤ 3 s warm on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "output"
CACHE = OUTPUT / ".cache"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_job(label: str) -> tuple[float, float, list[tuple[str, float, list[str]]]]:
    """``make report``, its output read line by line: (wall, cpu, [(command make echoed, when it started, the output after it)]).

    make runs the data check and baseline beside ``capnuoc report all``: a command's output is what was printed after it
    was echoed, and the baseline's messages come last (make shows them once both are done)."""
    cpu0, wall0 = children_cpu(), time.perf_counter()
    process = subprocess.Popen(["make", "--no-print-directory", "report"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=dict(os.environ, COLUMNS="200"))
    rows: list[tuple[str, float, list[str]]] = []
    for line in process.stdout:
        line = re.sub(r"^[A-Z_]+= ", "", line)  # an environment setting before the command (PYTHONDONTWRITEBYTECODE=)
        if line.startswith(str(Path(".venv") / "bin")) or line.startswith(".venv/bin/"):  # make echoes each command
            rows.append((line.strip().replace(".venv/bin/", ""), time.perf_counter() - wall0, []))
        elif rows:
            rows[-1][2].append(line.rstrip())
    code = process.wait()
    wall, cpu = time.perf_counter() - wall0, children_cpu() - cpu0
    if code != 0:
        sys.exit(f"{label}: make report failed ({code}):\n" + "\n".join(l for r in rows for l in r[2]))
    return wall, cpu, rows


def print_job(label: str, wall: float, cpu: float, rows, steps: bool) -> None:
    print(f"\n{label}: {wall:6.1f} s wall, {cpu:6.1f} s CPU (make report, every process it started)")
    for command, start, output in rows:
        print(f"  from {start:5.1f} s  {command}")
        if steps:  # the command's own timing lines ("  1,2 giây — step")
            for line in output:
                if "giây" in line and ("—" in line or "Đã ghi" in line):
                    print(f"      {line.strip()}")
    if not rows:
        print("  (nothing to do: make found every target up to date)")


def notebook_breakdown() -> None:
    """Per executed notebook of this run: papermill's wall time, time in cells, the rest, the first cell."""
    executed = sorted((CACHE / "executed").glob("*.ipynb"), key=lambda p: p.stat().st_mtime)
    if not executed:
        return
    print("\nnotebooks (papermill; 'kernel' = wall − cells: a kernel's start (its first chapter) or its reset, papermill's own work)")
    print(f"  {'notebook':32} {'wall':>6} {'cells':>6} {'kernel':>6} {'1st cell':>8}")
    totals = [0.0, 0.0, 0.0, 0.0]
    for path in executed:
        nb = json.loads(path.read_text(encoding="utf-8"))
        meta = nb.get("metadata", {}).get("papermill", {})
        wall = meta.get("duration")
        if wall is None:  # a text-only chapter: copied, not executed
            continue
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        cells = sum(c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0 for c in code)
        body = [c for c in code if "parameters" not in c.get("metadata", {}).get("tags", [])
                and "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
        first = (body[0].get("metadata", {}).get("papermill", {}).get("duration") or 0.0) if body else 0.0
        name = re.sub(r"-[0-9a-f]{24}$", "", path.stem)
        print(f"  {name:32} {wall:6.1f} {cells:6.1f} {wall - cells:6.1f} {first:8.1f}")
        for i, value in enumerate((wall, cells, wall - cells, first)):
            totals[i] += value
    print(f"  {'sum (they run in parallel)':32} {totals[0]:6.1f} {totals[1]:6.1f} {totals[2]:6.1f} {totals[3]:8.1f}")


def model_and_formats(formats: bool) -> None:
    """The model run alone, and each document rendered again one format at a time (from the executed chapters)."""
    sys.path.insert(0, str(REPO))
    os.chdir(REPO)
    from capnuoc_model.publish import eval_build
    from capnuoc_model.data import io
    from capnuoc_model.publish import report
    from capnuoc_model.model import projection_run as runs
    from capnuoc_model.publish.report_inputs import BASELINE_SCENARIO
    from capnuoc_model.model.scenario import load_scenario

    package = io.load_package(io.resolve("data"))
    scenario = load_scenario(io.resolve(BASELINE_SCENARIO))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    runs.full_run(package, scenario)
    print(f"\nmodel run (full_run, default draws, this process): {time.perf_counter() - wall0:5.1f} s wall, "
          f"{time.process_time() - cpu0:5.1f} s CPU")
    if not formats:
        return
    print("rendering one format at a time (offline renderer, from the cached executed chapters)")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("html", "pdf", "docx"):
            cpu0 = children_cpu() + time.process_time()
            plan = report.build_report(formats=(fmt,), out=Path(tmp) / f"plan-{fmt}", use_quarto=False, renderer="offline")
            evaluation = eval_build.build_evaluation(formats=(fmt,), out=Path(tmp) / f"eval-{fmt}", renderer="offline",
                                                     plan_manifest=report.output_folder(io.resolve(BASELINE_SCENARIO), []) / "manifest.json")
            cpu = children_cpu() + time.process_time() - cpu0
            print(f"  {fmt:5} plan {plan.timings.steps[-1][1]:5.1f} s, evaluation {evaluation.timings[-1][1]:5.1f} s wall "
                  f"(both, with their reads: {cpu:5.1f} s CPU)")


def machine_speed() -> float:
    """Seconds for a fixed pure-Python loop (20 million additions): the same job's times on a busier or slower
    machine (a shared virtual machine's CPU varies from hour to hour) compare through this figure."""
    started, total = time.perf_counter(), 0
    for i in range(20_000_000):
        total += i
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=1, help="cold runs, one after the other (each is reported, "
                                                                 "the breakdown is the last one's)")
    parser.add_argument("--warm-runs", type=int, default=2, help="unchanged reruns after the cold run (the best is reported)")
    parser.add_argument("--no-cold", action="store_true", help="do not remove output/ first (time the current state)")
    parser.add_argument("--no-formats", action="store_true", help="skip rendering each format on its own")
    args = parser.parse_args()

    print(f"{os.cpu_count()} cores; load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}; "
          f"machine speed: {machine_speed():.2f} s for the reference loop")
    colds = []
    for i in range(max(1, args.cold_runs)):
        if not args.no_cold:
            shutil.rmtree(OUTPUT, ignore_errors=True)
        colds.append(run_job("cold"))
        wall, cpu, rows = colds[-1]
        label = "cold" if not args.no_cold else "first run"
        print_job(label if len(colds) == 1 and args.cold_runs <= 1 else f"{label} {i + 1}", wall, cpu, rows, steps=True)
    if len(colds) > 1:
        walls = sorted(c[0] for c in colds)
        print(f"\ncold runs: {', '.join(f'{c[0]:.1f}' for c in colds)} s wall; median {walls[len(walls) // 2]:.1f} s, best {walls[0]:.1f} s")
        wall, cpu = walls[len(walls) // 2], sorted(c[1] for c in colds)[len(colds) // 2]
    notebook_breakdown()
    warm = [run_job("warm") for _ in range(args.warm_runs)]
    for i, (w, c, r) in enumerate(warm, 1):
        print_job(f"warm {i}", w, c, r, steps=i == 1)
    model_and_formats(not args.no_formats)
    best = min(warm, key=lambda x: x[0]) if warm else (float("nan"), float("nan"))
    print(f"\nsummary: cold {wall:.1f} s wall / {cpu:.1f} s CPU{' (medians)' if len(colds) > 1 else ''}; warm (best of {len(warm)}) "
          f"{best[0]:.1f} s wall / {best[1]:.1f} s CPU; targets: cold ≤ 30 s, warm ≤ 3 s (wall, 2 cores); "
          f"machine speed at the end: {machine_speed():.2f} s")


if __name__ == "__main__":
    main()
