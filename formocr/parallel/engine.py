"""Documents in input order from pages read out of order: the client side.

    for each file, in input order:
        the state holds it (and not force)? -> that result, no work
        else plan_task on a worker -> the page count    tasks.plan_task
             page_task per run of pages, on any worker   tasks.page_task
    -> a document once its plan and every page are back: recorded in the
       state, then yielded when the documents before it have been

At most ``window`` tasks are out at once, pages of earlier documents first,
so a long PDF keeps every worker busy and memory stays flat: a task is a
path and a run of a few pages (one renderer streams them; see _run_length),
a result their fields, a page at a time on the worker. Whatever the backend (the
local process pool, a Dask cluster), each task's result is taken once, and a
document is recorded and yielded once: a task retried after its worker died
cannot give a second row.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from formocr.batch.state import State, file_sha256
from formocr.config import ScanConfig
from formocr.errors import ModelError
from formocr.io.plan import DocumentPlan
from formocr.output.spool import PageSpool
from formocr.parallel.tasks import (
    DocumentTask,
    Loader,
    PageDone,
    PageTask,
    Planned,
    page_task,
    plan_task,
)
from formocr.types import DocumentResult, PageResult

log = logging.getLogger("formocr")


class WorkerDied(Exception):  # noqa: N818 (what happened, not a bug of ours)
    """A task's worker process died while it ran (a crash, the OOM killer), every try."""


class Backend(Protocol):
    """Runs tasks somewhere; results come back in any order, each exactly once."""

    def submit(self, key: int, fn: Callable[..., Any], *args: Any) -> None: ...

    def next_done(self) -> tuple[int, Any, BaseException | None]:
        """Block until a task is done: (key, result, None) or (key, None, exception)."""
        ...

    def close(self) -> None: ...


@dataclass
class _Doc:
    path: Path
    digest: str | None = None
    result: DocumentResult | None = None  # done: from the state, failed, or read
    reused: bool = False
    plan: DocumentPlan | None = None
    next_page: int = 1
    pages: PageSpool = field(default_factory=PageSpool)  # back so far, on disk when many
    logs: dict[int, tuple[logging.LogRecord, ...]] = field(default_factory=dict)  # 0: plan
    out: int = 0  # tasks submitted and not back


@dataclass
class Options:
    """How the client drives the workers."""

    loader: Loader
    window: int  # tasks out at once
    at: Callable[[str], str | None] = lambda path: None  # where workers open a file
    model_sha256: str = ""  # the client's model; a worker with another one is an error
    workers: int = 1  # a document's pages are spread over this many in runs (see _run_length)


def read_documents(
    files: Iterable[Path],
    config: ScanConfig,
    backend: Backend,
    opts: Options,
    *,
    state: State | None = None,
    fp: str = "",
    force: bool = False,
    progress: Any = None,
    keys: Iterator[int] | None = None,
) -> Iterator[tuple[DocumentResult, bool]]:
    """(document, taken from the state) for each file, in input order.

    ``keys`` numbers the tasks: pass one counter for every call on one
    backend, so a late result of an earlier call (a page of a document that
    failed meanwhile) is recognised as such and dropped.
    """
    keys = keys if keys is not None else itertools.count()
    return _Pipeline(files, config, backend, opts, state, fp, force, progress, keys).run()


