"""All file reading and writing of capnuoc: the data package, priors and output folders."""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from capnuoc_model.data.errors import CapnuocInputError, Violation, violation
from capnuoc_model.data.messages import text
from capnuoc_model.data.schema import TABLES

if TYPE_CHECKING:
    from capnuoc_model.data.plan import Plan
from capnuoc_model.data.validation import validate_package

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = REPO_ROOT / "data"
PRIORS_FILE = Path("derivation") / "priors.csv"


def os_reason(exc: OSError) -> str:
    """Why a file could not be opened, in words (not the operating system's English)."""
    import errno

    reasons = {errno.ENOENT: "io.reason_not_found", errno.EACCES: "io.reason_permission", errno.EPERM: "io.reason_permission",
               errno.EISDIR: "io.reason_is_folder", errno.ENOTDIR: "io.reason_not_a_folder", errno.EEXIST: "io.reason_exists",
               errno.ENOSPC: "io.reason_disk_full", errno.EROFS: "io.reason_read_only"}
    return text(reasons.get(exc.errno, "io.reason_other"))


def default_scenario(data_dir: Path | str) -> Path:
    """A province keeps its scenarios beside its data package: ``<data>/../analysis/scenarios/baseline.yaml``;
    a package without one (a copy of ``data/`` elsewhere) uses the repository's baseline scenario."""
    beside = Path(data_dir).resolve().parent / "analysis" / "scenarios" / "baseline.yaml"
    return beside if beside.is_file() else REPO_ROOT / "analysis" / "scenarios" / "baseline.yaml"


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


MAX_INPUT_BYTES = 20 * 1024 * 1024  # a province's tables are a few hundred kB; anything this big is a mistake
ENCODINGS_TRIED = "UTF-8 (có hoặc không có BOM), UTF-16 hoặc Windows-1258"


def decode_text(data: bytes, label: str) -> tuple[str, str]:
    """(text in NFC, encoding name): UTF-8 with or without BOM, UTF-16 (BOM or not), else Windows-1258."""
    import unicodedata

    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif len(data) >= 4 and data[1:2] == b"\x00" and data[3:4] == b"\x00":
        candidates = ["utf-16-le"]
    elif len(data) >= 4 and data[0:1] == b"\x00" and data[2:3] == b"\x00":
        candidates = ["utf-16-be"]
    else:
        candidates = ["utf-8", "cp1258"]
    problem = ""
    for encoding in candidates:
        try:
            decoded = data.decode(encoding)
        except UnicodeDecodeError as exc:
            problem = text("io.bad_byte", byte=f"0x{data[exc.start]:02x}", position=exc.start, encoding=encoding)
            continue
        if "\x00" in decoded:
            problem = text("io.nul_characters")
            continue
        # Windows-1258 writes tone marks as combining characters: compose them as UTF-8 files do
        return unicodedata.normalize("NFC", decoded), encoding
    raise CapnuocInputError([violation(label, None, None, "io.bad_encoding", problem=problem, encodings=ENCODINGS_TRIED)])


def sniff_separator(first_line: str) -> str:
    """The separator of a CSV header line: ',' (ours), ';' (Excel in Vietnamese and other comma-decimal locales) or tab."""
    counts = {sep: 0 for sep in (",", ";", "\t")}
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda sep: (counts[sep], sep == ","))
    return best if counts[best] else ","


