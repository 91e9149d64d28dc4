"""The hot folder: files read once complete, moved, in the output once, across restarts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FakeClassifier, form_image, write_png
from test_batch import GENEROUS, env, formocr_cmd

from formocr.batch import watch as watch_mod
from formocr.batch.watch import WatchOptions, watch
from formocr.config import ScanConfig


def png_bytes(tmp_path: Path, text: str) -> bytes:
    p = write_png(tmp_path / f"src_{text}.png", form_image(text=text))
    data = p.read_bytes()
    p.unlink()
    return data


def lines(out: Path) -> list[dict[str, object]]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text().splitlines()]


def until(cond: Callable[[], bool], proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + GENEROUS
    while not cond():
        if proc is not None:
            assert proc.poll() is None, proc.communicate()
        if time.monotonic() > deadline:
            if proc is not None:
                proc.kill()
                pytest.fail(f"gave up waiting; the watcher said {proc.communicate()}")
            pytest.fail("gave up waiting")
        time.sleep(0.05)


def test_watch_reads_a_file_being_written_only_when_it_is_complete(tmp_path: Path) -> None:
    hot, done, failed = tmp_path / "in", tmp_path / "done", tmp_path / "failed"
    hot.mkdir()
    out = tmp_path / "results.jsonl"
    cmd = formocr_cmd(
        "watch", str(hot), "-o", str(out), "--done", str(done), "--failed", str(failed),
        "--settle", "0.3",
    )  # fmt: skip
    proc = subprocess.Popen(cmd, env=env(), stderr=subprocess.PIPE)
    try:
        (hot / "bad.png").write_text("not an image\n")
        until(lambda: len(lines(out)) == 1, proc)  # the watcher is up
        slow = png_bytes(tmp_path, "123")

        def write_slowly() -> None:
            """Half the file, a pause longer than --settle, the rest; open all along."""
            with open(hot / "slow.png", "wb") as f:
                f.write(slow[:100])
                f.flush()
                time.sleep(1.5)
                f.write(slow[100:])
                f.flush()
                time.sleep(0.5)

        writer = threading.Thread(target=write_slowly)
        writer.start()
        until(lambda: len(lines(out)) == 2, proc)
        writer.join()
        (hot / "sub").mkdir()
        (hot / "sub" / "later.png").write_bytes(png_bytes(tmp_path, "456"))
        until(lambda: len(lines(out)) == 3, proc)
        until(lambda: not (hot / "slow.png").exists(), proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=GENEROUS)
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:  # the test failed: leave no watcher behind
            proc.kill()
            proc.communicate()

    docs = {Path(str(d["source"])).name: d for d in lines(out)}
    assert set(docs) == {"slow.png", "bad.png", "later.png"}  # each once
    assert docs["slow.png"]["status"] == "ok"  # read whole, not half-written
    assert docs["later.png"]["status"] == "ok"
    assert docs["bad.png"]["status"] == "failed"
    assert sorted(p.name for p in done.iterdir()) == ["later.png", "slow.png"]
    assert [p.name for p in failed.iterdir()] == ["bad.png"]
    assert not (hot / "bad.png").exists() and not (hot / "sub" / "later.png").exists()


@pytest.fixture
def opts(tmp_path: Path) -> WatchOptions:
    hot = tmp_path / "in"
    hot.mkdir()
    out = tmp_path / "results.jsonl"
    return WatchOptions(
        folder=hot,
        output=out,
        done=tmp_path / "done",
        failed=tmp_path / "failed",
        state=tmp_path / "results.jsonl.formocr-state.sqlite",
        settle=0.0,
        interval=0.05,
        once=True,
    )


@pytest.mark.usefixtures("fake_segment")
@pytest.mark.parametrize("poll", [False, True])
def test_restart_after_a_kill_writes_each_file_once(
    opts: WatchOptions, monkeypatch: pytest.MonkeyPatch, poll: bool
) -> None:
    opts = WatchOptions(**{**opts.__dict__, "poll": poll})
    for name in ("a", "b", "c"):
        write_png(opts.folder / f"{name}.png", form_image(text="0" + name.encode().hex()[:2]))

    class Killed(BaseException):
        pass

    real_move = watch_mod.shutil.move
    moves = 0

    def dies_on_second_move(src: object, dst: object) -> object:
        nonlocal moves
        moves += 1
        if moves == 2:
            raise Killed  # as kill -9: line written and recorded, file not moved
        return real_move(src, dst)

    monkeypatch.setattr(watch_mod.shutil, "move", dies_on_second_move)
    with pytest.raises(Killed):
        watch(opts, ScanConfig(), classifier=FakeClassifier())
    monkeypatch.setattr(watch_mod.shutil, "move", real_move)
    assert len(lines(opts.output)) == 2
    with open(opts.output, "ab") as f:  # and half a line from a run killed mid-write
        f.write(b'{"source": "x.png", "sta')

    clf = FakeClassifier()
    watch(opts, ScanConfig(), classifier=clf)
    docs = [Path(str(d["source"])).name for d in lines(opts.output)]
    assert sorted(docs) == ["a.png", "b.png", "c.png"]
    assert len(clf.calls) == 1  # only the file never read before
    assert sorted(p.name for p in opts.done.iterdir()) == ["a.png", "b.png", "c.png"]
    assert list(opts.folder.iterdir()) == []


@pytest.mark.usefixtures("fake_segment")
def test_special_files_are_never_opened(opts: WatchOptions) -> None:
    os.mkfifo(opts.folder / "pipe.png")  # opening it would hang
    write_png(opts.folder / "real.png")
    (opts.folder / ".hidden.png").write_bytes(b"a copy in progress")
    watch(opts, ScanConfig(), classifier=FakeClassifier())
    assert [Path(str(d["source"])).name for d in lines(opts.output)] == ["real.png"]
    assert (opts.folder / "pipe.png").exists() and (opts.folder / ".hidden.png").exists()


def test_watch_wants_a_jsonl_output(tmp_path: Path) -> None:
    r = subprocess.run(
        formocr_cmd("watch", str(tmp_path), "-o", "x.csv", "--done", "d", "--failed", "f"),
        env=env(),
        capture_output=True,
        text=True,
        timeout=GENEROUS,
    )
    assert r.returncode == 2 and ".jsonl" in r.stderr


@pytest.mark.usefixtures("fake_segment")
def test_an_output_rotated_while_watching_is_followed(opts: WatchOptions) -> None:
    opts = WatchOptions(**{**opts.__dict__, "once": False})
    stop = threading.Event()
    watcher = threading.Thread(
        target=watch,
        args=(opts, ScanConfig()),
        kwargs={"stop": stop, "classifier": FakeClassifier()},
    )
    watcher.start()
    rotated = opts.output.with_name("results.jsonl.1")
    try:
        write_png(opts.folder / "a.png")
        until(lambda: len(lines(opts.output)) == 1)
        opts.output.rename(rotated)  # logrotate, while the watcher runs
        write_png(opts.folder / "b.png")
        until(lambda: len(lines(opts.output)) == 1)
    finally:
        stop.set()
        watcher.join(GENEROUS)
    assert [Path(str(d["source"])).name for d in lines(rotated)] == ["a.png"]
    assert [Path(str(d["source"])).name for d in lines(opts.output)] == ["b.png"]
