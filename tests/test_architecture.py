"""The package's layers: imports point one way (publish → evaluation → model → data), no module imports
another that imports it back, and the report notebooks use only the subpackages' public APIs.

Every ``import`` of a module counts, also those inside functions (an AST walk, not the import system).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "capnuoc_model"
LAYERS = ("data", "model", "evaluation", "publish")  # lowest first: a layer imports only those before it
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + [ROOT / "index.ipynb"]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.AST, module: str, is_package: bool, modules: set[str]) -> list[str]:
    """The modules of the package an import statement loads (``from a.b import c`` is a.b.c when that is a module)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:  # relative: from the module's own package
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([base] if base else []))
    out = []
    for alias in node.names:
        full = f"{base}.{alias.name}"
        out.append(full if full in modules else base)
    return out


def import_graph(root: Path, package: str = PACKAGE) -> dict[str, set[str]]:
    """module -> the package's modules it imports anywhere in its source (TYPE_CHECKING blocks included)."""
    files = sorted((root / package).rglob("*.py"))
    modules = {module_name(f, root) for f in files}
    graph: dict[str, set[str]] = {}
    for f in files:
        name = module_name(f, root)
        edges = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"), str(f))):
            for target in _targets(node, name, f.name == "__init__.py", modules):
                while target and target not in modules:  # import a.b.c of a module a.b.c or its package
                    target = target.rpartition(".")[0]
                if target and target != name and target.split(".")[0] == package:
                    edges.add(target)
        graph[name] = edges
    return graph


def layer(module: str, package: str = PACKAGE) -> str | None:
    """The module's layer; None for the package root (imports nothing) and the command line on top."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def layer_violations(graph: dict[str, set[str]], package: str = PACKAGE) -> list[str]:
    """Imports that point up the layers, or from a layer into the command line."""
    out = []
    for module, targets in sorted(graph.items()):
        here = layer(module, package)
        if here is None:
            continue
        for target in sorted(targets):
            there = layer(target, package)
            if target == package:
                continue  # the root: __version__ and lazy_exports, it imports nothing of the package
            if there is None or LAYERS.index(there) > LAYERS.index(here):
                out.append(f"{module} ({here}) imports {target} ({there or 'top'})")
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def notebook_imports(notebook: Path) -> list[ast.AST]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    nodes = []
    for source in code:
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        nodes += [n for n in ast.walk(ast.parse("\n".join(lines))) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return nodes


def public_api_violations(nodes: list[ast.AST], root: Path = ROOT, package: str = PACKAGE) -> list[str]:
    """Imports of the package that are not ``from <package>.<subpackage> import <name in its __all__>``."""
    out = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out += [f"import {a.name}" for a in node.names if a.name.split(".")[0] == package]
            continue
        module = node.module or ""
        if module.split(".")[0] != package:
            continue
        parts = module.split(".")
        if len(parts) != 2 or parts[1] not in LAYERS:
            out.append(f"from {module} import ...: not a subpackage's public API")
            continue
        public = _declared_all(root / package / parts[1] / "__init__.py")
        out += [f"from {module} import {a.name}: not in its __all__" for a in node.names if a.name not in public]
    return out


def _declared_all(init: Path) -> set[str]:
    """The names a subpackage's ``__init__`` exports: its ``lazy_exports`` keys or a literal ``__all__``."""
    tree = ast.parse(init.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "lazy_exports" and len(node.args) == 2:
            return {k.value for k in node.args[1].keys}
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


# ---------------------------------------------------------------------------- the package as it is

@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    """The package's import graph (read when a test needs it, not when every worker collects this module)."""
    return import_graph(ROOT)


def test_the_package_has_the_four_layers(graph):
    assert {layer(m) for m in graph} - {None} == set(LAYERS)
    assert len(graph) > 40


def test_imports_point_down_the_layers(graph):
    assert layer_violations(graph) == []


def test_no_module_imports_one_that_imports_it_back(graph):
    assert cycles(graph) == []


def test_the_package_root_imports_nothing_of_the_package(graph):
    assert graph[PACKAGE] == set()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_import_only_public_apis(notebook):
    assert public_api_violations(notebook_imports(notebook)) == []


def test_every_public_name_exists():
    import importlib

    for sub in LAYERS:
        package = importlib.import_module(f"{PACKAGE}.{sub}")
        assert package.__all__, sub
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{sub}.{name}"


def test_code_hashes_cover_every_subpackage(graph, tmp_path, monkeypatch):
    """Manifests, the projection cache and the report cache hash every module, subpackages included."""
    from capnuoc_model.data import manifest as mf
    from capnuoc_model.publish import report

    files = mf.code_files()
    assert {module_name(f, ROOT) for f in files} == set(graph)
    before, code = report._code_hash(), mf.code_hash()
    extra = tmp_path / "x.py"
    extra.write_text("X = 1\n", encoding="utf-8")
    monkeypatch.setattr(mf, "code_files", lambda: files + [extra])
    assert report._code_hash() != before and mf.code_hash() != code


# ---------------------------------------------------------------------------- the checker finds planted faults

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, source in {"pkg/__init__.py": "", **{f"pkg/{s}/__init__.py": "" for s in LAYERS}, **files}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source, encoding="utf-8")
    return tmp_path


def test_a_function_level_import_up_the_layers_is_found(tmp_path):
    root = _tree(tmp_path, {
        "pkg/data/io.py": "def read():\n    from pkg.model import engine\n    return engine\n",
        "pkg/model/engine.py": "from pkg.data import io\n",
        "pkg/publish/report.py": "from ..data.io import read\nfrom pkg.model.engine import *\n",
    })
    graph = import_graph(root, "pkg")
    assert graph["pkg.publish.report"] == {"pkg.data.io", "pkg.model.engine"}  # relative imports resolved
    assert layer_violations(graph, "pkg") == ["pkg.data.io (data) imports pkg.model.engine (model)"]
    assert cycles(graph) == [["pkg.data.io", "pkg.model.engine"]]


def test_a_cycle_inside_a_layer_and_an_import_of_the_cli_are_found(tmp_path):
    root = _tree(tmp_path, {
        "pkg/cli.py": "import pkg.publish.report\n",
        "pkg/data/a.py": "import pkg.data.b\n",
        "pkg/data/b.py": "def f():\n    import pkg.data.c\n",
        "pkg/data/c.py": "from pkg.data import a\n",
        "pkg/evaluation/e.py": "from pkg import cli\n",
    })
    graph = import_graph(root, "pkg")
    assert cycles(graph) == [["pkg.data.a", "pkg.data.b", "pkg.data.c"]]
    assert layer_violations(graph, "pkg") == ["pkg.evaluation.e (evaluation) imports pkg.cli (top)"]


def test_a_notebook_reaching_past_the_public_api_is_found():
    nodes = ast.parse("from capnuoc_model.publish.report_inputs import load_report_inputs\n"
                      "from capnuoc_model.publish import report_tables as rt, secret\n"
                      "import capnuoc_model.data.io\nfrom capnuoc_model.data import fmt\nimport pandas\n").body
    assert public_api_violations(nodes) == [
        "from capnuoc_model.publish.report_inputs import ...: not a subpackage's public API",
        "from capnuoc_model.publish import secret: not in its __all__",
        "import capnuoc_model.data.io",
    ]
