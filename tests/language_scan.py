"""What a Vietnamese reader should never meet in the documents: English words, decimal points, file paths, program names.

A word written in ASCII letters only is English unless it is a possible Vietnamese syllable (initial consonant,
vowel, final consonant as Vietnamese spells them: "thu", "cho", "an", "tan") or a proper name or abbreviation
of :data:`ALLOWED` (organisations, the international terms the documents define, the plan's own abbreviations).
"""

from __future__ import annotations

import re

INITIALS = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x"
VOWELS = "uye|uya|uyu|ieu|yeu|oai|oay|oeo|uoi|uou|uay|uai|uy|uo|ua|ui|ue|uu|ie|ia|ye|oa|oe|oo|oi|ai|ao|au|ay|eo|eu|iu|a|e|i|o|u|y"
FINALS = "ng|nh|ch|c|m|n|p|t|i|y|o|u"
ROMAN = re.compile(r"[IVXLC]+")  # the plan's section numbers
SYLLABLE = re.compile(rf"^(?:{INITIALS})?(?:{VOWELS})(?:{FINALS})?$")

# Proper names and abbreviations a Vietnamese document keeps as they are (a short list: add with care).
ALLOWED = {
    # the international terms and tools the losses annex defines, in the form their publishers use
    "IWA", "NRW", "ILI", "DMA", "UARL", "FAVAD", "WB-EasyCalc", "EasyCalc", "WB", "AWWA", "Free", "Water", "Audit", "M36",
    "Monte", "Carlo", "OLS", "ADB",
    # the plan's own abbreviations and document numbers
    "TNHH", "MTV", "UBND", "KH-UBND", "KH", "QĐ-TTg", "CT-TTg", "TTg", "QĐ-UBND", "NĐ-CP", "HTX", "KKT", "PCT", "XD", "TC",
    "NN&MT", "VT", "LĐVP", "CVKT", "TTTT-HN", "TTTT", "HN", "TM", "KT", "CP", "CT", "QĐ", "ĐH", "TT",
    # percentiles and the ILI bands
    "P5", "P50", "P95", "A1", "A2", "B", "C", "D", "N1",
    # units
    "km", "m³", "l", "kWh",
    # the symbols of the unavoidable-loss formula (UARL = (18 × Lm + 0,8 × Nc + 25 × Lp) × P)
    "Lm", "Nc", "Lp",
    "VP",  # "VP UBND tỉnh" in the plan's list of recipients
    # authors and bodies the losses annex cites by name
    "Lambert", "Liemberger", "McKenzie", "Thornton", "Partners", "IBNET", "WBI",
    # file formats the evaluation's reporters fill in
    "Excel", "CSV",
}
PROGRAMS = ("capnuoc", "statsmodels", "pandas", "numpy", "scipy", "papermill", "pandoc", "typst", "altair", "vega",
            "python", "jupyter", "quarto", "pydantic", "pandera", "hypothesis")
FILE_PATH = re.compile(r"\b[\w./-]+\.(?:csv|ya?ml|py|json|ipynb|md|txt)\b|\b(?:data|analysis|notebooks|output)/[\w./-]+")
# a number with a decimal point: groups after the first that are not thousands (three digits), or a leading 0.
DECIMAL_POINT = re.compile(r"(?<![\w.,/])(?:0\.\d+|\d+\.(?!\d{3}(?!\d))\d+|\d+(?:\.\d{3})+\.\d{1,2}(?!\d))(?![\w.]*\d)")
# labels and version numbers, not quantities: "Bảng A.1", "Mục III.3", "phiên bản 6.17", "chỉ số 6.1–6.3"
LABEL_NUMBER = re.compile(r"(?:Bảng|Hình|Biểu|Mục|mục|Phụ lục|Công thức|phiên bản|chỉ số)\s+[A-Z]?\d+(?:\.\d+)+(?:–\d+(?:\.\d+)+)?")


def english_words(text: str) -> list[str]:
    found = []
    for token in re.findall(r"[^\s()\[\]{}«»\"“”'‘’:;,.!?…/=+*<>≤≥–—|]+", text):
        token = token.strip("-")
        if len(token) < 2 or token in ALLOWED or ROMAN.fullmatch(token) or not re.search(r"[A-Za-z]", token):
            continue
        if not re.fullmatch(r"[A-Za-z-]+", token):
            continue  # Vietnamese letters (ă â đ ê ô ơ ư, tones) or digits: not an English word
        if all(SYLLABLE.match(part.lower()) for part in token.split("-") if part):
            continue
        found.append(token)
    return found


def decimal_points(text: str) -> list[str]:
    return DECIMAL_POINT.findall(LABEL_NUMBER.sub(" ", text))


def paths_and_programs(text: str) -> list[str]:
    found = FILE_PATH.findall(text)
    lower = text.lower()
    found += [name for name in PROGRAMS if re.search(rf"\b{name}\b", lower)]
    return found
