from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.store.models import Base


def test_migrations_match_the_models(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrations_create_every_table(db):
    with db.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_sqlite_runs_in_wal_mode_with_foreign_keys(db):
    if not db.is_sqlite:
        return
    with db.engine.connect() as connection:
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    assert (journal, keys) == ("wal", 1)
