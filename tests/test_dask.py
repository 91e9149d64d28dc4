"""--scheduler: the page tasks on a dask.distributed cluster give the rows of a local run.

A LocalCluster of two worker processes on loopback stands in for a cluster.
Skipped where dask is not installed; CI installs it (the dev extra).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from conftest import form_image, needs_poppler, write_pdf, write_png  # noqa: E402
from parallel_fakes import MisbehavingModels, PixelClassifier, fake_info  # noqa: E402

import formocr.api  # noqa: E402
from formocr.batch.run import run_batch  # noqa: E402
from formocr.config import ScanConfig  # noqa: E402
from formocr.errors import ClusterError, ExitCode  # noqa: E402
from formocr.parallel import Workers, open_backend  # noqa: E402

pytestmark = needs_poppler


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """Two worker processes, one thread each, on loopback: its scheduler's address."""
    with distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        worker_dashboard_address=None,
    ) as c:
        yield c.scheduler_address


def batch(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = [
        write_pdf(folder / "a.pdf", pages=3),
        folder / "b_broken.pdf",
        write_png(folder / "c.png", form_image(text="615")),
    ]
    files[1].write_bytes(b"%PDF-1.4 nothing else")
    return files


def csv_of(files: list[Path], out: Path, workers: Workers | None, **kw: object) -> str:
    run_batch(files, ScanConfig(), "csv", out, workers=workers, **kw)  # type: ignore[arg-type]
    return out.read_text()


def test_cluster_gives_the_rows_of_a_local_run(cluster: str, tmp_path: Path) -> None:
    files = batch(tmp_path / "in")
    local = csv_of(files, tmp_path / "local.csv", None)
    remote = csv_of(files, tmp_path / "dask.csv", Workers(scheduler=cluster))
    assert remote == local
    assert local.count(",failed,") == 1


def _scratch_of(dask_worker: object) -> tuple[str, str | None]:
    import formocr.io.embedded

    return getattr(dask_worker, "local_directory", ""), formocr.io.embedded._scratch


def test_workers_copy_pages_into_their_own_directory(cluster: str, tmp_path: Path) -> None:
    """A scanned PDF's JPEGs go into the Dask worker's own directory, which
    Dask removes when the worker ends (at once, or for a killed worker when
    the next one starts), not into the machine's /tmp."""
    csv_of(batch(tmp_path / "in"), tmp_path / "dask.csv", Workers(scheduler=cluster))
    with distributed.Client(cluster, set_as_default=False) as client:
        where = client.run(_scratch_of)
    assert len(where) == 2
    for local_directory, scratch in where.values():
        assert local_directory and scratch == local_directory


def test_relative_paths_are_named_as_given(
    cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers open absolute paths; rows and messages name the files as the user did."""
    batch(tmp_path / "in")
    monkeypatch.chdir(tmp_path)
    files = [Path("in/a.pdf"), Path("in/b_broken.pdf")]
    local = csv_of(files, tmp_path / "local.csv", None)
    remote = csv_of(files, tmp_path / "dask.csv", Workers(scheduler=cluster))
    assert remote == local
    assert str(tmp_path) not in remote


def test_a_worker_killed_mid_batch_leaves_the_output_whole(
    cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_segment: object
) -> None:
    """The worker holding the marker dies mid-task; the scheduler reruns its
    tasks elsewhere; every document is in the output once, as in a local run."""
    monkeypatch.setattr(formocr.api, "load_classifier", lambda model=None: PixelClassifier())
    folder = tmp_path / "in"
    folder.mkdir()
    files = [write_png(folder / f"s{i}.png", form_image(text=f"{i:03d}")) for i in range(8)]
    local = csv_of(files, tmp_path / "local.csv", None)
    marker = tmp_path / "kill-marker"
    marker.touch()
    loader = MisbehavingModels("kill-once", str(marker))
    workers = Workers(scheduler=cluster, loader=loader, model=fake_info)
    remote = csv_of(files, tmp_path / "dask.csv", workers, state_path=tmp_path / "s.db")
    assert not marker.exists()  # a worker did die
    assert remote == local


def test_an_unreachable_scheduler_is_a_cluster_error() -> None:
    import dask

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(ClusterError, match="cannot reach the Dask scheduler") as caught,
    ):
        open_backend(Workers(scheduler=address), ScanConfig())
    assert caught.value.exit_code == ExitCode.CLUSTER == 9


class _RerunFuture:
    """A future whose result was lost with its worker after it had finished
    ("lost"), then is there again once the scheduler's rerun is done."""

    def __init__(self) -> None:
        self.status = "lost"
        self.looks = 0

    def result(self, timeout: float | None = None) -> str:
        self.looks += 1
        if self.status != "finished":
            self.status = "finished"  # the rerun is done by the next look
            raise TimeoutError
        return "the page"

    def exception(self) -> None:
        return None


def test_a_result_lost_with_its_worker_is_taken_from_the_rerun() -> None:
    """Seen in CI: a task finished on a worker that a second task then killed,
    before the client fetched the first one's result. Its future went "lost",
    and the page came out as 'unexpected error (RuntimeError: None)'."""
    import queue

    from formocr.parallel.cluster import DaskBackend

    backend = DaskBackend.__new__(DaskBackend)
    backend._done = queue.SimpleQueue()
    future = _RerunFuture()
    backend._futures = {7: future}  # type: ignore[dict-item]
    backend._done.put((7, future))  # type: ignore[arg-type]
    assert backend.next_done() == (7, "the page", None)
    assert future.looks == 2 and backend._futures == {}
