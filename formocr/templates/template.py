"""Form templates: which boxes of a form to read, by name, and their rules.

A template is a small TOML file (read with ``tomllib``), written by hand or
drafted by ``formocr template init``::

    name = "claim-form"
    size_mm = [210, 297]            # or size_px = [2480, 3508] with dpi = 300

    [[fields]]
    name = "account"
    box = [30.0, 52.5, 96.0, 9.0]   # x, y, width, height in the unit of the size
    kind = "comb"                   # digits | comb | single | amount
    cells = 12
    check = "luhn"                  # luhn | mod10 | date (with format = "DDMMYYYY")
    min_confidence = 0.97

A comb printed as separate one-digit boxes (a date grouped 2-2-4) gives
``boxes = [[x, y, w, h], ...]`` instead of ``box``.

Validation happens on load, so a typo fails the run before any page is read,
with the file, the field and what is wrong.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from formocr.errors import TemplateError
from formocr.templates.rules import CHECKS, CheckName, date_format_error

__all__ = [
    "KINDS",
    "Template",
    "TemplateField",
    "hull",
    "load_template",
    "load_templates",
    "parse_template",
    "template_to_toml",
]

TemplateKind = Literal["digits", "comb", "single", "amount"]
KINDS: tuple[TemplateKind, ...] = ("digits", "comb", "single", "amount")
Unit = Literal["mm", "px"]
MM_PER_INCH = 25.4

_Fail = Callable[[str], TemplateError]
_TOP_KEYS = {"name", "size_mm", "size_px", "dpi", "fields"}
_FIELD_KEYS = {
    "name",
    "box",
    "kind",
    "cells",
    "length",
    "pattern",
    "check",
    "format",
    "min_confidence",
    "boxes",
}
# A box may stick out of the reference size by this share of it (a frame
# drawn to the paper's edge, a rounding in a hand-written template).
_SLACK = 0.02
# Bounds on the numbers a template gives (a hand-edited or hostile file must
# fail at load, not allocate gigabytes while cutting): no printed comb has a
# hundred cells, no form a thousand fields or a side of two metres.
MAX_CELLS = 100
MAX_LENGTH = 100
MAX_FIELDS = 1000
MAX_SIZE_MM = 2000.0
MAX_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class TemplateField:
    """One named box of a form, in the template's unit (mm or reference px)."""

    name: str
    box: tuple[float, float, float, float]  # x, y, width, height
    kind: TemplateKind
    cells: int = 0  # comb: its cell count; single: 1; digits/amount: 0
    length: int | None = None  # exact number of digits expected
    pattern: str | None = None  # regex the whole value must match
    check: CheckName | None = None
    date_format: str | None = None  # with check = "date" (TOML key "format")
    min_confidence: float | None = None  # overrides the run's --min-confidence
    # A comb printed as separate boxes (a date in 8 boxes grouped 2-2-4): one
    # digit per box, in order; ``box`` is then their hull.
    boxes: tuple[tuple[float, float, float, float], ...] = ()

    @property
    def printed(self) -> tuple[tuple[float, float, float, float], ...]:
        """The printed frames of this field: its boxes, or its one box."""
        return self.boxes or (self.box,)

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("field name must not be empty")
        x, y, w, h = self.box
        if not all(math.isfinite(v) for v in self.box) or w <= 0 or h <= 0:
            raise ValueError(
                f"box must be [x, y, width, height] with width, height > 0, got {list(self.box)}"
            )
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.kind == "comb" and self.cells < 1:
            raise ValueError("a comb field needs cells = N (its number of cells, at least 1)")
        if self.cells > MAX_CELLS:
            raise ValueError(f"cells = {self.cells} is more than the {MAX_CELLS} a comb may have")
        if self.kind == "single" and self.cells != 1:
            raise ValueError(f"a single field has one cell, got cells = {self.cells}")
        if self.kind in ("digits", "amount") and self.cells != 0:
            raise ValueError(f"cells is only for comb fields (kind is {self.kind!r})")
        if self.boxes:
            if self.kind != "comb":
                raise ValueError('boxes (separate one-digit boxes) go with kind = "comb"')
            if self.cells != len(self.boxes):
                raise ValueError(
                    f"cells = {self.cells} but {len(self.boxes)} boxes; one digit per box"
                )
            for b in self.boxes:
                if not all(math.isfinite(v) for v in b) or b[2] <= 0 or b[3] <= 0:
                    raise ValueError(f"boxes: each must be [x, y, width, height], got {list(b)}")
        if self.kind == "amount" and (self.length is not None or self.check is not None):
            raise ValueError(
                "an amount field takes no length or check; a pattern applies to its "
                'decimal value, e.g. pattern = "[0-9]{1,5}\\.[0-9]{2}"'
            )
        if self.length is not None:
            if not 1 <= self.length <= MAX_LENGTH:
                raise ValueError(f"length must be 1 to {MAX_LENGTH}, got {self.length}")
            if self.kind in ("comb", "single") and self.length > self.cells:
                raise ValueError(f"length {self.length} is more than its {self.cells} cells")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as e:
                raise ValueError(f"pattern {self.pattern!r} is not a valid regex: {e}") from None
        if self.check is not None and self.check not in CHECKS:
            raise ValueError(f"check must be one of {', '.join(CHECKS)}, got {self.check!r}")
        if self.check == "date":
            if self.date_format is None:
                raise ValueError('check = "date" needs format = "DDMMYYYY" (or YYYYMMDD, DDMMYY…)')
            err = date_format_error(self.date_format)
            if err:
                raise ValueError(err)
        elif self.date_format is not None:
            raise ValueError('format is only for check = "date"')
        mc = self.min_confidence
        if mc is not None and not 0.0 <= mc <= 1.0:
            raise ValueError(f"min_confidence must be in [0, 1], got {mc}")


