"""CSV, JSON and JSONL writers: streamed, and atomic when writing a file.

A batch may be thousands of documents, so each document is written as it
completes, into a temporary file beside the target (``.NAME.PID.part``); the
temporary file replaces the target only when the batch has finished. Any
failure, an interrupt included, leaves the target as it was; a later run
removes the ``.part`` files of runs that were killed outright. Without a
target the writers stream to stdout.

Output is UTF-8 whatever the locale. Text that is not valid UTF-8 (a file
name's undecodable bytes, which Python carries as lone surrogates) is
written with each such byte as ``\\xNN`` (:func:`clean_text`); CSV cells
that a spreadsheet would run as a formula are neutralised (:func:`csv_text`).

The JSON layout is fixed by ``formocr/output/schema/results.schema.json``; a JSONL
line is one ``$defs/document`` object.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, Protocol, TextIO, cast

from formocr.errors import OutputError
from formocr.types import DigitResult, DocumentResult, FieldResult, PageResult

Format = Literal["csv", "json", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "json", "jsonl")
CSV_COLUMNS = (
    "source",
    "page",
    "field",
    "value",
    "confidence",
    "status",
    "x",
    "y",
    "width",
    "height",
    "error",
    "reason",
    "template",
    "raw",
)
DECIMALS = 4
_BY_SUFFIX: dict[str, Format] = {f".{f}": f for f in FORMATS}
# The reason on a CSV row for a page where no box was found (when the page
# carries no reason of its own).
NO_FIELDS_REASON = "no boxes found on the page"
# OWASP's list of characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RunInfo:
    """What produced the results: goes into the JSON header."""

    version: str
    model_name: str
    model_sha256: str


def format_for(path: Path | None) -> Format | None:
    """The format a file name asks for (.csv, .json, .jsonl), or None."""
    if path is None:
        return None
    return _BY_SUFFIX.get(path.suffix.lower())


# -- text that is safe to write --------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(s: str) -> str:
    """``s`` as valid UTF-8 text: each undecodable byte of a file name as ``\\xNN``.

    File names on Linux are bytes; Python decodes the bytes that are not
    UTF-8 to lone surrogates (PEP 383), which no UTF-8 output can hold. They
    are shown the way Python's ``backslashreplace`` shows bytes:
    ``b"\\xff\\xfe.png"`` is written ``\\xff\\xfe.png``.
    """
    if not _SURROGATE.search(s):
        return s
    try:
        return s.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that is no escaped byte
        return s.encode("utf-8", "backslashreplace").decode("utf-8")


def csv_text(s: str) -> str:
    """A CSV cell a spreadsheet shows as text: formulas neutralised as OWASP advises.

    A cell beginning with ``=`` ``+`` ``-`` ``@``, tab or carriage return
    gets a leading ``'``, so ``=HYPERLINK(...)`` in a file or field name is
    shown, not run. Only text taken from files and templates passes through
    here; the numbers formocr writes itself (page, confidence, box) do not.
    """
    s = clean_text(s)
    return "'" + s if s.startswith(FORMULA_START) else s


def _clean(obj: Any) -> Any:
    """Every string of a JSON-ready tree through :func:`clean_text`."""
    if isinstance(obj, str):
        return clean_text(obj)
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


# -- records -> JSON-ready dicts ----------------------------------------------


def _conf(x: float) -> float:
    return round(float(x), DECIMALS)


def digit_dict(d: DigitResult) -> dict[str, Any]:
    return {
        "value": d.value,
        "confidence": _conf(d.confidence),
        "bbox": d.bbox.as_list(),
        "top3": [[v, _conf(p)] for v, p in d.top3],
    }


def field_dict(f: FieldResult) -> dict[str, Any]:
    return {
        "name": f.name,
        "value": f.value,
        "confidence": _conf(f.confidence),
        "status": f.status,
        "bbox": f.bbox.as_list(),
        "digits": [digit_dict(d) for d in f.digits],
        "reason": f.reason,
        "raw": f.raw,
        "alternatives": [
            {"value": a.value, "confidence": _conf(a.confidence), "reader": a.reader}
            for a in f.alternatives
        ],
    }


def page_dict(p: PageResult) -> dict[str, Any]:
    return {
        "page": p.page,
        "width": p.width,
        "height": p.height,
        "dpi": p.dpi,
        "fields": [field_dict(f) for f in p.fields],
        "error": p.error,
        "reason": _page_reason(p),
        "template": p.template,
        "turned": p.turned,
    }


def _page_reason(p: PageResult) -> str | None:
    """Why a page has no fields: its own reason, else that no box was found."""
    if p.reason is None and p.error is None and not p.fields:
        return NO_FIELDS_REASON  # a page made by a caller that gave no reason
    return p.reason


def document_dict(doc: DocumentResult) -> dict[str, Any]:
    """One document as in the JSON "documents" array and on a JSONL line."""
    return cast("dict[str, Any]", _clean(_document_fields(doc, [page_dict(p) for p in doc.pages])))


def _document_fields(doc: DocumentResult, pages: list[dict[str, Any]]) -> dict[str, Any]:
    return {"source": doc.source, "status": doc.status, "error": doc.error, "pages": pages}


def header_dict(info: RunInfo) -> dict[str, Any]:
    return {
        "version": info.version,
        "model": {"name": info.model_name, "sha256": info.model_sha256},
    }


# -- writers -------------------------------------------------------------------


class Writer(Protocol):
    def write(self, doc: DocumentResult) -> None: ...

    def close(self) -> None:
        """Finish the output (the JSON writer closes its array here)."""


class CsvWriter:
    """One row per field; a failed document, or page, is one row with its error.

    Every page has at least one row: a page with no fields gets one with
    empty field columns, status ``review`` and the reason (no boxes found),
    so no page vanishes from the table. ``reason`` (why a field is in
    review), ``template`` (the template the page was read with) and ``raw``
    (digits and separators as written, when the box holds separators) come
    last, so scripts reading the first eleven columns by position keep
    working. Text cells go through :func:`csv_text`.
    """

    def __init__(self, out: TextIO) -> None:
        self._csv = csv.writer(out, lineterminator="\n")
        # csv quotes a cell holding "\n" but not one holding a bare "\r" (it
        # looks only for the line terminator's characters), which readers then
        # split: such rows are written with every cell quoted.
        self._quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        self._csv.writerow(CSV_COLUMNS)

    def _row(self, *cells: object) -> None:
        row = [csv_text(c) if isinstance(c, str) else c for c in cells]
        cr = any(isinstance(c, str) and "\r" in c for c in row)
        (self._quoted if cr else self._csv).writerow(row)

    def write(self, doc: DocumentResult) -> None:
        src = doc.source
        if doc.status == "failed":
            self._row(src, "", "", "", "", "failed", "", "", "", "", doc.error or "", "", "", "")
            return
        for p in doc.pages:
            tpl = p.template or ""
            reason = _page_reason(p) or ""
            if p.error is not None:
                self._row(
                    src, p.page, "", "", "", "failed", "", "", "", "", p.error, reason, tpl, ""
                )
                continue
            if not p.fields:
                self._row(src, p.page, "", "", "", "review", "", "", "", "", "", reason, tpl, "")
                continue
            for f in p.fields:
                # value stays a str, so "007" keeps its zeros; the numbers
                # written here are formatted by formocr, never escaped
                conf = _Number(f"{f.confidence:.{DECIMALS}f}")
                x, y, w, h = f.bbox.as_list()
                self._row(
                    src, p.page, f.name, f.value, conf, f.status, x, y, w, h,
                    "", f.reason or "", tpl, f.raw or "",
                )  # fmt: skip

    def close(self) -> None:
        pass


class _Number(str):
    """A number formocr formatted itself: a CSV cell that is never escaped."""


class JsonlWriter:
    """One document object per line."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, doc: DocumentResult) -> None:
        for chunk in _jsonl_chunks(doc):
            self._out.write(chunk)

    def close(self) -> None:
        pass


