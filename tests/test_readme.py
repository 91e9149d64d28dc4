"""README's two commands stay true: CI runs README's test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```sh\n(.+?)\n```", text, flags=re.S)[:2]


def test_readme_starts_with_setup_and_test_commands() -> None:
    run, test = readme_commands()
    assert "formocr scan samples/" in run and "pip install ." in run
    assert "pytest" in test


def test_ci_runs_readmes_test_command() -> None:
    _, test = readme_commands()
    assert test in (ROOT / ".ci" / "run").read_text()


def test_torch_is_pinned_wherever_it_is_installed() -> None:
    """An unpinned torch pulls a multi-GB CUDA build."""
    for text in [*readme_commands(), (ROOT / "pyproject.toml").read_text()]:
        for m in re.finditer(r"torch[^\s\"',\]]*", text):
            assert m.group(0).startswith("torch=="), m.group(0)
