"""What a new user reads first: the README's command list, where the figures went, and the
help of the data classes an API user handles."""

from __future__ import annotations

import dataclasses
import pydoc
import re
from pathlib import Path

from qa.cli import BUILTIN
from qa.types import Citation

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_the_readme_lists_every_command() -> None:
    listed = set(re.findall(r"^citeqa (\w+)", _section(README, "Command line"), re.MULTILINE))
    assert set(BUILTIN) | {"serve"} <= listed


def test_the_measured_figures_live_in_docs_benchmarks_linked_from_the_readme() -> None:
    benchmarks = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert "](docs/benchmarks.md)" in README
    # The figures themselves: the dev-set table and the scale run.
    assert "| dev set (index) |" in benchmarks and "| dev set (index) |" not in README
    assert "225,353 chunks" in benchmarks and "225,353" not in README


def test_help_of_citation_explains_every_field() -> None:
    shown = pydoc.render_doc(Citation, renderer=pydoc.plaintext)
    for field in dataclasses.fields(Citation):
        assert f"``{field.name}``" in shown, field.name
