"""A hot folder: read each file dropped into a folder once, append its JSONL line, move it.

    watchdog reports new and changed files (inotify; ``poll``: directory snapshots)
    a file is complete when it is a regular file whose size and mtime have not
    changed for ``settle`` seconds and that no process holds open for writing
    (``/proc/*/fdinfo``, where it can be read)
    -> read it (or take its result from the state)        run.read_one
    -> append its JSONL line to the output, fsync, record   state.emitted
    -> move it to ``done`` (or ``failed``: the document or a page failed)

A restart goes on where the last run stopped, whatever stopped it: bytes
past the last recorded line (a line cut by ``kill -9``) are cut off the
output; a file whose line was recorded but that was not moved is moved
without a second line; a file read but not yet written is written from the
state. So every file is in the output once. SIGTERM or Ctrl-C stops the
watcher after the document in hand (see the CLI).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from formocr import api
from formocr.batch import lock
from formocr.batch.run import OneDocument, Summary, read_one
from formocr.batch.state import State, fingerprint
from formocr.config import ScanConfig
from formocr.errors import InputError, OutputError
from formocr.io import SUFFIXES
from formocr.io.scratch import pages_copied_here
from formocr.output.writers import check_target, jsonl_line
from formocr.types import DocumentResult

if TYPE_CHECKING:
    from watchdog.observers.api import BaseObserver

    from formocr.parallel import Workers

log = logging.getLogger("formocr")
# The whole folder is looked at again this often, for files whose event was
# lost (an inotify queue overflow, a share that reports nothing). A hot
# folder empties as it is read, so this costs little.
RESCAN_S = 10.0


@dataclass(frozen=True)
class WatchOptions:
    folder: Path
    output: Path  # JSONL, appended to
    done: Path
    failed: Path
    state: Path
    settle: float = 2.0  # seconds a file must stay unchanged before it is read
    poll: bool = False  # watchdog's PollingObserver, for network shares without inotify
    interval: float = 0.5  # seconds between checks of the files seen
    once: bool = False  # read what is there (once complete), then return


def watch(
    opts: WatchOptions,
    config: ScanConfig,
    *,
    stop: threading.Event | None = None,
    classifier: api.Classifier | None = None,
    on_document: Callable[[DocumentResult, bool], None] | None = None,
    workers: Workers | None = None,
) -> Summary:
    """Watch ``opts.folder`` until ``stop`` is set (or, with ``once``, it is empty).

    ``workers``: each document's pages are read by worker processes (or a
    Dask cluster) that stay up while the folder is watched (formocr.parallel).
    """
    from watchdog.events import FileSystemEvent, FileSystemEventHandler

    stop = stop or threading.Event()
    logging.getLogger("watchdog").addHandler(logging.NullHandler())  # its chatter is not ours
    folder = opts.folder
    if not folder.is_dir():
        raise InputError(f"{folder}: not a directory; give the folder to watch")
    for d in (opts.done, opts.failed):
        d.mkdir(parents=True, exist_ok=True)
    check_target(opts.output)
    reader = None
    if workers is not None and not workers.serial and classifier is None:
        from formocr.parallel import Reader

        classifier = workers.model(config)  # the workers load the models
        reader = Reader(workers, config)
    clf = classifier if classifier is not None else api.load_classifier(config.model)
    fp = fingerprint(config, clf.sha256)
    skip = {opts.done.resolve(), opts.failed.resolve()}
    seen: dict[Path, tuple[int, int, float]] = {}  # path -> size, mtime_ns, since
    wake = threading.Event()
    lock_ = threading.Lock()

    def offer(p: str | bytes | os.PathLike[str]) -> None:
        path = Path(os.fsdecode(p))
        if _candidate(path, folder, skip):
            with lock_:
                seen.setdefault(path, (-1, -1, 0.0))
            wake.set()

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            where = getattr(event, "dest_path", "") or event.src_path
            if not event.is_directory:
                offer(where)
            elif event.event_type in ("created", "moved"):
                # files made in a new folder before its watch was set up raise no event
                for p in _existing(Path(os.fsdecode(where)), skip):
                    offer(str(p))

    summary = Summary()
    here = pages_copied_here() if reader is None else contextlib.nullcontext()
    with lock.hold([opts.output, opts.state]), State(opts.state) as state, here:
        _recover(opts.output, state)
        observer = _observer(opts.poll)
        observer.schedule(Handler(), str(folder), recursive=True)
        observer.start()
        try:
            for p in _existing(folder, skip):
                offer(p)
            bar = OneDocument(api.NullProgress())
            rescanned = time.monotonic()
            while not stop.is_set():
                if time.monotonic() - rescanned > RESCAN_S:  # events can be lost
                    for p in _existing(folder, skip):
                        offer(str(p))
                    rescanned = time.monotonic()
                ready = _ready(seen, lock_, opts.settle)
                for path in ready:
                    if stop.is_set():
                        break
                    doc, reused = _one(path, opts, config, clf, bar, state, fp, reader)
                    if doc is not None:
                        summary.add(doc, reused)
                        if on_document is not None:
                            on_document(doc, reused)
                with lock_:
                    idle = not seen
                if opts.once and idle:
                    break
                wake.wait(opts.interval)
                wake.clear()
        finally:
            observer.stop()
            observer.join()
            if reader is not None:
                reader.close()
    return summary


def _observer(poll: bool) -> BaseObserver:
    if poll:
        from watchdog.observers.polling import PollingObserver

        return PollingObserver(timeout=1)
    from watchdog.observers import Observer

    return Observer()


def _candidate(path: Path, folder: Path, skip: set[Path]) -> bool:
    """A file of a supported kind, not hidden (copies in progress often are), not in done/failed."""
    if path.name.startswith(".") or path.suffix.lower() not in SUFFIXES:
        return False
    try:
        parents = {p.resolve() for p in path.parents}
    except OSError:
        return False
    return not (parents & skip) and folder.resolve() in parents


def _existing(folder: Path, skip: set[Path]) -> list[Path]:
    out: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if (Path(root) / d).resolve() not in skip]
        out.extend(Path(root) / f for f in sorted(files))
    return out


def _ready(
    seen: dict[Path, tuple[int, int, float]], lock_: threading.Lock, settle: float
) -> list[Path]:
    """The files seen that are complete (in the order they came)."""
    now = time.monotonic()
    ready = []
    with lock_:
        items = list(seen.items())
    for path, (size, mtime, since) in items:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            with lock_:
                seen.pop(path, None)  # moved away or deleted before it was complete
            continue
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            log.warning("%s: skipped, not a regular file (never opened)", path)
            with lock_:
                seen.pop(path, None)
            continue
        sig = (st.st_size, st.st_mtime_ns)
        if sig != (size, mtime):
            with lock_:
                seen[path] = (*sig, now)  # changed: wait for it to settle again
            continue
        if now - since < settle or _open_for_writing(path):
            continue
        with lock_:
            seen.pop(path, None)
        ready.append(path)
    return ready


def _open_for_writing(path: Path) -> bool:
    """Whether a process we can see holds ``path`` open for writing (Linux /proc)."""
    try:
        target = os.path.realpath(path)
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return False
    for pid in pids:
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"{fd_dir}/{fd}") != target:
                    continue
                with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                    flags = next(int(line.split()[1], 8) for line in f if line.startswith("flags"))
            except (OSError, StopIteration, ValueError):
                continue
            if flags & (os.O_WRONLY | os.O_RDWR):
                return True
    return False


def _one(
    path: Path,
    opts: WatchOptions,
    config: ScanConfig,
    clf: api.Classifier,
    bar: api.Progress,
    state: State,
    fp: str,
    reader: Callable[[Path], DocumentResult] | None = None,
) -> tuple[DocumentResult | None, bool]:
    from formocr.batch.state import file_sha256

    digest = file_sha256(path)
    seq = state.unmoved(str(path), digest)
    if seq is not None:  # written before a restart, not moved: move it only
        before = state.get(digest, fp, str(path)) if digest else None
        _move(path, opts, failed=before is not None and before.incomplete)
        state.moved(seq)
        return None, True
    doc, digest, reused = read_one(path, config, clf, bar, state, fp, reader=reader)
    data = jsonl_line(doc).encode("utf-8")
    check_target(opts.output)  # replaced by a symlink or a FIFO meanwhile? refuse
    try:
        # opened for each line, so a log rotation that renames the output is followed
        with open(opts.output, "ab") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
            end = out.tell()
    except OSError as e:
        raise OutputError(f"{opts.output}: writing failed ({e.strerror or e})") from e
    seq = state.emitted(str(path), digest, end)
    _move(path, opts, failed=doc.incomplete)
    state.moved(seq)
    return doc, reused


def _move(path: Path, opts: WatchOptions, failed: bool) -> None:
    """Move a read file to done (or failed), under a name not taken there yet."""
    folder = opts.failed if failed else opts.done
    dest = folder / path.name
    n = 1
    while dest.exists() or dest.is_symlink():
        dest = folder / f"{path.stem}.{n}{path.suffix}"
        n += 1
    try:
        shutil.move(path, dest)
    except OSError as e:
        log.error("%s: read, but could not be moved to %s (%s)", path, folder, e.strerror or e)
    else:
        log.info("%s -> %s", path, dest)


def _recover(output: Path, state: State) -> None:
    """Cut off what a killed run appended past its last recorded line."""
    end = state.last_offset()
    if end is None:
        return
    with contextlib.suppress(FileNotFoundError):
        size = output.stat().st_size
        if size > end:
            log.warning(
                "%s: removing %d bytes a stopped run wrote after its last recorded line",
                output,
                size - end,
            )
            os.truncate(output, end)


__all__ = ["WatchOptions", "watch"]
