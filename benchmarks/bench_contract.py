"""``validate`` as a contract: many generated corruptions, and the counts tried / rejected / ran / tracebacks.

Each corruption of the data package is one or two operations (tests/corruptions.py:
drop, rename, swap or duplicate a column, header-only or empty file, shuffled or
duplicated rows, huge and non-finite numbers, dangling ids, ...). ``capnuoc validate``
either rejects it (exit 2, located messages) or every command runs on it (baseline,
check, project, compare, template, evaluate, and the report's tables and texts).
Scenario files and ``reproduce`` manifests are corrupted the same way. A traceback
anywhere is counted and printed.

    .venv/bin/python benchmarks/bench_contract.py [--packages 60] [--scenarios 60] [--manifests 40] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import corruptions as c  # noqa: E402  (the same machinery as the property tests)


def tally_of(label: str, n: int, one: Callable[[Path], tuple[c.Tally, list[str]]]) -> c.Tally:
    """Run ``one(work folder)`` n times, each in a fresh temporary folder; print every problem found."""
    tally = c.Tally()
    for i in range(n):
        with tempfile.TemporaryDirectory(prefix="capnuoc-contract-") as work:
            found, problems = one(Path(work))
        tally.add(found)
        for problem in problems:
            print(f"[{label} {i}] {problem}", flush=True)
    return tally


def packages(n: int, rng: random.Random) -> c.Tally:
    tables = sorted(p.stem for p in (REPO / "data").glob("*.csv")) + [c.PLAN_TABLE]  # and the plan file

    def one(work: Path):
        operations = [(rng.choice(c.PACKAGE_OPERATIONS), rng.choice(tables), rng.randrange(2**31))
                      for _ in range(rng.choice((1, 1, 2)))]
        return c.check_package(REPO / "data", work, operations)

    return tally_of("package", n, one)


def scenarios(n: int, rng: random.Random) -> c.Tally:
    sources = sorted((REPO / "analysis" / "scenarios").glob("*.yaml"))
    return tally_of("scenario", n, lambda work: c.check_scenario_file(
        rng.choice(sources), rng.choice(c.SCENARIO_OPERATIONS), rng.randrange(2**31), work))


def manifests(n: int, rng: random.Random) -> c.Tally:
    with tempfile.TemporaryDirectory(prefix="capnuoc-contract-") as folder:
        published = c.publish_baseline(Path(folder) / "published")
        return tally_of("manifest", n, lambda work: c.check_manifest(
            published, rng.choice(c.MANIFEST_OPERATIONS), rng.randrange(2**31)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=60)
    parser.add_argument("--scenarios", type=int, default=60)
    parser.add_argument("--manifests", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    results = {"data package": packages(args.packages, rng), "scenario files": scenarios(args.scenarios, rng),
               "reproduce manifests": manifests(args.manifests, rng)}
    total = c.Tally()
    for what, tally in results.items():
        total.add(tally)
        print(tally.line(what))
    print(total.line("all corruptions") + f" ({time.perf_counter() - started:.0f} s)")
    for example in total.examples:
        print("\n" + example)
    sys.exit(1 if total.tracebacks else 0)


if __name__ == "__main__":
    main()
