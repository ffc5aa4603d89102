"""The portal's database: SQLite (embedded default) or PostgreSQL, and its schema migrations."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from govbot import sqldb
from govbot.sqldb import async_url, create_engine

__all__ = ["MIGRATIONS_DIR", "async_url", "create_engine", "migrate"]
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


async def migrate(engine: AsyncEngine) -> None:
    """Brings the schema to the newest migration (version table ``alembic_version``)."""
    await sqldb.migrate(engine, MIGRATIONS_DIR)
