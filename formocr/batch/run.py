"""A batch that resumes: the documents a state file holds are not read again.

    files = discover(paths); classifier = load          api.scan
    refuse an -o that is an input, a device, a symlink  output.check_target
    hold the locks of -o and --state                    lock.hold
    for each file, in input order:
        key = sha256(bytes), fingerprint(options, model)
        state has key (and not force)? -> that result    state.State.get
        else read it, record it, commit                 api.ScanBatch, State.put
        -> writer (a .part file, renamed at the end)    output.open_writer

So a run killed at any moment (``kill -9`` included) and started again
writes every document exactly once, in input order, as an uninterrupted run
would, reading only what the first run had not finished.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from formocr import __version__, api
from formocr.batch import lock
from formocr.batch.state import State, file_sha256, fingerprint
from formocr.config import ScanConfig
from formocr.errors import OutputError
from formocr.io.scratch import pages_copied_here
from formocr.output.writers import Format, RunInfo, check_target, open_writer
from formocr.types import DocumentResult

if TYPE_CHECKING:
    from formocr.parallel import Workers

log = logging.getLogger("formocr")


@dataclass
class Summary:
    documents: int = 0
    pages: int = 0
    failed_documents: int = 0
    failed_pages: int = 0
    reused: int = 0  # taken from the state, not read again
    reused_failed: int = 0  # of those, failed (the document or a page)

    @property
    def failed(self) -> int:
        return self.failed_documents + self.failed_pages

    def add(self, doc: DocumentResult, reused: bool) -> None:
        self.documents += 1
        self.pages += len(doc.pages)
        self.failed_documents += doc.status == "failed"
        self.failed_pages += sum(p.error is not None for p in doc.pages)
        self.reused += reused
        self.reused_failed += reused and doc.incomplete


class OneDocument:
    """The batch's progress, seen from a one-document ScanBatch."""

    def __init__(self, progress: api.Progress) -> None:
        self._p = progress

    def start(self, total_files: int) -> None:
        pass

    def page(self, source: str, page: int) -> None:
        self._p.page(source, page)

    def advance(self, source: str, pages: int) -> None:
        pass

    def finish(self) -> None:
        pass


def run_batch(
    paths: Sequence[str | PathLike[str]],
    config: ScanConfig,
    fmt: Format,
    output: Path | None,
    *,
    state_path: Path | None = None,
    force: bool = False,
    retry_failed: bool = False,
    wait: bool = False,
    wait_timeout: float | None = None,
    progress: api.Progress | None = None,
    on_document: Callable[[DocumentResult, bool], None] | None = None,
    protect: Sequence[Path] = (),
    workers: Workers | None = None,
) -> Summary:
    """Scan ``paths`` into ``output`` (stdout for None), resuming from ``state_path``.

    ``protect``: more files ``output`` must not be (templates, the model).
    ``retry_failed``: documents the state holds as failed, or with a failed
    page, are read again (see State); ``force``: every document is.
    ``workers``: read pages in worker processes or on a Dask cluster
    (formocr.parallel; None: one page at a time in this process). The
    output is the same either way.
    Raises InputError, ModelError, BusyError, OutputError; a document that
    cannot be read is a failed result, as in :func:`formocr.api.scan`.
    """
    bar = progress if progress is not None else api.NullProgress()
    # With workers, they load the models; this process needs only their name and sha256.
    light = workers.model(config) if workers is not None and not workers.serial else None
    batch = api.scan(paths, config, light, progress=bar)
    try:
        if output is not None:
            check_target(output, [*batch.files, *protect])
        if output is not None and state_path is not None and _same(output, state_path):
            raise OutputError(
                f"{state_path}: the state file cannot be the output; give another --state"
            )
        targets = [p for p in (output, state_path) if p is not None]
        for t in targets:
            if not t.parent.is_dir():  # the lock and the state would create it
                raise OutputError(
                    f"{t}: cannot write there: {t.parent} is not a directory; create it first"
                )
        with lock.hold(targets, wait=wait, timeout=wait_timeout):
            state = State(state_path, retry_failed) if state_path is not None else None
            try:
                return _write(batch, config, fmt, output, state, force, bar, on_document, workers)
            finally:
                if state is not None:
                    state.close()
    finally:
        batch.close()


def _write(
    batch: api.ScanBatch,
    config: ScanConfig,
    fmt: Format,
    output: Path | None,
    state: State | None,
    force: bool,
    bar: api.Progress,
    on_document: Callable[[DocumentResult, bool], None] | None,
    workers: Workers | None = None,
) -> Summary:
    clf = batch.classifier
    fp = fingerprint(config, clf.sha256)
    info = RunInfo(__version__, clf.name, clf.sha256)
    summary = Summary()
    one = OneDocument(bar)
    with open_writer(fmt, output, info, stale_parts=True) as writer:
        bar.start(len(batch.files))
        docs = _documents(batch, one, state, fp, force, workers, bar)
        try:
            for path, (doc, reused) in zip(batch.files, docs, strict=True):
                writer.write(doc)
                summary.add(doc, reused)
                bar.advance(str(path), len(doc.pages))
                if on_document is not None:
                    on_document(doc, reused)
        finally:
            docs.close()
            bar.finish()
    if summary.reused:
        log.info("%d of %d documents taken from the state file", summary.reused, summary.documents)
    if summary.reused_failed:
        log.info(
            "%d of them had failed before; once the cause is fixed, --retry-failed reads them again",
            summary.reused_failed,
        )
    return summary


def _documents(
    batch: api.ScanBatch,
    one: api.Progress,
    state: State | None,
    fp: str,
    force: bool,
    workers: Workers | None,
    bar: api.Progress,
) -> Generator[tuple[DocumentResult, bool], None, None]:
    """Each file's result (and whether it came from the state), in input order."""
    if workers is None or workers.serial:
        with pages_copied_here():
            for path in batch.files:
                doc, _, reused = read_one(
                    path, batch.config, batch.classifier, one, state, fp, force
                )
                yield doc, reused
        return
    from formocr.parallel import documents

    yield from documents(
        batch.files,
        batch.config,
        workers,
        model_sha256=batch.classifier.sha256,
        state=state,
        fp=fp,
        force=force,
        progress=bar,
    )


def read_one(
    path: Path,
    config: ScanConfig,
    classifier: api.Classifier,
    progress: api.Progress,
    state: State | None,
    fp: str,
    force: bool = False,
    reader: Callable[[Path], DocumentResult] | None = None,
) -> tuple[DocumentResult, str | None, bool]:
    """One document: from the state if it holds it, else read and recorded there.

    ``reader`` reads it elsewhere (formocr.parallel.Reader: pages in workers).
    Returns the result, the file's sha256 (None without a state or when the
    file cannot be read) and whether the result came from the state.
    """
    digest = file_sha256(path) if state is not None else None
    if state is not None and digest is not None and not force:
        doc = state.get(digest, fp, str(path))
        if doc is not None:
            return doc, digest, True
    if reader is not None:
        doc = reader(path)
    else:
        doc = next(api.ScanBatch([path], config, classifier, progress))
    if state is not None and digest is not None:
        state.put(digest, fp, doc)
    return doc, digest, False


def _same(a: Path, b: Path) -> bool:
    return Path(a).absolute().resolve() == Path(b).absolute().resolve()
