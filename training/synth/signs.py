"""Printed currency signs for ``formocr.layout.printed``: ``signs.npz``.

Each of £, €, $ and ₹, and the short words "Rs", "Rs.", "kr" and "Fr.", is
rendered in several DejaVu faces and turned into
``formocr.layout.printed.sign_vector``'s vector, the same function the
reader applies to ink in a box. DejaVu Sans Bold, the face the generator
prints its cheques' signs in (``make_cheque(printed_sign=...)``), is left
out, so those cheques measure the match on a face it was not made from.

    python -m training.synth.signs          # writes formocr/layout/signs.npz
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from formocr.layout.printed import sign_vector

SIGNS = ("£", "€", "$", "₹", "Rs", "Rs.", "kr", "Fr.")  # signs, and short words in type
FACES = (
    "DejaVuSans.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSansCondensed.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SIZE_PX = 80
OUT = Path(__file__).resolve().parents[2] / "formocr" / "layout" / "signs.npz"


def rendered(sign: str, face: Path, size_px: int = SIZE_PX) -> np.ndarray:
    """``sign`` printed in ``face``, ``size_px`` px: its ink (uint8 0/1)."""
    font = ImageFont.truetype(str(face), size_px)
    x0, y0, x1, y1 = font.getbbox(sign)
    im = Image.new("L", (x1 - x0 + 4, y1 - y0 + 4), 0)
    ImageDraw.Draw(im).text((-x0 + 2, -y0 + 2), sign, font=font, fill=255)
    return (np.asarray(im) > 127).astype(np.uint8)


def vectors(font_dir: Path = FONT_DIR) -> tuple[np.ndarray, list[str]]:
    """One row per sign and face, and each row's name ("£ DejaVuSans.ttf")."""
    rows, names = [], []
    for sign in SIGNS:
        for face in FACES:
            rows.append(sign_vector(rendered(sign, font_dir / face)))
            names.append(f"{sign} {face}")
    return np.stack(rows).astype(np.float16), names


def main(argv: list[str] | None = None) -> int:
    out = Path(argv[0]) if argv else OUT
    vec, names = vectors()
    np.savez_compressed(out, vectors=vec, names=np.array(names))
    print(f"{out}: {len(names)} signs", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
