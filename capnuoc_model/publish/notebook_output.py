"""Display helpers for the notebooks: one chart theme, figures and tables that render in every format.

A figure is shown as one output carrying both an interactive Vega-Lite chart
(``text/html`` with a plain ``vegaEmbed`` call; the HTML renderer inlines the
Vega bundle, so no network is needed) and a static PNG (``image/png``) for PDF
and DOCX, followed by its numbered caption. A table is shown as ``text/html``
and ``text/markdown`` (a pipe table with a pandoc caption). Every number goes
through :mod:`capnuoc_model.data.fmt`.

Numbering is per chapter: the notebook says which chapter it is
(``start_chapter(2)``, or ``start_chapter("A")`` for an appendix) and figures and tables count
"Hình 2.1", "Bảng A.1", ... A caption that carries its own label ("Biểu 01. ...") keeps that one
label and takes no number. In a document whose chapters are not numbered (the plan, whose sections
carry the plan's Roman numerals), :func:`number_captions` renumbers the chapters' labels through the
whole body ("Bảng 1", "Bảng 2", ...) once every chapter has run; the appendices keep "A.1", "B.2".

A table's column widths follow its content (:func:`column_widths`); a table whose columns cannot fit
a portrait A4 page is marked ``landscape`` (a turned page in PDF and DOCX, the window's width in HTML).
"""

from __future__ import annotations

import html
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from capnuoc_model.data import fmt
from capnuoc_model.publish.render import DOCUMENT_FONTS, font_dirs

# the documents' one font family (render.DOCUMENT_FONTS), as a CSS list: the browser and vl-convert take the first found
FONT = ", ".join(f"'{name}'" for name in DOCUMENT_FONTS) + ", serif"
PNG_SCALE = 2.0

# Colours of the plan's classes, best to worst (ColorBrewer RdYlGn-like, readable in grey print).
COVERAGE_COLOURS = {
    "Cao": "#1a9850", "Khá": "#91cf60", "Trung bình": "#fee08b", "Thấp": "#fc8d59", "Chưa có dịch vụ": "#9e9e9e",
}
LOSS_COLOURS = {"Thấp": "#1a9850", "Trung bình": "#fee08b", "Cao": "#fc8d59", "Rất cao": "#d73027"}
UTILISATION_COLOURS = {
    "Cao": "#1a9850", "Trung bình": "#91cf60", "Thấp": "#fee08b", "Rất thấp": "#fc8d59", "Vượt công suất": "#d73027",
}
SCENARIO_COLOUR = "#2c7fb8"
TARGET_COLOUR = "#d73027"

VEGA_LOCALE = {"number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " đ"]}}


def theme() -> dict:
    """The Vega-Lite config shared by every chart: Vietnamese-capable font and number format."""
    return {
        "config": {
            "font": FONT,
            "locale": VEGA_LOCALE,
            "view": {"stroke": None, "continuousWidth": 520, "continuousHeight": 280},
            "axis": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 11, "titleFontSize": 12, "grid": True, "gridColor": "#e6e6e6"},
            "legend": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 11, "titleFontSize": 11, "orient": "bottom"},
            "title": {"font": FONT, "fontSize": 13, "anchor": "start"},
            "header": {"labelFont": FONT, "titleFont": FONT},
            "text": {"font": FONT},
        }
    }


