"""Templates: the file format, registration, field rules, and the CLI end to end.

Forms come from ``training.synth``: one seed is one layout, and a
``Degradation`` turns, shifts and rescales it, moving the truth boxes along.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from conftest import FakeClassifier
from typer.testing import CliRunner

from formocr import api
from formocr.cli import app
from formocr.config import ScanConfig
from formocr.errors import ExitCode, TemplateError
from formocr.output.writers import document_dict
from formocr.templates.cut import page_box
from formocr.templates.draft import draft_template
from formocr.templates.register import Registration, RegistrationError, register
from formocr.templates.rules import luhn_ok, mod10_ok, parse_date, value_reasons
from formocr.templates.template import (
    Template,
    TemplateField,
    load_template,
    load_templates,
    parse_template,
    template_to_toml,
)
from formocr.types import BBox, DigitResult, DocumentResult, FieldResult, PageImage
from training.synth import Degradation, FieldTruth, make_form_page
from training.synth import write_png as synth_png

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "formocr" / "output" / "schema" / "results.schema.json").read_text())
SEED = 2  # a form with combs (lines and ticks) and digit strings
OTHER_SEED = 5  # a different form


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    logger = logging.getLogger("formocr")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def iou(a: BBox, b: BBox) -> float:
    return BBox(*a).iou(BBox(*b))


def key(t: FieldTruth) -> tuple[str, str, int, str]:
    """What identifies a field across renderings of one seed (names follow reading order)."""
    return (t.label, t.kind, t.cells, t.value)


def form(seed: int, dpi: int = 300, deg: Degradation | None = None) -> tuple[np.ndarray, list]:
    return make_form_page(np.random.default_rng(seed), dpi, degradation=deg)


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    page, _ = form(SEED)
    return synth_png(page, tmp_path_factory.mktemp("forms") / "blank.png", 300)


@pytest.fixture(scope="module")
def drafted(blank: Path) -> Template:
    return draft_template(blank, name="claim")


# -- the file format ------------------------------------------------------------

GOOD = """
name = "claim"
size_mm = [210, 297]

[[fields]]
name = "account"
box = [30, 52.5, 96, 9]
kind = "comb"
cells = 12
check = "luhn"
min_confidence = 0.97

[[fields]]
name = "date"
box = [140, 52.5, 48, 9]
kind = "comb"
cells = 8
check = "date"
format = "DDMMYYYY"

[[fields]]
name = "amount"
box = [30, 80, 60, 12]
kind = "amount"
pattern = "[1-9][0-9]*"

