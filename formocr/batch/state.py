"""The resume state: every finished document, in SQLite, committed one by one.

A document is keyed by the sha256 of its bytes and a *fingerprint* of what
else decides its result: formocr's version, the model's sha256 and every
option of :class:`~formocr.config.ScanConfig` (templates included). A
re-run with the same key takes the result from here instead of reading the
file again; a changed file, model or option reads it anew. The state is in
WAL mode and committed after each document, so a run killed at any moment
loses at most the document it was reading.

Results are stored as JSON at full precision (not the output's rounding), so
a resumed run writes exactly what an uninterrupted one would.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import sqlite3
import tempfile
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from formocr.config import ScanConfig
from formocr.errors import OutputError
from formocr.output.spool import PageSpool
from formocr.output.writers import with_pages
from formocr.types import DocumentResult, PageResult

SCHEMA_VERSION = 1
STATE_SUFFIX = ".formocr-state.sqlite"
_INLINE_MAX = 1 << 20  # bytes of JSON: a longer document's goes in through a blob


def default_state_path(output: Path) -> Path:
    """Where ``-o results.csv`` keeps its state: ``results.csv.formocr-state.sqlite``."""
    return output.with_name(output.name + STATE_SUFFIX)


def file_sha256(path: Path) -> str | None:
    """The sha256 of a file's bytes; None when it cannot be read (it will fail anyway)."""
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except (OSError, ValueError):
        return None


