"""Forms benchmark: formocr end to end on degraded synthetic forms, and Tesseract beside it.

    .venv/bin/python bench/forms.py                  # 40 pages, held-out optdigits writers
    .venv/bin/python bench/forms.py --digits synth   # the generator's own stroke digits
    .venv/bin/python bench/forms.py --pages 6 --no-tesseract   # a quick look

Pages come from ``training.synth`` with fixed seeds (page i: seed SEED+i):
every fifth page is a cheque, the rest A4 forms; even pages get an office
scan (``Degradation.scan()``), odd pages a bad fax or phone photo
(``Degradation.harsh()``: +-3 deg, blur, noise, JPEG, pencil to marker). With
``--digits optdigits`` (the default) the handwriting is the optdigits writers
the model never trained on, one writer block per page.

The pages are written as one multi-page PDF (JPEG inside, as scanners write
them) and one multi-page TIFF (lossless), each read by ``formocr.api.scan``
with no template, and scored against the generator's truth:

* fields found: a truth field matched by a predicted field with IoU >= 0.5
  (one-to-one, best IoU first); unmatched predictions are "spurious";
* field exact match: predicted value == true value, over all truth fields
  (a missed field is wrong; an empty field read as empty is right);
* digit accuracy: true digits recovered in place, by an edit-distance
  alignment of predicted and true strings (digits of missed fields are
  wrong); CER is the edit distance over the number of true digits;
* confidence: over matched fields with a digit written or read, the read rate
  (fields accepted, highest confidence first) at <= 1 % and <= 0.1 % field
  error, the error among fields with status "ok" at the default threshold,
  and the threshold that keeps error <= 1 %; an error-versus-reject curve;
* Tesseract: each true field box, deskewed and cut inside its frame, read by
  ``tesseract crop.png - --psm 7`` with a digit whitelist, one process per
  field, OMP_THREAD_LIMIT=1 (from the TIFF's pixels).

Writes bench/out/forms.json (forms_synth.json for --digits synth), the curve
as bench/out/error_reject.png, and prints markdown tables.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from benchlib import (
    OPTDIGITS,
    OUT,
    heldout_optdigits,
    md_table,
    pct,
    publish,
    run_record,
    upscale_bitmap,
)
from peers import (  # noqa: F401  (re-exported: amounts.py, templates.py import them here)
    edge_angle,
    inner_crop,
    page_skew,
    tesseract_read,
)

from formocr.config import DEFAULT_MIN_CONFIDENCE, ScanConfig
from formocr.types import BBox, DocumentResult, FieldResult
from training.synth import (
    Degradation,
    FieldTruth,
    make_cheque,
    make_form_page,
    write_pdf,
    write_tiff,
    write_truth,
)

DPI = 300
DEGRADATIONS = {"scan": Degradation.scan(), "harsh": Degradation.harsh()}
WRITER_BLOCKS = 10  # the held-out optdigits split into ~one block per writer
BOUNDS = (0.01, 0.001)  # field error bounds for the read rate
REJECT_POINTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)

DigitSource = Callable[[int, np.random.Generator], np.ndarray]


# -- pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageSpec:
    """How page ``index`` (0-based) of the benchmark is drawn."""

    index: int
    seed: int
    kind: str  # "form" | "cheque"
    degradation: str  # key of DEGRADATIONS
    writer: int  # held-out optdigits block, -1 for synthetic strokes


def plan(pages: int, seed: int, digits: str) -> list[PageSpec]:
    return [
        PageSpec(
            index=i,
            seed=seed + i,
            kind="cheque" if i % 5 == 4 else "form",
            degradation="harsh" if i % 2 else "scan",
            writer=i % WRITER_BLOCKS if digits == "optdigits" else -1,
        )
        for i in range(pages)
    ]


class HeldOutWriters:
    """Digit sources drawing from one held-out optdigits writer block per page."""

    def __init__(self, path: Path) -> None:
        images, labels, self.first = heldout_optdigits(path)
        self.images = images
        self.labels = labels
        self.blocks = np.array_split(np.arange(len(labels)), WRITER_BLOCKS)
        self._cache: dict[int, np.ndarray] = {}

    def source(self, block: int) -> DigitSource:
        idx = self.blocks[block]

        def draw(digit: int, rng: np.random.Generator) -> np.ndarray:
            pool = idx[self.labels[idx] == digit]
            if len(pool) == 0:  # this writer never wrote that digit: any held-out one
                pool = np.nonzero(self.labels == digit)[0]
            k = int(pool[int(rng.integers(len(pool)))])
            if k not in self._cache:
                self._cache[k] = upscale_bitmap(self.images[k])
            return self._cache[k]

        return draw


def make_page(
    spec: PageSpec, writers: HeldOutWriters | None
) -> tuple[np.ndarray, list[FieldTruth]]:
    rng = np.random.default_rng(spec.seed)
    deg = DEGRADATIONS[spec.degradation]
    source = writers.source(spec.writer) if writers is not None and spec.writer >= 0 else None
    if spec.kind == "cheque":
        # Bare digits in the amount box, as in the pages of earlier runs:
        # separators are bench/amounts.py's subject.
        return make_cheque(rng, DPI, degradation=deg, digit_source=source, amount_format="plain")
    return make_form_page(rng, DPI, degradation=deg, digit_source=source)


# -- scoring -------------------------------------------------------------------------------


def iou(a: BBox, b: BBox) -> float:
    return BBox(*a).iou(BBox(*b))


def align(pred: str, truth: str) -> tuple[int, int]:
    """(edit distance, true characters matched in place) of an optimal alignment.

    Among alignments of least edit distance, the one matching most characters.
    """
    n, m = len(pred), len(truth)
    # cost[i][j] = (distance, -matches) for pred[:i] vs truth[:j]
    cost = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = (i, 0)
    for j in range(1, m + 1):
        cost[0][j] = (j, 0)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d, negm = cost[i - 1][j - 1]
            same = pred[i - 1] == truth[j - 1]
            diag = (d + (not same), negm - same)
            up = (cost[i - 1][j][0] + 1, cost[i - 1][j][1])
            left = (cost[i][j - 1][0] + 1, cost[i][j - 1][1])
            cost[i][j] = min(diag, up, left)
    dist, negm = cost[n][m]
    return dist, -negm


@dataclass
class FieldScore:
    """One truth field (or one spurious prediction, with truth_name "") on one page."""

    page: int  # 1-based page of the benchmark document
    seed: int
    page_kind: str
    degradation: str
    truth_name: str
    field_kind: str
    cells: int
    truth: str
    pred: str | None  # None: no predicted field matched
    pred_name: str = ""
    confidence: float = 0.0
    status: str = ""
    iou: float = 0.0
    pred_bbox: tuple[int, ...] = ()
    truth_bbox: tuple[int, ...] = ()
    reason: str = ""  # why the field is in review, as formocr says

    @property
    def held_by_confidence_only(self) -> bool:
        """``ok``, or in review for its confidence alone: what ``--min-confidence`` decides."""
        if self.status == "ok":
            return True
        parts = [p for p in self.reason.split("; ") if p]
        return self.status == "review" and bool(parts) and all("confidence" in p for p in parts)

    @property
    def matched(self) -> bool:
        return self.pred is not None and bool(self.truth_name)

    @property
    def exact(self) -> bool:
        return self.matched and self.pred == self.truth

    @classmethod
    def of_truth(cls, t: FieldTruth, pred: str | None = None, **base: Any) -> FieldScore:
        """A true field, and what a reader read for it (None: nothing matched)."""
        return cls(
            **base,
            truth_name=t.name,
            field_kind=t.kind,
            cells=t.cells,
            truth=t.value,
            pred=pred,
            truth_bbox=tuple(t.bbox),
        )

    @classmethod
    def spurious(cls, f: FieldResult, **base: Any) -> FieldScore:
        """A field read where no true field is."""
        return cls(
            **base,
            truth_name="",
            field_kind="",
            cells=0,
            truth="",
            pred=f.value,
            pred_name=f.name,
            confidence=f.confidence,
            status=f.status,
            pred_bbox=tuple(f.bbox),
            reason=f.reason or "",
        )

    def alignment(self) -> tuple[int, int]:
        if not self.matched:
            return len(self.truth), 0
        return align(self.pred or "", self.truth)


def match_page(
    spec: PageSpec, page_no: int, truth: Sequence[FieldTruth], fields: Sequence[FieldResult]
) -> list[FieldScore]:
    """Pair truth and predicted fields one to one, best IoU first."""
    pairs = sorted(
        (
            (iou(t.bbox, f.bbox), ti, fi)
            for ti, t in enumerate(truth)
            for fi, f in enumerate(fields)
            if iou(t.bbox, f.bbox) >= 0.5
        ),
        reverse=True,
    )
    t_of: dict[int, tuple[int, float]] = {}
    used: set[int] = set()
    for score, ti, fi in pairs:
        if ti in t_of or fi in used:
            continue
        t_of[ti] = (fi, score)
        used.add(fi)
    base: dict[str, Any] = {
        "page": page_no,
        "seed": spec.seed,
        "page_kind": spec.kind,
        "degradation": spec.degradation,
    }
    out = []
    for ti, t in enumerate(truth):
        s = FieldScore.of_truth(t, **base)
        if ti in t_of:
            fi, score = t_of[ti]
            f = fields[fi]
            s.pred, s.pred_name, s.confidence, s.status = f.value, f.name, f.confidence, f.status
            s.reason = f.reason or ""
            s.iou, s.pred_bbox = round(score, 3), tuple(f.bbox)
        out.append(s)
    out += [FieldScore.spurious(f, **base) for fi, f in enumerate(fields) if fi not in used]
    return out


def accuracy(scores: Sequence[FieldScore]) -> dict[str, Any]:
    """Field and digit figures over the truth fields in ``scores``."""
    real = [s for s in scores if s.truth_name]
    n = len(real)
    digits = sum(len(s.truth) for s in real)
    dist = correct = 0
    for s in real:
        d, c = s.alignment()
        dist += d
        correct += c
    spurious = [s for s in scores if not s.truth_name]
    return {
        "fields": n,
        "digits": digits,
        "found": sum(s.matched for s in real) / n if n else None,
        "exact": sum(s.exact for s in real) / n if n else None,
        "digit_accuracy": correct / digits if digits else None,
        "cer": dist / digits if digits else None,
        "spurious_fields": len(spurious),
        "spurious_with_digits": sum(bool(s.pred) for s in spurious),
        "spurious_ok": sum(s.status == "ok" for s in spurious),
    }


def confidence_population(scores: Sequence[FieldScore]) -> list[FieldScore]:
    """Matched fields with a digit written or read (empty-read-as-empty carries no confidence)."""
    return [s for s in scores if s.matched and (s.truth or s.pred)]


def reject_curve(
    conf: np.ndarray, correct: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(accepted count, errors among accepted, threshold) at every possible cut.

    Fields are accepted from the most confident down; a cut can only fall
    between different confidences (a threshold cannot split ties).
    """
    order = np.argsort(-conf, kind="stable")
    c, ok = conf[order], correct[order]
    errors = np.concatenate([[0], np.cumsum(~ok)])
    n = len(c)
    cuts = [0] + [k for k in range(1, n + 1) if k == n or c[k] < c[k - 1]]
    ks = np.array(cuts)
    thresholds = np.array([np.inf] + [float(c[k - 1]) for k in cuts[1:]])
    return ks, errors[ks], thresholds


