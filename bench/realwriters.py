"""The headline benchmark: real digits from writers no model trained on, on scanned forms.

    .venv/bin/python bench/realwriters.py                  # 40 pages, formocr + both peers
    .venv/bin/python bench/realwriters.py --pages 8 --no-peers   # a quick look
    .venv/bin/python bench/realwriters.py --pages 40 --seed 141000 --sources mnist-val \
        --no-peers --pen skipped        # the same writers' digits, a ballpoint that skipped

Digits are real handwriting from writers that no model trained, tuned or
calibrated on (``training.splits``): the **MNIST test writers** of the
headline (grouped by NIST writer id; the third kept for calibration is left
out) and **optdigits' held-out last third** (one block of consecutive digits
per writer; the calibration blocks left out). One page is one writer, as people fill forms,
and every value on it is composed only of digits that writer wrote.

Pages alternate the two sources. Each is either a **form** (A4, two columns
of labelled fields: comb fields, one digit per printed cell with some cells
left empty, ticks or full dividers; and free boxes holding digit strings as
people write them: varying spacing, touching in some, a slight baseline drift
and size changes, and amounts with "," "." separators or a trailing dash) or
a **dense** page (``box28``'s letter page of 28 string boxes under printed
prompts). Degradations follow ``training.synth``: an office scan at 300 dpi,
or a harsh one (+-3 deg, blur, noise, JPEG, pencil to marker).

The pages go into one PDF (JPEG inside, as scanners write) read by
``formocr.api.scan`` with no template and the default ``--min-confidence``.
The peers, Tesseract 5 and RapidOCR 3.10 (PP-OCRv6), are handed each true
box (``bench/peers.py``), cut from the page pixels before the PDF's JPEG.

Reported for comb fields and free strings apart, per digit source:

* fields found (a predicted box with IoU >= 0.5 to the true one);
* fields exact (value == truth: digits only; a missed field is wrong);
* digits right (edit-distance alignment, ``FieldScore.alignment``);
* read rate at <= 1 % field error: fields accepted from the most confident
  down, as a share of all fields with digits written, while the error among
  accepted stays <= 1 % (missed fields are never accepted; a field read
  where nothing is written counts as an accepted error);
* error among ``ok`` fields (status "ok": what a user would not check) and
  the share of fields ``ok``;
* CPU seconds per page: formocr (process and its children: the renderer),
  and each peer's on the true boxes alone.

Writes bench/out/realwriters.json and prints markdown tables.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from benchlib import (
    MNIST_DIR,
    OPTDIGITS,
    OUT,
    add_turn_option,
    md_table,
    pct,
    publish,
    run_record,
)
from box28 import make_sheet as dense_sheet
from forms import FieldScore, accuracy, match_page, reject_curve
from peers import (
    PeerReading,
    rapidocr_available,
    read_rapidocr,
    read_tesseract,
    tesseract_version,
    true_box_crops,
)

from formocr.config import DEFAULT_MIN_CONFIDENCE, ScanConfig
from formocr.read import orient
from formocr.types import BBox, DocumentResult
from training.synth import Degradation, FieldTruth, write_pdf, write_truth
from training.synth.amounts import amount_text
from training.synth.sheet import Sheet
from training.synth.sources import WriterDigits, mnist_writers, optdigits_writers

# ``--pen``: the writers' digits as written, or drawn again with a pen real
# people use. "fine": the centre lines redrawn FINE_PEN of the ink's height
# wide (at least 3 px of the enlarged crop), a fine liner; a digit whose pen
# is over FILLED of its height (loops filled in, no pen's centre line to
# follow) stays as written, so a page mixes the two. "skipped": a ballpoint
# that skipped, SKIPPED of the digits broken by one or two gaps across their
# strokes (``training.augment.skipped``). "light": LIGHT of the digits
# written with LIGHT_INK of their darkness (a pen running dry, a digit put
# in later in pencil), the rest as written: about grey 195 on the page
# beside digits at 40.
PENS = ("as-written", "fine", "skipped", "light")
FINE_PEN = 0.06
FILLED = 0.16
SKIPPED = 0.5
LIGHT = 0.15
LIGHT_INK = 0.22


def repen(img: np.ndarray, pen: str, rng: np.random.Generator) -> np.ndarray:
    """One enlarged digit crop (dark on light) drawn again with ``pen``."""
    from training.augment import draw_skeleton, ink_box, skeleton, skipped

    box = ink_box(img)
    if pen == "as-written" or box is None:
        return img
    if pen == "skipped":
        return skipped(img, rng) if rng.random() < SKIPPED else img
    if pen == "light":
        if rng.random() >= LIGHT:
            return img
        light = 255.0 - LIGHT_INK * (255.0 - img.astype(np.float32))
        return np.asarray(np.round(light), np.uint8)
    ink = img < 128
    height = box[3] - box[1]
    depth = cv2.distanceTransform(ink.astype(np.uint8), cv2.DIST_L2, 5)[ink]
    if 2.0 * float(np.percentile(depth, 90)) > FILLED * height:
        return img
    return draw_skeleton(skeleton(img), max(3.0, FINE_PEN * height), img.shape)


@dataclass
class PennedWriter(WriterDigits):
    """A writer's digits drawn again with another pen (``repen``), each
    sample the same way every time it is drawn."""

    pen: str = "as-written"
    _penned: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def crop(self, k: int) -> np.ndarray:
        if k not in self._penned:
            rng = np.random.default_rng((zlib.crc32(self.name.encode()), k))
            self._penned[k] = repen(super().crop(k), self.pen, rng)
        return self._penned[k]


def penned(writers: dict[str, list[WriterDigits]], pen: str) -> dict[str, list[WriterDigits]]:
    """``writers`` with their digits drawn again with ``pen`` (``repen``)."""
    if pen == "as-written":
        return writers
    return {
        s: [PennedWriter(w.name, w.images, w.labels, pen=pen) for w in ws]
        for s, ws in writers.items()
    }


DPI = 300
SEED = 61_000  # never used before: forms 20,000 / 30,000, calibration 50,000 / 81,000,
# amounts 70,000, box28 and templates 90,000
A4_MM = (210.0, 297.0)
SOURCES = ("mnist-test", "optdigits")
# Digit sources by name: training.splits decides who is in each.
MNIST_SOURCES = {"mnist-test": "test", "mnist-cal": "cal", "mnist-val": "val"}
SOURCE_NAMES = {
    "mnist-test": "MNIST-test-writer",
    "optdigits": "optdigits-held-out",
    "mnist-cal": "MNIST-calibration-writer",
    "optdigits-cal": "optdigits-calibration",
    "mnist-val": "MNIST-validation-writer",
}
DEGRADATIONS = {"scan": Degradation.scan(), "harsh": Degradation.harsh()}
# Per pair of pages (one per source): page kind and degradation, in a cycle of 8.
CYCLE = (
    ("form", "scan"),
    ("form", "harsh"),
    ("dense", "scan"),
    ("form", "scan"),
    ("form", "harsh"),
    ("form", "scan"),
    ("dense", "harsh"),
    ("form", "harsh"),
)
AMOUNT_FORMATS = ("en", "eu", "dash", "point")
BOUND = 0.01


@dataclass(frozen=True)
class PageSpec:
    index: int
    seed: int
    source: str  # "mnist-test" | "optdigits" (headline); "mnist-cal" | "optdigits-cal"; "mnist-val"
    writer: str
    kind: str  # "form" | "dense"
    degradation: str


MIN_WRITER_DIGITS = 20  # a page needs some variety: fewer, and one sample is drawn ~10 times


def load_writers(sources: Sequence[str]) -> dict[str, list[WriterDigits]]:
    """Writers per source; MNIST writers with at least MIN_WRITER_DIGITS digits."""
    out: dict[str, list[WriterDigits]] = {}
    for s in sources:
        if s in MNIST_SOURCES:
            ws = mnist_writers(MNIST_SOURCES[s], MNIST_DIR)
            out[s] = [w for w in ws if len(w.labels) >= MIN_WRITER_DIGITS]
        elif s in ("optdigits", "optdigits-cal"):
            out[s] = optdigits_writers(
                OPTDIGITS, "calibration" if s.endswith("-cal") else "headline"
            )
        else:
            raise ValueError(f"unknown digit source {s!r}")
    return out


def plan(
    pages: int, seed: int, writers: dict[str, list[WriterDigits]], sources: Sequence[str]
) -> list[PageSpec]:
    """Page i: source i % len(sources); writers drawn in an order fixed by ``seed``."""
    order = {
        s: np.random.default_rng(seed + k).permutation(len(writers[s]))
        for k, s in enumerate(sources)
    }
    specs = []
    for i in range(pages):
        s = sources[i % len(sources)]
        j = i // len(sources)
        kind, deg = CYCLE[j % len(CYCLE)]
        w = writers[s][int(order[s][j % len(order[s])])]
        specs.append(PageSpec(i, seed + i, s, w.name, kind, deg))
    return specs


def _pick(
    rng: np.random.Generator, alphabet: Sequence[int], n: int, lead: bool = False
) -> list[int]:
    out = [int(alphabet[int(k)]) for k in rng.integers(0, len(alphabet), n)]
    nonzero = [d for d in alphabet if d != 0]
    if lead and out and out[0] == 0 and nonzero:
        out[0] = int(nonzero[int(rng.integers(len(nonzero)))])
    return out


def draw_form(sheet: Sheet, rng: np.random.Generator, alphabet: Sequence[int]) -> None:
    """An A4 form: a title, two columns of 8 labelled fields (combs, strings, amounts)."""
    sheet.text(sheet.px(18), sheet.px(14), "APPLICATION FORM", 14, bold=True)
    sheet.text(sheet.px(18), sheet.px(24), "Write one digit per box where boxes are given.", 9)
    for col in range(2):
        x = sheet.px(18 + col * 94)
        for row in range(8):
            y = sheet.px(38 + row * 31)
            kind = rng.choice(["comb", "comb", "string", "touching", "amount"])
            if kind == "comb":
                cells = int(rng.integers(4, 11))
                cell_w = sheet.px(float(rng.uniform(6.5, min(8.5, 84 / cells))))
                cell_h = sheet.px(float(rng.uniform(9.0, 12.0)))
                vals: list[int | None] = list(_pick(rng, alphabet, cells))
                for i in range(cells):
                    if rng.random() < 0.15:
                        vals[i] = None
                if all(v is None for v in vals):
                    vals[0] = _pick(rng, alphabet, 1)[0]
                style = "lines" if rng.random() < 0.6 else "ticks"
                sheet.text(x, y, "Reference number", 9)
                sheet.comb(x, y + sheet.px(6), cell_w, cell_h, vals, style, label=f"comb {style}")  # type: ignore[arg-type]
            elif kind in ("string", "touching"):
                n = int(rng.integers(3, 9))
                digits = _pick(rng, alphabet, n)
                h = sheet.px(float(rng.uniform(11.0, 15.0)))
                w = sheet.px(min(84.0, float(rng.uniform(9.0, 12.0)) * n + 8))
                sheet.text(x, y, "Telephone" if n > 6 else "Quantity", 9)
                sheet.string(
                    x,
                    y + sheet.px(6),
                    w,
                    h,
                    digits,
                    touching=kind == "touching",
                    label="touching" if kind == "touching" else "spaced",
                )
            else:
                fmt = str(rng.choice(AMOUNT_FORMATS))
                n = int(rng.integers(1, 6)) + (2 if fmt in ("en", "eu", "point") else 0)
                digits = "".join(map(str, _pick(rng, alphabet, n, lead=True)))
                text = amount_text(rng, digits, fmt)
                h = sheet.px(float(rng.uniform(12.0, 15.0)))
                w = sheet.px(min(84.0, 10.0 * len(text) + 12))
                sheet.text(x, y, "Amount", 9)
                touching = rng.random() < 0.25
                sheet.amount(x, y + sheet.px(6), w, h, text, touching, label="amount")


def make_page(spec: PageSpec, writer: WriterDigits) -> tuple[np.ndarray, list[FieldTruth]]:
    rng = np.random.default_rng(spec.seed)
    deg = DEGRADATIONS[spec.degradation]
    alphabet = writer.digits
    if spec.kind == "dense":
        return dense_sheet(rng, writer.source(), deg, alphabet).finish()
    sheet = Sheet(A4_MM, DPI, rng, deg, writer.source())
    draw_form(sheet, rng, alphabet)
    return sheet.finish()


def rescanned(
    image: np.ndarray, truth: list[FieldTruth], dpi: int
) -> tuple[np.ndarray, list[FieldTruth]]:
    """A page drawn at DPI as a scanner at ``dpi`` keeps it (area resampling).
    The PDF records the lower resolution and formocr renders it at its own
    (300 dpi, DPI), so the fields' boxes stay as drawn."""
    if dpi == DPI:
        return image, truth
    s = dpi / DPI
    return cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_AREA), truth


