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

import capnuoc_model
from capnuoc_model import io

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


def code_hash() -> str:
    """One hash of the model's source files, so uncommitted code changes are seen too."""
    import hashlib

    files = sorted(Path(capnuoc_model.__file__).parent.glob("*.py"))
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


@dataclass(frozen=True)
class Comparison:
    identical: list[str]
    different: list[str]  # one line per differing file, with the first differing cells
    reasons: list[str]  # what changed between the original run and now


def changed_inputs(manifest: dict) -> list[str]:
    reasons = []
    for record in manifest.get("inputs", []):
        path = Path(record["absolute"])
        if not path.exists():
            reasons.append(f"{record['path']}: the input file no longer exists")
        elif io.sha256_file(path) != record["sha256"]:
            reasons.append(f"{record['path']}: the input file changed since the run")
    now = package_versions()
    for name, version in manifest.get("packages", {}).items():
        if now.get(name) != version:
            reasons.append(f"{name}: version {now.get(name)} now, {version} in the run")
    if manifest.get("capnuoc_version") != capnuoc_model.__version__:
        reasons.append(f"capnuoc: version {capnuoc_model.__version__} now, {manifest.get('capnuoc_version')} in the run")
    if manifest.get("code_sha256") and manifest["code_sha256"] != code_hash():
        reasons.append("code: the model's source files changed since the run")
    commit = io.git_commit()
    if manifest.get("git_commit") and commit and manifest["git_commit"].split("+")[0] != commit.split("+")[0]:
        reasons.append(f"code: commit {commit[:12]} now, {manifest['git_commit'][:12]} in the run")
    return reasons


def _first_differences(a: Path, b: Path, limit: int = 3) -> str:
    try:
        left, right = pd.read_csv(a), pd.read_csv(b)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return "contents differ"
    if left.shape != right.shape or list(left.columns) != list(right.columns):
        return f"shape {left.shape} in the run, {right.shape} now"
    cells = []
    for column in left.columns:
        differs = ~((left[column] == right[column]) | (left[column].isna() & right[column].isna()))
        for row in left.index[differs][:limit]:
            cells.append(f"row {row + 2} {column}: {left.at[row, column]} → {right.at[row, column]}")
        if len(cells) >= limit:
            break
    return "; ".join(cells[:limit]) or "formatting differs"


def compare_folders(original: Path, rerun: Path, names: list[str]) -> tuple[list[str], list[str]]:
    identical, different = [], []
    for name in names:
        a, b = original / name, rerun / name
        if not a.exists():
            different.append(f"{name}: missing from the published folder")
        elif not b.exists():
            different.append(f"{name}: not produced by the rerun")
        elif a.read_bytes() == b.read_bytes():
            identical.append(name)
        else:
            different.append(f"{name}: {_first_differences(a, b)}")
    return identical, different


def reproduce(manifest_path: Path, rerun) -> Comparison:
    """Rerun the manifest's command with ``rerun(command, arguments, folder)`` and compare the CSV outputs."""
    manifest_path = Path(manifest_path)
    manifest = io.read_json(manifest_path)
    names = [n for n in manifest.get("outputs", []) if n.endswith(".csv")]
    with tempfile.TemporaryDirectory(prefix="capnuoc-reproduce-") as tmp:
        folder = Path(tmp) / "rerun"
        rerun(manifest["command"], manifest["arguments"], folder)
        identical, different = compare_folders(manifest_path.parent, folder, names)
    return Comparison(identical, different, changed_inputs(manifest) if different else [])
