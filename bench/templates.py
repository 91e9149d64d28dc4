"""Template mode: registered forms, turned, shifted, rescaled, in colour and faint.

    .venv/bin/python bench/templates.py                  # 8 layouts x 7 variants
    .venv/bin/python bench/templates.py --layouts 2 --no-tesseract   # a quick look
    .venv/bin/python bench/templates.py --variants rotated,dpi

Each form layout (layout i: seed SEED+i, an A4 form from ``training.synth``,
digits from one writer block of the held-out optdigits writers the model
never trained on) is drawn clean and straight at 300 dpi, written as a PNG
and drafted into a template by ``formocr.templates.draft.draft_template``
(what ``formocr template init`` does). Each drafted field is paired with the
true field it covers (box IoU >= 0.5 on the clean page); a true field no
drafted box covers is "not found" on every page of that layout.

The same seed then draws the same layout and the same digits once per
variant, each an office scan (``Degradation.scan()``: blur, noise, paper
tone, +-1.5 deg, +-2 mm) with one thing changed, alternating by layout:

* ``scan``: nothing more (the reference);
* ``rotated``: turned +5 or -5 deg;
* ``shifted``: moved 15 mm right and down, or left and up;
* ``rescaled``: scaled 0.95 or 1.05;
* ``dpi``: drawn at 150 or 600 dpi instead of 300 (and read as such);
* ``colour``: printed in a dropout colour (red, green, light blue in turn;
  black or blue ballpoint), made greyscale by ``formocr.io.dropout.to_grey``
  with that colour named, as ``ScanConfig(dropout=...)`` does when reading a
  file;
* ``faint``: written in pencil (ink darkness 0.35-0.45 instead of 0.7-1).

Each page is read by ``formocr.api.scan_page`` with
``ScanConfig(templates=(template,))`` and scored against the generator's
truth with the forms benchmark's measures (``bench/forms.py``):

* found: the page registered and the box formocr read for the field's
  template entry covers the true box (IoU >= 0.5). A page that does not
  register (a page error) counts all its fields as not found; template
  boxes with no true field behind them are "spurious";
* field exact match and digit accuracy (edit-distance alignment), over all
  true fields, missed ones counting as wrong;
* read rate at <= 1 % and <= 0.1 % field error (fields accepted from the most
  confident down, over fields with a digit written or read), and the
  fields formocr marks "ok" at the default threshold, with their errors;
* pages per second: ``scan_page`` alone (registration, cutting, classifying;
  the colour conversion for colour pages), model load excluded.

Tesseract 5 reads the same fields beside it, handed the *true* boxes of each
variant page: deskewed and cut inside the frame, one ``tesseract crop.png -
--psm 7`` process per field with a digit whitelist and OMP_THREAD_LIMIT=1
(as in forms.py); colour pages are given to it in plain luminance.

Writes bench/out/templates.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    OPTDIGITS,
    OUT,
    md_table,
    pct,
    publish,  # noqa: E402
    run_record,
)
from forms import (  # noqa: E402
    DEGRADATIONS,
    DPI,
    WRITER_BLOCKS,
    FieldScore,
    HeldOutWriters,
    accuracy,
    confidence_population,
    confidence_report,
    inner_crop,
    iou,
    page_skew,
    tesseract_read,
)

from formocr.config import DEFAULT_MIN_CONFIDENCE, DropoutMode, ScanConfig  # noqa: E402
from formocr.templates.template import Template  # noqa: E402
from formocr.types import BBox, FieldResult, PageImage, PageResult  # noqa: E402
from training.synth import Colours, Degradation, FieldTruth, make_form_page  # noqa: E402

VARIANTS = ("scan", "rotated", "shifted", "rescaled", "dpi", "colour", "faint")
PRINTS: tuple[DropoutMode, ...] = ("red", "green", "blue")  # dropout colours, in turn
INKS = ("black", "blue")  # pens on colour forms, every third layout changing
MATCH_IOU = 0.5


# -- pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """How one variant page of a layout is drawn and read."""

    name: str
    setting: str  # what this page got, e.g. "-5 deg", "150 dpi", "green print, blue ink"
    dpi: int
    degradation: Degradation
    colours: Colours | None = None
    dropout: DropoutMode = "none"  # the colour named to ScanConfig(dropout=...) for colour pages


def variant(name: str, layout: int) -> Variant:
    """Variant ``name`` of layout ``layout`` (settings alternate by layout)."""
    scan = DEGRADATIONS["scan"]
    up = layout % 2 == 0
    if name == "scan":
        return Variant(name, "office scan", DPI, scan)
    if name == "rotated":
        a = 5.0 if up else -5.0
        return Variant(name, f"{a:+g} deg", DPI, replace(scan, rotation_deg=(a, a)))
    if name == "shifted":
        s = 15.0 if up else -15.0
        return Variant(name, f"{s:+g} mm x and y", DPI, replace(scan, shift_mm=(s, s)))
    if name == "rescaled":
        k = 0.95 if up else 1.05
        return Variant(name, f"scale {k:g}", DPI, replace(scan, scale=(k, k)))
    if name == "dpi":
        d = 150 if up else 600
        return Variant(name, f"{d} dpi", d, scan)
    if name == "colour":
        printing, ink = PRINTS[layout % 3], INKS[(layout // 3) % 2]
        return Variant(
            name,
            f"{printing} print, {ink} ink",
            DPI,
            scan,
            Colours.named(printing, ink),
            printing,
        )
    if name == "faint":
        return Variant(name, "pencil, ink 0.35-0.45", DPI, replace(scan, ink=(0.35, 0.45)))
    raise ValueError(f"unknown variant {name!r}; one of {', '.join(VARIANTS)}")


def truth_key(t: FieldTruth) -> tuple[str, str, int, str]:
    """What identifies a field across renderings of one seed (names follow reading order)."""
    return (t.label, t.kind, t.cells, t.value)


def pair_truth(clean: Sequence[FieldTruth], other: Sequence[FieldTruth]) -> list[int | None]:
    """For each field of ``other``, the index of the same field on the clean page."""
    free: dict[tuple[str, str, int, str], list[int]] = defaultdict(list)
    for i, t in enumerate(clean):
        free[truth_key(t)].append(i)
    return [free[truth_key(t)].pop(0) if free[truth_key(t)] else None for t in other]


def save_png(page: np.ndarray, path: Path, dpi: int) -> Path:
    """A quick PNG with its dpi (synth's writer optimises, which takes seconds)."""
    Image.fromarray(page).save(path, dpi=(dpi, dpi), compress_level=1)
    return path


@dataclass
class Layout:
    """One layout's template, drafted from its clean page, and how it maps to the truth."""

    index: int
    seed: int
    truth: list[FieldTruth]  # of the clean page
    template: Template | None
    field_of: dict[int, str]  # clean truth index -> template field name
    extra: list[str]  # template fields covering no true field
    error: str | None = None


def draft_layout(index: int, seed: int, source: Any, tmp: Path) -> Layout:
    from formocr.errors import FormocrError
    from formocr.templates.draft import draft_template

    clean, truth = make_form_page(np.random.default_rng(seed), DPI, digit_source=source)
    try:
        tpl = draft_template(save_png(clean, tmp / "blank.png", DPI), name=f"layout{index}")
    except FormocrError as e:
        return Layout(index, seed, truth, None, {}, [], f"template init failed: {e}")
    # Each true field takes the drafted box that covers it best, one to one.
    pairs = sorted(
        (
            (iou(t.bbox, BBox(*(round(v) for v in f.box))), ti, f.name)
            for ti, t in enumerate(truth)
            for f in tpl.fields
        ),
        reverse=True,
    )
    field_of: dict[int, str] = {}
    used: set[str] = set()
    for score, ti, name in pairs:
        if score >= MATCH_IOU and ti not in field_of and name not in used:
            field_of[ti] = name
            used.add(name)
    extra = [f.name for f in tpl.fields if f.name not in used]
    return Layout(index, seed, truth, tpl, field_of, extra)


# -- reading and scoring -------------------------------------------------------------------


def read_page(
    page: np.ndarray, v: Variant, tpl: Template, clf: Any, source: str
) -> tuple[PageResult | None, str | None, float]:
    """formocr's reading of one page through its template: (result, error, seconds)."""
    from formocr.api import scan_page
    from formocr.io.dropout import to_grey

    cfg = ScanConfig(templates=(tpl,), dropout=v.dropout)
    t0 = time.perf_counter()
    try:
        # A colour page is made greyscale as formocr.io does for ScanConfig.dropout.
        grey = page if page.ndim == 2 else to_grey(page, cfg.dropout, drop=False).page
        res = scan_page(PageImage(source, 1, grey, float(v.dpi)), cfg, clf)
    except Exception as e:  # noqa: BLE001 - a crash is a result here, and is reported
        return None, f"{type(e).__name__}: {e}", time.perf_counter() - t0
    return res, res.error, time.perf_counter() - t0


def score_page(
    page_no: int,
    lay: Layout,
    v: Variant,
    truth: Sequence[FieldTruth],
    res: PageResult | None,
) -> list[FieldScore]:
    """FieldScores of one variant page: every true field, then unmatched template fields."""
    fields: dict[str, FieldResult] = {f.name: f for f in res.fields} if res is not None else {}
    clean_of = pair_truth(lay.truth, truth)
    base = {"page": page_no, "seed": lay.seed, "page_kind": "form", "degradation": v.name}
    out = []
    for t, ci in zip(truth, clean_of, strict=True):
        s = FieldScore.of_truth(t, **base)
        name = lay.field_of.get(ci) if ci is not None else None
        f = fields.get(name) if name is not None else None
        if f is not None:
            s.pred_name, s.pred_bbox = f.name, tuple(f.bbox)
            s.iou = round(iou(t.bbox, f.bbox), 3)
            if s.iou >= MATCH_IOU:
                s.pred, s.confidence, s.status = f.value, f.confidence, f.status
        out.append(s)
    out += [FieldScore.spurious(fields[n], **base) for n in lay.extra if n in fields]
    return out


def status_ok(scores: Sequence[FieldScore]) -> dict[str, int]:
    """Fields formocr marked "ok" (the default threshold and no other doubt), and wrong ones."""
    ok = [s for s in confidence_population(scores) if s.status == "ok"]
    return {"ok_fields": len(ok), "ok_errors": sum(not s.exact for s in ok)}


def tesseract_page(
    exe: str,
    page: np.ndarray,
    v: Variant,
    truth: Sequence[FieldTruth],
    base: dict[str, Any],
    tmp: Path,
) -> tuple[list[FieldScore], list[float], list[str]]:
    """Tesseract on the true field boxes of one page (luminance for a colour page)."""
    from formocr.io.dropout import luminance

    grey = page if page.ndim == 2 else luminance(page)
    angle = page_skew(grey, truth)
    scores, times, crashes = [], [], []
    for t in truth:
        value, secs, rc = tesseract_read(exe, inner_crop(grey, t.bbox, angle, v.dpi), tmp)
        times.append(secs)
        if rc:
            crashes.append(f"{v.name} seed {base['seed']} {t.name}: exit status {rc}")
        scores.append(FieldScore.of_truth(t, value, **base))
    return scores, times, crashes


def summarise(
    scores: Sequence[FieldScore],
    t_scores: Sequence[FieldScore],
    pages: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """formocr's and Tesseract's figures over some pages (one variant, or all)."""
    found = [s.iou for s in scores if s.matched]
    secs = sum(p["scan_s"] for p in pages)
    out: dict[str, Any] = {
        "pages": len(pages),
        "registered": sum(p["error"] is None for p in pages),
        "formocr": accuracy(scores),
        "confidence": confidence_report(scores, DEFAULT_MIN_CONFIDENCE),
        "status_ok": status_ok(scores),
        "mean_iou_found": float(np.mean(found)) if found else None,
        "scan_s": secs,
        "pages_per_s": len(pages) / secs if secs else None,
    }
    if t_scores:
        t_secs = sum(p.get("tesseract_s", 0.0) for p in pages)
        out["tesseract"] = accuracy(t_scores)
        out["tesseract_s"] = t_secs
        out["tesseract_time_per_field_s"] = t_secs / len(t_scores)
        out["tesseract_pages_per_s"] = len(pages) / t_secs if t_secs else None
    return out


# -- running -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--layouts", type=int, default=8, help="number of form layouts (default 8)")
    ap.add_argument("--seed", type=int, default=90_000, help="layout i is drawn with SEED+i")
    ap.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated subset of {','.join(VARIANTS)} (default all)",
    )
    ap.add_argument("--optdigits", type=Path, default=OPTDIGITS, help="optdigits-orig.tra")
    ap.add_argument("--no-tesseract", action="store_true", help="skip the Tesseract baseline")
    ap.add_argument("--out", type=Path, default=OUT, help="output folder (default bench/out)")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.variants.split(",") if n.strip()]
    bad = [n for n in names if n not in VARIANTS]
    if bad or not names:
        ap.error(f"--variants: unknown {bad}; choose from {', '.join(VARIANTS)}")
    if args.layouts < 1:
        ap.error("--layouts must be at least 1")

    from formocr.api import load_classifier

    record = run_record("templates.py", argv)
    writers = HeldOutWriters(args.optdigits)
    exe = None if args.no_tesseract else shutil.which("tesseract")
    if not args.no_tesseract and exe is None:
        print("tesseract not found (apt-get install tesseract-ocr): skipped", file=sys.stderr)

    t0 = time.perf_counter()
    clf = load_classifier()
    load_s = time.perf_counter() - t0
    clf.classify([np.full((28, 28), 255, np.uint8)])  # onnxruntime's first run is slow

    layouts: list[Layout] = []
    pages: list[dict[str, Any]] = []
    scores: list[FieldScore] = []
    t_scores: list[FieldScore] = []
    crashes: list[str] = []
    warnings: list[str] = []
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        for i in range(args.layouts):
            seed = args.seed + i
            source = writers.source(i % WRITER_BLOCKS)
            lay = draft_layout(i, seed, source, tmp)
            layouts.append(lay)
            print(
                f"layout {i} (seed {seed}): {len(lay.truth)} fields, "
                f"{len(lay.field_of)} in the template, {len(lay.extra)} extra"
                + (f"; {lay.error}" if lay.error else ""),
                file=sys.stderr,
            )
            for name in names:
                v = variant(name, i)
                page, truth = make_form_page(
                    np.random.default_rng(seed),
                    v.dpi,
                    degradation=v.degradation,
                    digit_source=source,
                    colours=v.colours,
                )
                if sorted(map(truth_key, truth)) != sorted(map(truth_key, lay.truth)):
                    warnings.append(f"{name} seed {seed}: truth differs from the clean page's")
                page_no = len(pages) + 1
                res, error, secs = None, lay.error, 0.0
                if lay.template is not None:
                    res, error, secs = read_page(page, v, lay.template, clf, f"{name}-{seed}")
                page_scores = score_page(page_no, lay, v, truth, res)
                scores += page_scores
                rec: dict[str, Any] = {
                    "page": page_no,
                    "variant": name,
                    "setting": v.setting,
                    "layout": i,
                    "seed": seed,
                    "dpi": v.dpi,
                    "error": error,
                    "scan_s": secs,
                    "fields": len(truth),
                    "found": sum(s.matched for s in page_scores if s.truth_name),
                    "exact": sum(s.exact for s in page_scores if s.truth_name),
                }
                if exe is not None:
                    base = {
                        "page": page_no,
                        "seed": seed,
                        "page_kind": "form",
                        "degradation": name,
                    }
                    ts, times, crash = tesseract_page(exe, page, v, truth, base, tmp)
                    t_scores += ts
                    crashes += crash
                    rec["tesseract_s"] = float(sum(times))
                    rec["tesseract_exact"] = sum(s.exact for s in ts)
                pages.append(rec)
                print(
                    f"  {name:9s} {v.setting:24s} {rec['exact']}/{rec['fields']} exact, "
                    f"{secs:.2f} s" + (f"; {error}" if error else ""),
                    file=sys.stderr,
                )
    total_s = time.perf_counter() - t_start

    summary: dict[str, Any] = {}
    for name in names:
        sub = [s for s in scores if s.degradation == name]
        t_sub = [s for s in t_scores if s.degradation == name]
        summary[name] = summarise(sub, t_sub, [p for p in pages if p["variant"] == name])
        settings = list(dict.fromkeys(p["setting"] for p in pages if p["variant"] == name))
        if len(settings) > 1:
            summary[name]["by_setting"] = {}
            for setting in settings:
                nos = {p["page"] for p in pages if p["variant"] == name and p["setting"] == setting}
                summary[name]["by_setting"][setting] = {
                    "pages": len(nos),
                    "formocr": accuracy([s for s in scores if s.page in nos]),
                    "tesseract": accuracy([s for s in t_scores if s.page in nos])
                    if t_scores
                    else None,
                }
    summary["all"] = summarise(scores, t_scores, pages)

    version = None
    if exe is not None:
        version = subprocess.run(
            [exe, "--version"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[0]
    errors = [
        asdict(s) | {"source": src}
        for src, group in (("formocr", scores), ("tesseract", t_scores))
        for s in group
        if (s.truth_name and not s.exact) or (not s.truth_name and s.pred)
    ]
    record.update(
        {
            "params": {
                "layouts": args.layouts,
                "seed": args.seed,
                "variants": {
                    n: list(dict.fromkeys(variant(n, i).setting for i in range(args.layouts)))
                    for n in names
                },
                "digits": "optdigits held-out writers",
                "optdigits_first_heldout": writers.first,
                "template_dpi": DPI,
                "base_degradation": asdict(DEGRADATIONS["scan"]),
                "min_confidence": DEFAULT_MIN_CONFIDENCE,
            },
            "templates": [
                {
                    "layout": lay.index,
                    "seed": lay.seed,
                    "true_fields": len(lay.truth),
                    "in_template": len(lay.field_of),
                    "extra": lay.extra,
                    "error": lay.error,
                }
                for lay in layouts
            ],
            "model_load_s": load_s,
            "total_s": total_s,
            "summary": summary,
            "tesseract": None if exe is None else {"version": version, "failed_runs": crashes},
            "warnings": warnings,
            "pages": pages,
            "errors": errors,
        }
    )
    publish(record, args.out / "templates.json", render_markdown, f" ({total_s:.0f} s)")
    return 0


def render_markdown(record: dict[str, Any]) -> str:
    """The benchmark's table and notes (also used by bench/report.py)."""
    p, summary, tess = record["params"], record["summary"], record["tesseract"]
    settings = "; ".join(f"{n}: {', '.join(s)}" for n, s in p["variants"].items() if n != "scan")
    tpls = record["templates"]
    true_fields = sum(t["true_fields"] for t in tpls)
    in_tpl = sum(t["in_template"] for t in tpls)
    extra = sum(len(t["extra"]) for t in tpls)
    lines = [
        f"{p['layouts']} form layouts (seed {p['seed']}), {p['digits']}; each drafted into a "
        f"template from its clean {p['template_dpi']}-dpi page, then drawn again per variant "
        f"(an office scan plus {settings}) and read through the template. "
        f"Template init covered {in_tpl} of {true_fields} true boxes, with {extra} extra box(es).",
        "",
    ]
    head = [
        "variant",
        "pages (registered)",
        "fields",
        "found",
        "field exact",
        "digit acc.",
        "read rate @ <=1 % err",
        "@ <=0.1 % err",
        f"'ok' at {p['min_confidence']}: fields / errors",
        "pages/s",
    ]
    if tess:
        head += ["Tesseract exact", "Tesseract digit acc."]
    rows = []
    for name, s in summary.items():
        a, c, ok = s["formocr"], s["confidence"], s["status_ok"]
        row = [
            f"**{name}**" if name == "all" else name,
            f"{s['pages']} ({s['registered']})",
            a["fields"],
            pct(a["found"], 1),
            pct(a["exact"], 1),
            pct(a["digit_accuracy"], 1),
            pct(c.get("read_rate_at_1%"), 1),
            pct(c.get("read_rate_at_0.1%"), 1),
            f"{ok['ok_fields']} / {ok['ok_errors']}",
            "n/a" if s["pages_per_s"] is None else f"{s['pages_per_s']:.2f}",
        ]
        if tess:
            t = s.get("tesseract") or {}
            row += [pct(t.get("exact"), 1), pct(t.get("digit_accuracy"), 1)]
        rows.append(row)
    lines += [md_table(head, rows), ""]
    a = summary["all"]
    iou_note = (
        f" The boxes found lie on the true ones with a mean IoU of {a['mean_iou_found']:.3f}."
        if a["mean_iou_found"] is not None
        else ""
    )
    notes = [
        "found: the page registered and the box read for the field's template entry covers "
        "the true box (IoU >= 0.5); read rate: fields with a digit written or read, accepted "
        "from the most confident down, the largest share within the error bound; 'ok': "
        "fields formocr accepted automatically, and how many of them were wrong; pages/s: "
        "`scan_page` alone (registration, cut, classification), one process on "
        f"{record['machine']['cores']} cores, model load excluded.{iou_note} The variants of "
        "a layout carry the same handwritten digits, so a digit the model misreads tends to "
        "be misread in several rows: the rows are not independent samples."
    ]
    if tess:
        notes.append(
            f"Tesseract ({tess['version']}): the true boxes, deskewed and cut inside the frame, "
            "`--psm 7` digits only, one process per field; "
            f"{1000 * a['tesseract_time_per_field_s']:.0f} ms a field, "
            f"{a['tesseract_pages_per_s']:.2f} pages/s."
        )
        if tess["failed_runs"]:
            notes.append(
                f"Tesseract crashed on {len(tess['failed_runs'])} crop(s), counted as an empty "
                f"read: {'; '.join(tess['failed_runs'])}."
            )
    failed = [pg for pg in record["pages"] if pg["error"]]
    if failed:
        notes.append(
            f"{len(failed)} page(s) did not register (all their fields count as not found): "
            + "; ".join(
                f"{pg['variant']} ({pg['setting']}, seed {pg['seed']}): {pg['error'].split(': ', 1)[-1]}"
                for pg in failed
            )
            + "."
        )
    split_rows = []
    for name, s in summary.items():
        for setting, b in (s.get("by_setting") or {}).items():
            t = b.get("tesseract")
            split_rows.append(
                [
                    name,
                    setting,
                    b["pages"],
                    b["formocr"]["fields"],
                    pct(b["formocr"]["found"], 1),
                    pct(b["formocr"]["exact"], 1),
                    pct(b["formocr"]["digit_accuracy"], 1),
                ]
                + ([pct(t["exact"], 1)] if tess and t else [])
            )
    if record["warnings"]:
        notes.append("Warnings: " + "; ".join(record["warnings"]) + ".")
    lines += [f"{n}\n" for n in notes]
    if split_rows:
        head = ["variant", "setting", "pages", "fields", "found", "field exact", "digit acc."]
        lines += [md_table(head + (["Tesseract exact"] if tess else []), split_rows), ""]
    return "\n".join(lines).rstrip()


if __name__ == "__main__":
    raise SystemExit(main())
