"""The architecture as the README draws it: files -> indexer -> store/search -> entry layer -> page.

Every import in the four packages is read from the source (AST, function-level imports
included): a package may import only its own layer and those below it (TYPE_CHECKING imports
count too), and no two modules may import each other at run time, however indirectly.
`from package import name` imports the package (its `__init__` runs) and, when `name` is a
submodule, that as well.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("indexer", "search", "vidsearch", "ui")
"""Lowest first: `indexer` reads files and runs models, `search` stores and ranks, `vidsearch` is
the entry layer (settings, CLI, API, indexing runs), `ui` the page built on it."""


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {_module(path): path for layer in LAYERS for path in sorted((ROOT / layer).rglob("*.py"))}


def _typing_only(tree: ast.Module) -> set[ast.AST]:
    """The import statements under `if TYPE_CHECKING:`, which never run."""
    guarded: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            guarded.update(inner for child in node.body for inner in ast.walk(child))
    return guarded


def imported(name: str, path: Path, known: set[str]) -> Iterator[tuple[str, bool]]:
    """(module of ours imported, whether at run time) for each import in `path`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(), str(path))
    typing_only = _typing_only(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [base, *(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known)]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in LAYERS:
                yield target, node not in typing_only


def graph(runtime: bool = False) -> dict[str, set[str]]:
    """{module: modules of ours it imports} (only those imported at run time, with `runtime`)."""
    found = modules()
    known = set(found)
    return {
        name: {target for target, runs in imported(name, path, known) if runs or not runtime} - {name}
        for name, path in found.items()
    }


def upward(edges: dict[str, set[str]]) -> list[str]:
    rank = {layer: n for n, layer in enumerate(LAYERS)}
    return sorted(
        f"{source} imports {target}"
        for source, targets in edges.items()
        for target in targets
        if rank[target.split(".")[0]] > rank[source.split(".")[0]]
    )


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_no_layer_imports_a_higher_one() -> None:
    assert upward(graph()) == []


def test_no_modules_import_each_other() -> None:
    assert cycles(graph(runtime=True)) == []


@pytest.mark.parametrize(
    ("edges", "upwards", "loops"),
    [
        ({"search.engine": {"vidsearch.settings"}, "vidsearch.settings": set()}, 1, 0),
        ({"vidsearch.workers": {"vidsearch.cluster"}, "vidsearch.cluster": {"vidsearch.workers"}}, 0, 1),
        ({"search.a": {"search.b"}, "search.b": {"search.c"}, "search.c": {"search.a"}}, 0, 1),
        ({"ui.app": {"vidsearch.settings", "search.engine"}, "vidsearch.settings": {"indexer.types"}}, 0, 0),
    ],
)
def test_the_checks_see_what_they_guard_against(edges: dict[str, set[str]], upwards: int, loops: int) -> None:
    assert (len(upward(edges)), len(cycles(edges))) == (upwards, loops)


def test_the_graph_sees_lazy_relative_and_from_package_imports(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "from search import engine, VideoSearch\n"
        "from . import sibling\n"
        "def later():\n    import vidsearch.settings\n"
        "if True:\n    from ..indexer import types\n"
        "if TYPE_CHECKING:\n    from ui import app\n"
    )
    known = {"search.engine", "search.sibling", "indexer.types", "ui.app"}
    assert set(imported("search.mod", source, known)) == {
        ("search", True),
        ("search.engine", True),
        ("search.sibling", True),
        ("vidsearch.settings", True),
        ("indexer", True),
        ("indexer.types", True),
        ("ui", False),
        ("ui.app", False),
    }
