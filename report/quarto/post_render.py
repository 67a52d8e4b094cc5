"""Quarto's post-render script (_quarto.yml: project.post-render): HTML pages without CDN scripts.

See capnuoc_model/quarto.py (post_render).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
try:
    from capnuoc_model.quarto import main
except ImportError as error:
    sys.exit(f"capnuoc: {error}. Đặt QUARTO_PYTHON=.venv/bin/python (Python của dự án, sau `make install`) rồi chạy lại quarto render.")
sys.exit(main(["post-render"]))
