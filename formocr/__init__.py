"""formocr: batch OCR of handwritten digits in the boxes of scanned forms and cheques.

``from formocr import DigitClassifier`` gives the digit classifier. It is
imported on first use, so ``import formocr`` (and ``formocr --help``) does
not pay for onnxruntime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from formocr.read.classify import DigitClassifier

# The one place the version is written (pyproject.toml reads it from here), so
# no process pays for importlib.metadata to learn it.
__version__ = "0.1.0"

__all__ = ["DigitClassifier", "__version__"]

# name -> module it lives in, imported on first access
_LAZY = {"DigitClassifier": "formocr.read.classify"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'formocr' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
