"""`revision-bot run` in a subprocess, as an operator starts it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

_LISTENING = re.compile(r"listening on [\d.]+:(\d+)")


def operator_environment(env: dict[str, str]) -> dict[str, str]:
    """This machine's environment without any platform or database setting, plus `env`."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "SLACK_", "DATABASE_"))
    }
    environment.update(env)
    return environment


async def run_to_exit(env: dict[str, str], cwd: Path, timeout: float = 60) -> tuple[int, str]:
    """`revision-bot run` until it exits by itself: (exit code, what it printed on stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=operator_environment(env),
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(timeout):
        _, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stderr.decode()


class BotProcess:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.process: asyncio.subprocess.Process | None = None
        self.port = 0
        self.log: list[str] = []
        self._reader: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 60, *, until: re.Pattern[str] = _LISTENING) -> None:
        """Start the bot and read its log until a line matches `until` (by default: it
        listens, and then its port is known)."""
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=operator_environment(self.env),
            cwd=self.cwd,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self.process.stderr is not None
        async with asyncio.timeout(timeout):
            while True:
                line = (await self.process.stderr.readline()).decode()
                if not line:
                    raise AssertionError("bot exited early:\n" + "".join(self.log))
                self.log.append(line)
                listening = _LISTENING.search(line)
                if listening:
                    self.port = int(listening.group(1))
                if until.search(line):
                    break
        self._reader = asyncio.create_task(self._read_rest())

    async def _read_rest(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        async for line in self.process.stderr:
            self.log.append(line.decode())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def terminate(self, timeout: float = 30) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(timeout):
            code = await self.process.wait()
        if self._reader is not None:
            await self._reader
        return code
