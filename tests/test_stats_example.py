"""The script that draws the README's example picture from a generated history."""

import subprocess
import sys

from PIL import Image

from tests.conftest import REPO_ROOT


def test_example_script_draws_the_picture_the_bot_sends(tmp_path):
    target = tmp_path / "example.png"
    script = REPO_ROOT / "scripts" / "stats_example.py"
    result = subprocess.run(
        [sys.executable, str(script), str(target), "--days", "10", "--today", "2026-03-05"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"HOME": str(tmp_path), "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{target}: Last 12 weeks: ")
    with Image.open(target) as picture:
        assert (picture.format, picture.size) == ("PNG", (1200, 1500))
        assert picture.info["Description"] in result.stdout


def test_readme_shows_the_committed_example():
    assert "](docs/stats-example.png)" in (REPO_ROOT / "README.md").read_text()
    with Image.open(REPO_ROOT / "docs" / "stats-example.png") as picture:
        assert picture.size == (1200, 1500)
