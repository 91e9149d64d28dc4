"""Boxes printed over a security background: the pattern is not ink, nor a box side.

Cheques are printed over guilloche, fine hatching, dot screens or microtext
(``training.synth.backgrounds``). At the box, the pattern's darkness is
lifted off before the ink is thresholded (``layout.digits.background_level``);
on the page, a vertical of the pattern is no wall of a box
(``layout.lines._faint_wall``). Pages without a pattern never take either
path.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import cheque_amount

from formocr.api import load_classifier, scan_page
from formocr.config import ScanConfig
from formocr.layout import digits as layout_digits
from formocr.layout import lines as layout_lines
from formocr.layout.ink import darkness
from formocr.types import BBox, PageImage
from training.synth import Degradation, make_cheque
from training.synth.backgrounds import KINDS, pattern


@pytest.fixture(scope="module")
def classifier():  # the shipped models, as users run them
    return load_classifier()


def _read(image: np.ndarray, box: BBox, classifier) -> tuple[str, str]:
    result = scan_page(PageImage("cheque", 1, image, 300.0), ScanConfig(), classifier)
    best = max(result.fields, key=lambda f: BBox(*f.bbox).iou(box))
    assert BBox(*best.bbox).iou(box) > 0.8
    return best.value, best.status


@pytest.mark.parametrize("kind", KINDS)
def test_every_background_kind_is_fainter_than_print_and_covers_the_slip(kind: str) -> None:
    layer = pattern(kind, (300, 600), 300, np.random.default_rng(1))
    marked = layer < 255
    assert marked.mean() > 0.05  # a pattern, not a few specks
    assert layer.min() >= 150 - 30  # anti-aliased edges only a little darker than its grey
    with pytest.raises(ValueError, match="background kind"):
        pattern("plaid", (10, 10), 300, np.random.default_rng(0))


def test_a_background_leaves_the_slip_drawn_over_it_unchanged() -> None:
    """The pattern has a stream of its own: the same seed draws the same fields."""
    _, plain = make_cheque(np.random.default_rng(5), 300, background=None)
    _, hatched = make_cheque(np.random.default_rng(5), 300, background="hatch")
    assert [(t.bbox, t.value) for t in plain] == [(t.bbox, t.value) for t in hatched]


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_an_amount_on_a_dot_screen_is_read_whole(seed: int, classifier) -> None:
    """The screen's dots, darker than the ink threshold, joined the digits
    into one blob and made the box a comb of dot columns: '596890' was read
    '40', '255' '4' and '241636' '24'."""
    image, value, box = cheque_amount(seed, "screen")
    assert _read(image, box, classifier) == (value, "ok")


def _box_with_label(background: str | None) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A 300 x 700 cut-out: a printed label at the left, a box with three
    strokes in it, over ``background`` or plain paper."""
    grey = np.full((300, 700), 240, np.uint8)
    if background:
        grey = np.minimum(grey, pattern(background, grey.shape, 300, np.random.default_rng(3)))
    cv2.putText(grey, "USD", (10, 170), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 20, 5)
    cv2.rectangle(grey, (150, 80), (650, 220), 30, 3)
    for x in (250, 350, 450):
        cv2.line(grey, (x, 110), (x + 20, 190), 15, 9)
    return grey, (155, 85, 645, 215)


def test_the_background_level_is_none_on_plain_paper_and_under_the_ink_on_a_pattern() -> None:
    plain, interior = _box_with_label(None)
    assert layout_digits.background_level(darkness(plain, 300), interior, 8) == 0
    hatched, _ = _box_with_label("hatch")
    dark = darkness(hatched, 300)
    level = layout_digits.background_level(dark, interior, 8)
    ink = int(dark[150, 360])  # inside the middle stroke
    assert 0 < level <= layout_digits.BG_INK * ink


@pytest.mark.parametrize(("seed", "kind"), [(1, "guilloche"), (2, "hatch"), (5, "microtext")])
def test_a_strip_cut_inside_its_box_measures_its_background_beside_the_writing(
    seed: int, kind: str
) -> None:
    """Cut inside its box, an amount has no paper round the box, and its
    pattern was never lifted (its dots and dashes came out as commas and
    points). It is measured on the paper away from the writing: 0 on plain
    paper, and on a pattern over most of the pattern's marks and under the
    ink."""
    levels = []
    for background in (None, kind):
        image, _, box = cheque_amount(seed, background)
        k = 10
        strip = image[box.y + k : box.y + box.h - k, box.x + k : box.x + box.w - k]
        dark = darkness(np.ascontiguousarray(strip), 300)
        h, w = dark.shape
        levels.append(layout_digits.strip_background_level(dark, (0, 0, w, h), 300))
    plain, patterned = levels
    layer = darkness(pattern(kind, (h, w), 300, np.random.default_rng(seed)), 300)
    marks = layer[layer >= layout_digits.MARK_DARK]
    assert plain == 0
    assert np.median(marks) <= patterned <= layout_digits.BG_INK * int(dark.max())


