"""Dates written with slashes in a free box: never `ok` with a slash read as a digit.

    .venv/bin/python bench/slashes.py --boxes 120

Forms ask for a date in one free box as often as in a comb, and people
write it with slashes: "12/04/2029", "7/11/24", "2029/04/12". Both readers
take a slash for a 1, and agree. Each box here holds one date, written by a
held-out writer of ``cheques.py`` (MNIST test and optdigits writers, in
turn) with the generator's pen for the slashes, in a box on a letter-width
strip scanned at 300 dpi (office and harsh in turn), read with no
template: the whole strip at 300 dpi, and the box cut out with 20 px of
margin and no resolution recorded. The value a date's box should give is
its digits. Reported per style: boxes found, values exact, `ok`, `ok` but
wrong, in review with the slash reason ("it reads as the date ..."), and
in review with a slash drawn finer than the digits taken for a hairline
(``formocr.api.THINNED``). With ``--template``, each strip is also read
through a template drafted from it, its box a ``digits`` field with
``check = "date"`` and the style's format (``FORMATS``): the value asked
for there is the date in that format (day and month two digits).
Cents written over 100 on cheques: ``cheques.py --cents-over-100``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from benchlib import OUT, md_table, pct, publish, run_record
from cheques import SOURCES, figures, writers_with_every_digit
from realwriters import DEGRADATIONS

from formocr.api import THINNED, load_classifier, scan_page
from formocr.config import ScanConfig
from formocr.templates.draft import draft_template
from formocr.templates.template import Template
from formocr.types import BBox, PageImage
from training.synth import write_png
from training.synth.sheet import Sheet

SEED = 125_000  # never used before (box28 up to 124,000)
STYLES = ("DD/MM/YYYY", "D/M/YY", "YYYY/MM/DD")
SLASH_REASON = "its slashes read as 1s"
# Each style's date format in a template (``--template``).
FORMATS = {"DD/MM/YYYY": "DDMMYYYY", "D/M/YY": "DDMMYY", "YYYY/MM/DD": "YYYYMMDD"}


def in_format(text: str, style: str) -> str:
    """The date ``text`` written in ``style``, as its template format spells it."""
    tokens = {"DDMMYYYY": ("DD", "MM", "YYYY"), "DDMMYY": ("DD", "MM", "YY")}
    parts = tokens.get(FORMATS[style], ("YYYY", "MM", "DD"))
    return "".join(p.zfill(len(t)) for p, t in zip(text.split("/"), parts, strict=True))


def date_template(image: np.ndarray, style: str, work: Path, i: int) -> Template:
    """A template drafted from the strip, its one box a date field in ``style``'s format."""
    drafted = draft_template(write_png(image, work / f"date{i}.png", 300), dpi=300, name="date")
    field = max(drafted.fields, key=lambda f: f.box[2] * f.box[3])
    field = dataclasses.replace(
        field, kind="digits", cells=0, boxes=(), check="date", date_format=FORMATS[style]
    )
    return dataclasses.replace(drafted, fields=(field,))


def date_text(rng: np.random.Generator, style: str) -> str:
    day, month = int(rng.integers(1, 29)), int(rng.integers(1, 13))
    year = int(rng.integers(1950, 2031))
    if style == "DD/MM/YYYY":
        return f"{day:02d}/{month:02d}/{year}"
    if style == "D/M/YY":
        return f"{day}/{month}/{year % 100:02d}"
    return f"{year}/{month:02d}/{day:02d}"


