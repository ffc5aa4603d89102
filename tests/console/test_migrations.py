"""The console's migrations build exactly the schema console/tables.py declares, on SQLite and
PostgreSQL, and they share a database with the portal's without touching its version table."""
from __future__ import annotations

import sqlalchemy as sa

from console import tables
from console.db import VERSION_TABLE, create_engine, migrate
from portal.db import migrate as migrate_portal
from tests.schema_drift import schema_differences


def _differences(connection) -> list:
    def ours(_object, name, type_, _reflected, _compare_to) -> bool:
        return type_ != "table" or name.startswith("console_") and name != VERSION_TABLE

    return schema_differences(connection, tables.metadata, ours)


def _versions(connection) -> dict:
    return {table: connection.execute(sa.text(f"SELECT version_num FROM {table}")).scalar_one()
            for table in ("alembic_version", VERSION_TABLE)}


async def test_the_migrations_build_the_declared_schema(database_url):
    engine = create_engine(database_url)
    await migrate(engine)
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    await engine.dispose()
    assert differences == []


async def test_the_console_shares_a_database_with_the_portal(database_url):
    engine = create_engine(database_url)
    await migrate_portal(engine)
    await migrate(engine)
    await migrate(engine)  # a second start changes nothing
    async with engine.connect() as connection:
        versions = await connection.run_sync(_versions)
        differences = await connection.run_sync(_differences)
    await engine.dispose()
    assert versions == {"alembic_version": "0004", VERSION_TABLE: "0003"} and differences == []
