"""The command table: one list that drives dispatch, /help and the platforms' command menus."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COMMANDS", "CommandSpec", "help_text", "parse_command"]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    summary: str
    groups_only: bool = False
    admin_only: bool = False


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", "/start", "Say hello and see how to begin"),
    CommandSpec("help", "/help", "List the commands"),
    CommandSpec("quiz", "/quiz [topic]", "Ask the question you most need now"),
    CommandSpec("explain", "/explain <topic or question>", "Explain a topic"),
    CommandSpec("topics", "/topics", "List the topics"),
    CommandSpec("daily", "/daily [HH:MM] [Area/City] | off", "Get a question every day"),
    CommandSpec("stats", "/stats", "Your progress and streak"),
    CommandSpec("leaderboard", "/leaderboard", "This group's best answerers", groups_only=True),
    CommandSpec("forget", "/forget", "Delete everything stored about you"),
    CommandSpec("reload", "/reload", "Reload the question bank", admin_only=True),
    CommandSpec(
        "broadcast", "/broadcast <text>", "Send a message to subscribed chats", admin_only=True
    ),
)

_BY_NAME = {spec.name: spec for spec in COMMANDS}


def parse_command(text: str, bot_username: str | None = None) -> tuple[str, str] | None:
    """'/Quiz@RevisionBot  gil ' -> ('quiz', 'gil'); None when the text is not a command.

    A command addressed to another bot (`/quiz@OtherBot`) is not ours: None.
    """
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, _, args = stripped[1:].partition(" ")
    name, _, addressee = head.partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None
    return name.lower(), args.strip()


def spec(name: str) -> CommandSpec | None:
    return _BY_NAME.get(name)


def help_text(is_admin: bool = False) -> str:
    lines = ["**Commands**", ""]
    for command in COMMANDS:
        if command.admin_only and not is_admin:
            continue
        lines.append(f"- `{command.usage}`: {command.summary}")
    lines += [
        "",
        "Answer questions to build your schedule: what you get wrong comes back sooner.",
    ]
    return "\n".join(lines)
