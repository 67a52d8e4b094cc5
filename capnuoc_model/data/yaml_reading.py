"""YAML read with PyYAML's C parser (libyaml) when it has one, with the same results and the same errors as before.

PyYAML's pure-Python parser takes 0,2-0,3 s for the message catalogue or the scenario defaults, in every
process (the CLI, each notebook kernel); libyaml takes a tenth of that. The two build documents the same way
(the constructor and the tag resolver are PyYAML's own Python in both), but they describe errors in their own
words, so a document the C parser rejects is read again by the Python parser, whose error is the one raised and
reported as before. Text holding a character the Python reader refuses (a control character) goes to the Python
parser directly, so that nothing it rejected is now accepted. One difference is visible in composed nodes: a
plain scalar's ``style`` is ``''`` from libyaml and ``None`` from Python (test it with ``not node.style``).
"""

from __future__ import annotations

from typing import Any

import yaml

FAST_LOADER = getattr(yaml, "CSafeLoader", None)  # None: PyYAML built without libyaml


def _fast(text: str) -> bool:
    return FAST_LOADER is not None and yaml.reader.Reader.NON_PRINTABLE.search(text) is None


def safe_load(text: str) -> Any:
    """``yaml.safe_load(text)``: the same document, or the same error."""
    if _fast(text):
        try:
            return yaml.load(text, Loader=FAST_LOADER)
        except yaml.YAMLError:
            pass  # the Python parser's error, in the words the messages know
    return yaml.safe_load(text)


def loader(text: str, fast: bool = True) -> yaml.SafeLoader:
    """A safe loader over ``text`` for composing nodes (with their lines): libyaml's when it may read the text.

    On a ``yaml.YAMLError`` from a fast loader, compose again with ``loader(text, fast=False)`` for the error
    as the Python parser words it."""
    return FAST_LOADER(text) if fast and _fast(text) else yaml.SafeLoader(text)


__all__ = ["safe_load", "loader", "FAST_LOADER"]
