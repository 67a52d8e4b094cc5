"""Offline renderer: executed notebooks -> one document as HTML, PDF (typst) and DOCX.

Real Quarto renders the project where it is installed (:func:`find_quarto`, ``capnuoc_model.publish.quarto``);
elsewhere this module produces the same book offline from notebooks already executed by papermill:

1. :func:`read_book` reads title, subtitle, authors, date, lang and the chapter list from
   ``_quarto.yml`` with the document's Quarto profile merged in (``_quarto-<document>.yml``, as
   Quarto merges it: :func:`read_project`), from the ``project``/``book`` keys plus the project's
   own ``capnuoc`` key. The chapters' conditional content by profile (``when-profile``) is kept or
   dropped as Quarto would (``conditional-content.lua``).
2. Each executed ``.ipynb`` goes through nbconvert's ``MarkdownExporter`` twice, with the output
   priority set by ``NbConvertBase.display_data_priority`` (the trait nbconvert 7 reads):
   *html* flavour prefers ``text/html`` (interactive vegaEmbed charts, HTML tables);
   *print* flavour prefers ``text/markdown``, ``image/svg+xml``, ``image/png`` and never
   emits raw HTML.  Inputs, stdout/stderr streams and cells tagged ``remove-cell`` /
   ``remove-output`` (or with ``#| include: false`` / ``#| output: false``) are left out;
   ``#| fig-cap`` / ``#| tbl-cap`` become captions.
3. The chapters are concatenated and handed to the pandoc binary bundled with pypandoc:
   HTML (``--embed-resources --standalone``, Vega bundle inlined in the head), typst (custom
   template including ``typst-fonts.typ``, then ``typst.compile`` with :data:`DOCUMENT_FONTS`) and DOCX
   (``--reference-doc`` report/templates/reference.docx, in the layout of Decree 30/2020/NĐ-CP).
   ``number-depth`` (as in Quarto) is a Lua filter marking deeper headings ``unnumbered``; Quarto's
   typst gets the same filter, font header and reference document from _quarto.yml.
4. Captions are numbered by the renderers ("Bảng 1", "Hình 1": typst figure supplements, DOCX
   native numbering, CSS counters) unless the notebooks already label them themselves
   (a caption or italic caption line starting "Bảng 2.1"/"Hình 2.1", as ``notebook_output.py`` writes):
   then numbering is off everywhere, so no caption is numbered twice.

Pitfalls handled here:
* pandoc's own ipynb reader mishandles rich outputs, hence nbconvert -> Markdown first;
* nbconvert writes the alt text "png" for images, which pandoc turns into a caption: our
  template writes the ``fig-cap`` caption or an empty alt text instead;
* extracted images live only in ``resources["outputs"]`` and must be written to disk;
  pandoc runs in the build folder and typst resolves image paths relative to the ``.typ``
  file, so images, markdown and ``.typ`` all sit in the build folder;
* raw HTML outputs are fenced as ````{=html}`` blocks, otherwise pandoc re-parses indented
  HTML as Markdown (code blocks);
* ``vl_convert.javascript_bundle()`` returns one script with top-level ``const`` (and would
  carry ``export`` in a module build): it is wrapped in a function scope, any trailing
  ``export {...}`` is dropped, and its default snippet sets ``window.vegaEmbed`` itself;
* each notebook runs in its own kernel, so chart ids ("vis-1") repeat across chapters and
  ``vegaEmbed("#vis-1")`` would fill only the first: ids get a per-chapter prefix;
* one font family everywhere (:data:`DOCUMENT_FONTS`): Times New Roman, as Decree 30 names it, or where it
  is not installed Liberation Serif 2 (metric-compatible; Debian ``fonts-liberation2``), whose precomposed
  Vietnamese letters typst and Chromium draw with every stacked diacritic (ẫ ậ ệ ổ ữ ỹ); DejaVu Sans Mono and
  Liberation 1 do not.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml

from capnuoc_model.data import yaml_reading
from capnuoc_model.data.errors import CapnuocInputError, Violation, violation
from capnuoc_model.data.messages import text

__all__ = ["Book", "read_book", "find_quarto", "notebook_markdown", "render_document"]

FORMATS = ("html", "pdf", "docx")
PRINT = "print"  # the flavour of PDF and DOCX: one Markdown text, read once (print_ast) for both
HTML_PRIORITY = ["text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg", "text/plain"]
PRINT_PRIORITY = ["text/markdown", "image/svg+xml", "image/png", "image/jpeg", "text/plain"]
_RICH = ("text/markdown", "image/svg+xml", "image/png", "image/jpeg")
_LABELLED = re.compile(r"(?m)(?:^(?::\s*|!\[|\*+)|<caption>|<figcaption[^>]*>)\s*(Bảng|Hình)\s+[0-9IVX]")


# ---------------------------------------------------------------------------- metadata
@dataclass(frozen=True)
class Book:
    """One document: front matter and chapters (notebook paths relative to the repo)."""

    title: str
    chapters: tuple[Path, ...]
    subtitle: str | None = None
    author: str | tuple[str, ...] | None = None  # one name, or several (a list in _quarto.yml)
    organisation: str | None = None
    date: str | None = None
    lang: str = "vi"
    basename: str = "capnuoc"
    output_dir: Path = Path("output/report")
    number_sections: bool = True
    number_depth: int | None = None  # Quarto's number-depth: deeper headings stay unnumbered
    title_page: bool = True  # False: title block on top of page one, body right after it, no TOC in PDF/DOCX
    profile: str | None = None  # the Quarto profile of the document (conditional content `when-profile`)
    page_mark: str | None = None  # a line on every page: PDF and DOCX header, HTML banner (``page-mark``)
    summary: Path | None = None  # the chapter that is the document's abstract: after the cover, before the contents

    @property
    def authors(self) -> tuple[str, ...]:
        return (self.author,) if isinstance(self.author, str) else tuple(self.author or ())

    def notebooks(self) -> tuple[Path, ...]:
        """The chapters, checked to be notebooks (the offline path cannot run .qmd files)."""
        bad = [c for c in self.chapters if c.suffix != ".ipynb"]
        if bad:
            raise CapnuocInputError([violation(str(c), None, None, "render.not_a_notebook") for c in bad])
        return self.chapters


def _load_yaml(path: Path) -> dict:
    try:
        data = yaml_reading.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        from capnuoc_model.data.io import os_reason

        raise CapnuocInputError([violation(str(path), None, None, "render.cannot_read_project", reason=os_reason(exc))]) from None
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        raise CapnuocInputError([violation(str(path), None, None, "render.project_not_yaml")]) from None
    if not isinstance(data, dict):
        raise CapnuocInputError([violation(str(path), None, None, "render.project_not_mapping")])
    return data


def merge_profile(base, profile):
    """Quarto's merge of a profile file over ``_quarto.yml``: mappings key by key, lists appended, the rest replaced."""
    if isinstance(base, dict) and isinstance(profile, dict):
        merged = dict(base)
        for key, value in profile.items():
            merged[key] = merge_profile(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(profile, list):
        return base + [item for item in profile if item not in base]
    return profile


def profile_file(quarto_yml: Path, name: str) -> Path | None:
    """``_quarto-<name>.yml`` (or ``.yaml``) beside ``_quarto.yml``, if there is one."""
    quarto_yml = Path(quarto_yml)
    found = [quarto_yml.with_name(f"{quarto_yml.stem}-{name}{ext}") for ext in (".yml", ".yaml")]
    return next((p for p in found if p.is_file()), None)


def default_profile(data: dict) -> str | None:
    """``profile.default`` of ``_quarto.yml`` (the first one when it lists several)."""
    default = data["profile"].get("default") if isinstance(data.get("profile"), dict) else None
    if isinstance(default, list):
        default = default[0] if default else None
    if not default:
        return None
    return str(default).split(",")[0].strip() or None


def read_project(quarto_yml: Path, document: str | None = None) -> tuple[dict, str | None]:
    """The project configuration as Quarto sees it with the document's profile active, and that profile.

    ``document`` names a profile (``_quarto-<document>.yml``); None is the default profile of
    ``_quarto.yml`` (``profile: default:``), or no profile at all.
    """
    quarto_yml = Path(quarto_yml)
    data = _load_yaml(quarto_yml)
    profile = document or default_profile(data)
    found = profile_file(quarto_yml, profile) if profile else None
    if document is not None and found is None:
        known = sorted(p.stem.removeprefix(f"{quarto_yml.stem}-") for p in quarto_yml.parent.glob(f"{quarto_yml.stem}-*.y*ml"))
        raise CapnuocInputError([violation(str(quarto_yml), None, None, "render.unknown_document", document=document,
                                           documents=", ".join(known) or text("render.no_profiles"))])
    data = {k: v for k, v in data.items() if k != "profile"}
    if found is not None:
        data = merge_profile(data, _load_yaml(found))
    return data, profile


def read_book(quarto_yml: Path, document: str | None = None) -> Book:
    """Read the book structure from ``_quarto.yml`` and the document's profile file.

    Sources, later ones winning: ``project.title``/``project.output-dir``, top-level ``lang``,
    ``book`` (title, subtitle, author, date, chapters incl. ``part:`` groups and
    ``appendices``, output-file), then ``capnuoc`` (subtitle, organisation, date,
    output-basename, title-page); ``number-sections``/``number-depth`` at the top level, in ``book``
    or in ``capnuoc``.  ``document`` selects a profile, ``_quarto-<document>.yml``, merged over
    ``_quarto.yml`` as Quarto merges it (:func:`read_project`); None is the default profile.
    """
    quarto_yml = Path(quarto_yml)
    where = str(quarto_yml)

    def fail(key: str, **params) -> CapnuocInputError:
        return CapnuocInputError([violation(where, None, None, key, **params)])

    data, profile = read_project(quarto_yml, document)
    if not all(isinstance(data.get(k) or {}, dict) for k in ("project", "book", "capnuoc")):
        raise fail("render.project_not_mapping")
    project, book, own = (data.get(k) or {} for k in ("project", "book", "capnuoc"))
    merged: dict = {"title": project.get("title"), "output-dir": project.get("output-dir"),
                    **{k: data[k] for k in ("number-sections", "number-depth") if k in data}}
    merged.update({k: v for k, v in book.items() if v is not None})
    merged.update({k: v for k, v in own.items() if v is not None})
    if not merged.get("title"):
        raise fail("render.no_title")
    chapters = _flatten_chapters(merged.get("chapters") or [], fail) + _flatten_chapters(
        merged.get("appendices") or [], fail)
    if not chapters:
        raise fail("render.no_chapters")
    listed = merged.get("author") if isinstance(merged.get("author"), list) else [merged.get("author")]
    authors = tuple(str(a.get("name", "") if isinstance(a, dict) else a) for a in listed if a)
    return Book(
        title=str(merged["title"]), chapters=tuple(chapters),
        subtitle=_opt(merged.get("subtitle")), author=authors[0] if len(authors) == 1 else authors or None,
        organisation=_opt(merged.get("organisation")), date=_date(merged.get("date")),
        lang=str(merged.get("lang") or data.get("lang") or "vi"),
        basename=str(merged.get("output-basename") or merged.get("output-file") or "capnuoc"),
        output_dir=Path(merged.get("output-dir") or "output/report"),
        number_sections=bool(merged.get("number-sections", True)),
        number_depth=int(merged["number-depth"]) if merged.get("number-depth") else None,
        title_page=bool(merged.get("title-page", True)), profile=profile, page_mark=_opt(merged.get("page-mark")),
        summary=_summary(merged.get("summary"), chapters, fail))


def _summary(value, chapters: list[Path], fail) -> Path | None:
    """``capnuoc: summary:``, one of the book's chapters (executed with them, shown as the abstract)."""
    if not value:
        return None
    if Path(str(value)) not in chapters:
        raise fail("render.summary_not_chapter", entry=str(value)[:80])
    return Path(str(value))


def _flatten_chapters(entries: list, fail) -> list[Path]:
    out: list[Path] = []
    if not isinstance(entries, list):
        raise fail("render.chapters_not_list")
    for entry in entries:
        if isinstance(entry, dict) and "chapters" in entry:  # Quarto `- part: ...` group
            out += _flatten_chapters(entry["chapters"] or [], fail)
            continue
        if not isinstance(entry, str) or Path(entry).suffix not in (".ipynb", ".qmd"):
            raise fail("render.chapter_not_notebook", entry=str(entry)[:80])
        out.append(Path(entry))
    return out


def _opt(value) -> str | None:
    return None if value is None else str(value)


def _date(value) -> str | None:
    """``today``/``last-modified`` and ISO dates -> 'ngày 05 tháng 3 năm 2026' (NĐ 30/2020)."""
    if value in ("today", "last-modified", "now"):
        value = dt.date.today()
    elif isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.date):
        month = f"{value.month:02d}" if value.month < 3 else str(value.month)
        return f"ngày {value.day:02d} tháng {month} năm {value.year}"
    return _opt(value)


