"""All file reading and writing of capnuoc: the data package, priors and output folders."""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from capnuoc_model.errors import CapnuocInputError, Violation
from capnuoc_model.schema import TABLES
from capnuoc_model.validation import validate_package

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / "data"
PRIORS_FILE = Path("derivation") / "priors.csv"


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_csv_text(path: Path) -> pd.DataFrame:
    """Every cell as text (empty → None), index = the file's line number (header is line 1)."""
    label = display_path(path)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError as exc:
        raise CapnuocInputError(
            [Violation(label, None, None, f"not valid UTF-8 (byte {exc.start})", "a CSV file saved as UTF-8")]
        ) from None
    except csv.Error as exc:
        raise CapnuocInputError([Violation(label, None, None, f"not a readable CSV file ({exc})", "comma-separated values")]) from None
    if not rows:
        raise CapnuocInputError([Violation(label, 1, None, "file is empty", "a header line and data rows")])
    header = [h.strip() for h in rows[0]]
    records, lines, problems = [], [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines carry no data
        if len(row) != len(header):
            problems.append(Violation(label, number, None, f"{len(row)} fields instead of {len(header)}",
                                      "one field per header column (quote text that contains commas)"))
            continue
        records.append([cell if cell.strip() else None for cell in row])
        lines.append(number)
    if problems:
        raise CapnuocInputError(problems)
    return pd.DataFrame(records, columns=header, index=pd.Index(lines, name="line"), dtype=object)


@dataclass(frozen=True)
class DataPackage:
    """The validated tables of the data package (typed pandas frames)."""

    tables: dict[str, pd.DataFrame]
    directory: Path

    def __getattr__(self, name: str) -> pd.DataFrame:
        try:
            return self.tables[name]
        except KeyError:
            raise AttributeError(name) from None


def read_raw_package(data_dir: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Text of every table file present, and the label to show for each table."""
    labels = {t.name: display_path(data_dir / t.file) for t in TABLES}
    if not data_dir.is_dir():
        raise CapnuocInputError([Violation(display_path(data_dir), None, None, "not a folder", "the data package folder (e.g. data/)")])
    raw: dict[str, pd.DataFrame] = {}
    problems: list[Violation] = []
    for table in TABLES:
        path = data_dir / table.file
        if path.exists():
            try:
                raw[table.name] = read_csv_text(path)
            except CapnuocInputError as error:
                problems += error.violations
    if problems:
        raise CapnuocInputError(problems)
    return raw, labels


def load_package(data_dir: Path | str = DEFAULT_DATA_DIR) -> DataPackage:
    """Read and validate the data package; raises CapnuocInputError listing every problem."""
    data_dir = Path(data_dir)
    raw, labels = read_raw_package(data_dir)
    return DataPackage(validate_package(raw, labels), data_dir)


def read_priors(data_dir: Path | str = DEFAULT_DATA_DIR) -> pd.DataFrame:
    return read_csv_text(Path(data_dir) / PRIORS_FILE).reset_index(drop=True)


def read_loose_tables(data_dir: Path | str, names: list[str]) -> dict[str, pd.DataFrame]:
    """Tables read with pandas' own type inference, for the derivation (estimated columns may be empty)."""
    return {name: pd.read_csv(Path(data_dir) / f"{name}.csv", keep_default_na=True) for name in names}


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].map({True: "true", False: "false"})
    out.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def write_text(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_json(document: object, path: Path) -> None:
    write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", path)


class AtomicFolder:
    """Write an output folder into a temporary sibling, then swap it into place.

    On any exception the temporary folder is removed and the previous output
    stays as it was.
    """

    def __init__(self, target: Path):
        self.target = Path(target)
        self.tmp: Path | None = None

    def __enter__(self) -> Path:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-", dir=self.target.parent))
        self.tmp.chmod(0o755)  # mkdtemp makes it private; outputs are meant to be shared
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> bool:
        assert self.tmp is not None
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
            os.replace(self.target, old)
        os.replace(self.tmp, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return False


def sha256_file(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def git_commit(directory: Path = REPO_ROOT) -> str | None:
    """The commit of the working tree, with '+dirty' when it has uncommitted changes; None outside git."""
    import subprocess

    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True, timeout=10)
        if commit.returncode != 0:
            return None
        status = subprocess.run(["git", "status", "--porcelain"], cwd=directory, capture_output=True, text=True, timeout=10)
        return commit.stdout.strip() + ("+dirty" if status.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def write_tables(tables: dict[str, pd.DataFrame], folder: Path, decimals: int = 6) -> None:
    """Each frame as <name>.csv, floats rounded so that reruns give byte-identical files."""
    for name, frame in tables.items():
        rounded = frame.copy()
        for column in rounded.columns:
            if pd.api.types.is_float_dtype(rounded[column]):
                rounded[column] = rounded[column].round(decimals)
        write_csv(rounded, folder / f"{name}.csv")


def read_pickle(path: Path) -> object | None:
    """A cached object, or None when the cache file is missing or unreadable (it is then rebuilt)."""
    import pickle

    try:
        with Path(path).open("rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def write_pickle(obj: object, path: Path) -> None:
    """Write a cache file atomically (temporary file, then rename)."""
    import pickle

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "wb") as stream:
        pickle.dump(obj, stream, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def resolve(path: Path | str) -> Path:
    """A path given relative to the repository root (as notebooks and scenario files do) made absolute."""
    path = Path(path)
    return path if path.is_absolute() else REPO_ROOT / path