[[fields]]
name = "code"
box = [100, 80, 8, 10]
kind = "single"
"""


def test_load_a_good_template(tmp_path: Path) -> None:
    (tmp_path / "claim.toml").write_text(GOOD)
    t = load_template(tmp_path / "claim.toml")
    assert (t.name, t.unit, t.size, t.dpi) == ("claim", "mm", (210.0, 297.0), None)
    assert [f.name for f in t.fields] == ["account", "date", "amount", "code"]
    acc, date, amount, code = t.fields
    assert (acc.kind, acc.cells, acc.check, acc.min_confidence) == ("comb", 12, "luhn", 0.97)
    assert (date.check, date.date_format) == ("date", "DDMMYYYY")
    assert (amount.kind, amount.cells, amount.pattern) == ("amount", 0, "[1-9][0-9]*")
    assert (code.kind, code.cells) == ("single", 1)


def test_toml_round_trip(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(GOOD)
    t = load_template(tmp_path / "a.toml")
    (tmp_path / "b.toml").write_text(template_to_toml(t))
    assert replace(load_template(tmp_path / "b.toml"), source=t.source) == t
    px = Template(
        "p", (2480, 3508), "px", (TemplateField('a "q" ü', (1, 2, 3.5, 4), "digits"),), 300
    )
    assert parse_template(tomllib.loads(template_to_toml(px))) == replace(px, source="<template>")


def _edit(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = [", "not valid TOML"),
        (_edit('name = "claim"\n', ""), "needs name"),
        (_edit("size_mm = [210, 297]", "size_mm = [210, 297]\nsize_px = [1, 2]"), "exactly one of"),
        (_edit("size_mm = [210, 297]", "size_px = [2480, 3508]"), "size_px needs dpi"),
        (_edit("size_mm = [210, 297]", "size_mm = [210]"), "size_mm must be a list of 2 numbers"),
        (_edit('name = "claim"', 'name = "claim"\ncolour = "red"'), "unknown key(s) colour"),
        (_edit("box = [30, 52.5, 96, 9]", "box = [30, 52.5, 96]"), "field 1 ('account'): box"),
        (_edit('kind = "comb"\ncells = 12', 'kind = "boxes"'), "kind must be one of"),
        (_edit("cells = 12\n", ""), "field 1 ('account'): a comb field needs cells"),
        (_edit("min_confidence = 0.97", "min_confidance = 0.97"), "unknown key(s) min_confidance"),
        (
            _edit("min_confidence = 0.97", "min_confidence = 1.5"),
            "min_confidence must be in [0, 1]",
        ),
        (_edit('format = "DDMMYYYY"\n', ""), "field 2 ('date'): check = \"date\" needs format"),
        (_edit('format = "DDMMYYYY"', 'format = "DD/MM/YYYY"'), "without separators"),
        (_edit('check = "luhn"', 'check = "crc"'), "check must be one of"),
        (_edit('pattern = "[1-9][0-9]*"', 'pattern = "[1-9"'), "not a valid regex"),
        (_edit("box = [140, 52.5, 48, 9]", "box = [240, 52.5, 48, 9]"), "outside the form's size"),
        (_edit('name = "date"', 'name = "account"'), "'account' is used twice"),
        (_edit("cells = 12", "cells = 12\nlength = 13"), "length 13 is more than its 12 cells"),
        ('name = "x"\nsize_mm = [10, 10]\n', "at least one [[fields]]"),
    ],
)
def test_invalid_templates_say_where_and_what(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(TemplateError) as e:
        load_template(path)
    assert str(e.value).startswith(f"{path}: ")
    assert message in str(e.value)
    assert e.value.exit_code == ExitCode.TEMPLATE == 7


def test_missing_file_and_duplicate_template_names(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="not found"):
        load_template(tmp_path / "gone.toml")
    (tmp_path / "a.toml").write_text(GOOD)
    (tmp_path / "b.toml").write_text(GOOD)
    with pytest.raises(TemplateError, match="also the name of"):
        load_templates([tmp_path / "a.toml", tmp_path / "b.toml"])


# -- rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ok"),
    [("79927398713", True), ("79927398710", False), ("4539578763621486", True), ("0", False)],
)
def test_luhn(value: str, ok: bool) -> None:
    assert luhn_ok(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"), [("4006381333931", True), ("4006381333932", False), ("036000291452", True)]
)
def test_mod10_weights_3_1(value: str, ok: bool) -> None:
    assert mod10_ok(value) is ok


@pytest.mark.parametrize(
    ("value", "fmt", "ok"),
    [
        ("29022024", "DDMMYYYY", True),
        ("29022023", "DDMMYYYY", False),
        ("31042024", "DDMMYYYY", False),
        ("20241231", "YYYYMMDD", True),
        ("20241331", "YYYYMMDD", False),
        ("311299", "DDMMYY", True),
        ("12312024", "MMDDYYYY", True),
        ("1231202", "MMDDYYYY", False),
    ],
)
def test_dates(value: str, fmt: str, ok: bool) -> None:
    assert (parse_date(value, fmt) is not None) is ok


def test_value_reasons_lists_every_broken_rule() -> None:
    assert value_reasons("79927398713", length=11, check="luhn") == []
    why = value_reasons("7992739871", length=11, pattern="9.*", check="luhn")
    assert why == [
        "expected 11 digits, read 10",
        "does not match pattern '9.*'",
        "Luhn check digit does not match",
    ]
    assert value_reasons("31022024", check="date", date_format="DDMMYYYY") == [
        "'31022024' is not a valid date in format DDMMYYYY"
    ]


@pytest.mark.parametrize(
    ("read", "fmt", "dates"),
    [
        ("1210412029", "DDMMYYYY", {"12042029"}),  # 12/04/2029
        ("714129", "DDMMYY", {"070429"}),  # 7/4/29
        ("1211711999", "MMDDYYYY", {"12171999"}),  # 12/17/1999, US order
        ("2029104112", "YYYYMMDD", {"20290412"}),  # 2029/04/12
        ("31102129", "DDMMYY", set()),  # 31/02/29: no date
        ("1111111", "DDMMYY", {"011111", "110111"}),  # 1/11/11, 11/1/11: two dates
        ("12042029", "DDMMYYYY", set()),  # no separators to take out
        ("3212412029", "DDMMYYYY", set()),  # 32/24/2029: no date
    ],
)
def test_a_date_written_with_slashes_read_as_1s(read: str, fmt: str, dates: set[str]) -> None:
    from formocr.templates.rules import slashed_dates

    assert set(slashed_dates(read, fmt)) == dates


def test_a_template_date_read_with_its_slashes_gives_the_date_in_review() -> None:
    """A free box whose template checks a date: "12/04/2029" read
    1210412029 breaks the check; read with the slashes taken out, it is the
    date, given as the value, and a person still looks. A comb's value is
    never re-read so (its cells hold no slash)."""
    from formocr.read.combine import doubt_cap

    read = FieldResult("date", "1210412029", 0.9995, "ok", BBox(0, 0, 300, 60), ())
    free = TemplateField(
        "date", (0.0, 0.0, 60.0, 10.0), "digits", check="date", date_format="DDMMYYYY"
    )
    field = api._apply_rules(read, free, doubt_cap())
    assert (field.value, field.status) == ("12042029", "review")
    assert field.reason is not None and "read as the date 12042029" in field.reason
    comb = replace(free, kind="comb", cells=10)
    kept = api._apply_rules(read, comb, doubt_cap())
    assert (kept.value, kept.status) == ("1210412029", "review")
    assert kept.reason == "'1210412029' is not a valid date in format DDMMYYYY"
    # A 1 written where a slash would be, in a date that breaks nothing: as read.
    assert api._apply_rules(replace(read, value="12042029"), free, doubt_cap()).status == "ok"


@pytest.mark.parametrize(
    ("slashes", "date"), [((1, 4), "021260"), ((2, 4), "210260"), ((), "2112160")]
)
def test_of_two_dates_the_one_whose_slashes_lean_is_given(
    slashes: tuple[int, ...], date: str
) -> None:
    """ "2112160" reads 2/12/60 and 21/2/60 alike: the 1s that lean like
    slashes tell which (``bench/slashes.py --template``: 4 such dates, all
    given right). With none leaning more, the value is kept as read."""
    import cv2

    from formocr.read.combine import doubt_cap

    page = np.full((120, 800), 255, np.uint8)
    digits = []
    for i, ch in enumerate("2112160"):
        x = 20 + 100 * i
        if i in slashes:
            cv2.line(page, (x + 45, 20), (x + 5, 100), 0, 6)
        else:
            cv2.line(page, (x + 25, 20), (x + 25, 100), 0, 6)
        digits.append(DigitResult(ch, 0.999, BBox(x, 16, 50, 88), ()))
    read = FieldResult("born", "2112160", 0.999, "ok", BBox(0, 0, 800, 120), tuple(digits))
    tf = TemplateField("born", (0.0, 0.0, 80.0, 12.0), "digits", check="date", date_format="DDMMYY")
    field = api._apply_rules(read, tf, doubt_cap(), page)
    assert (field.value, field.status) == (date, "review")
    assert api._apply_rules(read, tf, doubt_cap()).value == "2112160"  # no page: no tie broken


# -- registration ------------------------------------------------------------------


def _check_registration(t: Template, page: np.ndarray, truth: list, dpi: float | None) -> None:
    reg = register(page, [t], dpi=dpi)
    _, clean = form(SEED)
    for f, want in zip(t.fields, _truth_for(t, clean), strict=True):
        moved = next(tr for tr in truth if key(tr) == key(want))
        x, y, w, h = f.box
        pts = reg.to_page(np.array([[x, y], [x + w, y], [x, y + h], [x + w, y + h]]))
        (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
        got = BBox(int(x0), int(y0), int(x1 - x0), int(y1 - y0))
        assert iou(got, moved.bbox) >= 0.8, (f.name, got, moved.bbox)


def _truth_for(t: Template, clean: list) -> list:
    """The clean page's truth field under each template box."""
    out = []
    for f in t.fields:
        box = BBox(*(int(v) for v in f.box))
        best = max(clean, key=lambda tr: iou(box, tr.bbox))
        assert iou(box, best.bbox) >= 0.9
        out.append(best)
    return out


