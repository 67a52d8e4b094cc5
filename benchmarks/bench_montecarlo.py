"""Benchmark: 10 000 Monte Carlo draws × all areas and systems × 2025-2030.

Times the vectorised engine (one call, draws on the first axis) against the
same computation as a straightforward per-draw loop (one engine call per draw),
checks that both give the same numbers, and prints both times and their ratio.

    .venv/bin/python benchmarks/bench_montecarlo.py [--draws 10000] [--loop-draws N]

``--loop-draws`` times the loop on the first N draws only and scales the time
to all draws (the loop is linear in the draws); by default it runs them all.
Targets: vectorised ≤ 0,5 s on a 2-core machine, ≥ 100 × faster than the loop.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from capnuoc_model.model import engine, projection

from capnuoc_model.data import io
from capnuoc_model.model.scenario import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--loop-draws", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=5, help="vectorised timing: best of this many runs")
    args = parser.parse_args()

    package = io.load_package()
    s = projection.setup(package, load_scenario(io.REPO_ROOT / "analysis" / "scenarios" / "baseline.yaml"))
    samples, growth = projection.draws_for(s, args.draws, projection.DEFAULT_SEED)
    values = s.values

    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        vectorised = engine.run(s.inputs, engine.Params(values, args.draws, samples, reference=s.reference), growth)
        times.append(time.perf_counter() - started)
    vector_s = min(times)

    loop_n = min(args.loop_draws or args.draws, args.draws)
    coverage = np.empty((loop_n, len(vectorised.years)))
    loss = np.empty((loop_n, len(vectorised.years)))
    started = time.perf_counter()
    for i in range(loop_n):
        one = engine.run(s.inputs, engine.Params(values, 1, {k: v[i:i + 1] for k, v in samples.items()}, reference=s.reference), growth[i:i + 1])
        coverage[i] = one.province_coverage_pct[0]
        loss[i] = one.province_loss_pct[0]
    loop_s = (time.perf_counter() - started) * args.draws / loop_n

    same = np.allclose(coverage, vectorised.province_coverage_pct[:loop_n], rtol=1e-9) and np.allclose(
        loss, vectorised.province_loss_pct[:loop_n], rtol=1e-9)
    cells = args.draws * len(vectorised.years) * (len(s.inputs.area_ids) + len(s.inputs.system_ids))
    print(f"draws: {args.draws}; years: {vectorised.years[0]}-{vectorised.years[-1]}; "
          f"areas: {len(s.inputs.area_ids)}; systems: {len(s.inputs.system_ids)}; cells: {cells:,}")
    print(f"vectorised: {vector_s:.3f} s (best of {args.repeat})")
    scaled = "" if loop_n == args.draws else f" (timed on {loop_n} draws, scaled)"
    print(f"per-draw loop: {loop_s:.2f} s{scaled}")
    print(f"speed-up: {loop_s / vector_s:.0f} x")
    print(f"same results: {same}")
    print(f"targets: vectorised <= 0.5 s: {'met' if vector_s <= 0.5 else 'NOT met'}; "
          f">= 100 x: {'met' if loop_s / vector_s >= 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
