"""The rules of docs/architecture.md, checked on the source: imports point down, ui reads only
qa's public surface, no two modules import each other (directly or round a circle), and
modules and functions stay short enough to read."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("qa", "embeddings", "ui")
GROUND_FLOOR = ("qa.types", "qa.settings", "qa.errors", "qa.text", "qa.encoder")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def _imports(package: str) -> dict[str, set[str]]:
    """Module path -> the modules it imports (absolute names), for every module of ``package``."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[str(path.relative_to(ROOT))] = names
    return found


def _offending(package: str, allowed: Callable[[str], bool]) -> list[str]:
    return [
        f"{module} imports {name}"
        for module, names in _imports(package).items()
        for name in sorted(names)
        if not allowed(name)
    ]


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("qa", ("ui",)),
        ("ui", ("faiss", "torch")),
        ("embeddings", ("qa", "ui")),
    ],
)
def test_packages_do_not_reach_upwards(package: str, forbidden: tuple[str, ...]) -> None:
    bad = _offending(package, lambda name: name.split(".")[0] not in forbidden)
    assert not bad, bad


def test_retrieval_needs_only_the_ground_floor_and_the_index_protocols() -> None:
    def allowed(name: str) -> bool:
        return not name.startswith("qa.") or name.startswith(
            ("qa.retrieval", "qa.index.base", *GROUND_FLOOR)
        )

    bad = _offending("qa/retrieval", allowed)
    assert not bad, bad


@pytest.mark.parametrize("package", ["qa/index", "qa/text", "qa/indexing"])
def test_storage_text_and_indexing_know_nothing_of_retrieval_or_answers(package: str) -> None:
    bad = _offending(package, lambda name: not name.startswith(("qa.retrieval", "qa.answer")))
    assert not bad, bad


def test_ui_reads_only_qas_public_surface() -> None:
    bad = _offending(
        "ui", lambda name: not name.startswith("qa.") or name in ("qa.errors",) or name == "qa"
    )
    assert not bad, bad


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _loaded_on_import(path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ours that importing ``path`` loads: its module-level imports, not those
    inside functions or under TYPE_CHECKING. ``from package import module`` needs the module;
    ``from module import name`` the module that defines ``name``."""
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    child = f"{node.module}.{alias.name}"
                    found.add(child if child in modules else node.module)
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                visit(getattr(node, "finalbody", []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(ast.parse(path.read_text()).body)
    return {name for name in found if name in modules}


def test_no_import_circle() -> None:
    modules = _modules()
    graph = {name: _loaded_on_import(path, modules) - {name} for name, path in modules.items()}
    # Depth-first search; a grey module met again closes a circle.
    colour: dict[str, str] = {}
    circles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        colour[name] = "grey"
        for needed in sorted(graph[name]):
            if colour.get(needed) == "grey":
                circles.append([*trail[trail.index(needed) :], needed])
            elif needed not in colour:
                visit(needed, [*trail, needed])
        colour[name] = "black"

    for name in sorted(graph):
        if name not in colour:
            visit(name, [name])
    assert not circles, [" -> ".join(circle) for circle in circles]


def test_modules_and_functions_stay_short() -> None:
    long = []
    for name, path in _modules().items():
        source = path.read_text()
        if (lines := len(source.splitlines())) > MAX_MODULE_LINES:
            long.append(f"{name}: {lines} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if size > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name}: {size} lines")
    assert not long, long
