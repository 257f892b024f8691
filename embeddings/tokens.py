"""Token ids for the plain-pipeline backends, and length-sorted padded batches of them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from embeddings.model_folder import read_json

if TYPE_CHECKING:
    from tokenizers import Tokenizer

logger = logging.getLogger(__name__)


def padded_batches(
    token_ids: Sequence[Sequence[int]], batch_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Batches of at most ``batch_size`` texts, longest token sequence first.

    Yields ``(rows, ids, mask)``: ``rows`` (b,) int64 positions in ``token_ids``, ``ids`` (b, t)
    int64 right-padded with 0 to the batch's longest sequence, ``mask`` (b, t) int64 1 on real
    tokens. Sorting by token count makes each batch pad to nearly its own length (character
    length only approximates it: numbers and names split into many word pieces). Padded
    positions are masked out of attention and pooling, so the pad id never reaches a vector.
    """
    order = np.argsort([-len(ids) for ids in token_ids], kind="stable")
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        ids = np.zeros((len(rows), len(token_ids[rows[0]])), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, i in enumerate(rows):
            ids[row, : len(token_ids[i])] = token_ids[i]
            mask[row, : len(token_ids[i])] = 1
        yield rows, ids, mask


_BERT_TOKENIZER_CLASSES = (None, "BertTokenizer", "BertTokenizerFast")


def tokenizer_json_is_what_transformers_runs(folder: Path) -> bool:
    """Whether ``tokenizer.json`` alone tokenises as transformers' AutoTokenizer would.

    transformers' BertTokenizer rebuilds the normaliser from tokenizer_config.json (lower-casing
    by default), overriding tokenizer.json; only the generic fast tokenizer runs it unchanged.
    """
    tokenizer = read_json(folder / "tokenizer.json")
    tokenizer_config = read_json(folder / "tokenizer_config.json") or {}
    if not isinstance(tokenizer, dict) or not isinstance(tokenizer_config, dict):
        return False
    kind = tokenizer_config.get("tokenizer_class")
    if kind == "PreTrainedTokenizerFast":
        return True
    if kind not in _BERT_TOKENIZER_CLASSES:
        return False
    expected = {
        "type": "BertNormalizer",
        "clean_text": True,
        "handle_chinese_chars": tokenizer_config.get("tokenize_chinese_chars", True),
        "strip_accents": tokenizer_config.get("strip_accents"),
        "lowercase": tokenizer_config.get("do_lower_case", True),
    }
    pre_tokenizer = tokenizer.get("pre_tokenizer") or {}
    return tokenizer.get("normalizer") == expected and pre_tokenizer.get("type") == (
        "BertPreTokenizer"
    )


def fast_tokenizer(folder: Path, limit: int) -> Tokenizer:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    # tokenizer.json may carry fixed padding and another truncation length; batches are padded
    # per batch by ``padded_batches``.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=limit)
    return tokenizer


def plain_token_ids(folder: Path, limit: int) -> Callable[[list[str]], list[list[int]]]:
    """The token ids the plain-pipeline backends compute: special tokens, cut at ``limit``.

    ``tokenizers`` alone when tokenizer.json is what transformers runs (no transformers import),
    else transformers' AutoTokenizer.
    """
    if tokenizer_json_is_what_transformers_runs(folder):
        fast = fast_tokenizer(folder, limit)
        return lambda texts: [encoding.ids for encoding in fast.encode_batch(texts)]
    from transformers import AutoTokenizer

    slow = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    return lambda texts: list(slow(texts, truncation=True, max_length=limit)["input_ids"])
