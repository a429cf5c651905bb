"""Wiring: open the store, load the bank, build the core, start what is configured."""

from __future__ import annotations

import json
import logging
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.bank.sync import SyncReport, sync_bank
from bot.bank.validate import load_bank
from bot.config import Settings
from bot.core.catalog import Catalog
from bot.core.clock import utc_now
from bot.core.daily_service import DailyService
from bot.core.handler import Core
from bot.core.interview_service import InterviewService
from bot.core.outbox import Outbox
from bot.core.srs import make_scheduler
from bot.errors import StartupError
from bot.metrics import Metrics
from bot.store.database import Database
from bot.store.migrate import upgrade

__all__ = [
    "StartupError",
    "build_core",
    "build_daily",
    "build_rounds",
    "chat",
    "open_store",
    "run",
]

log = logging.getLogger(__name__)


async def open_store(settings: Settings, *, sqlite_thread: bool = False) -> Database:
    """Open the database and apply pending migrations; a clear StartupError if it cannot.

    `sqlite_thread`: run SQLite work on one thread instead of inline (for benchmarks)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        try:
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StartupError(f"DATABASE_URL: cannot create the directory: {error}") from None
    db = Database(settings.database_url, sqlite_thread=sqlite_thread)
    try:
        await upgrade(db)
    except Exception as error:
        await db.dispose()
        reason = str(error).splitlines()[0][:200]
        safe_url = url.render_as_string(hide_password=True)
        raise StartupError(f"DATABASE_URL: cannot open {safe_url}: {reason}") from None
    return db


async def load_content(settings: Settings, db: Database) -> SyncReport:
    bank, problems = load_bank(settings.content_dir)
    if problems:
        shown = "\n".join(str(problem) for problem in problems[:10])
        raise StartupError(
            f"CONTENT_DIR: {len(problems)} problem(s) in {settings.content_dir}:\n{shown}\n"
            "Run `revision-bot content check` for the full list."
        )
    return await sync_bank(db, bank)


async def build_core(
    settings: Settings,
    db: Database,
    metrics: Metrics | None = None,
    outbox: Outbox | None = None,
    catalog: Catalog | None = None,
) -> Core:
    """Sync the bank, then the core over it."""
    await load_content(settings, db)

    async def reload_content() -> str:
        return str(await load_content(settings, db))

    core = Core(
        db,
        catalog or Catalog(),
        admin_ids=frozenset(settings.admin_ids),
        metrics=metrics,
        reload_content=reload_content,
        outbox=outbox,
        interview_seconds=settings.interview_seconds,
    )
    await core.load_topics()
    return core


def build_daily(settings: Settings, db: Database, catalog: Catalog) -> DailyService:
    return DailyService(
        db, catalog, make_scheduler(), utc_now, grace=timedelta(hours=settings.daily_grace_hours)
    )


def build_rounds(settings: Settings, db: Database, catalog: Catalog) -> InterviewService:
    return InterviewService(
        db, catalog, make_scheduler(), utc_now, interview_seconds=settings.interview_seconds
    )


def _fail(error: Exception) -> int:
    """One line on stderr, exit code 1: no traceback for a failure the operator can fix."""
    print(f"revision-bot: {error}", file=sys.stderr)
    return 1


async def chat(settings: Settings, picture_path: Path | None = None) -> int:
    from bot.adapters.console import ConsoleAdapter

    try:
        db = await open_store(settings)
    except StartupError as error:
        return _fail(error)
    try:
        core = await build_core(settings, db)
        await ConsoleAdapter(core, picture_path=picture_path).run()
    except StartupError as error:
        return _fail(error)
    finally:
        await db.dispose()
    return 0


async def run(settings: Settings) -> int:
    if not (settings.telegram_enabled or settings.slack_enabled):
        print(
            "revision-bot: no chat platform is configured. Set TELEGRAM_BOT_TOKEN for Telegram, "
            "or SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET for Slack (see the README).\n"
            "To try the bot without any token, run: revision-bot chat",
            file=sys.stderr,
        )
        return 2
    from bot.server import serve

    try:
        db = await open_store(settings)
    except StartupError as error:
        return _fail(error)
    try:
        metrics, outbox, catalog = Metrics(), Outbox(), Catalog()
        core = await build_core(settings, db, metrics, outbox, catalog)
        await serve(
            settings,
            core,
            build_daily(settings, db, catalog),
            outbox,
            metrics,
            build_rounds(settings, db, catalog),
        )
    except StartupError as error:
        return _fail(error)
    finally:
        await db.dispose()
    return 0


async def content_sync(settings: Settings) -> int:
    try:
        db = await open_store(settings)
    except StartupError as error:
        return _fail(error)
    try:
        report = await load_content(settings, db)
    except StartupError as error:
        return _fail(error)
    finally:
        await db.dispose()
    print(f"content synced: {report}")
    return 0


async def db_upgrade(settings: Settings) -> int:
    try:
        db = await open_store(settings)
    except StartupError as error:
        return _fail(error)
    await db.dispose()
    print("database is up to date")
    return 0


async def export_user(settings: Settings, user: str) -> int:
    from bot.store.export import export_person

    opened = await _open_for_person(settings, user)
    if isinstance(opened, int):
        return opened
    db, platform, platform_id = opened
    try:
        data = await export_person(db, platform, platform_id)
    finally:
        await db.dispose()
    if data is None:
        return _fail(LookupError(f"no person {user} in the database"))
    print(json.dumps(data, indent=2, default=str))
    return 0


async def forget_user(settings: Settings, user: str) -> int:
    from bot.store.export import forget_person

    opened = await _open_for_person(settings, user)
    if isinstance(opened, int):
        return opened
    db, platform, platform_id = opened
    try:
        removed = await forget_person(db, platform, platform_id)
    finally:
        await db.dispose()
    if not removed:
        return _fail(LookupError(f"no person {user} in the database"))
    linked = [account for account in removed if account != f"{platform}:{platform_id}"]
    also = f" and the accounts linked to it ({', '.join(linked)})" if linked else ""
    print(f"deleted everything stored about {user}{also}")
    return 0


async def _open_for_person(settings: Settings, user: str) -> tuple[Database, str, str] | int:
    """The database and the person named `platform:id`, or the exit code of a clear failure."""
    platform, _, platform_id = user.partition(":")
    if not platform or not platform_id:
        return _fail(ValueError("--user must be platform:id, like telegram:12345"))
    try:
        return await open_store(settings), platform, platform_id
    except StartupError as error:
        return _fail(error)