def find_quarto() -> str | None:
    """The Quarto executable: ``$QUARTO_PATH`` if it exists, else ``quarto`` on PATH, else None."""
    env = os.environ.get("QUARTO_PATH")
    if env and Path(env).is_file():
        return env
    return shutil.which("quarto")


# ------------------------------------------------------------------ notebook -> markdown
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "report" / "templates"


@functools.lru_cache(maxsize=None)
def _template(name: str) -> str:
    """A document template of report/templates/ (the nbconvert Markdown, CSS and typst templates).

    Read when a document is rendered, not on import: a missing template stops rendering
    with a located message and leaves every other command (``evaluate --to none``) working.
    """
    from capnuoc_model.data.io import display_path, os_reason

    path = TEMPLATES_DIR / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CapnuocInputError([violation(display_path(path), None, None, "render.template_missing", reason=os_reason(exc))]) from None
    except UnicodeDecodeError:
        raise CapnuocInputError([violation(display_path(path), None, None, "render.template_not_utf8")]) from None


TEXT_TEMPLATES = ("capnuoc.md.j2", "capnuoc.css", "capnuoc-numbers.css", "capnuoc.typ")  # read by this module
PATH_TEMPLATES = ("typst-fonts.typ", "conditional-content.lua", "number-depth.lua", "reference.docx", "quarto.css")  # given to tools
TEMPLATE_FILES = TEXT_TEMPLATES + PATH_TEMPLATES


