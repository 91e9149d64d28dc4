"""Batches for cron: resume from the state file, the lock, SIGTERM, kill -9.

In-process tests call formocr.batch.run with the fakes of conftest; the
subprocess tests run ``tests/fake_formocr.py`` (the CLI with a fake
segmenter and a classifier that answers from the pixels) on small PNGs the
test writes, so they need no model and finish in seconds.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FakeClassifier, form_image, write_png

from formocr.batch import lock
from formocr.batch.run import run_batch
from formocr.batch.state import State, decode, default_state_path, encode, fingerprint
from formocr.config import ScanConfig
from formocr.errors import BusyError, DocumentError, ExitCode
from formocr.output.writers import part_name
from formocr.types import BBox, DigitResult, DocumentResult, FieldResult, PageResult

TESTS = Path(__file__).parent
FAKE = TESTS / "fake_formocr.py"
GENEROUS = 120  # seconds: a bound for waiting, never an assertion


def make_scans(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [write_png(folder / f"scan_{i:02d}.png", form_image(text=f"{i:03d}")) for i in range(n)]


def rows(path: Path) -> list[list[str]]:
    return rows_of(path.read_text())


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# -- the state file ---------------------------------------------------------------------


def sample_doc(source: str = "a.pdf") -> DocumentResult:
    d = DigitResult(
        "7", 0.123456789012345, BBox(1, 2, 3, 4), (("7", 0.123456789012345), ("1", 0.1))
    )
    f = FieldResult("f", "7", 0.123456789012345, "review", BBox(0, 0, 9, 9), (d,), "low", "7.")
    pages = (
        PageResult(1, 10, 20, 300.0, (f,), template="t"),
        PageResult(2, 10, 20, None, (), error=os.fsdecode(b"\xff: page 2 broke")),
    )
    return DocumentResult(source, "ok", None, pages)


def test_state_round_trip_is_exact(tmp_path: Path) -> None:
    doc = sample_doc()
    assert decode(encode(doc)) == doc
    with State(tmp_path / "s.sqlite") as st:
        st.put("abc", "fp", doc)
        assert st.get("abc", "fp", "renamed.pdf") == DocumentResult(
            "renamed.pdf", "ok", None, doc.pages
        )
        assert st.get("abc", "other options", "a.pdf") is None


def test_state_text_is_the_json_of_the_whole_document() -> None:
    """encode writes a page at a time, the text json.dumps(asdict(doc)) gives."""
    import dataclasses

    for doc in (sample_doc(), DocumentResult("b.pdf", "failed", "broken")):
        assert encode(doc) == json.dumps(dataclasses.asdict(doc))


def test_state_text_of_a_read_page_is_the_json_of_asdict() -> None:
    """A page as the reader makes it (digits, marks, alternatives, the readers'
    floats; the shipped models): encode's own record walk writes the text
    json.dumps(asdict(doc)) writes."""
    import dataclasses

    import numpy as np

    from formocr.api import load_classifier, scan_page
    from formocr.read.ctc import load_string_reader
    from formocr.types import PageImage
    from training.synth import Degradation, make_form_page

    image, _ = make_form_page(np.random.default_rng(7), 200, degradation=Degradation.harsh())
    page = scan_page(
        PageImage("p.png", 1, image, 200.0), ScanConfig(), load_classifier(), load_string_reader()
    )
    assert sum(len(f.digits) for f in page.fields) > 10
    doc = DocumentResult("p.png", "ok", None, (page, dataclasses.replace(page, page=2)))
    assert encode(doc) == json.dumps(dataclasses.asdict(doc))


def test_state_keeps_a_long_document_through_a_blob(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past _INLINE_MAX bytes the JSON goes in through incremental blob I/O: the
    same document comes back, and a second put replaces the first."""
    from formocr.batch import state as state_module

    monkeypatch.setattr(state_module, "_INLINE_MAX", 64)
    doc = sample_doc()
    assert len(encode(doc)) > 64
    with State(tmp_path / "s.sqlite") as st:
        st.put("abc", "fp", DocumentResult("a.pdf", "ok", None, doc.pages[:1]))
        st.put("abc", "fp", doc)
        assert st.get("abc", "fp", "a.pdf") == doc
    db = sqlite3.connect(tmp_path / "s.sqlite")
    ((kind, count),) = db.execute("SELECT typeof(result), count(*) FROM documents").fetchall()
    db.close()
    assert (kind, count) == ("blob", 1)
    failed = DocumentResult("b.pdf", "failed", "x" * 100)
    assert decode(encode(failed)) == failed  # past _INLINE_MAX too, no page
    with State(tmp_path / "s.sqlite") as st:  # committed: a new connection sees it
        assert st.get("abc", "fp", "a.pdf") == doc


