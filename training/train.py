"""The training loop: joint classification + reconstruction loss, SGD with L2.

Data hygiene: every split comes from ``training.splits``. MNIST train is split
by writer (training writers, validation writers); validation accuracy is
reported overall and per validation writer, worst first. MNIST test and the
last third of optdigits are headline sets and never read here
(``training.evaluate`` alone reads them); optdigits' first two thirds may be
mixed into training.

With ``classes=11`` the model also learns "not a digit" (index 10) from
negatives made on the fly from training writers' digits
(``training.negatives``), filtered by a teacher model when one is given: a
piece the teacher reads as a sure digit (the loop of an 8 is a 0) is
ambiguous, not a negative.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

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
from training.model import ConvAutoencoder, ModelConfig, members_from_onnx
from training.negatives import NOT_DIGIT, negative_set

log = logging.getLogger("formocr.train")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 20
    batch_size: int = 128
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4  # the paper's L2 regularisation
    recon_weight: float = 0.1
    split: str = "writers"  # "writers" (training.splits); "random" only for tiny test sets
    val_size: int = 5000  # split="random" only
    split_seed: int = 0  # split="random" only; fixed apart from ``seed``
    writers_dir: str | None = None  # folder of mnist_writer_ids.npz (default: training.splits)
    classes: int = 10  # 11: class 10 is "not a digit"
    negatives: float = 0.15  # share of each epoch that is "not a digit" (classes=11)
    negative_pool: int = 8000  # negatives made once, augmented afresh each epoch
    teacher: str | None = None  # ONNX model that vets negatives (see module doc)
    teacher_max: float = 0.95  # a piece the teacher reads this sure is dropped
    init_onnx: str | None = None  # warm start from an exported model's member ...
    init_member: int = 0  # ... this one
    seed: int = 0
    optdigits: str | None = None  # path to optdigits-orig.tra, mixed into training
    optdigits_train_share: float = 2 / 3
    optdigits_repeat: int = 5
    extra: tuple[str, ...] = ()  # folders of the user's own digits, DIR/<digit>/*.png
    extra_repeat: int = 5
    synthetic: int = 0  # digits from the project's stroke generator, mixed into training
    init: str | None = None  # checkpoint to fine-tune from
    epoch_size: int = 0  # >0: samples drawn per epoch (with replacement), else all
    workers: int = 1
    threads: int = 2
    limit: int = 0  # >0: train on this many MNIST images only (smoke tests)
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class AugmentedDigits(Dataset):
    """Each access draws a fresh distortion; the seed fixes the sequence.

    Indices past the digits are "not a digit" (label 10), drawn from
    ``negatives`` (raw crops) and augmented like the digits.
    """

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        cfg: AugmentConfig,
        seed: int,
        negatives: np.ndarray | None = None,
        n_negatives: int = 0,
    ):
        self.images, self.labels, self.cfg, self.seed = images, labels, cfg, seed
        self.negatives = negatives
        self.n_negatives = n_negatives if negatives is not None and len(negatives) else 0
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.labels) + self.n_negatives

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        rng = np.random.default_rng((self.seed, self.epoch, i))
        n = len(self.labels)
        if i >= n:
            assert self.negatives is not None
            crop = self.negatives[int(rng.integers(len(self.negatives)))]
            x = make_input(crop, rng, self.cfg)
            return torch.from_numpy(x[None]), NOT_DIGIT
        label = int(self.labels[i])
        neighbour = self.images[int(rng.integers(n))]
        x = make_input(self.images[i], rng, self.cfg, label, neighbour)
        return torch.from_numpy(x[None]), label


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


def vet_negatives(crops: np.ndarray, kinds: list[str], teacher: str, most: float) -> np.ndarray:
    """Keep the negatives the teacher does not read as a sure digit (pieces and
    strokes only: a pair or a separator is never a digit, whatever it says)."""
    from formocr.read.classify import DigitClassifier

    probs = DigitClassifier(teacher).probabilities(normalize_batch(list(crops)))
    sure = probs[:, :10].max(1) >= most
    vetted = np.array([k in {"piece", "stroke", "stray", "pair_part"} for k in kinds])
    return ~(sure & vetted)


VAL_NEGATIVE_SEED = 1_000_003


def validation_negatives(
    val_images: np.ndarray, teacher: str | None, most: float = 0.95
) -> np.ndarray:
    """The fixed "not a digit" validation set: made from validation writers'
    digits (a quarter as many negatives as digits), vetted like training's."""
    crops, kinds = negative_set(val_images, max(200, len(val_images) // 4), VAL_NEGATIVE_SEED)
    if teacher:
        crops = crops[vet_negatives(crops, kinds, teacher, most)]
    return crops


def prepare(cfg: TrainConfig, mnist_dir: Path | None) -> dict[str, object]:
    mnist = load_mnist("train", mnist_dir)
    writers: np.ndarray | None = None
    if cfg.split == "writers":
        from training.splits import mnist_split

        sp = mnist_split(Path(cfg.writers_dir) if cfg.writers_dir else None)
        train_idx, val_idx, writers = sp.train, sp.val, sp.train_writers
    else:
        perm = np.random.default_rng(cfg.split_seed).permutation(len(mnist))
        val_idx, train_idx = perm[: cfg.val_size], perm[cfg.val_size :]
    if cfg.limit:
        train_idx = train_idx[: cfg.limit]
    train_sets = [mnist.subset(train_idx)]
    evals = {"mnist_val": mnist.subset(val_idx, "mnist-val")}
    data: dict[str, object] = {"mnist": mnist_checksums(mnist_dir), "split": cfg.split}
    if cfg.optdigits:
        from training.splits import optdigits_split

        opt = load_optdigits(Path(cfg.optdigits))
        opt_train, _headline = optdigits_split(len(opt), cfg.optdigits_train_share)
        train_sets += [opt.subset(opt_train)] * cfg.optdigits_repeat
        data["optdigits"] = {Path(cfg.optdigits).name: sha256_file(Path(cfg.optdigits))}
    for folder in cfg.extra:
        own = load_folder(Path(folder))
        train_sets += [own] * cfg.extra_repeat
        data.setdefault("extra", {})[folder] = len(own)  # type: ignore[index]
    if cfg.synthetic:
        train_sets.append(synthetic_digits(cfg.synthetic, cfg.seed))
        data["synthetic"] = {"count": cfg.synthetic, "seed": cfg.seed}
    out: dict[str, object] = {"train": _concat(train_sets), "evals": evals, "data": data}
    out["val_writers"] = writers[val_idx] if writers is not None else None
    if cfg.classes == 11:
        # Negatives from training writers' MNIST digits only; validation
        # negatives from validation writers' digits, a fixed set.
        pool = mnist.images[train_idx]
        crops, kinds = negative_set(pool, cfg.negative_pool, cfg.seed)
        keep = np.ones(len(crops), bool)
        if cfg.teacher:
            keep = vet_negatives(crops, kinds, cfg.teacher, cfg.teacher_max)
        out["negatives"] = crops[keep]
        out["val_negatives"] = validation_negatives(
            mnist.images[val_idx], cfg.teacher, cfg.teacher_max
        )
        data["negatives"] = {
            "pool": int(keep.sum()),
            "dropped_by_teacher": int((~keep).sum()),
            "share": cfg.negatives,
            "kinds": {k: kinds.count(k) for k in sorted(set(kinds))},
        }
    return out


def per_writer(truth: np.ndarray, pred: np.ndarray, writers: np.ndarray) -> list[dict[str, Any]]:
    """Accuracy per writer, worst first."""
    rows = []
    for w in np.unique(writers):
        m = writers == w
        rows.append(
            {"writer": int(w), "n": int(m.sum()), "accuracy": float((truth[m] == pred[m]).mean())}
        )
    return sorted(rows, key=lambda r: (r["accuracy"], r["writer"]))


@torch.no_grad()
def predict(model: ConvAutoencoder, x: np.ndarray, bs: int = 1000) -> np.ndarray:
    model.eval()
    out = [model(torch.from_numpy(x[i : i + bs])).argmax(1).numpy() for i in range(0, len(x), bs)]
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def evaluate_model(
    model: ConvAutoencoder,
    evals: dict[str, tuple[np.ndarray, np.ndarray]],
    val_writers: np.ndarray | None,
    val_negatives: np.ndarray | None,
) -> dict[str, Any]:
    """Validation metrics: accuracy per set (a digit called "not a digit" is an
    error), per validation writer worst first, and "not a digit" rates."""
    metrics: dict[str, Any] = {}
    for k, (x, y) in evals.items():
        pred = predict(model, x)
        metrics[k] = float((pred == y).mean()) if len(y) else 0.0
        if k == "mnist_val":
            if model.cfg.classes > 10:
                metrics["val_digits_called_not_digit"] = float((pred == NOT_DIGIT).mean())
            if val_writers is not None:
                rows = per_writer(y, pred, val_writers)
                metrics["val_writers"] = len(rows)
                metrics["val_worst_writers"] = rows[:10]
                accs = [r["accuracy"] for r in rows]
                metrics["val_writer_mean"] = float(np.mean(accs))
    if val_negatives is not None and len(val_negatives):
        pred = predict(model, val_negatives)
        metrics["val_not_digit_recall"] = float((pred == NOT_DIGIT).mean())
    return metrics


def train(cfg: TrainConfig, out_dir: Path, mnist_dir: Path | None = None) -> Path:
    """Train one model; returns the path of its final checkpoint."""
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    out_dir.mkdir(parents=True, exist_ok=True)
    t_prep = time.time()
    prep = prepare(cfg, mnist_dir)
    images, labels = prep["train"]  # type: ignore[misc]
    evals = {
        k: (normalize_batch(list(s.images)), s.labels)
        for k, s in prep["evals"].items()  # type: ignore[attr-defined]
    }
    negatives = prep.get("negatives")
    vneg = prep.get("val_negatives")
    val_negatives = normalize_batch(list(vneg)) if vneg is not None else None  # type: ignore[call-overload]
    val_writers = prep.get("val_writers")
    n_neg = 0
    if cfg.classes == 11:
        n_neg = int(round(len(labels) * cfg.negatives / (1 - cfg.negatives)))
    ds = AugmentedDigits(images, labels, cfg.augment, cfg.seed, negatives, n_neg)  # type: ignore[arg-type]
    gen = torch.Generator().manual_seed(cfg.seed)
    sampler = (
        torch.utils.data.RandomSampler(
            ds, replacement=True, num_samples=cfg.epoch_size, generator=gen
        )
        if cfg.epoch_size
        else torch.utils.data.RandomSampler(ds, generator=gen)
    )
    loader = DataLoader(
        ds,
        batch_size=cfg.batch_size,
        sampler=sampler,
        num_workers=cfg.workers,
        drop_last=True,
        persistent_workers=cfg.workers > 0,
    )
    if cfg.init:  # the checkpoint's own architecture (a warm-started one has no BN)
        model = load_checkpoint(Path(cfg.init))[0]
        if model.cfg.classes != cfg.classes:
            raise ValueError(f"{cfg.init} has {model.cfg.classes} classes, not {cfg.classes}")
    elif cfg.init_onnx:
        model = members_from_onnx(cfg.init_onnx, cfg.classes, cfg.seed)[cfg.init_member]
    else:
        model = ConvAutoencoder(ModelConfig(classes=cfg.classes))
    mcfg = model.cfg
    log.info(
        "data ready in %.0f s: %d digits, %d negatives an epoch, %d validation digits",
        time.time() - t_prep,
        len(labels),
        n_neg,
        len(evals["mnist_val"][1]),
    )
    history: list[dict[str, Any]] = []
    if cfg.init_onnx or cfg.init:
        start = evaluate_model(model, evals, val_writers, val_negatives)  # type: ignore[arg-type]
        history.append({"epoch": 0, **start})
        log.info("epoch %s", json.dumps(history[-1]))
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
    t0 = time.time()
    for epoch in range(cfg.epochs):
        ds.epoch = epoch
        model.train()
        tot, n = 0.0, 0
        for step, (x, y) in enumerate(loader):
            logits, recon = model.forward_both(x)
            loss = F.cross_entropy(logits, y)
            loss = loss + cfg.recon_weight * F.binary_cross_entropy_with_logits(recon, x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss.detach()) * len(y)
            n += len(y)
            if step % 100 == 0:
                log.debug(
                    "epoch %d step %d/%d loss %.4f %.0f s",
                    epoch + 1,
                    step,
                    len(loader),
                    tot / n,
                    time.time() - t0,
                )
        metrics = evaluate_model(model, evals, val_writers, val_negatives)  # type: ignore[arg-type]
        row = {
            "epoch": epoch + 1,
            "loss": tot / max(n, 1),
            **metrics,
            "elapsed_s": time.time() - t0,
        }
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


def validation_data(
    cfg: dict[str, Any], mnist_dir: Path | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Normalised validation input and labels for a checkpoint's training
    config: its validation writers' digits, and with 11 classes its fixed
    "not a digit" validation set (label 10). What calibration may fit on."""
    from training.splits import mnist_split

    mnist = load_mnist("train", mnist_dir)
    writers_dir = cfg.get("writers_dir")
    val_idx = mnist_split(Path(writers_dir) if writers_dir else None).val
    crops = list(mnist.images[val_idx])
    labels = [mnist.labels[val_idx]]
    if int(cfg.get("classes", 10)) == 11:
        neg = validation_negatives(
            mnist.images[val_idx], cfg.get("teacher"), float(cfg.get("teacher_max", 0.95))
        )
        crops += list(neg)
        labels.append(np.full(len(neg), NOT_DIGIT, np.int64))
    return normalize_batch(crops), np.concatenate(labels)