def check_templates() -> None:
    """Every template present and readable: all problems at once, before any notebook runs."""
    from capnuoc_model.data.io import display_path

    problems = []
    for name in TEXT_TEMPLATES:
        try:
            _template(name)
        except CapnuocInputError as error:
            problems += error.violations
    for name in PATH_TEMPLATES:
        if not (TEMPLATES_DIR / name).is_file():
            problems.append(violation(display_path(TEMPLATES_DIR / name), None, None, "render.template_missing",
                                      reason=text("io.reason_not_found")))
    if problems:
        raise CapnuocInputError(problems)


def check_chapters(book: Book, root: Path) -> None:
    """Every chapter of the book exists and is a notebook nbformat can read (located messages otherwise)."""
    import nbformat

    from capnuoc_model.data.io import display_path

    problems = []
    for chapter in book.chapters:
        path = chapter if chapter.is_absolute() else root / chapter
        label = display_path(path)
        if not path.is_file():
            problems.append(violation("_quarto.yml", None, None, "render.chapter_missing", chapter=str(chapter)))
            continue
        if path.suffix == ".ipynb":  # a .qmd page is Quarto's to read
            problems += _notebook_problems(path, label, nbformat)
    if problems:
        raise CapnuocInputError(problems)


def _notebook_problems(path: Path, label: str, nbformat) -> list[Violation]:
    import json

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return [violation(label, None, None, "render.notebook_not_utf8")]
    except OSError as exc:
        from capnuoc_model.data.io import os_reason

        return [violation(label, None, None, "render.notebook_unreadable", reason=os_reason(exc))]
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return [violation(label, exc.lineno, None, "render.notebook_not_json", column=exc.colno)]
    except RecursionError:
        return [violation(label, None, None, "render.notebook_not_json", column="—")]
    try:
        nbformat.validate(nbformat.reads(text, as_version=4))
    except Exception:  # noqa: BLE001 - nbformat raises several kinds for a notebook it cannot use
        return [violation(label, None, None, "render.notebook_invalid")]
    return []


