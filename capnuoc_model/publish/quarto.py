"""Real Quarto: what plain ``quarto render`` runs in the clone, and ``capnuoc report``'s Quarto path.

Quarto does not execute an ``.ipynb`` unless told to, and when it does it writes the outputs and an
injected-parameters cell back into the source notebook. So Quarto never executes anything here;
papermill does, into capnuoc's cache (``report.build_report``), and Quarto gets the executed copies:

* plain ``quarto render`` (``_quarto.yml`` and a profile file, ``_quarto-<document>.yml``): the
  project's pre-render script (:func:`capnuoc_model.publish.quarto_scripts.pre_render`) executes the active document's chapters and
  records which executed copy belongs to which source; the notebook filter of
  ``notebooks/_metadata.yml`` (:func:`ipynb_filter`) swaps each source for its executed copy; the
  post-render script (:func:`post_render`) cleans the HTML. The tracked notebooks stay unchanged.
* ``capnuoc report`` with Quarto (:func:`render_project`): a generated project folder in the cache
  holds the executed chapters at their usual paths and a ``_quarto.yml`` derived from the root one
  (the document's profile merged in, front matter from the report, only the formats asked for, no
  scripts, nothing to execute); one ``quarto render --no-execute`` renders every format at once,
  then the outputs are copied out and the generated folder (with its ``.quarto/``) is removed.

Quarto documentation relied on: project profiles (https://quarto.org/docs/projects/profiles.html),
pre/post-render scripts and their environment (https://quarto.org/docs/projects/scripts.html),
notebook filters (https://quarto.org/docs/extensions/nbfilter.html), rendering .ipynb without
execution (https://quarto.org/docs/computations/python.html), ``quarto render`` options
(https://quarto.org/docs/cli/render.html) and QUARTO_PYTHON
(https://quarto.org/docs/advanced/environment-vars.html).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from capnuoc_model.publish import render  # light: the notebook filter runs once per chapter and format
from capnuoc_model.data.messages import text

REPO_ROOT = Path(__file__).resolve().parents[2]
QUARTO_FILE = "_quarto.yml"
TO = {"html": "html", "pdf": "typst", "docx": "docx"}  # capnuoc's format names -> Quarto's
OUTPUT_DIR = "_book"  # of a generated project
GENERATED = Path("output") / "quarto"  # what the pre-render script writes for plain `quarto render`
VEGA_HEADER = GENERATED / "vega-header.html"  # _quarto.yml: format.html.include-in-header
EXECUTED_INDEX = "executed-{profile}.json"  # sha256 of a source notebook -> its executed copy
MESSAGE_TAIL = 3000  # characters of Quarto's own message shown to the user

# For any HTML output of a notebook, Quarto adds require.js and jQuery from a CDN and a `define` call
# that fails without them; the charts need neither (vegaEmbed is in the page).
_CDN_WIDGET_TAGS = re.compile(
    r'[ \t]*<script\b[^>]*\bsrc="https://cdnjs\.cloudflare\.com/ajax/libs/(?:require\.js|jquery)/[^"]*"[^>]*>\s*</script>[ \t]*\n?'
    r"|[ \t]*<script\b[^>]*>\s*define\('jquery',\s*\[\],\s*function\(\)\s*\{\s*return window\.jQuery;\s*\}\)\s*;?\s*</script>[ \t]*\n?")


class QuartoError(Exception):
    """Quarto failed, or did not write what it should have; the message carries Quarto's own."""


