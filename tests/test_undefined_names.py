"""No module uses a name it never defines or imports (pyflakes): such a name fails only when its line runs.

Moving modules and merging parallel work leave exactly this kind of fault behind (an import dropped on one
side, a module name used without its import), and a test that does not reach the line does not see it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyflakes import api, messages
from pyflakes.reporter import Reporter

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted([*(REPO / "capnuoc_model").rglob("*.py"), *(REPO / "benchmarks").glob("*.py"), *(REPO / "tests").glob("*.py")])
FAULTS = (messages.UndefinedName, messages.UndefinedExport, messages.UndefinedLocal)


def undefined_names(path: Path) -> list[str]:
    import io

    found: list[str] = []

    class Collect(Reporter):
        def flake(self, message):  # noqa: D401 - pyflakes' callback
            if isinstance(message, FAULTS):
                found.append(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}:{message.lineno}: {message.message % message.message_args}")

    api.check(path.read_text(encoding="utf-8"), str(path), Collect(io.StringIO(), io.StringIO()))
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_name_is_defined(path):
    assert undefined_names(path) == []


def test_the_check_finds_an_undefined_name(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    return Violation('x')\n", encoding="utf-8")
    assert undefined_names(planted) == [f"{planted}:2: undefined name 'Violation'"]


def compile_warnings(path: Path) -> list[str]:
    """What Python warns of while compiling a file (an invalid escape such as "\\-" in a string: a fault in Python 3.12)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    return [f"{w.filename}:{w.lineno}: {w.message}" for w in caught]


def test_no_file_compiles_with_a_warning():
    assert [w for path in SOURCES for w in compile_warnings(path)] == []


def test_the_compile_check_finds_an_invalid_escape(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text('PATTERN = "[\\\\d\\-]"\n', encoding="utf-8")
    assert planted.read_text(encoding="utf-8") == 'PATTERN = "[\\\\d\\-]"\n'
    assert len(compile_warnings(planted)) == 1
