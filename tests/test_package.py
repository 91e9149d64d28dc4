"""The top-level package: what it exports, and that importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest


def test_digit_classifier_from_the_top_level() -> None:
    import formocr
    from formocr import DigitClassifier
    from formocr.read.classify import DigitClassifier as Direct

    assert DigitClassifier is Direct
    assert "DigitClassifier" in formocr.__all__
    assert "DigitClassifier" in dir(formocr)


def test_unknown_attribute_is_an_attribute_error() -> None:
    import formocr

    with pytest.raises(AttributeError, match="no_such_thing"):
        formocr.no_such_thing  # noqa: B018


def test_import_formocr_does_not_load_the_classifier() -> None:
    # `formocr --help` and library users who only write output should not
    # pay for onnxruntime; the classifier is imported on first use.
    code = (
        "import sys, formocr; "
        "assert 'onnxruntime' not in sys.modules, 'onnxruntime imported'; "
        "assert 'formocr.read.classify' not in sys.modules; "
        "formocr.DigitClassifier; "
        "assert 'formocr.read.classify' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_version_is_the_installed_one() -> None:
    """pyproject.toml reads the version from formocr/__init__.py (one place)."""
    from importlib.metadata import version

    import formocr

    assert version("formocr") == formocr.__version__


def test_the_command_module_does_not_import_the_cli() -> None:
    """A ``--jobs`` worker is started by re-running the ``formocr`` script, which
    imports its entry point: that import must not pay for typer and rich."""
    code = (
        "import sys, formocr.__main__; "
        "assert not {'typer', 'rich', 'formocr.cli'} & set(sys.modules), 'CLI imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert _pyproject()["project"]["scripts"]["formocr"] == "formocr.__main__:main"


def test_every_package_data_pattern_names_a_file() -> None:
    # A pattern that matches nothing ships nothing, silently: py.typed was
    # listed but missing, so type checkers ignored formocr's annotations.
    for package, patterns in _pyproject()["tool"]["setuptools"]["package-data"].items():
        for pattern in patterns:
            assert list((ROOT / package).glob(pattern)), f"{package}/{pattern} matches no file"
    assert (resources.files("formocr") / "py.typed").is_file()


def test_every_declared_marker_marks_a_test() -> None:
    text = "\n".join(p.read_text() for p in (ROOT / "tests").glob("*.py"))
    for marker in _pyproject()["tool"]["pytest"]["ini_options"]["markers"]:
        name = marker.split(":")[0].strip()
        assert f"mark.{name}" in text, f"marker {name!r} marks no test"
