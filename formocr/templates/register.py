"""Registration: where a template's boxes lie on a scanned page.

The printed boxes are the form's own landmarks. The segmenter's box finder
(``layout_lines``) finds them on a deskewed, reduced copy of the page; the
template's boxes are matched to them by hypothesise-and-verify:

    candidate pairs   template box ~ page box of compatible size (scale +-7%)
    hypotheses        a similarity from every two candidate pairs (and from
                      every single pair, for templates of one or two boxes)
    verify            count template boxes landing on a page box (IoU)
    refine            least squares on the corners of the matched boxes,
                      re-matching until the matches settle (three rounds at most)

The transform found (template units -> page pixels) is accepted only with
enough matched boxes, a small corner residual, and rotation and scale within
range (``MAX_ROTATION_DEG``, ``MAX_SCALE_DEV``). The shift is not bounded:
a slip scanned anywhere on a flatbed, or a page missing a strip, still
registers on the boxes it shows. Anything else is a
:class:`RegistrationError` for that page: the caller reports it and reads
nothing, because values cut from a misplaced box would be wrong but look fine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from formocr.errors import ExitCode, FormocrError
from formocr.layout.lines import find_frames, guess_dpi, page_geometry
from formocr.templates.template import MM_PER_INCH, Template
from formocr.types import rect_corners

__all__ = ["Registration", "RegistrationError", "Structure", "find_structure", "register"]

MAX_ROTATION_DEG = 6.0  # the promise is +-5 degrees; a little slack
MAX_SCALE_DEV = 0.07  # the promise is +-5%; scale relative to the nominal one
MAX_RESIDUAL_MM = 1.0  # RMS corner error of the matched boxes
MIN_MATCHED_SHARE = 0.5  # of the template's boxes
MATCH_IOU = 0.5  # a template box lands on a page box
# Pre-rotations tried when the page's skew is beyond what the box finder deskews.
_PRE_ROTATIONS = (0.0, 4.0, -4.0)
_MAX_PAIRS = 20000
# A page box this much thicker than its frame line: the frame's outer edge.
_LINE_MM = 0.3


_NO_BOXES = "no printed boxes found on the page"


class RegistrationError(FormocrError):
    """This page cannot be aligned to the template(s): a page error, no values."""

    exit_code = ExitCode.PARTIAL


@dataclass(frozen=True)
class Structure:
    """The printed boxes of a page, in a deskewed work frame.

    ``boxes`` are outer edges (x0, y0, x1, y1) in work pixels; ``to_page``
    (3x3) maps work pixels to page pixels.
    """

    boxes: np.ndarray
    to_page: np.ndarray
    work_dpi: float
    pre_rotation: float
    skew: float  # what the box finder deskewed (0: straight, or too far turned)


@dataclass(frozen=True)
class Registration:
    """A template placed on a page: ``matrix`` maps template units to page pixels."""

    template: Template
    matrix: np.ndarray  # 2x3 similarity
    matched: int  # template boxes found on the page
    boxes: int  # printed boxes in the template
    residual_mm: float  # RMS corner error of the matched boxes
    rotation_deg: float
    scale: float  # relative to the nominal scale (1.0 = as the template says)
    page_dpi: float  # effective resolution of the page, from the transform

    @property
    def score(self) -> float:
        """For choosing among templates: share of boxes found, then fit."""
        share = self.matched / self.boxes
        return share - 0.01 * self.residual_mm

    def to_page(self, pts: np.ndarray) -> np.ndarray:
        """Template-unit points (n, 2) -> page pixels."""
        return np.asarray(pts, np.float64) @ self.matrix[:, :2].T + self.matrix[:, 2]

    def on_page(self, box: tuple[float, float, float, float], shape: tuple[int, int]) -> bool:
        """Whether a template box lies on the page (within half a millimetre)."""
        p = rect_corners(self.matrix, box)
        slack = 0.5 / MM_PER_INCH * self.page_dpi
        H, W = shape
        return bool(
            (p >= -slack).all() and (p[:, 0] <= W + slack).all() and (p[:, 1] <= H + slack).all()
        )


# -- page structure ----------------------------------------------------------------


def find_structure(page: np.ndarray, dpi: float, pre_rotation: float = 0.0) -> Structure:
    """Printed boxes of a page assumed to be at ``dpi``, optionally pre-rotated.

    The box finder reduces and deskews the page itself (``page_geometry``);
    a pre-rotated copy is made only for pages turned beyond what it deskews.
    """
    img, pre = page, np.eye(3)
    if pre_rotation:
        h, w = page.shape
        rot = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), pre_rotation, 1.0)
        img = cv2.warpAffine(
            page, rot, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        pre = np.vstack([rot, [0, 0, 1]])
    geom = page_geometry(img, dpi)
    work_dpi = geom.work_dpi
    frames = find_frames(geom.work_dark, work_dpi, geom.broken_lines)
    lw = _LINE_MM / MM_PER_INCH * work_dpi
    boxes = np.array(
        [[fr.x0 - lw, fr.y0 - lw, fr.x1 + lw, fr.y1 + lw] for fr in frames], np.float64
    ).reshape(-1, 4)
    # work -> deskewed full resolution -> the (pre-rotated) page -> the page
    unscale = np.diag([1.0 / geom.scale, 1.0 / geom.scale, 1.0])
    work_to_img = np.vstack([geom.to_page, [0, 0, 1]]) @ unscale
    to_page = np.linalg.inv(pre) @ work_to_img
    return Structure(boxes, to_page, work_dpi, pre_rotation, geom.angle)


# -- registration ------------------------------------------------------------------


def register(
    page: np.ndarray, templates: Sequence[Template], dpi: float | None = None
) -> Registration:
    """The best registration of ``page`` to one of ``templates``.

    ``dpi`` is the page's resolution when known; the template's own size
    against the page's size gives a second guess (a scan whose metadata
    lies, an image with none). Raises RegistrationError, saying why, when
    no template fits.
    """
    if not templates:
        raise ValueError("register needs at least one template")
    cache: dict[tuple[int, float], Structure] = {}
    best: Registration | None = None
    reasons: list[str] = []
    for t in templates:
        try:
            reg = _register_one(page, t, dpi, cache)
        except RegistrationError as e:
            reasons.append(str(e))
            continue
        if best is None or reg.score > best.score:
            best = reg
    if best is None:
        raise RegistrationError("; ".join(reasons))
    return best


def _dpi_candidates(shape: tuple[int, int], t: Template, dpi: float | None) -> list[float]:
    h, w = shape
    tw, th = (v / t.units_per_inch for v in t.size)
    by_size = math.sqrt((w / tw) * (h / th))
    out = [] if dpi is None else [float(dpi)]
    if not out or abs(by_size / out[0] - 1.0) > 0.03:
        out.append(by_size)
    return [d for d in out if 50.0 <= d <= 2400.0] or [guess_dpi(shape)]


def _register_one(
    page: np.ndarray, t: Template, dpi: float | None, cache: dict[tuple[int, float], Structure]
) -> Registration:
    """Try each dpi guess; a pre-rotated copy only when the page as given fails.

    The box finder deskews up to about 5 degrees; a page turned a little more
    is found on a copy turned back by 4 degrees.
    """
    first_error = ""
    for rot in _PRE_ROTATIONS:
        best: Registration | None = None
        for d in _dpi_candidates(page.shape, t, dpi):
            key = (round(d), rot)
            if key not in cache:
                cache[key] = find_structure(page, d, rot)
            try:
                reg = _match(t, cache[key])
            except RegistrationError as e:
                # The first specific reason says most ("no boxes" only if nothing else).
                if not first_error or first_error == _NO_BOXES:
                    first_error = str(e)
                continue
            if best is None or reg.score > best.score:
                best = reg
        if best is not None:
            return best
        if rot == 0.0 and all(st.skew for k, st in cache.items() if k[1] == 0.0):
            break  # the page was deskewed, so it is not turned too far: no use
    raise RegistrationError(f"template {t.name!r}: {first_error}")


def _match(t: Template, st: Structure) -> Registration:
    """Register template ``t`` on one page structure; raise if it does not fit."""
    tb = np.array([[x, y, x + w, y + h] for f in t.fields for x, y, w, h in f.printed], np.float64)
    n_t = len(tb)
    db = st.boxes
    if len(db) == 0:
        raise RegistrationError(_NO_BOXES)
    s_nom = st.work_dpi / t.units_per_inch  # work px per template unit, as the dpi says
    tol = 0.5 / MM_PER_INCH * st.work_dpi  # half a millimetre, in work px
    pairs = _candidates(tb, db, s_nom, tol)
    if len(pairs) == 0:
        raise RegistrationError(
            f"none of the page's {len(db)} boxes has the size of a template box"
        )
    hyps = _hypotheses(tb, db, pairs, s_nom)
    scores = _scores(tb, db, hyps)
    top = np.argsort(-scores)[:8]
    best: tuple[float, np.ndarray, list[tuple[int, int]]] | None = None
    for k in top:
        m, matched = _refine(tb, db, hyps[k], 2 * tol)
        score = sum(_iou(_map_box(m, tb[i]), db[j]) for i, j in matched)
        if best is None or score > best[0]:
            best = (score, m, matched)
    assert best is not None
    _, m, matched = best
    need = max(min(n_t, 3), math.ceil(MIN_MATCHED_SHARE * n_t))
    if len(matched) < need:
        raise RegistrationError(
            f"only {len(matched)} of its {n_t} boxes found on the page (need {need}); "
            "is this the right form, and is the page complete?"
        )
    full = st.to_page @ np.vstack([m, [0, 0, 1]])
    a, b = full[0, 0], full[1, 0]
    page_per_unit = math.hypot(a, b)
    rotation = -math.degrees(math.atan2(b, a))  # anticlockwise on screen, as cv2 turns
    scale = math.hypot(m[0, 0], m[1, 0]) / s_nom
    residual = _residual(tb, db, m, matched) / st.work_dpi * MM_PER_INCH
    if abs(rotation) > MAX_ROTATION_DEG:
        raise RegistrationError(
            f"page turned {rotation:+.1f} degrees (at most {MAX_ROTATION_DEG:g})"
        )
    if abs(scale - 1.0) > MAX_SCALE_DEV:
        raise RegistrationError(
            f"page scaled {100 * (scale - 1):+.1f}% against the template "
            f"(at most {100 * MAX_SCALE_DEV:g}%); check --dpi"
        )
    if residual > MAX_RESIDUAL_MM:
        raise RegistrationError(
            f"its boxes do not line up with the page's (RMS {residual:.1f} mm, at most "
            f"{MAX_RESIDUAL_MM:g} mm): a different form or a distorted scan"
        )
    reg = Registration(
        template=t,
        matrix=full[:2].copy(),
        matched=len(matched),
        boxes=n_t,
        residual_mm=residual,
        rotation_deg=rotation,
        scale=scale,
        page_dpi=page_per_unit * t.units_per_inch,
    )
    return reg


# -- the pieces --------------------------------------------------------------------


def _candidates(tb: np.ndarray, db: np.ndarray, s: float, tol: float) -> np.ndarray:
    """(i, j) pairs: template box i and page box j of compatible size."""
    tw, th = (tb[:, 2] - tb[:, 0]) * s, (tb[:, 3] - tb[:, 1]) * s
    dw, dh = db[:, 2] - db[:, 0], db[:, 3] - db[:, 1]
    okw = np.abs(dw[None, :] - tw[:, None]) <= (MAX_SCALE_DEV + 0.03) * tw[:, None] + tol
    okh = np.abs(dh[None, :] - th[:, None]) <= (MAX_SCALE_DEV + 0.03) * th[:, None] + tol
    return np.argwhere(okw & okh)


def _centres(b: np.ndarray) -> np.ndarray:
    return np.stack([(b[..., 0] + b[..., 2]) / 2.0, (b[..., 1] + b[..., 3]) / 2.0], axis=-1)


def _similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, shift): src -> dst, 2x3."""
    ms, md = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - ms, dst - md
    den = float((a**2).sum())
    if den <= 0:
        return np.array([[1.0, 0, md[0] - ms[0]], [0, 1.0, md[1] - ms[1]]])
    p = float((a * b).sum()) / den  # s cos
    q = float((a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]).sum()) / den  # s sin
    r = np.array([[p, -q], [q, p]])
    return np.hstack([r, (md - r @ ms)[:, None]])


