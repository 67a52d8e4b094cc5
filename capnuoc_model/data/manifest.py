"""Reproducibility: the manifest every output folder carries, and ``capnuoc reproduce``.

A manifest records the command and its arguments, the hash of every input file
(data package, scenario files), the --set overrides, seed and draws, the
versions of the packages that compute, and the git commit. ``reproduce``
reruns the command into a temporary folder and compares every CSV it wrote,
byte for byte; when something differs it says what and why (an input file
changed since, another package version, another code version).
"""

from __future__ import annotations

import platform
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

import capnuoc_model
from capnuoc_model.data import io
from capnuoc_model.data.errors import CapnuocInputError, violation
from capnuoc_model.data.messages import text

MANIFEST = "manifest.json"
TRACKED_PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "pandera", "pydantic")


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def data_files(data_dir: Path) -> list[Path]:
    data_dir = Path(data_dir)
    return sorted(p for pattern in ("*.csv", "*.yaml") for folder in (data_dir, data_dir / "derivation")
                  for p in folder.glob(pattern))


def code_files() -> list[Path]:
    """The package's source files, every subpackage included (capnuoc_model/**/*.py), in a fixed order."""
    return sorted(Path(capnuoc_model.__file__).parent.rglob("*.py"))


def code_hash() -> str:
    """One hash of the model's source files, so uncommitted code changes are seen too."""
    import hashlib

    files = code_files()
    return hashlib.sha256("".join(io.sha256_file(f) for f in files).encode()).hexdigest()


def file_records(paths: list[Path]) -> list[dict]:
    return [{"path": io.display_path(Path(p)), "absolute": str(Path(p).resolve()), "sha256": io.sha256_file(Path(p))}
            for p in paths]


def build(command: str, arguments: dict, inputs: list[Path], outputs: list[str], extra: dict | None = None) -> dict:
    """The manifest document; no timestamps, so equal runs write equal manifests."""
    return {
        "command": command,
        "arguments": arguments,
        "capnuoc_version": capnuoc_model.__version__,
        "inputs": file_records(inputs),
        "python": platform.python_version(),
        "packages": package_versions(),
        "git_commit": io.git_commit(),
        "code_sha256": code_hash(),
        "outputs": sorted(outputs),
        **(extra or {}),
    }


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    path: str
    absolute: str
    sha256: str


class _Arguments(BaseModel):
    """What ``reproduce`` needs to rerun a command (the manifest may hold more)."""

    model_config = ConfigDict(extra="allow", strict=True)
    data: str
    scenario: str | None = None
    sets: list[str] = []
    draws: int = Field(10_000, ge=100, le=1_000_000)
    seed: int = Field(20260515, ge=0, le=2**63 - 1)


