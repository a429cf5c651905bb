"""Errors an operator fixes: each message names the variable or the cause, and what to do."""

from __future__ import annotations

__all__ = ["StartupError"]


class StartupError(Exception):
    """Something the operator must fix before the bot can start; the message says what.

    Never carries a secret: build the message from the variable's name, not its value."""
