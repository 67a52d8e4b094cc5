"""Show that a refactoring left the outputs as they were: run the commands into a folder, then compare two folders.

    .venv/bin/python benchmarks/compare_outputs.py run /tmp/before     # in a checkout of the old code
    .venv/bin/python benchmarks/compare_outputs.py run /tmp/after      # in a checkout of the new code
    .venv/bin/python benchmarks/compare_outputs.py compare /tmp/before /tmp/after

``run`` executes, from the working directory and with this Python: ``capnuoc validate``, ``baseline --out``,
``project --out --draws 500``, ``report all`` (its documents and tables are copied) and ``evaluate`` of the
shipped example reports (tables). ``compare`` compares CSV, JSON and XLSX files byte for byte (manifests apart
from the code's hash, the commit and the checkout's path), the terminal output without timings, the documents' copy
of the Quarto configuration by content (its comments name modules), and the documents by their text: HTML without
tags, DOCX paragraphs and tables, PDF text, each with build dates removed. It prints every file compared and every
difference, and exits 1 when something differs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

COMMANDS = [
    ("validate", ["validate"]),
    ("baseline", ["baseline", "--out", "{out}/baseline"]),
    ("project", ["project", "--out", "{out}/project", "--draws", "500"]),
    ("report", ["report", "all"]),
    ("evaluate", ["evaluate", "--actuals", "data/examples/thuc_hien_2026_minh_hoa", "--out", "{out}/evaluate", "--to", "none"]),
]
COPIED = {"report": ["output/report", "output/evaluation"]}
# what a manifest records of the code and the machine, not of the result: the code changed on purpose
MANIFEST_VOLATILE = {"code_sha256", "git_commit", "absolute", "versions", "package_versions", "python", "platform"}
DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b|\b\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?\b|ngày \d{1,2} tháng \d{1,2} năm \d{4}")


def run(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    (out / "checkout.path").write_text(str(Path.cwd().resolve()), encoding="utf-8")  # paths in outputs, made relative
    for name, args in COMMANDS:
        argv = [sys.executable, "-m", "capnuoc_model.cli", *[a.format(out=out) for a in args]]
        done = subprocess.run(argv, capture_output=True, text=True)
        (out / f"{name}.stdout.txt").write_text(done.stdout, encoding="utf-8")
        (out / f"{name}.exit.txt").write_text(f"{done.returncode}\n", encoding="utf-8")
        print(f"{name}: exit {done.returncode}")
        for folder in COPIED.get(name, []):
            if Path(folder).exists():
                shutil.copytree(folder, out / name / Path(folder).name, dirs_exist_ok=True)
    return 0


def _strip_manifest(document):
    if isinstance(document, dict):
        return {k: _strip_manifest(v) for k, v in document.items() if k not in MANIFEST_VOLATILE}
    if isinstance(document, list):
        return [_strip_manifest(v) for v in document]
    return document


def _html_text(path: Path) -> str:
    raw = path.read_text(encoding="utf-8", errors="replace")
    raw = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", raw)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", raw))


def _docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs]
    return "\n".join(parts)


def _pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True)
    return done.stdout


def _relative(text: str, out: Path) -> str:
    """Paths of the checkout and of the output folder as placeholders: where a run happened is not its result."""
    return text.replace((out / "checkout.path").read_text(encoding="utf-8"), "<checkout>").replace(str(out.resolve()), "<out>")


def comparable(path: Path, out: Path) -> tuple[str, object] | None:
    """(how compared, content) of a file of the run folder ``out``, None when it is not an output compared here."""
    suffix = path.suffix.lower()
    if path.name == "checkout.path":
        return None
    if path.name.endswith(".stdout.txt"):  # what the command printed, without its timings
        return "terminal output without timings", [line for line in _relative(path.read_text(encoding="utf-8"), out).splitlines()
                                                   if "giây" not in line]
    if path.name == ".capnuoc-report.json":  # the report's cache key (hashes of the code): not an output
        return None
    if suffix == ".yml":  # the documents' copy of the Quarto configuration: its comments name modules, so by content
        import yaml

        return "YAML content (comments aside)", yaml.safe_load(path.read_text(encoding="utf-8"))
    if suffix in {".csv", ".xlsx", ".txt"}:
        return "bytes", path.read_bytes()
    if suffix == ".json":
        document = json.loads(_relative(path.read_text(encoding="utf-8"), out))
        return ("manifest without code hash, commit, checkout path", _strip_manifest(document)) if path.name == "manifest.json" \
            else ("bytes", path.read_bytes())
    readers = {".html": _html_text, ".docx": _docx_text, ".pdf": _pdf_text}
    if suffix in readers and "site_libs" not in path.parts:
        return f"text of the {suffix[1:].upper()} without dates", DATE.sub("<date>", readers[suffix](path))
    return None


def compare(before: Path, after: Path) -> int:
    names = sorted({p.relative_to(before) for p in before.rglob("*") if p.is_file()}
                   | {p.relative_to(after) for p in after.rglob("*") if p.is_file()})
    compared = differ = skipped = 0
    for name in names:
        a, b = before / name, after / name
        if not a.exists() or not b.exists():
            print(f"ONLY IN {'after' if not a.exists() else 'before'}: {name}")
            differ += 1
            continue
        left, right = comparable(a, before), comparable(b, after)
        if left is None:
            skipped += 1
            continue
        compared += 1
        if left[1] == right[1]:
            print(f"same ({left[0]}): {name}")
        else:
            differ += 1
            print(f"DIFFERENT ({left[0]}): {name}")
            if isinstance(left[1], (str, list)):
                import difflib

                for line in list(difflib.unified_diff(*[x.splitlines() if isinstance(x, str) else x for x in (left[1], right[1])], lineterm="", n=0))[:12]:
                    print("    " + line[:200])
    print(f"{compared} files compared, {differ} differ, {skipped} other files (images, fonts, caches) not compared")
    return 1 if differ else 0


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "run" and len(sys.argv) == 3:
        sys.exit(run(Path(sys.argv[2]).resolve()))
    if what == "compare" and len(sys.argv) == 4:
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
    sys.exit(__doc__)
