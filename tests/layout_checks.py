"""Layout checks of rendered documents, as a reviewer reads them page by page (issue 12, items 11-16).

Each check takes a rendered file and returns a list of problems (empty: the check passes), so that a
test can show every problem at once. PDF checks read word and character boxes with pdfplumber; the HTML
check lays the page out in headless Chromium at 1280 px; the DOCX checks read python-docx's XML.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

UNITS = ("%", "người", "m³", "tỷ", "triệu", "đồng", "km", "giờ", "tháng", "năm", "l/", "lít")
CAPTION = re.compile(r"^(Bảng|Hình|Biểu)\s+[0-9A-Z]+(\.\d+)?\.\s")
TWO_LABELS = re.compile(r"(?m)^(?::\s*)?(Bảng|Hình|Biểu)\s+[0-9A-Z]+(\.\d+)?\.\s+(Bảng|Hình|Biểu)\s+\d")  # a caption's start
VIETNAMESE_STACKED = "ẫậệổữỹẪẬỆỔỮỸấầẩẫậắằẳẵặếềểễệốồổỗộớờởỡợứừửữự"


# --------------------------------------------------------------------------------------- PDF
@dataclass
class Line:
    page: int
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool


@dataclass
class PdfLayout:
    """What the checks need of a PDF, read once: lines, tables (cell boxes), images, fonts, text width."""

    pages: int
    width: float
    text_left: float
    text_right: float
    lines: list[Line] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)
    images: dict[int, list[tuple[float, float, float, float]]] = field(default_factory=dict)
    tables: dict[int, list[tuple[float, float, float, float]]] = field(default_factory=dict)
    fonts: set[str] = field(default_factory=set)
    vietnamese_fonts: set[str] = field(default_factory=set)


def _family(fontname: str) -> str:
    """'ABCDEF+LiberationSerif-BoldItalic' -> 'LiberationSerif'."""
    name = fontname.split("+", 1)[-1]
    return re.split(r"[-,]", name)[0]


def read_pdf(path: Path) -> PdfLayout:
    import pdfplumber

    overlaps, cells_out = [], []
    with pdfplumber.open(str(path)) as pdf:
        first = pdf.pages[0]
        layout = PdfLayout(pages=len(pdf.pages), width=float(first.width), text_left=float(first.width), text_right=0.0)
        for number, page in enumerate(pdf.pages, start=1):
            words = page.extract_words(extra_attrs=["fontname", "size"], keep_blank_chars=False, use_text_flow=True)
            for char in page.chars:
                layout.fonts.add(_family(char["fontname"]))
                if char["text"] in VIETNAMESE_STACKED:
                    layout.vietnamese_fonts.add(_family(char["fontname"]))
            # words whose boxes overlap each other: text drawn over text
            ordered = sorted(words, key=lambda w: (round(w["top"]), w["x0"]))
            for i, a in enumerate(ordered):
                for b in ordered[i + 1:i + 40]:
                    if b["top"] > a["bottom"]:
                        break
                    dx = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
                    dy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
                    if dx > 1.0 and dy > 0.5 * min(a["bottom"] - a["top"], b["bottom"] - b["top"]):
                        overlaps.append(f"trang {number}: «{a['text']}» đè lên «{b['text']}»")
            # tables: every character inside the table lies inside one of its cells
            found = page.find_tables()
            layout.tables[number] = [t.bbox for t in found]
            for table in found:
                cells = [c for c in table.cells if c]
                tx0, ttop, tx1, tbottom = table.bbox
                for char in page.chars:
                    if not char["text"].strip():
                        continue
                    cx, cy = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
                    if not (tx0 <= cx <= tx1 and ttop <= cy <= tbottom):
                        continue
                    if not any(c[0] - 0.6 <= char["x0"] and char["x1"] <= c[2] + 0.6 and c[1] - 0.6 <= cy <= c[3] + 0.6
                               for c in cells):
                        cells_out.append(f"trang {number}: «{char['text']}» ra ngoài ô bảng ({char['x0']:.0f}–{char['x1']:.0f})")
            layout.images[number] = [(float(i["x0"]), float(i["top"]), float(i["x1"]), float(i["bottom"])) for i in page.images]
            for line in _lines(words):
                layout.lines.append(Line(number, *line))
                if line[0].strip() and not line[0].strip().isdigit():
                    layout.text_left = min(layout.text_left, line[1])
                    layout.text_right = max(layout.text_right, line[2])
    layout.problems["overlap"] = overlaps
    layout.problems["cells"] = sorted(set(cells_out))[:50]
    return layout


def _lines(words) -> list[tuple]:
    """Words grouped into lines: (text, x0, x1, top, bottom, size, bold)."""
    rows: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if rows and abs(rows[-1][0]["top"] - word["top"]) < 2.0 and word["x0"] >= rows[-1][-1]["x1"] - 1:
            rows[-1].append(word)
        else:
            rows.append([word])
    out = []
    for row in rows:
        out.append((" ".join(w["text"] for w in row), min(w["x0"] for w in row), max(w["x1"] for w in row),
                    min(w["top"] for w in row), max(w["bottom"] for w in row), max(w["size"] for w in row),
                    all("Bold" in w["fontname"] for w in row)))
    return out


def pdf_overlaps(layout: PdfLayout) -> list[str]:
    return layout.problems["overlap"]


def pdf_cells_overflow(layout: PdfLayout) -> list[str]:
    return layout.problems["cells"]


def _page_lines(layout: PdfLayout, page: int) -> list[Line]:
    return [line for line in layout.lines if line.page == page and not line.text.strip().isdigit()]


def pdf_captions_apart(layout: PdfLayout) -> list[str]:
    """A table's caption (above it) is not the last thing on its page; a figure's caption (below) has its image above."""
    problems = []
    for page in range(1, layout.pages + 1):
        lines = _page_lines(layout, page)
        for k, line in enumerate(lines):
            if not CAPTION.match(line.text):
                continue
            kind = line.text.split()[0]
            if kind in ("Bảng", "Biểu"):
                rest = [ln for ln in lines[k + 1:] if not ln.text.startswith(kind)]
                # the caption may wrap onto lines of its own: something other than caption text must follow
                below_tables = [t for t in layout.tables.get(page, []) if t[1] >= line.top - 1]
                if not below_tables and not any(ln.size < line.size - 0.4 for ln in rest):
                    problems.append(f"trang {page}: chú thích «{line.text[:60]}» cuối trang, bảng ở trang sau")
            else:
                above = [im for im in layout.images.get(page, []) if im[3] <= line.top + 2]
                if not above:
                    problems.append(f"trang {page}: chú thích «{line.text[:60]}» không cùng trang với hình")
    return problems


def pdf_headings_wrap_early(layout: PdfLayout, headings: list[str]) -> list[str]:
    """A heading that fits on one line is on one line; one that wraps fills its first line."""
    right = {}  # each page's own text edge: a landscape page is wider than a portrait one
    for ln in layout.lines:
        right[ln.page] = max(right.get(ln.page, ln.x1), ln.x1)
    problems = []
    for heading in headings:
        words = heading.split()
        if len(words) < 3:
            continue
        for k, line in enumerate(layout.lines):
            if not line.bold or not heading.startswith(line.text) or line.text == heading:
                continue
            following = layout.lines[k + 1] if k + 1 < len(layout.lines) else None
            if following is None or not heading.endswith(following.text.split()[-1]):
                continue
            width = right[line.page] - layout.text_left
            if (line.x1 - line.x0) < 0.75 * width:
                problems.append(f"trang {line.page}: tiêu đề «{heading[:60]}» xuống dòng khi mới dùng "
                                f"{(line.x1 - line.x0) / width:.0%} bề rộng dòng")
    return problems


def pdf_units_apart(layout: PdfLayout) -> list[str]:
    """No line of text begins with a unit whose number ends the line before it (table rows are several cells)."""
    problems = []
    def in_table(line: Line) -> bool:
        return any(t[0] - 1 <= line.x0 and line.x1 <= t[2] + 1 and t[1] - 1 <= line.top <= t[3] + 1
                   for t in layout.tables.get(line.page, []))

    for before, after in zip(layout.lines, layout.lines[1:]):
        if before.page != after.page or not re.search(r"\d$", before.text) or in_table(before) or in_table(after):
            continue
        first = after.text.split()[0] if after.text.split() else ""
        if any(first == unit or first.startswith(unit) and unit in ("%", "m³", "l/") for unit in UNITS):
            problems.append(f"trang {after.page}: «{before.text[-20:]}» / «{after.text[:20]}»")
    return problems


def pdf_two_labels(layout: PdfLayout) -> list[str]:
    return [f"trang {line.page}: {line.text[:70]}" for line in layout.lines if TWO_LABELS.search(line.text)]


# -------------------------------------------------------------------------------------- HTML
_PROBE = """<script>
window.addEventListener("load", () => setTimeout(() => {
  const bad = [], root = document.documentElement, width = root.clientWidth;
  if (root.scrollWidth > root.clientWidth) bad.push("document " + root.scrollWidth + " > " + root.clientWidth);
  for (const el of document.querySelectorAll("table, figure, caption, figcaption, .landscape, .capnuoc-chart, pre, img, svg.marks")) {
    const r = el.getBoundingClientRect(), what = el.tagName + " «" + (el.textContent || "").trim().slice(0, 50) + "»";
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).display !== "inline") bad.push(what + " " + el.scrollWidth + " > " + el.clientWidth);
    if (r.width > 0 && (r.left < -1 || r.right > width + 1)) bad.push(what + " ra ngoài cửa sổ " + Math.round(r.left) + "–" + Math.round(r.right));
  }
  // a word of a table cell (a number joined to its unit by a no-break space counts as one) is never cut across lines;
  // a range "84,9–85,0" or "giờ/ngày" may break after its dash or slash
  const cells = document.querySelectorAll("th, td");
  for (const cell of cells) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/[^ \\t\\n\\r\\u200b\\u00ad]+/g)) {
        if (/[–—\\-\\/]/.test(m[0])) continue;
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) bad.push("từ bị cắt trong ô bảng «" + m[0] + "»");
      }
    }
  }
  const fonts = new Set();
  for (const el of document.querySelectorAll("body, h1, h2, h3, p, td, th, caption, figcaption, li")) fonts.add(getComputedStyle(el).fontFamily);
  document.title = "LAYOUT " + JSON.stringify({bad: bad, fonts: [...fonts]});
}, 2500));
</script>"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def html_layout(path: Path, scratch: Path, width: int = 1280) -> dict:
    """Lay the HTML out in headless Chromium at ``width`` px: {"bad": [...], "fonts": [...]}."""
    html = path.read_text(encoding="utf-8")
    end = html.rindex("</body>")
    probe = scratch / f"probe-{path.name}"
    probe.write_text(html[:end] + _PROBE + html[end:], encoding="utf-8")
    done = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         f"--user-data-dir={scratch / 'chromium-profile'}", f"--window-size={width},1000",
         "--virtual-time-budget=20000", "--dump-dom", probe.resolve().as_uri()],
        capture_output=True, text=True, timeout=240)
    title = re.search(r"<title>LAYOUT ([^<]*)</title>", done.stdout)
    if title is None:
        return {"bad": ["Chromium không dàn trang được tài liệu"], "fonts": []}
    import html as html_module

    return json.loads(html_module.unescape(title.group(1)))


