"""Quarto's post-render script (_quarto.yml: project.post-render): HTML pages without CDN scripts."""
from _run import run

run("post-render")
