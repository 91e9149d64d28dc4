"""The top-level package: what it exports, and that importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys

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