class _Manifest(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    command: str
    arguments: _Arguments
    outputs: list[str]
    inputs: list[_Record] = []
    packages: dict[str, str | None] = {}
    capnuoc_version: str | None = None
    code_sha256: str | None = None
    git_commit: str | None = None


RERUN_COMMANDS = ("baseline", "project", "report", "evaluate")


def read_manifest(path: Path) -> dict:
    """A manifest checked for what ``reproduce`` reads; every problem located by its key."""
    label = io.display_path(Path(path))
    document = io.read_json(path)
    problems = []
    if not isinstance(document, dict):
        raise CapnuocInputError([violation(label, None, None, "manifest.not_an_object")])
    try:
        _Manifest.model_validate(document)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            key = ".".join(str(part) for part in error["loc"])
            if error["type"] == "missing":
                problems.append(violation(label, None, key, "manifest.missing_key", key=key))
            else:
                problems.append(violation(label, None, key, "manifest.bad_value", key=key,
                                          given=_short(error.get("input"))))
    if isinstance(document.get("command"), str) and document["command"] not in RERUN_COMMANDS:
        problems.append(violation(label, None, "command", "manifest.unknown_command", command=_short(document["command"]),
                                  commands=", ".join(RERUN_COMMANDS)))
    if problems:
        raise CapnuocInputError(problems, text("summary.manifest", count=len(set(problems)), file=label))
    return document


def _short(value: object, limit: int = 60) -> str:
    shown = repr(value) if not isinstance(value, str) else value
    return shown if len(shown) <= limit else shown[:limit] + "…"


@dataclass(frozen=True)
class Comparison:
    identical: list[str]
    different: list[str]  # one line per differing file, with the first differing cells
    reasons: list[str]  # what changed between the original run and now


def changed_inputs(manifest: dict) -> list[str]:
    reasons = []
    for record in manifest.get("inputs", []):
        path = Path(record["absolute"])
        if not path.is_file():
            reasons.append(text("reproduce.input_gone", path=record["path"]))
        elif io.sha256_file(path) != record["sha256"]:
            reasons.append(text("reproduce.input_changed", path=record["path"]))
    now = package_versions()
    for name, version in manifest.get("packages", {}).items():
        if now.get(name) != version:
            reasons.append(text("reproduce.version", name=name, now=now.get(name) or "—", then=version or "—"))
    if manifest.get("capnuoc_version") != capnuoc_model.__version__:
        reasons.append(text("reproduce.version", name="capnuoc", now=capnuoc_model.__version__,
                            then=manifest.get("capnuoc_version") or "—"))
    if manifest.get("code_sha256") and manifest["code_sha256"] != code_hash():
        reasons.append(text("reproduce.code_changed"))
    commit = io.git_commit()
    if manifest.get("git_commit") and commit and manifest["git_commit"].split("+")[0] != commit.split("+")[0]:
        reasons.append(text("reproduce.commit", now=commit[:12], then=manifest["git_commit"][:12]))
    return reasons


def _first_differences(a: Path, b: Path, limit: int = 3) -> str:
    try:
        left, right = pd.read_csv(a, encoding="utf-8-sig"), pd.read_csv(b, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return text("reproduce.contents_differ")
    if left.shape != right.shape or list(left.columns) != list(right.columns):
        return text("reproduce.shape", then=f"{left.shape[0]} × {left.shape[1]}", now=f"{right.shape[0]} × {right.shape[1]}")
    cells = []
    for column in left.columns:
        differs = ~((left[column] == right[column]) | (left[column].isna() & right[column].isna()))
        for row in left.index[differs][:limit]:
            cells.append(text("reproduce.cell", row=row + 2, column=column, then=left.at[row, column], now=right.at[row, column]))
        if len(cells) >= limit:
            break
    return "; ".join(cells[:limit]) or text("reproduce.formatting_differs")


def compare_folders(original: Path, rerun: Path, names: list[str]) -> tuple[list[str], list[str]]:
    identical, different = [], []
    for name in names:
        a, b = original / name, rerun / name
        if not a.is_file():
            different.append(text("reproduce.missing_published", name=name))
        elif not b.is_file():
            different.append(text("reproduce.not_rerun", name=name))
        elif a.read_bytes() == b.read_bytes():
            identical.append(name)
        else:
            different.append(f"{name}: {_first_differences(a, b)}")
    return identical, different


def _inside(name: str) -> bool:
    """An output name is a path inside the output folder (a manifest cannot make reproduce read elsewhere)."""
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def reproduce(manifest_path: Path, rerun) -> Comparison:
    """Rerun the manifest's command with ``rerun(command, arguments, folder)`` and compare the CSV outputs."""
    manifest_path = Path(manifest_path)
    manifest = read_manifest(manifest_path)
    names = [n for n in manifest["outputs"] if n.endswith(".csv") and _inside(n)]
    with tempfile.TemporaryDirectory(prefix="capnuoc-reproduce-") as tmp:
        folder = Path(tmp) / "rerun"
        rerun(manifest["command"], manifest["arguments"], folder)
        identical, different = compare_folders(manifest_path.parent, folder, names)
    return Comparison(identical, different, changed_inputs(manifest) if different else [])
