"""``qa``'s public surface: every name it offers resolves, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import qa

REPO = Path(__file__).resolve().parents[2]
# What ``import qa`` must leave for the first use of a name that needs it.
_HEAVY = ("numpy", "faiss", "torch", "gradio", "fastapi", "httpx", "wordfreq", "pypdf", "qa.engine")


def test_every_public_name_resolves() -> None:
    for name in qa.__all__:
        assert getattr(qa, name) is not None, name


def test_importing_qa_loads_no_heavy_module() -> None:
    script = f"import sys, qa; print(sorted(set(sys.modules) & {set(_HEAVY)!r}))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.strip() == "[]", done.stdout