def box(i: int, seed: int, writers: dict[str, list[Any]]) -> dict[str, Any]:
    """Box i: its style, written text, digits, the strip and the true box."""
    rng = np.random.default_rng(seed + i)
    style = STYLES[i % len(STYLES)]
    source = SOURCES[(i // len(STYLES)) % len(SOURCES)]
    pool = writers[source]
    writer = pool[int(rng.integers(len(pool)))]
    text = date_text(rng, style)
    degradation = "scan" if (i // 6) % 2 == 0 else "harsh"
    sheet = Sheet((215.9, 60.0), 300, rng, DEGRADATIONS[degradation], writer.source())
    w = sheet.px(rng.uniform(55, 75))
    sheet.text(sheet.px(10), sheet.px(22), "Date", 10)
    sheet.amount(sheet.px(30), sheet.px(18), w, sheet.px(rng.uniform(9, 12)), text, label="Date")
    image, (truth,) = sheet.finish()
    return {
        "style": style,
        "source": source,
        "degradation": degradation,
        "text": text,
        "truth": truth,
        "image": image,
    }


def score(result: Any, truth: Any) -> dict[str, Any]:
    best = max(result.fields, key=lambda f: BBox(*f.bbox).iou(truth.bbox), default=None)
    if best is None or BBox(*best.bbox).iou(truth.bbox) < 0.5:
        return {
            "found": False,
            "exact": False,
            "status": None,
            "pred": None,
            "confidence": 0.0,
            "raw": None,
            "slash": False,
            "thinned": False,
            "reason": None,
        }
    return {
        "found": True,
        "exact": best.value == truth.value,
        "status": best.status,
        "pred": best.value,
        "confidence": best.confidence,
        "raw": best.raw,
        "slash": SLASH_REASON in (best.reason or ""),
        "thinned": THINNED in (best.reason or ""),
        "reason": best.reason,
    }


def totals(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``cheques.figures`` (its count under "cheques"), and how many went to
    review for their slashes read as 1s, and for a slash left out as a hairline."""
    return {
        **figures(rows),
        "slash_review": sum(r["slash"] for r in rows),
        "thinned_review": sum(r["thinned"] for r in rows),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--boxes", type=int, default=60)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--template", action="store_true", help="also read through a date template")
    args = ap.parse_args(argv)
    record = run_record("slashes.py", argv)
    record["params"] = {"boxes": args.boxes, "seed": args.seed, "template": args.template}
    writers = writers_with_every_digit(SOURCES)
    clf = load_classifier()
    config = ScanConfig()
    rows: dict[str, list[dict[str, Any]]] = {"whole": [], "cut out": []}
    if args.template:
        rows["through a template"] = []
    drafts = tempfile.TemporaryDirectory(prefix="formocr-slashes-")  # the strips as PNGs
    work = Path(drafts.name)
    for i in range(args.boxes):
        b = box(i, args.seed, writers)
        t = b["truth"]
        spec = {
            "index": i,
            "seed": args.seed + i,
            "style": b["style"],
            "source": b["source"],
            "degradation": b["degradation"],
            "text": b["text"],
        }
        whole = scan_page(PageImage("date", 1, b["image"], 300.0), config, clf)
        rows["whole"].append({**spec, "truth": t.value, **score(whole, t)})
        x, y, w, h = t.bbox
        x0, y0 = max(0, x - 20), max(0, y - 20)
        crop = np.ascontiguousarray(b["image"][y0 : y + h + 20, x0 : x + w + 20])
        cut = scan_page(PageImage("date.png", 1, crop, None), config, clf)
        inside = dataclasses.replace(t, bbox=BBox(x - x0, y - y0, w, h))
        rows["cut out"].append({**spec, "truth": t.value, **score(cut, inside)})
        if args.template:
            tpl = date_template(b["image"], b["style"], work, i)
            read = scan_page(
                PageImage("date", 1, b["image"], 300.0), ScanConfig(templates=(tpl,)), clf
            )
            dated = SimpleNamespace(bbox=t.bbox, value=in_format(b["text"], b["style"]))
            rows["through a template"].append({**spec, "truth": dated.value, **score(read, dated)})
        print(
            i, spec["text"], rows["whole"][-1]["pred"], rows["whole"][-1]["status"], file=sys.stderr
        )
    drafts.cleanup()
    record["rows"] = rows
    record["totals"] = {
        f"{how}, {style}": totals([r for r in rs if r["style"] == style])
        for how, rs in rows.items()
        for style in STYLES
    }
    publish(record, args.out / "slashes.json", render_markdown)
    return 0


def render_markdown(record: dict[str, Any]) -> str:
    p = record["params"]
    head = [
        "boxes",
        "n",
        "found",
        "exact",
        "read rate at <= 1 %",
        "ok",
        "ok but wrong",
        "in review for its slashes",
        "for a stroke taken for a hairline",
    ]
    body = [
        [
            k,
            t["cheques"],
            pct(t["found"] / t["cheques"], 1),
            pct(t["exact"] / t["cheques"], 1),
            pct(t["read_rate"], 1),
            t["ok"],
            f"{t['ok_wrong']} of {t['ok']}",
            t["slash_review"],
            t["thinned_review"],
        ]
        for k, t in record["totals"].items()
    ]
    return (
        f"{p['boxes']} dates written with slashes in a free box (seeds from {p['seed']}), "
        "held-out MNIST test and optdigits writers, 300 dpi, office and harsh scans, no "
        "template; whole strip, and the box cut out with 20 px of margin and no resolution "
        "recorded. The value asked for is the date's digits"
        + (
            "; through a template drafted from each strip, its box a date field in the "
            "style's format, the date in that format (day and month two digits)"
            if p.get("template")
            else ""
        )
        + ".\n\n"
        + md_table(head, body)
    )


if __name__ == "__main__":
    sys.exit(main())