@pytest.mark.parametrize(
    ("dpi", "rotation", "shift", "scale"),
    [
        (150, 5.0, 15.0, 1.05),
        (150, -5.0, -15.0, 0.95),
        (300, -5.0, 15.0, 1.05),
        (300, 3.0, -15.0, 0.95),
        (600, 5.0, -15.0, 0.95),
        (600, -2.0, 15.0, 1.05),
    ],
)
def test_registration_recovers_rotation_shift_and_scale(
    drafted: Template, dpi: int, rotation: float, shift: float, scale: float
) -> None:
    deg = Degradation(
        rotation_deg=(rotation, rotation), shift_mm=(shift, shift), scale=(scale, scale)
    )
    page, truth = form(SEED, dpi, deg)
    reg = register(page, [drafted], dpi=dpi)
    assert reg.matched == len(drafted.fields)
    assert reg.rotation_deg == pytest.approx(rotation, abs=0.3)
    assert reg.scale == pytest.approx(scale, abs=0.015)
    assert reg.page_dpi == pytest.approx(dpi * scale, rel=0.015)
    assert reg.residual_mm < 0.6
    _check_registration(drafted, page, truth, dpi)


def test_registration_without_dpi_and_a_little_past_5_degrees(drafted: Template) -> None:
    """No resolution in the file: the page size gives it. Past 5 degrees the box
    finder no longer deskews, and registration works on a copy turned back."""
    page, truth = form(SEED, 200, Degradation(rotation_deg=(2.0, 2.0), scale=(1.03, 1.03)))
    _check_registration(drafted, page, truth, None)
    page, truth = form(SEED, 300, Degradation(rotation_deg=(-5.5, -5.5), shift_mm=(5, 5)))
    assert register(page, [drafted], dpi=300).rotation_deg == pytest.approx(-5.5, abs=0.3)
    _check_registration(drafted, page, truth, 300)