def confidence_report(scores: Sequence[FieldScore], min_conf: float) -> dict[str, Any]:
    pop = confidence_population(scores)
    n = len(pop)
    if n == 0:
        return {"fields": 0}
    conf = np.array([s.confidence for s in pop], np.float64)
    correct = np.array([s.exact for s in pop], bool)
    ks, errs, thr = reject_curve(conf, correct)
    out: dict[str, Any] = {"fields": n, "errors_if_all_accepted": int((~correct).sum())}
    for bound in BOUNDS:
        rate = np.where(ks > 0, errs / np.maximum(ks, 1), 0.0)
        ok = np.nonzero(rate <= bound + 1e-12)[0]
        best = int(ok[np.argmax(ks[ok])])
        key = f"{bound * 100:g}%"
        out[f"read_rate_at_{key}"] = float(ks[best] / n)
        out[f"threshold_for_{key}"] = None if ks[best] == 0 else float(thr[best])
    ok_mask = conf >= min_conf
    out["min_confidence"] = min_conf
    out["ok_fields"] = int(ok_mask.sum())
    out["ok_share"] = float(ok_mask.mean())
    out["ok_errors"] = int((~correct[ok_mask]).sum())
    out["ok_error"] = float((~correct[ok_mask]).mean()) if ok_mask.any() else None
    # The curve at round reject shares: the first cut rejecting at least that much.
    reject = 1 - ks / n
    out["error_at_reject"] = {}
    for r in REJECT_POINTS:
        i = np.nonzero((reject >= r - 1e-12) & (ks > 0))[0]
        k = int(i[np.argmax(ks[i])]) if len(i) else None
        out["error_at_reject"][f"{r:g}"] = (
            None if k is None else {"reject": float(reject[k]), "error": float(errs[k] / ks[k])}
        )
    out["curve"] = {
        "reject": [round(1 - k / n, 5) for k in ks[1:]],
        "error": [round(e / k, 5) for e, k in zip(errs[1:], ks[1:], strict=True)],
        "threshold": [round(t, 6) for t in thr[1:]],
    }
    return out