def _hypotheses(tb: np.ndarray, db: np.ndarray, pairs: np.ndarray, s_nom: float) -> np.ndarray:
    """Similarities (n, 2, 3) from single pairs and from two pairs each."""
    ct, cd = _centres(tb), _centres(db)
    hyps = []
    # One pair: no turn (the work frame is deskewed), scale from the box sizes.
    for i, j in pairs:
        tw, th = tb[i, 2] - tb[i, 0], tb[i, 3] - tb[i, 1]
        dw, dh = db[j, 2] - db[j, 0], db[j, 3] - db[j, 1]
        s = math.sqrt(max(dw * dh, 1e-9) / max(tw * th, 1e-9))
        if abs(s / s_nom - 1.0) > MAX_SCALE_DEV:
            s = s_nom
        hyps.append([[s, 0.0, cd[j, 0] - s * ct[i, 0]], [0.0, s, cd[j, 1] - s * ct[i, 1]]])
    # Two pairs: the similarity taking one centre pair onto the other.
    n = len(pairs)
    a_idx, b_idx = np.triu_indices(n, 1)
    if len(a_idx) > _MAX_PAIRS:
        pick = np.random.default_rng(0).choice(len(a_idx), _MAX_PAIRS, replace=False)
        a_idx, b_idx = a_idx[pick], b_idx[pick]
    pa, pb = pairs[a_idx], pairs[b_idx]
    ok = (pa[:, 0] != pb[:, 0]) & (pa[:, 1] != pb[:, 1])
    pa, pb = pa[ok], pb[ok]
    vt = ct[pb[:, 0]] - ct[pa[:, 0]]
    vd = cd[pb[:, 1]] - cd[pa[:, 1]]
    lt = np.hypot(vt[:, 0], vt[:, 1])
    ld = np.hypot(vd[:, 0], vd[:, 1])
    good = (lt > 0) & (ld > 0)
    scale = np.where(good, ld / np.where(lt > 0, lt, 1), 0)
    turn = np.arctan2(vd[:, 1], vd[:, 0]) - np.arctan2(vt[:, 1], vt[:, 0])
    turn = (turn + np.pi) % (2 * np.pi) - np.pi
    # The work frame is deskewed: little turn is left (more on short baselines).
    max_turn = np.radians(1.5) + np.arctan2(3.0, np.maximum(ld, 1e-9))
    good &= (np.abs(scale / s_nom - 1.0) <= MAX_SCALE_DEV) & (np.abs(turn) <= max_turn)
    pa, pb, scale, turn = pa[good], pb[good], scale[good], turn[good]
    c, s_ = scale * np.cos(turn), scale * np.sin(turn)
    src = ct[pa[:, 0]]
    dst = cd[pa[:, 1]]
    tx = dst[:, 0] - (c * src[:, 0] - s_ * src[:, 1])
    ty = dst[:, 1] - (s_ * src[:, 0] + c * src[:, 1])
    two = np.stack([np.stack([c, -s_, tx], 1), np.stack([s_, c, ty], 1)], 1)
    one = np.asarray(hyps, np.float64).reshape(-1, 2, 3)
    return np.concatenate([one, two])


