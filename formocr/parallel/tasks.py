"""The work a worker process does: small picklable records in, small results out.

Two tasks per document, both run in a worker (a process of the local pool
or of a Dask cluster):

    plan_task(DocumentTask)  -> Planned    kind, page count, colour (once per document)
    page_task(PageTask)      -> PageDone   one page rendered and read

Workers load the models once per process (:func:`install`, run by the pool's
initializer or the Dask worker plugin) and keep them in a per-process cache
keyed by the model path, the one piece of global state here: a worker
process is a unit of its own. Log records of a task are collected and sent
back with its result, so the client logs them in document order, through
its own handlers; nothing is printed in the worker.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from formocr import __version__
from formocr.config import ScanConfig, one_opencv_thread
from formocr.errors import FormocrError, ModelError
from formocr.io.embedded import use_scratch
from formocr.io.plan import DocumentPlan, plan_document, render_pages
from formocr.types import PageResult, Prediction

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("formocr")


@dataclass
class Models:
    """What a worker reads pages with, loaded once per process."""

    classifier: object  # formocr.api.Classifier (name, sha256, classify)

    @property
    def sha256(self) -> str:
        return str(getattr(self.classifier, "sha256", ""))


# Makes a worker's models from the run's config: a module-level function (or
# another picklable callable), since it is sent to the workers.
Loader = Callable[[ScanConfig], Models]


def shipped_models(config: ScanConfig) -> Models:
    """The default loader: what :func:`formocr.api.load_classifier` loads for the
    serial path (the digit model of ``config.model``, and the shipped string
    reader if there is one, each on one onnxruntime thread; digits in batches of 16),
    so that ``--jobs N`` and ``--jobs 1`` read alike."""
    from formocr.api import load_classifier

    return Models(load_classifier(config.model))


@dataclass
class ModelInfo:
    """The digit model's name and sha256, read from its file and card without
    loading it: all the client needs when workers read its pages (the output
    header, the state's fingerprint). Each worker loads and checks the model."""

    name: str
    sha256: str

    def classify(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        raise ModelError("this process reads no page itself: its workers do")


def model_info(config: ScanConfig) -> ModelInfo:
    """The ModelInfo of ``config.model`` (the shipped model when None)."""
    import hashlib
    import json
    from importlib import resources

    path = config.model or Path(str(resources.files("formocr") / "models" / "digits.onnx"))
    try:
        card = json.loads(path.with_suffix(".json").read_text())
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: cannot read the model or its card ({e})") from e
    name = card.get("name", path.stem) if isinstance(card, dict) else path.stem
    return ModelInfo(str(name), sha)


_MODELS: dict[tuple[object, str | None], Models] = {}


def install(loader: Loader, config: ScanConfig) -> Models:
    """Load the models into this worker process (once per loader and model path)."""
    key = (loader, str(config.model) if config.model else None)
    models = _MODELS.get(key)
    if models is None:
        one_opencv_thread()  # and onnxruntime, by the loader: a worker is one core
        models = _MODELS[key] = loader(config)
    return models


def die_with_parent(parent: int | None = None) -> None:
    """Ask Linux to end this process when its parent dies (PR_SET_PDEATHSIG).

    A batch killed with ``kill -9`` cannot stop its pool; without this its
    workers, models loaded, would live on under init. ``parent``: the PID
    the parent had when it started this process. A worker is asked this
    only once its interpreter and imports are up (half a second); a parent
    killed before then has already left it to another (``getppid`` differs),
    and it ends at once. Elsewhere a no-op.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    if parent is None:
        parent = os.getppid()
    elif os.getppid() != parent:  # the parent died while this process started
        os._exit(0)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took
        os._exit(0)


def init_pool_worker(
    loader: Loader, config: ScanConfig, parent: int | None = None, scratch: str | None = None
) -> None:
    """The local pool's initializer: Ctrl-C is the parent's to handle, the
    parent's death (``parent``: its PID when it started the pool) ends the
    worker; pages are copied under ``scratch``, which the parent removes
    when the pool ends; load the models."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker has the command's own SIGTERM handler: terminated, it just ends.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    use_scratch(scratch)
    die_with_parent(parent)
    quiet_worker_logging()
    install(loader, config)


@dataclass(frozen=True)
class DocumentTask:
    """One document to plan. ``path`` is how the batch names it (in messages);
    ``at``, when set, is where this worker opens it (an absolute path, for
    workers on other machines or in other directories)."""

    path: str
    loader: Loader
    log_level: int = logging.WARNING
    at: str | None = None

    def source(self) -> Path:
        return Path(self.at or self.path)


@dataclass(frozen=True)
class PageTask:
    """Pages ``page`` to ``last`` of a planned document (``last`` 0: the one page)."""

    document: DocumentTask
    plan: DocumentPlan
    page: int
    last: int = 0

    @property
    def pages(self) -> range:
        return range(self.page, max(self.page, self.last) + 1)


@dataclass(frozen=True)
class Planned:
    """A plan, or the message of a document that cannot be read (``error``)."""

    plan: DocumentPlan | None
    error: str | None = None
    model_sha256: str = ""
    version: str = __version__
    logs: tuple[logging.LogRecord, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class PageDone:
    """A page's result; or ``error``: the whole document fails (as in the serial
    reader, where a DocumentError past the first page fails the document)."""

    result: PageResult | None
    error: str | None = None
    logs: tuple[logging.LogRecord, ...] = field(default=(), repr=False)


def plan_task(task: DocumentTask, config: ScanConfig) -> Planned:
    models = install(task.loader, config)
    with _captured(task) as logs:
        try:
            plan: DocumentPlan | None = plan_document(task.source(), config)
            error = None
        except ModelError:
            raise
        except FormocrError as e:
            log.warning("%s", e)
            plan, error = None, str(e)
        except Exception as e:
            plan, error = None, _unexpected(task.source(), e)
    return Planned(plan, _named(task, error), models.sha256, __version__, tuple(logs))


def page_task(task: PageTask, config: ScanConfig) -> tuple[PageDone, ...]:
    """Each page of the task read, in order, from one renderer streaming them;
    it stops after a page whose error fails the document (as the serial
    reader does). A page's log records travel with it."""
    from formocr.api import read_page

    models = install(task.document.loader, config)
    path = task.document.source()
    done: list[PageDone] = []
    images = render_pages(path, task.plan, task.page, task.pages[-1], config)
    with contextlib.closing(images):
        for page in task.pages:
            result: PageResult | None = None
            error: str | None = None
            with _captured(task.document) as logs:
                try:
                    image = next(images)
                    assert image.page == page, f"rendered page {image.page}, not {page}"
                    result = read_page(path, image, config, models.classifier)  # type: ignore[arg-type]
                except ModelError:
                    raise
                except FormocrError as e:
                    log.warning("%s", e)
                    error = str(e)
                except Exception as e:  # MemoryError too: the serial reader fails the document
                    error = _unexpected(path, e)
            if result is not None and task.document.at:
                result = replace(
                    result,
                    error=_named(task.document, result.error),
                    reason=_named(task.document, result.reason),
                )
            done.append(PageDone(result, _named(task.document, error), tuple(logs)))
            if error is not None:
                break
    return tuple(done)


def _unexpected(path: Path, e: BaseException) -> str:
    """The serial reader's message for a bug that fails a document (formocr.api)."""
    log.debug("%s: unexpected error", path, exc_info=True)
    msg = f"{path}: unexpected error ({type(e).__name__}: {e}); please report it"
    log.error("%s", msg)
    return msg


def _named(task: DocumentTask, text: str | None) -> str | None:
    """``text`` naming the document as the batch does (not by where this worker opened it)."""
    if text is None or not task.at or task.at == task.path:
        return text
    return text.replace(task.at, task.path)


class _Collect(logging.Handler):
    """Keeps the records of the task running in this thread (see :func:`_captured`)."""

    def emit(self, record: logging.LogRecord) -> None:
        task: DocumentTask | None = getattr(_local, "task", None)
        if task is None or record.levelno < task.log_level:
            return
        # As logging.handlers.QueueHandler.prepare: the message made, so it pickles.
        msg = _named(task, record.getMessage()) or ""
        if record.exc_info:
            msg += "\n" + logging.Formatter().formatException(record.exc_info)
        record = logging.makeLogRecord(record.__dict__)
        record.msg, record.args, record.exc_info, record.exc_text = msg, None, None, None
        _local.records.append(record)


_local = threading.local()
_COLLECT = _Collect()
_worker = False  # this process is a worker: its own log output goes nowhere


def quiet_worker_logging() -> None:
    """In a worker process, formocr's records reach the client only (never stderr here)."""
    global _worker
    _worker = True
    logger = logging.getLogger("formocr")
    logger.handlers = [_COLLECT]
    logger.propagate = False
    logging.getLogger().handlers = []  # a forked worker's, the command's console


@contextmanager
def _captured(task: DocumentTask) -> Iterator[list[logging.LogRecord]]:
    """The task's log records (and Python warnings, logged as the CLI logs them)."""
    logger = logging.getLogger("formocr")
    if _COLLECT not in logger.handlers:
        logger.addHandler(_COLLECT)
    if _worker:
        logger.setLevel(task.log_level)
    records: list[logging.LogRecord] = []
    _local.task, _local.records = task, records
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("default")
            yield records
        for w in said:
            log.warning("%s: %s", w.category.__name__, w.message)
    finally:
        _local.task = None


def absolute(path: str) -> str:
    """Where a worker in another directory (or on another machine, over shared
    storage mounted at the same place) opens ``path``."""
    return os.path.abspath(path)


__all__ = [
    "DocumentTask",
    "Loader",
    "ModelInfo",
    "Models",
    "PageDone",
    "PageTask",
    "Planned",
    "init_pool_worker",
    "install",
    "model_info",
    "page_task",
    "plan_task",
    "quiet_worker_logging",
    "shipped_models",
]
