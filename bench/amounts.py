"""Cheque amounts through a template: separators, normalised decimals, date rules.

    .venv/bin/python bench/amounts.py --cheques 60

Each cheque is drawn twice from one seed: clean, to draft its template with
``template init``'s code (the amount box made ``kind = "amount"``, the date
given ``check = "date"``), and scanned (turned, shifted, blurred, noisy; the
forms benchmark's "scan" and "harsh" degradations alternately), to be read
with that template. The amount is written in one of the generator's formats
in turn ("1,250.00", "1 250,00", "1250.-", "1250=", "1250.00", bare
digits), digits from held-out optdigits writers, separators in the
generator's pen. Reported per format:

- exact: the output value is the decimal the written text means;
- ok / ok but wrong: accepted automatically, and among those, wrong (the
  figure that costs money);
- separators right: every mark found, none invented (``raw`` has the
  text's marks in the text's places, digits aside);
- digits only: what a reader that drops separators gets (its digits as a
  whole number): how much handling them matters;
- Tesseract (``--psm 7``, whitelist digits and ``.,-=``, the true box),
  its text parsed by the same rules.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import md_table, pct, publish, run_record  # noqa: E402
from forms import (  # noqa: E402
    DEGRADATIONS,
    DPI,
    OPTDIGITS,
    WRITER_BLOCKS,
    HeldOutWriters,
    inner_crop,
    page_skew,
    tesseract_read,
)

from formocr.config import ScanConfig  # noqa: E402
from formocr.read.amount import parse_amount, split_text  # noqa: E402
from formocr.templates.template import Template, TemplateField  # noqa: E402
from formocr.types import BBox, PageImage  # noqa: E402
from training.synth import make_cheque, write_png  # noqa: E402
from training.synth.amounts import AMOUNT_FORMATS, expected_amount  # noqa: E402
from training.synth.truth import FieldTruth  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
AMOUNT_CHARS = "0123456789.,-="


def _skeleton(text: str) -> str:
    """The marks of a written amount in their places: "1,250.00" -> "d,ddd.dd"."""
    return re.sub(r"[0-9]", "d", text.replace(" ", ""))


def _cheque_template(
    clean: np.ndarray, truth: list[FieldTruth], tmp: Path
) -> tuple[Template, BBox]:
    """Draft the cheque's template from its clean page; name amount and date."""
    from formocr.templates.draft import draft_template

    drafted = draft_template(write_png(clean, tmp / "blank.png", DPI), name="cheque")
    amount = next(t for t in truth if t.label == "Amount")
    date_boxes = [t.bbox for t in truth if t.label == "Date"]
    x0 = min(b.x for b in date_boxes)
    y0 = min(b.y for b in date_boxes)
    x1 = max(b.x + b.w for b in date_boxes)
    y1 = max(b.y + b.h for b in date_boxes)
    date_hull = BBox(x0, y0, x1 - x0, y1 - y0)

    def best(target: BBox) -> TemplateField:
        f = max(drafted.fields, key=lambda f: BBox(*map(round, f.box)).iou(target))
        if BBox(*map(round, f.box)).iou(target) < 0.5:
            raise LookupError(f"template init missed the box at {target}")
        return f

    a, d = best(amount.bbox), best(date_hull)
    fields = (
        TemplateField("amount", a.box, "amount"),
        replace(d, name="date", check="date", date_format="DDMMYYYY"),
    )
    return replace(drafted, fields=fields), amount.bbox


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cheques", type=int, default=60, help="number of cheques (default 60)")
    ap.add_argument("--seed", type=int, default=70_000, help="cheque i is drawn with SEED+i")
    ap.add_argument("--optdigits", type=Path, default=OPTDIGITS, help="optdigits-orig.tra")
    ap.add_argument("--no-tesseract", action="store_true", help="skip the Tesseract baseline")
    ap.add_argument("--out", type=Path, default=OUT, help="output folder (default bench/out)")
    args = ap.parse_args(argv)

    from formocr.api import load_classifier, scan_page

    record = run_record("amounts.py", argv)
    writers = HeldOutWriters(args.optdigits) if args.optdigits.exists() else None
    tess = None if args.no_tesseract else shutil.which("tesseract")
    clf = load_classifier()
    rows: list[dict[str, Any]] = []
    scan_s = 0.0
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        for i in range(args.cheques):
            seed = args.seed + i
            fmt = AMOUNT_FORMATS[i % len(AMOUNT_FORMATS)]
            deg_name = "harsh" if (i // len(AMOUNT_FORMATS)) % 2 else "scan"
            src = writers.source(i % WRITER_BLOCKS) if writers is not None else None

            def draw(deg: Any, seed: int = seed, fmt: str = fmt, src: Any = src) -> Any:
                rng = np.random.default_rng(seed)
                return make_cheque(rng, DPI, degradation=deg, digit_source=src, amount_format=fmt)

            clean, clean_truth = draw(None)
            page, truth = draw(DEGRADATIONS[deg_name])
            amount = next(t for t in truth if t.label == "Amount")
            date = "".join(t.value for t in truth if t.label == "Date")
            row: dict[str, Any] = {
                "seed": seed,
                "format": fmt,
                "degradation": deg_name,
                "text": amount.text or amount.value,
                "expected": expected_amount(amount.text or amount.value),
            }
            try:
                tpl, _ = _cheque_template(clean, clean_truth, tmp)
            except LookupError as e:  # a miss of template init: counts against us
                row["page_error"] = str(e)
                rows.append(row)
                continue
            t0 = time.perf_counter()
            res = scan_page(PageImage("cheque", 1, page, DPI), ScanConfig(templates=(tpl,)), clf)
            scan_s += time.perf_counter() - t0
            row["page_error"] = res.error
            fields = {f.name: f for f in res.fields}
            if "amount" in fields:
                f = fields["amount"]
                digits = "".join(dr.value for dr in f.digits)
                row.update(
                    value=f.value,
                    raw=f.raw or digits,
                    status=f.status,
                    reason=f.reason,
                    confidence=f.confidence,
                    marks_right=_skeleton(f.raw or digits) == _skeleton(row["text"]),
                    digits_only=f"{int(digits)}.00" if digits else "",
                )
            if "date" in fields:
                reason = fields["date"].reason or ""
                row.update(
                    date_value=fields["date"].value,
                    date_status=fields["date"].status,
                    date_rule_failed="not a valid date" in reason,
                )
                row["date_truth"] = date
            if tess is not None:
                angle = page_skew(page, truth)
                crop = inner_crop(page, amount.bbox, angle)
                text, _, _ = tesseract_read(tess, crop, tmp, AMOUNT_CHARS)
                d, m = split_text(text)
                row["tesseract"] = text
                row["tesseract_value"] = parse_amount(d, m).value if d else None
            rows.append(row)

    record["params"] = {
        "cheques": args.cheques,
        "seed": args.seed,
        "formats": list(AMOUNT_FORMATS),
        "digits": "optdigits held-out" if writers is not None else "synthetic strokes",
        "dpi": DPI,
    }
    record["scan_s_per_cheque"] = scan_s / max(1, len(rows))
    record["summary"] = summarise(rows)
    record["rows"] = rows
    publish(record, args.out / "amounts.json", render_markdown)
    return 0


def _stats(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    ok = [r for r in rows if r.get("status") == "ok"]
    dated = [r for r in rows if "date_value" in r]
    date_right = [r for r in dated if r["date_value"] == r["date_truth"]]
    out: dict[str, Any] = {
        "cheques": n,
        "registered": sum(r["page_error"] is None for r in rows) / n if n else None,
        "exact": sum(r.get("value") == r["expected"] for r in rows) / n if n else None,
        "ok": len(ok) / n if n else None,
        "ok_wrong": sum(r["value"] != r["expected"] for r in ok),
        "ok_n": len(ok),
        "marks_right": sum(bool(r.get("marks_right")) for r in rows) / n if n else None,
        "digits_only_exact": sum(r.get("digits_only") == r["expected"] for r in rows) / n
        if n
        else None,
        "date_read": len(date_right) / len(dated) if dated else None,
        "date_rule_passed_when_right": sum(not r["date_rule_failed"] for r in date_right)
        / len(date_right)
        if date_right
        else None,
        "date_wrong": len(dated) - len(date_right),
        "date_wrong_caught_by_rule": sum(
            r["date_rule_failed"] for r in dated if r["date_value"] != r["date_truth"]
        ),
        "date_wrong_ok": sum(
            r["date_status"] == "ok" for r in dated if r["date_value"] != r["date_truth"]
        ),
    }
    if any("tesseract" in r for r in rows):
        out["tesseract_exact"] = sum(r.get("tesseract_value") == r["expected"] for r in rows) / n
    return out


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out = {"all": _stats(rows)}
    for fmt in AMOUNT_FORMATS:
        sub = [r for r in rows if r["format"] == fmt]
        if sub:
            out[f"format={fmt}"] = _stats(sub)
    return out


def render_markdown(record: dict[str, Any]) -> str:
    s = record["summary"]
    p = record["params"]
    head = [
        "formats",
        "cheques",
        "exact",
        "ok",
        "ok but wrong",
        "separators right",
        "digits only",
        "Tesseract exact",
    ]
    rows = []
    for key, st in s.items():
        rows.append(
            [
                key.replace("format=", ""),
                st["cheques"],
                pct(st["exact"], 1),
                pct(st["ok"], 1),
                f"{st['ok_wrong']} of {st['ok_n']}",
                pct(st["marks_right"], 1),
                pct(st["digits_only_exact"], 1),
                pct(st.get("tesseract_exact"), 1),
            ]
        )
    a = s["all"]
    lines = [
        "exact: the output value is the decimal the written text means; ok: accepted "
        "automatically at the default threshold, and of those, wrong; separators right: "
        "every mark found in its place and none invented (a comma read as a point counts "
        "as wrong here, though the value comes out right); digits only: a reader that "
        "drops the separators; Tesseract: `--psm 7`, whitelist `0123456789.,-=`, on the "
        "true box, its text parsed by the same rules. Bare digits (`plain`) go to review "
        "by design: with no decimal separator or closing mark a missed point cannot be "
        "told from a sum 100 times larger.",
        "",
        f"{p['cheques']} cheques (seed {p['seed']}), {p['digits']} digits, {p['dpi']} dpi, "
        "read with a template drafted from the clean page.",
        "",
        md_table(head, rows),
        "",
        f'Template drafted and page registered: {pct(a["registered"], 1)}. Date (DDMMYYYY, `check = "date"`) read '
        f"exactly: {pct(a['date_read'], 1)}; of those, passing the date rule: "
        f"{pct(a['date_rule_passed_when_right'], 1)}; of the {a['date_wrong']} misread dates "
        f"the rule caught {a['date_wrong_caught_by_rule']} (not a real date), and "
        f"{a['date_wrong_ok']} were marked ok. "
        f"Scan time {1000 * record['scan_s_per_cheque']:.0f} ms a cheque.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
