"""Display helpers for the notebooks: one chart theme, figures and tables that render in every format.

A figure is shown as one output carrying both an interactive Vega-Lite chart
(``text/html`` with a plain ``vegaEmbed`` call; the HTML renderer inlines the
Vega bundle, so no network is needed) and a static PNG (``image/png``) for PDF
and DOCX, followed by its numbered caption. A table is shown as ``text/html``
and ``text/markdown`` (a pipe table with a pandoc caption). Every number goes
through :mod:`capnuoc_model.fmt`.

Numbering is per chapter: the notebook says which chapter it is
(``start_chapter(2)``) and figures and tables count "Hình 2.1", "Bảng 2.1", ...
"""

from __future__ import annotations

import html
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt
import pandas as pd

from capnuoc_model import fmt

FONT = "DejaVu Sans"
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")
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


def _register_fonts() -> None:
    import vl_convert

    for directory in FONT_DIRS:
        if Path(directory).is_dir():
            vl_convert.register_font_directory(directory)


@dataclass
class _Counter:
    chapter: int = 0
    figures: itertools.count = field(default_factory=lambda: itertools.count(1))
    tables: itertools.count = field(default_factory=lambda: itertools.count(1))


_state = _Counter()
_ids = itertools.count(1)


def start_chapter(number: int) -> None:
    """Restart figure and table numbering for chapter ``number`` (call once per notebook)."""
    global _state
    _state = _Counter(chapter=number)
    _register_fonts()


def _label(kind: str, counter: itertools.count) -> str:
    n = next(counter)
    return f"{kind} {_state.chapter}.{n}" if _state.chapter else f"{kind} {n}"


class Markdown:
    """Markdown text (narrative sentences) for every format."""

    def __init__(self, text: str):
        self.text = text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/markdown": self.text, "text/plain": self.text}


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

    label = _label("Hình", _state.figures)
    display(FigureChart(chart, caption))
    display(Markdown(f"*{label}. {caption}*"))



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


class TableOutput:
    def __init__(self, frame: pd.DataFrame, label: str, caption: str, numeric: list[bool], note: str | None,
                 widths: list[int] | None = None):
        self.frame, self.label, self.caption, self.numeric, self.note = frame, label, caption, numeric, note
        self.widths = widths or [3] * len(numeric)  # relative column widths (pandoc: dashes of the rule line)

    def _markdown(self) -> str:
        def esc(text: str) -> str:
            return str(text).replace("|", "\\|").replace("\n", " ")

        header = "| " + " | ".join(esc(c) for c in self.frame.columns) + " |"
        rule = "|" + "|".join("-" * w + ":" if n else ":" + "-" * w for n, w in zip(self.numeric, self.widths)) + "|"
        rows = ["| " + " | ".join(esc(v) for v in row) + " |" for row in self.frame.itertuples(index=False)]
        text = "\n".join([header, rule, *rows, "", f": {self.label}. {self.caption}"])
        if self.note:
            text += f"\n\n*{self.note}*"
        return text

    def _html(self) -> str:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in self.frame.columns)
        body = "".join(
            "<tr>" + "".join(
                f'<td class="{"num" if n else "txt"}">{html.escape(str(v))}</td>' for v, n in zip(row, self.numeric)
            ) + "</tr>"
            for row in self.frame.itertuples(index=False)
        )
        note = f'<p class="table-note">{html.escape(self.note)}</p>' if self.note else ""
        return (f'<table class="capnuoc-table"><caption>{html.escape(self.label)}. {html.escape(self.caption)}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}")

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self._html(), "text/markdown": self._markdown(), "text/plain": self._markdown()}


def table(frame: pd.DataFrame, caption: str, decimals: dict[str, int] | None = None, note: str | None = None,
          widths: dict[str, int] | None = None):
    """Show a frame as a numbered table ("Bảng 2.1. ...") with Vietnamese number formats.

    ``widths`` gives some columns a relative width in PDF and DOCX (the others count 3).
    """
    from IPython.display import display

    label = _label("Bảng", _state.tables)
    numeric = [_is_number_column(frame[c]) for c in frame.columns]
    relative = [int((widths or {}).get(c, 3)) for c in frame.columns]
    display(TableOutput(format_frame(frame, decimals), label, caption, numeric, note, relative))


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
