"""The ``formocr`` command: options -> ScanConfig -> api.scan -> output writer.

Data goes to stdout or the -o file; logs and the progress bar go to stderr.
Exceptions become exit codes in one place (:func:`_exit_codes`):

    0  every document was read
    1  unexpected error (a bug: report it with the -v traceback)
    2  usage error (click)
    3  nothing to scan: no path exists, or none holds a supported file
    4  some documents or pages failed (a page that did not register, or hit a
       bug); the others were written
    5  the model is missing, corrupt or does not match its card
    6  the output could not be written
    7  a form template is invalid (not TOML, a bad field, names used twice)
    8  another run holds the lock on the same output or state file
    9  the Dask scheduler of --scheduler cannot be reached
    130 interrupted (SIGINT, Ctrl-C)
    143 terminated (SIGTERM)

Heavy modules (numpy, OpenCV, onnxruntime) are imported inside the command,
so ``formocr --help`` starts at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from formocr.config import (
    DEFAULT_DPI,
    DEFAULT_MIN_CONFIDENCE,
    DEFAULT_PAGE_TIMEOUT,
    ScanConfig,
    one_opencv_thread,
)
from formocr.errors import ExitCode, FormocrError, Terminated

if TYPE_CHECKING:
    from rich.console import Console

    from formocr.output.writers import Format
    from formocr.parallel import Workers
    from formocr.types import DocumentResult

log = logging.getLogger("formocr")
# Failures and fatal errors: the lines that -q keeps (one per failed document
# or page), so a cron mail always shows what went wrong.
report = logging.getLogger("formocr.report")

app = typer.Typer(
    name="formocr",
    help="Read handwritten digits in the printed boxes of scanned forms and cheques.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


class Dropout(StrEnum):
    auto = "auto"
    none = "none"
    red = "red"
    green = "green"
    blue = "blue"


def _print_version(value: bool) -> None:
    if value:
        from formocr import __version__

        typer.echo(f"formocr {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Read handwritten digits in the printed boxes of scanned forms and cheques."""


# Options that scan and watch share.
DpiOption = Annotated[
    int, typer.Option(min=36, max=2400, help="Resolution to render PDF pages at.")
]
MinConfidenceOption = Annotated[
    float,
    typer.Option(
        min=0.0, max=1.0, help="Fields whose least certain digit is below this: 'review'."
    ),
]
ModelOption = Annotated[
    Path | None,
    typer.Option(
        exists=True,
        dir_okay=False,
        readable=True,
        resolve_path=True,
        help="ONNX digit model (its .json card beside it); default the shipped one.",
        show_default=False,
    ),
]
VerboseOption = Annotated[
    bool, typer.Option("-v", "--verbose", help="Debug logging, tracebacks on errors.")
]
TemplateOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--template",
        "-t",
        exists=True,
        dir_okay=False,
        readable=True,
        help="Form template (TOML): read its fields by name. Repeat it to match each "
        "page to the best fitting of several.",
        show_default=False,
    ),
]
DropoutOption = Annotated[
    Dropout,
    typer.Option(
        case_sensitive=False,
        help="Colour scans of forms printed in red, green or light blue: read each page "
        "by its printing's colour (auto: found per page; a PDF is rendered in colour "
        "only if its first page shows one), so pale boxes are found and the ink stays "
        "dark; none: plain greyscale.",
    ),
]
JobsOption = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        envvar="FORMOCR_JOBS",
        help="Worker processes reading pages in parallel (default: the usable CPUs); "
        "1 reads in this process. The output is the same.",
        show_default=False,
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        envvar="FORMOCR_SCHEDULER",
        help="Read the pages on a Dask cluster (tcp://HOST:8786; needs formocr[dask]). "
        "Workers open the inputs at the same absolute paths: shared storage.",
        show_default=False,
    ),
]


