"""Async SQL engines for SQLite (embedded default) and PostgreSQL, and Alembic upgrades.

Shared by the portal and the staff console, each with its own tables, migrations and Alembic
version table, so that both may live in one database.
"""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

DEFAULT_VERSION_TABLE = "alembic_version"


def async_url(database_url: str) -> str:
    """Maps a plain ``sqlite:``/``postgresql:`` URL to its asyncio driver."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        return str(url.set(drivername="sqlite+aiosqlite"))
    if url.get_backend_name() == "postgresql":
        return str(url.set(drivername="postgresql+asyncpg"))
    raise ValueError(f"the database URL must be sqlite:// or postgresql://, got {url.drivername}")


def create_engine(database_url: str) -> AsyncEngine:
    url = async_url(database_url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _serialise_sqlite_writers(engine)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _serialise_sqlite_writers(engine: AsyncEngine) -> None:
    """Makes every SQLite transaction ``BEGIN IMMEDIATE``.

    pysqlite's deferred BEGIN lets two writers both read a row and then fail to upgrade their
    locks; taking the write lock up front makes conditional updates (a slot's capacity, a
    conversation's claim) strictly serial (SQLAlchemy's documented recipe).
    """
    @sa.event.listens_for(engine.sync_engine, "connect")
    def _no_implicit_begin(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


async def migrate(engine: AsyncEngine, migrations: Path, version_table: str = DEFAULT_VERSION_TABLE) -> None:
    """Brings the schema of ``migrations`` (an Alembic script folder) to its newest revision; its
    ``env.py`` reads the connection and ``version_table`` from the config's attributes."""
    def upgrade(connection: sa.engine.Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(migrations))
        config.attributes["connection"] = connection
        config.attributes["version_table"] = version_table
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)