def test_best_of_several_templates(drafted: Template, tmp_path: Path) -> None:
    other_page, _ = form(OTHER_SEED)
    other = draft_template(synth_png(other_page, tmp_path / "other.png", 300), name="other")
    page, _ = form(OTHER_SEED, 300, Degradation(rotation_deg=(-3, -3), shift_mm=(-8, -8)))
    assert register(page, [drafted, other], dpi=300).template.name == "other"
    page, _ = form(SEED, 300, Degradation(rotation_deg=(2, 2)))
    assert register(page, [drafted, other], dpi=300).template.name == "claim"


@pytest.mark.parametrize("what", ["blank", "other form", "wrong scale"])
def test_unregistrable_page_is_a_page_error_with_no_values(drafted: Template, what: str) -> None:
    if what == "blank":
        page = np.full((3508, 2480), 255, np.uint8)
    elif what == "other form":
        page, _ = form(OTHER_SEED, 300, Degradation(rotation_deg=(1, 1)))
    else:  # the right form, printed at 80%
        page, _ = form(SEED, 300, Degradation(scale=(0.8, 0.8)))
    with pytest.raises(RegistrationError, match="template 'claim'"):
        register(page, [drafted], dpi=300)
    cfg = ScanConfig(min_confidence=0.9, templates=(drafted,))
    clf = FakeClassifier()
    result = api.scan_page(PageImage("x.png", 1, page, 300.0), cfg, clf)
    assert result.fields == () and result.template is None
    assert result.error and "x.png: page 1 does not match the template" in result.error
    assert clf.calls == []  # nothing was read, so nothing can be guessed
    doc = DocumentResult("x.png", "ok", None, (result,))
    jsonschema.validate(document_dict(doc), {"$defs": SCHEMA["$defs"], "$ref": "#/$defs/document"})