def _map_boxes(m: np.ndarray, tb: np.ndarray) -> np.ndarray:
    """Template boxes through similarities: (..., n, 4) axis-aligned, about the centre.

    The work frame is deskewed, so a box stays near axis-aligned; its size
    scales with the transform.
    """
    ct = _centres(tb)
    c = np.einsum("...ij,nj->...ni", m[..., :, :2], ct) + m[..., None, :, 2]
    s = np.hypot(m[..., 0, 0], m[..., 1, 0])[..., None]
    hw = (tb[:, 2] - tb[:, 0]) / 2.0 * s
    hh = (tb[:, 3] - tb[:, 1]) / 2.0 * s
    return np.stack([c[..., 0] - hw, c[..., 1] - hh, c[..., 0] + hw, c[..., 1] + hh], -1)


def _map_box(m: np.ndarray, box: np.ndarray) -> np.ndarray:
    return _map_boxes(m, box[None])[0]


def _iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of boxes a (..., n, 4) against b (m, 4): (..., n, m)."""
    ix = np.minimum(a[..., :, None, 2], b[:, 2]) - np.maximum(a[..., :, None, 0], b[:, 0])
    iy = np.minimum(a[..., :, None, 3], b[:, 3]) - np.maximum(a[..., :, None, 1], b[:, 1])
    inter = np.clip(ix, 0, None) * np.clip(iy, 0, None)
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[..., :, None] + area_b - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(_iou_matrix(a[None], b[None])[0, 0])


def _scores(tb: np.ndarray, db: np.ndarray, hyps: np.ndarray) -> np.ndarray:
    """Per hypothesis: summed IoU of the template boxes that land on a page box."""
    out = np.empty(len(hyps))
    for k in range(0, len(hyps), 2000):
        iou = _iou_matrix(_map_boxes(hyps[k : k + 2000], tb), db).max(axis=-1)
        out[k : k + 2000] = np.where(iou >= MATCH_IOU, iou, 0.0).sum(axis=-1)
    return out


def _assign(tb: np.ndarray, db: np.ndarray, m: np.ndarray) -> list[tuple[int, int]]:
    """One-to-one matches, best IoU first, each at least MATCH_IOU."""
    iou = _iou_matrix(_map_boxes(m, tb), db)
    out = []
    used_t: set[int] = set()
    used_d: set[int] = set()
    for flat in np.argsort(-iou, axis=None):
        i, j = divmod(int(flat), iou.shape[1])
        if iou[i, j] < MATCH_IOU:
            break
        if i in used_t or j in used_d:
            continue
        used_t.add(i)
        used_d.add(j)
        out.append((i, j))
    return out


def _corners(b: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = b.T
    return np.stack(
        [
            np.stack([x0, y0], -1),
            np.stack([x1, y0], -1),
            np.stack([x0, y1], -1),
            np.stack([x1, y1], -1),
        ],
        axis=1,
    ).reshape(-1, 2)


def _refine(
    tb: np.ndarray, db: np.ndarray, m: np.ndarray, tol: float
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Least squares on the corners of the matched boxes, re-matching each round.

    A matched pair whose corners stay more than ``tol`` (work px) off after
    the fit is dropped before the next round: a box cut by the page edge, or
    one whose last comb divider was taken for its side, overlaps its template
    box well enough to match but has the wrong corners.
    """
    matched = _assign(tb, db, m)
    for _ in range(4):
        if not matched:
            break
        ti = np.array([i for i, _ in matched])
        dj = np.array([j for _, j in matched])
        m = _similarity(_corners(tb[ti]), _corners(db[dj]))
        err = _pair_errors(tb[ti], db[dj], m)
        worst = int(np.argmax(err))
        if err[worst] > max(tol, 3.0 * float(np.median(err))) and len(matched) > 2:
            matched = matched[:worst] + matched[worst + 1 :]
            continue
        again = [p for p in _assign(tb, db, m) if p in matched or _fits(tb, db, m, p, tol)]
        if again == matched:
            break
        matched = again
    return m, matched


def _pair_errors(t: np.ndarray, d: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Per box pair: RMS distance (work px) between mapped template and page corners."""
    moved = _corners(t) @ m[:, :2].T + m[:, 2]
    sq = ((moved - _corners(d)) ** 2).sum(axis=1).reshape(-1, 4)
    return np.sqrt(sq.mean(axis=1))


def _fits(tb: np.ndarray, db: np.ndarray, m: np.ndarray, pair: tuple[int, int], tol: float) -> bool:
    i, j = pair
    return bool(_pair_errors(tb[i : i + 1], db[j : j + 1], m)[0] <= tol)


def _residual(
    tb: np.ndarray, db: np.ndarray, m: np.ndarray, matched: list[tuple[int, int]]
) -> float:
    """RMS distance (work px) between mapped template corners and page corners."""
    if not matched:
        return math.inf
    ti = np.array([i for i, _ in matched])
    dj = np.array([j for _, j in matched])
    src = _corners(tb[ti])
    moved = src @ m[:, :2].T + m[:, 2]
    return float(np.sqrt(((moved - _corners(db[dj])) ** 2).sum(axis=1).mean()))
