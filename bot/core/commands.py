"""The command table: one list that drives dispatch, /help and the platforms' command menus."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.core import account, daily, interview, link, lookup, stats
from bot.core.replies import Message, Reply
from bot.core.turn import Turn

__all__ = ["COMMANDS", "CommandSpec", "help_text", "parse_command", "spec"]

Run = Callable[[Turn, str], list[Reply]]


@dataclass(frozen=True)
class CommandSpec:
    """A command. `run` handles it inside the event's transaction; None for the commands the
    core runs itself, outside any transaction (/reload, /broadcast). `writes`: False when it
    only reads, so a known person's command needs no write transaction."""

    name: str
    usage: str
    summary: str
    run: Run | None
    writes: bool = True
    groups_only: bool = False
    admin_only: bool = False


def _help(turn: Turn, _args: str) -> list[Reply]:
    return [Message(help_text(turn.is_admin))]


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", "/start", "Say hello and see how to begin", account.welcome, False),
    CommandSpec("help", "/help", "List the commands", _help, False),
    CommandSpec(
        "quiz", "/quiz [level] [topic]", "Ask the question you most need now", lookup.quiz_command
    ),
    CommandSpec(
        "explain", "/explain <topic or question>", "Explain a topic", lookup.explain, False
    ),
    CommandSpec("topics", "/topics", "List the topics", lookup.topics, False),
    CommandSpec(
        "daily", "/daily [HH:MM] [Area/City] | off", "Get a question every day", daily.daily_command
    ),
    CommandSpec(
        "level", "/level [junior|mid|senior|any]", "Set the level /quiz asks", account.level
    ),
    CommandSpec(
        "interview",
        "/interview [N] [level] [topics] | stop",
        "A timed mock interview (in a group: a quiz round for everyone)",
        interview.interview_command,
    ),
    CommandSpec("stats", "/stats", "Your progress and streak", stats.stats, False),
    CommandSpec(
        "leaderboard",
        "/leaderboard",
        "This group's best answerers",
        stats.leaderboard,
        False,
        groups_only=True,
    ),
    CommandSpec(
        "link", "/link [code]", "One progress on Telegram, Slack and the terminal", link.link
    ),
    CommandSpec("unlink", "/unlink", "Detach this platform from the others", link.unlink),
    CommandSpec("forget", "/forget", "Delete everything stored about you", account.confirm_forget),
    CommandSpec("reload", "/reload", "Reload the question bank", None, admin_only=True),
    CommandSpec(
        "broadcast",
        "/broadcast <text>",
        "Send a message to subscribed chats",
        None,
        admin_only=True,
    ),
)

_BY_NAME = {command.name: command for command in COMMANDS}


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
