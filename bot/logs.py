"""Logging set-up: readable text or one JSON object per line, with the update's platform,
chat and command attached, and secrets scrubbed from every record."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

__all__ = ["bind_update", "configure_logging", "update_context"]

update_context: ContextVar[dict[str, str]] = ContextVar("update_context", default={})  # noqa: B039

_NOISY = (
    "httpx",
    "httpcore",
    "apscheduler.executors",
    "apscheduler.scheduler",
    "aiohttp.access",
    "alembic",  # "setup plugin ..." and "Will assume transactional DDL" at every start
)


def bind_update(platform: str, chat: str, command: str) -> None:
    """Attach the update being handled to every log line written while handling it."""
    update_context.set({"platform": platform, "chat": chat, "command": command})


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in update_context.get().items():
            setattr(record, key, value)
        return True


class _SecretFilter(logging.Filter):
    """Replaces any configured secret (tokens, signing secrets) wherever it appears."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        changed = False
        for secret in self.secrets:
            if secret in message:
                message = message.replace(secret, "[secret]")
                changed = True
            if record.exc_text and secret in record.exc_text:
                record.exc_text = record.exc_text.replace(secret, "[secret]")
        if changed:
            record.msg, record.args = message, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("platform", "chat", "command"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info or record.exc_text:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{key}={getattr(record, key)}"
            for key in ("platform", "chat", "command")
            if hasattr(record, key)
        )
        return f"{line} [{context}]" if context else line


def configure_logging(level: str, fmt: str, secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_ContextFilter())
    handler.addFilter(_SecretFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and a Telegram URL contains the bot token.
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    # slack-bolt warns at every start that it ignores SLACK_BOT_TOKEN when given a client,
    # which is exactly how the adapter builds it (the client carries that token).
    logging.getLogger("slack_bolt.AsyncApp").addFilter(_IgnoredTokenWarning())


class _IgnoredTokenWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()
