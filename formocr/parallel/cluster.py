"""The Dask backend: the same page tasks on a ``dask.distributed`` cluster.

    client = Client("tcp://HOST:8786")
    client.register_plugin(ModelsPlugin(...))      every worker process loads the models once
    client.submit(plan_task / page_task, ...)      at most ``window`` out at once
    -> results back to this process, the one writer (formocr.parallel.engine)

Files are **not** sent: workers open them by absolute path, so every worker
must see the inputs at the same path as the client (shared storage: NFS,
SMB, a cluster file system, or the same bind mount in every container).
Tasks carry a path and a page number, results a page's fields; memory on
both sides stays flat however large the batch.

A worker that dies mid-task: the scheduler gives its tasks to other workers
(``distributed.scheduler.allowed-failures`` times, default 3; then the task
fails with KilledWorker and that page alone is an error). A result lost
with its worker after the task finished (before the client fetched it) is
waited for again, as the scheduler reruns it. The client takes each task's
result once, so no page or document is written twice.

Imported only for ``--scheduler``: formocr without the ``dask`` extra never
imports dask.
"""

from __future__ import annotations

import contextlib
import queue
import uuid
from collections.abc import Callable
from typing import Any

from distributed import Client, Future, WorkerPlugin

from formocr.config import ScanConfig
from formocr.io.embedded import use_scratch
from formocr.parallel.tasks import Loader, install, quiet_worker_logging

PLUGIN = "formocr-models"


class ModelsPlugin(WorkerPlugin):
    """Loads formocr's models once in each worker process (and in any that joins later)."""

    name = PLUGIN

    def __init__(self, loader: Loader, config: ScanConfig) -> None:
        self.loader = loader
        self.config = config

    def setup(self, worker: object) -> None:
        quiet_worker_logging()
        # Pages are copied into the worker's own directory, which Dask
        # removes when the worker closes, or, once it was killed, when the
        # next worker starts on that machine.
        use_scratch(getattr(worker, "local_directory", None))
        install(self.loader, self.config)


class DaskBackend:
    """Tasks on the cluster whose scheduler is at ``address``."""

    def __init__(self, address: str, loader: Loader, config: ScanConfig) -> None:
        # Gives up after distributed.comm.timeouts.connect (30 s by default).
        self.client = Client(address, set_as_default=False)
        self.client.register_plugin(ModelsPlugin(loader, config), name=PLUGIN)
        self._run = uuid.uuid4().hex[:8]
        self._done: queue.SimpleQueue[tuple[int, Future]] = queue.SimpleQueue()
        self._futures: dict[int, Future] = {}

    def workers(self) -> int:
        """Threads on the cluster now (the tasks it runs at once)."""
        return max(1, sum(self.client.nthreads().values()))

    def submit(self, key: int, fn: Callable[..., Any], *args: Any) -> None:
        future = self.client.submit(
            fn, *args, key=f"formocr-{self._run}-{key}", pure=False, retries=1
        )
        self._futures[key] = future
        future.add_done_callback(lambda f: self._done.put((key, f)))

    def next_done(self) -> tuple[int, Any, BaseException | None]:
        while True:
            try:
                key, future = self._done.get(timeout=0.5)
            except queue.Empty:  # wake up now and then, so signals are handled
                continue
            if future.status == "finished":
                try:
                    result = future.result()
                except Exception:
                    if future.status == "finished":
                        raise
                    self._again(key, future)  # its result died with its worker
                    continue
                self._futures.pop(key, None)  # released: the scheduler forgets it
                return key, result, None
            if future.status == "cancelled":
                self._futures.pop(key, None)
                return key, None, RuntimeError("the task was cancelled on the cluster")
            if future.status != "error":
                # "lost": it had finished on a worker that then died before
                # its result was fetched; the scheduler runs it again.
                self._again(key, future)
                continue
            self._futures.pop(key, None)
            exc = future.exception()
            return key, None, exc if isinstance(exc, BaseException) else RuntimeError(str(exc))

    def _again(self, key: int, future: Future) -> None:
        """Look at ``future`` again once its rerun is done, waiting for it at
        most half a second here (so that signals are still handled)."""
        # Not done yet, or failed: the next look says which.
        with contextlib.suppress(Exception):
            future.result(timeout=0.5)
        self._done.put((key, future))

    def close(self) -> None:
        futures = list(self._futures.values())
        self._futures.clear()
        try:
            if futures:
                self.client.cancel(futures)
        finally:
            self.client.close()


__all__ = ["PLUGIN", "DaskBackend", "ModelsPlugin"]
