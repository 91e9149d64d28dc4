"""formocr: batch OCR of handwritten digits in the boxes of scanned forms and cheques."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("formocr")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
