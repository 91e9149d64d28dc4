"""Static int8 (QDQ) quantisation of an exported digit model, with its card.

The convolutions and the fully connected layers get int8 weights (per output
channel) and uint8 activations; the transposed convolutions, pooling and the
ensemble's mean stay float. Activation ranges are calibrated (min/max) on
normalised MNIST *training* digits, never test digits. ``reduce_range``
(7-bit weights) is on by default: without VNNI, onnxruntime's x86 int8 kernels
can saturate on full-range weights, which cost 0.06 points of MNIST test.

The card is the float model's, with the new file's sha256 and size, the
quantisation settings and the float model's sha256 (``quantized_from``); its
metrics are left for the caller to measure (they are the float model's).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from formocr.read.normalize import normalize_batch
from formocr.read.onnx_model import load_card
from training.data import file_facts, load_mnist

# Quantised op types: the rest stay float (ConvTranspose has no int8 CPU
# kernel; a quantised AveragePool cost more than it saved).
QUANTIZED_OPS = ("Conv", "Gemm")


def calibration_digits(n: int, seed: int = 0, mnist_dir: Path | None = None) -> np.ndarray:
    """``n`` MNIST training digits drawn at random, normalised (N, 1, 28, 28) float32."""
    train = load_mnist("train", mnist_dir)
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(train.images), min(n, len(train.images)), replace=False))
    return normalize_batch(list(train.images[idx])).astype(np.float32)


def _batches(x: np.ndarray, name: str, size: int = 100) -> Iterator[dict[str, np.ndarray]]:
    for i in range(0, len(x), size):
        yield {name: x[i : i + size]}


def quantize(
    model: Path,
    out: Path,
    calibration: np.ndarray,
    reduce_range: bool = True,
    calibration_info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the int8 model ``out`` (.onnx) and its card (.json); returns the card."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    card = load_card(model)
    src_sha = hashlib.sha256(model.read_bytes()).hexdigest()
    if card.get("sha256") != src_sha:
        raise ValueError(f"{model}: sha256 does not match its card")
    input_name = str(card.get("input", {}).get("name", "input"))

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self.it = _batches(calibration, input_name)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.it, None)

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(model), str(pre), skip_symbolic_shape=True)
        quantize_static(
            str(pre),
            str(out),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            reduce_range=reduce_range,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=list(QUANTIZED_OPS),
            calibrate_method=CalibrationMethod.MinMax,
        )
    card = dict(card)
    card.pop("parity_max_abs_err", None)
    card.pop("first_look", None)  # the float members; the int8 ensemble is one file
    card.update(
        {
            "name": f"{card.get('name', model.stem)}-int8",
            **file_facts(out),
            "quantized_from": src_sha,
            "quantization": {
                "format": "QDQ static",
                "ops": list(QUANTIZED_OPS),
                "weights": "int8 per channel",
                "activations": "uint8",
                "reduce_range": reduce_range,
                "calibrate_method": "minmax",
                "calibration": calibration_info or {"n": len(calibration)},
            },
            "metrics": {},
        }
    )
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card
