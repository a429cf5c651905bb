"""Statements that need a server connection outside any test database (CREATE/DROP DATABASE),
shared by the test fixtures and the benchmarks."""

from __future__ import annotations

from sqlalchemy.engine import make_url


def admin_execute(url: str, *statements: str) -> None:
    """Run `statements` with psycopg on the server and database `url` names, autocommitting."""
    import psycopg

    parsed = make_url(url)
    with psycopg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname=parsed.database or "postgres",
        autocommit=True,
    ) as connection:
        for statement in statements:
            connection.execute(statement)  # type: ignore[arg-type]
