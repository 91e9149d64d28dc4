"""When the two string readers disagree, which is right? On calibration pages only.

    .venv/bin/python bench/disagreements.py              # 150 pages, as bench/calibrate.py
    .venv/bin/python bench/disagreements.py --pages 20   # a quick look

Reads the calibration writers' pages (``bench/calibrate.py``'s sources and
seeds, never the headline's) with the shipped readers, records every
disagreement's scores and confidences as ``formocr.read.combine.combine``
receives them, and reports how often the string reader is wrong at or above
a confidence and, by whether the lattice read fewer, as many or more digits than the
string reader, how often each reader's text was right, and how many
disagreements the joint score (weighing the lattice's log scores by
``alpha``) gets right without and with the rule that a lattice reading fewer
digits skipped ink (what ``combine`` does). Writes bench/out/disagreements.json.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import OUT  # noqa: E402
from calibrate import CALIBRATION_SEED, SOURCES  # noqa: E402
from realwriters import load_writers, plan, run  # noqa: E402

import formocr.read.combine as combine_module  # noqa: E402
from formocr.config import ScanConfig  # noqa: E402

DISAGREE = re.compile(r"the readers disagree: lattice '(\d*)', ctc '(\d*)'")


def _finite(x: float) -> float:
    return x if x != -math.inf else -1e18


def joint_pick(row: dict[str, Any], alpha: float, rule: bool) -> str:
    if rule and len(row["lat"]) < len(row["ctc"]):
        return str(row["ctc"])
    lat = alpha * _finite(row["lat_own"]) + _finite(row["ctc_other"])
    ctc = _finite(row["ctc_own"]) + alpha * _finite(row["lat_other"])
    return str(row["lat"] if lat >= ctc else row["ctc"])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--pages", type=int, default=150)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    calls: dict[tuple[str, str], list[tuple[float, ...]]] = defaultdict(list)
    original = combine_module.combine

    def recording(first: Any, second: Any, *args: Any) -> Any:
        if second is not None and first.text != second.text:
            calls[(first.text, second.text)].append(
                (
                    first.own,
                    first.other,
                    second.own,
                    second.other,
                    first.confidence,
                    second.confidence,
                )
            )
        return original(first, second, *args)

    combine_module.combine = recording  # type: ignore[assignment]
    writers = load_writers(SOURCES)
    specs = plan(args.pages, CALIBRATION_SEED, writers, SOURCES)
    _, scores = run(specs, writers, args.out / "disagreements", ScanConfig(), peers=False)
    combine_module.combine = original

    rows = []
    for s in scores:
        m = DISAGREE.search(s.reason or "")
        if not m or not s.truth_name or not calls[(m.group(1), m.group(2))]:
            continue
        lo, lx, co, cx, lc, cc = calls[(m.group(1), m.group(2))].pop(0)
        rows.append(
            {
                "lat": m.group(1),
                "ctc": m.group(2),
                "truth": s.truth,
                "lat_own": lo,
                "lat_other": lx,
                "ctc_own": co,
                "ctc_other": cx,
                "lat_conf": lc,
                "ctc_conf": cc,
                "value": s.pred,
                "reason": s.reason,
                "kind": s.field_kind,
            }
        )
    by_length: Counter[str] = Counter()
    for r in rows:
        k = "<" if len(r["lat"]) < len(r["ctc"]) else ">" if len(r["lat"]) > len(r["ctc"]) else "="
        who = (
            "lattice" if r["lat"] == r["truth"] else "ctc" if r["ctc"] == r["truth"] else "neither"
        )
        by_length[f"lattice {k} ctc: {who} right"] += 1
    picks = {
        f"alpha {a:g}, rule {rule}": sum(joint_pick(r, a, rule) == r["truth"] for r in rows)
        for a in (0.5, 0.75, 1.0, 1.5)
        for rule in (False, True)
    }
    # Could a disagreement be trusted on the string reader's confidence alone?
    by_confidence = {
        f">= {t:g}": {
            "n": sum(r["ctc_conf"] >= t for r in rows),
            "ctc wrong": sum(r["ctc_conf"] >= t and r["ctc"] != r["truth"] for r in rows),
        }
        for t in (0.9, 0.99, 0.995, 0.999)
    }
    result = {
        "pages": args.pages,
        "disagreements": len(rows),
        "by_length": by_length,
        "right": picks,
        "ctc_by_confidence": by_confidence,
        "rows": rows,
    }
    (args.out / "disagreements.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
