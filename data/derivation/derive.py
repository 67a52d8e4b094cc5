"""Rewrite the estimated columns of the data package from data/derivation/priors.csv.

Run from the repository root:  .venv/bin/python data/derivation/derive.py [DATA_DIR]
The methods are documented in data/methods.csv and data/README.md; the code is
capnuoc_model/model/derivation.py (no province in it: the years come from plan.yaml,
the published aggregates from targets_province.csv, every judgement from
priors.csv). tests/test_derivation.py checks that the shipped CSV files equal
what this script writes.
"""

import sys
from pathlib import Path

from capnuoc_model.data import io
from capnuoc_model.model.derivation import DERIVED_INPUTS, derive_all, plan_years

DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    tables = io.read_loose_tables(DATA, list(DERIVED_INPUTS))
    for name, frame in derive_all(tables, io.read_priors(DATA), plan_years(DATA)).items():
        io.write_csv(frame, DATA / f"{name}.csv")
        print(f"wrote {DATA / name}.csv")
