"""Input discovery: files, directories and globs, and what each file holds (by its content)."""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from formocr.errors import DocumentError, InputError

if TYPE_CHECKING:
    pass

log = logging.getLogger("formocr")


Kind = Literal["pdf", "tiff", "png", "jpeg"]
SUFFIXES: dict[str, Kind] = {
    ".pdf": "pdf",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
}
_SUPPORTED = "PDF, TIFF, PNG or JPEG"
_PDF_PAGES_MAX = 1_000_000  # pdfinfo -l clamps this to the real page count


# -- discovery ---------------------------------------------------------------


def discover(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Expand files, directories (recursively, sorted) and glob patterns.

    Unsupported files are skipped with a warning. A path that does not exist
    is logged and *kept*, so that the batch reports it as a failed document
    (exit code 4) rather than silently leaving it out; only when no path
    exists at all is that an :class:`InputError` (exit code 3).
    """
    out: list[Path] = []
    missing: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)

    def lost(p: Path, why: str) -> None:
        log.warning("%s: %s", p, why)
        missing.append(p)
        out.append(p)

    for arg in paths:
        p = Path(arg)
        if p.is_dir():
            files = _walk(p)
            if not files:
                log.warning("%s: no %s files in this directory", p, _SUPPORTED)
            for f in files:
                add(f)
        elif p.is_file():
            if _supported(p):
                add(p)
        elif glob.has_magic(str(arg)):
            matches = sorted(glob.glob(str(arg), recursive=True))
            if not matches:
                lost(p, "no file matches this pattern")
            for m in matches:
                mp = Path(m)
                for f in _walk(mp) if mp.is_dir() else [mp]:
                    if _supported(f):
                        add(f)
        else:
            lost(p, "no such file or directory")

    if len(out) == len(missing):
        if missing:
            names = ", ".join(str(m) for m in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise InputError(f"nothing to scan: not found: {names}{more}")
        raise InputError(
            f"nothing to scan: no {_SUPPORTED} files in {', '.join(map(str, paths)) or '(none)'}"
        )
    return out


def _supported(p: Path) -> bool:
    if p.suffix.lower() in SUFFIXES:
        return True
    log.warning("%s: skipped, not a %s file (by its extension)", p, _SUPPORTED)
    return False


def _walk(top: Path) -> list[Path]:
    """Supported files under ``top``, sorted; hidden files and dirs are left out.

    Hidden entries are mostly junk such as macOS's ``._scan.pdf`` resource
    forks, which carry a supported extension but are not documents.
    """
    out: list[Path] = []
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            f = Path(root) / name
            if _supported(f):
                out.append(f)
    return sorted(out)


# -- what a file holds --------------------------------------------------------------


def _check_file(path: Path) -> Kind:
    """Stat and sniff the file; its content, not its extension, picks the reader."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(1024)
    except FileNotFoundError:
        raise DocumentError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise DocumentError(f"{path}: is a directory, not a document") from None
    except OSError as e:
        raise DocumentError(f"{path}: cannot read it ({e.strerror}); check its permissions") from e
    if size == 0:
        raise DocumentError(
            f"{path}: empty file (0 bytes); the scan or the copy failed, scan or copy it again"
        )
    kind = _sniff(head)
    expected = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        what = f"a {expected.upper()} file" if expected else f"a {_SUPPORTED} file"
        raise DocumentError(
            f"{path}: not {what} despite its extension (its content is not "
            f"{_SUPPORTED}); check what produced it"
        )
    if expected is not None and kind != expected:
        log.debug("%s: content is %s, not %s as its extension says", path, kind, expected)
    return kind


def _sniff(head: bytes) -> Kind | None:
    if b"%PDF-" in head:  # some producers put junk before the header
        return "pdf"
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "tiff"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None
