"""Quarto's pre-render script (_quarto.yml: project.pre-render): papermill executes the chapters.

Quarto runs it with QUARTO_PYTHON, which must be the project's .venv/bin/python; see
capnuoc_model/quarto.py (pre_render).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
try:
    from capnuoc_model.quarto import main
except ImportError as error:
    sys.exit(f"capnuoc: {error}. Đặt QUARTO_PYTHON=.venv/bin/python (Python của dự án, sau `make install`) rồi chạy lại quarto render.")
sys.exit(main(["pre-render"]))
