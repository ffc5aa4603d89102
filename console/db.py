"""The console's database: SQLite (embedded default) or PostgreSQL, and its own migrations."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from govbot import sqldb
from govbot.sqldb import create_engine

__all__ = ["MIGRATIONS_DIR", "VERSION_TABLE", "create_engine", "migrate"]
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "console_alembic_version"  # apart from the portal's, so both may share a database


async def migrate(engine: AsyncEngine) -> None:
    """Brings the console's tables to the newest migration."""
    await sqldb.migrate(engine, MIGRATIONS_DIR, VERSION_TABLE)
