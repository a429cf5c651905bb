"""Run the real `revision-bot` command as a person would: its `main` with these arguments, this
input and this environment, in this process (a fresh interpreter per run would cost seconds)."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.cli import main
from tests.conftest import FIXTURE_CONTENT


def run_cli(
    *args: str,
    stdin: str = "",
    tmp_path: Path,
    content: Path = FIXTURE_CONTENT,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "SLACK_", "DATABASE_"))
    }
    environment |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "CONTENT_DIR": str(content),
        "HOME": str(tmp_path),
    }
    environment |= env or {}
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        _environment(environment),
        _logging_restored(),
        contextlib.chdir(tmp_path),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        sys.stdin = io.StringIO(stdin)
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code if isinstance(exit_.code, int) else 1
        finally:
            sys.stdin = sys.__stdin__
    return subprocess.CompletedProcess(
        ["revision-bot", *args], code, stdout.getvalue(), stderr.getvalue()
    )


@contextlib.contextmanager
def _environment(environment: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environment)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _logging_restored() -> Iterator[None]:
    """The command configures the root logger for itself; the test run's logging comes back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