@dataclass(frozen=True)
class Template:
    """A form layout: reference size, unit, and its fields in output order.

    ``dpi`` is the resolution of a pixel template (``size_px``); a millimetre
    template has none. ``source`` names the file in messages.
    """

    name: str
    size: tuple[float, float]  # width, height in ``unit``
    unit: Unit
    fields: tuple[TemplateField, ...]
    dpi: float | None = None
    source: str = "<template>"

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("name must not be empty")
        if self.unit not in ("mm", "px"):
            raise ValueError(f"unit must be 'mm' or 'px', got {self.unit!r}")
        w, h = self.size
        if not (math.isfinite(w) and math.isfinite(h)) or w <= 0 or h <= 0:
            raise ValueError(
                f"size must be two positive numbers [width, height], got {list(self.size)}"
            )
        if self.unit == "px" and (self.dpi is None or not 50 <= self.dpi <= 2400):
            raise ValueError(
                f"size_px needs dpi = the resolution it was measured at (50-2400), got {self.dpi}"
            )
        if self.unit == "mm" and self.dpi is not None:
            raise ValueError("dpi goes with size_px only; a size_mm template has no dpi")
        largest = max(w, h) * (MM_PER_INCH / self.dpi if self.unit == "px" and self.dpi else 1)
        if largest > MAX_SIZE_MM:
            raise ValueError(
                f"size {list(self.size)} {self.unit} is over {MAX_SIZE_MM:g} mm on a side; "
                "check the unit (size_mm or size_px) and the numbers"
            )
        if not self.fields:
            raise ValueError("a template needs at least one [[fields]] entry")
        if len(self.fields) > MAX_FIELDS:
            raise ValueError(f"{len(self.fields)} fields, more than the limit of {MAX_FIELDS}")
        seen: set[str] = set()
        for f in self.fields:
            if f.name in seen:
                raise ValueError(f"field name {f.name!r} is used twice; names must be unique")
            seen.add(f.name)
            x, y, bw, bh = f.box
            if (
                x < -_SLACK * w
                or y < -_SLACK * h
                or x + bw > (1 + _SLACK) * w
                or y + bh > (1 + _SLACK) * h
            ):
                raise ValueError(
                    f"field {f.name!r}: box {list(f.box)} lies outside the form's size "
                    f"{list(self.size)} {self.unit}"
                )

    @property
    def units_per_inch(self) -> float:
        """Template units in one inch: 25.4 for mm, the dpi for pixels."""
        return MM_PER_INCH if self.unit == "mm" else float(self.dpi or 0.0)


