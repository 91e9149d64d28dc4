"""``python -m formocr``."""

from formocr.cli import main

if __name__ == "__main__":
    main()
