"""Run the real `revision-bot` command in a subprocess, as a person would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=60,
    )
