"""The package layout's rules, checked on the source: no import circles between modules and no
private name imported from another module (issue 12, item 7)."""

from __future__ import annotations

import ast
from pathlib import Path

import reuse

PACKAGE = Path(reuse.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _runtime_imports(tree: ast.Module) -> list[ast.ImportFrom | ast.Import]:
    """Every import statement outside ``if TYPE_CHECKING:`` blocks (those never run)."""
    found: list[ast.ImportFrom | ast.Import] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _imports(module: str) -> list[tuple[str, str | None]]:
    """(imported module, imported name or None) for each name ``module`` imports from reuse."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    result: list[tuple[str, str | None]] = []
    for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            result += [(alias.name, None) for alias in node.names if alias.name in MODULES]
            continue
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        for alias in node.names:
            if f"{target}.{alias.name}" in MODULES:
                result.append((f"{target}.{alias.name}", None))
            elif target in MODULES:
                result.append((target, alias.name))
    return result


def test_modules_found() -> None:
    assert {"reuse.pipeline", "reuse.cli.command", "reuse.ingest.store"} <= MODULES.keys()


def test_no_private_names_imported_across_modules() -> None:
    crossings = [
        f"{module} imports {name} from {target}"
        for module in sorted(MODULES) for target, name in _imports(module)
        if name is not None and target != module and name.startswith("_")
        and not (name.startswith("__") and name.endswith("__"))
    ]
    assert crossings == []


def test_no_import_circles() -> None:
    graph = {module: {target for target, _ in _imports(module)} - {module} for module in MODULES}
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: finished

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                circles.append([*path[path.index(target):], target])
            elif target not in state:
                walk(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert circles == []
