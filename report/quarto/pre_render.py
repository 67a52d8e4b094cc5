"""Quarto's pre-render script (_quarto.yml: project.pre-render): papermill executes the chapters."""
from _run import run

run("pre-render")