def test_rules_and_per_field_confidence(drafted: Template) -> None:
    """A value that fails its rule goes to review with the reason; a field's own
    min_confidence overrides the run's."""
    page, truth = form(SEED, 300, Degradation(rotation_deg=(1.0, 1.0)))
    first, second = drafted.fields[0], drafted.fields[1]
    tpl = replace(
        drafted,
        fields=(
            replace(first, name="account", check="luhn", pattern="1[0-9]*"),
            replace(second, name="strict", min_confidence=0.999),
            *drafted.fields[2:],
        ),
    )
    clf = FakeClassifier([(7, 0.99)])  # every digit a sure 7
    result = api.scan_page(
        PageImage("x.png", 1, page, 300.0), ScanConfig(min_confidence=0.9, templates=(tpl,)), clf
    )
    assert result.template == "claim" and result.error is None
    fields = {f.name: f for f in result.fields}
    assert [f.name for f in result.fields] == [f.name for f in tpl.fields]
    account = fields["account"]
    assert account.status == "review" and account.value and set(account.value) == {"7"}
    assert account.reason and "does not match pattern '1[0-9]*'" in account.reason
    assert fields["strict"].status == "review"
    assert fields["strict"].reason == "confidence 0.9900 below 0.999"
    others = [f for f in result.fields[2:] if f.status != "empty"]
    assert others and all(f.status == "ok" and f.reason is None for f in others)


# -- CLI end to end ----------------------------------------------------------------


