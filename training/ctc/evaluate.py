"""The headline figure: strings by MNIST test writers, read through the runtime.

MNIST test writers are never trained, tuned or calibrated on; this is
measured once, at export, and written into the card.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from formocr.read.ctc import StringReader
from training.ctc.data import Sources, make_string
from training.ctc.train import string_metrics

HEADLINE_SEED = 20261201


def read_strings(reader: StringReader, sources: Sources, n: int, seed: int) -> dict[str, float]:
    """Exact-string accuracy and CER of ``reader`` on ``n`` generated box crops."""
    rng = np.random.default_rng((seed, 0x4EAD))
    crops, truth = [], []
    for _ in range(n):
        c, t = make_string(rng, sources)
        crops.append(c)
        truth.append(t)
    return string_metrics(truth, [r.text for r in reader.read(crops)])


def headline_metrics(model: Path, card: dict[str, Any], n: int) -> dict[str, float]:
    from training.ctc.data import load_pools

    cfg = card.get("train_config", {})
    pools = load_pools(
        Path(cfg["mnist_dir"]) if cfg.get("mnist_dir") else None,
        Path(cfg["writers_dir"]) if cfg.get("writers_dir") else None,
        None,
    )
    # Real digits only (no stroke-generator share): the writers' own hands.
    sources = Sources(pools.test, None, 0.0, 0.0)
    m = read_strings(StringReader(model), sources, n, HEADLINE_SEED)
    return {
        "mnist_test_writers_exact": m["exact"],
        "mnist_test_writers_cer": m["cer"],
        "mnist_test_writers_strings": m["n"],
    }