def read_csv_text(path: Path) -> pd.DataFrame:
    """Every cell as text (empty → None), index = the file's line number (header is line 1).

    Reads UTF-8 (BOM or not), UTF-16 and Windows-1258 files with ',', ';' or tab separators,
    skips blank lines and empty trailing columns, and records the encoding and the separator
    in ``frame.attrs`` (the schema then detects the decimal convention from the numeric columns).
    """
    label = display_path(path)
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise CapnuocInputError([violation(label, None, None, "io.too_large", size=round(size / 1024 / 1024),
                                               limit=MAX_INPUT_BYTES // 1024 // 1024)])
        data = path.read_bytes()
    except OSError as exc:
        raise CapnuocInputError([violation(label, None, None, "io.cannot_read", reason=os_reason(exc), what="tệp CSV")]) from None
    content, encoding = decode_text(data, label)
    separator = sniff_separator(content.splitlines()[0] if content.strip() else "")
    try:
        rows = list(csv.reader(content.splitlines(), delimiter=separator))
    except csv.Error:
        raise CapnuocInputError([violation(label, None, None, "io.not_csv")]) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise CapnuocInputError([violation(label, 1, None, "io.empty_file")])
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    while header and not header[-1]:  # Excel leaves empty columns after the last one
        header.pop()
    records, lines, problems = [], [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines carry no data
        extra = row[len(header):]
        if len(row) < len(header) or any(cell.strip() for cell in extra):
            problems.append(violation(label, number, None, "io.field_count", fields=len(row), columns=len(header),
                                      separator=separator))
            continue
        records.append([cell if cell.strip() else None for cell in row[:len(header)]])
        lines.append(number)
    if problems:
        raise CapnuocInputError(problems)
    frame = pd.DataFrame(records, columns=header, index=pd.Index(lines, name="line"), dtype=object)
    frame.attrs.update(encoding=encoding, separator=separator)
    return frame


class TablesByName:
    """``obj.<table>`` for ``obj.tables["<table>"]`` (the data package and the reported results)."""

    tables: dict[str, pd.DataFrame]

    def __getattr__(self, name: str) -> pd.DataFrame:
        try:
            return self.__dict__["tables"][name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class DataPackage(TablesByName):
    """The validated tables of the data package (typed pandas frames) and its plan (``plan.yaml`` with the targets)."""

    tables: dict[str, pd.DataFrame]
    directory: Path
    warnings: tuple[Violation, ...] = ()  # problems that did not stop the reading (e.g. an ignored column)
    plan: "Plan" = None  # years, targets, groups: see capnuoc_model.data.plan


def read_raw_package(data_dir: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Text of every table file present, and the label to show for each table."""
    labels = {t.name: display_path(data_dir / t.file) for t in TABLES}
    if not data_dir.is_dir():
        raise CapnuocInputError([violation(display_path(data_dir), None, None,
                                           "io.not_a_folder" if data_dir.exists() else "io.folder_not_found")])
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
    """Read and validate the data package and its plan; raises CapnuocInputError listing every problem."""
    from capnuoc_model.data.plan import PLAN_FILE, load_plan, read_plan_file

    data_dir = Path(data_dir)
    raw, labels = read_raw_package(data_dir)
    plan_label = display_path(data_dir / PLAN_FILE)
    parsed = read_plan_file(data_dir, plan_label)
    warnings: list[Violation] = []
    try:
        tables = validate_package(raw, labels, warnings, display_path(data_dir))
    except CapnuocInputError as error:  # report the plan file's own problems with the tables'
        raise CapnuocInputError(list(error.violations) + parsed[1], error.summary) from None
    plan = load_plan(data_dir, plan_label, tables, labels, parsed, {name: frame.index for name, frame in raw.items()})
    return DataPackage(tables, data_dir, tuple(sorted(set(warnings))), plan)


def read_priors(data_dir: Path | str = DEFAULT_DATA_DIR) -> pd.DataFrame:
    return read_csv_text(Path(data_dir) / PRIORS_FILE).reset_index(drop=True)


def read_loose_tables(data_dir: Path | str, names: list[str]) -> dict[str, pd.DataFrame]:
    """Tables read with pandas' own type inference, for the derivation (estimated columns may be empty)."""
    return {name: pd.read_csv(Path(data_dir) / f"{name}.csv", keep_default_na=True) for name in names}


def write_csv(frame: pd.DataFrame, path: Path, bom: bool = False) -> None:
    """A CSV file (',' and '.' decimal); ``bom`` for the output tables, so that Excel on Windows reads them as UTF-8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].map({True: "true", False: "false"})
    out.to_csv(path, index=False, lineterminator="\n", encoding="utf-8-sig" if bom else "utf-8")


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


def write_tables(tables: dict[str, pd.DataFrame], folder: Path, decimals: int = 6, workbook: str | None = None,
                 title: str = "") -> None:
    """Each frame as <name>.csv (UTF-8 with BOM, the registry's column names), floats rounded so that reruns
    give byte-identical files; with ``workbook``, also one Excel workbook of all the tables (Vietnamese headers)."""
    from capnuoc_model.data.outputs import machine_frame

    for name, frame in tables.items():
        rounded = machine_frame(name, frame.copy())
        for column in rounded.columns:
            if pd.api.types.is_float_dtype(rounded[column]):
                rounded[column] = rounded[column].round(decimals)
        write_csv(rounded, folder / f"{name}.csv", bom=True)
    if workbook is not None:
        from capnuoc_model.data.workbook import build_workbook, workbook_bytes

        write_bytes(workbook_bytes(build_workbook(tables, title)), folder / workbook)


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


def write_bytes(data: bytes, path: Path | str) -> None:
    """Write a file atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_workbook(workbook, path: Path | str) -> None:
    """Save an openpyxl workbook atomically (temporary file in the same folder, then rename)."""
    import io as stdio

    buffer = stdio.BytesIO()
    workbook.save(buffer)
    write_bytes(buffer.getvalue(), path)


def read_json(path: Path) -> dict:
    """A JSON document written by capnuoc (a manifest); a located error when missing or unreadable."""
    label = display_path(Path(path))
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CapnuocInputError([violation(label, None, None, "io.cannot_read", reason=os_reason(exc),
                                           what=text("io.what_manifest"))]) from None
    except UnicodeDecodeError:
        raise CapnuocInputError([violation(label, None, None, "io.json_not_utf8")]) from None
    except json.JSONDecodeError as exc:
        raise CapnuocInputError([violation(label, exc.lineno, text("io.column_number", number=exc.colno), "io.not_json")]) from None
    except RecursionError:
        raise CapnuocInputError([violation(label, None, None, "io.json_too_deep")]) from None
