"""The import rules of docs/architecture.md, checked on the source."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GROUND_FLOOR = ("qa.types", "qa.settings", "qa.errors", "qa.text", "qa.encoder")


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
