from __future__ import annotations

import subprocess
import sys

import embeddings


def test_every_public_name_resolves() -> None:
    assert all(getattr(embeddings, name) is not None for name in embeddings.__all__)


def test_importing_one_module_does_not_load_faiss() -> None:
    # The word-frequency table reads its folder from here while cleaning, with no index open.
    code = "import sys, embeddings.encoder; print('faiss' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