def _patterned_work_page(wall_dark: int) -> np.ndarray:
    """A work-resolution darkness page (150 dpi) with faint specks over a
    fifth of it and more, and one box whose middle has a vertical of
    darkness ``wall_dark`` from its top line to its bottom line."""
    rng = np.random.default_rng(0)
    # Faint specks over 40 % of the page: patterned, and no line of them.
    dark = np.where(rng.random((600, 800)) < 0.4, 40, 0).astype(np.uint8)
    cv2.rectangle(dark, (100, 200), (700, 260), 200, 2)
    dark[201:260, 400:402] = wall_dark
    return dark


def test_a_faint_vertical_of_the_pattern_does_not_split_a_box() -> None:
    """On a patterned page a vertical far fainter than the box's lines is the
    pattern (or the pattern joining a stroke to the lines), not a wall: the
    box has no divider. As dark as the lines, it is a divider."""
    faint = _patterned_work_page(45)
    assert layout_lines.patterned(faint)
    frames = layout_lines.find_frames(faint, 150.0)
    assert [(round(f.x0), round(f.x1), f.walls) for f in frames] == [(102, 699, ())]
    printed = layout_lines.find_frames(_patterned_work_page(200), 150.0)
    assert [(round(f.x0), round(f.x1), f.walls) for f in printed] == [(102, 699, ((400.0, 402.0),))]


def test_a_plain_form_page_is_not_patterned() -> None:
    from training.synth import make_form_page

    image, _ = make_form_page(np.random.default_rng(0), 300, degradation=Degradation.harsh())
    geom = layout_lines.page_geometry(image, 300.0)
    assert not layout_lines.patterned(geom.work_dark)


@pytest.mark.parametrize(
    ("kind", "seed", "grey"),
    [
        ("guilloche", 0, 160),
        ("guilloche", 1, 190),
        ("guilloche", 1, 205),
        ("screen", 0, 210),
        ("microtext", 0, 160),
        ("hatch", 0, 160),
        ("hatch", 2, 160),
    ],
)
def test_a_light_digit_on_a_pattern_sends_the_field_to_review(
    kind: str, seed: int, grey: int, classifier
) -> None:
    """A 7 written in a lighter pen than 4841 before it, on a security
    print: with the pattern's level taken off the box, little of the 7 is
    left over the paper's noise, and ``48417`` was read ``4841``, `ok`. The
    box's darkness smoothed over a stroke's width, the pattern with it, is
    looked at too, against the smoothed pattern's own level in the box away
    from the writing: the 7 stands out, and the field asks. The pattern
    alone is no mark. On the hatch the 7's stem alone passes the ink
    threshold: a piece of ink much shorter than the mark over it is no digit
    written over the mark (UNDER_TALL), and the reader left it out as a
    stray stroke. A 7 as light as the pattern's lines (grey 205 and 210)
    drowned in the smoothed pattern too, and the field was `ok`: the box's
    darkness opened by a disc FAINT_OPEN of the writing's pen wide, which
    takes the pattern's thin lines and dots away and leaves a pen's strokes,
    is looked at as well."""
    from formocr.api import FAINT

    def box(light: int | None) -> np.ndarray:
        ink = np.full((400, 900), 255, np.uint8)
        font = cv2.FONT_HERSHEY_SIMPLEX
        cv2.rectangle(ink, (60, 120), (760, 270), 0, 3)
        at = [90 + k * 90 for k in range(5)]
        for x, digit in zip(at, "4841", strict=False):
            cv2.putText(ink, digit, (x, 245), font, 3.3, 30, 11)
        if light is not None:
            cv2.putText(ink, "7", (at[4], 245), font, 3.3, light, 11)
        back = pattern(kind, ink.shape, 300, np.random.default_rng(seed)).astype(np.float32)
        page = 245.0 * (back / 255.0) * (ink.astype(np.float32) / 255.0)
        return np.clip(np.round(page), 0, 255).astype(np.uint8)

    for light, want in ((None, ("4841", "ok", "")), (grey, ("4841", "review", FAINT))):
        (field,) = scan_page(PageImage("p", 1, box(light), 300.0), ScanConfig(), classifier).fields
        assert (field.value, field.status, field.reason or "") == want, light


