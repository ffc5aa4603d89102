"""Alembic environment: migrations run on the connection ``govbot.sqldb.migrate`` hands over, with
the console's own version table."""
from alembic import context

attributes = context.config.attributes
context.configure(connection=attributes["connection"], version_table=attributes["version_table"],
                  render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
