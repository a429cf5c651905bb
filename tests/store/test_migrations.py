from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.store.models import Base


async def test_migrations_match_the_models(db):
    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with db.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_migrations_create_every_table(db):
    async with db.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert set(Base.metadata.tables) <= tables


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(db):
    if not db.is_sqlite:
        return
    async with db.engine.connect() as connection:
        journal = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
        keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
    assert (journal, keys) == ("wal", 1)