def class_scale(colours: dict[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(colours), range=list(colours.values()))


_fonts_registered = False  # per process: vl-convert keeps the font folders it was given


def _register_fonts() -> None:
    global _fonts_registered
    if _fonts_registered:
        return
    import vl_convert

    for directory in font_dirs():
        if Path(directory).is_dir():
            vl_convert.register_font_directory(directory)
    _fonts_registered = True


@dataclass
class _Counter:
    chapter: int | str = 0
    figures: itertools.count = field(default_factory=lambda: itertools.count(1))
    tables: itertools.count = field(default_factory=lambda: itertools.count(1))


_state = _Counter()
_ids = itertools.count(1)
OWN_LABEL = re.compile(r"^(Biểu|Bảng|Hình|Phụ lục)\s+[\w.]+?\.\s+")  # "Biểu 01. ...": the caption is labelled already
LABEL_KEY = "capnuoc-label"  # output metadata: the label this module wrote, renumbered by number_captions


def warm_up() -> None:
    """What a kernel's first chart would pay (vl-convert's start, the fonts), paid before its first chapter."""
    import vl_convert

    _register_fonts()
    vl_convert.vegalite_to_png({"data": {"values": [{"x": 1}]}, "mark": "bar", "encoding": {"x": {"field": "x", "type": "quantitative"}}})


def reset() -> None:
    """This module's state as on import (no chapter, chart ids from 1, the plain unit space), for a kernel that
    executes the next chapter (:mod:`capnuoc_model.publish.notebook_kernels`). The fonts stay registered."""
    global _state, _ids
    _state = _Counter()
    _ids = itertools.count(1)
    fmt.join_units(False)


def start_chapter(number: int | str) -> None:
    """Restart figure and table numbering for chapter ``number`` (call once per notebook).

    A letter is an appendix ("A": "Bảng A.1"). Numbers in the chapter's text are joined to their units by a
    no-break space from here on (:func:`capnuoc_model.data.fmt.join_units`).
    """
    global _state
    _state = _Counter(chapter=number)
    fmt.join_units()
    _register_fonts()


def _label(kind: str, counter: itertools.count) -> str:
    n = next(counter)
    return f"{kind} {_state.chapter}.{n}" if _state.chapter else f"{kind} {n}"


def _labelled(kind: str, counter: itertools.count, caption: str) -> tuple[str, dict]:
    """(caption with its one label, output metadata): a caption with its own label ("Biểu 01.") takes no number."""
    if OWN_LABEL.match(caption):
        return caption, {}
    label = _label(kind, counter)
    return f"{label}. {caption}", {LABEL_KEY: {"label": label, "kind": kind, "chapter": str(_state.chapter)}}


class Markdown:
    """Markdown text (narrative sentences) for every format."""

    def __init__(self, text: str, metadata: dict | None = None):
        self.text, self.metadata = text, metadata or {}

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/markdown": self.text, "text/plain": self.text}, self.metadata


class FigureChart:
    """An Altair chart as interactive HTML plus a static PNG."""

    def __init__(self, chart: alt.TopLevelMixin, alt_text: str):
        spec = chart.to_dict()
        spec.setdefault("config", {}).update({k: v for k, v in theme()["config"].items() if k not in spec["config"]})
        self.spec = spec
        self.alt_text = alt_text

    def _repr_mimebundle_(self, include=None, exclude=None):
        import vl_convert

        element = f"vis-{_state.chapter}-{next(_ids)}"  # unique across the chapters of one document
        spec_json = json.dumps(self.spec, ensure_ascii=False).replace("</", "<\\/")
        markup = (
            f'<div class="capnuoc-chart" id="{element}" role="img" aria-label="{html.escape(self.alt_text)}"></div>\n'
            f'<script type="text/javascript">vegaEmbed("#{element}", {spec_json}, '
            '{"actions": false, "renderer": "svg"});</script>'
        )
        png = vl_convert.vegalite_to_png(self.spec, scale=PNG_SCALE)
        return {"text/html": markup, "image/png": png, "text/plain": self.alt_text}


def figure(chart: alt.TopLevelMixin, caption: str):
    """Show a chart and its numbered caption ("Hình 2.1. ...")."""
    from IPython.display import display

    text, metadata = _labelled("Hình", _state.figures, caption)
    display(FigureChart(chart, caption))
    display(Markdown(f"*{text}*", metadata))



def _cell(value: object, decimals: int) -> str:
    if isinstance(value, str):
        return value
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return fmt.MISSING
    if isinstance(value, bool):
        return "có" if value else "không"
    return fmt.vn(float(value), decimals)


def format_frame(frame: pd.DataFrame, decimals: dict[str, int] | None = None) -> pd.DataFrame:
    """Every cell as Vietnamese text: percentages (columns with '%') one decimal, counts none."""
    decimals = decimals or {}
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        d = decimals.get(column, 1 if "%" in column else 0)
        out[column] = [_cell(v, d) for v in frame[column]]
    return out


# Room for a table's text, in characters of the table font: the narrower of the PDF (typst, 9 pt) and the
# DOCX (11-12 pt) on an A4 page with Decree 30 margins (165 mm of text width, 252 mm when turned).
PORTRAIT_CHARS = 84
LANDSCAPE_CHARS = 132
CELL_PADDING_CHARS = 2  # a cell's inner margins, in the same characters
LONGEST_WORD_CHARS = 24  # a longer token (a file path, an identifier) gets places to break
ZWSP = "\u200b"  # zero-width space: where a long token may break, in typst, Word and browsers alike
_WORD = re.compile(r"[^\s\u200b]+")
_BREAK_AFTER = re.compile(r"(?<=[_./\\-])(?=[^\s_./\\-])")


def _longest_word(text: str) -> int:
    return max((len(w) for w in _WORD.findall(str(text))), default=0)


def breakable(text: str, longest: int = LONGEST_WORD_CHARS) -> str:
    """``text`` with a zero-width space after each "_", ".", "/" of a token longer than ``longest`` characters,
    and within what is still longer: a column never has to be as wide as a file path or an identifier."""
    def split(word: str) -> str:
        if len(word) <= longest:
            return word
        parts = _BREAK_AFTER.sub(ZWSP, word).split(ZWSP)
        return ZWSP.join(ZWSP.join(p[i:i + longest] for i in range(0, len(p), longest)) for p in parts)

    return re.sub(r"[^\s]+", lambda m: split(m.group(0)), str(text))


def column_widths(frame: pd.DataFrame, preferred: list[float] | None = None) -> tuple[list[float], bool]:
    """Each column's width in characters, following its content, and whether the table needs a landscape page.

    A column is at least as wide as its longest word (header included: headers wrap between words) and at
    most as wide as its longest cell. When the longest cells fit, columns take them; otherwise the room
    left after every column's longest word is shared in proportion to how much more each column would
    want, as a browser lays out a table. A table whose longest words do not fit a portrait page goes on
    a landscape page. ``preferred`` relative widths replace what the columns want, never below their words.
    """
    if frame.shape[1] == 0:
        return [], False
    least, most = [], []
    for column in frame.columns:
        cells = [str(v).replace(ZWSP, "") for v in frame[column]]
        words = max([_longest_word(column), *(_longest_word(v) for v in frame[column])])
        widest = max([math.ceil(len(str(column).replace(ZWSP, "")) / 3), *(len(c) for c in cells)])
        least.append(float(words))
        most.append(float(max(widest, words)))
    padding = CELL_PADDING_CHARS * len(least)
    landscape = sum(least) + padding > PORTRAIT_CHARS
    room = (LANDSCAPE_CHARS if landscape else PORTRAIT_CHARS) - padding
    if preferred:
        most = [max(lo, w / sum(preferred) * room) for lo, w in zip(least, preferred)]
    if sum(most) <= room:
        return most, landscape
    spare, wanted = max(room - sum(least), 0.0), sum(most) - sum(least)
    return [lo + (hi - lo) * spare / wanted for lo, hi in zip(least, most)], landscape


class TableOutput:
    def __init__(self, frame: pd.DataFrame, label: str, caption: str, numeric: list[bool], note: str | None,
                 widths: list[float] | None = None, landscape: bool = False, metadata: dict | None = None,
                 estimated: pd.DataFrame | None = None):
        """``label`` is the caption's label ("Bảng 2.1", or "" when ``caption`` carries its own, "Biểu 01. ...");
        ``widths`` relative widths the columns prefer (:func:`column_widths`); ``estimated`` the cells (same shape
        as ``frame``, True/False) shown as estimates: in italics with the mark :data:`ESTIMATE_MARK`."""
        frame = frame.map(breakable).rename(columns=breakable)
        self.frame, self.label, self.caption, self.numeric, self.note = frame, label, caption, numeric, note
        marks = estimated.to_numpy(dtype=bool) if estimated is not None else np.zeros(frame.shape, dtype=bool)
        if marks.shape != frame.shape:
            raise ValueError(f"estimated cells {marks.shape} do not match the table {frame.shape}")
        self.estimated = marks & (frame.to_numpy() != fmt.MISSING)  # a missing value is no estimate
        marked = frame.mask(pd.DataFrame(self.estimated, index=frame.index, columns=frame.columns),
                            frame + ESTIMATE_MARK)
        self.widths, wide = column_widths(marked, widths)  # characters; pandoc takes them as the dashes of the rule line
        self.landscape = landscape or wide
        self.metadata = metadata or {}

    @property
    def title(self) -> str:
        return f"{self.label}. {self.caption}" if self.label else self.caption

    def _rule(self) -> str:
        # a column's share of the page is its text and its cell margins; pandoc takes relative widths from the
        # dashes only when a line is longer than 72 characters
        total = [w + CELL_PADDING_CHARS for w in self.widths]
        scale = max(1.0, 100 / max(sum(total), 1))
        dashes = [max(3, round(w * scale)) for w in total]
        return "|" + "|".join("-" * d + ":" if n else ":" + "-" * d for n, d in zip(self.numeric, dashes)) + "|"

    def _markdown(self) -> str:
        def esc(text: str) -> str:
            return str(text).replace("|", "\\|").replace("\n", " ")

        def cell(text: str, estimate: bool) -> str:
            return f"*{esc(text)}*\\{ESTIMATE_MARK}" if estimate else esc(text)

        header = "| " + " | ".join(esc(c) for c in self.frame.columns) + " |"
        rows = ["| " + " | ".join(cell(v, e) for v, e in zip(row, marks)) + " |"
                for row, marks in zip(self.frame.itertuples(index=False), self.estimated)]
        text = "\n".join([header, self._rule(), *rows, "", f": {self.title}"])
        if self.note:
            text += "\n\n*" + self.note.replace("*", "\\*") + "*"
        return f"::: {{.landscape}}\n{text}\n:::" if self.landscape else text

    def _html(self) -> str:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in self.frame.columns)
        body = "".join(
            "<tr>" + "".join(
                f'<td class="{"num" if n else "txt"}">'
                + (f"<em>{html.escape(str(v))}</em>{ESTIMATE_MARK}" if e else html.escape(str(v))) + "</td>"
                for v, n, e in zip(row, self.numeric, marks)
            ) + "</tr>"
            for row, marks in zip(self.frame.itertuples(index=False), self.estimated)
        )
        note = f'<p class="table-note">{html.escape(self.note)}</p>' if self.note else ""
        markup = (f'<table class="capnuoc-table"><caption>{html.escape(self.title)}</caption>'
                  f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}")
        return f'<div class="landscape">{markup}</div>' if self.landscape else markup

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {"text/html": self._html(), "text/markdown": self._markdown(), "text/plain": self._markdown()}
        return data, self.metadata


