"""The local backend: a process pool over this machine's cores.

``concurrent.futures.ProcessPoolExecutor``. On Linux, where this process is
still one thread when a pool starts (a batch's first pool), the workers are
forked from it after it has imported the reading code (:data:`READING`:
NumPy, OpenCV, Pillow, formocr's layout and readers; not onnxruntime, which
may start a thread of its own on import). They start without importing it
again, and share its memory until they write to it: 2-3 % less CPU over 20
dense pages, each worker's peak RSS 12 MB less, this process's 20 MB more
(BENCHMARKS.md, thirty-sixth session). Forking a process that has other
threads can copy a lock one of them holds, so otherwise (a pool started
again after a worker died, a process with threads, other systems) they are
spawned: a clean interpreter each. Either way they are this process's own
children, so their CPU time counts in its rusage (``/usr/bin/time``, cron
accounting); a forkserver's would not. Each worker loads the models once
(the initializer) and runs one page at a time on one thread.

A worker that dies (a segfault in a library, the OOM killer) breaks the
whole pool: every task out fails with BrokenProcessPool, and which of them
killed it is unknown. The pool is started again and those tasks are run
again one at a time, each alone in the pool: one that kills its worker
again is the culprit, and fails alone (:class:`WorkerDied`); the others are
read as usual. Then the pool goes on as before.

Each pool has a scratch directory (:class:`formocr.io.scratch.Scratch`),
where its workers copy a scanned PDF's JPEGs (``pdfimages``) to read them.
A worker that is terminated (Ctrl-C, SIGTERM, the pool shut down) or dies
cannot clean up after itself, so this process removes the directory once
the pool's workers have ended; if this process itself is killed outright,
the next pool to start removes it. No copy of a page is left behind.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
import queue
import sys
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from formocr.config import ScanConfig, one_blas_thread
from formocr.io.scratch import Scratch, new_scratch
from formocr.parallel.engine import WorkerDied
from formocr.parallel.tasks import Loader, init_pool_worker

log = logging.getLogger("formocr")


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask), the default ``--jobs``."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# What a worker imports to render and read a page, onnxruntime aside: imported
# by this process before it forks its workers, once for all of them.
READING = (
    "formocr.api",
    "formocr.io.embedded",
    "formocr.layout.fields",
    "formocr.layout.keystone",
    "formocr.read.classify",
    "formocr.read.ctc",
    "formocr.read.recut",
    "formocr.read.verify",
    "PIL.Image",
)


def start_method() -> str:
    """Fork where this process may be forked safely (Linux, one thread),
    :data:`READING` imported first; else spawn. See the module doc."""
    if not sys.platform.startswith("linux"):
        return "spawn"
    for name in READING:
        importlib.import_module(name)
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError:
        return "spawn"
    return "fork" if threads == 1 else "spawn"


class PoolBackend:
    """Tasks on ``jobs`` local worker processes; see the module doc for worker deaths."""

    def __init__(self, jobs: int, loader: Loader, config: ScanConfig) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {jobs}")
        self.jobs = jobs
        self._init = (loader, config)
        self._done: queue.SimpleQueue[tuple[int, int, Future[Any]]] = queue.SimpleQueue()
        self._tasks: dict[int, tuple[Callable[..., Any], tuple[Any, ...]]] = {}
        self._suspects: deque[int] = deque()  # out when a worker died: run again alone
        self._held: deque[int] = deque()  # submitted while suspects run alone
        self._alone: int | None = None
        self._generation = 0
        self._scratch: dict[ProcessPoolExecutor, Scratch | None] = {}
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        one_blas_thread()  # the workers inherit it, before they import numpy
        scratch = new_scratch()
        pool = ProcessPoolExecutor(
            max_workers=self.jobs,
            mp_context=multiprocessing.get_context(start_method()),
            initializer=init_pool_worker,
            initargs=(*self._init, os.getpid(), None if scratch is None else scratch.path),
        )
        self._scratch[pool] = scratch
        # Start every worker now, side by side. The executor starts a process
        # for a task submitted while none is idle, so the first document's
        # plan would start one worker, and its pages the others only once the
        # plan is back: each worker's start (interpreter, OpenCV, onnxruntime,
        # models) is about half a second.
        for _ in range(self.jobs):
            pool.submit(_started)
        return pool

    def submit(self, key: int, fn: Callable[..., Any], *args: Any) -> None:
        self._tasks[key] = (fn, args)
        if self._alone is not None or self._suspects:
            self._held.append(key)
        else:
            self._send(key)

    def _send(self, key: int) -> None:
        fn, args = self._tasks[key]
        generation = self._generation
        try:
            future = self._pool.submit(fn, *args)
        except BrokenProcessPool:  # broke since the last result; noticed below
            future = Future()
            future.set_exception(BrokenProcessPool("a worker process died"))
        future.add_done_callback(lambda f: self._done.put((generation, key, f)))

    def next_done(self) -> tuple[int, Any, BaseException | None]:
        while True:
            try:
                generation, key, future = self._done.get(timeout=0.5)
            except queue.Empty:  # wake up now and then, so signals are handled
                continue
            exc = future.exception()
            if not isinstance(exc, BrokenProcessPool):
                self._tasks.pop(key, None)
                if key == self._alone:
                    self._next_alone()
                return key, None if exc else future.result(), exc
            if generation == self._generation:
                self._restart()
            if key == self._alone:  # it killed its worker while alone: the culprit
                self._tasks.pop(key, None)
                self._next_alone()
                return key, None, WorkerDied(str(exc) or "it was killed")
            self._suspects.append(key)
            if self._alone is None:
                self._next_alone()

    def _next_alone(self) -> None:
        """Run the next suspect alone; none left: send what was held back."""
        self._alone = None
        if self._suspects:
            self._alone = self._suspects.popleft()
            self._send(self._alone)
            return
        while self._held:
            self._send(self._held.popleft())

    def _restart(self) -> None:
        log.warning(
            "a worker process died; the pool is restarted and the pages it held "
            "are read again, one at a time"
        )
        old = self._pool
        self._generation += 1
        self._pool = self._start()
        self._stop(old)

    def _stop(self, pool: ProcessPoolExecutor) -> None:
        """Shut ``pool`` down (see :func:`_stop`), then remove its scratch directory."""
        _stop(pool)
        scratch = self._scratch.pop(pool)
        if scratch is not None:
            scratch.close()

    def close(self) -> None:
        self._stop(self._pool)


def _started() -> None:
    """A task that does nothing: its worker has started and loaded its models."""


def _stop(pool: ProcessPoolExecutor) -> None:
    """Shut a pool down now: queued tasks cancelled, running workers terminated."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        with contextlib.suppress(Exception):
            p.terminate()
    for p in processes:
        with contextlib.suppress(Exception):
            p.join(5)


__all__ = ["PoolBackend", "usable_cpus"]
