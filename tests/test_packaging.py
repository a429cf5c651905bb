"""The container image and the wheel carry what the code expects to find."""

import json
import re
import subprocess
import sys
import tomllib
import zipfile

import pytest

from bot.config import default_content_dir
from bot.server import BotServer
from tests.conftest import REPO_ROOT

DOCKERFILE = (REPO_ROOT / "Dockerfile").read_text()


def instruction(name: str) -> str:
    lines = re.findall(rf"^{name}\s+((?:[^\n]*\\\n)*[^\n]*)", DOCKERFILE, flags=re.MULTILINE)
    assert lines, f"Dockerfile has no {name}"
    return lines[-1]


def test_image_command_is_the_console_script_running_the_bot():
    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    command = json.loads(instruction("CMD"))
    assert command == ["revision-bot", "run"]
    assert scripts["revision-bot"] == "bot.cli:main"


def test_image_runs_as_a_non_root_user():
    user = instruction("USER").split(":")[0]
    assert user not in {"0", "root"}
    assert f"--uid {user}" in DOCKERFILE


def test_healthcheck_asks_the_servers_healthz_route(core):
    assert "/healthz" in instruction("HEALTHCHECK")
    routes = {route.resource.canonical for route in BotServer(core, []).web_app.router.routes()}
    assert "/healthz" in routes


def test_image_copies_content_and_migrations_into_the_package():
    assert "COPY content ./content" in DOCKERFILE
    assert "COPY migrations ./migrations" in DOCKERFILE
    assert "--no-editable" in DOCKERFILE  # installs the wheel, which carries bot/content


def test_source_tree_finds_its_content():
    assert default_content_dir() == REPO_ROOT / "content"


@pytest.mark.skipif(sys.platform == "win32", reason="uses uv build")
def test_wheel_ships_content_and_migrations(tmp_path):
    result = subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(tmp_path), str(REPO_ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("bot/content/") and n.endswith(".md") for n in names)
    assert "bot/migrations/env.py" in names
    assert any(n.startswith("bot/migrations/versions/") for n in names)