# --------------------------------------------------------------------------- shared pieces
def quarto_notebook(executed: Path) -> str:
    """An executed chapter as Quarto should read it (JSON): as the offline renderer shows it, no stream outputs."""
    notebook = json.loads(Path(executed).read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = [o for o in cell.get("outputs", []) if o.get("output_type") != "stream"]
    return json.dumps(notebook, ensure_ascii=False, indent=1) + "\n"


def write_vega_header(target: Path) -> Path:
    """vl-convert's vegaEmbed bundle as a head ``<script>``: the one the offline renderer inlines."""
    target.parent.mkdir(parents=True, exist_ok=True)
    text = render.vega_header()
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return target


def drop_cdn_widget_scripts(html_file: Path) -> bool:
    """Remove the CDN require.js/jQuery tags Quarto adds to notebook pages; True when the file changed."""
    text = html_file.read_text(encoding="utf-8")
    cleaned = _CDN_WIDGET_TAGS.sub("", text)
    if cleaned != text:
        html_file.write_text(cleaned, encoding="utf-8")
    return cleaned != text


def active_profile(quarto_yml: Path, environ=os.environ) -> str | None:
    """The document Quarto renders: the first name of ``QUARTO_PROFILE`` that has a profile file, else the default."""
    for name in (n.strip() for n in environ.get("QUARTO_PROFILE", "").split(",")):
        if name and render.profile_file(quarto_yml, name) is not None:
            return name
    return render.read_project(quarto_yml)[1]


def source_key(data: bytes) -> str:
    """The key of a source notebook in the pre-render index: the sha256 of its bytes."""
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------- plain `quarto render` in the clone
def ipynb_filter(source: bytes, root: Path = REPO_ROOT) -> bytes:
    """Quarto's notebook filter: the executed copy of the chapter read on stdin (JSON, UTF-8).

    A notebook the pre-render script has not executed (Quarto may read a chapter's title before that
    script runs, and a notebook can be rendered on its own) passes unchanged.
    """
    key = source_key(source)
    for index_file in sorted((root / GENERATED).glob(EXECUTED_INDEX.format(profile="*"))):
        executed = json.loads(index_file.read_text(encoding="utf-8")).get(key)
        if executed and Path(executed).is_file():
            return quarto_notebook(Path(executed)).encode("utf-8")
    return source


def post_render(environ=os.environ) -> int:
    """Quarto's post-render script: clean the HTML pages it wrote (``QUARTO_PROJECT_OUTPUT_FILES``)."""
    files = [Path(f) for f in environ.get("QUARTO_PROJECT_OUTPUT_FILES", "").splitlines() if f.strip()]
    if not files and environ.get("QUARTO_PROJECT_OUTPUT_DIR"):
        files = list(Path(environ["QUARTO_PROJECT_OUTPUT_DIR"]).rglob("*.html"))
    for html_file in files:
        if html_file.suffix == ".html" and html_file.is_file():
            drop_cdn_widget_scripts(html_file)
    return 0


# ------------------------------------------------------------- `capnuoc report` with Quarto
def project_config(book: render.Book, formats: tuple[str, ...], config_file: Path = REPO_ROOT / QUARTO_FILE) -> dict:
    """The generated project's ``_quarto.yml``: the root one with the document's profile merged in.

    Front matter comes from ``book`` (a scenario label or an example's banner changes it), only the
    formats asked for are kept, and there is nothing to run: no scripts, no execution.
    """
    config, _ = render.read_project(config_file, book.profile)
    config = {k: v for k, v in config.items() if k not in ("capnuoc", "profile")}
    project = {k: v for k, v in (config.get("project") or {}).items() if k not in ("pre-render", "post-render")}
    config["project"] = {**project, "output-dir": OUTPUT_DIR}
    book_config = dict(config.get("book") or {})
    book_config.update({"title": book.title, "output-file": book.basename})
    for key, value in (("subtitle", book.subtitle), ("author", list(book.authors)), ("date", book.date)):
        if value:
            book_config[key] = value
        else:
            book_config.pop(key, None)
    config["book"] = book_config
    config["execute"] = {**(config.get("execute") or {}), "enabled": False}
    config["format"] = {TO[f]: (config.get("format") or {}).get(TO[f]) or "default" for f in formats}
    return config


def _project_files(config: dict, root: Path) -> set[Path]:
    """Files the configuration names by a path relative to the project (includes, filters, CSS, reference-doc)."""
    found: set[Path] = set()

    def visit(value) -> None:
        if isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)
        elif isinstance(value, str) and not value.endswith(".ipynb") and "/" in value and (root / value).is_file():
            found.add(Path(value))

    visit(config.get("format") or {})
    return found


def _inside(path: Path, root: Path) -> Path:
    """A chapter's path relative to the project (Quarto renders only chapters inside it)."""
    if not path.is_absolute():
        return path
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError:
        raise QuartoError(text("quarto.chapter_outside", path=path, root=root)) from None


