"""The CTC reader's training loop: AdamW, warm-up then cosine, CTC loss.

With ``minutes`` set, the schedule runs on elapsed time (the machine is
shared, so steps per minute vary) and training stops when the time is up;
the strings themselves stay deterministic by seed. Fresh strings every epoch (``training.ctc.data.stream``), validation after
each epoch on a fixed set of strings by validation writers (exact-string
accuracy, character error rate). Checkpoints (``last.pt``, ``best.pt`` by
validation exact accuracy) hold the model config, the training config, the
data provenance and the metrics, so any of them rebuilds its model.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from formocr.read.ctc import best_path
from formocr.read.normalize import LINE_PREPROCESS_VERSION
from training.ctc.data import Pools, Sources, batches, fixed_set, load_pools, stream
from training.ctc.model import ALPHABET, BLANK, CRNN, STRIDE, CRNNConfig, crnn_from_onnx, n_params
from training.data import DataError

log = logging.getLogger("formocr.train")


@dataclass(frozen=True)
class CTCTrainConfig:
    epochs: int = 12
    samples: int = 8000  # fresh strings per epoch
    batch_size: int = 48
    lr: float = 2e-3
    weight_decay: float = 1e-2
    seed: int = 0
    val_size: int = 1000
    val_seed: int = 1
    synthetic_share: float = 0.15
    optdigits_share: float = 0.1
    cursive: float = 0.0  # share of training strings by cursive writers (Sources.cursive)
    threads: int = 1
    workers: int = 1
    mnist_dir: str | None = None
    writers_dir: str | None = None
    optdigits: str | None = None
    minutes: float = 0.0  # >0: a time budget; the schedule follows elapsed time, then it stops
    warmup: float = 0.05  # share of the run spent warming the learning rate up
    init: str | None = None  # a checkpoint (best.pt/last.pt) to continue from
    init_onnx: str | None = None  # or an exported model (strings.onnx) to train on from
    # where the network trains ("cuda" where there is one); strings are made on the CPU
    device: str = "cpu"


class _Stream(IterableDataset):  # type: ignore[type-arg]
    def __init__(self, sources: Sources, cfg: CTCTrainConfig, epoch: int) -> None:
        self.sources, self.cfg, self.epoch = sources, cfg, epoch

    def __iter__(self) -> Iterator[tuple[np.ndarray, list[str], np.ndarray]]:
        info = get_worker_info()  # each worker draws its own share, never the same strings
        shard = (info.id, info.num_workers) if info is not None else (0, 1)
        return stream(
            self.sources, self.cfg.seed, self.epoch, self.cfg.samples, self.cfg.batch_size,
            shard=shard,
        )  # fmt: skip


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def decode(logits: torch.Tensor, widths: np.ndarray) -> list[str]:
    lp = logits.log_softmax(-1).cpu().numpy()
    return [
        "".join(ALPHABET[k] for k, *_ in best_path(lp[i, : widths[i] // STRIDE], BLANK))
        for i in range(len(widths))
    ]


def string_metrics(truth: Sequence[str], read: Sequence[str]) -> dict[str, float]:
    exact = sum(t == r for t, r in zip(truth, read, strict=True))
    errors = sum(edit_distance(t, r) for t, r in zip(truth, read, strict=True))
    chars = max(1, sum(len(t) for t in truth))
    return {"exact": exact / max(1, len(truth)), "cer": errors / chars, "n": float(len(truth))}


@torch.no_grad()
def evaluate(model: CRNN, items: Sequence[tuple[np.ndarray, str]]) -> dict[str, float]:
    model.eval()
    truth, read = [], []
    device = next(model.parameters()).device
    for x, texts, widths in batches(items, 64, None):
        read += decode(model(torch.from_numpy(x).to(device)), widths)
        truth += texts
    return string_metrics(truth, read)


def ctc_step(model: CRNN, x: np.ndarray, texts: list[str], widths: np.ndarray) -> torch.Tensor:
    device = next(model.parameters()).device
    logp = model(torch.from_numpy(x).to(device)).log_softmax(-1).transpose(0, 1)  # (T, N, C)
    targets = torch.tensor([int(c) for t in texts for c in t], dtype=torch.long, device=device)
    in_len = torch.from_numpy(widths // STRIDE).to(device)
    tgt_len = torch.tensor([len(t) for t in texts], dtype=torch.long, device=device)
    loss = torch.nn.functional.ctc_loss(
        logp, targets, in_len, tgt_len, blank=BLANK, reduction="mean", zero_infinity=True
    )
    return loss


def progress(step: int, steps: int, elapsed_s: float, minutes: float) -> float:
    """How far through the run: by steps, or by time when a budget is set
    (whichever is further), so a run on a busy machine still anneals."""
    p = step / max(1, steps)
    if minutes > 0:
        p = max(p, elapsed_s / (60.0 * minutes))
    return p


def learning_rate(peak: float, p: float, warmup: float) -> float:
    """Linear warm-up to ``peak``, then cosine down to 1 % of it."""
    if p < warmup:
        return peak * (0.05 + 0.95 * p / warmup)
    q = min(1.0, (p - warmup) / max(1e-9, 1.0 - warmup))
    return peak * (0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * q)))


def save(path: Path, model: CRNN, cfg: CTCTrainConfig, extra: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(
        {
            "model_config": model.cfg.to_dict(),
            "train_config": asdict(cfg),
            "state_dict": {k: v.cpu() for k, v in model.state_dict().items()},
            "line_preprocess_version": LINE_PREPROCESS_VERSION,
            **extra,
        },
        tmp,
    )
    tmp.replace(path)


def load_checkpoint(path: Path) -> tuple[CRNN, dict[str, Any]]:
    ck = torch.load(path, map_location="cpu", weights_only=False)
    model = CRNN(CRNNConfig.from_dict(ck["model_config"]))
    model.load_state_dict(ck["state_dict"])
    model.eval()
    return model, ck


def from_onnx(path: Path) -> tuple[CRNN, str]:
    """``crnn_from_onnx`` and the file's sha256, once the runtime's own checks
    pass on the file (its card, sha256 and line preprocessing:
    ``formocr.read.onnx_model``). Raises DataError for a file that cannot be
    trained on."""
    from formocr.errors import ModelError
    from formocr.read.onnx_model import load_onnx

    try:
        sha256 = load_onnx(
            path, "line_preprocess_version", LINE_PREPROCESS_VERSION, "line preprocessing",
            session=False,
        ).sha256  # fmt: skip
    except ModelError as e:
        raise DataError(f"{e}; train from scratch instead") from e
    try:
        return crnn_from_onnx(path), sha256
    except (OSError, ValueError) as e:  # onnx's DecodeError is a ValueError
        raise DataError(f"{path}: cannot rebuild a string model from it ({e})") from e


def train(
    cfg: CTCTrainConfig,
    out: Path,
    model_cfg: CRNNConfig | None = None,
    pools: Pools | None = None,
) -> Path:
    """Train; returns the path of the best checkpoint. Without MNIST (``pools``
    None and no ``mnist_dir``) it trains on the stroke generator alone."""
    if cfg.init and cfg.init_onnx:
        raise ValueError("give init (a checkpoint) or init_onnx (an exported model), not both")
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    if pools is None and cfg.mnist_dir is not None:
        pools = load_pools(
            Path(cfg.mnist_dir),
            Path(cfg.writers_dir) if cfg.writers_dir else None,
            Path(cfg.optdigits) if cfg.optdigits else None,
        )
    if pools is not None:
        sources = Sources(
            pools.train, pools.optdigits, cfg.optdigits_share, cfg.synthetic_share, cfg.cursive
        )
        val_sources = Sources(pools.val, None, 0.0, cfg.synthetic_share)
        data_info = dict(pools.info)
    else:
        log.warning("no MNIST: training on the stroke generator's strings alone")
        sources = Sources(None, None, 0.0, 1.0, cfg.cursive)
        val_sources = Sources(None, None, 0.0, 1.0)
        data_info = {"synthetic_only": True}
    data_info["synthetic_share"] = sources.synthetic_share
    data_info["cursive"] = sources.cursive
    data_info["optdigits_share"] = sources.optdigits_share if sources.optdigits else 0.0
    val = fixed_set(val_sources, cfg.val_size, cfg.val_seed)
    log.info("validation: %d strings (validation writers), %.0f s", len(val), time.time() - started)

    if cfg.init:
        model, ck = load_checkpoint(Path(cfg.init))
        if ck.get("line_preprocess_version") != LINE_PREPROCESS_VERSION:
            raise ValueError(
                f"{cfg.init}: trained with line preprocessing "
                f"{ck.get('line_preprocess_version')}, this formocr has {LINE_PREPROCESS_VERSION}"
            )
        data_info["init"] = {"checkpoint": cfg.init, "best_epoch": ck.get("best_epoch")}
        log.info("continuing from %s (epoch %s)", cfg.init, ck.get("best_epoch"))
    elif cfg.init_onnx:
        model, sha256 = from_onnx(Path(cfg.init_onnx))
        data_info["init"] = {"onnx": cfg.init_onnx, "sha256": sha256}
        log.info("training on from %s", cfg.init_onnx)
    else:
        model = CRNN(model_cfg or CRNNConfig())
    log.info("CRNN: %d parameters, on %s", n_params(model), cfg.device)
    model.to(cfg.device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = cfg.epochs * math.ceil(cfg.samples / cfg.batch_size)
    t_start = time.time()
    step = 0
    history: list[dict[str, float]] = []
    best = -1.0
    done = False
    for epoch in range(cfg.epochs):
        if done:
            break
        t0 = time.time()
        model.train()
        loader = DataLoader(
            _Stream(sources, cfg, epoch),
            batch_size=None,
            num_workers=cfg.workers,
            prefetch_factor=4 if cfg.workers else None,
        )
        losses = []
        for x, texts, widths in loader:
            p = progress(step, steps, time.time() - t_start, cfg.minutes)
            if p >= 1.0:
                done = True
                break
            for g in opt.param_groups:
                g["lr"] = learning_rate(cfg.lr, p, cfg.warmup)
            loss = ctc_step(model, np.asarray(x), list(texts), np.asarray(widths))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            step += 1
            losses.append(loss.item())
        metrics = evaluate(model, val)
        took = time.time() - t0
        row = {
            "epoch": epoch + 1,
            "loss": float(np.mean(losses)) if losses else float("nan"),
            "val_exact": metrics["exact"],
            "val_cer": metrics["cer"],
            "seconds": took,
            "strings": len(losses) * cfg.batch_size,
        }
        history.append(row)
        log.info(
            "epoch %d/%d loss %.3f val exact %.4f cer %.4f (%.0f s; %.0f min left)",
            epoch + 1,
            cfg.epochs,
            row["loss"],
            row["val_exact"],
            row["val_cer"],
            took,
            took * (cfg.epochs - epoch - 1) / 60,
        )
        extra = {"history": history, "data": data_info, "wall_s": time.time() - started}
        save(out / "last.pt", model, cfg, extra)
        if metrics["exact"] > best:
            best = metrics["exact"]
            save(out / "best.pt", model, cfg, {**extra, "best_epoch": epoch + 1})
        (out / "history.json").write_text(json.dumps(history, indent=2))
    return out / "best.pt"
