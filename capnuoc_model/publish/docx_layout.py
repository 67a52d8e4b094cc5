"""The DOCX after pandoc: the cover, a filled table of contents, landscape sections, tables that fit the page.

pandoc writes the body in the styles of ``report/templates/reference.docx``; what it cannot write is done
here, on the python-docx document, by :func:`finish` (called by ``render._render_docx``):

* the cover (Decree 30/2020/NĐ-CP style): the organisation above the title, every name once, then a page
  break;
* the table of contents: pandoc's ``--toc`` writes an empty field that only Word fills, so each heading
  of levels 1-2 gets a bookmark and the contents get one entry per heading (a link, a dot leader and a
  PAGEREF field), all inside a TOC field: Word and LibreOffice show the entries as they are, and Word
  puts the page numbers in when it updates the fields on opening (``updateFields``);
* the sections ``landscape.lua`` opened for wide tables get the reference document's margins and page
  number header, and the cover keeps its page without a number;
* table text 12 pt (11 pt in tables of 9 columns or more), no first-line indent, and tables on landscape
  pages as wide as those pages.
"""

from __future__ import annotations

import copy
from xml.sax.saxutils import escape

from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt

TOC_DEPTH = 2
BOOKMARK_PREFIX = "_TocCapnuoc"  # "_Toc..." bookmarks are hidden in Word
_BOOKMARK_ID = 900000  # above the ids pandoc gives its own bookmarks
WIDE_TABLE_COLUMNS = 9  # tables with this many columns or more: text 11 pt


def _twips(length) -> int:
    return int(round(length / 635))  # EMU -> twentieths of a point


def _text_width(section) -> int:
    return _twips(section.page_width - section.left_margin - section.right_margin)


# ------------------------------------------------------------------------------------ cover
def cover(doc, organisation: str | None, title_page: bool) -> None:
    """The organisation above the title (once); with ``title_page`` a page of its own, then the contents."""
    paragraphs = doc.paragraphs
    title = next((p for p in paragraphs if p.style.name == "Title"), None)
    if title is None:
        return
    if organisation:
        org = title.insert_paragraph_before(organisation, style="Author")
        for run in org.runs:
            run.font.bold = True
        org.paragraph_format.space_after = Pt(6)
    if not title_page:
        return
    title.paragraph_format.space_before = Pt(160)
    block = [p for p in paragraphs if p.style.name in ("Title", "Subtitle", "Author", "Date")]
    last = block[-1] if block else title
    last.add_run().add_break(_page_break())


def _page_break():
    from docx.enum.text import WD_BREAK

    return WD_BREAK.PAGE


# --------------------------------------------------------------------------------- contents
def _heading_level(paragraph) -> int | None:
    name = paragraph.style.name if paragraph.style is not None else ""
    if name.startswith("Heading ") and name[8:].isdigit():
        return int(name[8:])
    return None


def headings(doc, depth: int = TOC_DEPTH) -> list[tuple[int, str, str]]:
    """(level, text, bookmark) of every heading down to ``depth``, each given a bookmark of its own."""
    found = []
    for n, paragraph in enumerate(p for p in doc.paragraphs if (_heading_level(p) or 99) <= depth):
        name = f"{BOOKMARK_PREFIX}{n + 1}"
        start = parse_xml(f'<w:bookmarkStart {nsdecls("w")} w:id="{_BOOKMARK_ID + n}" w:name="{name}"/>')
        end = parse_xml(f'<w:bookmarkEnd {nsdecls("w")} w:id="{_BOOKMARK_ID + n}"/>')
        ppr = paragraph._p.pPr
        if ppr is not None:
            ppr.addnext(start)
        else:
            paragraph._p.insert(0, start)
        paragraph._p.append(end)
        found.append((_heading_level(paragraph), paragraph.text.replace("\t", " ").strip(), name))
    return found


def _run(inner: str) -> str:
    return f"<w:r>{inner}</w:r>"


def _field(kind: str) -> str:
    return _run(f'<w:fldChar w:fldCharType="{kind}"/>')


def _instruction(text: str) -> str:
    return _run(f'<w:instrText xml:space="preserve"> {escape(text)} </w:instrText>')


