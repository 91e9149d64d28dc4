"""Colour forms: printing in a dropout colour, handwriting in black or blue ink.

Forms meant for OCR are often printed in a colour the scanner can drop (red,
green, light blue), so that only the handwriting is left. The sheet keeps
the printing and the handwriting on two greyscale layers while it draws;
``compose`` tints each with its colour and lays the ink over the print, as
ink lies over a printed line on paper. The layout and the truth are those of
the greyscale page drawn from the same seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RGB = tuple[int, int, int]

# Printing inks as a colour scanner sees them (sRGB, full-strength print).
PRINT_COLOURS: dict[str, RGB] = {
    "red": (232, 58, 62),
    "green": (72, 182, 108),
    "blue": (150, 200, 242),  # light blue
}
# Pens. Pencil is graphite: black ink at low darkness (Degradation.ink).
INK_COLOURS: dict[str, RGB] = {
    "black": (24, 24, 30),
    "blue": (32, 52, 158),  # blue ballpoint
}


def _rgb(name: str, value: RGB) -> RGB:
    if len(value) != 3 or not all(0 <= int(c) <= 255 for c in value):
        raise ValueError(f"Colours.{name} must be three values in 0-255, got {value!r}")
    return (int(value[0]), int(value[1]), int(value[2]))


@dataclass(frozen=True)
class Colours:
    """The colour of the printing and of the pen on a colour form."""

    print_rgb: RGB = PRINT_COLOURS["red"]
    ink_rgb: RGB = INK_COLOURS["black"]

    def __post_init__(self) -> None:
        object.__setattr__(self, "print_rgb", _rgb("print_rgb", self.print_rgb))
        object.__setattr__(self, "ink_rgb", _rgb("ink_rgb", self.ink_rgb))

    @classmethod
    def named(cls, printing: str, ink: str = "black") -> Colours:
        """E.g. ``Colours.named("green", "blue")``: see PRINT_COLOURS, INK_COLOURS."""
        if printing not in PRINT_COLOURS:
            raise ValueError(f"printing colour must be one of {sorted(PRINT_COLOURS)}")
        if ink not in INK_COLOURS:
            raise ValueError(f"ink colour must be one of {sorted(INK_COLOURS)}")
        return cls(PRINT_COLOURS[printing], INK_COLOURS[ink])


def compose(printed: np.ndarray, ink: np.ndarray, colours: Colours) -> np.ndarray:
    """RGB page (h, w, 3) from the print and ink layers (greyscale, 255 = paper).

    A layer's darkness (0 paper .. 1 full strength) blends paper white
    towards its colour; the ink layer then multiplies the print, so ink
    crossing a printed line stays ink-coloured and darkens it.
    """
    p = (255.0 - printed.astype(np.float32))[..., None] / 255.0
    k = (255.0 - ink.astype(np.float32))[..., None] / 255.0
    print_rgb = np.array(colours.print_rgb, np.float32)
    ink_rgb = np.array(colours.ink_rgb, np.float32) / 255.0
    out = 255.0 - p * (255.0 - print_rgb)
    out *= 1.0 - k * (1.0 - ink_rgb)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
