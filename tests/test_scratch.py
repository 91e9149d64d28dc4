"""formocr.io.scratch: a pool's scratch directory, and those of runs killed outright."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from conftest import needs_poppler, write_pdf

from formocr.io.scratch import OWNER, PREFIX, Scratch

# A process that makes a scratch directory, copies a "page" into it, says
# where, and waits to be killed.
OWNER_CODE = (
    "import sys, time; from pathlib import Path; from formocr.io.scratch import Scratch;"
    "s = Scratch(); (Path(s.path) / 'p-000.jpg').write_bytes(b'a page');"
    "print(s.path, flush=True); time.sleep(120)"
)


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary directory of this process and of its children."""
    d = tmp_path / "temp"
    d.mkdir()
    monkeypatch.setenv("TMPDIR", str(d))
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    return d


def _ours(temp: Path) -> list[str]:
    """What formocr left in ``temp`` (libraries may keep files of their own there)."""
    return sorted(p.name for p in temp.iterdir() if p.name.startswith("formocr-"))


def _owner() -> tuple[subprocess.Popen[str], Path]:
    proc = subprocess.Popen([sys.executable, "-c", OWNER_CODE], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, Path(proc.stdout.readline().strip())


def test_a_scratch_directory_is_removed_when_closed(temp: Path) -> None:
    with Scratch() as s:
        path = Path(s.path)
        assert path.parent == temp and path.name.startswith(PREFIX)
        assert (path / OWNER).is_file()
    assert not path.exists()


def test_the_next_scratch_removes_those_of_runs_killed_outright(temp: Path) -> None:
    killed, stale = _owner()
    alive, held = _owner()
    try:
        assert (stale / "p-000.jpg").is_file() and (held / "p-000.jpg").is_file()
        killed.kill()  # kill -9: nothing runs in it
        killed.wait()
        assert stale.exists()
        being_made = temp / (PREFIX + "new")  # no lock file yet
        being_made.mkdir()
        with Scratch() as s:
            assert not stale.exists()  # its owner is gone
            assert (held / "p-000.jpg").is_file()  # its owner lives
            assert being_made.is_dir()
            assert Path(s.path).is_dir()
    finally:
        alive.kill()
        alive.wait()
        killed.kill()
    assert _ours(temp) == sorted([held.name, being_made.name])


@needs_poppler
def test_a_batch_read_here_copies_pages_under_its_own_scratch(
    temp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--jobs 1: a scanned PDF's JPEGs go under a scratch directory of the
    run's own (so a run killed outright leaves them to the next run to
    remove), and nothing is left once the batch is done."""
    import formocr.io.embedded as embedded
    from formocr.batch.run import run_batch
    from formocr.config import ScanConfig

    where: list[str | None] = []
    real = embedded.decode_jpeg

    def decode(data: bytes, shape: tuple[int, int]) -> np.ndarray | None:
        where.append(embedded._scratch)
        return real(data, shape)

    monkeypatch.setattr(embedded, "decode_jpeg", decode)
    pdf = write_pdf(tmp_path / "scan.pdf", pages=2, resolution=300)
    run_batch([pdf], ScanConfig(), "csv", tmp_path / "out.csv")
    assert len(where) == 2 and where[0] == where[1]
    assert where[0] is not None and Path(where[0]).parent == temp
    assert Path(where[0]).name.startswith(PREFIX)
    assert embedded._scratch is None
    assert _ours(temp) == []


def test_another_users_scratch_directory_is_left_alone(
    temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a shared /tmp, another user's scratch directory (0700) cannot even
    be looked into: it is passed over, and this run gets its own."""
    other = temp / (PREFIX + "another-user")
    other.mkdir()
    real = Path.is_file

    def is_file(self: Path) -> bool:
        if other in self.parents:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "is_file", is_file)
    with Scratch() as s:
        assert Path(s.path).is_dir()
    assert _ours(temp) == [other.name]