class _Pipeline:
    def __init__(
        self,
        files: Iterable[Path],
        config: ScanConfig,
        backend: Backend,
        opts: Options,
        state: State | None,
        fp: str,
        force: bool,
        progress: Any,
        keys: Iterator[int],
    ) -> None:
        self.files = iter(files)
        self.more = True
        self.config = config
        self.backend = backend
        self.opts = opts
        self.state = state
        self.fp = fp
        self.force = force
        self.progress = progress
        self.docs: deque[_Doc] = deque()
        # task key -> document, first and last page (0, 0: the plan)
        self.keys: dict[int, tuple[_Doc, int, int]] = {}
        self.counter = keys
        self.out = 0
        self.level = logging.getLogger("formocr").getEffectiveLevel()

    def run(self) -> Iterator[tuple[DocumentResult, bool]]:
        while True:
            self._fill()
            while self.docs and self.docs[0].result is not None:
                yield self._emit(self.docs.popleft())
            if not self.docs and not self.more:
                return
            if self.out == 0:
                continue  # all planned so far came from the state: plan more, wait for none
            key, value, exc = self.backend.next_done()
            if key in self.keys:  # else a late result of an earlier call: dropped
                self.out -= 1
                self._done(key, value, exc)

    # -- submitting ------------------------------------------------------------------

    def _submit(
        self, doc: _Doc, pages: tuple[int, int], fn: Callable[..., Any], task: object
    ) -> None:
        key = next(self.counter)
        self.keys[key] = (doc, *pages)
        doc.out += 1
        self.out += 1
        self.backend.submit(key, fn, task, self.config)

    def _fill(self) -> None:
        window = self.opts.window
        for doc in self.docs:  # the pages of earlier documents first
            plan = doc.plan
            while plan is not None and doc.result is None and doc.next_page <= plan.pages:
                if self.out >= window:
                    return
                first = doc.next_page
                left = plan.pages - first + 1
                last = first + _run_length(left, self.opts.workers) - 1
                task = PageTask(self._task(doc), plan, first, last)
                self._submit(doc, (first, last), page_task, task)
                doc.next_page = last + 1
        # Then new documents; results waiting on an earlier document count too.
        while self.more and self.out < window and len(self.docs) < 4 * window:
            path = next(self.files, None)
            if path is None:
                self.more = False
                return
            doc = _Doc(path)
            self.docs.append(doc)
            if self.state is not None:
                doc.digest = file_sha256(path)
                if doc.digest is not None and not self.force:
                    doc.result = self.state.get(doc.digest, self.fp, str(path))
                    doc.reused = doc.result is not None
                    if doc.reused:
                        continue
            self._submit(doc, (0, 0), plan_task, self._task(doc))

    def _task(self, doc: _Doc) -> DocumentTask:
        path = str(doc.path)
        return DocumentTask(path, self.opts.loader, self.level, self.opts.at(path))

    # -- results -----------------------------------------------------------------------

    def _done(self, key: int, value: Any, exc: BaseException | None) -> None:
        doc, first, last = self.keys.pop(key)
        doc.out -= 1
        if doc.result is not None:
            return  # the document failed meanwhile: what is left of it is dropped
        if isinstance(exc, ModelError):
            raise exc
        if first == 0:
            self._planned(doc, value, exc)
        elif exc is not None and last > first and _died(exc):
            # Which of its pages killed the worker is unknown: each is read
            # again alone, so only a page that kills its worker is lost.
            assert doc.plan is not None
            for page in range(first, last + 1):
                task = PageTask(self._task(doc), doc.plan, page, page)
                self._submit(doc, (page, page), page_task, task)
            return
        elif exc is not None or value is None:
            for page in range(first, last + 1):
                self._page(doc, page, None, exc)
        else:
            for page, done in enumerate(value, first):
                self._page(doc, page, done, None)
                if doc.result is not None:  # that page failed the document
                    return
        if doc.result is None and doc.plan is not None and len(doc.pages) == doc.plan.pages:
            pages = doc.pages.pages(doc.plan.pages)
            self._finish(doc, DocumentResult(str(doc.path), "ok", pages=pages))  # type: ignore[arg-type]

    def _planned(self, doc: _Doc, value: Planned | None, exc: BaseException | None) -> None:
        if exc is not None or value is None:
            self._finish(doc, _failed(doc.path, _lost(doc.path, None, exc)))
            return
        doc.logs[0] = value.logs
        sha = self.opts.model_sha256
        if sha and value.model_sha256 and value.model_sha256 != sha:
            raise ModelError(
                f"a worker reads with model {value.model_sha256[:12]}… (formocr {value.version}), "
                f"this run with {sha[:12]}…; install the same formocr and models on every worker"
            )
        if value.plan is None:
            self._finish(doc, _failed(doc.path, value.error or "failed"))
            return
        doc.plan = value.plan
        known = getattr(self.progress, "pages_known", None)
        if known is not None:
            known(str(doc.path), value.plan.pages)

    def _page(
        self, doc: _Doc, page: int, value: PageDone | None, exc: BaseException | None
    ) -> None:
        assert doc.plan is not None
        if exc is not None or value is None:
            h, w = doc.plan.shape(page)
            dpi = float(self.config.dpi) if doc.plan.kind == "pdf" else None
            msg = _lost(doc.path, page, exc)
            log.error("%s", msg)
            doc.pages.put(page, PageResult(page, w, h, dpi, error=msg))
        else:
            doc.logs[page] = value.logs
            if value.result is None:
                self._finish(doc, _failed(doc.path, value.error or "failed"))
                return
            doc.pages.put(page, value.result)
        if self.progress is not None:
            self.progress.page(str(doc.path), page)

    def _finish(self, doc: _Doc, result: DocumentResult) -> None:
        doc.result = result
        doc.pages.close()
        if self.state is not None and doc.digest is not None:
            self.state.put(doc.digest, self.fp, result)

    def _emit(self, doc: _Doc) -> tuple[DocumentResult, bool]:
        logger = logging.getLogger("formocr")
        for page in sorted(doc.logs):
            for record in doc.logs[page]:
                if logger.isEnabledFor(record.levelno):
                    logging.getLogger(record.name).handle(record)
        assert doc.result is not None
        return doc.result, doc.reused


def _run_length(pages: int, workers: int) -> int:
    """Pages the next task reads of a document that has ``pages`` left to
    send: runs of up to ``MAX_RUN`` pages, at least two runs for each
    worker in what is left, so the runs shrink towards the end (guided
    self-scheduling) and the last are single pages: no worker waits long
    on another's last run. One renderer streams a run (each ``pdftoppm``
    run costs ~20-40 ms of CPU before its first page)."""
    return max(1, min(MAX_RUN, pages // (2 * max(1, workers))))


MAX_RUN = 8


def _died(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the task's worker process died (locally or on Dask)."""
    return isinstance(exc, WorkerDied) or type(exc).__name__ == "KilledWorker"


def _failed(path: Path, message: str) -> DocumentResult:
    return DocumentResult(source=str(path), status="failed", error=message)


def _lost(path: Path, page: int | None, exc: BaseException | None) -> str:
    """The message of a task that gave no result: its worker died, or a bug."""
    where = f"{path}: page {page}" if page else f"{path}"
    if _died(exc):
        return (
            f"{where}: the worker process reading it died ({exc}); the page may need more "
            "memory than the worker has, or crash a library: read it alone with --jobs 1 -v"
        )
    return f"{where}: unexpected error ({type(exc).__name__}: {exc}); please report it"


__all__ = ["Backend", "Options", "WorkerDied", "read_documents"]
