"""Matching the Vietnamese names people type to the package's ASCII ids.

Two spellings match when they differ only by Unicode normalisation (NFC/NFD),
by the old or new placement of the tone mark (Hoà/Hòa, Thuỵ/Thụy, Khoá/Khóa),
by case or by surrounding and repeated spaces. Old and new administrative names
of the 2025 reorganisation (Pác Miều → Bảo Lâm, Nước Hai → Hòa An, ...) come
from ``data/aliases.csv``: name matching is data, not code. An unknown name is
an error that lists the closest known names; a name that fits several ids (the
old city of Cao Bằng is three wards today) is an error that lists them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

from capnuoc_model.data import messages
from capnuoc_model.data.messages import pair

TONE_MARKS = {"\u0300": "2", "\u0301": "1", "\u0303": "4", "\u0309": "3", "\u0323": "5"}  # huyền, sắc, ngã, hỏi, nặng
SUGGESTIONS = 3


def name_key(text: str) -> str:
    """A spelling-independent key: per syllable, the letters without tone mark, then the tone as a digit."""
    decomposed = unicodedata.normalize("NFD", str(text).strip().lower())
    syllables = []
    for word in re.split(r"\s+", decomposed):
        tones = [TONE_MARKS[c] for c in word if c in TONE_MARKS]
        letters = unicodedata.normalize("NFC", "".join(c for c in word if c not in TONE_MARKS))
        syllables.append(letters + "".join(tones))
    return " ".join(s for s in syllables if s)


@dataclass(frozen=True)
class Resolution:
    id: str | None
    problem: str | None = None
    expected: str | None = None
    closest: str = ""  # the closest known names, for a message of its own


@dataclass
class Resolver:
    """Known names of one package, by kind ('area', 'system', 'operator')."""

    index: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # kind -> key -> ids
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> id -> display name

    def add(self, kind: str, name: str, id_: str) -> None:
        if name is None or (isinstance(name, float) and pd.isna(name)) or not str(name).strip():
            return
        self.index.setdefault(kind, {}).setdefault(name_key(name), set()).add(id_)

    def resolve(self, text: str, kind: str) -> Resolution:
        """The id a typed name or id stands for, or the reason it cannot be told."""
        known = self.index.get(kind, {})
        ids = known.get(name_key(text), set())
        if len(ids) == 1:
            return Resolution(next(iter(ids)))
        labels = self.labels.get(kind, {})
        if len(ids) > 1:
            listed = ", ".join(f"{labels.get(i, i)} ({i})" for i in sorted(ids))
            return Resolution(None, *pair("names.ambiguous", text=text, listed=listed, ids=", ".join(sorted(ids))))
        close = difflib.get_close_matches(name_key(text), list(known), n=SUGGESTIONS, cutoff=0.5)
        names = []
        for key in close:
            for id_ in sorted(known[key]):
                shown = f"{labels.get(id_, id_)} ({id_})"
                if shown not in names:
                    names.append(shown)
        what = messages.text(f"names.kind_{kind}")
        closest = messages.text("names.closest", names=", ".join(names[:SUGGESTIONS])) if names else ""
        hint = closest or messages.text("names.one_of", ids=messages.listing(sorted(labels)))
        return Resolution(None, *pair("names.unknown", kind=what, text=text, hint=hint), closest=closest)


def build_resolver(tables: dict[str, pd.DataFrame]) -> Resolver:
    """Ids, names and aliases of the data package's areas, systems and operators."""
    resolver = Resolver()
    sources = (
        ("area", "urban_areas", "area_id", ("name_vi", "commune_vi")),
        ("system", "systems", "system_id", ("name_vi",)),
        ("operator", "operators", "operator_id", ("name_vi", "short_name_vi")),
    )
    for kind, table, id_column, name_columns in sources:
        frame = tables[table]
        resolver.labels[kind] = dict(zip(frame[id_column], frame[name_columns[0]]))
        for row in frame.itertuples(index=False):
            id_ = getattr(row, id_column)
            resolver.add(kind, id_, id_)
            for column in name_columns:
                resolver.add(kind, getattr(row, column), id_)
    aliases = tables.get("aliases")
    if aliases is not None:
        for row in aliases.itertuples(index=False):
            resolver.add(row.kind, row.alias_vi, row.target_id)
    return resolver