def test_cli_template_init_then_scan_a_turned_shifted_rescaled_copy(
    blank: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    toml = tmp_path / "claim.toml"
    r = runner.invoke(app, ["template", "init", str(blank), "-o", str(toml), "--name", "claim"])
    assert r.exit_code == 0, r.output
    drafted = load_template(toml)
    assert [f.name for f in drafted.fields] == [f"field_{i:03d}" for i in range(1, 8)]
    assert drafted.unit == "px" and drafted.dpi == pytest.approx(300, abs=0.1)
    # The user names the fields.
    names = ["customer", "policy", "units", "phone", "postcode", "item", "member"]
    text = toml.read_text()
    for i, name in enumerate(names, 1):
        text = text.replace(f'"field_{i:03d}"', f'"{name}"')
    toml.write_text(text)

    deg = Degradation(
        rotation_deg=(4.0, 4.0), shift_mm=(12, 12), scale=(0.96, 0.96), noise_sigma=(3, 3)
    )
    page, truth = form(SEED, 250, deg)
    scan = synth_png(page, tmp_path / "scan.png", 250)
    out = tmp_path / "out.json"
    r = runner.invoke(app, ["scan", "--template", str(toml), str(scan), "-o", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    (page_out,) = data["documents"][0]["pages"]
    assert page_out["template"] == "claim" and page_out["error"] is None
    assert [f["name"] for f in page_out["fields"]] == names
    _, clean = form(SEED)
    want = {
        f.name: next(tr.value for tr in truth if key(tr) == key(c))
        for f, c in zip(drafted.fields, _truth_for(drafted, clean), strict=True)
    }
    got = {names[int(k[-3:]) - 1]: v for k, v in want.items()}
    read = {f["name"]: f["value"] for f in page_out["fields"]}
    # Every digit found (segmentation through the transform), and read
    # (at least most fields exactly: the model, not the template, decides the rest).
    assert {k: len(v) for k, v in read.items()} == {k: len(v) for k, v in got.items()}
    assert sum(read[k] == got[k] for k in got) >= len(got) - 2, (read, got)

    r = runner.invoke(app, ["scan", "-t", str(toml), str(scan), "-f", "csv"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["field"] for row in rows] == names
    assert {row["template"] for row in rows} == {"claim"}


def test_cli_page_that_does_not_register_exits_4(drafted: Template, tmp_path: Path) -> None:
    toml = tmp_path / "claim.toml"
    toml.write_text(template_to_toml(drafted))
    other, _ = form(OTHER_SEED)
    scan = synth_png(other, tmp_path / "other.png", 300)
    r = CliRunner().invoke(app, ["scan", "--template", str(toml), str(scan)])
    assert r.exit_code == 4, r.output
    (row,) = list(csv.DictReader(io.StringIO(r.stdout)))
    assert (row["page"], row["status"], row["value"]) == ("1", "failed", "")
    assert "does not match the template" in row["error"]
    assert "1 pages not read" in r.stderr


def test_cli_bad_template_exits_7(tmp_path: Path, blank: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace('kind = "single"', 'kind = "dingle"'))
    r = CliRunner().invoke(app, ["scan", "--template", str(bad), str(blank)])
    assert r.exit_code == 7, r.output
    assert "bad.toml: field 4 ('code'): kind must be one of" in r.stderr
    assert r.stdout == ""
    r = CliRunner().invoke(app, ["scan", "--template", str(tmp_path / "gone.toml"), str(blank)])
    assert r.exit_code == 2  # a missing file is a usage error, as for --model


def test_cli_template_init_on_a_page_without_boxes(tmp_path: Path) -> None:
    empty = synth_png(np.full((800, 600), 255, np.uint8), tmp_path / "empty.png", 100)
    r = CliRunner().invoke(app, ["template", "init", str(empty), "-o", str(tmp_path / "t.toml")])
    assert r.exit_code == 7
    assert "no printed boxes found" in r.stderr
    assert not (tmp_path / "t.toml").exists()


# -- separate one-digit boxes: a cheque's date -------------------------------------


def test_separate_date_boxes_become_one_field_with_a_date_check(tmp_path: Path) -> None:
    """A date printed in eight boxes grouped 2-2-4 is drafted as one comb with
    ``boxes``; read on a turned, shifted, rescaled copy, it passes or fails its rule."""
    from training.synth import make_cheque

    blank, _ = make_cheque(np.random.default_rng(2), 300, separate_date_boxes=True)
    drafted = draft_template(synth_png(blank, tmp_path / "cheque.png", 300), name="cheque")
    date, amount = drafted.fields
    assert (date.kind, date.cells, len(date.boxes)) == ("comb", 8, 8)
    assert amount.kind == "digits"
    text = template_to_toml(drafted).replace('"field_001"', '"date"')
    text = text.replace("cells = 8", 'cells = 8\ncheck = "date"\nformat = "DDMMYYYY"')
    (tmp_path / "cheque.toml").write_text(text)
    tpl = load_template(tmp_path / "cheque.toml")
    assert tpl.fields[0].boxes == date.boxes and tpl.fields[0].check == "date"

    deg = Degradation(rotation_deg=(-5, -5), shift_mm=(-15, -15), scale=(0.95, 0.95))
    page, truth = make_cheque(np.random.default_rng(2), 200, degradation=deg)
    reg = register(page, [tpl], dpi=200)
    assert reg.matched == reg.boxes == 9
    img = PageImage("c.png", 1, page, 200.0)
    for digit, status in [(1, "ok"), (9, "review")]:  # 11111111 is a date, 99999999 is not
        result = api.scan_page(
            img, ScanConfig(min_confidence=0.9, templates=(tpl,)), FakeClassifier([(digit, 0.99)])
        )
        got = {f.name: f for f in result.fields}
        assert got["date"].value == str(digit) * 8
        assert got["date"].status == status
        if status == "ok":
            assert got["date"].reason is None
        else:
            assert got["date"].reason == "'99999999' is not a valid date in format DDMMYYYY"
        assert len(got["field_002"].value) == len(truth[-1].value)


def test_boxes_in_the_file_format(tmp_path: Path) -> None:
    text = GOOD.replace(
        "box = [140, 52.5, 48, 9]",
        "boxes = [[140, 52.5, 6, 9], [147, 52.5, 6, 9], [156, 52.5, 6, 9], [163, 52.5, 6, 9],"
        " [172, 52.5, 6, 9], [179, 52.5, 6, 9], [186, 52.5, 6, 9], [193, 52.5, 6, 9]]",
    )
    (tmp_path / "t.toml").write_text(text)
    date = load_template(tmp_path / "t.toml").fields[1]
    assert date.box == (140.0, 52.5, 59.0, 9.0) and len(date.printed) == 8
    (tmp_path / "u.toml").write_text(text.replace("cells = 8", "cells = 7"))
    with pytest.raises(TemplateError, match="cells = 7 but 8 boxes"):
        load_template(tmp_path / "u.toml")
    (tmp_path / "v.toml").write_text(text.replace("boxes = [", "box = [1, 1, 1, 1]\nboxes = ["))
    with pytest.raises(TemplateError, match="not both"):
        load_template(tmp_path / "v.toml")


def test_fields_cut_off_the_page_go_to_review(drafted: Template) -> None:
    """A page scanned without its right third: what is left registers; the boxes
    that run off the edge are not trusted, whatever was read in them."""
    page, _ = form(SEED)
    page = np.ascontiguousarray(page[:, : int(0.65 * page.shape[1])])
    result = api.scan_page(
        PageImage("x.png", 1, page, 300.0),
        ScanConfig(min_confidence=0.9, templates=(drafted,)),
        FakeClassifier(),
    )
    assert result.error is None
    for tf, f in zip(drafted.fields, result.fields, strict=True):
        off = tf.box[0] + tf.box[2] > page.shape[1]
        assert ("outside the scanned page" in (f.reason or "")) is off, f
        if off:
            assert f.status == "review"
    assert sum("outside" in (f.reason or "") for f in result.fields) == 2


def test_a_hand_measured_millimetre_template(tmp_path: Path) -> None:
    """Boxes measured with a ruler (to the half millimetre) register and read."""
    _, clean = form(SEED)
    mm = 25.4 / 300

    def ruler(v: float) -> float:
        return round(v * mm * 2) / 2

    lines = ['name = "ruled"', "size_mm = [210, 297]"]
    for i, tr in enumerate(clean, 1):
        box = ", ".join(str(ruler(v)) for v in tr.bbox)
        lines += ["", "[[fields]]", f'name = "f{i}"', f"box = [{box}]"]
        lines.append(
            f'kind = "comb"\ncells = {tr.cells}' if tr.kind == "comb" else 'kind = "digits"'
        )
    (tmp_path / "ruled.toml").write_text("\n".join(lines) + "\n")
    tpl = load_template(tmp_path / "ruled.toml")
    page, truth = form(SEED, 200, Degradation(rotation_deg=(-4, -4), shift_mm=(10, 10)))
    reg = register(page, [tpl], dpi=200)
    assert reg.matched == len(clean) and reg.rotation_deg == pytest.approx(-4, abs=0.3)
    # A script under the lattice's WIDE_SURE: read at 0.99 as a 0, a crop of
    # two digits would rightly be let off as one wide 0. This test counts
    # the cuts, so no crop is read that sure.
    result = api.scan_page(
        PageImage("r.png", 1, page, 200.0),
        ScanConfig(min_confidence=0.9, templates=(tpl,)),
        FakeClassifier(((0, 0.98), (0, 0.97), (7, 0.95))),
    )
    by_key = {key(tr): tr for tr in truth}
    for f, tr in zip(result.fields, clean, strict=True):
        assert len(f.digits) == len(by_key[key(tr)].value), f.name


def test_a_template_box_past_the_page_edge_is_clamped_to_the_page() -> None:
    """``on_page`` lets a box reach half a millimetre past the page; its page
    box (the output's ``bbox``) is clamped to the page all the same, by the
    one conversion every stage uses (``formocr.types.page_bbox``)."""
    tpl = Template(
        "t", (200.0, 100.0), "px", (TemplateField("a", (0, 0, 10, 10), "digits"),), 300.0
    )
    reg = Registration(tpl, np.array([[1.0, 0.0, -3.0], [0.0, 1.0, 2.0]]), 1, 1, 0.0, 0.0, 1.0, 300)
    shape = (100, 200)
    box = (0.0, 0.0, 205.0, 102.0)  # on the page: (-3, 2) to (202, 104)
    assert reg.on_page(box, shape)  # within the half-millimetre slack
    assert page_box(reg, box, shape) == BBox(0, 2, 200, 98)


def test_template_string_fields_are_read_by_the_lattice_and_the_string_reader(
    drafted: Template,
) -> None:
    """With a template, a digit-string box carries its over-segmented ink, as
    without one, so the lattice and the string reader read it (not the old
    width-rule cuts); its candidates lie in the box on the page."""
    from formocr.templates.cut import cut_fields

    deg = Degradation(rotation_deg=(2.0, 2.0), shift_mm=(4.0, 4.0), scale=(1.0, 1.0))
    page, _ = form(SEED, 300, deg)
    reg = register(page, [drafted], dpi=300)
    layouts = cut_fields(page, reg)
    strings = [
        (f, lay)
        for f, lay in zip(drafted.fields, layouts, strict=True)
        if f.kind not in ("comb", "single") and not f.boxes
    ]
    assert strings
    for f, lay in strings:
        assert lay.kind == "string" and lay.ink is not None, f.name
        assert lay.ink.line is not None and lay.ink.segments
        box = lay.bbox
        for s in lay.ink.segments:
            cx, cy = s.crop.bbox.x + s.crop.bbox.w / 2, s.crop.bbox.y + s.crop.bbox.h / 2
            assert box.x <= cx <= box.x + box.w and box.y <= cy <= box.y + box.h, (f.name, s)
    # Comb fields are cut into their cells as before, with no ink to segment.
    assert all(
        lay.ink is None
        for f, lay in zip(drafted.fields, layouts, strict=True)
        if f.kind in ("comb", "single")
    )


@pytest.mark.parametrize("kind", ["string", "comb"])
def test_writing_left_out_across_a_template_box_sends_the_field_to_review(
    tmp_path: Path, kind: str
) -> None:
    """Without a template, writing that crosses a box's edge and is left out
    (mostly outside) sends the field to review: what was read may lack a
    digit. Read through a template, the same field came out `ok`."""
    import cv2

    page = np.full((600, 1000), 255, np.uint8)
    cv2.rectangle(page, (60, 60), (940, 160), 0, 3)  # a wide box to register on
    cv2.rectangle(page, (100, 300), (700, 470), 0, 3)
    if kind == "comb":
        for x in range(250, 700, 150):
            cv2.line(page, (x, 300), (x, 470), 0, 3)
    drafted = draft_template(synth_png(page, tmp_path / "blank.png", 300), name="form")
    (tmp_path / "form.toml").write_text(template_to_toml(drafted))
    tpl = load_template(tmp_path / "form.toml")
    field = max(tpl.fields, key=lambda f: f.box[1])  # the lower box
    assert field.kind == ("comb" if kind == "comb" else "digits")

    for k, ch in enumerate("354"):
        cv2.putText(page, ch, (130 + 150 * k, 440), cv2.FONT_HERSHEY_SIMPLEX, 3.5, 0, 12)
    high = page.copy()
    cv2.putText(high, "7", (580, 330), cv2.FONT_HERSHEY_SIMPLEX, 3.5, 0, 12)  # mostly above
    config = ScanConfig(min_confidence=0.9, templates=(tpl,))
    fake = FakeClassifier([(5, 0.999)])
    read = {}
    for name, image in (("plain", page), ("high", high)):
        result = api.scan_page(PageImage("p.png", 1, image, 300.0), config, fake)
        (read[name],) = (f for f in result.fields if f.name == field.name)
    assert len(read["plain"].value) == len(read["high"].value) == 3
    assert read["plain"].status == "ok"
    assert read["high"].status == "review"
    assert read["high"].reason is not None and api.CROSSED in read["high"].reason
