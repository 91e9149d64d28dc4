"""Judge candidate readers by their joint failures, and see where the lattice loses.

    .venv/bin/python bench/calibrate.py --pages 450 --seed 91150 --digits 10 --out DIR
    .venv/bin/python bench/joint.py DIR/calibration                    # the shipped models
    .venv/bin/python bench/joint.py DIR/calibration --model runs/x/digits.onnx --name x

Reads the pages that ``calibrate.py`` drew (``pages.pdf`` and its
``pages.truth.json``; seeds from 91,150 are development pages of the
calibration writers, beyond the 150 the threshold is fitted on, never the
headline's writers) page by page with ``formocr.api.scan_page``, and keeps
what each free-string box's two readers said: the lattice's best path before
and after its second look (``formocr.read.recut``), the string reader's text,
and the field's value and status. The hook is a wrapper round
``formocr.api._string`` (measurement only; nothing read changes).

Per kind of box (spaced, touching, amount, and the dense pages' boxes):

* fields, exact, ``ok``, ``ok`` but wrong;
* the lattice alone exact, before and after the second look;
* the readers agree, and agree on a wrong value (the joint failures: the
  combination is only as safe as these are rare);
* the string reader right where the lattice is wrong, and the reverse.

Then where the lattice's best path beats the true one on strings where it
read fewer digits than were written: the true path's score less the best
path's, term by term (the digit model's log-probabilities, the verifier's
cost, shape and join costs, cuts through ink, the cost per digit, skipped
ink), averaged, and the term that loses most in each. Last, what the
lattice would read with other weights (``--what-if DIGIT_COST,CUT_SCALE,
VERIFY_WEIGHT``) and with an oracle verifier that never doubts a true
piece: lattice-alone exact, agreements and agreements wrong, and ``ok`` as
``combine`` would decide an agreement (before the second look and the other
review rules).

A candidate model is better only if it adds ``ok`` fields without adding
joint failures: a reader trained longer on the same writers learns the
other reader's mistakes too (BENCHMARKS.md, twenty-fifth session).
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from benchlib import OUT, md_table, pct, publish, run_record

LABELS = ("spaced", "touching", "amount", "")  # "": the dense pages' string boxes
TERMS = ("logp", "verify", "shape+join", "cut", "digits", "skip")


def _read_pages(args: tuple[Path, list[int], str | None, str | None]) -> list[dict[str, Any]]:
    """The string fields of some pages: truth, label, both readers, the outcome."""
    folder, pages, model, strings = args
    import cv2

    cv2.setNumThreads(1)
    import formocr.api as api
    from formocr.config import ScanConfig
    from formocr.read.classify import DigitClassifier
    from formocr.read.ctc import load_string_reader
    from formocr.read.verify import load_verifier
    from formocr.types import BBox, PageImage

    seen: list[dict[str, Any]] = []
    inner = api._string

    def observe(f, lattice, best, ctc, reader, mode, config):  # type: ignore[no-untyped-def]
        out = inner(f, lattice, best, ctc, reader, mode, config)
        seen.append(
            {
                "bbox": tuple(f.bbox),
                "lattice": lattice,
                "looked": best.text,
                "ctc": None if ctc is None else (ctc.text, float(ctc.confidence)),
            }
        )
        return out

    api._string = observe  # type: ignore[assignment]
    readers = api.Readers(
        DigitClassifier(Path(model) if model else None, batch_size=16, threads=1),
        load_string_reader(strings, threads=1),
        load_verifier(threads=1),
    )
    truth = json.loads((folder / "pages.truth.json").read_text())["pages"]
    rows: list[dict[str, Any]] = []
    for p in (truth[i] for i in pages):
        png = subprocess.run(
            ["pdftoppm", "-r", "300", "-gray", "-f", str(p["page"]), "-l", str(p["page"]),
             str(folder / "pages.pdf")],
            capture_output=True, check=True,
        ).stdout  # fmt: skip
        image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
        seen.clear()
        result = api.scan_page(PageImage("dev", p["page"], image, 300.0), ScanConfig(), readers)
        for t in p["fields"]:
            if t["kind"] != "string":
                continue
            box = BBox(*t["bbox"])
            s = max(seen, key=lambda r: BBox(*r["bbox"]).iou(box), default=None)
            r = max(result.fields, key=lambda r: BBox(*r.bbox).iou(box), default=None)
            if s is None or r is None or BBox(*s["bbox"]).iou(box) < 0.5:
                continue
            rows.append(
                {"page": p["page"], "truth": t["value"], "label": t.get("label", ""), **s,
                 "value": r.value, "status": r.status}
            )  # fmt: skip
    return rows


def outcomes(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per label (and all): the counts of the module doc."""
    out: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for r in rows:
        truth, best = r["truth"], r["lattice"].best().text
        ctc = r["ctc"][0] if r["ctc"] else None
        for key in ("all", r["label"] or "dense"):
            s = out[key]
            s["fields"] += 1
            s["exact"] += r["value"] == truth
            s["ok"] += r["status"] == "ok"
            s["ok_wrong"] += r["status"] == "ok" and r["value"] != truth
            s["lattice"] += best == truth
            s["lattice_looked"] += r["looked"] == truth
            if ctc is not None:
                s["agree"] += ctc == r["looked"]
                s["agree_wrong"] += ctc == r["looked"] != truth
                s["ctc_right_lattice_wrong"] += ctc == truth != r["looked"]
                s["lattice_right_ctc_wrong"] += r["looked"] == truth != ctc
    return {k: dict(v) for k, v in out.items()}