def test_fingerprint_follows_options_and_model() -> None:
    base = fingerprint(ScanConfig(), "m" * 64)
    assert base == fingerprint(ScanConfig(), "m" * 64)
    assert base != fingerprint(ScanConfig(dpi=200), "m" * 64)
    assert base != fingerprint(ScanConfig(min_confidence=0.5), "m" * 64)
    assert base != fingerprint(ScanConfig(), "n" * 64)
    # the model counts by its content, not its path
    assert base == fingerprint(ScanConfig(model=Path("/elsewhere/digits.onnx")), "m" * 64)


def test_a_file_that_is_not_a_state_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "results.csv"
    bad.write_text("source,page\n")
    from formocr.errors import OutputError

    with pytest.raises(OutputError, match="cannot use this state file"):
        State(bad)


# -- resume in-process --------------------------------------------------------------------


@pytest.fixture
def scans(tmp_path: Path) -> list[Path]:
    return make_scans(tmp_path / "in", 4)


def _run(scans: list[Path], out: Path, clf: FakeClassifier, **kw: object) -> list[list[str]]:
    import formocr.api

    orig = formocr.api.load_classifier
    formocr.api.load_classifier = lambda model=None: clf  # type: ignore[assignment]
    try:
        run_batch([str(p.parent) for p in scans[:1]], ScanConfig(), "csv", out, **kw)  # type: ignore[arg-type]
    finally:
        formocr.api.load_classifier = orig  # type: ignore[assignment]
    return rows(out)


