"""Input discovery: files, directories and globs, and what each file holds (by its content)."""

from __future__ import annotations

import errno
import glob
import logging
import os
import stat
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
    exists at all is that an :class:`InputError` (exit code 3). So is a path
    given by name that is not a regular file (a FIFO, socket or device): it
    is reported, never opened.

    Inside a directory: symlinked files and folders are followed, each real
    folder once (a symlink loop, or a link back up the tree, is skipped with
    a warning); FIFOs, sockets, devices and broken links are skipped with a
    warning, never opened; hidden files and folders (name starting with ".",
    such as macOS's ``._scan.pdf`` resource forks) are skipped with one
    warning per folder.
    """
    out: list[Path] = []
    missing: list[Path] = []
    seen: set[object] = set()

    def add(p: Path) -> None:
        key = _identity(p)
        if key not in seen:
            seen.add(key)
            out.append(p)

    def lost(p: Path, why: str) -> None:
        log.warning("%s: %s", p, why)
        missing.append(p)
        out.append(p)

    for arg in paths:
        p = Path(arg)
        st = _stat(p)
        if st is not None and stat.S_ISDIR(st.st_mode):
            files = _walk(p)
            if not files:
                log.warning("%s: no %s files in this directory", p, _SUPPORTED)
            for f in files:
                add(f)
        elif st is not None and stat.S_ISREG(st.st_mode):
            if _supported(p):
                add(p)
        elif st is not None:
            lost(p, f"{_special(st.st_mode)}, not a regular file: not read")
        elif glob.has_magic(str(arg)):
            matches = sorted(glob.glob(str(arg), recursive=True))
            if not matches:
                lost(p, "no file matches this pattern")
            for m in matches:
                mp = Path(m)
                mst = _stat(mp)
                if mst is not None and stat.S_ISDIR(mst.st_mode):
                    for f in _walk(mp):
                        add(f)
                elif mst is not None and stat.S_ISREG(mst.st_mode):
                    if _supported(mp):
                        add(mp)
                else:
                    _skip_special(mp, mst)
        elif os.path.lexists(p):
            lost(p, "a broken or looping symbolic link: not read")
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


def _stat(p: Path) -> os.stat_result | None:
    """``os.stat`` following links; None when missing, broken, looping or unreadable."""
    try:
        return os.stat(p)
    except (OSError, ValueError):
        return None


def _identity(p: Path) -> object:
    """What makes two paths the same file: (device, inode), else the absolute path."""
    st = _stat(p)
    return (st.st_dev, st.st_ino) if st is not None else os.path.abspath(p)


def _special(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    return "a special file"


def _skip_special(p: Path, st: os.stat_result | None) -> None:
    if st is None:
        log.warning("%s: skipped, a broken or looping symbolic link", p)
    else:
        log.warning("%s: skipped, %s, not a regular file", p, _special(st.st_mode))


def _supported(p: Path) -> bool:
    if p.suffix.lower() in SUFFIXES:
        return True
    log.warning("%s: skipped, not a %s file (by its extension)", p, _SUPPORTED)
    return False


def _walk(top: Path) -> list[Path]:
    """Supported regular files under ``top``, sorted; see :func:`discover` for the policy.

    Symlinked folders are followed, but every real folder is entered once,
    keyed by (st_dev, st_ino), so loops end. Nothing but ``stat`` touches a
    special file.
    """
    out: list[Path] = []
    top_st = _stat(top)
    visited: set[tuple[int, int]] = set()
    if top_st is not None:
        visited.add((top_st.st_dev, top_st.st_ino))
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            log.warning("%s: cannot list this folder (%s); skipped", folder, e.strerror)
            continue
        hidden = [e.name for e in entries if e.name.startswith(".")]
        if hidden:
            shown = ", ".join(hidden[:3]) + (
                f" and {len(hidden) - 3} more" if len(hidden) > 3 else ""
            )
            log.warning("%s: skipped %d hidden entr%s (%s)", folder, len(hidden),
                        "y" if len(hidden) == 1 else "ies", shown)  # fmt: skip
        subdirs: list[Path] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            f = Path(entry.path)
            st = _stat(f)
            if st is None:
                _skip_special(f, st)
            elif stat.S_ISDIR(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if key in visited:
                    log.warning("%s: skipped, a link to a folder already scanned (a loop?)", f)
                    continue
                visited.add(key)
                subdirs.append(f)
            elif stat.S_ISREG(st.st_mode):
                if _supported(f):
                    out.append(f)
            else:
                _skip_special(f, st)
        stack.extend(reversed(subdirs))
    return sorted(out)


# -- what a file holds --------------------------------------------------------------


def _check_file(path: Path) -> Kind:
    """Stat and sniff the file; its content, not its extension, picks the reader."""
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(st.st_mode):
            raise DocumentError(
                f"{path}: {_special(st.st_mode)}, not a regular file: not read; "
                "give the document itself"
            )
        size = st.st_size
        # O_NONBLOCK: should the file be swapped for a FIFO since the stat,
        # opening it must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise DocumentError(f"{path}: not a regular file: not read")
            head = f.read(1024) or b""
    except FileNotFoundError:
        raise DocumentError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise DocumentError(f"{path}: is a directory, not a document") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise DocumentError(f"{path}: a symbolic link loop, not a document") from None
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
