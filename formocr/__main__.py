"""``python -m formocr``, and the ``formocr`` command's entry point.

The CLI (typer, rich) is imported when the command runs, not when this module
is: a spawned ``--jobs`` worker is started by re-running the command's script
(multiprocessing's spawn; see formocr.parallel.pool for when workers are
forked instead), and it never needs the CLI.
"""


def main() -> None:
    from formocr.config import one_blas_thread

    one_blas_thread()  # before numpy is imported, here and in the workers
    from formocr.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