def combs_alone(
    image: np.ndarray, truth: list[FieldTruth], dpi: float
) -> tuple[np.ndarray, list[FieldTruth]]:
    """The page as a form of comb boxes alone: its string boxes, with their
    writing and 0.04 in round them, painted over with the paper's grey."""
    out, m = image.copy(), round(0.04 * dpi)
    paper = int(np.median(image))
    for t in truth:
        if t.kind == "string":
            b = t.bbox
            out[max(0, b.y - m) : b.y + b.h + m, max(0, b.x - m) : b.x + b.w + m] = paper
    return out, [t for t in truth if t.kind != "string"]


def turn(image: np.ndarray, degrees: int) -> tuple[np.ndarray, Callable[[BBox], BBox]]:
    """``image`` turned ``degrees`` clockwise, and where a box of it lies on
    the turned image."""
    q = degrees // 90 % 4
    turned = orient.quarter(image, q)

    def there(b: BBox) -> BBox:  # the page is the turned one turned back
        return orient.box_back(b, -q, turned.shape)

    return turned, there


def turned_round(
    image: np.ndarray, truth: list[FieldTruth], degrees: int = 180
) -> tuple[np.ndarray, list[FieldTruth]]:
    """The page as a sheet fed into the scanner turned ``degrees`` clockwise
    (180: upside down; 90, 270: sideways), every box of its truth with it."""
    turned, there = turn(image, degrees)
    return turned, [
        replace(
            t,
            bbox=there(t.bbox),
            digits=tuple(replace(d, bbox=there(d.bbox)) for d in t.digits),
            marks=tuple((c, there(b)) for c, b in t.marks),
        )
        for t in truth
    ]


