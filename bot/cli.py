"""The `revision-bot` command: chat, run, content check/sync, db upgrade, export, forget."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="revision-bot",
        description="Drill Python and Django interview topics with spaced repetition.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    chat = commands.add_parser(
        "chat", help="chat with the bot in this terminal (SQLite, no tokens)"
    )
    chat.add_argument(
        "--picture",
        type=Path,
        metavar="PATH",
        help="write the /stats picture (PNG) to PATH each time /stats answers",
    )
    commands.add_parser("run", help="run the Telegram and/or Slack bot, as configured")

    content = commands.add_parser("content", help="check or sync the question bank")
    content_commands = content.add_subparsers(dest="content_command", metavar="ACTION")
    check = content_commands.add_parser("check", help="validate content files")
    check.add_argument("directory", nargs="?", type=Path, help="defaults to CONTENT_DIR")
    content_commands.add_parser("sync", help="load the bank into the database now")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply pending migrations")

    export = commands.add_parser("export", help="print a person's progress as JSON")
    export.add_argument("--user", required=True, metavar="PLATFORM:ID")
    forget = commands.add_parser("forget", help="delete everything stored about a person")
    forget.add_argument("--user", required=True, metavar="PLATFORM:ID")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "content" and args.content_command == "check":
        return _content_check(args.directory)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"revision-bot: {error}", file=sys.stderr)
        return 2
    configure_logging(
        settings.log_level if args.command == "run" else "WARNING",
        settings.log_format,
        secrets=settings.secret_values(),
    )
    return asyncio.run(_dispatch(args, settings, parser))


def _content_check(directory: Path | None) -> int:
    from bot.bank.form import form_figures
    from bot.bank.validate import load_bank

    if directory is None:
        try:
            directory = load_settings().content_dir
        except ConfigError as error:
            print(f"revision-bot: {error}", file=sys.stderr)
            return 2
    bank, problems = load_bank(directory)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(bank.summary())
    figures = form_figures(bank)
    for line in figures.lines():
        print(f"  {line}")
    form_problems = figures.problems()
    for form_problem in form_problems:
        print(f"form: {form_problem}")
    if form_problems:
        print("the options give the answer away too often: balance them", file=sys.stderr)
        return 1
    return 0


async def _dispatch(
    args: argparse.Namespace, settings: Settings, parser: argparse.ArgumentParser
) -> int:
    from bot import app

    if args.command == "chat":
        return await app.chat(settings, picture_path=args.picture)
    if args.command == "run":
        return await app.run(settings)
    if args.command == "content" and args.content_command == "sync":
        return await app.content_sync(settings)
    if args.command == "db" and args.db_command == "upgrade":
        return await app.db_upgrade(settings)
    if args.command == "export":
        return await app.export_user(settings, args.user)
    if args.command == "forget":
        return await app.forget_user(settings, args.user)
    parser.print_help()
    return 2
