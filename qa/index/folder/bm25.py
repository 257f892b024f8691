"""BM25 keyword index over chunk texts (bm25s), addressed by chunk id."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Collection, Sequence
from pathlib import Path

import bm25s
import numpy as np
from bm25s.tokenization import Tokenized

from qa.index.base import Ranking
from qa.text.fields import FIELDS_VERSION
from qa.text.words import tokenize_for_bm25

_IDS_FILE = "chunk_ids.json"
_META_FILE = "citeqa.json"
_TERMS_FILE = "citeqa-terms.npz"


def text_key(text: str) -> bytes:
    """A short fingerprint of a text, to find its terms again in the next build."""
    return hashlib.blake2b(text.encode(), digest_size=12).digest()


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest positive entries of ``scores`` (shape ``(n,)``), best first.

    Equal scores keep index order, so results do not depend on the partition algorithm.
    """
    positive = np.flatnonzero(scores > 0)
    if positive.size > k:
        cut = np.argpartition(-scores[positive], k - 1)[:k]
        threshold = scores[positive[cut]].min()
        positive = positive[scores[positive] >= threshold]
    order = np.lexsort((positive, -scores[positive]))
    return positive[order][:k]


class LexicalIndex:
    """BM25 (Lucene variant, k1=1.5, b=0.75) over the texts given to ``build``."""

    def __init__(self) -> None:
        self._bm25: bm25s.BM25 | None = None
        self._ids: tuple[str, ...] = ()
        self._position: dict[str, int] = {}
        # Each indexed text's term ids (int32, in ``_vocab``), by ``text_key``: the store
        # rebuilds the index after every change, and tokenizing every chunk again was most of
        # that (9.5 s of 9.8 s to add one small document to 26k chunks).
        self._vocab: dict[str, int] = {}
        self._terms: dict[bytes, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def build(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        previous: LexicalIndex | None = None,
    ) -> None:
        """Index ``texts`` under ``ids`` (replacing what was there); ids must be unique.

        Texts that ``previous`` indexed keep their terms; only the others are tokenized.
        """
        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} ids but {len(texts)} texts")
        position = {chunk_id: i for i, chunk_id in enumerate(ids)}
        if len(position) != len(ids):
            raise ValueError("chunk ids passed to LexicalIndex.build must be unique")
        if not ids:
            self._bm25, self._ids, self._position = None, (), {}
            self._vocab, self._terms = {}, {}
            return
        vocab = dict(previous._vocab) if previous is not None else {}
        known = previous._terms if previous is not None else {}
        keys = [text_key(text) for text in texts]
        terms: dict[bytes, np.ndarray] = {}
        for key, text in zip(keys, texts, strict=True):
            if key in terms:
                continue
            found = known.get(key)
            if found is None:
                tokens = tokenize_for_bm25([text])[0]
                found = np.array([vocab.setdefault(t, len(vocab)) for t in tokens], np.int32)
            terms[key] = found
        corpus = [terms[key].tolist() for key in keys]
        # Terms no kept text uses still take a column: they score nothing.
        bm25 = bm25s.BM25()
        bm25.index(Tokenized(ids=corpus, vocab=vocab), show_progress=False)
        self._bm25, self._ids, self._position = bm25, tuple(ids), position
        self._vocab, self._terms = vocab, terms

    def search(self, query: str, k: int, allowed: Collection[str] | None = None) -> Ranking:
        """The ``k`` best chunks sharing at least one term with ``query``.

        ``allowed`` restricts results to those chunk ids (a document filter); unknown ids are
        ignored.
        """
        if self._bm25 is None or k < 1:
            return Ranking((), ())
        tokens = [t for t in tokenize_for_bm25([query])[0] if t in self._bm25.vocab_dict]
        if not tokens:
            return Ranking((), ())
        mask = None
        if allowed is not None:
            mask = np.zeros(len(self._ids), dtype=np.float32)
            rows = [self._position[c] for c in allowed if c in self._position]
            if not rows:
                return Ranking((), ())
            mask[rows] = 1.0
        scores = self._bm25.get_scores(tokens, weight_mask=mask)
        best = top_k(scores, k)
        return Ranking(tuple(self._ids[i] for i in best), tuple(float(scores[i]) for i in best))

    def save(self, folder: Path) -> None:
        """Write bm25s npy/json files and the chunk ids; the folder appears whole or not at all."""
        if self._bm25 is None:
            raise ValueError("cannot save an empty LexicalIndex")
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        try:
            self._bm25.save(staging, show_progress=False)
            (staging / _IDS_FILE).write_text(json.dumps(list(self._ids)), encoding="utf-8")
            meta = {"fields_version": FIELDS_VERSION}
            (staging / _META_FILE).write_text(json.dumps(meta), encoding="utf-8")
            self._save_terms(staging / _TERMS_FILE)
            for path in staging.iterdir():
                with path.open("rb") as handle:
                    os.fsync(handle.fileno())
            previous = None
            if folder.exists():
                previous = folder.with_name(f".{folder.name}.old")
                shutil.rmtree(previous, ignore_errors=True)
                os.replace(folder, previous)
            os.replace(staging, folder)
            if previous is not None:
                shutil.rmtree(previous, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _save_terms(self, path: Path) -> None:
        keys = list(self._terms)
        lengths = np.array([len(self._terms[k]) for k in keys], dtype=np.int64)
        flat = np.concatenate([self._terms[k] for k in keys]) if keys else np.zeros(0, np.int32)
        vocab = sorted(self._vocab, key=self._vocab.__getitem__)
        with path.open("wb") as handle:
            np.savez(
                handle,
                keys=np.frombuffer(b"".join(keys), dtype="S12"),
                lengths=lengths,
                flat=flat.astype(np.int32),
                vocab=np.array(vocab, dtype=str),
            )

    def _load_terms(self, path: Path) -> None:
        """The saved terms, if the files have them (older ones do not: all is tokenized)."""
        if not path.exists():
            return
        with np.load(path, allow_pickle=False) as saved:
            keys, lengths, flat = saved["keys"], saved["lengths"], saved["flat"]
            vocab = saved["vocab"].tolist()
        self._vocab = {term: i for i, term in enumerate(vocab)}
        pieces = np.split(flat, np.cumsum(lengths)[:-1]) if len(lengths) else []
        self._terms = {bytes(k): piece for k, piece in zip(keys, pieces, strict=True)}

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Read a saved index; ``ValueError`` when it was built by other field/tokenizer rules.

        Callers rebuild from the chunks in that case: query tokens would no longer match.
        """
        folder = Path(folder)
        meta_path = folder / _META_FILE
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        if meta.get("fields_version") != FIELDS_VERSION:
            raise ValueError(
                f"{folder}: BM25 files use field/tokenizer version {meta.get('fields_version')}, "
                f"this version uses {FIELDS_VERSION}; rebuild them from the chunks"
            )
        ids = json.loads((folder / _IDS_FILE).read_text(encoding="utf-8"))
        bm25 = bm25s.BM25.load(folder, mmap=False, allow_pickle=False, show_progress=False)
        index = cls()
        index._bm25, index._ids = bm25, tuple(ids)
        index._position = {chunk_id: i for i, chunk_id in enumerate(ids)}
        index._load_terms(folder / _TERMS_FILE)
        if bm25.scores["num_docs"] != len(ids):
            raise ValueError(
                f"{folder}: BM25 files hold {bm25.scores['num_docs']} documents but "
                f"{len(ids)} chunk ids"
            )
        return index
