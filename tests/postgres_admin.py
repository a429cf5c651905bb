"""Statements that need a server connection outside any test database (CREATE/DROP DATABASE),
shared by the test fixtures and the benchmarks."""

from __future__ import annotations

from sqlalchemy.engine import make_url


async def admin_execute(url: str, *statements: str) -> None:
    """Run `statements` with asyncpg on the server and database `url` names, autocommitting."""
    import asyncpg

    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database or "postgres",
    )
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()