ESTIMATE_MARK = "*"  # after an estimated cell (in italics); the table's note gives the legend
ESTIMATE_LEGEND = f"{ESTIMATE_MARK} ước tính — xem Phụ lục B.4 (nguồn hoặc phương pháp ước tính của từng giá trị)."
# the evaluation has no Phụ lục B: its base-year values are the plan's, explained in the plan's annex
ESTIMATE_LEGEND_PLAN = (f"{ESTIMATE_MARK} ước tính — số liệu năm hiện trạng dựng lại trong tài liệu Kế hoạch, xem Phụ lục B.4 "
                        "của tài liệu đó (nguồn hoặc phương pháp ước tính của từng giá trị).")


def table(frame: pd.DataFrame, caption: str, decimals: dict[str, int] | None = None, note: str | None = None,
          widths: dict[str, int] | None = None, estimated: pd.DataFrame | None = None, legend: str = ESTIMATE_LEGEND):
    """Show a frame as a numbered table ("Bảng 2.1. ...") with Vietnamese number formats.

    Column widths follow the content (:func:`column_widths`); ``widths`` gives the relative widths some
    columns prefer (the others count 3), never narrower than their longest word. ``estimated`` (True/False,
    the frame's shape) marks the estimated cells: italics, :data:`ESTIMATE_MARK` and ``legend`` in the note.
    """
    from IPython.display import display

    text, metadata = _labelled("Bảng", _state.tables, caption)
    label = metadata[LABEL_KEY]["label"] if metadata else ""
    numeric = [_is_number_column(frame[c]) for c in frame.columns]
    relative = [float((widths or {}).get(c, 3)) for c in frame.columns] if widths else None
    if estimated is not None and estimated.to_numpy(dtype=bool).any():
        note = f"{note} {legend}" if note else legend
    display(TableOutput(format_frame(frame, decimals), label, text[len(label) + 2:] if label else text, numeric, note,
                        relative, metadata=metadata, estimated=estimated))


