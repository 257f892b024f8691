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


# What one more forward pass costs beside the tokens it computes, in tokens: MiniLM in f32 on one
# Zen 3 core ran a 1-token text in 3.7 ms of CPU (streaming its 42 MB of weights) and ~0.27 ms
# per further token.
BATCH_OVERHEAD_TOKENS = 14.0


def batch_sizes(
    lengths: Sequence[int], max_batch: int, overhead: float, min_batches: int = 1
) -> list[int]:
    """Sizes of the consecutive batches over ``lengths`` that cost least.

    ``lengths``: token counts, longest first. A batch costs its size times its first (longest)
    length, i.e. the tokens it computes with padding, plus ``overhead``. Batches hold at most
    ``max_batch`` texts, and there are at least ``min_batches`` of them (at most one per text),
    so that as many streams get work; of equally cheap cuts, the one whose costliest batch is
    cheapest. Dynamic programming over (texts done, batches so far).
    """
    n = len(lengths)
    wanted = max(1, min(min_batches, n))
    # best[j][k]: (cost, costliest batch) of the best cut of the first j texts into k batches
    # (k == wanted: or more); of equal costs, the evenest, since streams run batches side by side.
    worst = (np.inf, np.inf)
    best = [[worst] * (wanted + 1) for _ in range(n + 1)]
    previous = [[(0, 0)] * (wanted + 1) for _ in range(n + 1)]
    best[0][0] = (0.0, 0.0)
    for j in range(1, n + 1):
        for i in range(max(0, j - max_batch), j):
            cost = (j - i) * lengths[i] + overhead
            for k in range(wanted + 1):
                total, costliest = best[i][k]
                candidate = (total + cost, max(costliest, cost))
                if candidate < best[j][min(k + 1, wanted)]:
                    best[j][min(k + 1, wanted)] = candidate
                    previous[j][min(k + 1, wanted)] = (i, k)
    sizes = []
    j, k = n, wanted
    while j > 0:
        i, k = previous[j][k]
        sizes.append(j - i)
        j = i
    return sizes[::-1]


def padded_batches(
    token_ids: Sequence[Sequence[int]], batch_size: int, *, min_batches: int = 1
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Batches of at most ``batch_size`` texts, longest token sequence first, cut where padding
    would cost more than another forward pass (``batch_sizes``), in at least ``min_batches``.

    Yields ``(rows, ids, mask)``: ``rows`` (b,) int64 positions in ``token_ids``, ``ids`` (b, t)
    int64 right-padded with 0 to the batch's longest sequence, ``mask`` (b, t) int64 1 on real
    tokens. Sorting by token count makes each batch pad to nearly its own length (character
    length only approximates it: numbers and names split into many word pieces). Padded
    positions are masked out of attention and pooling, so the pad id never reaches a vector.
    """
    order = np.argsort([-len(ids) for ids in token_ids], kind="stable")
    lengths = [len(token_ids[i]) for i in order]
    start = 0
    for size in batch_sizes(lengths, batch_size, BATCH_OVERHEAD_TOKENS, min_batches):
        rows = order[start : start + size]
        start += size
        ids = np.zeros((len(rows), lengths[start - size]), dtype=np.int64)
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
