"""One run at a time per output and state file, with the ``filelock`` library.

Each file a run writes (``-o``, ``--state``) has a lock file beside it,
``NAME.lock``, held with ``flock`` for the whole run. The kernel releases it
when the process ends, however it ends (``kill -9`` included), so a lock
never outlives its run and is never broken by guessing. A second run either
stops at once with :class:`~formocr.errors.BusyError` (exit code 8) or,
with ``wait``, waits for the first (up to ``timeout`` seconds).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import filelock

from formocr.errors import BusyError, OutputError

log = logging.getLogger("formocr")


def lock_path(target: Path) -> Path:
    return target.with_name(target.name + ".lock")


@contextlib.contextmanager
def hold(
    targets: Iterable[Path], *, wait: bool = False, timeout: float | None = None
) -> Iterator[None]:
    """Hold the locks of ``targets`` (taken in a fixed order, so two runs never deadlock)."""
    paths = sorted({lock_path(Path(t).absolute()) for t in targets})
    with contextlib.ExitStack() as stack:
        for p in paths:
            lock = filelock.FileLock(p)
            try:
                lock.acquire(timeout=0)
            except filelock.Timeout:
                if not wait:
                    raise BusyError(_busy(p, "give --wait to wait for it")) from None
                log.info("%s: another run holds this lock; waiting for it", p)
                try:
                    lock.acquire(timeout=-1 if timeout is None else timeout)
                except filelock.Timeout:
                    raise BusyError(_busy(p, f"waited {timeout:g} s")) from None
            except OSError as e:
                raise OutputError(f"{p}: cannot create the lock file ({e.strerror or e})") from e
            stack.callback(lock.release)
        yield


def _busy(p: Path, what_now: str) -> str:
    return f"{p}: another formocr run is writing the same output or state; {what_now} (exit code 8)"