# -- scoring -------------------------------------------------------------------------------


def read_rate(
    scores: Sequence[FieldScore], bound: float = BOUND, any_status: bool = False
) -> tuple[float | None, float | None]:
    """(read rate, threshold): the most fields accepted, most confident first, with error
    among accepted <= ``bound``, as a share of the fields with digits written.

    Missed fields are never accepted, nor are fields that something other
    than their confidence keeps in review (readers that disagree, separators
    the amount grammar does not explain, more digits than cells): no threshold lets them
    through. A field read where nothing is written (a spurious one, or
    digits in an empty box) is an accepted error if its confidence lets it in.
    ``any_status``: every read field ranked by its confidence alone, whatever
    keeps it in review, as a user who sorts the output by confidence sees it.
    """
    written = sum(1 for s in scores if s.truth_name and s.truth)
    items = [
        (
            s.confidence
            if s.pred is not None and (any_status or s.held_by_confidence_only)
            else -1.0,
            s.exact,
        )
        for s in scores
        if (s.truth_name and s.truth) or s.pred
    ]
    if not written or not items:
        return None, None
    conf = np.array([c for c, _ in items], np.float64)
    correct = np.array([e for _, e in items], bool)
    ks, errs, thr = reject_curve(conf, correct)
    best_rate, best_thr = 0.0, None
    for k, e, t in zip(ks, errs, thr, strict=True):
        if k == 0 or e / k > bound + 1e-12 or t < 0:
            continue
        good = k - e  # accepted and right: all accepted items that carry a written truth
        rate = float(good / written)
        if rate > best_rate:
            best_rate, best_thr = rate, float(t)
    return best_rate, best_thr


