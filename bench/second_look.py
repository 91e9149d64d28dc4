"""The lattice's second look (formocr.read.recut), on and off, on boxes of touching digits.

    .venv/bin/python bench/second_look.py                  # seeds 0-299
    .venv/bin/python bench/second_look.py --seeds 300 600  # others

Each seed draws one box of 3-5 digits written touching by the project's
stroke generator (no dataset digits), scanned as an office scan
(``Degradation.scan``), and reads it with ``ScanConfig.second_look`` off and on. Reports
every box whose value or status changed, and how many went from ``review``
to a right or a wrong ``ok``: the second look must not make two readers
agree on a wrong value. Development data: the guards of
``formocr.read.recut.second_look`` were checked on seeds 0-299. Writes
bench/out/second_look.json.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import OUT, md_table, publish, run_record  # noqa: E402

import formocr.api as api  # noqa: E402
from formocr.config import ScanConfig  # noqa: E402
from formocr.types import PageImage  # noqa: E402
from training.synth.forms import touching_box  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs=2, default=(0, 300), metavar=("FROM", "TO"))
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    record = run_record("second_look.py", argv)
    record["params"] = {"seeds": list(args.seeds)}
    classifier = api.load_classifier()
    changed: list[dict[str, Any]] = []
    for seed in range(*args.seeds):
        image, value = touching_box(seed)
        reads = {}
        for on in (False, True):
            config = ScanConfig(second_look=on)
            page = api.scan_page(PageImage("box", 1, image, 300.0), config, classifier)
            reads[on] = [(f.value, f.status) for f in page.fields]
        if reads[False] != reads[True]:
            changed.append({"seed": seed, "truth": value, "off": reads[False], "on": reads[True]})
        print(f"seed {seed}", file=sys.stderr, end="\r")

    def became_ok(right: bool) -> int:
        return sum(
            1
            for c in changed
            for (v0, s0), (v1, s1) in zip(c["off"], c["on"], strict=False)
            if s0 != "ok" and s1 == "ok" and (v1 == c["truth"]) == right
        )

    record["figures"] = {
        "boxes": args.seeds[1] - args.seeds[0],
        "changed": changed,
        "review_to_ok_right": became_ok(True),
        "review_to_ok_wrong": became_ok(False),
    }
    publish(record, args.out / "second_look.json", render_markdown)
    return 0


def render_markdown(record: dict[str, Any]) -> str:
    f = record["figures"]
    rows = [
        [
            str(c["seed"]),
            c["truth"],
            ", ".join(f"{v} {s}" for v, s in c["off"]),
            ", ".join(f"{v} {s}" for v, s in c["on"]),
        ]
        for c in f["changed"]
    ]
    head = (
        f"{f['boxes']} boxes of touching digits (seeds {record['params']['seeds']}): "
        f"review -> right `ok` {f['review_to_ok_right']}, review -> wrong `ok` "
        f"**{f['review_to_ok_wrong']}**.\n\n"
    )
    return head + md_table(["seed", "truth", "without the second look", "with it"], rows)


if __name__ == "__main__":
    raise SystemExit(main())