# -- loading -------------------------------------------------------------------


def load_template(path: str | Path) -> Template:
    """Read and validate a template file; any problem is a TemplateError naming it."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise TemplateError(
                f"{path}: {path.stat().st_size} bytes, too large for a template "
                f"(at most {MAX_FILE_BYTES} bytes); is it the right file?"
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(f"{path}: template file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise TemplateError(f"{path}: cannot read the template ({e})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise TemplateError(f"{path}: not valid TOML ({e}); see README, 'Templates'") from None
    return parse_template(data, str(path))


def load_templates(paths: Sequence[str | Path]) -> tuple[Template, ...]:
    """Several templates for one run; their names must differ (they go in the output)."""
    out = tuple(load_template(p) for p in paths)
    seen: dict[str, str] = {}
    for t in out:
        if t.name in seen:
            raise TemplateError(
                f"{t.source}: template name {t.name!r} is also the name of {seen[t.name]}; "
                "give each template its own name"
            )
        seen[t.name] = t.source
    return out


def parse_template(data: Mapping[str, Any], source: str = "<template>") -> Template:
    """A Template from parsed TOML; a TemplateError says what is wrong, and where."""

    def fail(msg: str) -> TemplateError:
        return TemplateError(f"{source}: {msg}")

    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise fail(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_TOP_KEYS))}")
    name = data.get("name")
    if not isinstance(name, str):
        raise fail('needs name = "…" (the form\'s name, a string)')
    if ("size_mm" in data) == ("size_px" in data):
        raise fail("give exactly one of size_mm = [w, h] or size_px = [w, h] (with dpi)")
    unit: Unit = "mm" if "size_mm" in data else "px"
    size = _numbers(data[f"size_{unit}"], 2, f"size_{unit}", fail)
    dpi = data.get("dpi")
    if dpi is not None and (isinstance(dpi, bool) or not isinstance(dpi, int | float)):
        raise fail(f"dpi must be a number, got {dpi!r}")
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise fail("needs at least one [[fields]] table")
    if len(raw_fields) > MAX_FIELDS:
        raise fail(f"{len(raw_fields)} fields, more than the limit of {MAX_FIELDS}")
    fields = tuple(_parse_field(raw, i, fail) for i, raw in enumerate(raw_fields, start=1))
    try:
        return Template(
            name=name,
            size=(size[0], size[1]),
            unit=unit,
            fields=fields,
            dpi=None if dpi is None else float(dpi),
            source=source,
        )
    except ValueError as e:
        raise fail(str(e)) from None


def _parse_field(raw: Any, i: int, fail: _Fail) -> TemplateField:
    if not isinstance(raw, dict):
        raise fail(f"field {i}: each [[fields]] entry must be a table")
    label = f"field {i}" + (f" ({raw['name']!r})" if isinstance(raw.get("name"), str) else "")

    def bad(msg: str) -> TemplateError:
        return fail(f"{label}: {msg}")

    unknown = sorted(set(raw) - _FIELD_KEYS)
    if unknown:
        raise bad(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_FIELD_KEYS))}")
    for key in ("name", "kind"):
        if not isinstance(raw.get(key), str):
            raise bad(f'needs {key} = "…" (a string)')
    for key in ("pattern", "check", "format"):
        if key in raw and not isinstance(raw[key], str):
            raise bad(f"{key} must be a string, got {raw[key]!r}")
    for key in ("cells", "length"):
        if key in raw and (isinstance(raw[key], bool) or not isinstance(raw[key], int)):
            raise bad(f"{key} must be a whole number, got {raw[key]!r}")
    mc = raw.get("min_confidence")
    if mc is not None and (isinstance(mc, bool) or not isinstance(mc, int | float)):
        raise bad(f"min_confidence must be a number, got {mc!r}")
    kind = raw["kind"]
    boxes: tuple[tuple[float, float, float, float], ...] = ()
    if "boxes" in raw:
        if "box" in raw:
            raise bad("give box (one frame) or boxes (separate one-digit frames), not both")
        if not isinstance(raw["boxes"], list) or not raw["boxes"]:
            raise bad("boxes must be a list of [x, y, width, height] lists")
        if len(raw["boxes"]) > MAX_CELLS:
            raise bad(f"{len(raw['boxes'])} boxes, more than the {MAX_CELLS} a comb may have")
        boxes = tuple(_box(_numbers(b, 4, "each of boxes", bad)) for b in raw["boxes"])
        box = hull(boxes)
        cells = raw.get("cells", len(boxes))
    elif "box" not in raw:
        raise bad("needs box = [x, y, width, height]")
    else:
        box = _box(_numbers(raw["box"], 4, "box", bad))
        cells = raw.get("cells", 1 if kind == "single" else 0)
    try:
        return TemplateField(
            name=raw["name"],
            box=box,
            kind=kind,
            cells=cells,
            length=raw.get("length"),
            pattern=raw.get("pattern"),
            check=raw.get("check"),
            date_format=raw.get("format"),
            min_confidence=None if mc is None else float(mc),
            boxes=boxes,
        )
    except ValueError as e:
        raise bad(str(e)) from None


def _box(v: list[float]) -> tuple[float, float, float, float]:
    return (v[0], v[1], v[2], v[3])


def hull(boxes: Sequence[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    """The smallest box holding all of ``boxes``."""
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def _numbers(v: Any, n: int, key: str, fail: _Fail) -> list[float]:
    ok = isinstance(v, list) and len(v) == n
    ok = ok and all(isinstance(x, int | float) and not isinstance(x, bool) for x in v)
    if not ok:
        raise fail(f"{key} must be a list of {n} numbers, got {v!r}")
    return [float(x) for x in v]


# -- writing -------------------------------------------------------------------


def template_to_toml(t: Template) -> str:
    """The TOML text of a template; ``load_template`` reads it back unchanged.

    A tiny writer for this one shape (no new dependency): strings go out as
    JSON strings, which are valid TOML basic strings.
    """
    lines = ["# formocr form template (see README, 'Templates')", f"name = {_s(t.name)}"]
    lines.append(f"size_{t.unit} = [{_n(t.size[0])}, {_n(t.size[1])}]")
    if t.dpi is not None:
        lines.append(f"dpi = {_n(t.dpi)}")
    for f in t.fields:
        lines += ["", "[[fields]]", f"name = {_s(f.name)}"]
        if f.boxes:
            parts = ", ".join("[" + ", ".join(_n(v) for v in b) + "]" for b in f.boxes)
            lines.append(f"boxes = [{parts}]")
        else:
            lines.append("box = [" + ", ".join(_n(v) for v in f.box) + "]")
        lines.append(f"kind = {_s(f.kind)}")
        if f.kind == "comb":
            lines.append(f"cells = {f.cells}")
        if f.length is not None:
            lines.append(f"length = {f.length}")
        if f.pattern is not None:
            lines.append(f"pattern = {_s(f.pattern)}")
        if f.check is not None:
            lines.append(f"check = {_s(f.check)}")
        if f.date_format is not None:
            lines.append(f"format = {_s(f.date_format)}")
        if f.min_confidence is not None:
            lines.append(f"min_confidence = {_n(f.min_confidence)}")
    return "\n".join(lines) + "\n"


def _s(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _n(x: float) -> str:
    """An integer-valued number without '.0'; others as Python's shortest repr."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))