def screenshots(path: Path, scratch: Path, width: int = 1280, height: int = 14000) -> Path:
    """One tall screenshot of the HTML at ``width`` px (for a person to look at)."""
    target = scratch / f"{path.stem}-{width}.png"
    subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--user-data-dir={scratch / 'chromium-shot'}", f"--window-size={width},{height}",
                    "--virtual-time-budget=20000", f"--screenshot={target}", path.resolve().as_uri()],
                   capture_output=True, text=True, timeout=240)
    return target


# -------------------------------------------------------------------------------------- DOCX
def docx_problems(path: Path, organisation: str | None, title_page: bool) -> list[str]:
    """Cover once, a filled table of contents after a page break, every table inside its section's text width."""
    import docx
    from docx.oxml.ns import qn

    doc = docx.Document(str(path))
    problems = []
    body = doc.element.body
    paragraphs = doc.paragraphs
    first_heading = next((k for k, p in enumerate(paragraphs) if p.style.name.startswith("Heading")), len(paragraphs))
    front = [p.text.strip() for p in paragraphs[:first_heading] if p.text.strip()]
    names = [t.casefold() for t in front]
    for name in set(names):
        if names.count(name) > 1:
            problems.append(f"tên «{name}» lặp lại trong khối tiêu đề")
    if organisation and organisation.casefold() not in names:
        problems.append(f"khối tiêu đề thiếu «{organisation}»")
    if title_page:
        xml = body.xml
        if "w:br" not in "".join(p._p.xml for p in paragraphs[:first_heading] if 'w:type="page"' in p._p.xml):
            problems.append("không có ngắt trang sau trang bìa")
        entries = [p for p in paragraphs if re.fullmatch(r"toc \d", p.style.name.lower())]
        headings = [p for p in paragraphs if p.style.name in ("Heading 1", "Heading 2")]
        if len(entries) < len(headings) or not entries:
            problems.append(f"mục lục có {len(entries)} mục cho {len(headings)} tiêu đề")
        if entries and any(not e.text.strip() for e in entries):
            problems.append("mục lục có mục trống")
        if "<w:sdt>" in xml and "TOC" in xml and not entries:
            problems.append("mục lục là một trường trống")
    # tables within their section's text width
    sections, pending = [], []
    for element in body.iterchildren():
        pending.append(element)
        sect = element.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") if element.tag == qn("w:p") else (
            element if element.tag == qn("w:sectPr") else None)
        if sect is not None:
            sections.append((sect, pending))
            pending = []
    for sect, elements in sections:
        size, margins = sect.find(qn("w:pgSz")), sect.find(qn("w:pgMar"))
        if size is None or margins is None:
            problems.append("một phần (section) thiếu khổ giấy hoặc lề")
            continue
        text = int(size.get(qn("w:w"))) - int(margins.get(qn("w:left"))) - int(margins.get(qn("w:right")))
        for element in elements:
            if element.tag != qn("w:tbl"):
                continue
            grid = sum(int(c.get(qn("w:w"), 0)) for c in element.iter(qn("w:gridCol")))
            columns = len(list(element.iter(qn("w:gridCol"))))
            share = element.find(f"{qn('w:tblPr')}/{qn('w:tblW')}")
            if (share is None or share.get(qn("w:type")) != "pct") and grid > text * 1.02:
                problems.append(f"bảng {columns} cột rộng {grid} > {text} (twip) của trang")
            problems += _words_fit(element, text)
    return problems


