"""Writers: the JSON schema, exact CSV columns, streaming, atomic files."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import stat
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from formocr.errors import OutputError
from formocr.output import writers
from formocr.output.writers import (
    CSV_COLUMNS,
    RunInfo,
    check_target,
    document_dict,
    format_for,
    make_writer,
    open_writer,
)
from formocr.types import BBox, DigitResult, DocumentResult, FieldResult, PageResult

INFO = RunInfo(version="9.9.9", model_name="fake-digits", model_sha256="f" * 64)


def _digit(v: str, c: float, x: int) -> DigitResult:
    return DigitResult(v, c, BBox(x, 20, 40, 40), ((v, c), ("1", (1 - c) / 2), ("2", (1 - c) / 2)))


def good_doc(source: str = "scans/a.pdf") -> DocumentResult:
    digits = (_digit("0", 0.999912345, 20), _digit("0", 0.98, 60), _digit("7", 0.95, 100))
    fields = (
        FieldResult("field_001", "007", 0.95, "ok", BBox(20, 20, 120, 40), digits),
        FieldResult("field_002", "", 0.0, "empty", BBox(20, 120, 200, 40), ()),
    )
    pages = (PageResult(1, 400, 300, 300.0, fields), PageResult(2, 400, 300, 300.0, ()))
    return DocumentResult(source, "ok", None, pages)


def failed_doc(source: str = "scans/b.pdf") -> DocumentResult:
    return DocumentResult(source, "failed", "b.pdf: empty file (0 bytes); scan it again")


def schema() -> dict[str, Any]:
    text = (resources.files("formocr") / "output" / "schema" / "results.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def document_validator() -> jsonschema.Draft202012Validator:
    s = schema()
    return jsonschema.Draft202012Validator({"$defs": s["$defs"], "$ref": "#/$defs/document"})


def render(fmt: str, docs: list[DocumentResult]) -> str:
    buf = io.StringIO()
    w = make_writer(fmt, buf, INFO)  # type: ignore[arg-type]
    for d in docs:
        w.write(d)
    w.close()
    return buf.getvalue()


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())


@pytest.mark.parametrize("docs", [[], [good_doc()], [good_doc(), failed_doc(), good_doc("ü.png")]])
def test_json_validates_and_equals_a_plain_dump(docs: list[DocumentResult]) -> None:
    text = render("json", docs)
    data = json.loads(text)
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    assert text == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    assert data["formocr"] == {
        "version": "9.9.9",
        "model": {"name": "fake-digits", "sha256": "f" * 64},
    }
    assert len(data["documents"]) == len(docs)


def test_json_and_jsonl_written_a_page_at_a_time_are_the_whole_dumps() -> None:
    """The writers stream a document page by page (its pages may be on disk):
    the text is what dumping the whole document_dict gives."""
    three = DocumentResult("c.pdf", "ok", None, (*good_doc().pages, PageResult(3, 1, 1, None)))
    docs = [good_doc(), failed_doc(), good_doc(NON_UTF8), three, DocumentResult("e", "ok")]
    lines = [json.dumps(document_dict(d), ensure_ascii=False) + "\n" for d in docs]
    assert render("jsonl", docs) == "".join(lines)
    assert [writers.jsonl_line(d) for d in docs] == lines
    whole = {"formocr": writers.header_dict(INFO), "documents": [document_dict(d) for d in docs]}
    assert render("json", docs) == json.dumps(whole, indent=2, ensure_ascii=False) + "\n"


def test_json_document_layout_and_rounding() -> None:
    d = json.loads(render("json", [good_doc()]))["documents"][0]
    assert d["source"] == "scans/a.pdf" and d["status"] == "ok" and d["error"] is None
    page = d["pages"][0]
    assert (page["page"], page["width"], page["height"], page["dpi"]) == (1, 400, 300, 300.0)
    field = page["fields"][0]
    assert field["value"] == "007" and field["bbox"] == [20, 20, 120, 40]
    digit = field["digits"][0]
    assert digit["confidence"] == 0.9999
    assert digit["top3"][0] == ["0", 0.9999] and digit["bbox"] == [20, 20, 40, 40]


def test_schema_rejects_what_it_should() -> None:
    v = document_validator()
    d = document_dict(good_doc())
    d["pages"][0]["fields"][0]["value"] = 7  # a number would lose leading zeros
    assert not v.is_valid(d)
    d = document_dict(failed_doc())
    d["error"] = None
    assert not v.is_valid(d)


def test_jsonl_one_valid_document_per_line() -> None:
    lines = render("jsonl", [good_doc(), failed_doc()]).splitlines()
    assert len(lines) == 2
    v = document_validator()
    for line in lines:
        v.validate(json.loads(line))
    assert json.loads(lines[1])["status"] == "failed"


def test_csv_columns_rows_and_leading_zeros() -> None:
    text = render("csv", [good_doc(), failed_doc()])
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert (
        text.splitlines()[0]
        == "source,page,field,value,confidence,status,x,y,width,height,error,reason,template,raw"
    )
    assert rows[1] == [
        "scans/a.pdf",
        "1",
        "field_001",
        "007",
        "0.9500",
        "ok",
        "20",
        "20",
        "120",
        "40",
        "",
        "",
        "",
        "",
    ]
    assert rows[2][2:6] == ["field_002", "", "0.0000", "empty"]
    # page 2 has no fields: it still has its row, saying why
    assert rows[3] == ["scans/a.pdf", "2", "", "", "", "review", "", "", "", ""] + [
        "",
        "no boxes found on the page",
        "",
        "",
    ]
    assert rows[4] == [
        "scans/b.pdf",
        "",
        "",
        "",
        "",
        "failed",
        "",
        "",
        "",
        "",
        failed_doc().error,
        "",
        "",
        "",
    ]
    assert len(rows) == 5


def test_format_for() -> None:
    assert format_for(Path("x.CSV")) == "csv"
    assert format_for(Path("x.json")) == "json"
    assert format_for(Path("x.jsonl")) == "jsonl"
    assert format_for(Path("x.txt")) is None
    assert format_for(None) is None


# -- atomic files ----------------------------------------------------------------


def test_file_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    with open_writer("json", out, INFO) as w:
        w.write(good_doc())
        assert not out.exists()  # streamed to a temporary file beside it
        assert len(list(tmp_path.iterdir())) == 1
    assert json.loads(out.read_text())["documents"][0]["source"] == "scans/a.pdf"
    assert list(tmp_path.iterdir()) == [out]
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_failure_leaves_no_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    with pytest.raises(RuntimeError), open_writer(fmt, out, INFO) as w:  # type: ignore[arg-type]
        w.write(good_doc())
        raise RuntimeError("the batch broke")
    assert list(tmp_path.iterdir()) == []


def test_failure_leaves_existing_target_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("previous results\n")
    with pytest.raises(KeyboardInterrupt), open_writer("csv", out, INFO) as w:
        w.write(good_doc())
        raise KeyboardInterrupt
    assert out.read_text() == "previous results\n"
    assert list(tmp_path.iterdir()) == [out]


def test_unwritable_target_is_an_output_error(tmp_path: Path) -> None:
    with (
        pytest.raises(OutputError, match="no-such-dir"),
        open_writer("csv", tmp_path / "no-such-dir" / "out.csv", INFO),
    ):
        pass
    with pytest.raises(OutputError, match="is a directory"), open_writer("csv", tmp_path, INFO):
        pass


def test_stdout_when_no_target(capsys: pytest.CaptureFixture[str]) -> None:
    with open_writer("jsonl", None, INFO) as w:
        w.write(failed_doc())
    out = capsys.readouterr().out
    assert json.loads(out)["source"] == "scans/b.pdf"


# -- templates: page errors, reasons, template names --------------------------------


def templated_doc() -> DocumentResult:
    reason = "Luhn check digit does not match"
    fields = (
        FieldResult("account", "007", 0.95, "review", BBox(20, 20, 120, 40), (), reason),
        FieldResult("date", "", 0.0, "empty", BBox(20, 120, 200, 40), ()),
    )
    pages = (
        PageResult(1, 400, 300, 300.0, fields, template="claim"),
        PageResult(2, 400, 300, 300.0, (), error="x.pdf: page 2 does not match the template"),
    )
    return DocumentResult("x.pdf", "ok", None, pages)


def test_csv_page_error_reason_and_template_columns() -> None:
    rows = list(csv.DictReader(io.StringIO(render("csv", [templated_doc()]))))
    assert [(r["page"], r["field"], r["status"]) for r in rows] == [
        ("1", "account", "review"),
        ("1", "date", "empty"),
        ("2", "", "failed"),
    ]
    assert rows[0]["reason"] == "Luhn check digit does not match"
    assert rows[0]["template"] == rows[1]["template"] == "claim"
    assert rows[2]["error"] == "x.pdf: page 2 does not match the template"
    assert rows[2]["value"] == rows[2]["reason"] == rows[2]["template"] == ""


def test_json_page_error_reason_and_template() -> None:
    d = document_dict(templated_doc())
    document_validator().validate(d)
    p1, p2 = d["pages"]
    assert (p1["template"], p1["error"]) == ("claim", None)
    assert p1["fields"][0]["reason"] == "Luhn check digit does not match"
    assert p1["fields"][1]["reason"] is None
    assert (p2["fields"], p2["error"]) == ([], "x.pdf: page 2 does not match the template")
    p2["fields"] = p1["fields"]  # a page with an error holds no values
    assert not document_validator().is_valid(d)


def test_outputs_written_before_templates_still_validate() -> None:
    d = document_dict(good_doc())
    for p in d["pages"]:
        del p["error"], p["template"]
        for f in p["fields"]:
            del f["reason"]
    document_validator().validate(d)


def test_a_page_with_an_error_has_no_fields() -> None:
    f = FieldResult("a", "1", 0.9, "ok", BBox(0, 0, 1, 1))
    with pytest.raises(ValueError, match="no guessed values"):
        PageResult(1, 10, 10, None, (f,), error="did not register")


# -- hostile names: spreadsheets, bytes that are not UTF-8 ------------------------------

NON_UTF8 = os.fsdecode(b"scans/\xff\xfe.png")  # as discovery gives it: lone surrogates


def hostile_doc(source: str = '=HYPERLINK("http://x","y").png') -> DocumentResult:
    fields = (
        FieldResult("+1", "007", 0.95, "review", BBox(20, 20, 120, 40), (), "@SUM(A1)", "=7="),
        FieldResult("-2", "", 0.0, "empty", BBox(20, 120, 200, 40), ()),
    )
    pages = (
        PageResult(1, 400, 300, 300.0, fields, template="\tcmd"),
        PageResult(2, 400, 300, 300.0, (), error="\r=1+1"),
    )
    return DocumentResult(source, "ok", None, pages)


def test_csv_cells_that_start_a_formula_are_neutralised() -> None:
    rows = list(csv.DictReader(io.StringIO(render("csv", [hostile_doc()]))))
    assert [r["source"] for r in rows] == ['\'=HYPERLINK("http://x","y").png'] * 3
    assert [r["field"] for r in rows] == ["'+1", "'-2", ""]
    assert rows[0]["reason"] == "'@SUM(A1)"
    assert rows[0]["raw"] == "'=7="
    assert rows[0]["template"] == "'\tcmd"
    assert rows[2]["error"] == "'\r=1+1"
    for r in rows:
        for k, v in r.items():
            assert not v.startswith(("=", "+", "-", "@", "\t", "\r")), (k, v)
    # what formocr writes itself stays a plain number or digit string
    assert (rows[0]["page"], rows[0]["value"], rows[0]["confidence"]) == ("1", "007", "0.9500")
    assert (rows[0]["x"], rows[0]["width"]) == ("20", "120")


def test_csv_leaves_plain_text_alone() -> None:
    rows = list(csv.DictReader(io.StringIO(render("csv", [good_doc("a-b=c.pdf")]))))
    assert rows[0]["source"] == "a-b=c.pdf"


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_non_utf8_file_names_are_escaped_as_bytes(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    with open_writer(fmt, out, INFO) as w:  # type: ignore[arg-type]
        w.write(good_doc(NON_UTF8))
        w.write(failed_doc(NON_UTF8.replace(".png", ".pdf")))
    text = out.read_bytes().decode("utf-8")  # strict: valid UTF-8
    assert "scans/\\xff\\xfe.png" in text if fmt == "csv" else "scans/\\\\xff\\\\xfe.png" in text
    if fmt == "json":
        sources = [d["source"] for d in json.loads(text)["documents"]]
    elif fmt == "jsonl":
        sources = [json.loads(line)["source"] for line in text.splitlines()]
    else:
        sources = list(dict.fromkeys(r["source"] for r in csv.DictReader(io.StringIO(text))))
    assert sources == ["scans/\\xff\\xfe.png", "scans/\\xff\\xfe.pdf"]


def test_json_with_a_non_utf8_name_still_validates() -> None:
    doc = DocumentResult(NON_UTF8, "failed", f"{NON_UTF8}: empty file (0 bytes)")
    d = document_dict(doc)
    document_validator().validate(d)
    assert d["error"] == "scans/\\xff\\xfe.png: empty file (0 bytes)"
    json.dumps(d, ensure_ascii=False).encode("utf-8")


def test_page_without_fields_says_why_in_json() -> None:
    d = document_dict(good_doc())
    document_validator().validate(d)
    assert d["pages"][0]["reason"] is None
    assert d["pages"][1]["reason"] == "no boxes found on the page"


# -- -o is careful ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["symlink", "fifo", "dangling symlink"])
def test_never_replaces_a_symlink_or_fifo(tmp_path: Path, kind: str) -> None:
    real = tmp_path / "real.csv"
    real.write_text("keep me\n")
    out = tmp_path / "out.csv"
    if kind == "fifo":
        os.mkfifo(out)
    else:
        out.symlink_to(real if kind == "symlink" else tmp_path / "nowhere.csv")
    with pytest.raises(OutputError, match="never replaces"), open_writer("csv", out, INFO) as w:
        w.write(good_doc())
    assert out.is_symlink() if "symlink" in kind else stat.S_ISFIFO(os.lstat(out).st_mode)
    assert real.read_text() == "keep me\n"
    assert not list(tmp_path.glob(".*.part"))


def test_never_replaces_a_device() -> None:
    with pytest.raises(OutputError, match="character device"):
        check_target(Path("/dev/null"))
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_refuses_to_overwrite_an_input(tmp_path: Path) -> None:
    scan = tmp_path / "x.pdf"
    scan.write_bytes(b"%PDF-1.4 precious")
    alias = tmp_path / "results.csv"
    os.link(scan, alias)  # the same file under another name
    with pytest.raises(OutputError, match="is one of the inputs"):
        check_target(alias, [tmp_path / "other.png", scan])
    with pytest.raises(OutputError, match="is one of the inputs"):
        check_target(scan, [scan])
    check_target(tmp_path / "new.csv", [scan])
    assert scan.read_bytes() == b"%PDF-1.4 precious"


def test_full_disk_on_a_file_is_an_output_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC from the file system: OutputError (exit 6), no file, no .part."""
    real_fdopen = os.fdopen

    class Full(io.RawIOBase):
        def __init__(self, f: Any) -> None:
            self.f = f

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def fileno(self) -> int:
            return int(self.f.fileno())

        def close(self) -> None:
            self.f.close()
            super().close()

    monkeypatch.setattr(writers.os, "fdopen", lambda fd, mode: Full(real_fdopen(fd, mode)))
    out = tmp_path / "out.csv"
    with pytest.raises(OutputError, match="No space left"), open_writer("csv", out, INFO) as w:
        w.write(good_doc())
    assert list(tmp_path.iterdir()) == []


def test_stale_parts_of_dead_runs_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    dead = writers.part_name(out, 4_194_304 + 7)  # above any pid_max: no such process
    alive = writers.part_name(out, os.getppid())
    other = tmp_path / ".other.csv.1.part"
    for p in (dead, alive, other):
        p.write_text("half a batch")
    with open_writer("csv", out, INFO) as w:
        w.write(good_doc())
    assert not dead.exists()
    assert alive.exists() and other.exists()  # a live run's, and another output's
    with open_writer("csv", out, INFO, stale_parts=True) as w:  # holding the lock
        w.write(good_doc())
    assert not alive.exists() and other.exists()
    assert out.read_text().startswith("source,")