def _comb_on(
    kind: str | None, written: str, seed: int = 0, light: tuple[int, int] | None = None
) -> np.ndarray:
    """A comb of ``len(written)`` cells printed on a ``kind`` of background
    (None: plain paper; the pattern drawn from ``seed``), a digit written in
    each cell but those marked " ", the one in cell ``light[0]`` (if given)
    at grey ``light[1]``."""
    ink = np.full((400, 900), 255, np.uint8)
    x0, y0, cw, ch = 60, 120, 110, 150
    cv2.rectangle(ink, (x0, y0), (x0 + len(written) * cw, y0 + ch), 0, 3)
    for k in range(1, len(written)):
        cv2.line(ink, (x0 + k * cw, y0), (x0 + k * cw, y0 + ch), 0, 3)
    for k, digit in enumerate(written):
        if digit != " ":
            font = cv2.FONT_HERSHEY_SIMPLEX
            grey = light[1] if light is not None and light[0] == k else 30
            cv2.putText(ink, digit, (x0 + k * cw + 22, y0 + 125), font, 3.0, grey, 10)
    if kind is None:
        return ink
    back = pattern(kind, ink.shape, 300, np.random.default_rng(seed)).astype(np.float32)
    page = 245.0 * (back / 255.0) * (ink.astype(np.float32) / 255.0)
    return np.clip(np.round(page), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("kind", ["guilloche", "microtext", "hatch"])
def test_a_comb_on_a_pattern_with_a_cell_left_out_between_its_digits_asks(
    kind: str, classifier
) -> None:
    """A date written in a comb on a security print, one digit in a pen as
    light as the pattern's lines: that digit is taken off with the
    pattern's level, and its cell reads as empty. A cheque's ``18091990``
    was read ``180990``, `ok`, and 13 of 19 `ok` date combs of the light-pen cheques
    were wrong so. A cell read as empty between written ones, on a printed
    background, now sends the field to review; a number written to one end
    of the comb, its other cells empty, does not, and neither does a cell
    left empty on plain paper (forms leave some so, and there the faint
    marks' test looks at such a cell). The same with a template's comb."""
    from formocr.api import SKIPPED
    from formocr.templates.template import Template, TemplateField

    def read(page: np.ndarray, config: ScanConfig | None = None) -> tuple[str, str, str]:
        config = ScanConfig() if config is None else config
        (field,) = scan_page(PageImage("p", 1, page, 300.0), config, classifier).fields
        return field.value, field.status, field.reason or ""

    assert read(_comb_on(kind, "40 952")) == ("40952", "review", SKIPPED)
    assert read(_comb_on(kind, "  4952")) == ("4952", "ok", "")
    assert read(_comb_on(kind, "4952  ")) == ("4952", "ok", "")
    assert read(_comb_on(None, "40 952")) == ("40952", "ok", "")
    comb = TemplateField("d", (60, 120, 660, 150), "comb", cells=6)
    config = ScanConfig(templates=(Template("t", (900.0, 400.0), "px", (comb,), 300.0),))
    assert read(_comb_on(kind, "40 952"), config) == ("40952", "review", SKIPPED)
    assert read(_comb_on(kind, "4952  "), config) == ("4952", "ok", "")
    assert read(_comb_on(None, "40 952"), config) == ("40952", "ok", "")


@pytest.mark.parametrize(("kind", "seed", "grey"), [("guilloche", 1, 200), ("screen", 0, 210)])
def test_a_comb_s_last_digit_as_light_as_the_pattern_asks(
    kind: str, seed: int, grey: int, classifier
) -> None:
    """A comb on a security print whose last digit is written as light as
    the pattern's lines: that cell reads as empty, and as the last cell
    written it is no cell skipped between written ones; the faint marks'
    smoothed levels drown it in the pattern, and ``40952`` was read
    ``4095``, `ok` (light-pen cheques' dates: ``14031995`` read
    ``1403199``). The box's darkness opened by a disc of FAINT_OPEN of the
    writing's pen, which leaves a pen's strokes and not the pattern's thin
    lines, finds it: the field asks. Written dark, it is read `ok`."""
    from formocr.api import FAINT

    def read(page: np.ndarray) -> tuple[str, str, str]:
        (field,) = scan_page(PageImage("p", 1, page, 300.0), ScanConfig(), classifier).fields
        return field.value, field.status, field.reason or ""

    assert read(_comb_on(kind, "40952", seed)) == ("40952", "ok", "")
    assert read(_comb_on(kind, "40952", seed, (4, grey))) == ("4095", "review", FAINT)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("light", [0, 4])
def test_a_light_digit_in_an_amount_cut_inside_its_box_on_a_pattern_asks(
    kind: str, light: int, classifier
) -> None:
    """An amount cut inside its box on a security print (a strip: no frame,
    no paper round it), its first or last digit written as light as the
    pattern's lines: it goes with the pattern, no gap is left between
    digits, and the faint marks' test did not look in a strip at all (the
    paper level, taken from a white margin, fades to the strip's ends as a
    haze). ``74841`` was read ``4841`` or ``7484``, `ok` (light-pen cheques
    cut inside the box or tight round the writing: 12 and 13 wrong `ok`
    amounts of 120). The strip is now looked at through its darkness made
    with its own edges carried outward, not white, opened by a disc of
    FAINT_OPEN of the writing's pen: the field asks. Written dark, it is
    read `ok`."""
    from formocr.api import FAINT

    def strip(grey: int) -> np.ndarray:
        ink = np.full((130, 560), 255, np.uint8)
        for k, ch in enumerate("74841"):
            ink_grey = grey if k == light else 30
            cv2.putText(ink, ch, (30 + 70 * k, 100), cv2.FONT_HERSHEY_SIMPLEX, 2.6, ink_grey, 9)
        back = pattern(kind, ink.shape, 300, np.random.default_rng(0)).astype(np.float32)
        page = 245.0 * (back / 255.0) * (ink.astype(np.float32) / 255.0)
        return np.clip(np.round(page), 0, 255).astype(np.uint8)

    def read(page: np.ndarray) -> tuple[str, str, str]:
        (field,) = scan_page(PageImage("p", 1, page, None), ScanConfig(), classifier).fields
        return field.value, field.status, field.reason or ""

    assert read(strip(30)) == ("74841", "ok", "")
    want = "4841" if light == 0 else "7484"
    assert read(strip(205)) == (want, "review", FAINT)


@pytest.mark.parametrize("kind", ["guilloche", "hatch"])
def test_a_string_on_a_pattern_with_room_for_a_digit_between_its_digits_asks(
    kind: str, classifier
) -> None:
    """An amount written on a security print, one digit in a pen as light as
    the pattern's lines: the digit goes with the pattern's level, and the
    rest reads `ok` (light-pen cheques: ``646 079,-`` read ``64679``,
    ``36551`` read ``355``). The room it leaves, a gap as wide as the
    digits are tall with no separator in it, now sends the field to
    review; a gap before a group of three ("4 827"), a separator's and the
    same gap on plain paper do not."""

    def box(background: str | None, slots: str) -> np.ndarray:
        ink = np.full((400, 1000), 255, np.uint8)
        cv2.rectangle(ink, (60, 120), (900, 270), 0, 3)
        for k, ch in enumerate(slots):
            if ch != " ":
                cv2.putText(ink, ch, (90 + k * 80, 245), cv2.FONT_HERSHEY_SIMPLEX, 3.3, 30, 11)
        if background is None:
            return ink
        back = pattern(background, ink.shape, 300, np.random.default_rng(0)).astype(np.float32)
        page = 245.0 * (back / 255.0) * (ink.astype(np.float32) / 255.0)
        return np.clip(np.round(page), 0, 255).astype(np.uint8)

    def read(background: str | None, slots: str) -> tuple[str, str, str]:
        page = PageImage("p", 1, box(background, slots), 300.0)
        (field,) = scan_page(page, ScanConfig(), classifier).fields
        return field.value, field.status, field.reason or ""

    value, status, why = read(kind, "48 27")  # a gap 1.23 of the digits' height
    assert (value, status) == ("4827", "review") and "gap as wide as a digit" in why
    value, status, why = read(kind, "48.2 7")
    assert (value, status) == ("4827", "review") and "after digit 3 " in why
    for slots, value in (("4827", "4827"), ("4 827", "4827"), ("482.75", "48275")):
        assert read(kind, slots) == (value, "ok", ""), slots
    assert read(None, "48 27") == ("4827", "ok", "")


def test_only_a_marked_cell_between_written_ones_is_a_skipped_one() -> None:
    """``skips_a_cell`` counts a cell read as empty only where its paper is
    marked (a pattern, or a light digit on it): a fax's bold lines and
    labels gave a plain comb a background level, and its blank cells,
    left empty as written, sent two right fields to review."""
    raw = np.zeros((100, 500), np.uint8)
    edges = [0.0, 100.0, 200.0, 300.0, 400.0, 500.0]
    raw[20:80, 230:270:4] = 60  # a pattern's lines in cell 2, 15 % of its padded paper
    marked = layout_digits._marked_cells(raw, (0, 0, 500, 100), edges, [1, 2, 4])
    assert marked == [2]
    assert layout_digits.skips_a_cell([0, 3, 4], marked)
    assert not layout_digits.skips_a_cell([0, 1, 3], [4])  # after the last written cell
    assert not layout_digits.skips_a_cell([0, 2, 3], [])  # cell 1 blank: left empty as written
