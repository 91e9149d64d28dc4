"""Synthetic form pages and cheques with exact ground truth.

The pipeline is tested and benchmarked on pages the project draws itself:
printed boxes, comb fields and free boxes filled with handwritten-looking
digits, surrounded by printed text full of digits that the OCR must ignore.
This module decides the layouts; ``sheet`` draws them and keeps the truth.

Everything is drawn from the caller's ``np.random.Generator``: one seed, one
page, and the same layout whatever the degradation settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from formocr.types import FieldKind
from training.synth import backgrounds
from training.synth.amounts import (
    AMOUNT_FORMATS,
    DECIMAL_FORMATS,
    amount_digits,
    amount_text,
    dotted_thousands,
    lakh_grouped,
    over_100,
    rounded,
    swiss_grouped,
)
from training.synth.colour import Colours
from training.synth.degrade import Degradation
from training.synth.sheet import DigitSource, Sheet
from training.synth.truth import CombStyle, FieldTruth

PAGE_MM: dict[str, tuple[float, float]] = {"a4": (210.0, 297.0), "cheque": (175.0, 80.0)}


def _digits(rng: np.random.Generator, n: int) -> list[int]:
    return [int(d) for d in rng.integers(0, 10, n)]


def _comb_fill(
    rng: np.random.Generator, cells: int, empty_field: bool, empty_cell_rate: float
) -> list[int | None]:
    """Which cells get a digit: full, left- or right-aligned short, or gappy."""
    if empty_field:
        return [None] * cells
    vals: list[int | None] = list(_digits(rng, cells))
    r = rng.random()
    if r < 0.2 and cells > 2:  # right-aligned number: leading cells empty
        k = int(rng.integers(1, cells // 2 + 1))
        vals[:k] = [None] * k
    elif r < 0.4 and cells > 2:  # left-aligned: trailing cells empty
        k = int(rng.integers(1, cells // 2 + 1))
        vals[cells - k :] = [None] * k
    else:
        for i in range(cells):
            if rng.random() < empty_cell_rate:
                vals[i] = None
    if all(v is None for v in vals):
        vals[int(rng.integers(cells))] = int(rng.integers(10))
    return vals


def _label(rng: np.random.Generator) -> str:
    n, m = int(rng.integers(1, 40)), int(rng.integers(1, 10))
    year = int(rng.integers(2015, 2026))
    options = (
        f"Account no. {n}",
        "Customer number",
        f"Line {n}a",
        f"Box {n}: quantity",
        "Postcode",
        f"Phone (area 0{n + 10})",
        "Date of birth",
        f"Item {n}.{m}",
        "Policy number",
        f"Tax year {year}",
        f"Invoice {n}/{year}",
        "Member no.",
        f"Units, schedule {m}",
        f"{n}. Amount",
    )
    return str(options[int(rng.integers(len(options)))])


@dataclass
class _Spec:
    """One planned form field, in page pixels, before it is placed."""

    kind: FieldKind
    box_w: int
    box_h: int
    label: str
    label_w: int
    label_h: int
    label_left: bool
    gap: int
    cell_w: int = 0
    fill: list[int | None] = field(default_factory=list)
    comb_style: CombStyle = ""
    touching: bool = False
    cross: bool = False

    @property
    def box_dy(self) -> int:
        return 0 if self.label_left else self.label_h + self.gap

    @property
    def width(self) -> int:
        if self.label_left:
            return self.label_w + self.gap + self.box_w
        return max(self.label_w, self.box_w)


def _plan_field(
    s: Sheet,
    label_pt: float,
    touching_rate: float,
    cross_frame_rate: float,
    empty_field_rate: float,
    empty_cell_rate: float,
    ticks_rate: float,
) -> _Spec:
    rng = s.rng
    label = _label(rng)
    lw_, lh_ = s.text_size(label, label_pt)
    empty = rng.random() < empty_field_rate
    cross = rng.random() < cross_frame_rate
    left = rng.random() < 0.5
    gap = s.px(rng.uniform(3, 6) if left else rng.uniform(1.5, 3))
    if rng.random() < 0.55:
        cells = int(rng.integers(4, 13))
        cell_w = s.px(rng.uniform(5, 8))
        cell_h = s.px(rng.uniform(7, 10))
        style: CombStyle = "ticks" if rng.random() < ticks_rate else "lines"
        fill = _comb_fill(rng, cells, empty, empty_cell_rate)
        return _Spec(
            "comb",
            cells * cell_w,
            cell_h,
            label,
            lw_,
            lh_,
            left,
            gap,
            cell_w,
            fill,
            style,
            cross=cross,
        )
    n = int(rng.integers(2, 9))
    box_h = s.px(rng.uniform(8, 12))
    # Room for n digits at ~0.55 of their height each, plus spacing.
    need = n * 0.8 * 0.7 * box_h / s.k + 6
    box_w = s.px(float(np.clip(need * rng.uniform(1.1, 1.8), 30, 90)))
    fill = [] if empty else list(_digits(rng, n))
    touching = rng.random() < touching_rate
    return _Spec(
        "string",
        box_w,
        box_h,
        label,
        lw_,
        lh_,
        left,
        gap,
        fill=fill,
        touching=touching,
        cross=cross,
    )


def _place(s: Sheet, spec: _Spec, x: int, box_y: int) -> None:
    if spec.label_left:
        s.text(x, box_y + (spec.box_h - spec.label_h) // 2, spec.label, 10)
        bx = x + spec.label_w + spec.gap
    else:
        s.text(x, box_y - spec.gap - spec.label_h, spec.label, 10)
        bx = x
    if spec.kind == "comb":
        s.comb(
            bx, box_y, spec.cell_w, spec.box_h, spec.fill, spec.comb_style, spec.label, spec.cross
        )
    else:
        digits = [d for d in spec.fill if d is not None]
        s.string(bx, box_y, spec.box_w, spec.box_h, digits, spec.touching, spec.cross, spec.label)


def _form_header_footer(s: Sheet, margin: int) -> int:
    """Title, reference numbers, rules and footer; returns where fields may start."""
    rng = s.rng
    code = f"{int(rng.integers(100, 9999))}-{'ABCDEFGH'[int(rng.integers(8))]}"
    year = int(rng.integers(2015, 2026))
    kinds = ("FORM", "Application form", "Claim form", "Order form", "Return")
    title = f"{kinds[int(rng.integers(len(kinds)))]} {code}"
    s.text(margin, s.px(12), title, 15, bold=True)
    ref = f"Ref. {year}/{int(rng.integers(1, 999)):03d}"
    rw, _ = s.text_size(ref, 9)
    s.text(s.w - margin - rw, s.px(13), ref, 9)
    s.text(margin, s.px(21), f"Tax year {year} - write one digit per box, 2 pages", 9)
    s.hline(margin, s.w - margin, s.px(27), s.line_px(3))
    s.hline(margin, s.w - margin, s.h - s.px(22), s.line_px(2))
    s.text(margin, s.h - s.px(19), f"Form {code} (rev. {int(rng.integers(1, 13)):02d}/{year})", 8)
    pg = f"Page 1 of {int(rng.integers(2, 5))}"
    pw, _ = s.text_size(pg, 8)
    s.text((s.w - pw) // 2, s.h - s.px(13), pg, 8)
    return s.px(38)


def make_form_page(
    rng: np.random.Generator,
    dpi: int = 300,
    *,
    degradation: Degradation | None = None,
    digit_source: DigitSource | None = None,
    n_fields: int | None = None,
    touching_rate: float = 0.15,
    cross_frame_rate: float = 0.1,
    empty_field_rate: float = 0.1,
    empty_cell_rate: float = 0.08,
    ticks_rate: float = 0.4,
    colours: Colours | None = None,
    stroke_width: float | None = None,
) -> tuple[np.ndarray, list[FieldTruth]]:
    """A generic A4 form: 3-8 comb fields and free boxes among printed text.

    Returns the page (greyscale uint8) and its fields in reading order. With
    no ``degradation`` the page is clean and square; with no ``digit_source``
    the digits come from one synthetic writer per page. With ``colours`` the
    printing and the pen are coloured and the page is RGB (h, w, 3); the
    layout and the truth are those of the greyscale page of the same seed.
    ``stroke_width`` gives the page's writer another pen, as a share of the
    digit height (random writers use 0.055-0.15; a heavy marker is about
    0.2), again with the same layout and truth.
    """
    if n_fields is not None and not 1 <= n_fields <= 8:
        raise ValueError(f"n_fields must be 1-8 (what fits on A4), got {n_fields}")
    deg = degradation or Degradation()
    s = Sheet(PAGE_MM["a4"], dpi, rng, deg, digit_source, colours, stroke_width)
    margin = s.px(18)
    y = _form_header_footer(s, margin)
    bottom = s.h - s.px(28)
    n = n_fields if n_fields is not None else int(rng.integers(3, 9))
    specs = [
        _plan_field(
            s, 10, touching_rate, cross_frame_rate, empty_field_rate, empty_cell_rate, ticks_rate
        )
        for _ in range(n)
    ]
    room = s.w - 2 * margin
    # Group fields into rows (sometimes two side by side), each row maybe
    # under a section heading; then share the page's spare height between rows.
    rows: list[tuple[str, list[_Spec], list[int]]] = []
    i = 0
    while i < len(specs):
        head = f"Section {len(rows) + 1}: details {int(rng.integers(1, 99))}"
        head = head if rng.random() < 0.25 else ""
        row, gaps = [specs[i]], [0]
        g = s.px(rng.uniform(8, 20))
        pair = i + 1 < len(specs) and rng.random() < 0.45
        if pair and specs[i].width + g + specs[i + 1].width <= room:
            row.append(specs[i + 1])
            gaps.append(g)
        rows.append((head, row, gaps))
        i += len(row)
    min_gap = s.px(8)
    head_gap = s.px(6)

    def row_height(r: tuple[str, list[_Spec], list[int]]) -> int:
        head, row, _ = r
        hh = s.text_size(head, 11, bold=True)[1] + head_gap if head else 0
        return hh + max(sp.box_dy for sp in row) + max(sp.box_h for sp in row)

    heights = [row_height(r) for r in rows]
    while rows and sum(heights) + min_gap * (len(rows) - 1) > bottom - y:
        rows.pop()
        heights.pop()
    spare = bottom - y - sum(heights) - min_gap * (len(rows) - 1)
    share = rng.dirichlet(np.full(len(rows), 4.0)) * min(spare, s.px(20) * len(rows))
    share *= rng.uniform(0.4, 1.0)
    for (head, row, gaps), height, extra in zip(rows, heights, share, strict=True):
        if head:
            s.text(margin, y, head, 11, bold=True)
        top = y + (s.text_size(head, 11, bold=True)[1] + head_gap if head else 0)
        dy = max(sp.box_dy for sp in row)
        x = margin + s.px(rng.uniform(0, 8))
        for sp, g in zip(row, gaps, strict=True):
            x += g
            _place(s, sp, x, top + dy)
            x += sp.width
        y += height + min_gap + int(extra)
    return s.finish()


_PAYEES = ("ACME SUPPLIES LTD", "J. Smith", "Northfield Council", "Harbour Cafe 24", "R. Patel 2")
_CURRENCY = ("EUR", "GBP", "$", "USD", "CHF")


def make_cheque(
    rng: np.random.Generator,
    dpi: int = 300,
    *,
    degradation: Degradation | None = None,
    digit_source: DigitSource | None = None,
    separate_date_boxes: bool | None = None,
    touching_rate: float = 0.15,
    cross_frame_rate: float = 0.1,
    colours: Colours | None = None,
    stroke_width: float | None = None,
    amount_format: str | None = None,
    background: str | None = None,
    currency_sign: bool | str = False,
    raised_cents: bool = False,
    slash: bool = False,
    lakhs: bool = False,
    swiss: bool = False,
    cents_over_100: bool = False,
    round_amounts: bool = False,
    joins: float = 0.0,
    guard: str = "",
    fill: bool = False,
    printed_sign: str = "",
) -> tuple[np.ndarray, list[FieldTruth]]:
    """A cheque-like slip (175 x 80 mm): date, payee line, amount box, MICR line.

    The date is DD MM YYYY either in one 8-cell comb or in 8 separate
    single-digit boxes grouped 2-2-4; separate boxes are 8 fields of kind
    "comb" with one cell each. Pass a ``degradation`` for the usual slight
    skew and noise of a cheque scan. ``colours`` and ``stroke_width``: as
    for ``make_form_page``.

    ``amount_format`` is how the amount is written, one of
    ``AMOUNT_FORMATS``: "en" "1,250.00", "eu" "1 250,00" or "1.250,00",
    "dash" "1250.-", "equals" "1250=", "point" "1250.00", or "plain" bare
    digits. None picks one at random. The amount field's value is its
    digits and its ``text`` the written amount (``expected_amount`` gives
    what it means); "plain" leaves ``text`` empty and draws the same page as
    versions before amount formats did.

    ``background`` prints a security pattern (``backgrounds.KINDS``) under
    the whole slip, from a stream of its own: the slip drawn over it is the
    one the same seed draws without it.

    ``currency_sign`` writes a dollar sign (or the sign given, "$" or "€")
    by hand before the amount, inside its box (``marks.currency_paths``,
    ``marks.euro_paths``); it is in the amount's ``text``, not in its value. ``raised_cents`` writes the cents of an amount with cents
    small and raised, with no decimal mark ("1,250" and a superscript "00"),
    as many cheques have them. ``slash`` writes a slash before the closing
    mark of a "dash" or "equals" amount ("1250/-", "1250/="), as is usual
    in India and East Africa. ``lakhs`` groups the whole part of an "en",
    "dash" or "equals" amount the Indian way, with commas ("1,25,000.00",
    "1,25,000.-"; ``amounts.lakh_grouped``), drawing nothing from the stream.
    ``swiss`` groups the whole part of any amount but a "plain" one in
    thousands with apostrophes, as the Swiss do ("1'250.00", "12'000.-";
    ``amounts.swiss_grouped``), drawing nothing from the stream either.
    ``cents_over_100`` writes the cents of an amount with cents over 100
    after its whole part ("1,250 50/100", as on US cheques;
    ``amounts.over_100``), drawing nothing from the stream.
    ``round_amounts`` makes the amount round, as most are ("3600", "20000";
    ``amounts.rounded``), and writes half the "dash" amounts with points
    between the thousands ("15.000.-", "15.000-";
    ``amounts.dotted_thousands``), from a stream of its own. ``joins``: the
    share of the amount's neighbouring digits joined by a pen stroke
    (``Sheet.joins``; its own stream). ``guard``: marks ("#", "*", "**")
    written on both sides of the amount so that nothing can be added to it
    ("#1,250.00#", "**1250**"), in its ``text``, not in its value. ``fill``
    draws a line after the amount to the end of its box ("1,250.00 ----";
    ``Sheet.fill``, its own stream), in neither. ``printed_sign`` prints
    that currency sign ("£", "₹", "$", "€", "EUR") in bold inside the amount
    box at its left, as UK and Indian cheques have it, in place of the code
    printed before the box; the amount is written after it, and the sign is
    in neither its ``text`` nor its value.
    """
    if set(guard) - set("#*"):
        raise ValueError(f"guard may hold '#' and '*' only, got {guard!r}")
    if amount_format is not None and amount_format not in AMOUNT_FORMATS:
        raise ValueError(f"amount_format must be one of {AMOUNT_FORMATS}, got {amount_format!r}")
    deg = degradation or Degradation()
    s = Sheet(PAGE_MM["cheque"], dpi, rng, deg, digit_source, colours, stroke_width)
    s.joins = joins
    s.fill = fill
    if background is not None:
        layer = backgrounds.pattern(background, s.page.shape, dpi, rng.spawn(1)[0])
        np.minimum(s.page, layer, out=s.page)
    px = s.px
    bank = ("NORTHBRIDGE BANK", "First Mutual Bank", "Cooperative Savings 1852")
    s.text(px(8), px(6), bank[int(rng.integers(len(bank)))], 12, bold=True)
    s.text(
        px(8),
        px(13),
        f"Branch {int(rng.integers(100, 9999)):04d}, {int(rng.integers(1, 200))} High Street",
        7,
    )
    number = f"No. {int(rng.integers(1, 999999)):06d}"
    nw, _ = s.text_size(number, 9)
    s.text(s.w - px(8) - nw, px(6), number, 9)

    # Date, top right: DD MM YYYY with printed hints above the cells.
    day, month = int(rng.integers(1, 29)), int(rng.integers(1, 13))
    date = f"{day:02d}{month:02d}{int(rng.integers(1990, 2031))}"
    cell_w, cell_h = px(rng.uniform(5, 6.5)), px(rng.uniform(7, 8.5))
    separate = rng.random() < 0.5 if separate_date_boxes is None else separate_date_boxes
    group_gap = px(2.5) if separate else 0
    box_gap = px(rng.uniform(0.8, 1.5)) if separate else 0
    date_w = 8 * cell_w + (6 * box_gap + 2 * group_gap if separate else 0)
    dx0, dy0 = s.w - px(8) - date_w, px(17)
    dw, dh = s.text_size("Date", 9)
    s.text(dx0 - dw - px(3), dy0 + (cell_h - dh) // 2, "Date", 9)
    digits = [int(c) for c in date]
    if separate:
        x = dx0
        for i, d in enumerate(digits):
            s.comb(x, dy0, cell_w, cell_h, [d], "lines", "Date")
            x += cell_w + (group_gap if i in (1, 3) else box_gap)
    else:
        s.comb(dx0, dy0, cell_w, cell_h, digits, "lines", "Date")
    hints = "DDMMYYYY"
    x = dx0
    for i, ch in enumerate(hints):
        cw, chh = s.text_size(ch, 5)
        s.text(x + (cell_w - cw) // 2, dy0 - chh - px(1), ch, 5)
        x += cell_w + ((group_gap if i in (1, 3) else box_gap) if separate else 0)

    # Payee and amount-in-words lines.
    pay_y = px(34)
    pw, ph = s.text_size("Pay", 10)
    s.text(px(8), pay_y - ph, "Pay", 10)
    s.hline(px(8) + pw + px(3), px(118), pay_y, s.line_px(2))
    s.text(px(24), pay_y - px(6), _PAYEES[int(rng.integers(len(_PAYEES)))], 11, mono=True)
    words_y = px(46)
    ww, wh = s.text_size("the sum of", 9)
    s.text(px(8), words_y - wh, "the sum of", 9)
    s.hline(px(8) + ww + px(3), px(112), words_y, s.line_px(2))

    # Amount box, right.
    box_h = px(rng.uniform(9.5, 12))
    box_w = px(rng.uniform(42, 55))
    ax0, ay0 = s.w - px(8) - box_w, px(36)
    cur = _CURRENCY[int(rng.integers(len(_CURRENCY)))]
    lead = 0
    if printed_sign:
        # Inside the box, at its left (no draw from ``rng``).
        cw, chh = s.text_size(printed_sign, 12, bold=True)
        s.text(ax0 + s.lw + px(1.5), ay0 + (box_h - chh) // 2, printed_sign, 12, bold=True)
        lead = cw + px(2)
    else:
        cw, chh = s.text_size(cur, 11, bold=True)
        s.text(ax0 - cw - px(2.5), ay0 + (box_h - chh) // 2, cur, 11, bold=True)
    fmt = amount_format or AMOUNT_FORMATS[int(rng.integers(len(AMOUNT_FORMATS)))]
    amount = amount_digits(rng, fmt)
    habit = rng.spawn(1)[0] if round_amounts else None
    if habit is not None:
        amount = rounded(amount, fmt, habit)
    written = amount_text(rng, amount, fmt)
    if habit is not None and fmt == "dash" and habit.random() < 0.5:
        written = dotted_thousands(written, habit)
    if lakhs and fmt in ("en", "dash", "equals"):
        written = lakh_grouped(written)
    elif swiss and fmt != "plain":
        written = swiss_grouped(written)
    if cents_over_100 and fmt in DECIMAL_FORMATS:
        written = over_100(written)
    if slash and fmt in ("dash", "equals"):
        # "1250/-", "12 000/=": a slash before the closing mark (no draw
        # from ``rng``, so the rest of the slip is the one drawn without).
        written = written.rstrip(".,-=") + "/" + ("-" if fmt == "dash" else "=")
    touching = rng.random() < touching_rate
    cross = rng.random() < cross_frame_rate
    raised = 0
    if raised_cents and fmt in DECIMAL_FORMATS:
        written, raised = written[:-3] + written[-2:], 2  # the decimal mark left out
    if currency_sign or raised or guard:
        sign = ("$" if currency_sign is True else currency_sign) if currency_sign else ""
        text = sign + guard + written + guard
        s.amount(ax0, ay0, box_w, box_h, text, touching, cross, "Amount", raised, lead)
    elif fmt == "plain":  # bare digits, as on cheques before formats: no text in the truth
        digits_ = [int(c) for c in amount]
        s.string(ax0, ay0, box_w, box_h, digits_, touching, cross, "Amount", lead)
    else:
        s.amount(ax0, ay0, box_w, box_h, written, touching, cross, "Amount", lead=lead)

    # Signature and the printed code line.
    sx0, sy = s.w - px(62), px(64)
    s.hline(sx0, s.w - px(8), sy, s.line_px(2))
    s.text(sx0, sy + px(1.5), "Signature", 6)
    s.scribble(sx0 + px(4), sy - px(10), s.w - px(14), sy - px(1))
    micr = (
        f"C{int(rng.integers(0, 999999)):06d}C  A{int(rng.integers(0, 999999)):06d}A  "
        f"{int(rng.integers(0, 99999999)):08d}C"
    )
    s.text(px(20), px(72), micr, 11, mono=True)
    return s.finish()


def touching_box(seed: int) -> tuple[np.ndarray, str]:
    """A strip of paper with one box of 3-5 digits written touching by the
    project's stroke generator, scanned as an office scan; and its value.
    (``bench/second_look.py`` and its tests read these.)"""
    rng = np.random.default_rng(seed)
    sheet = Sheet((100.0, 40.0), 300, rng, Degradation.scan(), None)
    n = int(rng.integers(3, 6))
    digits = [int(d) for d in rng.integers(0, 10, n)]
    sheet.string(sheet.px(8), sheet.px(10), sheet.px(11.0 * n + 8), sheet.px(13), digits, True)
    image, truth = sheet.finish()
    return image, truth[0].value
