"""The console's services, opened once per app in ``cleanup_ctx`` and shared by the handlers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from console.messages import Transcripts
from console.sessions import Sessions
from console.settings import ConsoleSettings
from console.staff import StaffAccounts
from console.web.board import Board
from console.web.feed import ChangeFeed
from console.web.quick_replies import QuickReplies
from console.web.sender import Bot, ReplySender
from console.web.signins import SignIns


@dataclass(frozen=True)
class Services:
    settings: ConsoleSettings
    engine: AsyncEngine
    now: Callable[[], datetime]
    sessions: Sessions
    transcripts: Transcripts
    accounts: StaffAccounts
    signins: SignIns
    quick_replies: QuickReplies
    board: Board
    feed: ChangeFeed
    sender: ReplySender
    bot: Bot


SERVICES = web.AppKey("console_services", Services)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]
