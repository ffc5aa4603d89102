"""The migrations build exactly the schema portal/tables.py declares, on SQLite and PostgreSQL: a
column added to the tables without its migration (or the reverse) fails here, not in a deployment."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal import tables
from portal.db import create_engine, migrate


def _differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    found = compare_metadata(context, tables.metadata)
    # Indexes SQLite reflects differently from their declaration are not schema drift.
    return [d for d in found if not (isinstance(d, tuple) and d[0] in ("add_index", "remove_index"))]


async def test_the_migrations_build_the_declared_schema(database_url):
    engine = create_engine(database_url)
    await migrate(engine)
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    await engine.dispose()
    assert differences == []
