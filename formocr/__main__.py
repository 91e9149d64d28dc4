"""``python -m formocr``."""

from formocr.cli import main

main()
