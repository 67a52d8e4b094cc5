"""Quarto's notebook filter (notebooks/_metadata.yml: ipynb-filters): source on stdin, executed copy on stdout."""
from _run import run

run("ipynb-filter")
