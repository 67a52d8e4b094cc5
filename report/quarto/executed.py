"""Quarto's notebook filter (notebooks/_metadata.yml: ipynb-filters): the executed copy of a chapter.

Reads the source notebook on stdin, writes the copy papermill executed on stdout; see
capnuoc_model/quarto.py (ipynb_filter).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
try:
    from capnuoc_model.quarto import main
except ImportError as error:
    sys.exit(f"capnuoc: {error}. Đặt QUARTO_PYTHON=.venv/bin/python (Python của dự án, sau `make install`) rồi chạy lại quarto render.")
sys.exit(main(["ipynb-filter"]))
