"""YAML read with PyYAML's C parser (libyaml) when it has one, with the same results and the same errors as before.

PyYAML's pure-Python parser takes 0,2-0,3 s for the message catalogue or the scenario defaults, in every
process (the CLI, each notebook kernel); libyaml takes a tenth of that. The two build documents the same way
(the constructor and the tag resolver are PyYAML's own Python in both), but they describe errors in their own
words, so a document the C parser rejects is read again by the Python parser, whose error is the one raised and
reported as before. Text holding a character the Python reader refuses (a control character), a byte-order mark or
a line break other than \\n and \\r goes to the Python parser directly, so that nothing it rejected is now accepted
and nothing is read otherwise (``tests/test_yaml_reading.py`` compares the two on generated text). What remains
different: libyaml accepts a few constructs PyYAML's parser refuses (a comment right after a block scalar's ``|``);
such a document is read as libyaml reads it, by every command alike. One difference is visible in composed nodes: a
plain scalar's ``style`` is ``''`` from libyaml and ``None`` from Python (test it with ``not node.style``).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

FAST_LOADER = getattr(yaml, "CSafeLoader", None)  # None: PyYAML built without libyaml


# Characters the two parsers may treat differently: whatever the Python reader refuses (control characters), the
# byte-order mark (libyaml drops one anywhere in a document) and the line breaks of YAML 1.1 other than \n and \r
# (NEL, LS, PS). Text holding one goes to the Python parser.
_NOT_FOR_LIBYAML = re.compile("[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


def _fast(text: str) -> bool:
    return FAST_LOADER is not None and _NOT_FOR_LIBYAML.search(text) is None


def safe_load(text: str) -> Any:
    """``yaml.safe_load(text)``: the same document, or the same error."""
    if _fast(text):
        try:
            return yaml.load(text, Loader=FAST_LOADER)
        except yaml.YAMLError:
            pass  # the Python parser's error, in the words the messages know
    return yaml.safe_load(text)


def loader(text: str, fast: bool = True) -> yaml.SafeLoader:
    """A safe loader over ``text`` for composing nodes (with their lines): libyaml's when it may read the text."""
    return FAST_LOADER(text) if fast and _fast(text) else yaml.SafeLoader(text)


def compose(text: str) -> tuple[yaml.SafeLoader, yaml.Node | None]:
    """The text's root node (its nodes carry their lines) and the loader that composed it, to construct values with
    and then dispose of: libyaml's when it may read the text. On libyaml's error the Python parser composes the text
    again, so that the error raised is PyYAML's own, as in :func:`safe_load`."""
    for fast in ((True, False) if _fast(text) else (False,)):
        composer = loader(text, fast)
        try:
            return composer, composer.get_single_node()
        except yaml.YAMLError:
            composer.dispose()
            if not fast:
                raise
        except BaseException:
            composer.dispose()
            raise
    raise AssertionError("unreachable: the Python parser returns or raises")


__all__ = ["safe_load", "loader", "compose", "FAST_LOADER"]