def _is_number_column(column: pd.Series) -> bool:
    """Numbers, possibly with "chưa có số liệu" cells (a value not reported is not a zero): right-aligned."""
    if pd.api.types.is_bool_dtype(column):
        return False
    if pd.api.types.is_numeric_dtype(column):
        return True
    values = [v for v in column if not (v == fmt.NOT_REPORTED if isinstance(v, str) else pd.isna(v))]
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)



def say(text: str):
    """Show a generated sentence (its numbers already formatted by fmt)."""
    from IPython.display import display

    display(Markdown(text))


ANALYSIS_LABEL = "Phân tích của mô hình"


def analysis(text: str | None = None):
    """Open the model's analysis inside the plan's text: a marked lead-in, so that it never reads as the plan."""
    say(f"**{ANALYSIS_LABEL}** (không thuộc văn bản Kế hoạch)" + (f". {text}" if text else ""))


def plan_chapter(plan, chapter: int | str, inserts: dict | None = None) -> None:
    """Chapter ``chapter`` of the plan's own text (``plan.text``, word for word), each insert at its place.

    ``inserts`` maps a place of :data:`capnuoc_model.data.plan.TEXT_INSERTS` to a function that shows what goes
    there (a Biểu of the plan rebuilt from data, or the model's analysis); those the text has no place for
    come at the end of the chapter, in their order, so that nothing is lost for a plan laid out differently.
    """
    pending = dict(inserts or {})
    parts = plan.text.parts(chapter) if plan.text is not None else ()
    for kind, value in parts:
        if kind == "text":
            say(value)
        elif value in pending:
            pending.pop(value)()
    for show in pending.values():
        show()