def jsonl_line(doc: DocumentResult) -> str:
    """One document as a JSONL line, newline included."""
    return "".join(_jsonl_chunks(doc))


def _jsonl_chunks(doc: DocumentResult) -> Iterator[str]:
    """``json.dumps(document_dict(doc), ensure_ascii=False) + "\\n"``, the same
    text, a page at a time: a long document's pages may wait on disk
    (formocr.output.spool) and are never all in memory as dicts."""
    head = json.dumps(_document_head(doc), ensure_ascii=False)
    pages = (json.dumps(_clean(page_dict(p)), ensure_ascii=False) for p in doc.pages)
    yield from with_pages(head, pages)
    yield "\n"


def with_pages(head: str, pages: Iterable[str]) -> Iterator[str]:
    """The JSON text of an object whose last key is ``"pages": []`` (``head``,
    from ``json.dumps`` with its default separators), with the pages' texts
    in that list: what ``json.dumps`` of the whole object writes, a page at a
    time."""
    end = '"pages": []}'
    if not head.endswith(end):
        raise ValueError(f"not an object ending with an empty pages list: {head[-40:]!r}")
    yield head[: -len(end)] + '"pages": ['
    for i, text in enumerate(pages):
        yield (", " if i else "") + text
    yield "]}"


def _document_head(doc: DocumentResult) -> dict[str, Any]:
    """document_dict without its pages (an empty list)."""
    return cast("dict[str, Any]", _clean(_document_fields(doc, [])))


