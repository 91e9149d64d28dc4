"""CSV, JSON and JSONL writers: streamed, and atomic when writing a file.

A batch may be thousands of documents, so each document is written as it
completes, into a temporary file beside the target; the temporary file
replaces the target only when the batch has finished. Any failure, an
interrupt included, leaves the target as it was. Without a target the
writers stream to stdout.

The JSON layout is fixed by ``formocr/output/schema/results.schema.json``; a JSONL
line is one ``$defs/document`` object.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TextIO

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
    }


def page_dict(p: PageResult) -> dict[str, Any]:
    return {
        "page": p.page,
        "width": p.width,
        "height": p.height,
        "dpi": p.dpi,
        "fields": [field_dict(f) for f in p.fields],
        "error": p.error,
        "template": p.template,
    }


def document_dict(doc: DocumentResult) -> dict[str, Any]:
    """One document as in the JSON "documents" array and on a JSONL line."""
    return {
        "source": doc.source,
        "status": doc.status,
        "error": doc.error,
        "pages": [page_dict(p) for p in doc.pages],
    }


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

    ``reason`` (why a field is in review), ``template`` (the template the
    page was read with) and ``raw`` (digits and separators as written, when
    the box holds separators) come last, so scripts reading the first
    eleven columns by position keep working.
    """

    def __init__(self, out: TextIO) -> None:
        self._csv = csv.writer(out, lineterminator="\n")
        self._csv.writerow(CSV_COLUMNS)

    def write(self, doc: DocumentResult) -> None:
        if doc.status == "failed":
            row: list[object] = [doc.source, "", "", "", "", "failed"]
            self._csv.writerow([*row, "", "", "", "", doc.error, "", "", ""])
            return
        for p in doc.pages:
            tpl = p.template or ""
            if p.error is not None:
                row = [doc.source, p.page, "", "", "", "failed"]
                self._csv.writerow([*row, "", "", "", "", p.error, "", tpl, ""])
                continue
            for f in p.fields:
                # value stays a str, so "007" keeps its zeros
                conf = f"{f.confidence:.{DECIMALS}f}"
                row = [doc.source, p.page, f.name, f.value, conf, f.status, *f.bbox.as_list()]
                self._csv.writerow([*row, "", f.reason or "", tpl, f.raw or ""])

    def close(self) -> None:
        pass


class JsonlWriter:
    """One document object per line."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, doc: DocumentResult) -> None:
        self._out.write(json.dumps(document_dict(doc), ensure_ascii=False) + "\n")

    def close(self) -> None:
        pass


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
        text = _dumps(document_dict(doc)).replace("\n", "\n    ")
        self._out.write(("," if self._count else "") + "\n    " + text)
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
def open_writer(fmt: Format, target: Path | None, info: RunInfo) -> Iterator[Writer]:
    """A writer to ``target`` (atomically) or to stdout when ``target`` is None.

    The output is finished (and renamed into place) only if the block ends
    without an exception.
    """
    with atomic_text(target) as out:
        writer = make_writer(fmt, out, info)
        yield writer
        writer.close()


@contextlib.contextmanager
def atomic_text(target: Path | None) -> Iterator[TextIO]:
    """A text stream that becomes ``target`` only on success; stdout for None."""
    if target is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(target)
    if target.is_dir():
        raise OutputError(f"{target}: is a directory; give a file name with -o")
    directory = target.parent
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".part")
    except OSError as e:
        raise OutputError(
            f"{target}: cannot write there ({e.strerror}); check that {directory} exists "
            "and is writable"
        ) from e
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except OSError as e:
        _unlink(tmp)
        raise OutputError(
            f"{target}: writing failed ({e.strerror or e}); nothing was written"
        ) from e
    except BaseException:
        _unlink(tmp)
        raise


def _mode_for(target: Path) -> int:
    """Keep an existing file's mode; a new file gets the umask's (mkstemp uses 0600)."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
