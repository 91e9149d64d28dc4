"""One exception family, each member fixing its exit code.

The CLI maps these onto process exit codes in one place; library code only
raises. Exit code 2 is left to click's usage errors.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    UNEXPECTED = 1  # a bug: please report it, with the -v traceback
    # 2 is click's usage error
    INPUT = 3  # no usable input: a path that does not exist, nothing to scan
    PARTIAL = 4  # some documents failed; the others were written
    MODEL = 5  # the model file is missing, corrupt or does not match its card
    OUTPUT = 6  # the output could not be written
    TEMPLATE = 7  # a form template file is missing, unreadable or invalid
    BUSY = 8  # another run holds the lock on this output or state file
    CLUSTER = 9  # the Dask scheduler of --scheduler cannot be reached
    INTERRUPTED = 130  # SIGINT (Ctrl-C), 128 + 2 as shells report it
    TERMINATED = 143  # SIGTERM (kill, systemd stop, timeout), 128 + 15


class FormocrError(Exception):
    """Base of every error formocr raises on purpose."""

    exit_code: ExitCode = ExitCode.UNEXPECTED


class InputError(FormocrError):
    """A path or set of paths that yields nothing to scan."""

    exit_code = ExitCode.INPUT


class DocumentError(FormocrError):
    """One document cannot be read (corrupt, encrypted, empty, too large).

    Caught where the batch iterates: the document is reported as failed and
    the batch goes on.
    """

    exit_code = ExitCode.PARTIAL


class ModelError(FormocrError):
    exit_code = ExitCode.MODEL


class OutputError(FormocrError):
    exit_code = ExitCode.OUTPUT


class BusyError(FormocrError):
    """Another run holds the lock on the same output or state file.

    Two runs writing one output would interleave or overwrite each other's
    results; the second one stops before reading anything (or waits, with
    ``--wait``).
    """

    exit_code = ExitCode.BUSY


class ClusterError(FormocrError):
    """The Dask cluster of ``--scheduler`` cannot be reached (or dask is not installed).

    Nothing was read; a cron job may simply run again later.
    """

    exit_code = ExitCode.CLUSTER


class Terminated(BaseException):  # noqa: N818 - a signal, like KeyboardInterrupt
    """Raised by the CLI's SIGTERM handler, so cleanup runs as for Ctrl-C."""


class TemplateError(FormocrError):
    """A form template that cannot be used: unreadable, not TOML, or invalid.

    Raised before any page is read, so a typo in a template never costs a
    half-done batch.
    """

    exit_code = ExitCode.TEMPLATE