class JsonWriter:
    """The whole batch as one JSON object, written a document at a time.

    The text is exactly ``json.dumps(results, indent=2)``, so golden files
    diff line by line.
    """

    def __init__(self, out: TextIO, info: RunInfo) -> None:
        self._out = out
        self._count = 0
        head = _dumps({"formocr": header_dict(info)})
        # '{\n  "formocr": {...}\n}' -> keep all but the closing brace
        out.write(head[: head.rindex("\n")] + ',\n  "documents": [')

    def write(self, doc: DocumentResult) -> None:
        # _dumps(document_dict(doc)), each line indented 4 more, a page at a time
        self._out.write(("," if self._count else "") + "\n    ")
        head = _dumps(_document_head(doc))
        end = '"pages": []\n}'
        assert head.endswith(end), head  # "pages" is document_dict's last key
        if not doc.pages:
            self._out.write(head.replace("\n", "\n    "))
        else:
            self._out.write(head[: -len(end)].replace("\n", "\n    ") + '"pages": [')
            for i, p in enumerate(doc.pages):
                text = _dumps(_clean(page_dict(p))).replace("\n", "\n        ")
                self._out.write(("," if i else "") + "\n        " + text)
            self._out.write("\n      ]\n    }")
        self._count += 1

    def close(self) -> None:
        self._out.write("\n  ]\n}\n" if self._count else "]\n}\n")


def _dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False)


def make_writer(fmt: Format, out: TextIO, info: RunInfo) -> Writer:
    if fmt == "csv":
        return CsvWriter(out)
    if fmt == "json":
        return JsonWriter(out, info)
    if fmt == "jsonl":
        return JsonlWriter(out)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


@contextlib.contextmanager
def open_writer(
    fmt: Format, target: Path | None, info: RunInfo, *, stale_parts: bool = False
) -> Iterator[Writer]:
    """A writer to ``target`` (atomically) or to stdout when ``target`` is None.

    The output is finished (and renamed into place) only if the block ends
    without an exception. ``stale_parts``: see :func:`atomic_text`.
    """
    with atomic_text(target, stale_parts=stale_parts) as out:
        writer = make_writer(fmt, out, info)
        yield writer
        writer.close()


# -- where the text goes -----------------------------------------------------------


class Utf8Sink:
    """A text stream over a binary one: UTF-8 always, write errors as OutputError.

    Used for stdout too, so the output's encoding never depends on the
    locale, and a full disk (ENOSPC, ``> /dev/full``) or a closed pipe is an
    :class:`OutputError` (exit code 6) from whichever write or flush meets it.
    """

    def __init__(self, raw: IO[bytes], name: str) -> None:
        self._raw = raw
        self.name = name

    def write(self, s: str) -> int:
        data = s.encode("utf-8", "backslashreplace")
        try:
            self._raw.write(data)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise _write_error(self.name, e) from e
        return len(s)

    def flush(self) -> None:
        try:
            self._raw.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise _write_error(self.name, e) from e


