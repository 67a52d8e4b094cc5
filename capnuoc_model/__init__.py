"""capnuoc: urban water-supply policy model for Cao Bằng province.

Four subpackages, imports pointing one way (``tests/test_architecture.py``):
``publish`` → ``evaluation`` → ``model`` → ``data``; the command line (``cli``) sits on top.
Each subpackage's ``__init__`` is its public API. This module imports nothing of the package.
"""
from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"


def lazy_exports(package: str, exports: dict[str, str]):
    """``(__all__, __getattr__)`` of a subpackage whose public names load on first use.

    ``exports`` maps each public name to the module defining it (relative to ``package``); a name that maps
    to itself is a module of the subpackage. Loading on first use keeps ``import capnuoc_model.data`` cheap,
    so a notebook kernel imports only what its chapter calls.
    """

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = import_module(f"{package}.{exports[name]}")
        return module if exports[name] == name else getattr(module, name)

    return sorted(exports), __getattr__