# -- running -------------------------------------------------------------------------------


def scan_file(path: Path, classifier: Any) -> tuple[DocumentResult, float]:
    from formocr.api import scan

    t0 = time.perf_counter()
    (doc,) = list(scan([path], ScanConfig(), classifier=classifier))
    return doc, time.perf_counter() - t0


def summarise(scores: list[FieldScore], min_conf: float) -> dict[str, Any]:
    """Accuracy and confidence figures, overall and by degradation, page and field kind."""
    out: dict[str, Any] = {"all": accuracy(scores)}
    for key in ("degradation", "page_kind", "field_kind"):
        values = sorted({getattr(s, key) for s in scores if s.truth_name})
        for v in values:
            # Spurious fields count with their page's degradation and kind.
            out[f"{key}={v}"] = accuracy([s for s in scores if getattr(s, key) == v])
    out["confidence"] = confidence_report(scores, min_conf)
    return out


def plot_curves(curves: dict[str, dict[str, Any]], path: Path, title: str) -> Path:
    """Error among accepted fields against the share of fields rejected."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return _plot_cv(curves, path)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for name, c in curves.items():
        if not c.get("curve"):
            continue
        # Drawn from all accepted (reject 0) to none; step where the threshold moves.
        pts = sorted(zip(c["curve"]["reject"], c["curve"]["error"], strict=True))
        ax.step([100 * r for r, _ in pts], [100 * e for _, e in pts], where="post", label=name)
        ok = c.get("ok_share")
        if ok is not None and c.get("ok_error") is not None:
            ax.plot(
                [100 * (1 - ok)],
                [100 * c["ok_error"]],
                "o",
                color=ax.lines[-1].get_color(),
            )
    for bound in BOUNDS:
        ax.axhline(100 * bound, color="grey", lw=0.8, ls="--")
        ax.text(101, 100 * bound, f"{100 * bound:g} %", va="center", fontsize=8, color="grey")
    ax.set_yscale("symlog", linthresh=0.1)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, None)
    ax.set_xlabel("fields rejected to review (%)")
    ax.set_ylabel("field error among accepted (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", lw=0.3)
    ax.legend(title=f"dot: default min_confidence {DEFAULT_MIN_CONFIDENCE}", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _plot_cv(curves: dict[str, dict[str, Any]], path: Path) -> Path:
    """The same curve with OpenCV, when matplotlib is not installed (linear axes)."""
    w, h, m = 700, 450, 50
    img = np.full((h, w, 3), 255, np.uint8)
    cv2.rectangle(img, (m, m // 2), (w - m // 2, h - m), (0, 0, 0), 1)
    top = max([max(c["curve"]["error"], default=0) for c in curves.values() if c.get("curve")])
    top = max(top, 0.02)
    colours = [(200, 80, 0), (0, 120, 220), (0, 160, 0)]

    def pt(r: float, e: float) -> tuple[int, int]:
        return int(m + r * (w - 1.5 * m)), int(h - m - e / top * (h - 1.5 * m))

    for bound in BOUNDS:
        cv2.line(img, pt(0, bound), pt(1, bound), (160, 160, 160), 1)
    for (name, c), col in zip(curves.items(), colours, strict=False):
        if not c.get("curve"):
            continue
        pts = sorted(zip(c["curve"]["reject"], c["curve"]["error"], strict=True))
        poly = np.array([pt(r, e) for r, e in pts], np.int32)
        cv2.polylines(img, [poly], False, col, 2)
        cv2.putText(img, name, (w - 200, 40 + 20 * colours.index(col)), 0, 0.5, col, 1)
    cv2.putText(img, f"x: rejected 0..100 %, y: error 0..{100 * top:.1f} %", (m, h - 15), 0, 0.5, 0)
    cv2.imwrite(str(path), img)
    return path


def field_rows(summary: dict[str, Any], tess: dict[str, Any] | None) -> list[list[str]]:
    rows = []
    for name, s in summary.items():
        a = s["all"]
        rows.append(
            [
                name,
                str(a["fields"]),
                pct(a["found"], 1),
                pct(a["exact"], 1),
                pct(a["digit_accuracy"], 2),
                pct(a["cer"], 2),
                f"{a['spurious_fields']} ({a['spurious_ok']} ok)",
                f"{1000 * s['time_per_field_s']:.0f} ms",
            ]
        )
    if tess:
        a = tess["all"]
        rows.append(
            [
                "tesseract (true boxes, TIFF pixels)",
                str(a["fields"]),
                "(given)",
                pct(a["exact"], 1),
                pct(a["digit_accuracy"], 2),
                pct(a["cer"], 2),
                "-",
                f"{1000 * tess['time_per_field_s']:.0f} ms",
            ]
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=40, help="number of pages (default 40)")
    ap.add_argument("--seed", type=int, default=20_000, help="page i is drawn with seed SEED+i")
    ap.add_argument(
        "--digits",
        choices=("optdigits", "synth"),
        default="optdigits",
        help="handwriting: held-out optdigits writers (default) or the generator's strokes",
    )
    ap.add_argument("--optdigits", type=Path, default=OPTDIGITS, help="optdigits-orig.tra")
    ap.add_argument("--no-tesseract", action="store_true", help="skip the Tesseract baseline")
    ap.add_argument("--out", type=Path, default=OUT, help="output folder (default bench/out)")
    ap.add_argument(
        "--dump-errors", action="store_true", help="write a PNG of every wrong field to OUT"
    )
    args = ap.parse_args(argv)
    if args.pages < 1:
        ap.error("--pages must be at least 1")

    from formocr.api import load_classifier

    record = run_record("forms.py", argv)
    suffix = "" if args.digits == "optdigits" else "_synth"
    writers = HeldOutWriters(args.optdigits) if args.digits == "optdigits" else None
    specs = plan(args.pages, args.seed, args.digits)

    t0 = time.perf_counter()
    pages, truths = [], []
    for spec in specs:
        img, truth = make_page(spec, writers)
        pages.append(img)
        truths.append(truth)
    gen_s = time.perf_counter() - t0
    work = args.out / f"forms{suffix}"
    pdf = write_pdf(pages, work / "forms.pdf", DPI)
    tif = write_tiff(pages, work / "forms.tiff", DPI)
    write_truth(list(zip(pages, truths, strict=True)), work / "forms.truth.json", DPI)
    print(
        f"{len(pages)} pages ({gen_s:.1f} s to draw), "
        f"{sum(len(t) for t in truths)} fields -> {pdf}, {tif}",
        file=sys.stderr,
    )

    t0 = time.perf_counter()
    clf = load_classifier()
    load_s = time.perf_counter() - t0
    clf.classify([np.full((28, 28), 255, np.uint8)])  # onnxruntime's first run is slow

    results: dict[str, Any] = {}
    all_scores: dict[str, list[FieldScore]] = {}
    for name, path in (("pdf", pdf), ("tiff", tif)):
        doc, secs = scan_file(path, clf)
        if doc.status != "ok":
            raise SystemExit(f"formocr failed on {path}: {doc.error}")
        scores = []
        for spec, img, truth, res in zip(specs, pages, truths, doc.pages, strict=True):
            if getattr(res, "error", None):
                print(f"warning: {name} page {res.page}: {res.error}", file=sys.stderr)
            if (res.height, res.width) != img.shape:  # truth boxes would be off
                print(
                    f"warning: {name} page {res.page} read as {res.width}x{res.height}, "
                    f"drawn as {img.shape[1]}x{img.shape[0]}",
                    file=sys.stderr,
                )
            scores += match_page(spec, res.page, truth, res.fields)
        s = summarise(scores, DEFAULT_MIN_CONFIDENCE)
        n_fields = s["all"]["fields"]
        s["scan_s"] = secs
        s["pages_per_s"] = len(pages) / secs
        s["time_per_field_s"] = secs / n_fields
        results[name] = s
        all_scores[name] = scores
        print(f"formocr {name}: {secs:.1f} s", file=sys.stderr)

    tess: dict[str, Any] | None = None
    exe = shutil.which("tesseract")
    if not args.no_tesseract and exe is None:
        print("tesseract not found (apt-get install tesseract-ocr): skipped", file=sys.stderr)
    if not args.no_tesseract and exe is not None:
        t_scores: list[FieldScore] = []
        times: list[float] = []
        crashes: list[str] = []
        with tempfile.TemporaryDirectory() as tmpdir:
            for spec, img, truth in zip(specs, pages, truths, strict=True):
                angle = page_skew(img, truth)
                for t in truth:
                    crop = inner_crop(img, t.bbox, angle)
                    value, secs, rc = tesseract_read(exe, crop, Path(tmpdir))
                    times.append(secs)
                    if rc:
                        crashes.append(f"seed {spec.seed} {t.name}: exit status {rc}")
                    t_scores.append(
                        FieldScore.of_truth(
                            t,
                            value,
                            page=spec.index + 1,
                            seed=spec.seed,
                            page_kind=spec.kind,
                            degradation=spec.degradation,
                        )
                    )
        tess = {"all": accuracy(t_scores)}
        for key in ("degradation", "page_kind", "field_kind"):
            for v in sorted({getattr(s, key) for s in t_scores}):
                tess[f"{key}={v}"] = accuracy([s for s in t_scores if getattr(s, key) == v])
        tess["time_per_field_s"] = float(np.mean(times))
        tess["time_total_s"] = float(np.sum(times))
        tess["failed_runs"] = crashes
        tess["version"] = subprocess.run(
            [exe, "--version"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[0]
        all_scores["tesseract"] = t_scores
        print(f"tesseract: {sum(times):.1f} s", file=sys.stderr)

    curves = {k: v["confidence"] for k, v in results.items()}
    png = args.out / f"error_reject{suffix}.png"
    title = (
        f"formocr on {len(pages)} synthetic pages ({args.digits} digits), "
        f"model {record['model']['sha256'][:12]}"
    )
    plot_curves({f"formocr {k.upper()}": v for k, v in curves.items()}, png, title)

    errors = [
        asdict(s) | {"source": src}
        for src, scores in all_scores.items()
        for s in scores
        if (s.truth_name and not s.exact) or (not s.truth_name and s.pred)
    ]
    if args.dump_errors:
        dump_errors(errors, pages, args.out / f"forms{suffix}_errors")

    record.update(
        {
            "params": {
                "pages": args.pages,
                "seed": args.seed,
                "digits": args.digits,
                "dpi": DPI,
                "forms": sum(s.kind == "form" for s in specs),
                "cheques": sum(s.kind == "cheque" for s in specs),
                "degradations": {k: asdict(v) for k, v in DEGRADATIONS.items()},
                "optdigits_first_heldout": writers.first if writers else None,
            },
            "generate_s": gen_s,
            "model_load_s": load_s,
            "formocr": results,
            "tesseract": tess,
            "curve_png": str(png),
            "errors": errors,
        }
    )
    publish(record, args.out / f"forms{suffix}.json", render_markdown, f", {png}")
    return 0


def render_markdown(record: dict[str, Any]) -> str:
    """The benchmark's tables (also used by bench/report.py)."""
    res, tess = record["formocr"], record["tesseract"]
    p = record["params"]
    notes = []
    if tess and tess.get("failed_runs"):
        notes.append(
            f"Tesseract ({tess.get('version', '')}) crashed on {len(tess['failed_runs'])} "
            f"crop(s), counted as an empty read: {'; '.join(tess['failed_runs'])}."
        )
    lines = [
        f"{p['pages']} pages ({p['forms']} forms, {p['cheques']} cheques; "
        f"scan/harsh alternating), {p['digits']} digits, seed {p['seed']}, {p['dpi']} dpi.",
        "",
        md_table(
            [
                "reader",
                "fields",
                "found",
                "field exact",
                "digit acc.",
                "CER",
                "spurious",
                "time/field",
            ],
            field_rows({f"formocr {k.upper()}": v for k, v in res.items()}, tess),
        ),
        "",
        *[f"{n}\n" for n in notes],
    ]
    rows = []
    for k, v in res.items():
        c = v["confidence"]
        t1 = c.get("threshold_for_1%")
        rows.append(
            [
                f"formocr {k.upper()}",
                str(c["fields"]),
                pct(c.get("read_rate_at_1%"), 1),
                pct(c.get("read_rate_at_0.1%"), 1),
                f"{c['ok_fields']} ({pct(c['ok_share'], 1)}) / "
                f"{c.get('ok_errors', '?')} = {pct(c['ok_error'], 2)}",
                "n/a" if t1 is None else f"{t1:.4f}",
            ]
        )
    lines.append(
        md_table(
            [
                "source",
                "fields with digits",
                "read rate @ <=1 % err",
                "read rate @ <=0.1 % err",
                f"'ok' at {DEFAULT_MIN_CONFIDENCE}: fields / errors",
                "threshold for <=1 %",
            ],
            rows,
        )
    )
    lines.append("")
    rows = []
    for k, v in res.items():
        pts = v["confidence"].get("error_at_reject", {})
        rows.append(
            [f"formocr {k.upper()}"]
            + [
                "n/a" if pts.get(f"{r:g}") is None else pct(pts[f"{r:g}"]["error"], 2)
                for r in REJECT_POINTS
            ]
        )
    lines.append(
        md_table(
            ["field error among accepted, rejecting at least"]
            + [f"{100 * r:g} %" for r in REJECT_POINTS],
            rows,
        )
    )
    lines.append("")
    groups = [k for k in next(iter(res.values())) if "=" in k]
    brk = []
    for g in groups:
        row = [g]
        for v in res.values():
            a = v[g]
            row.append(f"{pct(a['exact'], 1)} / {pct(a['digit_accuracy'], 1)}")
        if tess and g in tess:
            row.append(f"{pct(tess[g]['exact'], 1)} / {pct(tess[g]['digit_accuracy'], 1)}")
        brk.append(row)
    header = ["subset (field exact / digit acc.)"] + [f"formocr {k.upper()}" for k in res]
    if tess:
        header.append("tesseract")
    lines.append(md_table(header, brk))
    return "\n".join(lines)