@app.command()
def scan(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="PDF, TIFF, PNG or JPEG files, directories (searched recursively) "
            "or quoted glob patterns.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            dir_okay=False,
            help="Write results to this file (replaced only when the batch is done); "
            "default (or '-') stdout.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            "-f",
            case_sensitive=False,
            help="Output format; default from the -o extension, else csv.",
            show_default=False,
        ),
    ] = None,
    dpi: DpiOption = DEFAULT_DPI,
    min_confidence: MinConfidenceOption = DEFAULT_MIN_CONFIDENCE,
    model: ModelOption = None,
    max_pages: Annotated[
        int | None,
        typer.Option(min=1, help="Fail documents with more pages than this.", show_default=False),
    ] = None,
    template: TemplateOption = None,
    dropout: DropoutOption = Dropout.auto,
    page_timeout: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=86400.0,
            help="Seconds one page may take to render and to read; a page over it is a "
            "page error (exit 4) and the batch goes on. 0: no limit.",
        ),
    ] = DEFAULT_PAGE_TIMEOUT,
    state: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False,
            help="Resume state (SQLite): documents finished there are not read again. "
            "Default with -o: OUTPUT.formocr-state.sqlite beside it; without -o: none.",
            show_default=False,
        ),
    ] = None,
    no_state: Annotated[
        bool, typer.Option("--no-state", help="Keep no state: read every document.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Read every document again, even those the state holds."),
    ] = False,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help=(
                "Read again the documents the state holds as failed or with a failed page "
                "(once the cause is fixed, e.g. poppler installed); take the others from it."
            ),
        ),
    ] = False,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="If another run holds the output or state, wait for it (default: exit 8).",
        ),
    ] = False,
    wait_timeout: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            help="With --wait: give up (exit 8) after this many seconds.",
            show_default=False,
        ),
    ] = None,
    jobs: JobsOption = None,
    scheduler: SchedulerOption = None,
    verbose: VerboseOption = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "-q", "--quiet", help="For cron: only errors, one line per failed document or page."
        ),
    ] = False,
) -> None:
    """Read the digits in the boxes of every page and write one record per field."""
    if verbose and quiet:
        raise typer.BadParameter("give -v or -q, not both", param_hint="'-v' / '-q'")
    if state is not None and no_state:
        raise typer.BadParameter("give --state or --no-state, not both", param_hint="'--state'")
    output = _dash_is_stdout(output)
    chosen = _format(fmt, output)
    workers = _workers(jobs, scheduler)
    console = _stderr_console()
    _setup_logging(console, verbose, quiet)
    with _exit_codes(verbose), _signals(), _warnings_logged():
        from formocr.batch.run import run_batch
        from formocr.batch.state import default_state_path
        from formocr.templates.template import load_templates

        config = ScanConfig(
            dpi=dpi,
            min_confidence=min_confidence,
            model=model,
            max_pages=max_pages,
            templates=load_templates(template or []),
            dropout=dropout.value,
            page_timeout=page_timeout or None,
        )
        if state is None and output is not None and not no_state:
            state = default_state_path(output)
        show_bar = console.is_terminal and not quiet
        summary = run_batch(
            paths,
            config,
            chosen,
            output,
            state_path=None if no_state else state,
            force=force,
            retry_failed=retry_failed,
            wait=wait,
            wait_timeout=wait_timeout,
            progress=_BarProgress(console) if show_bar else None,
            on_document=_report_failures if quiet else None,
            protect=[*(template or []), *([model] if model else [])],
            workers=workers,
        )
        where = f"; results in {output}" if output else ""
        bad_pages = f" ({summary.failed_pages} pages not read)" if summary.failed_pages else ""
        log.info(
            "%d documents, %d pages, %d failed%s%s",
            summary.documents,
            summary.pages,
            summary.failed_documents,
            bad_pages,
            where,
        )
    if summary.failed:
        raise typer.Exit(int(ExitCode.PARTIAL))


def _workers(jobs: int | None, scheduler: str | None) -> Workers:
    """Where pages are read: --scheduler's cluster, else --jobs local processes."""
    from formocr.parallel import Workers
    from formocr.parallel.pool import usable_cpus

    if scheduler:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise typer.BadParameter(
                "needs dask.distributed: pip install 'formocr[dask]'", param_hint="'--scheduler'"
            ) from None
        return Workers(scheduler=scheduler)
    workers = Workers(jobs=jobs or usable_cpus())
    if workers.serial:
        # Pages are read here, one at a time, as in a worker (the renderer runs
        # beside the reader). The CLI owns this process; the library leaves
        # OpenCV's threads to its caller.
        one_opencv_thread()
    return workers


def _report_failures(doc: DocumentResult, reused: bool) -> None:
    """Under -q: one line on stderr per failed document or page."""
    if doc.status == "failed":
        report.error("%s", _located(doc.source, None, doc.error or "failed"))
    for p in doc.pages:
        if p.error is not None:
            report.error("%s", _located(doc.source, p.page, p.error))


def _located(source: str, page: int | None, message: str) -> str:
    """``message``, starting with the file (and page) it is about."""
    if message.startswith(source):
        return message
    return f"{source}: page {page}: {message}" if page else f"{source}: {message}"


