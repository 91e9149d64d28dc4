"""Cheque amounts on printed security backgrounds, read with no template.

    .venv/bin/python bench/cheques.py --cheques 60
    .venv/bin/python bench/cheques.py --cheques 60 --peers      # RapidOCR beside it

A stand-in for the real cheques of the acceptance checks, which we do not
have: the generator's cheque slip (175 x 80 mm, 300 dpi; date, payee line,
amount box with a printed currency, signature, code line) printed over a
security background (``training.synth.backgrounds``: guilloche, hatch, dot
screen, microtext; every sixth cheque plain paper), its amount written by a
writer no model trained on (MNIST test writers and optdigits' held-out
writers, in turn; only writers who wrote all ten digits) in one of the
usual formats ("1,250.00", "1 250,00", "1250.-", "1250.00", bare digits).
Office and harsh scans alternate. Each cheque is read alone with
``formocr.api.scan_page``, no template, the default ``--min-confidence``.

Each amount is also read alone, cut from its cheque with a margin of 10-69
px, cut inside its box (8-15 px in, the frame cut off), and cut tight
round the writing (0-5 px of margin inside the box: a digit may touch the
image's edge), with no resolution recorded (as cheque datasets keep
courtesy amounts): formocr then guesses the scale from the image's shape,
and reads a strip in which it finds no box as one box.

``--hand-sign`` writes a dollar sign by hand, in the writer's pen, before
every amount inside its box (the acceptance asks that such a sign be a
mark, not a digit).

Reported for the amount box (matched by IoU >= 0.5; separators are not
counted, as in the acceptance set): found, digits exact, read rate at <= 1 %
field error, share ``ok`` and ``ok`` but wrong; per background and per
writer source. With ``--peers``, RapidOCR 3.10 (PP-OCRv6, digits kept) is
handed the true amount box, deskewed and cut inside its frame
(``bench/peers.py``); its digits are compared the same way, its own score
ranks its read rate, and it never says a reading is unsure (its "ok" column
is every box).

The date (DDMMYYYY, one 8-cell comb or eight one-cell boxes, in the same
writer's hand) is scored too, per field on the whole cheque (not with
``--turn``): found, exact, ``ok`` and ``ok`` but wrong.

Writes bench/out/cheques.json and prints markdown tables.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from benchlib import OUT, add_turn_option, md_table, pct, publish, run_record
from forms import FieldScore
from peers import read_rapidocr, true_box_crops
from realwriters import DEGRADATIONS, PENS, load_writers, penned, read_rate, turn

from formocr.api import load_classifier, scan_page
from formocr.config import ScanConfig
from formocr.types import BBox, PageImage, PageResult
from training.synth import make_cheque
from training.synth.backgrounds import KINDS
from training.synth.degrade import faded
from training.synth.sources import WriterDigits

SEED = 99_000  # never used before (realwriters 61,000; box28 90,000-98,000)
SOURCES = ("mnist-test", "optdigits")
BACKGROUNDS: tuple[str | None, ...] = (*KINDS, "guilloche", None)
FORMATS = ("en", "eu", "dash", "point", "plain")
PRINTED_SIGNS = ("£", "₹", "$", "€", "EUR")  # --printed-sign each: cheque i takes i % 5


def writers_with_every_digit(sources: Sequence[str]) -> dict[str, list[WriterDigits]]:
    return {s: [w for w in ws if len(w.digits) == 10] for s, ws in load_writers(sources).items()}


def cheque(
    i: int,
    seed: int,
    writers: dict[str, list[WriterDigits]],
    currency_sign: bool | str = False,
    raised_cents: bool = False,
    slash: bool = False,
    lakhs: bool = False,
    round_amounts: bool = False,
    joins: float = 0.0,
    guard: str = "",
    fill: bool = False,
    printed_sign: str = "",
    swiss: bool = False,
    cents_over_100: bool = False,
) -> dict[str, Any]:
    """Cheque i: its spec, image and true amount box and digits; with
    ``currency_sign``, a dollar sign written by hand before the amount; with
    ``raised_cents``, the cents small and raised, without a decimal mark."""
    source = SOURCES[i % len(SOURCES)]
    pool = writers[source]
    order = np.random.default_rng(seed + SOURCES.index(source)).permutation(len(pool))
    writer = pool[int(order[(i // len(SOURCES)) % len(pool)])]
    background = BACKGROUNDS[i % len(BACKGROUNDS)]
    fmt = FORMATS[(i // len(BACKGROUNDS)) % len(FORMATS)]
    degradation = "scan" if (i // 2) % 2 == 0 else "harsh"
    image, truth = make_cheque(
        np.random.default_rng(seed + i),
        300,
        degradation=DEGRADATIONS[degradation],
        digit_source=writer.source(),
        amount_format=fmt,
        background=background,
        currency_sign=currency_sign,
        raised_cents=raised_cents,
        slash=slash,
        lakhs=lakhs,
        round_amounts=round_amounts,
        joins=joins,
        guard=guard,
        fill=fill,
        printed_sign=PRINTED_SIGNS[i % len(PRINTED_SIGNS)]
        if printed_sign == "each"
        else printed_sign,
        swiss=swiss,
        cents_over_100=cents_over_100,
    )
    amount = next(t for t in truth if t.label == "Amount")
    return {
        "dates": [t for t in truth if t.label == "Date"],
        "spec": {
            "index": i,
            "seed": seed + i,
            "source": source,
            "writer": writer.name,
            "background": background or "plain paper",
            "format": fmt,
            "degradation": degradation,
        },
        "image": image,
        "box": amount.bbox,
        "field": amount,
        "truth": amount.value,
        "text": amount.text,
        "dpi": 300.0,
    }


def black_and_white(c: dict[str, Any], dpi: float, threshold: int) -> dict[str, Any]:
    """Cheque ``c`` as a black-and-white scanner keeps it: resampled to
    ``dpi`` and thresholded at grey ``threshold`` (Check 21 images are
    bilevel at 200 or 240 dpi); its true box scaled with it."""
    s = dpi / 300.0
    image = c["image"]
    if s != 1.0:
        image = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)

    def scaled(b: BBox) -> BBox:
        return BBox(int(b.x * s), int(b.y * s), int(b.w * s), int(b.h * s))

    image = np.where(image < threshold, 0, 255).astype(np.uint8)
    dates = [dataclasses.replace(t, bbox=scaled(t.bbox)) for t in c["dates"]]
    return {**c, "image": image, "box": scaled(c["box"]), "dpi": dpi, "dates": dates}


def amount_crop(
    c: dict[str, Any], inside: bool = False, tight: bool = False
) -> tuple[np.ndarray, BBox]:
    """The amount box cut from the cheque with a margin of 10-69 px (by the
    cheque's index), as cheque datasets keep amounts, or ``inside`` it, 8-15
    px within the box's outer edge (the frame cut off), or ``tight`` round
    its writing (digits and separators, 0-5 px of margin, never past 8 px
    inside the box's edge); and the box in it (for a cut inside or tight,
    the whole image)."""
    b: BBox = c["box"]
    if tight:
        s = c["dpi"] / 300.0  # the truth's digit boxes are at 300 dpi
        f = c["field"]
        ink = [d.bbox for d in f.digits] + [box for _, box in f.marks]
        m = c["spec"]["index"] % 6
        x0 = max(b.x + 8, int(min(i.x for i in ink) * s) - m)
        y0 = max(b.y + 8, int(min(i.y for i in ink) * s) - m)
        x1 = min(b.x + b.w - 8, int(max(i.x + i.w for i in ink) * s) + m)
        y1 = min(b.y + b.h - 8, int(max(i.y + i.h for i in ink) * s) + m)
        img = c["image"][y0:y1, x0:x1]
        return np.ascontiguousarray(img), BBox(0, 0, img.shape[1], img.shape[0])
    if inside:
        k = 8 + c["spec"]["index"] % 8
        img = c["image"][b.y + k : b.y + b.h - k, b.x + k : b.x + b.w - k]
        return np.ascontiguousarray(img), BBox(0, 0, img.shape[1], img.shape[0])
    m = 10 + (7 * c["spec"]["index"]) % 60
    img = c["image"]
    x0, y0 = max(0, b.x - m), max(0, b.y - m)
    x1, y1 = min(img.shape[1], b.x + b.w + m), min(img.shape[0], b.y + b.h + m)
    return np.ascontiguousarray(img[y0:y1, x0:x1]), BBox(b.x - x0, b.y - y0, b.w, b.h)


def turned(image: np.ndarray, box: BBox, degrees: int) -> tuple[np.ndarray, BBox]:
    """``image`` turned ``degrees`` clockwise, and ``box`` on it."""
    out, there = turn(image, degrees)
    return out, there(box)


def read(
    c: dict[str, Any], clf: Any, config: ScanConfig, crop: tuple[np.ndarray, BBox] | None = None
) -> PageResult:
    """Cheque ``c`` read with no template; with ``crop`` (an image and the
    box in it), that image, its resolution unknown, as a PNG that records
    none is."""
    image, dpi = (c["image"], c["dpi"]) if crop is None else (crop[0], None)
    return scan_page(PageImage("cheque", 1, image, dpi), config, clf)


def reading(result: PageResult, box: BBox) -> dict[str, Any]:
    """The field read over ``box`` (IoU >= 0.5, the best): found, its
    digits, status, confidence and reason."""
    best = max(result.fields, key=lambda f: BBox(*f.bbox).iou(box), default=None)
    if best is None or BBox(*best.bbox).iou(box) < 0.5:
        return {"found": False, "pred": None, "status": "missing", "confidence": 0.0, "reason": ""}
    return {
        "found": True,
        "pred": "".join(ch for ch in best.value if ch.isdigit()),
        "status": best.status,
        "confidence": float(best.confidence),
        "reason": best.reason or "",
    }


def score(
    c: dict[str, Any],
    clf: Any,
    config: ScanConfig,
    crop: tuple[np.ndarray, BBox] | None = None,
    result: PageResult | None = None,
) -> dict[str, Any]:
    """The amount box's reading (``read``, unless ``result`` is given): matched
    field, its digits and status."""
    result = read(c, clf, config, crop) if result is None else result
    r = reading(result, c["box"] if crop is None else crop[1])
    return {
        **c["spec"],
        "truth": c["truth"],
        "text": c["text"],
        **r,
        "exact": r["pred"] == c["truth"],
        "fields_on_page": len(result.fields),
    }


def date_rows(c: dict[str, Any], result: PageResult) -> list[dict[str, Any]]:
    """Each date field of the whole cheque ``c`` as read in ``result``: one
    8-cell comb (``cells`` 8), or a one-cell box per digit (``cells`` 1)."""
    rows = []
    for t in c["dates"]:
        r = reading(result, t.bbox)
        spec = {"index": c["spec"]["index"], "background": c["spec"]["background"]}
        rows.append(
            {**spec, "cells": len(t.value), "truth": t.value, **r, "exact": r["pred"] == t.value}
        )
    return rows


def counts(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Rows found, exact, ``ok``, and ``ok`` but wrong."""
    ok = [r for r in rows if r["status"] == "ok"]
    return {
        "found": sum(r["found"] for r in rows),
        "exact": sum(r["exact"] for r in rows),
        "ok": len(ok),
        "ok_wrong": sum(not r["exact"] for r in ok),
    }


def date_figures(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    return {"fields": len(rows), **counts(rows)}


def as_score(r: dict[str, Any]) -> FieldScore:
    return FieldScore(
        page=r["index"] + 1,
        seed=r["seed"],
        page_kind="cheque",
        degradation=r["degradation"],
        truth_name="amount",
        field_kind="string",
        cells=0,
        truth=r["truth"],
        pred=r["pred"],
        confidence=r["confidence"],
        status=r["status"],
        reason=r["reason"],
    )


def figures(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    scores = [as_score(r) for r in rows]
    rate, _ = read_rate(scores)
    by_conf, _ = read_rate(scores, any_status=True)
    return {
        "cheques": len(rows),
        **counts(rows),
        "read_rate": rate or 0.0,
        "read_rate_by_confidence": by_conf or 0.0,
    }


def peer_rows(crops: Sequence[np.ndarray], rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """RapidOCR on the true amount boxes, scored as formocr's rows are (its
    confidence decides what it accepts; it says nothing is unsure)."""
    readings, costs = read_rapidocr(crops)
    out = []
    for r, p in zip(rows, readings, strict=True):
        out.append(
            {
                **{k: r[k] for k in ("index", "seed", "source", "background", "format")},
                **{k: r[k] for k in ("degradation", "truth")},
                "found": True,
                "pred": p.value,
                "exact": p.value == r["truth"],
                "status": "ok",
                "confidence": p.confidence,
                "reason": p.failed,
                "text": p.text,
            }
        )
    print(f"rapidocr: {costs}", file=sys.stderr)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--cheques", type=int, default=60)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--model", type=Path, default=None, help="ONNX model (default: shipped)")
    ap.add_argument("--peers", action="store_true", help="RapidOCR on the true amount boxes")
    ap.add_argument(
        "--without-pattern-paths",
        action="store_true",
        help="ablation: read as before the background fix (no box-level lift, no page patterned)",
    )
    ap.add_argument(
        "--bilevel",
        type=int,
        default=0,
        metavar="GREY",
        help="threshold every cheque at this grey level (black and white; 0: grey scans)",
    )
    ap.add_argument(
        "--scan-dpi", type=float, default=300.0, help="with --bilevel: resample to this dpi"
    )
    ap.add_argument(
        "--raised-cents",
        action="store_true",
        help="cents written small and raised, no decimal mark (formats with cents only)",
    )
    ap.add_argument(
        "--slash",
        action="store_true",
        help='a slash before the closing mark of whole amounts ("1250/-"; the "dash" format)',
    )
    ap.add_argument(
        "--lakhs",
        action="store_true",
        help='whole parts grouped the Indian way ("1,25,000.00", "1,25,000.-"; formats en, dash)',
    )
    ap.add_argument(
        "--swiss",
        action="store_true",
        help="whole parts grouped in thousands with apostrophes, as the Swiss write them "
        '("1\'250.00", "12\'000.-"; every format but plain)',
    )
    ap.add_argument(
        "--cents-over-100",
        action="store_true",
        help='cents written over 100 after the whole part, as on US cheques ("1,250 50/100"; '
        "the formats with cents)",
    )
    ap.add_argument(
        "--round",
        action="store_true",
        help='round amounts, as most cheques are ("3600", "20000"), and half the "dash" '
        'ones with points between the thousands ("15.000.-", "15.000-")',
    )
    ap.add_argument(
        "--joined",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="join this share of the amount's neighbouring digits with a pen stroke, as "
        "cursive writers do (zeros written in one stroke); 0: none",
    )
    ap.add_argument(
        "--without-sign-test",
        action="store_true",
        help="ablation: no currency sign set apart by its shape (layout.currency)",
    )
    ap.add_argument(
        "--fade",
        type=float,
        default=1.0,
        metavar="CONTRAST",
        help="scan every cheque light: its darkness under white kept at this share (1: as drawn)",
    )
    ap.add_argument(
        "--pen",
        choices=PENS,
        default="as-written",
        help="draw every writer's digits again with a fine liner or a ballpoint that skipped, "
        "or some of them light (bench/realwriters.py's --pen)",
    )
    add_turn_option(ap, "every cheque, and every amount cut out of it (stood on end),")
    ap.add_argument(
        "--hand-sign",
        nargs="?",
        const="$",
        choices=("$", "€"),
        help="a currency sign (default $, or €) written by hand before every amount, in its box",
    )
    ap.add_argument(
        "--guard",
        default="",
        choices=("", "#", "*", "**"),
        help="guards written by hand on both sides of every amount, in its box ('#1250.00#', "
        "'**1250**'), so that nothing can be added to it",
    )
    ap.add_argument(
        "--fill",
        action="store_true",
        help="a line drawn by hand after every amount to the end of its box ('1,250.00 ----')",
    )
    ap.add_argument(
        "--printed-sign",
        default="",
        choices=("", *PRINTED_SIGNS, "each"),
        help="a currency sign printed in bold inside every amount box at its left, as UK and "
        "Indian cheques have it ('each': the five in turn)",
    )
    args = ap.parse_args(argv)
    if args.turn and args.peers:
        ap.error("--turn is for formocr alone (the peers are handed the true boxes, upright)")
    if args.without_pattern_paths:
        from formocr.layout import digits, lines

        digits.BG_COVER = 1.01  # more than all of the paper round a box: never
        lines.PAGE_BG_COVER = 2.0
    if args.without_sign_test:
        from formocr.layout import digits

        digits.is_currency_sign = lambda *a: False  # type: ignore[assignment]
    record = run_record("cheques.py", argv)
    record["params"] = {
        "cheques": args.cheques,
        "seed": args.seed,
        "peers": args.peers,
        "without_pattern_paths": args.without_pattern_paths,
        "bilevel": args.bilevel,
        "scan_dpi": args.scan_dpi,
        "hand_sign": args.hand_sign,
        "raised_cents": args.raised_cents,
        "slash": args.slash,
        "lakhs": args.lakhs,
        "swiss": args.swiss,
        "cents_over_100": args.cents_over_100,
        "round": args.round,
        "joined": args.joined,
        "turn": args.turn,
        "without_sign_test": args.without_sign_test,
        "guard": args.guard,
        "fill": args.fill,
        "printed_sign": args.printed_sign,
        "fade": args.fade,
        "pen": args.pen,
    }
    writers = penned(writers_with_every_digit(SOURCES), args.pen)
    clf = load_classifier(args.model)
    config = ScanConfig()
    rows, crops, cut_rows, inner_rows, tight_rows, dates = [], [], [], [], [], []
    for i in range(args.cheques):
        c = cheque(
            i,
            args.seed,
            writers,
            args.hand_sign,
            args.raised_cents,
            args.slash,
            args.lakhs,
            args.round,
            args.joined,
            args.guard,
            args.fill,
            args.printed_sign,
            args.swiss,
            args.cents_over_100,
        )
        if args.bilevel:
            c = black_and_white(c, args.scan_dpi, args.bilevel)
        if args.fade != 1.0:
            c = {**c, "image": faded(c["image"], args.fade)}
        if args.peers:
            crops.append(true_box_crops(c["image"], [c["field"]])[0])
        cuts = [amount_crop(c), amount_crop(c, inside=True), amount_crop(c, tight=True)]
        if args.turn:
            image, box = turned(c["image"], c["box"], args.turn)
            c = {**c, "image": image, "box": box}
            cuts = [turned(*cut, args.turn) for cut in cuts]
        result = read(c, clf, config)
        r = score(c, clf, config, result=result)
        rows.append(r)
        if not args.turn:  # the date boxes' truth is upright
            dates += date_rows(c, result)
        for out, cut in zip((cut_rows, inner_rows, tight_rows), cuts, strict=True):
            out.append(score(c, clf, config, cut))
        print(
            f"{i:3d} {r['background']:12s} {r['format']:5s} {r['truth']:>9s} "
            f"{str(r['pred']):>12s} {r['status']:7s} {r['reason']}",
            file=sys.stderr,
        )
    record["rows"] = rows
    record["total"] = figures(rows)
    record["by_background"] = {
        b or "plain paper": figures([r for r in rows if r["background"] == (b or "plain paper")])
        for b in dict.fromkeys(BACKGROUNDS)
    }
    record["by_source"] = {s: figures([r for r in rows if r["source"] == s]) for s in SOURCES}
    record["amount_crops"] = {"rows": cut_rows, "total": figures(cut_rows)}
    record["amount_inside"] = {"rows": inner_rows, "total": figures(inner_rows)}
    record["amount_tight"] = {"rows": tight_rows, "total": figures(tight_rows)}
    if dates:
        record["dates"] = {
            "rows": dates,
            "comb": date_figures([d for d in dates if d["cells"] > 1]),
            "boxes": date_figures([d for d in dates if d["cells"] == 1]),
        }
    if args.peers:
        peer = peer_rows(crops, rows)
        record["rapidocr"] = {"rows": peer, "total": figures(peer)}
        record["rapidocr"]["by_background"] = {
            k: figures([r for r in peer if r["background"] == k]) for k in record["by_background"]
        }
    publish(record, args.out / "cheques.json", render_markdown)
    return 0


def render_markdown(record: dict[str, Any]) -> str:
    p = record["params"]
    head = [
        "cheques",
        "n",
        "amount box found",
        "digits exact",
        "read rate at <= 1 %",
        "the same, ranked by confidence alone",
        "ok",
        "ok but wrong",
    ]

    def row(name: str, t: dict[str, Any]) -> list[str]:
        n = max(1, t["cheques"])  # a background no cheque drew (under six cheques)
        return [
            name,
            str(t["cheques"]),
            pct(t["found"] / n, 1),
            pct(t["exact"] / n, 1),
            pct(t["read_rate"], 1),
            pct(t.get("read_rate_by_confidence", 0.0), 1),
            pct(t["ok"] / n, 1),
            f"{t['ok_wrong']} of {t['ok']}",
        ]

    rows = [row("all", record["total"])]
    rows += [row(k, t) for k, t in record["by_background"].items()]
    rows += [row(k, t) for k, t in record["by_source"].items()]
    scan = "grey, 300 dpi"
    if p.get("bilevel"):
        scan = f"black and white (threshold {p['bilevel']}), {p['scan_dpi']:g} dpi"
    if p.get("raised_cents"):
        scan += ", cents written small and raised (the formats with cents)"
    if p.get("slash"):
        scan += ', a slash before the closing mark of whole amounts ("1250/-")'
    if p.get("lakhs"):
        scan += ', whole parts grouped the Indian way ("1,25,000.00")'
    if p.get("cents_over_100"):
        scan += ', cents written over 100 after the whole part ("1,250 50/100")'
    if p.get("swiss"):
        scan += ', whole parts grouped in thousands with apostrophes ("1\'250.00")'
    if p.get("pen", "as-written") != "as-written":
        scan += f", every writer's digits drawn again with the {p['pen']} pen"
    if p.get("fade", 1.0) != 1.0:
        scan += f", scanned light (contrast kept at {p['fade']:g})"
    if p.get("turn"):
        scan += f", every cheque and cut-out turned {p['turn']} degrees clockwise"

    if p.get("hand_sign"):
        sign = "a dollar sign" if p["hand_sign"] in ("$", True) else f"a {p['hand_sign']} sign"
        scan += f", {sign} written by hand before each amount"
    if p.get("fill"):
        scan += ", a line drawn by hand after each amount to the end of its box"
    if p.get("printed_sign"):
        scan += f", a currency sign printed inside each amount box ({p['printed_sign']})"
    if p.get("guard"):
        g = p["guard"]
        scan += f", guards written by hand on both sides of each amount ('{g}1250.00{g}')"
    if "amount_crops" in record:
        rows.append(row("amount box cut out, no dpi recorded", record["amount_crops"]["total"]))
    if "amount_inside" in record:
        rows.append(row("cut inside the box, no dpi recorded", record["amount_inside"]["total"]))
    if "amount_tight" in record:
        rows.append(row("cut tight round the writing, no dpi", record["amount_tight"]["total"]))
    if "rapidocr" in record:
        peer = record["rapidocr"]
        rows.append(row("RapidOCR 3.10 (PP-OCRv6), true box, all", peer["total"]))
        rows += [row(f"RapidOCR, {k}", t) for k, t in peer["by_background"].items()]
    text = (
        f"{p['cheques']} cheques (seeds from {p['seed']}), {scan}, no template, the amount "
        "box only (separators not counted). A stand-in for real cheques, which we do not "
        "have.\n\n" + md_table(head, rows)
    )
    if "dates" in record:
        d = record["dates"]
        text += "\n\nThe date (DDMMYYYY) on the whole cheques, by field:\n\n" + md_table(
            ["date written in", "fields", "found", "exact", "ok", "ok but wrong"],
            [
                [
                    name,
                    str(t["fields"]),
                    pct(t["found"] / max(1, t["fields"]), 1),
                    pct(t["exact"] / max(1, t["fields"]), 1),
                    pct(t["ok"] / max(1, t["fields"]), 1),
                    f"{t['ok_wrong']} of {t['ok']}",
                ]
                for name, t in (("one 8-cell comb", d["comb"]), ("8 boxes", d["boxes"]))
            ],
        )
    return text


if __name__ == "__main__":
    sys.exit(main())
