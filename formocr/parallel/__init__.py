"""Pages read in parallel: every core of this machine, or a Dask cluster.

    Workers(jobs=N)                   a local process pool (pool.py)
    Workers(scheduler="tcp://H:8786") a dask.distributed cluster (cluster.py)
    documents(files, config, workers) -> (DocumentResult, reused), in input order

Pages are the unit of work (tasks.py): a long PDF keeps every worker busy.
The client plans each document, sends its pages out, and puts the results
back in order (engine.py); the state file, the lock and the output stay in
the client, which alone writes them. ``Workers(jobs=1)`` is the serial path
(formocr.batch.run reads in-process then, without this package).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from formocr.batch.state import State
from formocr.config import ScanConfig
from formocr.errors import ClusterError
from formocr.parallel.engine import Backend, Options, read_documents
from formocr.parallel.tasks import Loader, ModelInfo, absolute, model_info, shipped_models
from formocr.types import DocumentResult

log = logging.getLogger("formocr")


@dataclass(frozen=True)
class Workers:
    """Where pages are read: ``jobs`` local processes, or the cluster at ``scheduler``.

    ``loader`` makes a worker's models, ``model`` tells this process their
    name and sha256 without loading them (tests pass their own pair);
    ``window`` bounds the tasks out at once (default: twice the workers, plus two).
    """

    jobs: int = 1
    scheduler: str | None = None
    loader: Loader = field(default=shipped_models)
    model: Callable[[ScanConfig], ModelInfo] = field(default=model_info)
    window: int | None = None

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {self.jobs}")
        if self.window is not None and self.window < 1:
            raise ValueError(f"window must be at least 1, got {self.window}")

    @property
    def serial(self) -> bool:
        """One page at a time, in this process."""
        return self.scheduler is None and self.jobs <= 1


def open_backend(workers: Workers, config: ScanConfig) -> tuple[Backend, int]:
    """The backend and how many tasks it runs at once."""
    if workers.scheduler is None:
        from formocr.parallel.pool import PoolBackend

        return PoolBackend(workers.jobs, workers.loader, config), workers.jobs
    try:
        from formocr.parallel.cluster import DaskBackend
    except ImportError as e:
        raise ClusterError(
            f"--scheduler needs dask.distributed ({e}); install formocr with the dask "
            "extra: pip install 'formocr[dask]'"
        ) from None
    try:
        backend = DaskBackend(workers.scheduler, workers.loader, config)
    except OSError as e:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {workers.scheduler} ({e}); start it "
            "(dask scheduler) and its workers (dask worker ADDRESS), or check the address"
        ) from None
    return backend, backend.workers()


class Reader:
    """One document at a time through workers that stay up between documents
    (the hot folder: ``formocr watch --jobs N``): ``reader(path)`` reads it."""

    def __init__(self, workers: Workers, config: ScanConfig) -> None:
        self.config = config
        self.backend, width = open_backend(workers, config)
        self.opts = replace(_options(workers, width), model_sha256=workers.model(config).sha256)
        self.keys = itertools.count()

    def __call__(self, path: Path) -> DocumentResult:
        docs = read_documents([path], self.config, self.backend, self.opts, keys=self.keys)
        for doc, _ in docs:
            return doc
        raise AssertionError("read_documents yields one result per file")

    def close(self) -> None:
        self.backend.close()


def _options(workers: Workers, width: int) -> Options:
    return Options(
        loader=workers.loader,
        window=workers.window or 2 * width + 2,
        workers=width,
        at=absolute if workers.scheduler is not None else (lambda path: None),
    )


def documents(
    files: Iterable[Path],
    config: ScanConfig,
    workers: Workers,
    *,
    model_sha256: str = "",
    state: State | None = None,
    fp: str = "",
    force: bool = False,
    progress: Any = None,
) -> Iterator[tuple[DocumentResult, bool]]:
    """(document, taken from the state) for each file, in input order, read by ``workers``.

    The same documents, pages and fields as the serial path. Close the
    iterator (or exhaust it) to stop the workers.
    """
    backend, width = open_backend(workers, config)
    opts = replace(_options(workers, width), model_sha256=model_sha256)
    try:
        yield from read_documents(
            files, config, backend, opts, state=state, fp=fp, force=force, progress=progress
        )
    finally:
        backend.close()


__all__ = ["Loader", "Reader", "Workers", "documents", "open_backend", "shipped_models"]
