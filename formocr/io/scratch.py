"""A scratch directory for copies of pages, owned by the process that made it.

A scanned PDF's JPEGs are copied out to be read (:mod:`formocr.io.embedded`).
A pool of workers copies them under one scratch directory, which its owner
(the batch's main process) removes when the pool ends; a batch read in its
own process copies them under one of its own (:func:`pages_copied_here`).
An owner killed outright (``kill -9``, the OOM killer) cannot remove it, so
each scratch directory holds a lock file that its owner holds (``flock``,
through the ``filelock`` library) for as long as it lives; the kernel frees
the lock however the owner ends. Making a scratch directory first removes
every other one whose lock is free: its owner is gone.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import filelock

log = logging.getLogger("formocr")

PREFIX = "formocr-pages-"
OWNER = ".owner.lock"


class Scratch:
    """A new scratch directory (``path``) under the system's temporary
    directory, held until :meth:`close`, which removes it. Raises OSError
    where it cannot be made."""

    def __init__(self) -> None:
        purge_stale()
        self.path = tempfile.mkdtemp(prefix=PREFIX)
        self._owner = filelock.FileLock(str(Path(self.path) / OWNER))
        try:
            self._owner.acquire(timeout=0)  # a new file: no one else holds it
        except (filelock.Timeout, OSError):
            shutil.rmtree(self.path, ignore_errors=True)
            raise

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self._owner.release()

    def __enter__(self) -> Scratch:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def new_scratch() -> Scratch | None:
    """A new :class:`Scratch`; None, with a warning, where none can be made
    (a full or read-only temporary directory): pages are then copied under
    the temporary directory itself where they can be, or rendered."""
    try:
        return Scratch()
    except OSError as e:
        log.warning("no scratch directory for the pages (%s): they are copied where they can", e)
        return None


@contextlib.contextmanager
def pages_copied_here() -> Iterator[None]:
    """Within the block this process copies pages under a scratch directory
    of its own (see :func:`new_scratch`), removed at the end."""
    from formocr.io.embedded import use_scratch

    scratch = new_scratch()
    if scratch is None:
        yield
        return
    before = use_scratch(scratch.path)
    try:
        yield
    finally:
        use_scratch(before)
        scratch.close()


def purge_stale() -> list[Path]:
    """Remove the scratch directories whose owner is gone (their lock is
    free); those being made (no lock file yet) and those held are left.
    Returns what was removed."""
    removed = []
    for d in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        owner = d / OWNER
        try:
            if not owner.is_file():
                continue
        except OSError:  # another user's (mkdtemp makes them 0700)
            continue
        lock = filelock.FileLock(str(owner))
        try:
            lock.acquire(timeout=0)
        except (filelock.Timeout, OSError):
            continue  # its owner is alive, or it is not ours to take
        try:
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
        finally:
            lock.release()
    if removed:
        log.info("removed %d scratch directories of runs that were killed", len(removed))
    return removed


__all__ = ["OWNER", "PREFIX", "Scratch", "new_scratch", "pages_copied_here", "purge_stale"]
