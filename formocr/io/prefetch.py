"""Read-ahead: pages decoded in a background thread while the caller reads the last."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    pass

log = logging.getLogger("formocr")


# -- read-ahead ----------------------------------------------------------------

T = TypeVar("T")
_END = object()


def _prefetched(items: Iterator[T], depth: int, cancel: Callable[[], None] | None) -> Iterator[T]:
    """Run ``items`` in a background thread, at most ``depth`` items ahead.

    ``cancel`` unblocks the producer when the consumer stops early (for PDFs
    it kills the renderer, whose pipe the producer may be waiting on).
    Exceptions from the producer are raised here, in the consumer.
    """
    if depth < 1:
        yield from items
        return
    q: queue.Queue[tuple[object, BaseException | None]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[object, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((_END, None))
        except BaseException as e:  # handed to the consumer, raised there
            put((_END, e))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()

    worker = threading.Thread(target=produce, name="formocr-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, err = q.get()
            if item is _END:
                if err is not None:
                    raise err
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        if cancel is not None:
            cancel()
        worker.join()