def _cell_options(source: str) -> dict:
    """Quarto ``#|`` cell options at the top of a code cell (YAML)."""
    lines = [line[2:] for line in itertools.takewhile(lambda x: x.startswith("#|"), source.splitlines())]
    try:
        options = yaml_reading.safe_load("\n".join(lines)) if lines else {}
    except yaml.YAMLError:
        return {}
    return options if isinstance(options, dict) else {}


def _prepare(nb, flavour: str, prefix: str):
    """Apply Quarto tags/options, drop streams, attach captions, keep only what the flavour shows.

    Chart element ids are made unique across chapters: each notebook runs in its own kernel, so
    per-kernel counters ("vis-1") repeat, and vegaEmbed("#vis-1") would only fill the first one.
    """
    import html

    counters, uid = {"fig": 0, "tbl": 0}, "c" + re.sub(r"[^\w-]", "", prefix)
    kept = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if "remove-cell" in tags:
            continue
        if cell.cell_type != "code":
            kept.append(cell)
            continue
        opts = _cell_options(cell.source)
        if opts.get("include") is False:
            continue
        if "remove-output" in tags or opts.get("output") is False:
            cell.outputs = []
        caps = {k: opts.get(f"{k}-cap") for k in ("fig", "tbl")}
        outputs = []
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                continue
            data = out.get("data", {})
            if flavour == PRINT and "text/html" in data:
                if not any(m in data for m in _RICH):
                    continue  # an HTML-only output has no printable form (text/plain is a repr)
                del data["text/html"]
            elif "text/html" in data:  # "vis-1" -> "vis-c01_name-1": unique, and a valid CSS id selector
                data["text/html"] = re.sub(r'(id="|"#)vis-([\w-]+")', rf"\g<1>vis-{uid}-\2", data["text/html"])
            kind = "tbl" if "text/markdown" in data else "fig" if any(m.startswith("image/") for m in data) else None
            caption = caps.get(kind) if kind else None
            if isinstance(caption, list):  # one caption per figure/table output of the cell
                caption = caption[counters[kind]] if counters[kind] < len(caption) else None
                counters[kind] += 1
            if caption:
                caption = str(caption)
                if flavour == "html" and "text/html" in data:
                    label = f'<figcaption class="{kind}-cap">{html.escape(caption)}</figcaption>'
                    parts = [label, data["text/html"]] if kind == "tbl" else [data["text/html"], label]
                    data["text/html"] = f'<figure class="{kind}">\n' + "\n".join(parts) + "\n</figure>"
                elif kind == "tbl":
                    data["text/markdown"] = data["text/markdown"].rstrip() + f"\n\n: {caption}\n"
                else:
                    out.setdefault("metadata", {})["capnuoc_caption"] = caption.replace("]", "\\]")
            outputs.append(out)
        cell.outputs = outputs
        kept.append(cell)
    nb.cells = kept
    return nb


_exporters = threading.local()  # per thread: an exporter is not shared between threads


def warm_up() -> None:
    """Import what rendering uses (nbconvert alone takes 0,9 s), e.g. in a thread while the chapters run."""
    import nbconvert  # noqa: F401
    import pypandoc  # noqa: F401


def _exporter(flavour: str, template: str):
    """nbconvert's Markdown exporter of a flavour, with our template; compiling it takes longer than a chapter's export,
    so it is built once per flavour and template text."""
    from jinja2 import DictLoader
    from nbconvert import MarkdownExporter
    from traitlets.config import Config

    cache = getattr(_exporters, "cache", None)
    if cache is None:
        cache = _exporters.cache = {}
    if (flavour, template) not in cache:
        config = Config()
        config.NbConvertBase.display_data_priority = HTML_PRIORITY if flavour == "html" else PRINT_PRIORITY
        config.TemplateExporter.exclude_input = True
        config.TemplateExporter.exclude_input_prompt = True
        config.TemplateExporter.exclude_output_prompt = True
        exporter = MarkdownExporter(config=config, extra_loaders=[DictLoader({"capnuoc.md.j2": template})],
                                    template_file="capnuoc.md.j2")
        if flavour == PRINT:
            exporter.raw_mimetypes = ["text/markdown", ""]
        cache[(flavour, template)] = exporter
    return cache[(flavour, template)]


