"""Guards on what a document may cost: pages, pixels and time."""

from __future__ import annotations

import contextlib
import logging
import math
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from formocr.errors import DocumentError

if TYPE_CHECKING:
    pass

log = logging.getLogger("formocr")


def _too_large(path: Path, page: int, w: int, h: int, dpi: float | None, limit: float) -> None:
    mp = w * h / 1e6
    if mp <= limit:
        return
    if dpi:
        lower = int(dpi * math.sqrt(limit / mp))
        hint = f"render it at a lower resolution, e.g. --dpi {lower}"
    else:
        hint = "downscale the image (300 dpi is plenty for handwritten digits)"
    raise DocumentError(
        f"{path}: page {page} is {w}x{h} pixels ({mp:.0f} megapixels), over the "
        f"{limit:.0f} megapixel limit; {hint}"
    )


def _too_many(path: Path, pages: int, max_pages: int | None) -> None:
    if max_pages is not None and pages > max_pages:
        raise DocumentError(
            f"{path}: {pages} pages, more than the limit of {max_pages}; "
            "split the document or raise --max-pages"
        )


class PageTimeout(Exception):  # noqa: N818 (not an error of ours: a signal that time is up)
    """Raised inside the reading of a page whose time is up (see :func:`page_deadline`)."""


@contextlib.contextmanager
def page_deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`PageTimeout` in the block once ``seconds`` have passed.

    A SIGALRM timer (``signal.setitimer``): it works in the main thread of a
    process on POSIX, the CLI's case; elsewhere (another thread, Windows)
    the block runs without a limit, and says so at debug level. The signal
    is handled between Python bytecodes, so a long call into C (one
    onnxruntime batch) finishes first.
    """
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        if seconds:
            log.debug("page timeout not enforced here (not the main thread, or no SIGALRM)")
        yield
        return
    assert seconds is not None
    armed = True

    def expired(signum: int, frame: object) -> None:
        if armed:
            raise PageTimeout

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
