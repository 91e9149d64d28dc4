"""The CLI in-process (CliRunner: exit codes, streams) and one real subprocess."""

from __future__ import annotations

import csv
import io
import json
import logging
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import encrypt_pdf, fake_find_fields, needs_poppler, write_pdf, write_png
from typer.testing import CliRunner

import formocr.api
from formocr import __version__
from formocr.cli import app
from formocr.errors import ModelError
from formocr.output.writers import CSV_COLUMNS

ROOT = Path(__file__).parents[1]
SCHEMA = ROOT / "formocr" / "output" / "schema" / "results.schema.json"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI configures the "formocr" logger; give other tests theirs back."""
    logger = logging.getLogger("formocr")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write_png(tmp_path / "good.png")


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.usefixtures("fake_segment", "fake_model")
class TestScan:
    def test_csv_on_stdout_and_nothing_else(self, runner: CliRunner, good: Path) -> None:
        r = runner.invoke(app, ["scan", str(good), "--min-confidence", "0.9"])
        assert r.exit_code == 0, r.output
        table = rows(r.stdout)
        assert tuple(table[0]) == CSV_COLUMNS
        assert [row[2:6] for row in table[1:]] == [
            ["field_001", "007", "0.9500", "ok"],
            ["field_002", "", "0.0000", "empty"],
        ]
        assert "1 documents, 1 pages, 0 failed" in r.stderr

    @pytest.mark.parametrize("fmt", [[], ["--format", "csv"]])
    def test_dash_is_stdout(
        self,
        runner: CliRunner,
        good: Path,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        fmt: list[str],
    ) -> None:
        # Before: "-o -" asked for --format, then wrote a file named "-".
        monkeypatch.chdir(tmp_path)
        r = runner.invoke(app, ["scan", str(good), "-o", "-", *fmt])
        assert r.exit_code == 0, r.output
        assert tuple(rows(r.stdout)[0]) == CSV_COLUMNS
        assert not (tmp_path / "-").exists()
        assert not list(tmp_path.glob("*formocr-state*"))

    @pytest.mark.parametrize("name", ["out.json", "OUT.JSON"])
    def test_json_file_from_extension(
        self, runner: CliRunner, good: Path, tmp_path: Path, name: str
    ) -> None:
        out = tmp_path / name
        r = runner.invoke(app, ["scan", str(good), "-o", str(out)])
        assert r.exit_code == 0, r.output
        assert r.stdout == ""
        data = json.loads(out.read_text())
        jsonschema.validate(data, json.loads(SCHEMA.read_text()))
        assert data["formocr"]["version"] == __version__
        assert data["formocr"]["model"]["name"] == "fake-digits"

    def test_jsonl_file(self, runner: CliRunner, good: Path, tmp_path: Path) -> None:
        out = tmp_path / "out.jsonl"
        r = runner.invoke(app, ["scan", str(good), str(good), "-o", str(out)])
        assert r.exit_code == 0, r.output
        (line,) = out.read_text().splitlines()
        assert json.loads(line)["pages"][0]["fields"][0]["value"] == "007"

    def test_format_option_beats_extension(
        self, runner: CliRunner, good: Path, tmp_path: Path
    ) -> None:
        out = tmp_path / "results.txt"
        r = runner.invoke(app, ["scan", str(good), "-o", str(out), "--format", "jsonl"])
        assert r.exit_code == 0, r.output
        assert json.loads(out.read_text())["status"] == "ok"
        r = runner.invoke(app, ["scan", str(good), "-f", "JSON"])
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["documents"][0]["status"] == "ok"

    def test_min_confidence_option(self, runner: CliRunner, good: Path) -> None:
        r = runner.invoke(app, ["scan", str(good), "--min-confidence", "0.97"])
        assert r.exit_code == 0, r.output
        assert rows(r.stdout)[1][5] == "review"

    @needs_poppler
    def test_a_pdf_failed_for_want_of_poppler_is_read_with_retry_failed(
        self, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without poppler a PDF fails (exit 4) and the state records it; once
        poppler is there, the same command takes the failure from the state,
        and --retry-failed reads the PDF (exit 0)."""
        import formocr.io.pdf

        (tmp_path / "in").mkdir()
        pdf = write_pdf(tmp_path / "in" / "form.pdf", pages=1)
        out = tmp_path / "results.csv"
        args = ["scan", str(pdf.parent), "-o", str(out), "--dpi", "72"]
        which = formocr.io.pdf.shutil.which
        monkeypatch.setattr(formocr.io.pdf.shutil, "which", lambda tool: None)
        r = runner.invoke(app, args)
        assert r.exit_code == 4 and "poppler" in r.output
        monkeypatch.setattr(formocr.io.pdf.shutil, "which", which)
        r = runner.invoke(app, args)
        assert r.exit_code == 4 and "poppler" in rows(out.read_text())[1][10]
        assert "--retry-failed reads them again" in r.stderr
        r = runner.invoke(app, [*args, "--retry-failed"])
        assert r.exit_code == 0, r.output
        assert all(row[5] != "failed" for row in rows(out.read_text())[1:])

    @needs_poppler
    def test_broken_files_fail_and_the_rest_is_written(
        self, runner: CliRunner, good: Path, tmp_path: Path
    ) -> None:
        (tmp_path / "empty.pdf").write_bytes(b"")
        pdf = write_pdf(tmp_path / "ok.pdf", pages=2).read_bytes()
        (tmp_path / "truncated.pdf").write_bytes(pdf[: len(pdf) // 3])
        (tmp_path / "text.png").write_text("not an image\n")
        encrypt_pdf(tmp_path / "ok.pdf", tmp_path / "locked.pdf")  # skips, or fails under CI
        expected_failed = {"empty.pdf", "truncated.pdf", "text.png", "locked.pdf"}
        (tmp_path / "ok.pdf").unlink()
        out = tmp_path / "out" / "results.csv"
        out.parent.mkdir()

        r = runner.invoke(app, ["scan", str(tmp_path), "-o", str(out), "--dpi", "72"])

        assert r.exit_code == 4, r.output
        assert r.stdout == ""
        table = rows(out.read_text())
        failed = {Path(row[0]).name: row[10] for row in table[1:] if row[5] == "failed"}
        assert set(failed) == expected_failed
        assert "0 bytes" in failed["empty.pdf"]
        assert "damaged or truncated PDF" in failed["truncated.pdf"]
        assert "not a PNG file" in failed["text.png"]
        if "locked.pdf" in failed:
            assert "password-protected" in failed["locked.pdf"]
        assert [row[3] for row in table[1:] if Path(row[0]).name == "good.png"] == ["007", ""]
        for name in expected_failed:
            assert name in r.stderr
        assert "Traceback" not in r.stderr

    def test_missing_path_in_a_batch_is_a_failed_document(
        self, runner: CliRunner, good: Path, tmp_path: Path
    ) -> None:
        r = runner.invoke(app, ["scan", str(good), str(tmp_path / "gone.png")])
        assert r.exit_code == 4
        assert rows(r.stdout)[-1][5] == "failed"

    def test_nothing_to_scan_exits_3(self, runner: CliRunner, tmp_path: Path) -> None:
        r = runner.invoke(app, ["scan", str(tmp_path / "gone.pdf"), "-o", str(tmp_path / "o.csv")])
        assert r.exit_code == 3
        assert r.stdout == ""
        assert "nothing to scan" in r.stderr
        assert not (tmp_path / "o.csv").exists()

    def test_unwritable_output_exits_6(self, runner: CliRunner, good: Path, tmp_path: Path) -> None:
        r = runner.invoke(app, ["scan", str(good), "-o", str(tmp_path / "nope" / "o.csv")])
        assert r.exit_code == 6
        assert "nope" in r.stderr and r.stdout == ""

    def test_quiet_logs_errors_only(self, runner: CliRunner, good: Path) -> None:
        r = runner.invoke(app, ["scan", "-q", str(good)])
        assert r.exit_code == 0 and r.stderr == ""

    def test_quiet_says_one_line_per_failed_document_or_page(
        self, runner: CliRunner, good: Path, tmp_path: Path, fake_segment: Any
    ) -> None:
        (tmp_path / "empty.png").write_bytes(b"")
        (tmp_path / "text.png").write_text("not an image\n")
        calls = 0

        def first_page_breaks(page: Any, dpi: float | None = None) -> list[Any]:
            nonlocal calls
            calls += 1
            warnings.warn("a raw library warning", UserWarning, stacklevel=1)
            if calls == 1:
                raise RuntimeError("a bug on this page")
            return fake_find_fields(page, dpi)

        fake_segment(first_page_breaks)
        r = runner.invoke(app, ["scan", "-q", str(tmp_path)])
        assert r.exit_code == 4, r.output
        lines = r.stderr.splitlines()
        assert len(lines) == 3, lines  # empty.png, good.png page 1, text.png
        assert "empty.png" in lines[0] and "0 bytes" in lines[0]
        assert "good.png" in lines[1] and "page 1" in lines[1] and "a bug on this page" in lines[1]
        assert "text.png" in lines[2]
        assert "raw library warning" not in r.stderr
        r = runner.invoke(app, ["scan", str(good)])  # without -q: a log line, not printed raw
        assert "formocr: WARNING: UserWarning: a raw library warning" in r.stderr
        assert "warnings.warn" not in r.stderr

    def test_output_that_is_an_input_or_a_symlink_exits_6(
        self, runner: CliRunner, good: Path, tmp_path: Path
    ) -> None:
        before = good.read_bytes()
        r = runner.invoke(app, ["scan", str(good), "--format", "csv", "-o", str(good)])
        assert r.exit_code == 6 and "is one of the inputs" in r.stderr
        assert good.read_bytes() == before
        link = tmp_path / "latest.csv"
        link.symlink_to(tmp_path / "real.csv")
        r = runner.invoke(app, ["scan", str(good), "-o", str(link)])
        assert r.exit_code == 6 and "symlink" in r.stderr
        assert link.is_symlink() and not (tmp_path / "real.csv").exists()


@pytest.mark.usefixtures("fake_segment")
class TestErrors:
    def test_model_error_exits_5(
        self, runner: CliRunner, good: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(model: Path | None = None) -> None:
            raise ModelError("digits.onnx: sha256 does not match its card")

        monkeypatch.setattr(formocr.api, "load_classifier", broken)
        r = runner.invoke(app, ["scan", str(good)])
        assert r.exit_code == 5
        assert "does not match its card" in r.stderr and r.stdout == ""

    def test_unexpected_error_exits_1_traceback_only_with_v(
        self, runner: CliRunner, good: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def bug(model: Path | None = None) -> None:
            raise ZeroDivisionError("oops")

        monkeypatch.setattr(formocr.api, "load_classifier", bug)
        r = runner.invoke(app, ["scan", str(good)])
        assert r.exit_code == 1
        assert "unexpected error: ZeroDivisionError: oops" in r.stderr
        assert "Traceback" not in r.stderr
        r = runner.invoke(app, ["scan", "-v", str(good)])
        assert r.exit_code == 1 and "Traceback" in r.stderr


class TestUsage:
    @pytest.mark.parametrize(
        "args",
        [
            ["scan"],
            ["scan", "x.png", "-o", "results.txt"],
            ["scan", "x.png", "--format", "xml"],
            ["scan", "x.png", "-v", "-q"],
            ["scan", "x.png", "--dpi", "0"],
            ["scan", "x.png", "--min-confidence", "2"],
            ["scan", "x.png", "--model", "/no/such/model.onnx"],
            ["frobnicate"],
        ],
    )
    def test_usage_errors_exit_2(self, runner: CliRunner, args: list[str]) -> None:
        r = runner.invoke(app, args)
        assert r.exit_code == 2, r.output
        assert r.stdout == ""

    def test_version(self, runner: CliRunner) -> None:
        r = runner.invoke(app, ["--version"])
        assert r.exit_code == 0
        assert r.stdout.strip() == f"formocr {__version__}"


def test_subprocess_help_is_fast_and_light() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "formocr", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert r.returncode == 0 and "scan" in r.stdout
    probe = (
        "import sys, formocr.cli; "
        "heavy = {'cv2', 'onnxruntime', 'numpy', 'PIL', 'pdf2image'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert r.stdout.strip() == "[]", r.stdout + r.stderr