def notebook_markdown(notebook: Path, flavour: str, build_dir: Path, prefix: str) -> str:
    """One executed notebook as Markdown; its images are written to ``build_dir/<prefix>_files``."""
    import nbformat

    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception:  # noqa: BLE001 - any unreadable notebook is an input problem
        raise CapnuocInputError([violation(str(notebook), None, None, "render.notebook_invalid")]) from None
    exporter = _exporter(flavour, _template("capnuoc.md.j2"))
    resources = {"output_files_dir": f"{prefix}_files", "unique_key": prefix}
    body, resources = exporter.from_notebook_node(_prepare(nb, flavour, prefix), resources=resources)
    for name, blob in resources.get("outputs", {}).items():
        (build_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (build_dir / name).write_bytes(blob)
    return re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"


# ------------------------------------------------------------------------------ pandoc
def _pandoc(args: list[str], cwd: Path, what: str) -> None:
    import pypandoc

    proc = subprocess.run([pypandoc.get_pandoc_path(), *args], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", errors="replace")
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip()[-800:]
        raise CapnuocInputError([violation("pandoc", None, None, "render.pandoc_failed", what=what, tail=tail, build=str(cwd))])


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def cover_authors(book: Book) -> list[str]:
    """The authors the title block lists below the title: the organisation is on top already, never twice."""
    return [a for a in book.authors if not (book.organisation and _same_name(a, book.organisation))]


def _metadata(book: Book, build: Path, fmt: str, abstract: tuple[str, str] | None = None) -> Path:
    """Front matter; typst's title page and the DOCX cover show the organisation on top, HTML lists it first.

    Each name appears once: an author that is the organisation ("Ủy ban nhân dân tỉnh Cao Bằng" and
    "ỦY BAN NHÂN DÂN TỈNH CAO BẰNG") is not listed again.
    """
    meta = {"title": book.title, "lang": book.lang, "toc-title": "Mục lục"}
    apart = fmt != "html"  # the PDF's and the DOCX's covers put the organisation above the title themselves
    authors = cover_authors(book) if apart or book.organisation else list(book.authors)
    if book.organisation and not apart:
        authors = [book.organisation, *authors]
    for key, value in (("subtitle", book.subtitle), ("author", authors),
                       ("organisation", book.organisation if apart else None), ("date", book.date)):
        if value:
            meta[key] = value
    if abstract:  # (title, Markdown): pandoc's and Quarto's abstract, after the title block and before the contents
        meta["abstract-title"], meta["abstract"] = abstract
    if book.profile:  # Quarto's conditional content (when-profile) of the chapters
        meta["capnuoc-profile"] = book.profile
    if book.number_sections and book.number_depth:  # read by number-depth.lua, as Quarto passes it
        meta["number-depth"] = book.number_depth
    path = build / f"metadata-{fmt}.yaml"
    path.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


FILTERS = ("conditional-content.lua", "figure-captions.lua", "units-nbsp.lua")  # every format, in this order


def _filters(*names: str) -> list[str]:
    return [a for name in names for a in ("--lua-filter", str(TEMPLATES_DIR / name))]


def _reading(book: Book, build: Path, source: str, fmt: str) -> list[str]:
    """Reading ``source`` with the document's front matter, and the filters every format runs (they ask no FORMAT)."""
    summary = build / f"{Path(source).stem}.summary.md"
    abstract = tuple(summary.read_text(encoding="utf-8").split("\n", 1)) if summary.is_file() else None
    args = [source, "-f", "markdown", "--metadata-file", str(_metadata(book, build, fmt, abstract)),
            "--resource-path", str(build), *_filters(*FILTERS)]
    if book.number_sections and book.number_depth:  # pandoc has no number-depth: the filter Quarto's typst needs too
        args += _filters("number-depth.lua")
    return args


def _writing(book: Book, fmt: str) -> list[str]:
    """The writer's options every format shares: the contents and the section numbers."""
    # the PDF's contents are typst's outline, the DOCX's are written by _docx_contents: only HTML asks pandoc
    toc = ["--toc", "--toc-depth=2"] if fmt == "html" or (fmt == "typst" and book.title_page) else []
    return toc + (["--number-sections"] if book.number_sections else [])


PRINT_AST = "print.json"


def print_ast(book: Book, build: Path) -> Path:
    """The print text read once, with the shared filters applied, as pandoc's JSON: what the PDF and the DOCX are
    written from (reading and filtering took half of each of their pandoc runs)."""
    _pandoc(_reading(book, build, "print.md", PRINT) + ["-t", "json", "-o", PRINT_AST], build, "JSON")
    return build / PRINT_AST


def _from_print_ast(build: Path) -> list[str]:
    return [PRINT_AST, "-f", "json", "--resource-path", str(build)]


# -------------------------------------------------------------------------------- HTML


@functools.lru_cache(maxsize=1)
def _bundle() -> str:
    """vl-convert's bundle (about 2 s to build); it assigns ``window.vegaEmbed`` itself."""
    import vl_convert

    js = re.sub(r"(?<![.\w])export\s*\{[^{}:]*\}\s*;?\s*\Z", "", vl_convert.javascript_bundle())
    return js.replace("</script", "<\\/script")


def vega_header_html() -> str:
    """The bundle as a head ``<script>``, in a function scope (its top-level ``const`` stay local)."""
    return f'<script type="text/javascript">\n(function () {{\n{_bundle()}\n}})();\n</script>\n'


VEGA_MARK = "<!-- capnuoc: vega bundle -->"  # pandoc puts this line in the head; the bundle replaces it afterwards


def vega_header_file() -> Path:
    """Where the bundle's head script is kept: in the Python environment that has this vl-convert, named by its version
    and this module's content (which writes the script), built once by ``make install`` or by the first HTML rendered
    (building it takes vl-convert seconds)."""
    import hashlib
    import sys

    import vl_convert

    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    return Path(sys.prefix) / "share" / "capnuoc" / f"vega-header-{vl_convert.__version__}-{code}.html"


def vega_header() -> str:
    """The bundle's head script: from :func:`vega_header_file`, else built (and kept there when the folder is writable)."""
    target = vega_header_file()
    if target.is_file():
        return target.read_text(encoding="utf-8")
    from capnuoc_model.data import io

    header = vega_header_html()
    try:
        io.write_bytes(header.encode("utf-8"), target)  # atomic: renders at once never read half a file
    except OSError:  # a read-only environment: build it again next time
        pass
    return header


def page_mark_html(text: str) -> str:
    """A page mark as a banner that stays at the top of the window while reading (offline and Quarto HTML)."""
    import html

    return ('<div class="page-mark" role="note" style="position: sticky; top: 0; z-index: 10; margin: 0 -2mm 1em; '
            'padding: .35em .8em; background: #b71c1c; color: #fff; font-weight: bold; font-size: .95em; '
            f'text-align: center;">{html.escape(text)}</div>\n')


def page_mark_typst(text: str) -> str:
    """A page mark as the header of every typst page (Quarto's typst format; the offline template has its own)."""
    escaped = re.sub(r"([\\#\[\]*_`$<>@])", r"\\\1", text)
    return (f'#set page(header: align(center, text(size: 8.5pt, weight: "bold", '
            f'fill: rgb("#b71c1c"))[{escaped}]))\n')


def _page_mark_html(book: Book, build: Path) -> list[str]:
    if not book.page_mark:
        return []
    path = build / "page-mark.html"
    path.write_text(page_mark_html(book.page_mark), encoding="utf-8")
    return ["--include-before-body", str(path)]


# A document whose page one is its body (title-page: false) shows that body first on screen too: the table of
# contents moves below the body (the order of the flex column, not of the HTML, so links and print are unchanged).
_CSS_BODY_FIRST = ("\nbody { display: flex; flex-direction: column; } body > nav#TOC { order: 1; margin-top: 2em; }\n"
                   "header#title-block-header { margin-bottom: .8em; } header#title-block-header h1.title { font-size: 1.3em; }\n"
                   "header#title-block-header p { margin: .25em 0; } .subtitle { font-size: .95em; }\n")


def _render_html(book: Book, build: Path, target: Path, number: bool) -> None:
    css = _template("capnuoc.css") + (_template("capnuoc-numbers.css") if number else "") + ("" if book.title_page else _CSS_BODY_FIRST)
    (build / "capnuoc.css").write_text(css, encoding="utf-8")  # --css also drops pandoc's default CSS
    mark = build / "vega-mark.html"
    mark.write_text(VEGA_MARK + "\n", encoding="utf-8")
    # pandoc embeds the CSS; the Vega bundle (900 kB of script) goes in afterwards, unchanged: pandoc would spend
    # seconds reading it for resources it does not have, and indent its lines
    _pandoc(_reading(book, build, "html.md", "html") + _writing(book, "html") + [
        "-t", "html5", "--standalone", "--embed-resources", "--include-in-header", str(mark),
        *_page_mark_html(book, build), "--css", "capnuoc.css", "--section-divs", "-o", str(target)], build, "HTML")
    page = target.read_text(encoding="utf-8")
    at = page.find(VEGA_MARK)
    if at < 0:
        raise RuntimeError(f"{target}: pandoc left out the head's mark for the Vega bundle")
    target.write_text(page[:at] + vega_header() + page[at + len(VEGA_MARK) + 1:], encoding="utf-8")


# ---------------------------------------------------------------------------- PDF/typst
TYPST_FONTS = TEMPLATES_DIR / "typst-fonts.typ"  # the fonts, set in typst; Quarto includes the same file


DOCUMENT_FONTS = ("Times New Roman", "Liberation Serif")  # the one family of PDF, HTML, DOCX and charts
_VIETNAMESE = "1ea5 1ead 1ec7 1ed5 1eef 1ef9"  # ấ ậ ệ ổ ữ ỹ: a font without them is no document font
FONT_PACKAGE = "fonts-liberation2"  # the Debian package of Liberation Serif 2 (.ci/run installs it)


def font_dirs() -> list[str]:
    """Folders holding a font of :data:`DOCUMENT_FONTS` with the Vietnamese letters.

    ``$CAPNUOC_FONT_PATH`` first, then what fontconfig finds, then Debian's folder of Liberation 2.
    """
    dirs = [d for d in os.environ.get("CAPNUOC_FONT_PATH", "").split(os.pathsep) if d]
    if shutil.which("fc-list"):
        for family in DOCUMENT_FONTS:
            listing = subprocess.run(["fc-list", f":family={family}:charset={_VIETNAMESE}", "file"],
                                     capture_output=True, text=True)
            dirs += sorted({str(Path(line.split(":")[0]).parent) for line in listing.stdout.splitlines() if line.strip()})
    if Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf").is_file():
        dirs.append("/usr/share/fonts/truetype/liberation2")
    return list(dict.fromkeys(dirs))


def _render_pdf(book: Book, build: Path, target: Path, number: bool) -> None:
    import typst

    fonts = font_dirs()
    if not fonts:
        raise CapnuocInputError([violation("typst", None, None, "render.fonts_missing", fonts=" hoặc ".join(DOCUMENT_FONTS),
                                           package=FONT_PACKAGE)])
    template = build / "capnuoc.typst"
    template.write_text(_template("capnuoc.typ"), encoding="utf-8")
    typ = build / f"{book.basename}.typ"
    # --wrap=none: typst breaks a heading's line where pandoc wrapped its source (at half the width)
    labelled = [] if number else _filters("table-captions.lua")  # the caption a sticky block: it stays with its table
    _pandoc(_from_print_ast(build) + _writing(book, "typst") + labelled + _filters("landscape.lua") + [
        "-t", "typst", "--standalone", "--wrap=none", "--template", str(template), "--include-in-header", str(TYPST_FONTS),
        "-o", str(typ)]
        + ([] if number else ["-V", "capnuoc-unnumbered"]) + ([] if book.title_page else ["-V", "capnuoc-compact"])
        + (["-V", f"capnuoc-page-mark={book.page_mark}"] if book.page_mark else []), build, "typst")
    try:
        typst.compile(str(typ), output=str(target), root=str(build), font_paths=fonts)
    except Exception:  # noqa: BLE001 - typst raises TypstError or RuntimeError
        raise CapnuocInputError([violation("typst", None, None, "render.typst_failed", file=str(typ))]) from None


# -------------------------------------------------------------------------------- DOCX
# style: (size pt, bold, italic, alignment, space after pt); alignment "c"entre / "j"ustify
_DOCX_STYLES = {
    "Normal": (13, None, None, None, 6), "Body Text": (13, None, None, "j", 6),
    "First Paragraph": (13, None, None, "j", 6), "Compact": (13, None, None, None, 2),
    "Title": (15, True, None, "c", 6), "Subtitle": (14, True, None, "c", 6), "Author": (13, None, None, "c", 0),
    "Date": (13, None, True, "c", 6), "Heading 1": (14, True, False, None, 6), "Heading 2": (13, True, False, None, 6),
    "Heading 3": (13, True, True, None, 6), "Heading 4": (13, True, True, None, 6),
    "TOC Heading": (14, True, None, "c", 6), "Table Caption": (12, True, False, "c", 3),
    "Image Caption": (12, None, True, "c", 6), "Captioned Figure": (None, None, None, "c", 0),
    # the abstract, "Tóm tắt", the page after the cover: titled like the contents, its text like the body
    "Abstract Title": (14, True, False, "c", 6), "Abstract": (13, None, False, "j", 6),
}


REFERENCE_DOCX = TEMPLATES_DIR / "reference.docx"  # the DOCX styles of both renderers (_quarto.yml: reference-doc)


def reference_docx(build: Path) -> Path:
    """The project's reference document (:data:`REFERENCE_DOCX`), copied into the build folder."""
    target = build / "reference.docx"
    shutil.copyfile(REFERENCE_DOCX, target)
    return target


def write_reference_docx(target: Path = REFERENCE_DOCX) -> Path:
    """Pandoc's default reference.docx restyled for Decree 30/2020/NĐ-CP, written to ``target``.

    This is how report/templates/reference.docx was made; rerun it after changing the styles here
    (a test compares the file with what this writes).
    """
    import tempfile

    import pypandoc
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn
    from docx.shared import Cm, Mm, Pt, RGBColor

    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "pandoc-default-reference.docx"
        subprocess.run([pypandoc.get_pandoc_path(), "-o", str(raw), "--print-default-data-file", "reference.docx"],
                       check=True, capture_output=True)
        doc = Document(str(raw))
    for rfonts in doc.styles.element.iter(qn("w:rFonts")):  # theme fonts would win over font names
        for attr in [a for a in rfonts.attrib if "Theme" in a]:
            del rfonts.attrib[attr]
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            rfonts.set(qn(attr), "Times New Roman")
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = (
        Mm(20), Mm(20), Mm(30), Mm(15))
    section.header_distance = Mm(10)
    align = {"c": WD_ALIGN_PARAGRAPH.CENTER, "j": WD_ALIGN_PARAGRAPH.JUSTIFY, None: None}
    for name, (size, bold, italic, where, after) in _DOCX_STYLES.items():
        st = doc.styles[name]
        st.font.name, st.font.color.rgb = "Times New Roman", RGBColor(0, 0, 0)
        st.font.size = Pt(size) if size else st.font.size
        st.font.bold = bold if bold is not None else st.font.bold
        st.font.italic = italic if italic is not None else st.font.italic
        fmt = st.paragraph_format
        fmt.alignment = align[where] if where else fmt.alignment
        fmt.space_after = Pt(after)
        if name.startswith("Heading"):
            fmt.space_before, fmt.keep_with_next = Pt(12), True
            fmt.page_break_before = name == "Heading 1"
    body = doc.styles["Body Text"].paragraph_format
    body.first_line_indent, body.space_before, body.line_spacing = Cm(1), Pt(0), 1.15
    for name in ("Table Caption", "Captioned Figure"):  # a caption above its table, a figure above its caption
        doc.styles[name].paragraph_format.keep_with_next = True
    from docx.enum.style import WD_STYLE_TYPE

    for level in (1, 2):  # the contents' entries (docx_layout.contents): Word's built-in "toc N" styles
        toc = doc.styles.add_style(f"toc {level}", WD_STYLE_TYPE.PARAGRAPH)
        toc.element.set(qn("w:styleId"), f"TOC{level}")
        toc.base_style, toc.font.name, toc.font.size = doc.styles["Normal"], "Times New Roman", Pt(13)
        toc.font.bold = level == 1
        toc.paragraph_format.left_indent, toc.paragraph_format.space_after = Cm(0.6 * (level - 1)), Pt(3)
    tblpr = doc.styles["Table"].element.find(qn("w:tblPr"))  # borders on pandoc's "Table" style
    edges = "".join(f'<w:{e} w:val="single" w:sz="4" w:color="000000"/>'
                    for e in ("top", "left", "bottom", "right", "insideH", "insideV"))
    if tblpr is not None:
        for old in tblpr.findall(qn("w:tblBorders")):
            tblpr.remove(old)
        tblpr.append(parse_xml(f"<w:tblBorders {nsdecls('w')}>{edges}</w:tblBorders>"))
    # page number centred in the header from page 2 on (NĐ 30/2020, Phụ lục I)
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    header._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    doc.save(str(target))
    return target


def _render_docx(book: Book, build: Path, target: Path, number: bool) -> None:
    from docx import Document

    from capnuoc_model.publish import docx_layout

    _pandoc(_from_print_ast(build) + _writing(book, "docx") + _filters("landscape.lua") + [
        "-t", "docx+native_numbering" if number else "docx", "--reference-doc", str(reference_docx(build)), "-o", str(target)], build, "DOCX")
    doc = Document(str(target))  # Word fills the caption numbers and the contents' page numbers when the file is opened
    docx_layout.finish(doc, book.organisation, book.title_page)
    if book.page_mark:
        _docx_page_mark(doc, book.page_mark)
    doc.save(str(target))


def add_docx_page_mark(path: Path, text: str) -> None:
    """Add a page mark to every header of a DOCX file written by pandoc or Quarto."""
    from docx import Document

    doc = Document(str(path))
    _docx_page_mark(doc, text)
    doc.save(str(path))


def _docx_page_mark(doc, text: str) -> None:
    """The page mark above the page number in every header, the first page's included."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    for section in doc.sections:
        for header in (section.header, section.first_page_header):
            header.is_linked_to_previous = False
            first = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
            mark = first.insert_paragraph_before()
            mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = mark.add_run(text)
            run.font.bold, run.font.size, run.font.color.rgb = True, Pt(10), RGBColor(0xB7, 0x1C, 0x1C)


# ------------------------------------------------------------------------------- entry
def _copy_of(executed: Path, chapter: Path) -> bool:
    """An executed notebook is the chapter itself or its cached copy ("<stem>-<hash>.ipynb")."""
    return executed.stem == chapter.stem or executed.stem.startswith(chapter.stem + "-")


_FIRST_HEADING = re.compile(r"(?m)^#\s+(.+?)\s*(\{[^}]*\})?\s*$")


def abstract_of(markdown: str) -> str:
    """A chapter as an abstract: its first heading's text on the first line, then what follows the heading."""
    found = _FIRST_HEADING.search(markdown)
    if found is None:
        return "\n" + markdown.strip() + "\n"
    return found.group(1) + "\n" + markdown[found.end():].strip() + "\n"


def render_document(executed: list[Path], book: Book, out_dir: Path, formats=FORMATS,
                    build_dir: Path | None = None) -> dict[str, Path]:
    """Render executed notebooks (in chapter order) to ``<out_dir>/<basename>.<fmt>``."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format(s) {unknown}; expected some of {FORMATS}")
    problems = [violation(str(p), None, None, "render.not_a_notebook")
                for p in list(book.chapters) + list(executed) if Path(p).suffix != ".ipynb"]
    problems += [violation(str(p), None, None, "render.executed_missing")
                 for p in executed if Path(p).suffix == ".ipynb" and not Path(p).is_file()]
    if problems:
        raise CapnuocInputError(problems)
    out_dir = Path(out_dir).resolve()
    build = Path(build_dir).resolve() if build_dir else out_dir / "_build"
    out_dir.mkdir(parents=True, exist_ok=True)
    build.mkdir(parents=True, exist_ok=True)
    flavours = (["html"] if "html" in formats else []) + ([PRINT] if set(formats) - {"html"} else [])
    summary = next((i for i, nb in enumerate(executed) if book.summary is not None and _copy_of(Path(nb), book.summary)), None)
    texts = {}
    for flavour in flavours:
        parts = [notebook_markdown(Path(nb), flavour, build, f"{i:02d}_{Path(nb).stem}")
                 for i, nb in enumerate(executed, start=1)]
        (build / f"{flavour}.summary.md").unlink(missing_ok=True)
        if summary is not None and summary < len(parts):  # the abstract: its heading is the title, the rest the text
            (build / f"{flavour}.summary.md").write_text(abstract_of(parts.pop(summary)), encoding="utf-8")
        texts[flavour] = "\n\n".join(parts)
        (build / f"{flavour}.md").write_text(texts[flavour], encoding="utf-8")
    number = not any(_LABELLED.search(text) for text in texts.values())  # the notebooks label captions
    renderers = {"html": _render_html, "pdf": _render_pdf, "docx": _render_docx}
    # the formats at once: each is mostly pandoc (a process) and writes its own files in the build folder; PDF and
    # DOCX are written from the print text read once (print_ast), HTML from its own
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(formats) + 1) as pool:
        ast = pool.submit(print_ast, book, build) if PRINT in flavours else None

        def render(fmt: str) -> None:
            if fmt != "html":
                ast.result()
            renderers[fmt](book, build, out_dir / f"{book.basename}.{fmt}", number)

        jobs = [pool.submit(render, fmt) for fmt in formats]
        for job in jobs:  # in format order: the first failure is the one reported
            job.result()
    return {fmt: out_dir / f"{book.basename}.{fmt}" for fmt in formats}
