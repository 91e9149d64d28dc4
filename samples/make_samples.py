"""Regenerate the sample documents and their golden ground truth.

    python samples/make_samples.py

Everything is drawn by training.synth (no dataset pixels, see the licensing
rule), from fixed seeds, so rerunning reproduces the same files on the same
library versions. The truth JSON under expected/ is reviewed like code: a
diff there means the generator changed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from training.synth import (  # noqa: E402
    Degradation,
    FieldTruth,
    make_cheque,
    make_form_page,
    write_pdf,
    write_png,
    write_tiff,
    write_truth,
)

FORM_SEED = 2  # 7 fields: both comb styles, empty cells, empty fields, free boxes
CHEQUE_SEED = 7
DPI = 300
CHEQUE_DPI = 200  # a noisy page compresses badly: 300 dpi TIFF would pass 1 MB
MAX_BYTES = 1_000_000

# A careful office scan: barely skewed, slightly soft, clean enough for PNG.
FORM_SCAN = Degradation(rotation_deg=(0.4, 0.4), blur_sigma=(0.5, 0.5), ink=(0.85, 0.85))
# Cheques come in crooked and grainy.
CHEQUE_SCAN = Degradation(
    rotation_deg=(1.5, 1.5),
    blur_sigma=(0.6, 0.6),
    noise_sigma=(5.0, 5.0),
    salt_pepper=(0.0005, 0.0005),
    background=(0.06, 0.06),
    illumination=(0.08, 0.08),
)


def _check_form(truth: list[FieldTruth]) -> None:
    """The sample exists to show these features; fail loudly if a change loses one."""
    styles = {f.comb_style for f in truth if f.kind == "comb"}
    assert {"lines", "ticks"} <= styles, styles
    assert any(f.kind == "string" and f.value for f in truth)
    assert any(f.value == "" for f in truth), "no empty field"
    assert any(f.kind == "comb" and 0 < len(f.value) < f.cells for f in truth), "no empty cell"


def _check_cheque(truth: list[FieldTruth]) -> None:
    singles = [f for f in truth if f.kind == "comb" and f.cells == 1]
    assert len(singles) == 8, f"expected 8 single date boxes, got {len(singles)}"
    assert any(f.kind == "string" and f.label == "Amount" and "," in f.text for f in truth)


def main() -> None:
    expected = HERE / "expected"
    form, form_truth = make_form_page(np.random.default_rng(FORM_SEED), DPI, degradation=FORM_SCAN)
    _check_form(form_truth)
    cheque, cheque_truth = make_cheque(
        np.random.default_rng(CHEQUE_SEED),
        CHEQUE_DPI,
        degradation=CHEQUE_SCAN,
        separate_date_boxes=True,
        amount_format="en",  # "651,538.11": read it with samples/cheque.toml
    )
    _check_cheque(cheque_truth)

    written = [
        write_pdf([form], HERE / "form.pdf", DPI),
        write_png(form, HERE / "form.png", DPI),
        write_truth([(form, form_truth)], expected / "form.truth.json", DPI, "form.pdf"),
        write_pdf([cheque], HERE / "cheque.pdf", CHEQUE_DPI),
        write_tiff([cheque], HERE / "cheque.tiff", CHEQUE_DPI),
        write_truth(
            [(cheque, cheque_truth)], expected / "cheque.truth.json", CHEQUE_DPI, "cheque.pdf"
        ),
    ]
    for path in written:
        size = path.stat().st_size
        print(f"{path.relative_to(HERE.parent)}  {size / 1024:.0f} KiB")
        if size > MAX_BYTES:
            raise SystemExit(f"{path} is {size} bytes, over the {MAX_BYTES} limit for samples")


if __name__ == "__main__":
    main()