def accepted_at(scores: Sequence[FieldScore], threshold: float) -> dict[str, Any]:
    """Fields a threshold would let through: read with a digit, held by their
    confidence alone (no other reason for review), confidence >= ``threshold``."""
    acc = [s for s in scores if s.pred and s.held_by_confidence_only and s.confidence >= threshold]
    written = sum(1 for s in scores if s.truth_name and s.truth)
    wrong = sum(not s.exact for s in acc)
    return {
        "threshold": threshold,
        "accepted": len(acc),
        "errors": wrong,
        "error": wrong / len(acc) if acc else None,
        "share_of_written": (len(acc) - wrong) / written if written else None,
    }


def figures(
    scores: Sequence[FieldScore], with_confidence: bool = True, threshold: float | None = None
) -> dict[str, Any]:
    a = accuracy(scores)
    out: dict[str, Any] = {
        "fields": a["fields"],
        "digits": a["digits"],
        "found": a["found"],
        "exact": a["exact"],
        "digits_right": a["digit_accuracy"],
        "spurious": a["spurious_fields"],
    }
    if with_confidence:
        rate, thr = read_rate(scores)
        ok = [s for s in scores if s.status == "ok"]
        out.update(
            {
                "read_rate_at_1%": rate,
                "read_rate_at_1%_by_confidence": read_rate(scores, any_status=True)[0],
                "threshold_for_1%": thr,
                "ok_fields": len(ok),
                "ok_share": len(ok) / a["fields"] if a["fields"] else None,
                "ok_errors": sum(not s.exact for s in ok),
                "ok_error": sum(not s.exact for s in ok) / len(ok) if ok else None,
            }
        )
        if threshold is not None:
            out["at_calibrated"] = accepted_at(scores, threshold)
    return out


def breakdown(
    scores: Sequence[FieldScore],
    source_of: dict[int, str],
    with_confidence: bool = True,
    threshold: float | None = None,
    label_of: dict[tuple[int, str], str] | None = None,
) -> dict[str, Any]:
    """Figures for every (field kind, source) pair, each kind over all sources, and all."""

    def fig(ss: Sequence[FieldScore]) -> dict[str, Any]:
        return figures(ss, with_confidence, threshold)

    out: dict[str, Any] = {"all": fig(scores)}
    for kind in ("comb", "string"):
        # Spurious fields have no kind: they count against the strings (free boxes
        # are where extra fields come from) and in "all".
        ks = [s for s in scores if s.field_kind == kind or (kind == "string" and not s.truth_name)]
        out[kind] = fig(ks)
        for src in sorted(set(source_of.values())):
            sub = [s for s in ks if source_of[s.page] == src]
            out[f"{kind}/{src}"] = fig(sub)
    # Free strings by how they were written (the label the page gave each box).
    for label in sorted(set((label_of or {}).values())):
        sub = [s for s in scores if (label_of or {}).get((s.page, s.truth_name)) == label]
        if sub and sub[0].field_kind == "string":
            out[f"string:{label}"] = fig(sub)
    return out


