"""Apply Alembic migrations from code, on the bot's own engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from bot.store.database import Database

__all__ = ["alembic_config", "migrations_dir", "upgrade"]


def migrations_dir() -> Path:
    """Migrations shipped inside the wheel (`bot/migrations`), else the source tree's."""
    package_dir = Path(__file__).resolve().parent.parent
    installed = package_dir / "migrations"
    return installed if installed.is_dir() else package_dir.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(db: Database, revision: str = "head") -> None:
    config = alembic_config(db.url)

    def run() -> None:
        with db.engine.begin() as connection:
            db.serialize(connection)  # two processes starting at once migrate one at a time
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    await db.run(run)