def _write_error(name: str, e: OSError) -> OutputError:
    why = e.strerror or str(e)
    if e.errno == errno.ENOSPC:
        why += "; free some space and run again"
    return OutputError(f"{name}: writing failed ({why}); the output is incomplete")


def check_target(target: Path, inputs: Iterable[Path] = ()) -> None:
    """Refuse a ``-o`` that is not (or would not become) a plain file of its own.

    formocr replaces the target by renaming a new file onto it, which would
    turn a device (``/dev/null``), a FIFO or a symlink into a regular file;
    it refuses those instead. It also refuses to overwrite one of its inputs
    (the same file, by device and inode, under any name).
    """
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as e:
        raise OutputError(f"{target}: cannot write there ({e.strerror})") from e
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{target}: is a directory; give a file name with -o")
    if not stat.S_ISREG(st.st_mode):
        kind = _KINDS.get(stat.S_IFMT(st.st_mode), "special file")
        raise OutputError(
            f"{target}: is a {kind}; -o replaces its file atomically and never replaces "
            "a symlink, device or FIFO: give the path of a regular file, or leave -o out "
            "to write to stdout"
        )
    for p in inputs:
        with contextlib.suppress(OSError):
            s = os.stat(p)
            if (s.st_dev, s.st_ino) == (st.st_dev, st.st_ino):
                raise OutputError(
                    f"{target}: is one of the inputs ({p}); it would be overwritten: "
                    "write the results to another file"
                )


_KINDS = {
    stat.S_IFLNK: "symlink",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
    stat.S_IFIFO: "FIFO",
    stat.S_IFSOCK: "socket",
}


def part_name(target: Path, pid: int | None = None) -> Path:
    """The temporary file a run writes before renaming it onto ``target``."""
    return target.with_name(f".{target.name}.{os.getpid() if pid is None else pid}.part")


def remove_stale_parts(target: Path, *, all_of_them: bool = False) -> list[Path]:
    """Remove the ``.part`` files that runs killed outright left beside ``target``.

    A file is stale when its process is gone (or is this one: a container
    reuses pids). ``all_of_them``: the caller holds the lock on ``target``,
    so no other run is writing one.
    """
    removed = []
    pattern = re.compile(re.escape(f".{target.name}.") + r"(\d+)\.part")
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            m = pattern.fullmatch(entry.name)
            if m and (all_of_them or not _alive(int(m.group(1)))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # ours from a previous life
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


@contextlib.contextmanager
def atomic_text(target: Path | None, *, stale_parts: bool = False) -> Iterator[TextIO]:
    """A UTF-8 text stream that becomes ``target`` only on success; stdout for None.

    ``stale_parts``: the caller holds the lock on ``target``, so every
    ``.part`` file beside it is a leftover (otherwise only those whose
    process is gone are removed).
    """
    if target is None:
        sys.stdout.flush()
        raw = getattr(sys.stdout, "buffer", None)
        if raw is None:  # a text-only stand-in (tests): its own encoding
            yield sys.stdout
            sys.stdout.flush()
            return
        sink = Utf8Sink(raw, "stdout")
        yield cast(TextIO, sink)
        sink.flush()
        return
    target = Path(target)
    check_target(target)
    remove_stale_parts(target, all_of_them=stale_parts)
    tmp = part_name(target)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    except OSError as e:
        raise OutputError(
            f"{target}: cannot write there ({e.strerror}); check that {target.parent} exists "
            "and is writable"
        ) from e
    try:
        with os.fdopen(fd, "wb") as f:
            sink = Utf8Sink(f, str(target))
            yield cast(TextIO, sink)
            sink.flush()
            try:
                os.fsync(f.fileno())
            except OSError as e:
                raise _write_error(str(target), e) from e
        check_target(target)  # made a symlink or FIFO meanwhile? still refuse
        try:
            os.chmod(tmp, _mode_for(target))
            os.replace(tmp, target)
        except OSError as e:
            raise OutputError(
                f"{target}: writing failed ({e.strerror or e}); nothing was written"
            ) from e
    except BaseException:
        _unlink(str(tmp))
        raise


def _mode_for(target: Path) -> int:
    """Keep an existing file's mode; a new file gets the umask's."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
