"""Architecture rules: a light start-up and a layered, acyclic import graph.

Layers, lowest first: ``datasets`` and ``geo`` (no knowledge of the domain model), ``flows``
(domain, never the UI), ``ui`` and ``app.py`` (Streamlit). The graph is read with :mod:`ast`
from the source, so TYPE_CHECKING and function-level imports count as much as top-level ones.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("geo", "flows", "ui", "datasets")
HEAVY = ("osmnx", "networkx", "folium", "streamlit")


def _module_name(path: Path) -> str:
    """Dotted module name of a source file under ``ROOT``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> Iterator[Path]:
    """Every first-party source file the rules apply to."""
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))
    yield ROOT / "app.py"


def _imports(path: Path, modules: set[str]) -> set[str]:
    """First-party modules imported anywhere in ``path`` (nested imports included).

    ``from pkg import name`` counts as an import of ``pkg.name`` when that is a module, else
    of ``pkg``; relative imports are resolved against the importing module.
    """
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from geo import crs`` imports geo.crs, not (for cycles) the package itself.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            # The longest first-party prefix is the module actually imported.
            parts = target.split(".")
            for end in range(len(parts), 0, -1):
                candidate = ".".join(parts[:end])
                if candidate in modules:
                    found.add(candidate)
                    break
    found.discard(name)
    return found


def _graph() -> dict[str, set[str]]:
    """The first-party import graph, module -> modules it imports."""
    paths = list(_sources())
    modules = {_module_name(path) for path in paths}
    return {_module_name(path): _imports(path, modules) for path in paths}


def _external_imports(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports, first-party or not."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_cli_and_model_imports_stay_light() -> None:
    """Both CLIs and the domain model start without osmnx, networkx, folium or streamlit."""
    # building the parsers is what ``--help`` does: it must not pull osmnx in either
    code = (
        "import flows.cli, flows.model, flows.io, flows.library, geo.cli, sys; "
        "flows.cli.build_parser(); geo.cli.build_parser(); "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


UPPER_LAYERS = frozenset({"flows", "ui", "app"})
UI_LIBRARIES = frozenset({"streamlit", "streamlit_folium", "folium"})


@pytest.mark.parametrize("package", ["geo", "datasets"])
def test_lower_layers_never_import_flows_ui_or_streamlit(package: str) -> None:
    """geo/ and datasets/ know nothing of the domain model or the UI: no import of flows, ui,
    app or streamlit anywhere, not even under ``TYPE_CHECKING`` or inside a function."""
    offenders = {
        _module_name(path): sorted(_external_imports(path) & (UPPER_LAYERS | UI_LIBRARIES))
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {m: t for m, t in offenders.items() if t} == {}


def test_type_checking_and_nested_imports_count(tmp_path: Path) -> None:
    """The rule above cannot be dodged: the reader sees imports hidden from run time."""
    source = tmp_path / "sneaky.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from flows.model import Case\n"
        "def page() -> None:\n"
        "    import streamlit as st\n",
        encoding="utf-8",
    )
    assert {"flows", "streamlit"} <= _external_imports(source)


def test_flows_never_imports_ui_or_streamlit() -> None:
    """flows/ is the domain layer: no UI, no Streamlit."""
    offenders = {
        _module_name(path): sorted(
            _external_imports(path) & {"ui", "app", "streamlit", "streamlit_folium", "folium"}
        )
        for path in sorted((ROOT / "flows").rglob("*.py"))
    }
    assert {m: t for m, t in offenders.items() if t} == {}


def test_no_import_cycles() -> None:
    """geo/, flows/, datasets/, ui/ and app.py form an acyclic import graph."""
    assert _cycles(_graph()) == []


_ENVIRONMENT = frozenset({"environ", "environb", "getenv"})


def _reads_environment(path: Path) -> bool:
    """Whether ``path`` uses ``os.environ``, ``os.getenv`` or imports either by name."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Attribute) and node.attr in _ENVIRONMENT:
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and {alias.name for alias in node.names} & _ENVIRONMENT
        ):
            return True
    return False


def test_only_datasets_settings_reads_the_environment() -> None:
    """Settings come from one place, read once (``datasets.settings.get``), never ad hoc."""
    readers = [
        _module_name(path)
        for path in _sources()
        if path != ROOT / "datasets" / "settings.py" and _reads_environment(path)
    ]
    assert readers == []


def _exception_classes() -> Iterator[tuple[str, str, list[str]]]:
    """(module, class, base names) of every class whose name ends in Error or Exception."""
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name.endswith(("Error", "Exception")):
                    bases = [ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases]
                    yield str(path.relative_to(ROOT)), node.name, bases


def test_one_exception_base_and_a_builtin_beside_it() -> None:
    import builtins  # noqa: PLC0415

    found = list(_exception_classes())
    assert len(found) > 10
    bases_of = {name: bases for _, name, bases in found}
    for module, name, bases in found:
        if name == "SymbioMapError":
            assert module == "datasets/errors.py", "the base lives in the lowest layer"
            continue
        if not bases:
            continue  # a plain class named after an error (e.g. an Excel error value)
        lineage, todo = set(), list(bases)
        while todo:  # follow project classes up to the base
            base = todo.pop()
            lineage.add(base)
            todo.extend(bases_of.get(base, []))
        assert "SymbioMapError" in lineage, f"{module}: {name} does not derive from SymbioMapError"
        builtin = [b for b in lineage if isinstance(getattr(builtins, b, None), type)]
        assert set(builtin) - {"Exception", "BaseException"}, (
            f"{module}: {name} subclasses no built-in error beside SymbioMapError"
        )