@app.command("watch")
def watch_cmd(
    folder: Annotated[
        Path,
        typer.Argument(
            exists=True, file_okay=False, help="The hot folder to watch.", show_default=False
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            dir_okay=False,
            help="JSONL file: one line appended (and fsynced) per document.",
            show_default=False,
        ),
    ],
    done: Annotated[
        Path,
        typer.Option(file_okay=False, help="Read files are moved here.", show_default=False),
    ],
    failed: Annotated[
        Path,
        typer.Option(
            file_okay=False,
            help="Files whose document or a page failed are moved here (their line says why).",
            show_default=False,
        ),
    ],
    state: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False,
            help="State file (default OUTPUT.formocr-state.sqlite): a restart goes on from it.",
            show_default=False,
        ),
    ] = None,
    settle: Annotated[
        float,
        typer.Option(
            min=0.0, help="Seconds a file's size and time must stay unchanged before it is read."
        ),
    ] = 2.0,
    poll: Annotated[
        bool,
        typer.Option("--poll", help="Poll the folder (network shares where inotify sees nothing)."),
    ] = False,
    once: Annotated[
        bool, typer.Option("--once", help="Read what is in the folder, then exit.")
    ] = False,
    dpi: DpiOption = DEFAULT_DPI,
    min_confidence: MinConfidenceOption = DEFAULT_MIN_CONFIDENCE,
    model: ModelOption = None,
    template: TemplateOption = None,
    dropout: DropoutOption = Dropout.auto,
    jobs: JobsOption = None,
    scheduler: SchedulerOption = None,
    verbose: VerboseOption = False,
    quiet: Annotated[
        bool,
        typer.Option("-q", "--quiet", help="Only errors, one line per failed document or page."),
    ] = False,
) -> None:
    """Watch a hot folder: read each file once it is complete, append it to OUTPUT, move it.

    Stops cleanly on SIGTERM or Ctrl-C, after the document in hand (exit 0);
    a second signal stops at once. Restarted, it goes on where it stopped.
    """
    if verbose and quiet:
        raise typer.BadParameter("give -v or -q, not both", param_hint="'-v' / '-q'")
    if output.suffix.lower() != ".jsonl":
        raise typer.BadParameter(
            f"watch appends JSON lines: name the output .jsonl, not {output.name!r}",
            param_hint="'-o' / '--output'",
        )
    workers = _workers(jobs, scheduler)
    console = _stderr_console()
    _setup_logging(console, verbose, quiet)
    stop = threading.Event()
    with _exit_codes(verbose), _stop_on_signals(stop), _warnings_logged():
        from formocr.batch.state import default_state_path
        from formocr.batch.watch import WatchOptions, watch
        from formocr.templates.template import load_templates

        config = ScanConfig(
            dpi=dpi,
            min_confidence=min_confidence,
            model=model,
            templates=load_templates(template or []),
            dropout=dropout.value,
        )
        opts = WatchOptions(
            folder=folder,
            output=output,
            done=done,
            failed=failed,
            state=state or default_state_path(output),
            settle=settle,
            poll=poll,
            once=once,
        )
        log.info("watching %s; results to %s", folder, output)
        summary = watch(
            opts,
            config,
            stop=stop,
            on_document=_report_failures if quiet else None,
            workers=workers,
        )
        log.info("stopped: %d documents, %d failed", summary.documents, summary.failed_documents)


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` (finish the document in hand); a second one interrupts."""

    def handle(signum: int, frame: object) -> None:
        if stop.is_set():
            raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt
        log.info("stopping after the document in hand (signal %d)", signum)
        stop.set()

    old = {s: signal.signal(s, handle) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


template_app = typer.Typer(
    help="Form templates: draft one from a blank form.", no_args_is_help=True
)
app.add_typer(template_app, name="template")


@template_app.command("init")
def template_init(
    source: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="A blank (or filled) form: PDF (first page), TIFF, PNG or JPEG.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            dir_okay=False,
            help="Write the template (TOML) here; default (or '-') stdout.",
            show_default=False,
        ),
    ] = None,
    dpi: Annotated[
        int, typer.Option(min=36, max=2400, help="Resolution to render a PDF page at.")
    ] = DEFAULT_DPI,
    name: Annotated[
        str | None,
        typer.Option(help="The form's name (default: the file name).", show_default=False),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("-v", "--verbose", help="Debug logging, tracebacks on errors.")
    ] = False,
) -> None:
    """Draft a template: every printed box on the first page, as field_001, field_002, ...

    Rename the fields (and add length, pattern, check or min_confidence) in the
    file it writes; then read forms with 'formocr scan --template FILE'.
    """
    console = _stderr_console()
    _setup_logging(console, verbose, quiet=False)
    with _exit_codes(verbose):
        from formocr.output.writers import atomic_text
        from formocr.templates.draft import draft_template
        from formocr.templates.template import template_to_toml

        output = _dash_is_stdout(output)
        tpl = draft_template(source, dpi=dpi, name=name)
        with atomic_text(output) as out:
            out.write(template_to_toml(tpl))
        where = f" to {output}" if output else ""
        log.info("template %r: %d fields%s", tpl.name, len(tpl.fields), where)


def _dash_is_stdout(output: Path | None) -> Path | None:
    """``-o -`` is stdout, as with no ``-o`` (not a file named "-")."""
    return None if output is not None and str(output) == "-" else output


def _format(fmt: OutputFormat | None, output: Path | None) -> Format:
    from formocr.output.writers import format_for

    if fmt is not None:
        return cast("Format", fmt.value)
    if output is None:
        return "csv"
    chosen = format_for(output)
    if chosen is None:
        raise typer.BadParameter(
            f"cannot tell the format from {output.name!r}; name it .csv, .json or .jsonl, "
            "or give --format",
            param_hint="'-o' / '--output'",
        )
    return chosen


@contextlib.contextmanager
def _exit_codes(verbose: bool) -> Iterator[None]:
    """The one place where exceptions become messages and exit codes."""
    try:
        yield
    except FormocrError as e:
        report.error("%s", e, exc_info=verbose)
        raise typer.Exit(int(e.exit_code)) from None
    except KeyboardInterrupt:
        report.error("interrupted; no output file was written or replaced")
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except Terminated:
        report.error("terminated (SIGTERM); no output file was written or replaced")
        raise typer.Exit(int(ExitCode.TERMINATED)) from None
    except BrokenPipeError:
        # The reader of stdout went away (| head): stop quietly, and keep
        # Python from failing again when it flushes stdout at exit.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(int(ExitCode.OUTPUT)) from None
    except Exception as e:
        report.error(
            "unexpected error: %s: %s; please report it with the output of -v",
            type(e).__name__,
            e,
            exc_info=verbose,
        )
        raise typer.Exit(int(ExitCode.UNEXPECTED)) from None


def _stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


_HANDLER_TAG = "_formocr_cli"


def _setup_logging(console: Console, verbose: bool, quiet: bool) -> None:
    """Log to stderr: rich on a terminal, plain lines under cron and pipes."""
    handler: logging.Handler
    if console.is_terminal:
        from rich.logging import RichHandler

        handler = RichHandler(console=console, show_time=False, show_path=False)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("formocr: %(levelname)s: %(message)s"))
    setattr(handler, _HANDLER_TAG, True)
    logger = logging.getLogger("formocr")
    for old in [h for h in logger.handlers if getattr(h, _HANDLER_TAG, False)]:
        logger.removeHandler(old)
    logger.addHandler(handler)
    # Under -q only the report logger speaks (errors, one line per failure);
    # the library's own warnings and errors would say some of them twice.
    logger.setLevel(logging.DEBUG if verbose else logging.CRITICAL if quiet else logging.INFO)
    logger.propagate = False
    logging.getLogger("formocr.report").setLevel(logging.ERROR if quiet else logging.NOTSET)


@contextlib.contextmanager
def _signals() -> Iterator[None]:
    """SIGTERM (kill, systemd, timeout) cleans up as Ctrl-C does, then exits 143."""

    def terminate(signum: int, frame: object) -> None:
        raise Terminated

    try:
        old = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def _warnings_logged() -> Iterator[None]:
    """Python warnings from libraries (Pillow, ...) as log lines, never printed raw.

    Shown as warnings with -v or by default, hidden under -q: what matters
    for a page reaches its error.
    """

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: object = None,
        line: str | None = None,
    ) -> None:
        log.warning("%s: %s", category.__name__, message)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


class _BarProgress:
    """A rich progress bar on stderr (only used when stderr is a terminal)."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}", style="dim"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self._task = self._bar.add_task("scanning", total=None)
        # Pages against the pages of the documents planned so far (with --jobs > 1).
        self._pages = self._bar.add_task("pages", total=None)
        self._known = 0

    def start(self, total_files: int) -> None:
        self._bar.update(self._task, total=total_files)
        self._bar.start()

    def pages_known(self, source: str, pages: int) -> None:
        self._known += pages
        self._bar.update(self._pages, total=self._known)

    def page(self, source: str, page: int) -> None:
        self._bar.update(self._task, description=f"{Path(source).name} p.{page}")
        self._bar.advance(self._pages)

    def advance(self, source: str, pages: int) -> None:
        self._bar.advance(self._task)

    def finish(self) -> None:
        self._bar.update(self._task, description="done")
        self._bar.stop()


def main() -> None:
    """Console entry point (``formocr``)."""
    app(prog_name="formocr")
