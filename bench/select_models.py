"""Choose what to ship: single checkpoints, ensembles, test-time shifts, on validation only.

    .venv/bin/python bench/select_models.py runs/a/last.pt runs/fb/last.pt runs/b/last.pt

Every subset of the checkpoints, with and without the five one-pixel shifts
of ``export --tta``, is scored on the MNIST validation split the checkpoints
were trained without (5,000 digits of MNIST train, ``split_seed``) and on the
optdigits validation writers. The MNIST test set is not touched here: it is
measured once, at export, for the model chosen. Needs the ``train`` extra.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np
import torch

from formocr.read.normalize import normalize_batch
from training.data import load_mnist, load_optdigits
from training.export import ShiftAveraged
from training.train import TrainConfig, load_checkpoint

OPTDIGITS = Path(__file__).resolve().parents[1].parent / "shared/data/optdigits/optdigits-orig.tra"


def _val_sets(
    mnist_dir: Path | None, optdigits: Path | None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    cfg = TrainConfig()
    mnist = load_mnist("train", mnist_dir)
    perm = np.random.default_rng(cfg.split_seed).permutation(len(mnist))
    val = mnist.subset(perm[: cfg.val_size])
    sets = {"mnist_val": (normalize_batch(list(val.images)), val.labels)}
    if optdigits is not None and optdigits.exists():
        opt = load_optdigits(optdigits)
        held = opt.subset(np.arange(int(len(opt) * cfg.optdigits_train_share), len(opt)))
        sets["optdigits_val"] = (normalize_batch(list(held.images)), held.labels)
    return sets


def _logits(module: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    module.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            out.append(module(torch.from_numpy(x[i : i + 1000])).numpy())
    return np.concatenate(out)


def _nll(logits: np.ndarray, y: np.ndarray) -> float:
    z = logits - logits.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoints", nargs="+", type=Path)
    ap.add_argument("--mnist-dir", type=Path, default=None)
    ap.add_argument("--optdigits", type=Path, default=OPTDIGITS)
    ap.add_argument("--json", type=Path, default=None, help="also write the table as JSON")
    ap.add_argument(
        "--cascade", type=float, nargs="*", default=[0.99, 0.999], help="shift_below values"
    )
    ap.add_argument("--temperature", type=float, default=1.6, help="for the cascade's test")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)

    sets = _val_sets(args.mnist_dir, args.optdigits)
    models = [load_checkpoint(p)[0] for p in args.checkpoints]
    # Logits per (checkpoint, shifted?) per set; ensembles average them.
    cache = {
        (i, tta): {k: _logits(ShiftAveraged(m) if tta else m, x) for k, (x, _) in sets.items()}
        for i, m in enumerate(models)
        for tta in (False, True)
    }
    rows = []
    # Shifts: none, all (export --tta), or a cascade (export --shift-below P):
    # digits under P (at the temperature given) read again with the shifts.
    modes: list[tuple[str, float | None]] = [("no", None), ("all", None)]
    modes += [(f"<{p:g}", p) for p in args.cascade]
    for r in range(1, len(models) + 1):
        for combo in itertools.combinations(range(len(models)), r):
            for mode, below in modes:
                row: dict[str, object] = {
                    "members": [str(args.checkpoints[i]) for i in combo],
                    "shifts": mode,
                }
                passes = []
                for k, (_, y) in sets.items():
                    one = np.mean([cache[(i, False)][k] for i in combo], axis=0)
                    five = np.mean([cache[(i, True)][k] for i in combo], axis=0)
                    if mode == "no":
                        logits, share = one, 0.0
                    elif below is None:
                        logits, share = five, 1.0
                    else:
                        z = one / args.temperature
                        p = np.exp(z - z.max(1, keepdims=True))
                        unsure = (p / p.sum(1, keepdims=True)).max(1) < below
                        logits, share = np.where(unsure[:, None], five, one), float(unsure.mean())
                    row[f"{k}_acc"] = float((logits.argmax(1) == y).mean())
                    row[f"{k}_nll"] = _nll(logits, y)
                    passes.append(len(combo) * (1 + 4 * share))
                row["passes"] = round(float(np.mean(passes)), 2)
                rows.append(row)
    keys = [k for k in rows[0] if k.endswith("_acc") or k.endswith("_nll")]
    print("members | shifts | passes | " + " | ".join(keys))
    for row in sorted(rows, key=lambda r: -float(r["mnist_val_acc"])):  # type: ignore[arg-type]
        names = "+".join(Path(m).parent.name for m in row["members"])  # type: ignore[attr-defined]
        vals = " | ".join(f"{float(row[k]):.4f}" for k in keys)  # type: ignore[arg-type]
        print(f"{names} | {row['shifts']} | {row['passes']} | {vals}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