# ------------------------------------------------------------------------- numbering through the document
_TEXT_MIMES = ("text/markdown", "text/html", "text/plain")


def number_captions(executed: list[Path], folder: Path, through: bool) -> list[Path]:
    """The executed chapters with their caption labels final, in book order.

    ``through`` (a document whose chapters are not numbered): the labels of numbered chapters
    ("Bảng 3.2") become one count through the body ("Bảng 7"), figures and tables apart; appendix labels
    ("Bảng A.1") stay. Otherwise every label stays as its chapter wrote it. A chapter whose labels change is
    written to ``folder`` (same name); the others are returned as they are.
    """
    import nbformat

    if not through:
        return list(executed)
    counts: dict[str, int] = {}
    out = []
    for path in executed:
        notebook = nbformat.read(path, as_version=4)
        changed = False
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                mark = output.get("metadata", {}).get(LABEL_KEY)
                if not mark or not str(mark.get("chapter", "")).isdigit():
                    continue
                counts[mark["kind"]] = counts.get(mark["kind"], 0) + 1
                final = f"{mark['kind']} {counts[mark['kind']]}"
                for mime in _TEXT_MIMES:
                    if isinstance(output.get("data", {}).get(mime), str):
                        output["data"][mime] = output["data"][mime].replace(f"{mark['label']}. ", f"{final}. ", 1)
                output["metadata"][LABEL_KEY] = {**mark, "label": final}
                changed = True
        if changed:
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / Path(path).name
            nbformat.write(notebook, target)
            out.append(target)
        else:
            out.append(Path(path))
    return out
