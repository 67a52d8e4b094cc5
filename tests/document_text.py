"""The text a reader sees in the rendered documents (HTML, PDF, DOCX), and the plan's source text, for text tests."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

SPACES = re.compile(r"[\s\u00a0\u202f\u2060\u200b]+")


def normalise(text: str) -> str:
    """One space between words, none before % or after an opening bracket; no emphasis marks, no soft hyphens."""
    text = text.replace("\u00ad", "").replace("**", "").replace("*", "").replace("…", "...")
    text = SPACES.sub(" ", text)
    text = re.sub(r" (?=[%:;,.)])", "", text)
    text = re.sub(r"(?<=[(]) ", "", text)
    return text.strip()


def html_text(path: Path) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
    for tag in soup(["script", "style", "svg"]):
        tag.decompose()
    return soup.get_text(" ")


def docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def pdf_text(path: Path) -> str:
    """The PDF's text without its page numbers (lines holding only a number)."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "\n".join(line for line in out.replace("\f", "\n").splitlines() if not re.fullmatch(r"\s*\d+\s*", line))


def docx_footnotes(path: Path) -> str:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        if "word/footnotes.xml" not in archive.namelist():
            return ""
        xml = archive.read("word/footnotes.xml").decode("utf-8")
    return " ".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))


def seed_items(path: Path, footnotes: bool = True) -> list[str]:
    """The source text of the plan as items a reader sees: paragraphs, list items and footnotes.

    The source is a text extraction of the signed plan: a paragraph cut by a page break (the first part ends
    in a lower-case letter) is joined again, footnotes are items of their own, the tables (tab-separated) are
    data and not text, and inline TeX ($\\leq 15\\%$) is read as the characters it prints.
    """
    text = path.read_text(encoding="utf-8").replace("$\\leq 15\\%$", "≤ 15%").replace("$> 15\\%$", "> 15%")
    raw = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    body, notes = [], []
    for p in raw:
        if "\t" in p:
            continue
        if p[0] in "¹²":
            notes.append(p[1:].strip())
        elif body and re.search(r"[a-zà-ỹđ]$", body[-1]) and not re.match(r"^([IVX]+|\d+)\. ", body[-1]):
            body[-1] += " " + p
        else:
            body.append(p)
    items = []
    for p in body + (notes if footnotes else []):
        lines = p.splitlines()
        if any(line.startswith(("- ", "+ ")) for line in lines[1:]):
            items += [re.sub(r"^[-+] ", "", line) for line in lines]
        else:
            items.append(re.sub(r"^[-+] ", "", " ".join(lines)))
    return [unmarked(item) for item in items if normalise(item)]


def unmarked(text: str) -> str:
    """Normalised, without footnote marks."""
    return normalise(re.sub(r" ?[¹²]", "", text))
