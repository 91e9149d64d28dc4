"""--jobs N: pages read in worker processes give the output of --jobs 1, row for row.

Worker processes cannot see a monkeypatched fake, so these tests either read
with the shipped model (tiny pages: the real path, end to end) or hand the
workers a loader from ``parallel_fakes`` that installs the fakes there. No
assertion depends on timing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import form_image, needs_poppler, write_pdf, write_png, write_tiff
from parallel_fakes import (
    MisbehavingModels,
    PixelClassifier,
    fake_info,
    fake_models,
    trigger_page,
    worker_env,
)
from typer.testing import CliRunner

import formocr.api
from formocr.batch.run import run_batch
from formocr.cli import app
from formocr.config import ScanConfig
from formocr.errors import ModelError
from formocr.io.plan import plan_document, render_page
from formocr.parallel import Workers
from formocr.parallel.tasks import ModelInfo, model_info

pytestmark = needs_poppler


def batch_with_broken_files(folder: Path) -> list[Path]:
    """Good PDFs, a TIFF and PNGs with broken files between them."""
    folder.mkdir(parents=True, exist_ok=True)
    files = [
        write_pdf(folder / "a_three_pages.pdf", pages=3),
        folder / "b_empty.png",
        write_png(folder / "c_form.png", form_image(text="4821")),
        folder / "d_not_a.pdf",
        write_tiff(folder / "e_frames.tiff", frames=3),
        folder / "f_truncated.pdf",
        write_png(folder / "g_form.png", form_image(text="905")),
    ]
    files[1].write_bytes(b"")
    files[3].write_bytes(b"<html>not a pdf</html>")
    files[5].write_bytes(files[0].read_bytes()[:300])
    return files


def scan_csv(files: list[Path], out: Path, workers: Workers | None, **kw: object) -> str:
    run_batch(files, ScanConfig(), "csv", out, workers=workers, **kw)  # type: ignore[arg-type]
    return out.read_text()


def test_jobs_2_gives_the_rows_of_jobs_1_with_broken_files(tmp_path: Path) -> None:
    files = batch_with_broken_files(tmp_path / "in")
    serial = scan_csv(files, tmp_path / "serial.csv", None)
    parallel = scan_csv(files, tmp_path / "parallel.csv", Workers(jobs=2, window=3))
    assert parallel == serial
    rows = serial.splitlines()
    assert sum(",failed," in r for r in rows) == 3  # the broken files, each once
    assert len({r.split(",")[0] for r in rows[1:]}) == len(files)


def test_a_pool_without_its_scratch_directory_reads_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where no scratch directory can be made for the workers (a full or
    read-only temporary directory), the pool starts anyway and its workers
    read the scanned pages as --jobs 1 does."""
    import formocr.io.scratch

    (tmp_path / "in").mkdir()
    files = [write_pdf(tmp_path / "in" / "scan.pdf", pages=3, resolution=300)]
    serial = scan_csv(files, tmp_path / "serial.csv", None)

    def full(*args: object, **kwargs: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(formocr.io.scratch.tempfile, "mkdtemp", full)
    assert scan_csv(files, tmp_path / "parallel.csv", Workers(jobs=2)) == serial


def test_a_page_alone_is_the_page_of_the_whole_document(tmp_path: Path) -> None:
    """io.plan reads one page as the serial reader streams it: same pixels."""
    from formocr.io import iter_pages

    config = ScanConfig()
    for path in (write_pdf(tmp_path / "d.pdf", pages=3), write_tiff(tmp_path / "t.tiff", 3)):
        plan = plan_document(path, config)
        streamed = list(iter_pages(path, config.dpi, page_errors=True))
        assert plan.pages == len(streamed) == 3
        for page in streamed:
            alone = render_page(path, plan, page.page, config)
            assert alone.page == page.page and alone.error is None
            assert (alone.image == page.image).all()


@pytest.fixture
def fakes_in_main(monkeypatch: pytest.MonkeyPatch, fake_segment: object) -> None:
    """The serial run reads with the fakes that parallel_fakes installs in workers."""
    monkeypatch.setattr(formocr.api, "load_classifier", lambda model=None: PixelClassifier())


def pngs(folder: Path, n: int, trigger: int | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_png(
            folder / f"s{i:02d}.png",
            trigger_page() if i == trigger else form_image(text=f"{i:03d}"),
        )
        for i in range(n)
    ]


@pytest.mark.usefixtures("fakes_in_main")
def test_a_worker_killed_once_costs_nothing(tmp_path: Path) -> None:
    """The pool restarts; the pages that were out are read again: all there, once."""
    files = pngs(tmp_path / "in", 8)
    serial = scan_csv(files, tmp_path / "serial.csv", None)
    marker = tmp_path / "kill-marker"
    marker.touch()
    workers = Workers(jobs=2, loader=MisbehavingModels("kill-once", str(marker)), model=fake_info)
    parallel = scan_csv(files, tmp_path / "parallel.csv", workers, state_path=tmp_path / "s.db")
    assert not marker.exists()  # a worker did die
    assert parallel == serial


@pytest.mark.usefixtures("fakes_in_main")
def test_a_page_that_kills_its_worker_fails_alone(tmp_path: Path) -> None:
    files = pngs(tmp_path / "in", 6, trigger=2)
    workers = Workers(jobs=2, loader=MisbehavingModels("kill"), model=fake_info)
    text = scan_csv(files, tmp_path / "parallel.csv", workers)
    rows = text.splitlines()[1:]
    by_source: dict[str, list[str]] = {}
    for r in rows:
        by_source.setdefault(r.split(",")[0], []).append(r)
    assert list(by_source) == [str(f) for f in files]  # every document, in order
    culprit = by_source.pop(str(files[2]))
    assert len(culprit) == 1 and "worker process reading it died" in culprit[0]
    assert all(len(v) == 2 and "died" not in "".join(v) for v in by_source.values())


@pytest.mark.usefixtures("fakes_in_main")
def test_page_timeout_in_a_worker_fails_that_page(tmp_path: Path) -> None:
    files = pngs(tmp_path / "in", 3, trigger=1)
    config = ScanConfig(page_timeout=5.0)  # generous: a loaded machine must not fail good pages
    out = tmp_path / "out.csv"
    workers = Workers(jobs=2, loader=MisbehavingModels("sleep"), model=fake_info)
    run_batch(files, config, "csv", out, workers=workers)
    rows = out.read_text().splitlines()[1:]
    slow = [r for r in rows if r.startswith(str(files[1]))]
    assert len(slow) == 1 and "(--page-timeout); stopped" in slow[0]
    assert len(rows) == 5  # the other two pages: two fields each


@pytest.mark.usefixtures("fakes_in_main")
def test_resume_with_jobs_reads_nothing_twice(tmp_path: Path) -> None:
    files = pngs(tmp_path / "in", 5)
    state = tmp_path / "s.db"
    workers = Workers(jobs=2, loader=fake_models, model=fake_info)
    first = run_batch(
        files[:3], ScanConfig(), "csv", tmp_path / "a.csv", state_path=state, workers=workers
    )
    second = run_batch(
        files, ScanConfig(), "csv", tmp_path / "b.csv", state_path=state, workers=workers
    )
    assert (first.reused, second.reused) == (0, 3)
    serial = scan_csv(files, tmp_path / "serial.csv", None)
    assert (tmp_path / "b.csv").read_text() == serial


def test_cli_jobs_2_matches_jobs_1(tmp_path: Path) -> None:
    files = [str(p) for p in batch_with_broken_files(tmp_path / "in")[:4]]
    runner = CliRunner()
    one = runner.invoke(app, ["scan", *files, "--jobs", "1", "-q"])
    two = runner.invoke(app, ["scan", *files, "--jobs", "2", "-q"])
    assert one.exit_code == two.exit_code == 4  # broken files: some documents failed
    assert two.stdout == one.stdout and one.stdout.count("\n") > 4


def test_scheduler_without_dask_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    result = CliRunner().invoke(app, ["scan", "x.png", "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2
    assert "formocr[dask]" in result.output


def test_the_runtime_never_imports_dask() -> None:
    code = (
        "import sys, formocr.cli, formocr.batch.run, formocr.parallel, formocr.parallel.pool;"
        "assert 'dask' not in sys.modules and 'distributed' not in sys.modules, 'dask imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux")
def test_workers_are_forked_only_from_a_process_of_one_thread() -> None:
    """A process of one thread forks its workers, the reading code imported
    first (not onnxruntime, which may start a thread); one with another
    thread spawns them (a fork could copy a lock that thread holds)."""
    code = (
        "import sys, threading, time\n"
        "from formocr.parallel.pool import start_method\n"
        "first = start_method()\n"
        "loaded = {'cv2', 'formocr.layout.fields'} <= set(sys.modules)\n"
        "print(first, loaded, 'onnxruntime' in sys.modules)\n"
        "threading.Thread(target=time.sleep, args=(2,), daemon=True).start()\n"
        "print(start_method())\n"
    )
    # As the command runs: NumPy's OpenBLAS on one thread (else it starts one a core).
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert r.stdout.split() == ["fork", "True", "False", "spawn"], r.stdout + r.stderr


def test_forked_workers_read_as_spawned_ones_and_end_quietly(tmp_path: Path) -> None:
    """``formocr scan --jobs 2`` forks its workers: the rows of --jobs 1; when
    the pool is shut down (SIGTERM to each worker), no worker runs the
    command's own SIGTERM handler, whose traceback used to reach stderr."""
    files = pngs(tmp_path / "in", 3)
    rows = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"o{jobs}.csv"
        cmd = [sys.executable, "-m", "formocr", "scan", *map(str, files), "--jobs", jobs]
        r = subprocess.run([*cmd, "-o", str(out)], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr and "Terminated" not in r.stderr, r.stderr
        rows[jobs] = out.read_text()
    assert rows["1"] == rows["2"] and len(rows["2"].splitlines()) > len(files)


def test_workers_with_another_model_stop_the_run(tmp_path: Path) -> None:
    """The client's model (its sha256, read from the file) must be the workers'."""
    files = pngs(tmp_path / "in", 2)
    with pytest.raises(ModelError, match="install the same formocr and models"):
        run_batch(
            files,
            ScanConfig(),
            "csv",
            tmp_path / "o.csv",
            workers=Workers(jobs=2, loader=fake_models),
        )
    assert not (tmp_path / "o.csv").exists()


def test_model_info_is_what_the_classifier_says() -> None:
    from formocr.read.classify import DigitClassifier

    clf = DigitClassifier()
    assert model_info(ScanConfig()) == ModelInfo(clf.name, clf.sha256)


class Recorder:
    """A Progress that keeps what it was told, pages_known included."""

    def __init__(self) -> None:
        self.known: dict[str, int] = {}
        self.pages: list[tuple[str, int]] = []
        self.docs: list[str] = []

    def start(self, total_files: int) -> None:
        self.total = total_files

    def pages_known(self, source: str, pages: int) -> None:
        self.known[source] = pages

    def page(self, source: str, page: int) -> None:
        self.pages.append((source, page))

    def advance(self, source: str, pages: int) -> None:
        self.docs.append(source)

    def finish(self) -> None:
        pass


@pytest.mark.usefixtures("fakes_in_main")
def test_progress_counts_pages_against_the_known_total(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "long.pdf", pages=4)
    png = write_png(tmp_path / "one.png")
    bar = Recorder()
    workers = Workers(jobs=2, loader=fake_models, model=fake_info)
    run_batch([pdf, png], ScanConfig(), "csv", tmp_path / "o.csv", progress=bar, workers=workers)
    assert bar.known == {str(pdf): 4, str(png): 1}
    assert sorted(bar.pages) == [(str(pdf), i) for i in range(1, 5)] + [(str(png), 1)]
    assert bar.docs == [str(pdf), str(png)]  # documents in input order


@pytest.mark.usefixtures("fakes_in_main")
def test_watch_with_jobs_writes_what_watch_without_writes(tmp_path: Path) -> None:
    """formocr watch --jobs 2: each document's pages in the workers; the same lines."""
    from formocr.batch.watch import WatchOptions, watch

    def run(name: str, workers: Workers | None) -> list[dict[str, object]]:
        hot = tmp_path / name / "hot"
        hot.mkdir(parents=True)
        write_pdf(hot / "a.pdf", pages=3)
        write_png(hot / "b.png", form_image(text="417"))
        (hot / "c.png").write_bytes(b"")
        opts = WatchOptions(
            folder=hot,
            output=tmp_path / name / "out.jsonl",
            done=tmp_path / name / "done",
            failed=tmp_path / name / "failed",
            state=tmp_path / name / "s.db",
            settle=0.0,
            once=True,
        )
        summary = watch(opts, ScanConfig(), workers=workers)
        assert summary.documents == 3
        lines = [json.loads(x) for x in opts.output.read_text().splitlines()]
        for d in lines:  # the same files, in another folder
            d["source"] = Path(str(d["source"])).name
            d["error"] = d["error"] and str(d["error"]).replace(str(hot), "HOT")
        return sorted(lines, key=lambda d: str(d["source"]))

    serial = run("serial", None)
    parallel = run("parallel", Workers(jobs=2, loader=fake_models, model=fake_info))
    assert parallel == serial
    assert [len(d["pages"]) for d in serial] == [3, 1, 0]  # type: ignore[arg-type]


def _orphan_grandchild(pid_file: str) -> None:
    """A pool worker's start, under a parent that is about to be killed."""
    import multiprocessing as mp

    from formocr.parallel.tasks import die_with_parent

    def worker() -> None:
        die_with_parent()
        Path(pid_file).write_text(str(os.getpid()))
        signal.pause()

    ctx = mp.get_context("fork")
    ctx.Process(target=worker).start()
    signal.pause()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_pool_worker_ends_when_its_batch_is_killed(tmp_path: Path) -> None:
    """kill -9 of the batch leaves no worker behind (they held the models)."""
    import multiprocessing as mp

    pid_file = tmp_path / "worker.pid"
    parent = mp.get_context("fork").Process(target=_orphan_grandchild, args=(str(pid_file),))
    parent.start()
    for _ in range(600):
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.05)
    worker = int(pid_file.read_text())
    os.kill(parent.pid, signal.SIGKILL)
    parent.join()
    for _ in range(600):  # waits for the kernel's signal; asserts no duration
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        # A zombie is gone for our purpose: it holds no memory.
        stat = Path(f"/proc/{worker}/stat")
        if stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z":
            break
        time.sleep(0.05)
    else:
        os.kill(worker, signal.SIGKILL)
        pytest.fail("the worker outlived its killed parent")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_worker_whose_batch_died_while_it_started_ends(tmp_path: Path) -> None:
    """A batch killed while its workers still import (half a second) has left
    them to another parent before they could ask to die with it: a worker
    told its parent's PID ends at once when it finds another (a kill -9 two
    documents into a run left both workers running, 2026-12-03)."""
    code = (
        "import sys\n"
        "from formocr.parallel.tasks import die_with_parent\n"
        "die_with_parent(int(sys.argv[1]))\n"
        "print('alive', flush=True)\n"
    )
    ours = os.getpid()
    for parent, lives in ((ours, True), (ours + 1_000_000, False)):
        r = subprocess.run(
            [sys.executable, "-c", code, str(parent)], capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 0, r.stderr
        assert ("alive" in r.stdout) is lives


# -- a long document's pages wait on disk ----------------------------------------------


def test_spooled_pages_come_back_in_page_order_from_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages put out of order come back in order, loaded one at a time from the
    spool file; the sequence equals (and pickles as) the tuple of the pages, and
    the state writes the same text for it."""
    import dataclasses
    import pickle
    import random

    from formocr.batch.state import State, encode
    from formocr.output import spool
    from formocr.types import BBox, DocumentResult, FieldResult, PageResult

    monkeypatch.setattr(spool, "SPOOL_IN_MEMORY", 100)  # on disk from the first pages
    n = spool.SMALL_DOCUMENT + 5
    pages = tuple(
        PageResult(i, 10, 20, 300.0, (FieldResult("f", str(i), 0.5, "review", BBox(i, 0, 9, 9)),))
        for i in range(1, n + 1)
    )
    s = spool.PageSpool()
    for i in random.Random(1).sample(range(1, n + 1), n):
        s.put(i, pages[i - 1])
    s.put(3, pages[2])  # put again: replaces
    assert len(s) == n
    got = s.pages(n)
    assert isinstance(got, spool.SpooledPages)
    assert got == pages and pages == got and list(got) == list(pages)
    assert got[1:3] == pages[1:3] and got[-1] == pages[-1]
    assert pickle.loads(pickle.dumps(got)) == pages
    with pytest.raises(ValueError, match="handed over"):
        s.put(n + 1, pages[0])  # the spool handed its file over
    doc = DocumentResult("long.pdf", "ok", None, got)  # type: ignore[arg-type]
    plain = DocumentResult("long.pdf", "ok", None, pages)
    assert doc == plain
    assert encode(doc) == json.dumps(dataclasses.asdict(plain))
    from formocr.batch import state as state_module

    monkeypatch.setattr(state_module, "_INLINE_MAX", 100)  # a blob, decoded page by page
    with State(tmp_path / "s.sqlite") as st:
        st.put("sha", "fp", doc)
        back = st.get("sha", "fp", "long.pdf")
        assert back == plain and back is not None
        assert isinstance(back.pages, spool.SpooledPages)
    with pytest.raises(IndexError):
        got[n]


def test_a_short_document_is_a_tuple() -> None:
    from formocr.output import spool
    from formocr.types import PageResult

    s = spool.PageSpool()
    s.put(2, PageResult(2, 1, 1, None))
    s.put(1, PageResult(1, 1, 1, None))
    with pytest.raises(ValueError, match="not 1..3"):
        s.pages(3)
    assert s.pages(2) == (PageResult(1, 1, 1, None), PageResult(2, 1, 1, None))
    assert len(s) == 2
    assert spool.PageSpool().pages(0) == ()


def test_every_worker_starts_with_the_pool() -> None:
    """All --jobs workers start at once, not the second only when the first
    document's pages are sent (each start costs ~0.5 s of models)."""
    import multiprocessing

    from formocr.parallel.pool import PoolBackend

    before = set(multiprocessing.active_children())
    backend = PoolBackend(3, fake_models, ScanConfig())
    try:
        started = set(multiprocessing.active_children()) - before
        assert len(started) == 3 and all(p.pid is not None for p in started)
    finally:
        backend.close()


@pytest.mark.parametrize("preset", [None, "3"])
def test_workers_ask_openblas_for_one_thread_unless_the_user_set_it(
    monkeypatch: pytest.MonkeyPatch, preset: str | None
) -> None:
    """numpy's OpenBLAS spins a thread per core in every worker unless told
    otherwise before numpy is imported; a number the user set stands."""
    from formocr.parallel.pool import PoolBackend

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "restored after the test")
    if preset is None:
        monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    else:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", preset)
    backend = PoolBackend(1, fake_models, ScanConfig())
    try:
        backend.submit(0, worker_env, "OPENBLAS_NUM_THREADS")
        assert backend.next_done() == (0, preset or "1", None)
    finally:
        backend.close()


def test_the_command_asks_openblas_for_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    import formocr.__main__
    import formocr.cli

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "restored after the test")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    seen: list[str | None] = []
    monkeypatch.setattr(
        formocr.cli, "main", lambda: seen.append(os.environ.get("OPENBLAS_NUM_THREADS"))
    )
    formocr.__main__.main()
    assert seen == ["1"]


@pytest.mark.parametrize(("jobs", "pinned"), [(1, True), (2, False)])
def test_the_command_reads_on_one_opencv_thread_when_it_reads_the_pages_itself(
    jobs: int, pinned: bool
) -> None:
    """--jobs 1 reads in the command's own process: one core, like a worker
    (OpenCV's threads cost CPU and no wall time beside the renderer). With
    workers, the command's process leaves OpenCV as it is; they pin themselves."""
    code = (
        "import cv2; before = cv2.getNumThreads(); import formocr.cli as c; "
        f"c._workers({jobs}, None); print(before, cv2.getNumThreads())"
    )
    env = {**os.environ, "OPENCV_FOR_THREADS_NUM": "2"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout.split()
    assert out == ["2", "1" if pinned else "2"]


def test_a_document_is_read_in_runs_of_pages_spread_over_the_workers() -> None:
    """One renderer streams a run of pages (a pdftoppm run costs some tens of
    ms before its first page); each worker gets at least two runs of what is
    left of a document, so the runs shrink to single pages at its end (no
    worker idles long on another's last run), and short documents go a page
    at a time."""
    from formocr.parallel.engine import MAX_RUN, _run_length

    def runs(pages: int, workers: int) -> list[int]:  # as the engine sends them
        sizes, first = [], 1
        while first <= pages:
            sizes.append(_run_length(pages - first + 1, workers))
            first += sizes[-1]
        return sizes

    assert runs(20, 2) == [5, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1]
    assert runs(3, 2) == [1, 1, 1]
    assert runs(1000, 2)[:5] == [MAX_RUN] * 5 and runs(1000, 2)[-4:] == [1] * 4
    assert sum(runs(1000, 2)) == 1000 and max(runs(1000, 2)) == MAX_RUN
    assert runs(20, 16) == [1] * 20
    assert _run_length(5, 0) == 2


def _pdf_of(path: Path, pages: list[np.ndarray]) -> Path:
    from PIL import Image

    images = [Image.fromarray(p) for p in pages]
    images[0].save(path, save_all=True, append_images=images[1:], resolution=72.0)
    return path


@pytest.mark.usefixtures("fakes_in_main")
def test_a_run_of_pages_that_kills_its_worker_is_read_again_page_by_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 9-page PDF is read in runs of two pages by 2 workers: the same rows as
    a serial read; and when page 5 kills every worker that reads it, the run
    holding it is read again a page at a time, so only page 5 is lost. The
    dead workers' temporary files (the pages' JPEGs) are not left behind."""
    config = ScanConfig(dpi=72)  # the pages as drawn, pixel for pixel
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))  # the workers'
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # this process's

    def scan(files: list[Path], out: Path, workers: Workers | None) -> str:
        run_batch(files, config, "csv", out, workers=workers)
        return out.read_text()

    good = _pdf_of(tmp_path / "good.pdf", [form_image(text=f"{i:03d}") for i in range(1, 10)])
    serial = scan([good], tmp_path / "serial.csv", None)
    workers = Workers(jobs=2, loader=MisbehavingModels("kill"), model=fake_info)
    assert scan([good], tmp_path / "parallel.csv", workers) == serial

    pages = [trigger_page() if i == 5 else form_image(text=f"{i:03d}") for i in range(1, 10)]
    bad = _pdf_of(tmp_path / "bad.pdf", pages)
    rows = scan([bad], tmp_path / "bad.csv", workers).splitlines()[1:]
    by_page: dict[int, list[str]] = {}
    for r in rows:
        by_page.setdefault(int(r.split(",")[1]), []).append(r)
    assert sorted(by_page) == list(range(1, 10))  # every page, once each
    assert len(by_page[5]) == 1 and "worker process reading it died" in by_page[5][0]
    want = [r.replace(str(good), str(bad)) for r in serial.splitlines()[1:]]
    assert [r for p in sorted(by_page) if p != 5 for r in by_page[p]] == [
        r for r in want if int(r.split(",")[1]) != 5
    ]
    assert [p for p in temp.iterdir() if p.name.startswith("formocr-")] == []