def rescore(fields: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """formocr's figures again from a record's compact field list (no labels kept there)."""
    scores = []
    for f in fields:
        s = FieldScore(
            page=f["page"],
            seed=0,
            page_kind="",
            degradation="",
            truth_name="t" if f["written"] or f["matched"] else "",
            field_kind=f["kind"],
            cells=0,
            truth="1" if f["written"] else "",
            pred=("1" if f["exact"] else "2") if f["read"] else ("" if f["matched"] else None),
            confidence=f["confidence"],
            status=f["status"],
            reason="" if f["held_by_confidence_only"] else "other",
        )
        scores.append(s)
    out = breakdown(scores, {f["page"]: f["source"] for f in fields})
    for fig in out.values():  # digits are not kept per field: no digit figures
        fig["digits_right"] = fig["digits"] = None
    return out


def peer_scores(
    specs: Sequence[PageSpec], truths: Sequence[Sequence[FieldTruth]], readings: list[PeerReading]
) -> list[FieldScore]:
    out, k = [], 0
    for spec, truth in zip(specs, truths, strict=True):
        for t in truth:
            r = readings[k]
            k += 1
            s = FieldScore.of_truth(
                t,
                r.value,
                page=spec.index + 1,
                seed=spec.seed,
                page_kind=spec.kind,
                degradation=spec.degradation,
            )
            s.confidence = r.confidence
            s.status = "ok" if r.value else "empty"
            out.append(s)
    return out


def scan_pdf(path: Path, config: ScanConfig) -> tuple[DocumentResult, dict[str, float]]:
    """formocr on the PDF; wall and CPU (this process and its children: pdftoppm)."""
    from formocr.api import scan

    r0s, r0c = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    t0 = time.perf_counter()
    (doc,) = list(scan([path], config))  # the shipped readers, model load included
    wall = time.perf_counter() - t0
    r1s, r1c = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    cpu = (r1s.ru_utime + r1s.ru_stime - r0s.ru_utime - r0s.ru_stime) + (
        r1c.ru_utime + r1c.ru_stime - r0c.ru_utime - r0c.ru_stime
    )
    return doc, {"wall_s": wall, "cpu_s": cpu}


def run(
    specs: Sequence[PageSpec],
    writers: dict[str, list[WriterDigits]],
    out_dir: Path,
    config: ScanConfig,
    peers: bool,
    threshold: float | None = None,
    scan_dpi: int = DPI,
    turned: int = 0,
    combs_only: bool = False,
) -> tuple[dict[str, Any], list[FieldScore]]:
    """Draw, read and score ``specs``: the record's results and formocr's field
    scores (also used by calibrate.py). ``scan_dpi``: the pages, drawn at
    DPI, resampled to it (``rescanned``); ``turned``: each page turned so many
    degrees clockwise (``turned_round``); ``combs_only``: each page's string
    boxes blanked out (``combs_alone``)."""
    by_name = {w.name: w for ws in writers.values() for w in ws}
    t0 = time.perf_counter()
    pages, truths = [], []
    for spec in specs:
        # Blanked and turned as drawn (the boxes are in its pixels), then
        # rescanned: at a lower resolution the boxes stay as drawn.
        img, truth = make_page(spec, by_name[spec.writer])
        if combs_only:
            img, truth = combs_alone(img, truth, DPI)
        if turned:
            img, truth = turned_round(img, truth, turned)
        img, truth = rescanned(img, truth, scan_dpi)
        pages.append(img)
        truths.append(truth)
        print(f"drawn {spec.index + 1}/{len(specs)}", file=sys.stderr, end="\r")
    gen_s = time.perf_counter() - t0
    pdf = write_pdf(pages, out_dir / "pages.pdf", scan_dpi)
    write_truth(list(zip(pages, truths, strict=True)), out_dir / "pages.truth.json", scan_dpi)
    n_fields = sum(len(t) for t in truths)
    print(f"\n{len(pages)} pages, {n_fields} fields -> {pdf} ({gen_s:.0f} s)", file=sys.stderr)
    source_of = {spec.index + 1: spec.source for spec in specs}
    label_of = {
        (spec.index + 1, t.name): t.label or "prompted"
        for spec, truth in zip(specs, truths, strict=True)
        for t in truth
    }

    doc, cost = scan_pdf(pdf, config)
    if doc.status != "ok":
        raise SystemExit(f"formocr failed on {pdf}: {doc.error}")
    scores: list[FieldScore] = []
    for spec, truth, res in zip(specs, truths, doc.pages, strict=True):
        if res.error:
            print(f"warning: page {res.page}: {res.error}", file=sys.stderr)
        scores += match_page(spec, res.page, truth, res.fields)  # type: ignore[arg-type]
    print(f"formocr: {cost['wall_s']:.0f} s wall, {cost['cpu_s']:.0f} s CPU", file=sys.stderr)
    results: dict[str, Any] = {
        "formocr": {
            "figures": breakdown(scores, source_of, threshold=threshold, label_of=label_of),
            "cpu_s_per_page": cost["cpu_s"] / len(specs),
            "wall_s_per_page": cost["wall_s"] / len(specs),
        }
    }
    all_scores = {"formocr": scores}
    if peers:
        crops = [
            c for img, truth in zip(pages, truths, strict=True) for c in true_box_crops(img, truth)
        ]
        if tesseract_version():
            tess = read_tesseract(crops)
            t_scores = peer_scores(specs, truths, tess)
            results["tesseract"] = {
                "version": tesseract_version(),
                "figures": breakdown(t_scores, source_of, with_confidence=False, label_of=label_of),
                "cpu_s_per_page": sum(r.cpu_s for r in tess) / len(specs),
                "failed_runs": sum(bool(r.failed) for r in tess),
            }
            all_scores["tesseract"] = t_scores
            print(f"tesseract: {sum(r.cpu_s for r in tess):.0f} s CPU", file=sys.stderr)
        else:
            print("tesseract not found (apt-get install tesseract-ocr): skipped", file=sys.stderr)
        if rapidocr_available():
            rap, cost_r = read_rapidocr(crops)
            r_scores = peer_scores(specs, truths, rap)
            results["rapidocr"] = {
                "version": "rapidocr 3.10.0, PP-OCRv6 small rec (recognition only)",
                "figures": breakdown(r_scores, source_of, label_of=label_of),
                "cpu_s_per_page": cost_r["cpu_s"] / len(specs),
                "load_cpu_s": cost_r["load_cpu_s"],
            }
            all_scores["rapidocr"] = r_scores
            print(f"rapidocr: {cost_r['cpu_s']:.0f} s CPU", file=sys.stderr)
        else:
            print(
                "bench/.venv-rapidocr missing (see bench/peers.py): RapidOCR skipped",
                file=sys.stderr,
            )
    results["errors"] = [
        asdict(s) | {"reader": reader, "source": source_of.get(s.page, "")}
        for reader, ss in all_scores.items()
        for s in ss
        if (s.truth_name and not s.exact) or (not s.truth_name and s.pred)
    ]
    # Every formocr field, compact, for calibrate.py and later checks.
    results["formocr"]["fields"] = [
        {
            "page": s.page,
            "source": source_of.get(s.page, ""),
            "kind": s.field_kind,
            # How the page wrote the box (spaced, touching, amount, prompted, a
            # comb style); "" for a field read where no box was drawn.
            "label": label_of.get((s.page, s.truth_name), "") if s.truth_name else "",
            "written": bool(s.truth_name and s.truth),
            "read": bool(s.pred),
            "matched": s.matched,
            "exact": s.exact,
            "confidence": round(s.confidence, 6),
            "status": s.status,
            "held_by_confidence_only": s.held_by_confidence_only,
            "truth": s.truth,
            "pred": s.pred,
            "reason": s.reason,
        }
        for s in scores
    ]
    results["fields"] = n_fields
    results["generate_s"] = gen_s
    return results, scores


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--pages", type=int, default=40, help="pages, alternating the sources")
    ap.add_argument("--seed", type=int, default=SEED, help="page i is drawn with SEED+i")
    ap.add_argument("--no-peers", action="store_true", help="skip Tesseract and RapidOCR")
    ap.add_argument(
        "--peers-from",
        type=Path,
        default=None,
        help="take the peers' figures from an earlier record of the same pages (same --pages, "
        "--seed and page code): they do not depend on formocr, and cost most of the run",
    )
    ap.add_argument(
        "--min-confidence",
        type=float,
        default=DEFAULT_MIN_CONFIDENCE,
        help=f"formocr's threshold (default: the shipped {DEFAULT_MIN_CONFIDENCE})",
    )
    ap.add_argument(
        "--use-calibration",
        action="store_true",
        help="read with the threshold and string confidence power of --calibration "
        "(what shipping them would give), not the shipped defaults",
    )
    ap.add_argument("--model", type=Path, default=None, help="ONNX model (default: shipped)")
    ap.add_argument(
        "--scan-dpi",
        type=int,
        default=DPI,
        help=f"resample the pages (drawn at {DPI} dpi) to this resolution, as a scanner set "
        "lower keeps them (with --no-peers)",
    )
    add_turn_option(ap, "every page (with --no-peers)")
    ap.add_argument(
        "--turned",
        action="store_const",
        const=180,
        dest="turn",
        help="every page upside down, as a sheet fed the wrong way round (--turn 180)",
    )
    ap.add_argument(
        "--combs-only",
        action="store_true",
        help="every page's string boxes blanked out: forms of comb boxes alone (with --no-peers)",
    )
    ap.add_argument(
        "--no-turn-check",
        action="store_true",
        help="read without formocr's check of which way up a page lies (ScanConfig.turn_upside_down)",
    )
    ap.add_argument(
        "--sources",
        nargs="+",
        default=list(SOURCES),
        choices=list(SOURCE_NAMES),
        help="digit sources, in turn (default: the headline's held-out writers; "
        "development runs: mnist-cal optdigits-cal, bench/calibrate.py's writers)",
    )
    ap.add_argument(
        "--pen",
        choices=PENS,
        default="as-written",
        help="draw every writer's digits again with a fine liner or a ballpoint that skipped, "
        "or some of them light (see repen; with --no-peers)",
    )
    ap.add_argument("--out", type=Path, default=OUT, help="output folder (default bench/out)")
    ap.add_argument("--name", default="realwriters", help="record name (NAME.json)")
    ap.add_argument(
        "--rescore",
        type=Path,
        default=None,
        help="recompute formocr's figures of an earlier record from its fields (no reading), "
        "with today's definitions; prints the tables",
    )
    ap.add_argument(
        "--calibration",
        type=Path,
        default=OUT / "calibration.json",
        help="bench/calibrate.py's record: its threshold is checked here too (if it exists)",
    )
    args = ap.parse_args(argv)
    if args.pages < 1:
        ap.error("--pages must be at least 1")
    if args.scan_dpi != DPI and not args.no_peers:
        ap.error("--scan-dpi needs --no-peers (the peers' boxes are cut at the drawn resolution)")
    if args.pen != "as-written" and not args.no_peers:
        ap.error("--pen needs --no-peers")
    if (args.turn or args.combs_only) and not args.no_peers:
        ap.error(
            "--turn and --combs-only need --no-peers (the peers are handed the true boxes, upright)"
        )
    if args.rescore is not None:
        old = json.loads(args.rescore.read_text())
        old["results"]["formocr"]["figures"] = rescore(old["results"]["formocr"]["fields"])
        print(render_markdown(old))
        return 0
    record = run_record("realwriters.py", argv)
    sources = tuple(args.sources)
    writers = penned(load_writers(sources), args.pen)
    specs = plan(args.pages, args.seed, writers, sources)
    config = ScanConfig(
        min_confidence=args.min_confidence,
        model=args.model,
        turn_upside_down=not args.no_turn_check,
    )
    if args.use_calibration:
        rec = json.loads(args.calibration.read_text())["result"]["recommended"]
        config = replace(
            config, min_confidence=rec["min_confidence"], combine_power=rec["combine_power"]
        )
    record["params"] = {
        "pages": args.pages,
        "seed": args.seed,
        "dpi": args.scan_dpi,
        "turned": args.turn,
        "combs_only": args.combs_only,
        "pen": args.pen,
        "turn_check": config.turn_upside_down,
        "sources": list(sources),
        "min_confidence": config.min_confidence,
        "combine_power": config.combine_power,
        "writers": {s: len(writers[s]) for s in sources},
        "pages_by": {
            "source": {s: sum(p.source == s for p in specs) for s in sources},
            "kind": {k: sum(p.kind == k for p in specs) for k in ("form", "dense")},
            "degradation": {d: sum(p.degradation == d for p in specs) for d in DEGRADATIONS},
        },
        "page_writers": [p.writer for p in specs],
    }
    threshold = None
    if args.calibration.is_file():
        cal = json.loads(args.calibration.read_text())
        r = cal.get("result", {})
        threshold = r.get("threshold")
        if abs(r.get("combine_power", 1.0) / config.combine_power - 1) > 0.01:
            # Its threshold holds for string confidences mapped by its own power, not
            # by this run's: nothing to check (--use-calibration reads with both).
            print(
                f"{args.calibration}: fitted with string power {r.get('combine_power')}, "
                f"read with {config.combine_power}: its threshold is not checked",
                file=sys.stderr,
            )
            threshold = None
        record["params"]["calibration"] = {
            "file": str(args.calibration),
            "threshold": threshold,
            "model_sha256": cal.get("model", {}).get("sha256"),
            "date": cal.get("date"),
        }
    earlier = None
    if args.peers_from is not None:
        earlier = json.loads(args.peers_from.read_text())
        same = {k: earlier["params"].get(k) for k in ("pages", "seed", "page_writers")}
        if same != {k: record["params"][k] for k in same}:
            raise SystemExit(f"{args.peers_from}: other pages ({same['pages']}, {same['seed']})")
    peers = not args.no_peers and earlier is None
    record["results"], _ = run(
        specs,
        writers,
        args.out / args.name,
        config,
        peers,
        threshold,
        args.scan_dpi,
        args.turn,
        combs_only=args.combs_only,
    )
    if earlier is not None:
        for k in ("tesseract", "rapidocr"):
            if k in earlier["results"]:
                record["results"][k] = earlier["results"][k] | {
                    "copied_from": f"{args.peers_from} ({earlier['date']})"
                }
    publish(record, args.out / f"{args.name}.json", render_markdown)
    return 0


# -- report --------------------------------------------------------------------------------

GROUPS = (
    ("comb", "comb fields, all"),
    ("comb/mnist-test", "comb, MNIST test writers"),
    ("comb/optdigits", "comb, optdigits held-out"),
    ("string", "free strings, all"),
    ("string/mnist-test", "strings, MNIST test writers"),
    ("string/optdigits", "strings, optdigits held-out"),
    ("string:spaced", "strings written spaced (forms)"),
    ("string:touching", "strings written touching (forms)"),
    ("string:amount", "amounts with separators or a dash (forms)"),
    ("string:prompted", "strings on the dense 28-box pages"),
)


def _ok(f: dict[str, Any]) -> str:
    if f.get("ok_fields") is None:
        return "-"
    return f"{pct(f['ok_error'], 2)} ({f['ok_errors']} of {f['ok_fields']}; {pct(f['ok_share'], 0)} ok)"


def render_markdown(record: dict[str, Any]) -> str:
    p, res = record["params"], record["results"]
    readers = [r for r in ("formocr", "rapidocr", "tesseract") if r in res]
    label = {
        "formocr": "**formocr** (finds the boxes)",
        "rapidocr": "RapidOCR PP-OCRv6 (true boxes)",
        "tesseract": "Tesseract 5 (true boxes)",
    }
    rows = []
    for key, name in GROUPS:
        for r in readers:
            f = res[r]["figures"].get(key)
            if not f or not f["fields"]:
                continue
            rows.append(
                [
                    name if r == readers[0] else "",
                    label[r],
                    str(f["fields"]),
                    pct(f["found"], 1) if r == "formocr" else "(given)",
                    pct(f["exact"], 1),
                    pct(f["digits_right"], 1),
                    pct(f.get("read_rate_at_1%"), 1) if "read_rate_at_1%" in f else "-",
                    _ok(f) if r == "formocr" else "-",
                ]
            )
    head = [
        "fields",
        "reader",
        "n",
        "found",
        "exact",
        "digits right",
        "read rate @ <=1 % err",
        f"error among `ok` (min-confidence {p['min_confidence']})",
    ]
    cost = ", ".join(f"{r} {res[r]['cpu_s_per_page']:.2f} s" for r in readers)
    cal = p.get("calibration") or {}
    check = []
    if cal.get("threshold") is not None:
        crow = []
        for key, name in GROUPS:
            f = res["formocr"]["figures"].get(key, {}).get("at_calibrated")
            if f:
                crow.append(
                    [
                        name,
                        f"{pct(f['error'], 2)} ({f['errors']} of {f['accepted']})",
                        pct(f["share_of_written"], 1),
                    ]
                )
        check = [
            "",
            f"The threshold fitted by bench/calibrate.py on the calibration writers "
            f"({cal['threshold']:.4f}, model {str(cal.get('model_sha256'))[:12]}, {cal.get('date')}), "
            "checked here: fields held by their confidence alone, accepted at it.",
            "",
            md_table(["fields", "error among accepted", "read right and accepted"], crow),
        ]
    pb = p["pages_by"]
    return "\n".join(
        [
            f"{p['pages']} pages (seeds {p['seed']}-{p['seed'] + p['pages'] - 1}; "
            + "".join(f"{n} {SOURCE_NAMES.get(s, s)} pages, " for s, n in pb["source"].items())
            + f"{pb['kind']['form']} forms, {pb['kind']['dense']} dense 28-box pages; "
            f"{pb['degradation']['scan']} office scans, {pb['degradation']['harsh']} harsh), "
            f"{res['fields']} fields, read from one PDF at {p['dpi']} dpi, no template.",
            "",
            md_table(head, rows),
            "",
            f"CPU per page: {cost} (formocr: the whole scan, rendering included; "
            "peers: reading the true boxes only).",
            *[
                f"{r}'s figures are copied from {res[r]['copied_from']}: the same pages."
                for r in readers
                if res[r].get("copied_from")
            ],
            *check,
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
