"""ONNX export with a torch/onnxruntime parity check, and the model card.

Several checkpoints export as one ensemble whose logits are the mean of its
members'; the runtime sees a single model either way.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from formocr.read.classify import FIRST_LOOK_MIN, SHIFTS
from formocr.read.normalize import PREPROCESS_VERSION
from training.data import file_facts
from training.model import ConvAutoencoder, members_from_onnx
from training.train import load_checkpoint

OPSET = 17


class Ensemble(nn.Module):
    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(x) for m in self.members]).mean(0)


class ShiftAveraged(nn.Module):
    """Test-time augmentation inside the graph: mean logits over 1-px shifts.

    Shifts pad with paper (zeros), so no ink wraps around the edges.
    """

    SHIFTS = SHIFTS  # the runtime's, so a cascade (``shift_below``) matches exactly

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    @staticmethod
    def shift(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
        h, w = x.shape[-2:]
        padded = nn.functional.pad(x, (1, 1, 1, 1))
        return padded[..., 1 - dy : 1 - dy + h, 1 - dx : 1 - dx + w]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([self.inner(self.shift(x, dy, dx)) for dy, dx in self.SHIFTS]).mean(0)


class ParityError(Exception):
    pass


def check_parity(
    module: nn.Module,
    onnx_path: Path,
    x: np.ndarray | dict[str, np.ndarray],
    atol: float = 1e-4,
) -> float:
    """Max |torch - onnxruntime| on ``x`` (the array of the graph's "input", or
    every input by name, in the module's order); raises ParityError beyond ``atol``."""
    import onnxruntime as ort

    feeds = x if isinstance(x, dict) else {"input": x}
    with torch.no_grad():
        ref = module(*(torch.from_numpy(v) for v in feeds.values())).numpy()
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = sess.run(None, feeds)[0]
    err = float(np.abs(ref - got).max())
    if not np.allclose(ref, got, atol=atol):
        raise ParityError(f"ONNX and torch logits differ by {err:.2e} (> {atol})")
    return err


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of ``labels``
    (a grid from 0.5 to 4 by 0.005: one parameter needs no optimiser)."""
    grid = np.arange(0.5, 4.0, 0.005)
    z = logits.astype(np.float64)
    best, best_nll = 1.0, np.inf
    for t in grid:
        zt = z / t
        zt = zt - zt.max(1, keepdims=True)
        logp = zt - np.log(np.exp(zt).sum(1, keepdims=True))
        nll = -float(logp[np.arange(len(labels)), labels].mean())
        if nll < best_nll:
            best, best_nll = float(t), nll
    return round(best, 3)


def to_onnx(
    module: nn.Module,
    dummies: dict[str, torch.Tensor],
    out: Path,
    output: str = "logits",
) -> None:
    """``module`` to ONNX at ``out``: its inputs named as ``dummies`` (in the
    module's order), every input and the output batched along axis 0."""
    names = list(dummies)
    with warnings.catch_warnings():
        # dynamo=False is the deliberate choice (no onnxscript); silence its notice.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            module,
            tuple(dummies.values()),
            str(out),
            input_names=names,
            output_names=[output],
            dynamic_axes={k: {0: "batch"} for k in [*names, output]},
            opset_version=OPSET,
            dynamo=False,
        )


def assembled(models: list[ConvAutoencoder], tta: bool = False) -> nn.Module:
    """One module of ``models``: the model, or their ensemble; shift-averaged with ``tta``."""
    module: nn.Module = models[0] if len(models) == 1 else Ensemble(list(models))
    return (ShiftAveraged(module) if tta else module).eval()


def probe_crops(probe: np.ndarray | None = None) -> np.ndarray:
    """The crops a parity check runs: 64 of noise, then ``probe`` (real digits)."""
    x = np.random.default_rng(0).random((64, 1, 28, 28), dtype=np.float32)
    return x if probe is None else np.concatenate([x, probe.astype(np.float32)])


def write_graph(models: list[ConvAutoencoder], tta: bool, out: Path, x: np.ndarray) -> float:
    """Export ``models`` (in their export form) to ``out``; the parity of the
    graph with the models as trained on ``x``, raising ParityError beyond 1e-4."""
    to_onnx(
        assembled([m.export_form() for m in models], tta), {"input": torch.zeros(2, 1, 28, 28)}, out
    )
    return check_parity(assembled(models, tta), out, x)


def export(
    checkpoints: list[Path],
    out: Path,
    probe: np.ndarray | None = None,
    name: str = "formocr-digits-cae",
    temperature: float = 1.0,
    metrics: dict[str, Any] | None = None,
    tta: bool = False,
    shift_below: float | None = None,
    first_look_min: float | None = FIRST_LOOK_MIN,
) -> dict[str, Any]:
    """Write ``out`` (.onnx) and its card (.json); returns the card. An
    ensemble's members are written beside it for the runtime's first look
    (``split_members``) unless ``first_look_min`` is None or ``tta``."""
    loaded = [load_checkpoint(p) for p in checkpoints]
    classes = {int(c["model_config"].get("classes", 10)) for _, c in loaded}  # type: ignore[attr-defined]
    if len(classes) != 1:
        raise ValueError(f"members disagree on the number of classes: {sorted(classes)}")
    n_classes = classes.pop()
    for _, ckpt in loaded:
        if ckpt["preprocess_version"] != PREPROCESS_VERSION:
            raise ValueError(
                f"checkpoint preprocessing version {ckpt['preprocess_version']} "
                f"!= current {PREPROCESS_VERSION}"
            )
    models = [m for m, _ in loaded]
    out.parent.mkdir(parents=True, exist_ok=True)
    x = probe_crops(probe)
    err = write_graph(models, tta, out, x)
    card: dict[str, Any] = {
        "name": name,
        **file_facts(out),
        "architecture": f"conv-autoencoder (Zeng, Meng, Guo) + FC 784-500-{n_classes}",
        "classes": n_classes,
        # Class 10 of an 11-class model: "not a digit" (training.negatives).
        "not_digit_index": 10 if n_classes == 11 else None,
        "members": len(models),
        "test_time_shifts": len(ShiftAveraged.SHIFTS) if tta else 1,
        # The runtime re-reads digits under this confidence with the shifts.
        "shift_below": shift_below,
        "input": {"name": "input", "shape": ["batch", 1, 28, 28], "dtype": "float32"},
        "output": {"name": "logits", "shape": ["batch", n_classes]},
        "opset": OPSET,
        "preprocess_version": PREPROCESS_VERSION,
        "temperature": temperature,
        "parity_max_abs_err": err,
        "model_config": loaded[0][1]["model_config"],
        "train_configs": [c["train_config"] for _, c in loaded],
        "training_data": loaded[0][1]["data"],
        "validation": [
            {k: v for k, v in c["metrics"].items() if k != "history"} for _, c in loaded
        ],
        "metrics": metrics or {},
    }
    if len(models) > 1 and not tta and first_look_min is not None:
        card["first_look"] = split_members(out, first_look_min, x)
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def member_outputs(graph: Any) -> list[str]:
    """The members' logits in an exported ensemble: the inputs of the mean
    that makes ``logits`` (ReduceMean of a Concat of Unsqueezed members)."""
    made = {o: n for n in graph.node for o in n.output}
    mean = made.get("logits")
    concat = made.get(mean.input[0]) if mean is not None and mean.op_type == "ReduceMean" else None
    if concat is None or concat.op_type != "Concat":
        raise ValueError("not an ensemble: 'logits' is not the mean of its members' logits")
    outs = []
    for name in concat.input:
        node = made.get(name)
        outs.append(node.input[0] if node is not None and node.op_type == "Unsqueeze" else name)
    return outs


def split_members(path: Path, min_confidence: float, probe: np.ndarray) -> dict[str, Any]:
    """Write each member of the ensemble at ``path`` as ``<stem>.member<i>.onnx``
    (its own subgraph, output ``logits``), check that their mean is the
    ensemble's on ``probe``, and return the card's ``first_look`` entry."""
    import onnx
    import onnxruntime as ort
    from onnx.utils import Extractor

    # The extractor needs every tensor's type: the export leaves the inner ones out.
    model = onnx.shape_inference.infer_shapes(onnx.load(str(path)))
    extractor = Extractor(model)
    members = []
    for i, name in enumerate(member_outputs(model.graph)):
        sub = extractor.extract_model(["input"], [name])
        for node in sub.graph.node:
            node.output[:] = ["logits" if o == name else o for o in node.output]
        sub.graph.output[0].name = "logits"
        target = path.with_name(f"{path.stem}.member{i}.onnx")
        onnx.save(sub, str(target))
        blob = target.read_bytes()
        members.append(
            {"file": target.name, "sha256": hashlib.sha256(blob).hexdigest(), "bytes": len(blob)}
        )

    def run(file: Path) -> np.ndarray:
        sess = ort.InferenceSession(str(file), providers=["CPUExecutionProvider"])
        return np.asarray(sess.run(None, {"input": probe.astype(np.float32)})[0])

    whole = run(path)
    parts = np.mean([run(path.with_name(str(m["file"]))) for m in members], axis=0)
    err = float(np.abs(whole - parts).max())
    if err > 1e-4:
        raise ParityError(f"the members' mean differs from the ensemble by {err:.2e}")
    return {"min_confidence": min_confidence, "members": members, "parity_max_abs_err": err}


def reexport(path: Path) -> dict[str, Any]:
    """Write the digit model at ``path`` again, in the current export form
    (:meth:`ConvAutoencoder.export_form`), from the file's own weights.

    The members are rebuilt from the file (``members_from_onnx``); the new
    graph must give the logits of the trained models (``check_parity``) and of
    the old file, within 1e-4, or nothing is written. Its members are split
    again where the card names them. The card keeps everything else; its
    metrics are the caller's to measure again. Returns the card.
    """
    import onnxruntime as ort

    from formocr.read.onnx_model import card_path, load_card

    card = load_card(path)
    models = members_from_onnx(str(path), classes=int(card.get("classes", 10)))
    tta = int(card.get("test_time_shifts", 1)) > 1
    x = probe_crops()
    before = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    old = np.asarray(before.run(None, {"input": x})[0])
    tmp = path.with_name(path.name + ".part")
    try:
        err = write_graph(models, tta, tmp, x)
        after = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
        drift = float(np.abs(np.asarray(after.run(None, {"input": x})[0]) - old).max())
        if drift > 1e-4:
            raise ParityError(f"the new graph's logits differ from the old file's by {drift:.2e}")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    card.update(file_facts(path), parity_max_abs_err=err, logits_moved=drift)
    if "first_look" in card:
        card["first_look"] = split_members(path, card["first_look"]["min_confidence"], x)
    card_path(path).write_text(json.dumps(card, indent=2) + "\n")
    return card