def dump_errors(errors: list[dict[str, Any]], pages: list[np.ndarray], folder: Path) -> None:
    """A PNG per field formocr got wrong: true box green, predicted box red, with margin."""
    folder.mkdir(parents=True, exist_ok=True)
    for e in errors:
        if e["source"] == "tesseract":
            continue
        img = cv2.cvtColor(pages[e["page"] - 1], cv2.COLOR_GRAY2BGR)
        boxes = [b for b in (e["truth_bbox"], e["pred_bbox"]) if b]
        x0 = max(0, min(b[0] for b in boxes) - 40)
        y0 = max(0, min(b[1] for b in boxes) - 40)
        x1 = max(b[0] + b[2] for b in boxes) + 40
        y1 = max(b[1] + b[3] for b in boxes) + 40
        for b, col in ((e["truth_bbox"], (0, 160, 0)), (e["pred_bbox"], (0, 0, 220))):
            if b:
                cv2.rectangle(img, (b[0], b[1]), (b[0] + b[2], b[1] + b[3]), col, 1)
        crop = img[y0:y1, x0:x1].copy()
        label = f"true {e['truth']!r} read {e['pred']!r} conf {e['confidence']:.3f} {e['status']}"
        cv2.putText(crop, label, (4, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (200, 0, 200), 2)
        name = e["truth_name"] or f"spurious-{e['pred_name']}"
        cv2.imwrite(str(folder / f"{e['source']}-p{e['page']:03d}-{name}.png"), img[y0:y1, x0:x1])


if __name__ == "__main__":
    raise SystemExit(main())
