"""A long document's page results, kept on disk until the document is written.

Pages come back from the workers out of order and a document is recorded
and written only once all of them are back. A dense page's
:class:`~formocr.types.PageResult` is ~100 KiB of Python objects (~16 KiB
pickled), so holding a 500-page document's results would grow the batch's
memory with the page count. :class:`PageSpool` pickles each page as it
arrives into a temporary file (in memory up to ``SPOOL_IN_MEMORY`` bytes,
then on disk) and gives them back one at a time, in page order.

A document of at most ``SMALL_DOCUMENT`` pages gets a plain tuple, as the
serial path gives; a longer one a :class:`SpooledPages`: a read-only
sequence that loads each page when it is asked for (what the writers, the
state and the summary do: one pass each, a page at a time). It compares
equal to the tuple of the same pages and pickles as that tuple.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator, Sequence
from typing import IO, Any, overload

from formocr.types import PageResult

SPOOL_IN_MEMORY = 1 << 20  # bytes of pickled pages kept in memory before the file
SMALL_DOCUMENT = 16  # pages: a document this short is a tuple, as before


class PageSpool:
    """Pages put in any order (a page put again replaces it); :meth:`pages` in page order."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._end = 0
        self._at: dict[int, tuple[int, int]] = {}  # page -> (offset, length)
        self._handed = False  # pages() gave the file away

    def __len__(self) -> int:
        return len(self._at)

    def __contains__(self, page: object) -> bool:
        return page in self._at

    def put(self, page: int, result: PageResult) -> None:
        if self._handed:
            raise ValueError("the spool's pages were handed over already")
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        if self._file is None:
            self._file = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed in close())
                max_size=SPOOL_IN_MEMORY, prefix="formocr-pages-"
            )
        self._file.seek(self._end)
        self._file.write(data)
        self._at[page] = (self._end, len(data))
        self._end += len(data)

    def pages(self, count: int) -> Sequence[PageResult]:
        """Pages 1..count (all put), as a tuple for a short document, else a
        :class:`SpooledPages` that now owns the file: nothing more can be put."""
        if self._handed:
            raise ValueError("the spool's pages were handed over already")
        missing = [i for i in range(1, count + 1) if i not in self._at]
        if missing or len(self._at) != count:
            raise ValueError(f"the spool holds pages {sorted(self._at)}, not 1..{count}")
        index = tuple(self._at[i] for i in range(1, count + 1))
        file, self._file, self._end = self._file, None, 0
        self._handed = True
        if file is None:
            return ()
        spooled = SpooledPages(file, index)
        if count <= SMALL_DOCUMENT:
            pages = tuple(spooled)
            spooled.close()
            return pages
        return spooled

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file, self._end, self._handed = None, 0, True


class SpooledPages(Sequence[PageResult]):
    """A document's pages, read back from a spool file one at a time."""

    def __init__(self, file: IO[bytes], index: tuple[tuple[int, int], ...]) -> None:
        self._file: IO[bytes] | None = file
        self._index = index

    def __len__(self) -> int:
        return len(self._index)

    @overload
    def __getitem__(self, i: int) -> PageResult: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[PageResult, ...]: ...

    def __getitem__(self, i: int | slice) -> PageResult | tuple[PageResult, ...]:
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self))))
        offset, length = self._index[i]  # IndexError past the end, as a tuple
        if self._file is None:
            raise ValueError("the spooled pages were closed")
        self._file.seek(offset)
        page = pickle.loads(self._file.read(length))
        assert isinstance(page, PageResult)
        return page

    def __iter__(self) -> Iterator[PageResult]:
        for i in range(len(self._index)):
            yield self[i]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SpooledPages | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"SpooledPages({len(self)} pages)"

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (tuple(self),))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __del__(self) -> None:
        self.close()


__all__ = ["SMALL_DOCUMENT", "PageSpool", "SpooledPages"]
