"""What the three scripts beside this file share: import capnuoc from this clone and run one step.

Quarto runs the scripts with QUARTO_PYTHON (https://quarto.org/docs/advanced/environment-vars.html),
which must be the project's .venv/bin/python; the steps are in capnuoc_model/publish/quarto_scripts.py.
"""
import sys
from pathlib import Path


def run(step: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    try:
        from capnuoc_model.publish.quarto_scripts import main
    except ImportError as error:
        sys.exit(f"capnuoc: {error}. Đặt QUARTO_PYTHON=.venv/bin/python (Python của dự án, sau `make install`) "
                 "rồi chạy lại quarto render.")
    sys.exit(main([step]))
