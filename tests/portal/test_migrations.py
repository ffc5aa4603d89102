"""The migrations build exactly the schema portal/tables.py declares, on SQLite and PostgreSQL: a
column added to the tables without its migration (or the reverse) fails here, not in a deployment."""
from __future__ import annotations

from portal import tables
from portal.db import create_engine, migrate
from tests.schema_drift import schema_differences


def _differences(connection) -> list:
    return schema_differences(connection, tables.metadata)


async def test_the_migrations_build_the_declared_schema(database_url):
    engine = create_engine(database_url)
    await migrate(engine)
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    await engine.dispose()
    assert differences == []
