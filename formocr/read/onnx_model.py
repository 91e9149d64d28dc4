"""Loading a shipped ONNX model with its card: one way for every reader.

The card beside the ONNX file is checked on load (sha256, preprocessing
version), so a swapped, corrupt or stale model fails loudly instead of
reading wrongly. The readers check their own input shapes and card fields.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, NamedTuple

from formocr.errors import ModelError


def card_path(model: Path) -> Path:
    return model.with_suffix(".json")


def load_card(model: Path) -> dict[str, Any]:
    path = card_path(model)
    try:
        card = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelError(
            f"{model}: no model card at {path}; export models with 'formocr-train export', "
            "which writes the card beside the ONNX file"
        ) from None
    except (OSError, json.JSONDecodeError) as e:
        raise ModelError(f"{path}: unreadable model card ({e})") from e
    if not isinstance(card, dict):
        raise ModelError(f"{path}: the model card is not a JSON object")
    return card


class LoadedModel(NamedTuple):
    card: dict[str, Any]
    sha256: str
    session: Any  # onnxruntime.InferenceSession


def load_onnx(
    path: Path,
    version_key: str,
    expected_version: str,
    preprocessing: str,
    threads: int = 0,
    session: bool = True,
) -> LoadedModel:
    """The card, the file's sha256 and a CPU session for the ONNX model at
    ``path`` (None with ``session=False``: the checks alone).

    The card's ``version_key`` must equal ``expected_version`` (the
    normaliser the model was trained on); ``preprocessing`` names that
    normaliser in the error ("preprocessing", "line preprocessing").
    """
    card = load_card(path)
    blob, sha256 = _read_checked(path, card.get("sha256"), "its card")
    version = str(card.get(version_key))
    if version != expected_version:
        raise ModelError(
            f"{path}: trained with {preprocessing} version {version}, this formocr uses "
            f"{expected_version}; retrain or install the matching formocr"
        )
    return LoadedModel(card, sha256, _session(path, blob, threads) if session else None)


def load_part(path: Path, sha256: str, threads: int = 0) -> Any:
    """A CPU session for a file a card names beside its model (an ensemble's
    member), checked against the sha256 the card gives it."""
    blob, _ = _read_checked(path, sha256, "the card's")
    return _session(path, blob, threads)


def _read_checked(path: Path, expected: object, whose: str) -> tuple[bytes, str]:
    """The file's bytes and sha256, which must be ``expected``."""
    try:
        blob = path.read_bytes()
    except OSError as e:
        raise ModelError(f"{path}: cannot read the model ({e})") from e
    sha256 = hashlib.sha256(blob).hexdigest()
    if sha256 != expected:
        raise ModelError(
            f"{path}: sha256 {sha256[:12]}… does not match {whose} "
            f"({str(expected)[:12]}…); the file is corrupt or was replaced"
        )
    return blob, sha256


def _session(path: Path, blob: bytes, threads: int) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    # No memory arena: it grows to the largest batch seen and keeps it
    # (peak RSS over 80 dense pages 283 -> 255 MB; same output and CPU).
    opts.enable_cpu_mem_arena = False
    # No memory pattern either: it plans buffers for the shapes it has seen and
    # keeps them (a worker over 6 dense pages peaks at 157-170 MB, not 191-193;
    # same results, same CPU).
    opts.enable_mem_pattern = False
    if threads:
        opts.intra_op_num_threads = threads
    # Idle intra-op threads sleep instead of spinning: between the page's few
    # model runs (the serial path's sessions have a thread per core) spinning
    # only burns CPU that layout and normalisation on the same cores need.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        session = ort.InferenceSession(blob, opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own untyped errors
        raise ModelError(f"{path}: onnxruntime cannot load the model ({e})") from e
    return session
