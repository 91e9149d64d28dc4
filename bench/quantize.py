"""Float against int8 digit model: CPU per 1000 crops on one thread, MNIST test.

    .venv/bin/formocr-train quantize -o runs/quant/digits-int8.onnx
    .venv/bin/python bench/quantize.py runs/quant/digits-int8.onnx [--model FLOAT.onnx]

Both models are read through ``DigitClassifier`` (batches of 64, one
onnxruntime thread, as a worker reads): the ONNX run alone on 1000 normalised
MNIST test digits (CPU seconds, best of ``--repeats``), and MNIST test
accuracy as ``training.evaluate.held_out`` counts it (the best of 0-9, the
second look included), plus how often the two models' best digit agrees.
The headline on real writers is bench/realwriters.py with ``--model``.
Writes bench/out/quantize.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from benchlib import MNIST_DIR, OUT, md_table, pct, publish, run_record

from formocr.read.classify import DigitClassifier
from formocr.read.normalize import normalize_batch
from training.data import load_mnist


def cpu_per_1000(clf: DigitClassifier, x: np.ndarray, repeats: int) -> float:
    x = np.ascontiguousarray(x[:1000], np.float32)
    clf._run(x)  # warm up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        clf._run(x)
        best = min(best, time.process_time() - t0)
    return best * 1000 / len(x)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("int8", type=Path, help="the quantised model (its card beside it)")
    ap.add_argument("--model", type=Path, default=None, help="float model (default: shipped)")
    ap.add_argument("--mnist-dir", type=Path, default=MNIST_DIR)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=OUT, help="output folder (default bench/out)")
    args = ap.parse_args(argv)
    record = run_record("quantize.py", argv)
    test = load_mnist("test", args.mnist_dir)
    x = normalize_batch(list(test.images))
    rows, preds = [], {}
    results = {}
    for name, path in (("float", args.model), ("int8", args.int8)):
        clf = DigitClassifier(path, batch_size=64, threads=1)
        pred = clf.all_probabilities(x)[:, :10].argmax(1)
        preds[name] = pred
        acc = float((pred == test.labels).mean())
        cpu = cpu_per_1000(clf, x, args.repeats)
        results[name] = {"model": str(clf.path), "sha256": clf.sha256, "mnist_test": acc}
        results[name]["cpu_s_per_1000"] = cpu
        rows.append([name, clf.name, pct(acc), f"{cpu:.3f} s"])
    agree = float((preds["float"] == preds["int8"]).mean())
    results["agreement"] = agree
    record["results"] = results
    table = md_table(["model", "name", "MNIST test", "CPU / 1000 crops (1 thread)"], rows)
    text = f"{table}\n\nbest digit agrees on {pct(agree)} of MNIST test"
    publish(record, args.out / "quantize.json", lambda _: text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
