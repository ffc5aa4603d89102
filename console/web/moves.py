"""The staff actions (POST): claim, release, transfer, close, hand back, reply, quick-reply edits.

Each runs through ``Sessions`` (atomic, audited; a refused move changes nothing) and answers with
a redirect carrying a notice code, so a reload never repeats it. A reply is stored first, then
handed to the injected ``ReplySender``; a send that fails is audited and told to staff. Handing
back or closing gives the conversation back to the bot (``Bot.resume``) and tells the citizen,
with the 好差评 question when staff ask for it.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Tuple

from aiohttp import web
from multidict import MultiDictProxy

from console import audit
from console.handoff import (
    Conflict,
    HandoffError,
    IllegalTransition,
    NotAssigned,
    State,
    Undeliverable,
    UnknownSession,
)
from console.sessions import Session
from console.staff import Staff
from console.web.permits import Permission, require
from console.web.quick_replies import QuickReplyError
from console.web.services import Services, services

logger = logging.getLogger(__name__)
MAX_REPLY_CHARS = 600
Form = MultiDictProxy[Any]
Move = Callable[[Services, int, Staff, Form], Awaitable[Session]]

MOVES: Dict[str, Tuple[Permission, Move, str]] = {  # name: who may, what it does, where staff go next
    "claim": (Permission.HANDLE, lambda s, i, staff, _f: s.sessions.claim(i, staff), "conversation"),
    "release": (Permission.HANDLE, lambda s, i, staff, _f: s.sessions.release(i, staff), "queue"),
    "transfer": (Permission.SUPERVISE,
                 lambda s, i, staff, f: s.sessions.transfer(i, staff, _whole(f.get("to"))), "conversation"),
    "close": (Permission.HANDLE, lambda s, i, staff, f: s.sessions.close(
        i, staff, str(f.get("note", "")).strip()[:1000] or None, "ask_rating" in f), "mine"),
    "hand_back": (Permission.HANDLE, lambda s, i, staff, f: s.sessions.hand_back(i, staff, "ask_rating" in f),
                  "mine"),
}
DONE = {"claim": "claimed", "release": "released", "transfer": "transferred", "close": "closed",
        "hand_back": "handed_back"}
BACK_TO_BOT = {"hand_back": "人工服务已结束，接下来由智能助手继续为您服务。如需人工帮助，可随时回复“转人工”。",
               "close": "本次人工服务已结束，感谢您的咨询。如还有问题，可随时留言或回复“转人工”。"}
ASK_RATING = "请您对本次服务作出评价：回复“非常满意”“满意”“基本满意”“不满意”或“非常不满意”。"


async def move(request: web.Request) -> web.StreamResponse:
    name, session_id = request.match_info["move"], _session_id(request)
    if name not in MOVES:
        raise web.HTTPNotFound()
    permission, run, next_page = MOVES[name]
    staff = require(request, permission)
    try:
        session = await run(services(request), session_id, staff, await request.post())
    except HandoffError as refusal:
        raise _back_to(session_id, _refusal(name, refusal)) from None
    if name in BACK_TO_BOT and not await _back_to_bot(services(request), session, staff, BACK_TO_BOT[name]):
        raise _back_to(session_id, "not_resumed")
    target = f"/conversations/{session_id}" if next_page == "conversation" else f"/{next_page}"
    raise web.HTTPSeeOther(f"{target}?notice={DONE[name]}")


async def reply(request: web.Request) -> web.StreamResponse:
    staff = require(request, Permission.HANDLE)
    session_id, found = _session_id(request), services(request)
    text = str((await request.post()).get("text", "")).strip()
    if not text or len(text) > MAX_REPLY_CHARS:
        raise _back_to(session_id, "empty")
    try:
        session = await found.sessions.get(session_id)
        # Refused as staff were shown: by the channel's own counter; nothing stored that cannot go out.
        await found.sessions.reply(session_id, staff, text,
                                   await found.sender.allowance(session.channel, session.sender_id),
                                   found.sender.sends_to(session.channel))
    except HandoffError as refusal:
        raise _back_to(session_id, _refusal("reply", refusal)) from None
    raise _back_to(session_id, "sent" if await _send(found, session, staff, text) else "not_sent")


async def typing(request: web.Request) -> web.StreamResponse:
    """Staff are typing a reply: the citizen sees WeChat's typing indicator (the page calls this at
    most every ``TYPING_EVERY`` seconds while the reply box changes). Only the staff member the
    conversation is with may; nothing is stored."""
    staff = require(request, Permission.HANDLE)
    found = services(request)
    try:
        session = await found.sessions.get(_session_id(request))
    except UnknownSession:
        raise web.HTTPNotFound(text="没有这个会话") from None
    if session.state is not State.WITH_STAFF or session.assigned_staff_id != staff.id:
        raise web.HTTPConflict(text="这个会话不在您这里")
    await found.sender.typing(session.channel, session.sender_id)
    return web.Response(status=204)


async def save_quick_reply(request: web.Request) -> web.StreamResponse:
    staff = require(request, Permission.SUPERVISE)
    form = await request.post()
    try:
        await services(request).quick_replies.save(staff, str(form.get("title", "")), str(form.get("text", "")),
                                                   _whole(form.get("id", "0")))
    except QuickReplyError:
        raise web.HTTPSeeOther("/quick-replies?notice=invalid") from None
    raise web.HTTPSeeOther("/quick-replies?notice=saved")


async def delete_quick_reply(request: web.Request) -> web.StreamResponse:
    staff = require(request, Permission.SUPERVISE)
    await services(request).quick_replies.delete(staff, _whole(request.match_info["id"]))
    raise web.HTTPSeeOther("/quick-replies?notice=deleted")


async def _back_to_bot(found: Services, session: Session, staff: Staff, notice: str) -> bool:
    """The bot answers the citizen again, who is told so (and asked for a rating when staff chose
    to); False, audited, when the bot did not take the conversation back."""
    try:
        await found.bot.resume(session.sender_id)
    except Exception as error:  # noqa: BLE001 - any failure: staff must know the bot is not back
        logger.warning("session %d ended but the bot did not resume it: %s", session.id, error)
        await _audit(found, session, staff, "resume_failed", type(error).__name__)
        return False
    text = f"{notice}\n{ASK_RATING}" if session.rating_asked else notice
    await _send(found, session, staff, text, notice=True)
    return True


async def _audit(found: Services, session: Session, staff: Staff, action: str, error: str) -> None:
    async with found.engine.begin() as connection:
        await audit.record(connection, found.now(), action, audit.session_target(session.id), staff.id,
                           {"error": error})


async def _send(found: Services, session: Session, staff: Staff, text: str, notice: bool = False) -> bool:
    """Hands the stored reply (or the hand-back ``notice``) to the channel; a failure is logged,
    audited and reported, not raised."""
    try:
        await found.sender.send(session.channel, session.sender_id, text, None if notice else staff.kf_account)
        return True
    except Exception as error:  # noqa: BLE001 - any sender failure leaves the reply stored, unsent
        logger.warning("staff %s in session %d not sent: %s", "notice" if notice else "reply", session.id,
                       type(error).__name__)
        await _audit(found, session, staff, "notice_not_sent" if notice else "reply_not_sent", type(error).__name__)
        return False


def _refusal(name: str, refusal: HandoffError) -> str:
    if isinstance(refusal, UnknownSession):
        raise web.HTTPNotFound(text="没有这个会话")
    if isinstance(refusal, Undeliverable):
        return "undeliverable"
    if isinstance(refusal, Conflict) or (name == "claim" and isinstance(refusal, IllegalTransition)):
        return "taken"
    return "not_yours" if isinstance(refusal, NotAssigned) else "not_allowed"


def _back_to(session_id: int, notice: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/conversations/{session_id}?notice={notice}")


def _session_id(request: web.Request) -> int:
    return _whole(request.match_info["id"])


def _whole(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise web.HTTPBadRequest(text="参数不正确") from None