def _words_fit(table, text_width: int) -> list[str]:
    """Each column is as wide as its longest word at the table's font size (else Word breaks the word)."""
    from docx.oxml.ns import qn

    grid = [int(c.get(qn("w:w"), 0)) for c in table.iter(qn("w:gridCol"))]
    total = sum(grid) or 1
    width = table.find(f"{qn('w:tblPr')}/{qn('w:tblW')}")
    if width is not None and width.get(qn("w:type")) == "pct":  # Word scales the grid to that share of the text width
        scale = text_width * int(width.get(qn("w:w"))) / 5000 / total
    else:
        scale = min(1.0, text_width / total)
    widths = [g * scale for g in grid]
    problems = []
    for row in table.iter(qn("w:tr")):
        for k, cell in enumerate(row.iter(qn("w:tc"))):
            if k >= len(widths):
                break
            sizes = [int(s.get(qn("w:val"))) / 2 for s in cell.iter(qn("w:sz"))] or [12.0]
            words = "".join(t.text or "" for t in cell.iter(qn("w:t"))).replace("\u200b", " ").split()  # ZWSP: a break
            longest = max(words, key=len, default="")
            needed = len(longest) * max(sizes) * 0.47 * 20 + 2 * 108  # twips: characters, then the cell margins
            if needed > widths[k] * 1.05:
                problems.append(f"bảng {len(grid)} cột: «{longest}» không vừa cột {k + 1} ({needed:.0f} > {widths[k]:.0f} twip)")
    return sorted(set(problems))
