"""Rewrite the estimated columns of the data package from data/derivation/priors.csv.

Run from the repository root:  .venv/bin/python data/derivation/derive.py
The methods are documented in data/methods.csv and data/README.md; the code is
capnuoc_model/derivation.py. tests/test_derivation.py checks that the shipped
CSV files equal what this script writes.
"""

from pathlib import Path

from capnuoc_model import io
from capnuoc_model.derivation import derive_all, DERIVED_INPUTS

DATA = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    tables = io.read_loose_tables(DATA, list(DERIVED_INPUTS))
    for name, frame in derive_all(tables, io.read_priors(DATA)).items():
        io.write_csv(frame, DATA / f"{name}.csv")
        print(f"wrote {DATA / name}.csv")