def contents(doc, title: str = "Mục lục", depth: int = TOC_DEPTH) -> int:
    """A filled table of contents after the cover: one entry per heading; returns how many entries."""
    entries = headings(doc, depth)
    first = next((p for p in doc.paragraphs if _heading_level(p) is not None), None)
    if first is None or not entries:
        return 0
    width = _text_width(doc.sections[-1])
    heading = first.insert_paragraph_before(title, style="TOC Heading")
    # an abstract ("Tóm tắt", pandoc's Abstract styles) has the page after the cover; the contents start the next one
    heading.paragraph_format.page_break_before = any(p.style is not None and p.style.name.startswith("Abstract")
                                                     for p in doc.paragraphs)
    for n, (level, text, bookmark) in enumerate(entries):
        begin = (_field("begin") + _instruction(f'TOC \\o "1-{depth}" \\h \\z \\u') + _field("separate")) if n == 0 else ""
        end = _field("end") if n == len(entries) - 1 else ""
        page = _field("begin") + _instruction(f"PAGEREF {bookmark} \\h") + _field("separate") + _field("end")
        xml = (f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="TOC{level}"/>'
               f'<w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{width}"/></w:tabs></w:pPr>{begin}'
               f'<w:hyperlink w:anchor="{bookmark}" w:history="1">'
               f'{_run(f"<w:t xml:space={chr(34)}preserve{chr(34)}>{escape(text)}</w:t>")}{_run("<w:tab/>")}{page}'
               f"</w:hyperlink>{end}</w:p>")
        first._p.addprevious(parse_xml(xml))
    return len(entries)


# --------------------------------------------------------------------------------- sections
def complete_sections(doc) -> int:
    """Give the sections ``landscape.lua`` opened the body's margins and headers; returns how many it opened.

    A section's properties sit in the paragraph that ends it; those written by the filter carry only the page
    size. Only the first section (the cover) keeps the different first page, whose header has no number.
    """
    body = doc.element.body
    final = body.find(qn("w:sectPr"))
    inserted = [p for p in body.iterchildren(qn("w:p")) if p.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None]
    if final is None or not inserted:
        return 0
    title_page = final.find(qn("w:titlePg")) is not None
    for n, paragraph in enumerate(inserted):
        sect = paragraph.find(f"{qn('w:pPr')}/{qn('w:sectPr')}")
        size = sect.find(qn("w:pgSz"))
        for child in list(sect):
            sect.remove(child)
        for child in final:
            if child.tag == qn("w:titlePg") and not (title_page and n == 0):
                continue
            sect.append(size if child.tag == qn("w:pgSz") else copy.deepcopy(child))
        if sect.find(qn("w:pgSz")) is None:
            sect.insert(0, size)
    for old in final.findall(qn("w:titlePg")):
        final.remove(old)
    return len(inserted)


# ----------------------------------------------------------------------------------- tables
def _section_of(doc):
    """For each body element, the sectPr of the section it is in (the next sectPr in document order)."""
    body = doc.element.body
    owner, pending = {}, []
    for element in body.iterchildren():
        pending.append(element)
        sect = element.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") if element.tag == qn("w:p") else (
            element if element.tag == qn("w:sectPr") else None)
        if sect is not None:
            for item in pending:
                owner[item] = sect
            pending = []
    return owner


def fit_tables(doc) -> None:
    """Table text 12 pt (11 pt from WIDE_TABLE_COLUMNS columns), no indent; tables span their section's text width."""
    owner = _section_of(doc)
    portrait = _text_width(doc.sections[0])
    for table in doc.tables:
        size = Pt(11) if len(table.columns) >= WIDE_TABLE_COLUMNS else Pt(12)
        for para in (p for row in table.rows for cell in row.cells for p in cell.paragraphs):
            para.paragraph_format.first_line_indent = Pt(0)
            for run in para.runs:
                run.font.size = size
        sect = owner.get(table._tbl)
        size_el = sect.find(qn("w:pgSz")) if sect is not None else None
        if size_el is None or size_el.get(qn("w:orient")) != "landscape":
            continue
        margins = sect.find(qn("w:pgMar"))
        width = int(size_el.get(qn("w:w"))) - sum(int(margins.get(qn(f"w:{k}"), 0)) for k in ("left", "right"))
        scale = width / portrait
        for col in table._tbl.iter(qn("w:gridCol")):
            col.set(qn("w:w"), str(int(int(col.get(qn("w:w"), 0)) * scale)))
        for cell_width in table._tbl.iter(qn("w:tcW")):
            if cell_width.get(qn("w:type")) == "dxa":
                cell_width.set(qn("w:w"), str(int(int(cell_width.get(qn("w:w"), 0)) * scale)))


def finish(doc, organisation: str | None, title_page: bool) -> None:
    """Everything above, in order, on a document pandoc wrote."""
    complete_sections(doc)
    fit_tables(doc)
    cover(doc, organisation, title_page)
    if title_page:
        contents(doc)
    doc.settings.element.append(parse_xml(f'<w:updateFields {nsdecls("w")} w:val="true"/>'))