def path_terms(lattice: Any, reading: Any) -> dict[str, float]:
    """A path's score by term (nats; costs negative)."""
    from formocr.read.lattice import verify_cost

    t = dict.fromkeys(TERMS, 0.0)
    covered: set[int] = set()
    for d in reading.digits:
        h = next(h for h in lattice.ending[d.end] if h.start == d.start)
        k = int(d.value)
        v = verify_cost(h.not_digit)
        t["logp"] += float(h.log_probs[k])
        t["verify"] -= v
        t["shape+join"] -= float(np.atleast_1d(h.cost)[k if np.ndim(h.cost) else 0]) - v
        t["cut"] -= lattice.cut[h.start] if h.start > 0 else 0.0
        t["digits"] -= lattice.digit_cost
        covered |= set(range(d.start, d.end))
    t["skip"] -= sum(lattice.skip[i] for i in range(lattice.n) if i not in covered)
    return t


def dropped(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Strings where the lattice read fewer digits than were written: the true
    path less the best, term by term."""
    sums = dict.fromkeys(TERMS, 0.0)
    worst: collections.Counter[str] = collections.Counter()
    n = unspellable = 0
    for r in rows:
        lattice, truth = r["lattice"], r["truth"]
        best = lattice.best()
        if len(best.text) >= len(truth):
            continue
        spelt = lattice.spell(truth)
        if spelt is None:
            unspellable += 1
            continue
        tb, tt = path_terms(lattice, best), path_terms(lattice, spelt)
        diff = {k: tt[k] - tb[k] for k in TERMS}
        for k in TERMS:
            sums[k] += diff[k]
        worst[min(diff, key=lambda k: diff[k])] += 1
        n += 1
    mean = {k: round(v / n, 2) if n else None for k, v in sums.items()}
    return {"fields": n, "unspellable": unspellable, "mean": mean, "loses_most": dict(worst)}


def what_if(
    rows: Sequence[dict[str, Any]], digit_cost: float, cut_scale: float, verify: float,
    oracle: bool = False,
) -> dict[str, dict[str, int]]:  # fmt: skip
    """The lattice re-decoded with other weights (or an oracle verifier)."""
    from formocr.config import ScanConfig
    from formocr.read.combine import Reading, combine
    from formocr.read.lattice import Hypothesis, Lattice, verify_cost

    cfg = ScanConfig()
    out: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for r in rows:
        if r["ctc"] is None:
            continue
        lat, truth = r["lattice"], r["truth"]
        on: set[tuple[int, int]] = set()
        if oracle:
            spelt = lat.spell(truth)
            on = set() if spelt is None else {(d.start, d.end) for d in spelt.digits}
        hyps = []
        for ending in lat.ending:
            for h in ending:
                v = verify_cost(h.not_digit)
                w = 0.0 if (h.start, h.end) in on else verify
                hyps.append(
                    Hypothesis(h.start, h.end, h.log_probs, h.cost - v + w * v, h.bbox,
                               h.not_digit, h.side_by_side)
                )  # fmt: skip
        best = Lattice(lat.n, hyps, [c * cut_scale for c in lat.cut], lat.skip, digit_cost).best()
        ctc, conf = r["ctc"]
        for key in ("all", r["label"] or "dense"):
            s = out[key]
            s["fields"] += 1
            s["lattice"] += best.text == truth
            if best.text == ctc:
                s["agree"] += 1
                s["agree_wrong"] += best.text != truth
                both = combine(
                    Reading("lattice", best.text, best.confidence),
                    Reading("ctc", ctc, conf),
                    cfg.combine_power,
                    cfg.string_map,
                )
                if both.confidence >= cfg.min_confidence:
                    s["ok"] += 1
                    s["ok_wrong"] += best.text != truth
    return {k: dict(v) for k, v in out.items()}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("folder", type=Path, help="calibrate.py's calibration/ folder")
    ap.add_argument("--model", type=Path, default=None, help="digit model (default: shipped)")
    ap.add_argument("--strings", type=Path, default=None, help="string model (default: shipped)")
    ap.add_argument("--pages", type=int, default=0, help="the first N pages only (0: all)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument(
        "--what-if",
        action="append",
        default=[],
        metavar="DIGIT_COST,CUT_SCALE,VERIFY_WEIGHT",
        help="re-decode the lattices with these weights (repeatable; shipped: 2,1,1)",
    )
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--name", default="joint")
    args = ap.parse_args(argv)
    record = run_record("joint.py", argv)
    n = len(json.loads((args.folder / "pages.truth.json").read_text())["pages"])
    pages = list(range(min(n, args.pages) if args.pages else n))
    jobs = [
        (args.folder, pages[k :: args.jobs], str(args.model) if args.model else None,
         str(args.strings) if args.strings else None)
        for k in range(args.jobs)
    ]  # fmt: skip
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = [r for part in pool.map(_read_pages, jobs) for r in part]
    weights = [(2.0, 1.0, 1.0)] + [tuple(float(v) for v in w.split(",")) for w in args.what_if]
    record["params"] = {
        "folder": str(args.folder),
        "pages": len(pages),
        "model": str(args.model or "shipped"),
        "strings": str(args.strings or "shipped"),
    }
    record["results"] = {
        "outcomes": outcomes(rows),
        "dropped": dropped(rows),
        "what_if": {",".join(f"{v:g}" for v in w): what_if(rows, *w) for w in weights},
        "oracle_verifier": what_if(rows, 2.0, 1.0, 1.0, oracle=True),
    }
    publish(record, args.out / f"{args.name}.json", render_markdown)
    return 0


def render_markdown(record: dict[str, Any]) -> str:
    r, p = record["results"], record["params"]
    keys = ("all", "spaced", "touching", "amount", "dense")
    rows = []
    for k in keys:
        s = r["outcomes"].get(k)
        if not s:
            continue
        n = s["fields"]
        rows.append([
            k, n, pct(s.get("exact", 0) / n, 1), f"{s.get('ok', 0)} ({s.get('ok_wrong', 0)})",
            pct(s.get("lattice", 0) / n, 1), pct(s.get("lattice_looked", 0) / n, 1),
            f"{s.get('agree', 0)} ({s.get('agree_wrong', 0)})",
            s.get("ctc_right_lattice_wrong", 0), s.get("lattice_right_ctc_wrong", 0),
        ])  # fmt: skip
    out = [
        f"### Joint failures: {p['pages']} pages of {p['folder']}, "
        f"digit model {p['model']}, string model {p['strings']}\n",
        md_table(
            [
                "strings",
                "fields",
                "exact",
                "`ok` (wrong)",
                "lattice alone",
                "lattice after its second look",
                "readers agree (on a wrong value)",
                "string reader right, lattice wrong",
                "lattice right, string reader wrong",
            ],
            rows,
        ),  # fmt: skip
    ]
    d = r["dropped"]
    out.append(
        f"\nThe lattice read fewer digits than were written on {d['fields']} strings "
        f"({d['unspellable']} it could not spell at all). The true path less the best, "
        "mean nats by term: "
        + ", ".join(f"{k} {v:+.2f}" for k, v in d["mean"].items() if v is not None)
        + "; the term that loses most: "
        + ", ".join(f"{k} {v}" for k, v in sorted(d["loses_most"].items(), key=lambda kv: -kv[1]))
        + "."
    )
    wrows = []
    for name, res in [*r["what_if"].items(), ("oracle verifier", r["oracle_verifier"])]:
        for k in ("all", "touching"):
            s = res.get(k)
            if s:
                wrows.append([
                    name, k, pct(s.get("lattice", 0) / s["fields"], 1),
                    f"{s.get('agree', 0)} ({s.get('agree_wrong', 0)})",
                    f"{s.get('ok', 0)} ({s.get('ok_wrong', 0)})",
                ])  # fmt: skip
    out.append(
        "\nThe lattice re-decoded (before its second look; `ok` as `combine` decides an agreement):\n"
    )
    out.append(
        md_table(
            [
                "DIGIT_COST, cut scale, verifier weight",
                "strings",
                "lattice alone exact",
                "agree (wrong)",
                "`ok` (wrong)",
            ],
            wrows,
        )  # fmt: skip
    )
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
