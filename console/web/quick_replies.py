"""The editable set of quick replies staff insert into the reply box; supervisors edit it, and
every edit is audited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, List

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from console import audit, tables
from console.staff import Staff
from console.timestamps import stamp

MAX_TITLE_CHARS, MAX_TEXT_CHARS = 30, 600


class QuickReplyError(ValueError):
    """A quick reply cannot be stored as given."""


@dataclass(frozen=True)
class QuickReply:
    id: int
    title: str
    text: str


class QuickReplies:
    def __init__(self, engine: AsyncEngine, now: Callable[[], datetime]):
        self._engine = engine
        self._now = now

    async def all(self) -> List[QuickReply]:
        async with self._engine.connect() as connection:
            rows = await connection.execute(sa.select(tables.quick_replies).order_by(tables.quick_replies.c.id))
            return [QuickReply(row["id"], row["title"], row["text"]) for row in rows.mappings()]

    async def save(self, by: Staff, title: str, text: str, reply_id: int = 0) -> None:
        """Adds a reply (``reply_id`` 0) or changes one."""
        title, text = _checked(title, text)
        now = self._now()
        values = {"title": title, "text": text, "updated_at": stamp(now), "updated_by": by.id}
        async with self._engine.begin() as connection:
            if reply_id:
                await connection.execute(tables.quick_replies.update()
                                         .where(tables.quick_replies.c.id == reply_id).values(**values))
            else:
                reply_id = (await connection.execute(tables.quick_replies.insert().values(**values))
                            ).inserted_primary_key[0]
            await audit.record(connection, now, "save_quick_reply", f"quick_reply:{reply_id}", by.id,
                               {"title": title})

    async def delete(self, by: Staff, reply_id: int) -> None:
        now = self._now()
        async with self._engine.begin() as connection:
            await connection.execute(tables.quick_replies.delete().where(tables.quick_replies.c.id == reply_id))
            await audit.record(connection, now, "delete_quick_reply", f"quick_reply:{reply_id}", by.id)


def _checked(title: str, text: str) -> tuple:
    title, text = title.strip(), text.strip()
    if not title or len(title) > MAX_TITLE_CHARS or not text or len(text) > MAX_TEXT_CHARS:
        raise QuickReplyError(f"a title is 1-{MAX_TITLE_CHARS} characters, a text 1-{MAX_TEXT_CHARS}")
    return title, text
