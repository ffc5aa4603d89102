"""The staff console's durable core: staff take over a citizen's conversation and give it back.

Modules, by concern:

- ``settings``: the console's settings (``CONSOLE_*``), read once at start-up.
- ``tables``, ``db``, ``migrations/``: its own SQL tables and Alembic migrations (version table
  ``console_alembic_version``, so it may share a database with the portal).
- ``handoff``: the one transition table of a handed-over conversation (bot → waiting →
  with_staff → bot / closed / ticket).
- ``sessions``: those transitions run on the database, atomically, each with its audit row;
  ``messages``: the conversation's messages, in order, durable.
- ``hours``: staff hours (holiday- and 调休-aware, China time); ``delivery``: whether a staff
  reply can still reach the citizen (WeChat's 48-hour window and quota, the connector's rule).
- ``staff``: accounts and passwords (argon2id); ``audit``: the log of every staff action;
  ``cli``: ``govbot console add-staff``.

The web pages, live updates and the WeChat wiring build on these; the console reaches the
portal over HTTP only and sends to WeChat through ``connectors``' output code.
"""
