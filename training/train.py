"""The training loop: joint classification + reconstruction loss, SGD with L2.

Data hygiene: MNIST train is split into train and validation; the MNIST test
set is never touched here (``training.evaluate`` alone reads it). Optional
extra writers (optdigits) are split by position in the file, which follows
the writers, so the validation part holds writers the model never saw.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from formocr.read.normalize import PREPROCESS_VERSION, normalize_batch
from training.augment import AugmentConfig, make_input
from training.data import (
    DigitSet,
    load_folder,
    load_mnist,
    load_optdigits,
    mnist_checksums,
    sha256_file,
    synthetic_digits,
)
from training.model import ConvAutoencoder, ModelConfig

log = logging.getLogger("formocr.train")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 20
    batch_size: int = 128
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4  # the paper's L2 regularisation
    recon_weight: float = 0.1
    val_size: int = 5000
    split_seed: int = 0  # fixed apart from ``seed``: a fine-tune keeps its parent's split
    seed: int = 0
    optdigits: str | None = None  # path to optdigits-orig.tra, mixed into training
    optdigits_train_share: float = 2 / 3
    optdigits_repeat: int = 5
    extra: tuple[str, ...] = ()  # folders of the user's own digits, DIR/<digit>/*.png
    extra_repeat: int = 5
    synthetic: int = 0  # digits from the project's stroke generator, mixed into training
    init: str | None = None  # checkpoint to fine-tune from
    workers: int = 1
    threads: int = 2
    limit: int = 0  # >0: train on this many MNIST images only (smoke tests)
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class AugmentedDigits(Dataset):
    """Each access draws a fresh distortion; the seed fixes the sequence."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, cfg: AugmentConfig, seed: int):
        self.images, self.labels, self.cfg, self.seed = images, labels, cfg, seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        rng = np.random.default_rng((self.seed, self.epoch, i))
        x = make_input(self.images[i], rng, self.cfg)
        return torch.from_numpy(x[None]), int(self.labels[i])


def _concat(sets: list[DigitSet]) -> tuple[np.ndarray, np.ndarray]:
    images = np.empty(sum(len(s) for s in sets), object)
    images[:] = [img for s in sets for img in s.images]
    return images, np.concatenate([s.labels for s in sets])


@torch.no_grad()
def accuracy(model: ConvAutoencoder, x: np.ndarray, y: np.ndarray, bs: int = 1000) -> float:
    model.eval()
    correct = 0
    for i in range(0, len(y), bs):
        logits = model(torch.from_numpy(x[i : i + bs]))
        correct += int((logits.argmax(1).numpy() == y[i : i + bs]).sum())
    return correct / max(1, len(y))


def prepare(cfg: TrainConfig, mnist_dir: Path | None) -> dict[str, object]:
    mnist = load_mnist("train", mnist_dir)
    perm = np.random.default_rng(cfg.split_seed).permutation(len(mnist))
    val_idx, train_idx = perm[: cfg.val_size], perm[cfg.val_size :]
    if cfg.limit:
        train_idx = train_idx[: cfg.limit]
    train_sets = [mnist.subset(train_idx)]
    evals = {"mnist_val": mnist.subset(val_idx, "mnist-val")}
    data: dict[str, object] = {"mnist": mnist_checksums(mnist_dir)}
    if cfg.optdigits:
        opt = load_optdigits(Path(cfg.optdigits))
        cut = int(len(opt) * cfg.optdigits_train_share)
        train_sets += [opt.subset(np.arange(cut))] * cfg.optdigits_repeat
        evals["optdigits_val"] = opt.subset(np.arange(cut, len(opt)), "optdigits-val")
        data["optdigits"] = {Path(cfg.optdigits).name: sha256_file(Path(cfg.optdigits))}
    for folder in cfg.extra:
        own = load_folder(Path(folder))
        train_sets += [own] * cfg.extra_repeat
        data.setdefault("extra", {})[folder] = len(own)  # type: ignore[index]
    if cfg.synthetic:
        train_sets.append(synthetic_digits(cfg.synthetic, cfg.seed))
        data["synthetic"] = {"count": cfg.synthetic, "seed": cfg.seed}
    return {"train": _concat(train_sets), "evals": evals, "data": data}


def train(cfg: TrainConfig, out_dir: Path, mnist_dir: Path | None = None) -> Path:
    """Train one model; returns the path of its final checkpoint."""
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    out_dir.mkdir(parents=True, exist_ok=True)
    prep = prepare(cfg, mnist_dir)
    images, labels = prep["train"]  # type: ignore[misc]
    evals = {
        k: (normalize_batch(list(s.images)), s.labels)
        for k, s in prep["evals"].items()  # type: ignore[attr-defined]
    }
    ds = AugmentedDigits(images, labels, cfg.augment, cfg.seed)
    loader = DataLoader(
        ds,
        batch_size=cfg.batch_size,
        shuffle=True,
        num_workers=cfg.workers,
        drop_last=True,
        persistent_workers=cfg.workers > 0,
        generator=torch.Generator().manual_seed(cfg.seed),
    )
    mcfg = ModelConfig()
    model = ConvAutoencoder(mcfg)
    if cfg.init:
        model.load_state_dict(load_checkpoint(Path(cfg.init))[0].state_dict())
    opt = torch.optim.SGD(
        model.parameters(),
        lr=cfg.lr,
        momentum=cfg.momentum,
        nesterov=True,
        weight_decay=cfg.weight_decay,
    )
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=cfg.lr, total_steps=cfg.epochs * len(loader), pct_start=0.15
    )
    history = []
    t0 = time.time()
    for epoch in range(cfg.epochs):
        ds.epoch = epoch
        model.train()
        tot, n = 0.0, 0
        for x, y in loader:
            logits, recon = model.forward_both(x)
            loss = F.cross_entropy(logits, y)
            loss = loss + cfg.recon_weight * F.binary_cross_entropy_with_logits(recon, x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss.detach()) * len(y)
            n += len(y)
        metrics = {k: accuracy(model, *v) for k, v in evals.items()}
        row = {"epoch": epoch + 1, "loss": tot / n, **metrics, "elapsed_s": time.time() - t0}
        history.append(row)
        log.info("epoch %s", json.dumps(row))
        ckpt = {
            "model": model.state_dict(),
            "model_config": mcfg.to_dict(),
            "train_config": cfg.to_dict(),
            "preprocess_version": PREPROCESS_VERSION,
            "data": prep["data"],
            "metrics": {**metrics, "history": history},
        }
        torch.save(ckpt, out_dir / "last.pt")
    (out_dir / "history.json").write_text(json.dumps(history, indent=2))
    return out_dir / "last.pt"


def load_checkpoint(path: Path) -> tuple[ConvAutoencoder, dict[str, object]]:
    """Rebuild a model from a checkpoint alone."""
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    model = ConvAutoencoder(ModelConfig(**ckpt["model_config"]))
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, ckpt
