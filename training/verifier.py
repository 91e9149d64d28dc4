"""The digit verifier: train it on the lattice's own candidates, export it.

``formocr-train verifier`` makes the data (``training.lattice_data``: pages
of MNIST's training writers and optdigits' training blocks for training, of
MNIST's validation writers for choosing the epoch), trains this small network, and writes
``verifier.onnx`` with its card beside it. The runtime's side is
``formocr.read.verify``.

The network (``describe``): the 28x28 input average-pooled to 14x14, a linear
layer of those 196 pixels to 64 units, plus a linear layer of the
candidate's geometry (5 values) to the same 64, then ReLU and one logit:
"not one digit". About 13 thousand weights, under a microsecond a crop.
Convolutions (``c1``, ``c2``) and the full 28x28 (``down`` 1) are options;
on the headline's strings they read no better (BENCHMARKS.md, eighteenth
session) at 10 to 90 times the cost.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from formocr.read.normalize import PREPROCESS_VERSION
from formocr.read.verify import GEOMETRY, GEOMETRY_VERSION
from training.data import file_facts, mnist_checksums, sha256_file
from training.export import OPSET, check_parity, to_onnx
from training.lattice_data import Candidates, candidates

log = logging.getLogger("formocr.train")


@dataclass(frozen=True)
class VerifierConfig:
    pages: int = 800
    val_pages: int = 100
    seed: int = 720_000
    val_seed: int = 710_000
    epochs: int = 20
    batch_size: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-4
    c1: int = 0  # 0: no convolutions
    c2: int = 16
    hidden: int = 64
    down: int = 2
    workers: int = 2
    threads: int = 2
    optdigits: str | None = None  # optdigits-orig.tra: its training blocks join
    # The share of neighbouring digits the pages' writers join with a pen
    # stroke (training.lattice_data; both the training and validation pages).
    joined: float = 0.0


class Verifier(nn.Module):
    """``down``: the 28x28 input average-pooled by this factor first (1: not);
    ``c1`` 0: no convolutions, the (pooled) pixels go straight to the hidden layer."""

    def __init__(
        self,
        c1: int = 0,
        c2: int = 16,
        hidden: int = 64,
        geo: int = len(GEOMETRY),
        down: int = 2,
    ):
        super().__init__()
        side = 28 // down
        layers: list[nn.Module] = [nn.AvgPool2d(down)] if down > 1 else []
        if c1:
            layers += [
                nn.Conv2d(1, c1, 3, padding=1),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
                nn.Conv2d(c1, c2, 3, padding=1),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            features = c2 * (side // 4) ** 2
        else:
            features = side * side
        self.conv = nn.Sequential(*layers)
        self.image = nn.Linear(features, hidden)
        self.shape = nn.Linear(geo, hidden)
        self.head = nn.Sequential(nn.ReLU(inplace=True), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        z = self.image(self.conv(x).flatten(1)) + self.shape(g)
        return self.head(z).squeeze(1)


def describe(cfg: dict[str, Any]) -> str:
    """The network of a ``VerifierConfig`` (as a dict), in words."""
    down, side = cfg["down"], 28 // cfg["down"]
    parts = [f"avg pool {down}x{down} to {side}x{side}"] if down > 1 else []
    if cfg["c1"]:
        parts += [f"conv 3x3x{cfg['c1']}", "max pool", f"conv 3x3x{cfg['c2']}", "max pool"]
        features = cfg["c2"] * (side // 4) ** 2
    else:
        features = side * side
    parts.append(f"FC {features}-{cfg['hidden']} + geometry FC {len(GEOMETRY)}-{cfg['hidden']}")
    return " > ".join(parts + ["ReLU > FC 1 (logit of 'not one digit')"])


def _tensors(c: Candidates) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    x = torch.from_numpy(np.ascontiguousarray(c.x[:, None], np.float32))
    g = torch.from_numpy(np.ascontiguousarray(c.geometry, np.float32))
    # The target is "not a digit": 1 - the candidates' digit label.
    y = torch.from_numpy((1 - c.y).astype(np.float32))
    return x, g, y


@torch.no_grad()
def predict(model: Verifier, c: Candidates, bs: int = 4096) -> np.ndarray:
    """P(not one digit) of each candidate."""
    model.eval()
    x, g, _ = _tensors(c)
    out = [torch.sigmoid(model(x[i : i + bs], g[i : i + bs])) for i in range(0, len(x), bs)]
    return torch.cat(out).numpy().astype(np.float64) if out else np.zeros(0)


def scores(p: np.ndarray, c: Candidates) -> dict[str, Any]:
    """What matters to the lattice: digits wrongly doubted, pairs and pieces caught."""
    out: dict[str, Any] = {"n": int(len(c))}
    eps = 1e-7
    nll = -np.mean(np.where(c.y == 0, np.log(p + eps), np.log(1 - p + eps)))
    out["nll"] = float(nll)
    for k in ("digit", "piece", "pair"):
        m = c.kind == k
        if not m.any():
            continue
        q = p[m]
        out[k] = {
            "n": int(m.sum()),
            "mean_p_not_digit": float(q.mean()),
            **{f"p>{t}": float((q > t).mean()) for t in (0.5, 0.9, 0.99)},
        }
    return out


def make_data(cfg: VerifierConfig, mnist_dir: Path | None = None) -> tuple[Candidates, Candidates]:
    """(training, validation) candidates, as ``cfg`` says."""
    t0 = time.time()
    val = candidates(cfg.val_pages, cfg.val_seed, "val", cfg.workers, mnist_dir, joined=cfg.joined)
    opt = Path(cfg.optdigits) if cfg.optdigits else None
    tr = candidates(cfg.pages, cfg.seed, "train", cfg.workers, mnist_dir, opt, cfg.joined)
    log.info(
        "data ready in %.0f s: %d training candidates (%.0f %% digits), %d validation",
        time.time() - t0,
        len(tr),
        100 * tr.y.mean(),
        len(val),
    )
    return tr, val


def train(
    cfg: VerifierConfig, tr: Candidates, val: Candidates, mnist_dir: Path | None = None
) -> tuple[Verifier, dict[str, Any]]:
    """Train on ``tr``, keep the epoch of least NLL on ``val``."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    t0 = time.time()
    model = Verifier(cfg.c1, cfg.c2, cfg.hidden, down=cfg.down)
    x, g, y = _tensors(tr)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = cfg.epochs * ((len(y) + cfg.batch_size - 1) // cfg.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=max(1, steps))
    loss_fn = nn.BCEWithLogitsLoss()
    best: tuple[float, dict[str, Any], dict[str, torch.Tensor]] | None = None
    history = []
    gen = torch.Generator().manual_seed(cfg.seed)
    for epoch in range(cfg.epochs):
        model.train()
        perm = torch.randperm(len(y), generator=gen)
        for i in range(0, len(y), cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            xb = x[idx]
            # One pixel of jitter: the crops' centring varies that much.
            dy, dx = (int(v) for v in torch.randint(-1, 2, (2,), generator=gen))
            xb = torch.roll(xb, (dy, dx), (2, 3))
            loss = loss_fn(model(xb, g[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        s = scores(predict(model, val), val)
        history.append({"epoch": epoch + 1, "val_nll": s["nll"]})
        log.info("epoch %d: validation NLL %.4f", epoch + 1, s["nll"])
        if best is None or s["nll"] < best[0]:
            state = {k: v.clone() for k, v in model.state_dict().items()}
            best = (s["nll"], s, state)
    assert best is not None
    model.load_state_dict(best[2])
    info = {
        "config": asdict(cfg),
        "training_candidates": {
            "n": len(tr),
            "kinds": {k: int((tr.kind == k).sum()) for k in ("digit", "piece", "pair")},
        },
        "validation": best[1],
        "history": history,
        "train_seconds": round(time.time() - t0),
        "mnist": mnist_checksums(mnist_dir),
        "optdigits": (
            {Path(cfg.optdigits).name: sha256_file(Path(cfg.optdigits))} if cfg.optdigits else None
        ),
    }
    return model, info


def export(model: Verifier, info: dict[str, Any], out: Path) -> dict[str, Any]:
    """Write ``out`` (.onnx) and its card; parity-checked against torch."""
    model.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    zeros = {"input": torch.zeros(2, 1, 28, 28), "geometry": torch.zeros(2, len(GEOMETRY))}
    to_onnx(model, zeros, out, output="logit")
    rng = np.random.default_rng(0)
    err = check_parity(
        model,
        out,
        {
            "input": (rng.random((64, 1, 28, 28)) > 0.7).astype(np.float32),
            "geometry": rng.uniform(0, 3, (64, len(GEOMETRY))).astype(np.float32),
        },
    )
    cfg = info["config"]
    card: dict[str, Any] = {
        "name": "formocr-digit-verifier",
        **file_facts(out),
        "architecture": describe(cfg),
        "input": {"name": "input", "shape": ["batch", 1, 28, 28], "dtype": "float32"},
        "geometry": {"name": "geometry", "shape": ["batch", len(GEOMETRY)], "values": GEOMETRY},
        "output": {"name": "logit", "shape": ["batch"], "meaning": "logit of 'not one digit'"},
        "opset": OPSET,
        "preprocess_version": PREPROCESS_VERSION,
        "geometry_version": GEOMETRY_VERSION,
        "parity_max_abs_err": err,
        "training_data": {
            "mnist": info["mnist"],
            "optdigits": info["optdigits"],
            "pages": (
                f"{cfg['pages']} pages of string and amount boxes written with MNIST training "
                "writers' digits (with optdigits' training blocks on every third page, where "
                f"given; training.lattice_data, seeds from {cfg['seed']}); validation: "
                f"{cfg['val_pages']} pages of its validation writers (seeds from {cfg['val_seed']})"
            ),
            "candidates": info["training_candidates"],
        },
        "train_config": cfg,
        "train_seconds": info["train_seconds"],
        "history": info["history"],
        "metrics": {"validation_writers": info["validation"]},
    }
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card
