"""Export the CTC reader to ONNX, check parity against torch, write its card.

The ONNX graph takes ``input`` (N, 1, 32, W) and returns ``logits``
(N, W/4, 11): raw scores, before the log-softmax the runtime applies. Batch
and width are dynamic axes.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from formocr.read.normalize import LINE_HEIGHT, LINE_PREPROCESS_VERSION
from training.ctc.model import ALPHABET, BLANK, CRNN, STRIDE
from training.ctc.train import load_checkpoint
from training.data import file_facts

OPSET = 17
ATOL = 1e-4


def to_onnx(model: CRNN, out: Path) -> float:
    """Write the ONNX file; returns the largest |torch - onnxruntime| on probe inputs."""
    import onnxruntime as ort

    model.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    dummy = torch.rand(2, 1, LINE_HEIGHT, 96)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (dummy,),
            str(out),
            input_names=["input"],
            output_names=["logits"],
            dynamic_axes={"input": {0: "batch", 3: "width"}, "logits": {0: "batch", 1: "frames"}},
            opset_version=OPSET,
            dynamo=False,
        )
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    worst = 0.0
    gen = torch.Generator().manual_seed(0)
    for n, w in ((1, 32), (3, 160), (5, 512)):
        x = (torch.rand(n, 1, LINE_HEIGHT, w, generator=gen) > 0.8).float()
        with torch.no_grad():
            ref = model(x).numpy()
        got = sess.run(None, {"input": x.numpy()})[0]
        if got.shape != ref.shape or not np.allclose(ref, got, atol=ATOL):
            raise RuntimeError(
                f"{out}: onnxruntime disagrees with torch at width {w} "
                f"(max |diff| {np.abs(ref - got).max():.2e} > {ATOL})"
            )
        worst = max(worst, float(np.abs(ref - got).max()))
    return worst


def export(
    checkpoint: Path,
    out: Path,
    metrics: dict[str, Any] | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """ONNX + card beside it (``out`` with .json). Returns the card."""
    model, ck = load_checkpoint(checkpoint)
    t0 = time.time()
    parity = to_onnx(model, out)
    history = ck.get("history", [])
    card: dict[str, Any] = {
        "name": "formocr-strings-crnn-ctc",
        **file_facts(out),
        "architecture": "CRNN: 4 conv blocks ("
        + ("BN, " if model.cfg.batchnorm else "BN folded in, from --init-onnx; ")
        + "ReLU, pool: height 32 -> 1, width / 4), BiGRU, linear to digits + blank; CTC",
        "parameters": sum(p.numel() for p in model.parameters()),
        "input": {"name": "input", "shape": ["batch", 1, LINE_HEIGHT, "width"], "dtype": "float32"},
        "output": {
            "name": "logits",
            "shape": ["batch", "width/4", len(ALPHABET) + 1],
            "kind": "raw logits (apply log-softmax over the last axis)",
        },
        "alphabet": ALPHABET,
        "blank": BLANK,
        "stride": STRIDE,
        "input_height": LINE_HEIGHT,
        "line_preprocess_version": LINE_PREPROCESS_VERSION,
        "opset": OPSET,
        "parity_max_abs_err": parity,
        "model_config": ck["model_config"],
        "train_config": ck["train_config"],
        "data": ck.get("data", {}),
        "best_epoch": ck.get("best_epoch"),
        "history": history,
        "training_wall_s": ck.get("wall_s"),
        "training_command": command,
        "metrics": {
            "val_writers_exact": history[ck.get("best_epoch", len(history)) - 1]["val_exact"]
            if history
            else None,
            "val_writers_cer": history[ck.get("best_epoch", len(history)) - 1]["val_cer"]
            if history
            else None,
            **(metrics or {}),
        },
        "export_s": time.time() - t0,
    }
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card