def generate_project(book: render.Book, chapters: list[tuple[Path, Path]], formats: tuple[str, ...], work: Path,
                     config_file: Path = REPO_ROOT / QUARTO_FILE) -> Path:
    """Write the project Quarto renders for ``capnuoc report`` into ``work`` (replacing it); returns ``work``.

    ``chapters`` are (source, executed copy) pairs; each executed copy goes where its source is in the
    project, so pages and links are named as in a plain ``quarto render``.
    """
    import yaml

    root = Path(config_file).parent
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    config = project_config(book, formats, config_file)
    config["book"]["chapters"] = _relative_chapters(config["book"].get("chapters") or [], root)
    for source, executed in chapters:
        target = work / _inside(Path(source), root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(quarto_notebook(executed), encoding="utf-8")
    for relative in _project_files(config, root):
        (work / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / relative, work / relative)
    if "html" in formats:  # format.html.include-in-header (what the pre-render script writes for plain Quarto)
        write_vega_header(work / VEGA_HEADER)
    if book.summary is not None:
        _summary_as_abstract(config, book.summary, dict(chapters), work, root)
    if book.page_mark:
        _add_page_mark(config, book.page_mark, work)
    (work / QUARTO_FILE).write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return work


def _summary_as_abstract(config: dict, summary: Path, executed: dict, work: Path, root: Path) -> None:
    """The summary chapter (``capnuoc: summary:``) becomes the book's abstract, as the offline renderer prints it:
    after the title block and before the contents (_quarto-plan.yml says why); it leaves the chapters."""
    source = next((s for s in executed if Path(s) == summary or _inside(Path(s), root) == summary), None)
    if source is None:
        return
    relative = str(_inside(summary, root))

    def drop(entries: list) -> list:
        return [{**e, "chapters": drop(e["chapters"] or [])} if isinstance(e, dict) and "chapters" in e else e
                for e in entries if e != relative]

    config["book"]["chapters"] = drop(config["book"]["chapters"])
    title, text = render.abstract_of(render.notebook_markdown(Path(executed[source]), "print", work, "summary")).split("\n", 1)
    config["book"]["abstract"] = text.strip()
    config.setdefault("language", {})["section-title-abstract"] = title


def _add_page_mark(config: dict, text: str, work: Path) -> None:
    """The document's page mark (``page-mark``): a banner before the HTML body, a typst page header (DOCX: after rendering)."""
    files = {"html": ("include-before-body", "page-mark.html", render.page_mark_html(text)),
             "typst": ("include-in-header", "page-mark.typ", render.page_mark_typst(text))}
    for fmt, (key, name, content) in files.items():
        options = config["format"].get(fmt)
        if options is None:
            continue
        options = {} if options == "default" else dict(options)
        (work / name).write_text(content, encoding="utf-8")
        before = options.get(key) or []
        options[key] = ([before] if isinstance(before, str) else list(before)) + [name]
        config["format"][fmt] = options


def _relative_chapters(entries: list, root: Path) -> list:
    """book.chapters with every path relative to the project (``part:`` groups kept)."""
    out = []
    for entry in entries:
        if isinstance(entry, dict):
            out.append({**entry, **({"chapters": _relative_chapters(entry["chapters"] or [], root)} if "chapters" in entry else {})})
        else:
            out.append(str(_inside(Path(entry), root)))
    return out


def render_project(quarto: str, book: render.Book, chapters: list[tuple[Path, Path]], folder: Path,
                   formats: tuple[str, ...], work: Path, config_file: Path = REPO_ROOT / QUARTO_FILE) -> dict[str, Path]:
    """Render the executed ``chapters`` ((source, executed copy) pairs) with one ``quarto render`` into ``folder``.

    Every format in one pass and nothing executed; a failure raises :class:`QuartoError` with Quarto's
    message and leaves ``folder`` to the caller (the previous outputs stay) and the generated project
    in ``work`` for a look (without Quarto's ``.quarto/``).
    """
    project = generate_project(book, chapters, formats, work, config_file)
    env = dict(os.environ, QUARTO_PYTHON=sys.executable)
    env.pop("QUARTO_PROFILE", None)
    if book.profile:  # conditional content (when-profile) of the home page
        env["QUARTO_PROFILE"] = book.profile
    try:
        done = subprocess.run([quarto, "render", "--no-execute"], cwd=project, env=env, capture_output=True,
                              text=True, encoding="utf-8", errors="replace")
    except OSError as exc:
        from capnuoc_model.data.io import os_reason

        raise QuartoError(text("quarto.cannot_run", quarto=quarto, reason=os_reason(exc))) from None
    from capnuoc_model.data import io

    shutil.rmtree(project / ".quarto", ignore_errors=True)  # Quarto's scratch folder: never left behind
    if done.returncode != 0:
        message = (done.stderr.strip() or done.stdout.strip())[-MESSAGE_TAIL:]
        raise QuartoError(text("quarto.failed", code=done.returncode, message=message, project=io.display_path(project)))
    built = project / OUTPUT_DIR
    expected = {"html": built / "index.html", "pdf": built / f"{book.basename}.pdf", "docx": built / f"{book.basename}.docx"}
    missing = [io.display_path(expected[f]) for f in formats if not expected[f].is_file()]
    if missing:
        raise QuartoError(text("quarto.nothing_made", missing=", ".join(missing), project=io.display_path(project)))
    for html_file in built.rglob("*.html"):
        drop_cdn_widget_scripts(html_file)
    if book.page_mark and "docx" in formats:  # Quarto has no option for a DOCX header: added as the offline path does
        render.add_docx_page_mark(expected["docx"], book.page_mark)
    for item in built.iterdir():
        if item.is_dir():
            shutil.copytree(item, folder / item.name, dirs_exist_ok=True)
        else:
            shutil.copy2(item, folder / item.name)
    shutil.rmtree(project, ignore_errors=True)  # its .quarto/ and the copies: everything is in the output folder
    return {f: folder / expected[f].name for f in formats}


__all__ = ["QuartoError", "render_project", "generate_project", "project_config", "ipynb_filter",
           "post_render", "quarto_notebook", "drop_cdn_widget_scripts", "write_vega_header", "active_profile"]
