"""The UI modules import without cycles, TYPE_CHECKING imports included."""

from __future__ import annotations

import ast
from pathlib import Path

from ui import keys, state

UI = Path(__file__).resolve().parents[2] / "ui"


def _ui_imports(path: Path) -> set[str]:
    """Every ``ui.*`` module that ``path`` imports, at any level (TYPE_CHECKING too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "ui":
                found.update(f"ui.{alias.name}" for alias in node.names)
            elif node.module.startswith("ui."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("ui."))
    return found


def test_ui_modules_have_no_import_cycle() -> None:
    graph = {
        "ui." + p.relative_to(UI).with_suffix("").as_posix().replace("/", "."): _ui_imports(p)
        for p in UI.rglob("*.py")
        if p.name != "__init__.py"
    }
    # Depth-first search for a back edge; a page module is never imported, so it ends paths.
    state: dict[str, int] = {}

    def visit(name: str, stack: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph.get(name, ())):
            if state.get(dep) == 1:
                raise AssertionError(" -> ".join([*stack, name, dep]))
            if dep not in state:
                visit(dep, [*stack, name])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_moved_names_stay_importable_where_callers_find_them() -> None:
    assert state.StateKeys is keys.StateKeys
