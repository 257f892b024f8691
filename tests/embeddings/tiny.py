"""Tiny randomly initialised sentence-transformers folders, written by the tests themselves."""

from __future__ import annotations

from pathlib import Path

_WORDS = (
    "the a of and to in is ship tank plane army navy air force border patrol "
    "coast guard radar missile drill training budget"
)
_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *_WORDS.split()]


def write_tiny_model(
    folder: Path,
    seed: int,
    pooling: str = "mean",
    dense: bool = False,
    model_type: str = "bert",
    **config: object,
) -> Path:
    """A randomly initialised two-layer transformer saved as a sentence-transformers folder.

    ``config`` overrides the model configuration (e.g. another activation).
    """
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Pooling, Transformer
    from transformers import AutoConfig, AutoModel, BertTokenizerFast

    raw = folder / "raw"
    raw.mkdir(parents=True)
    BertTokenizerFast(vocab={word: i for i, word in enumerate(_VOCAB)}).save_pretrained(raw)
    torch.manual_seed(seed)
    settings: dict[str, object] = {
        "vocab_size": len(_VOCAB),
        "hidden_size": 16,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 32,
        "max_position_embeddings": 64,
        "pad_token_id": 0,
    }
    AutoModel.from_config(AutoConfig.for_model(model_type, **settings, **config)).save_pretrained(
        raw
    )
    transformer = Transformer(str(raw), max_seq_length=32)
    modules = [transformer, Pooling(16, pooling)] + ([Dense(16, 8)] if dense else [])
    model = SentenceTransformer(modules=modules, device="cpu")
    out = folder / "model"
    model.save(str(out))
    return out