@pytest.mark.usefixtures("fake_segment")
def test_rerun_reads_only_what_changed(scans: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    state = default_state_path(out)
    clf = FakeClassifier()
    first = _run(scans, out, clf, state_path=state)
    assert len(clf.calls) == 4 and len(first) == 1 + 4 * 2  # two fields a page
    clf2 = FakeClassifier()
    again = _run(scans, out, clf2, state_path=state)
    assert clf2.calls == []  # nothing read again
    assert again == first
    write_png(scans[2], form_image(text="999"))  # a changed file is read again
    clf3 = FakeClassifier()
    _run(scans, out, clf3, state_path=state)
    assert len(clf3.calls) == 1
    clf4 = FakeClassifier()
    _run(scans, out, clf4, state_path=state, force=True)
    assert len(clf4.calls) == 4


@pytest.mark.usefixtures("fake_segment")
def test_retry_failed_reads_again_only_what_failed(
    scans: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure whose cause was outside the file (here a reader that broke
    on one document) is kept in the state like any result; ``retry_failed``
    reads that document again, and only that one, and records the new result."""
    import formocr.api

    out = tmp_path / "out.csv"
    state = default_state_path(out)
    broken = scans[1]
    real = formocr.api._pages

    def pages(path: Path, *a: object, **kw: object) -> object:
        if Path(path).name == broken.name:
            raise DocumentError(f"{path}: cannot read it (a tool was missing)")
        return real(path, *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(formocr.api, "_pages", pages)
    first = _run(scans, out, FakeClassifier(), state_path=state)
    status = first[0].index("status")
    assert [r[status] for r in first[1:] if r[0].endswith(broken.name)] == ["failed"]
    monkeypatch.setattr(formocr.api, "_pages", real)  # the cause fixed
    clf = FakeClassifier()
    again = _run(scans, out, clf, state_path=state)
    assert clf.calls == [] and again == first  # still taken from the state
    clf = FakeClassifier()
    retried = _run(scans, out, clf, state_path=state, retry_failed=True)
    assert len(clf.calls) == 1  # the failed document alone
    assert len(retried) == 1 + 4 * 2 and all(r[status] != "failed" for r in retried[1:])
    clf = FakeClassifier()
    assert _run(scans, out, clf, state_path=state, retry_failed=True) == retried
    assert clf.calls == []  # its new result is in the state


@pytest.mark.usefixtures("fake_segment")
def test_the_state_cannot_be_the_output(scans: list[Path], tmp_path: Path) -> None:
    from formocr.errors import OutputError

    out = tmp_path / "out.csv"
    with pytest.raises(OutputError, match="cannot be the output"):
        _run(scans, out, FakeClassifier(), state_path=tmp_path / "." / "out.csv")
    assert not out.exists()


@pytest.mark.usefixtures("fake_segment")
def test_busy_output_is_exit_8(scans: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    with lock.hold([out]), pytest.raises(BusyError) as e:
        _run(scans, out, FakeClassifier())
    assert e.value.exit_code == ExitCode.BUSY == 8
    assert "another formocr run" in str(e.value)
    assert not out.exists()
    with lock.hold([out]), pytest.raises(BusyError, match="waited"):
        _run(scans, out, FakeClassifier(), wait=True, wait_timeout=0.2)


# -- subprocesses: kill -9, SIGTERM, two runs at once ---------------------------------------


def formocr_cmd(*args: str) -> list[str]:
    return [sys.executable, str(FAKE), *args]


def env(gate: Path | None = None, after: int = 1) -> dict[str, str]:
    """The environment of fake_formocr.py: held at page ``after`` + 1 while ``gate`` exists."""
    e = dict(os.environ)
    if gate is not None:
        gate.touch()
        e |= {"FAKE_GATE": str(gate), "FAKE_GATE_AFTER": str(after)}
    e["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(TESTS.parent), e.get("PYTHONPATH", "")])
    return e


def finished(state: Path) -> int:
    """How many documents the state holds (0 before it exists)."""
    if not state.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM documents").fetchone()[0])
    except sqlite3.Error:
        return 0


def wait_for(cond: object, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + GENEROUS
    while not cond():  # type: ignore[operator]
        assert proc.poll() is None, proc.communicate()
        if time.monotonic() > deadline:
            proc.kill()  # leave no batch behind
            pytest.fail(f"the batch made no progress: {proc.communicate()}")
        time.sleep(0.05)


@pytest.fixture
def batch(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A folder of 12 scans and the output of an uninterrupted run over it."""
    folder = tmp_path / "in"
    make_scans(folder, 12)
    ref = tmp_path / "reference.csv"
    r = subprocess.run(
        formocr_cmd("scan", str(folder), "-o", str(ref), "--no-state"),
        env=env(),
        capture_output=True,
    )
    assert r.returncode == 0, r.stderr
    assert len(rows(ref)) == 1 + 12 * 2
    yield folder, ref


def test_kill_9_then_the_same_command_gives_the_uninterrupted_output(
    batch: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, ref = batch
    out = tmp_path / "out" / "results.csv"
    out.parent.mkdir()
    state = default_state_path(out)
    cmd = formocr_cmd("scan", str(folder), "-o", str(out), "-q")
    proc = subprocess.Popen(cmd, env=env(tmp_path / "gate", after=4), stderr=subprocess.PIPE)
    wait_for(lambda: finished(state) == 4, proc)
    proc.kill()
    proc.wait()
    assert not out.exists()
    assert part_name(out, proc.pid).exists()  # what SIGKILL leaves behind

    r = subprocess.run([*cmd[:-1], "-v"], env=env(), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert out.read_text() == ref.read_text().replace(str(ref), str(out))
    assert not list(out.parent.glob("*.part"))
    assert "4 of 12 documents taken from the state" in r.stderr


def test_sigterm_cleans_up_and_exits_143(batch: tuple[Path, Path], tmp_path: Path) -> None:
    folder, ref = batch
    out = tmp_path / "results.json"
    out.write_text("yesterday's results\n")
    state = default_state_path(out)
    gated = env(tmp_path / "gate", after=2)
    proc = subprocess.Popen(
        formocr_cmd("scan", str(folder), "-o", str(out)), env=gated, stderr=subprocess.PIPE
    )
    wait_for(lambda: finished(state) == 2, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=GENEROUS)
    assert proc.returncode == ExitCode.TERMINATED == 143, err
    assert b"terminated" in err
    assert out.read_text() == "yesterday's results\n"
    assert not list(tmp_path.glob(".*.part"))


def test_two_runs_on_one_output(batch: tuple[Path, Path], tmp_path: Path) -> None:
    folder, ref = batch
    out = tmp_path / "results.csv"
    state = default_state_path(out)
    cmd = formocr_cmd("scan", str(folder), "-o", str(out))
    gate = tmp_path / "gate"
    first = subprocess.Popen(cmd, env=env(gate), stderr=subprocess.PIPE)
    wait_for(lambda: finished(state) == 1, first)  # and held at the second document
    second = subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=GENEROUS)
    assert second.returncode == ExitCode.BUSY == 8, second.stderr
    assert "another formocr run" in second.stderr
    # a third one waits for the first, then takes every result from the state
    third = subprocess.Popen([*cmd, "--wait"], env=env(), stderr=subprocess.PIPE)
    assert finished(state) == 1 and not out.exists()
    gate.unlink()
    _, err = first.communicate(timeout=GENEROUS)
    assert first.returncode == 0, err
    _, err = third.communicate(timeout=GENEROUS)
    assert third.returncode == 0, err
    assert out.read_text() == ref.read_text()
    assert b"12 of 12 documents taken from the state" in err


def test_full_stdout_is_exit_6(tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    folder = tmp_path / "in"
    make_scans(folder, 2)
    with open("/dev/full", "w") as full:
        r = subprocess.run(
            formocr_cmd("scan", str(folder), "--format", "jsonl"),
            env=env(),
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=GENEROUS,
        )
    assert r.returncode == ExitCode.OUTPUT == 6, r.stderr
    assert "No space left on device" in r.stderr
    assert "unexpected" not in r.stderr and "Traceback" not in r.stderr


def test_non_utf8_names_in_a_c_locale_give_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_png(Path(os.fsdecode(os.fsencode(folder) + b"/\xff\xfe.png")))
    e = env() | {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    for fmt in ("csv", "json", "jsonl"):
        r = subprocess.run(
            formocr_cmd("scan", str(folder), "--format", fmt), env=e, capture_output=True
        )
        assert r.returncode == 0, r.stderr
        text = r.stdout.decode("utf-8")  # strict
        if fmt == "csv":
            source = rows_of(text)[1][0]
        elif fmt == "json":
            source = json.loads(text)["documents"][0]["source"]
        else:
            source = json.loads(text)["source"]
        assert source == f"{folder}/\\xff\\xfe.png"


def test_a_rerun_with_jobs_that_finds_everything_in_the_state(
    batch: tuple[Path, Path], tmp_path: Path
) -> None:
    """With --jobs 2 and nothing left to read, the run ends (it used to wait forever)."""
    folder, ref = batch
    out = tmp_path / "results.csv"
    first = subprocess.run(
        formocr_cmd("scan", str(folder), "-o", str(out), "-j", "1"), env=env(), capture_output=True
    )
    assert first.returncode == 0, first.stderr
    again = subprocess.run(
        formocr_cmd("scan", str(folder), "-o", str(out), "-j", "2", "-v"),
        env=env(),
        capture_output=True,
        text=True,
        timeout=GENEROUS,
    )
    assert again.returncode == 0, again.stderr
    assert "12 of 12 documents taken from the state" in again.stderr
    assert out.read_text() == ref.read_text()
