"""A test double for the `quarto` executable: it tests capnuoc's orchestration, not Quarto.

`install(folder)` writes an executable `quarto` into ``folder`` (the test puts it first on PATH).
When run, it appends one JSON line to ``$FAKE_QUARTO_LOG``: its arguments, working directory,
QUARTO_PROFILE and QUARTO_PYTHON, the _quarto.yml it found and, for each chapter, whether the
notebook has outputs, stream outputs or an injected-parameters cell. Then, like a book render, it
creates ``.quarto/`` and writes ``index.html`` (with the CDN tags Quarto adds), ``<output-file>.pdf``
and ``<output-file>.docx`` into the output-dir for the formats of _quarto.yml; or, when
``$FAKE_QUARTO_FAIL`` is set, prints that message on stderr and exits with 1.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

SCRIPT = r'''#!{python}
import json, os, sys
from pathlib import Path

import yaml

cwd = Path.cwd()
config = yaml.safe_load((cwd / "_quarto.yml").read_text(encoding="utf-8")) if (cwd / "_quarto.yml").is_file() else None


def chapters(entries):
    for entry in entries or []:
        if isinstance(entry, dict):
            yield from chapters(entry.get("chapters"))
        else:
            yield entry


seen = {{}}
for chapter in chapters(((config or {{}}).get("book") or {{}}).get("chapters")):
    path = cwd / chapter
    if not path.is_file():
        seen[chapter] = None
        continue
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    outputs = [o for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])]
    seen[chapter] = {{
        "code_cells": sum(c["cell_type"] == "code" for c in cells),
        "outputs": len(outputs),
        "streams": sum(o.get("output_type") == "stream" for o in outputs),
        "injected": any("injected-parameters" in c.get("metadata", {{}}).get("tags", []) for c in cells),
    }}
with open(os.environ["FAKE_QUARTO_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({{
        "argv": sys.argv[1:], "cwd": str(cwd), "profile": os.environ.get("QUARTO_PROFILE"),
        "python": os.environ.get("QUARTO_PYTHON"), "config": config, "chapters": seen,
    }}, ensure_ascii=False) + "\n")
if os.environ.get("FAKE_QUARTO_FAIL"):
    sys.stderr.write("ERROR: " + os.environ["FAKE_QUARTO_FAIL"] + "\n")
    sys.exit(1)
(cwd / ".quarto").mkdir(exist_ok=True)
(cwd / ".quarto" / "xref").write_text("{{}}", encoding="utf-8")
out = cwd / config["project"]["output-dir"]
out.mkdir(parents=True, exist_ok=True)
name = config["book"]["output-file"]
formats = config.get("format") or {{}}
if "html" in formats:
    (out / "index.html").write_text(
        '<html lang="vi"><head>\n'
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js" integrity="sha512-x" crossorigin="anonymous"></script>\n'
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/jquery/3.5.1/jquery.min.js" integrity="sha512-y" crossorigin="anonymous" data-relocate-top="true"></script>\n'
        '<script type="application/javascript" data-relocate-top="true">define(\'jquery\', [],function() {{return window.jQuery;}})</script>\n'
        '<script type="text/javascript">window.vegaEmbed = function () {{}};</script>\n'
        "</head><body><h1>" + config["book"]["title"] + "</h1></body></html>\n", encoding="utf-8")
    (out / "site_libs").mkdir(exist_ok=True)
    (out / "site_libs" / "quarto.js").write_text("// quarto", encoding="utf-8")
if "typst" in formats:
    (out / (name + ".pdf")).write_bytes(b"%PDF-1.7 fake")
if "docx" in formats:
    (out / (name + ".docx")).write_bytes(b"PK fake docx")
'''


def install(folder: Path) -> Path:
    """Write the double as ``folder/quarto`` (run by this interpreter) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "quarto"
    target.write_text(SCRIPT.format(python=sys.executable), encoding="utf-8")
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return target


def on_path(monkeypatch, folder: Path, log: Path, fail: str | None = None) -> Path:
    """Install the double first on PATH (QUARTO_PATH unset), logging to ``log``; failing with ``fail`` if given."""
    exe = install(folder)
    monkeypatch.delenv("QUARTO_PATH", raising=False)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_QUARTO_LOG", str(log))
    if fail:
        monkeypatch.setenv("FAKE_QUARTO_FAIL", fail)
    else:
        monkeypatch.delenv("FAKE_QUARTO_FAIL", raising=False)
    return exe


def calls(log: Path) -> list[dict]:
    import json

    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