def fingerprint(config: ScanConfig, model_sha256: str) -> str:
    """A digest of everything but the file that decides a document's result."""
    from formocr import __version__

    options = dataclasses.asdict(config)
    options.pop("model", None)  # the model counts by its content, below
    text = json.dumps(
        {"formocr": __version__, "model": model_sha256, "options": options},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


class State:
    """Finished documents of the runs on one output (one writer at a time: see lock).

    ``retry_failed``: a document recorded as failed, or with a page that
    failed, is not taken from the state (``get`` answers None): it is read
    again, and the new result replaces it.
    """

    def __init__(self, path: Path, retry_failed: bool = False) -> None:
        self.path = Path(path)
        self.retry_failed = retry_failed
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # durable across a crash of ours
            self._db.executescript(
                """
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE IF NOT EXISTS documents (
                    sha256 TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    result TEXT NOT NULL,
                    failed INTEGER NOT NULL,
                    PRIMARY KEY (sha256, fingerprint)
                );
                CREATE TABLE IF NOT EXISTS emitted (
                    seq INTEGER PRIMARY KEY,
                    source TEXT NOT NULL,
                    sha256 TEXT,
                    end_offset INTEGER NOT NULL,
                    moved INTEGER NOT NULL DEFAULT 0
                );
                """
            )
            row = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif row[0] != str(SCHEMA_VERSION):
                raise OutputError(
                    f"{self.path}: state file of another formocr version (schema {row[0]}); "
                    "remove it, or give another --state"
                )
        except sqlite3.Error as e:
            raise OutputError(
                f"{self.path}: cannot use this state file ({e}); remove it if it is not "
                "formocr's, or give another --state"
            ) from e

    def get(self, sha256: str, fp: str, source: str) -> DocumentResult | None:
        """The stored result for this content and fingerprint, named ``source``."""
        row = self._db.execute(
            "SELECT result FROM documents WHERE sha256=? AND fingerprint=?", (sha256, fp)
        ).fetchone()
        if row is None:
            return None
        doc = decode(row[0])
        if self.retry_failed and doc.incomplete:
            return None
        return dataclasses.replace(doc, source=source)

    def put(self, sha256: str, fp: str, doc: DocumentResult) -> None:
        """Record a finished document; committed before this returns.

        The JSON is made a page at a time into a temporary file; a long
        document's (~30 KiB a dense page) is copied into the row through
        SQLite's incremental blob I/O, so it is never whole in memory.
        """
        failed = int(doc.status == "failed")
        try:
            with tempfile.SpooledTemporaryFile(max_size=_INLINE_MAX) as spool:
                for chunk in _encode_chunks(doc):
                    spool.write(chunk.encode("ascii"))
                size = spool.tell()
                spool.seek(0)
                if size <= _INLINE_MAX:
                    text = spool.read().decode("ascii")
                    self._db.execute(
                        "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?)",
                        (sha256, fp, text, failed),
                    )
                    return
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    cur = self._db.execute(
                        "INSERT OR REPLACE INTO documents VALUES (?, ?, zeroblob(?), ?)",
                        (sha256, fp, size, failed),
                    )
                    assert cur.lastrowid is not None
                    with self._db.blobopen("documents", "result", cur.lastrowid) as blob:
                        while data := spool.read(_INLINE_MAX):
                            blob.write(data)
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
        except sqlite3.Error as e:
            raise OutputError(f"{self.path}: cannot record a result ({e})") from e

    # -- the hot folder: what it appended to its output, and moved ----------------

    def last_offset(self) -> int | None:
        """Where the output ended after the last line recorded (None: no line yet)."""
        row = self._db.execute("SELECT end_offset FROM emitted ORDER BY seq DESC").fetchone()
        return None if row is None else int(row[0])

    def unmoved(self, source: str, sha256: str | None) -> int | None:
        """The record of a file whose line is in the output but which was not moved yet."""
        row = self._db.execute(
            "SELECT seq FROM emitted WHERE source=? AND sha256 IS ? AND moved=0",
            (_db_text(source), sha256),
        ).fetchone()
        return None if row is None else int(row[0])

    def emitted(self, source: str, sha256: str | None, end_offset: int) -> int:
        """Record that ``source``'s line is in the output, which now ends at ``end_offset``."""
        try:
            cur = self._db.execute(
                "INSERT INTO emitted (source, sha256, end_offset) VALUES (?, ?, ?)",
                (_db_text(source), sha256, end_offset),
            )
        except sqlite3.Error as e:
            raise OutputError(f"{self.path}: cannot record a result ({e})") from e
        return int(cur.lastrowid or 0)

    def moved(self, seq: int) -> None:
        self._db.execute("UPDATE emitted SET moved=1 WHERE seq=?", (seq,))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _db_text(s: str) -> str:
    """A file name SQLite can store (its undecodable bytes as JSON escapes)."""
    return json.dumps(s)


# -- DocumentResult <-> JSON ------------------------------------------------------------


def encode(doc: DocumentResult) -> str:
    """A document as JSON text, every float at full precision."""
    return "".join(_encode_chunks(doc))


def _encode_chunks(doc: DocumentResult) -> Iterator[str]:
    """``json.dumps(dataclasses.asdict(doc))``, the same text, a page at a time
    (``doc.pages`` may be pages spooled to disk: formocr.output.spool).
    ASCII: surrogates escaped."""
    # pages is the last field of a DocumentResult
    head = json.dumps(_tree(dataclasses.replace(doc, pages=())), default=_plain)
    pages = (json.dumps(_tree(page), default=_plain) for page in doc.pages)
    yield from with_pages(head, pages)


_ATOMS = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _field_names(tp: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(tp))


def _tree(o: Any) -> Any:
    """What ``json.dumps`` writes the same as ``dataclasses.asdict(o)``: records
    as dicts in field order, tuples (named or not) and lists as lists, scalars
    as they are (numpy's by ``_plain``). asdict deep-copies every leaf; this
    does not, and costs a fifth of it (the client encodes every page)."""
    tp = type(o)
    if tp in _ATOMS:
        return o
    if dataclasses.is_dataclass(tp):
        return {name: _tree(getattr(o, name)) for name in _field_names(tp)}
    if isinstance(o, (list, tuple)):
        return [_tree(v) for v in o]
    if isinstance(o, dict):
        return {_tree(k): _tree(v) for k, v in o.items()}
    return o


def decode(text: str | bytes) -> DocumentResult:
    """A document from :func:`encode`'s text; a long one's pages are decoded one
    at a time into a page spool (on disk), never all in memory as dicts."""
    if len(text) <= _INLINE_MAX:
        return _build(DocumentResult, json.loads(text))  # type: ignore[no-any-return]
    s = text if isinstance(text, str) else text.decode("ascii")
    # Outside a JSON string no '"pages": [' can be: inside one its quotes are escaped.
    key = '"pages": ['
    k = s.find(key)
    if k < 0:
        return _build(DocumentResult, json.loads(s))  # type: ignore[no-any-return]
    doc = _build(DocumentResult, json.loads(s[:k] + '"pages": []}'))
    spool = PageSpool()
    decoder = json.JSONDecoder()
    i = k + len(key)
    while s[i] != "]":
        page, i = decoder.raw_decode(s, i)
        spool.put(len(spool) + 1, _build(PageResult, page))
        if s.startswith(", ", i):
            i += 2
    if s[i:].strip() != "]}":
        raise ValueError("a state record ends with more than its pages")
    return dataclasses.replace(doc, pages=spool.pages(len(spool)))


def _plain(o: Any) -> Any:
    if hasattr(o, "item"):  # a numpy scalar
        return o.item()
    raise TypeError(f"cannot store a {type(o).__name__} in the state")


@functools.cache
def _hints(tp: type) -> dict[str, Any]:
    return get_type_hints(tp)


def _build(tp: Any, v: Any) -> Any:
    """Rebuild a value of type ``tp`` from what ``encode`` wrote (records, tuples, scalars)."""
    return _builder(tp)(v)


def _keep(v: Any) -> Any:
    return v


@functools.cache
def _builder(tp: Any) -> Callable[[Any], Any]:
    """The function that rebuilds a ``tp`` from its JSON value (None stays None).

    Made once per type from its hints, so decoding a document walks its values
    without asking ``typing`` about every one of them again (a resumed batch
    decodes every finished document to write the output)."""
    build: Callable[[Any], Any] = _keep
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = _hints(tp)
        parts = [(f.name, _builder(hints[f.name])) for f in dataclasses.fields(tp)]

        def build(v: Any) -> Any:
            return tp(**{name: b(v[name]) for name, b in parts if name in v})

    elif isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields"):
        hints = _hints(tp)
        items = [_builder(hints[n]) for n in tp._fields]

        def build(v: Any) -> Any:
            return tp(*(b(x) for b, x in zip(items, v, strict=True)))

    elif get_origin(tp) is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            each = _builder(args[0])

            def build(v: Any) -> Any:
                return tuple(each(x) for x in v)

        else:
            items = [_builder(a) for a in args]

            def build(v: Any) -> Any:
                return tuple(b(x) for b, x in zip(items, v, strict=True))

    elif get_origin(tp) in (Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        if len(options) == 1:
            build = _builder(options[0])
    elif tp is float:
        build = float

    if build is _keep:
        return _keep

    def or_none(v: Any) -> Any:
        return None if v is None else build(v)

    return or_none
