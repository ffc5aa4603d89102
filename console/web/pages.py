"""The pages (GET): lists of conversations, one conversation, tickets, search, quick replies.

Every list and the open conversation have a ``…/live`` fragment the page re-reads when the
event stream says what it shows changed; page and fragment share one template and context.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List

import aiohttp_jinja2
from aiohttp import web

from console import audit
from console.delivery import EXPIRED, NO_CHANNEL, NO_MESSAGE, QUOTA_SPENT, DeliveryWindow, as_counted
from console.handoff import State, UnknownSession
from console.sessions import Session
from console.staff import Staff
from console.web.board import SEARCH_KINDS, Board, Row
from console.web.guard import CSRF_FIELD
from console.web.permits import SIGN_IN, Permission, permits, require
from console.web.services import services
from console.web.viewer import Viewer, duration
from govbot.masking import mask_numbers

NOTICES = {
    "claimed": "已认领，会话现在由您处理。",
    "taken": "该会话已被其他同事认领，或状态已经变化。",
    "not_yours": "该会话不在您名下。",
    "not_allowed": "当前状态下不能进行此操作。",
    "released": "已退回排队。",
    "transferred": "已转交。",
    "closed": "会话已结束。",
    "handed_back": "已交还智能助手。",
    "not_resumed": "会话已结束，但智能助手未能接回该市民的对话（Rasa 服务无法访问），请联系管理员。",
    "sent": "回复已发送。",
    "not_sent": "回复已保存，但未能发送给市民。请稍后重试，或改用电话联系。",
    "undeliverable": "回复无法送达：已超出微信的回复时限或条数。请改用模板消息或电话联系。",
    "empty": "请输入回复内容（不超过 600 字）。",
    "saved": "快捷回复已保存。",
    "deleted": "快捷回复已删除。",
    "invalid": "标题 1–30 字，内容 1–600 字。",
}
UNDELIVERABLE = {
    NO_CHANNEL: "该会话来自不能发送客服消息的渠道（如本地测试的 REST 渠道），回复无法送达。请改用电话联系。",
    NO_MESSAGE: "市民在本次会话中尚未发来消息，回复无法送达。请改用模板消息或电话联系。",
    EXPIRED: "距市民最后一条消息已超过 48 小时，微信不再投递回复。请改用模板消息或电话联系。",
    QUOTA_SPENT: "市民上一条消息后的可回复条数已用完，需等市民再次发言。请改用模板消息或电话联系。",
}
STATE_NAMES = {State.BOT: "已交还助手", State.WAITING: "排队中", State.WITH_STAFF: "处理中",
               State.TICKET: "留言工单", State.CLOSED: "已结束"}
REASONS = {"user_request": "市民要求转人工", "fallback": "连续未能理解", "complaint": "投诉",
           "rating": "不满意评价", "portal_failure": "办事系统故障"}
SEARCH_NAMES = {"openid": "OpenID", "phone": "手机号", "booking": "预约号"}
Rows = Callable[[Board, Staff], Awaitable[List[Row]]]


@dataclass(frozen=True)
class Listing:
    title: str
    permission: Permission
    rows: Rows
    empty: str


LISTINGS: Dict[str, Listing] = {
    "queue": Listing("排队中", Permission.HANDLE, lambda board, _staff: board.waiting(), "目前没有排队的市民。"),
    "mine": Listing("我的会话", Permission.HANDLE, lambda board, staff: board.held_by(staff.id), "您名下没有会话。"),
    "everyone": Listing("全部会话", Permission.SUPERVISE, lambda board, _staff: board.everyone(),
                        "目前没有进行中的会话。"),
    "tickets": Listing("留言工单", Permission.HANDLE, lambda board, _staff: board.tickets(), "没有待处理的留言。"),
}


async def common_context(request: web.Request) -> Dict[str, Any]:
    """What every template may use: the viewer, the CSRF token, the notice, names of things."""
    sign_in = request.get(SIGN_IN)
    context: Dict[str, Any] = {"staff": None, "notice": NOTICES.get(request.query.get("notice", "")),
                               "states": STATE_NAMES, "reasons": REASONS, "csrf_field": CSRF_FIELD,
                               "now": services(request).now(), "duration": duration, "path": request.path}
    if sign_in is not None:
        staff = sign_in.staff
        context.update(staff=staff, viewer=Viewer(staff), csrf_token=sign_in.csrf_token,
                       can={p.value: permits(staff, p) for p in Permission})
    return context


async def home(_request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/queue")


def listing_page(name: str, fragment: bool) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    listing = LISTINGS[name]

    async def handler(request: web.Request) -> web.StreamResponse:
        staff = require(request, listing.permission)
        found = services(request)
        context = {"listing": listing, "kind": name, "rows": await listing.rows(found.board, staff),
                   "colleagues": await _colleagues(found.board, name)}
        template = "_rows.html" if fragment else "list.html"
        return aiohttp_jinja2.render_template(template, request, context)
    return handler


async def search(request: web.Request) -> web.StreamResponse:
    staff = require(request, Permission.SEARCH)
    kind, query = request.query.get("by", "phone"), request.query.get("q", "")[:64]
    found = services(request)
    rows = await found.board.search(kind, query) if query.strip() else []
    if query.strip():
        async with found.engine.begin() as connection:
            await audit.record(connection, found.now(), "search", f"search:{kind}"[:64], staff.id,
                               {"by": kind, "query": mask_numbers(query), "found": len(rows)})
    listing = Listing("查询", Permission.SEARCH, LISTINGS["everyone"].rows, "没有找到相关会话。")
    return aiohttp_jinja2.render_template("search.html", request, {
        "listing": listing, "kind": "search", "rows": rows, "by": kind, "q": query, "searched": bool(query.strip()),
        "search_kinds": [(k, SEARCH_NAMES[k]) for k in SEARCH_KINDS], "colleagues": []})


def conversation_page(template: str, with_history: bool = False
                      ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The conversation (or one of its live parts); ``with_history``: also the bot's transcript before
    the handoff, read from Rasa once per page, not at each live update."""
    async def handler(request: web.Request) -> web.StreamResponse:
        context = await _conversation(request)
        if with_history:
            context["history"] = await services(request).bot.history(context["session"].sender_id)
        return aiohttp_jinja2.render_template(template, request, context)
    return handler


async def quick_replies_page(request: web.Request) -> web.StreamResponse:
    require(request, Permission.HANDLE)
    replies = await services(request).quick_replies.all()
    return aiohttp_jinja2.render_template("quick_replies.html", request, {"replies": replies})


async def _conversation(request: web.Request) -> Dict[str, Any]:
    staff = require(request, Permission.HANDLE)
    found = services(request)
    session = await _visible_session(request, staff)
    window = await found.sessions.delivery(session.id)
    if session.state is State.WITH_STAFF:
        window = as_counted(window, await found.sender.allowance(session.channel, session.sender_id), found.now(),
                            found.sender.sends_to(session.channel))
    colleagues = await found.board.colleagues()
    return {"session": session, "messages": await found.transcripts.of(session.id), "window": window,
            "undeliverable": _undeliverable(window), "names": {c.id: c.display_name for c in colleagues},
            "colleagues": colleagues if permits(staff, Permission.SUPERVISE) else [],
            "quick_replies": await found.quick_replies.all(), "mine": session.assigned_staff_id == staff.id,
            "tickets": await found.sessions.tickets(session.id)}


async def _visible_session(request: web.Request, staff: Staff) -> Session:
    """Agents see the conversations waiting for anyone and their own; supervisors every one."""
    try:
        session = await services(request).sessions.get(int(request.match_info["id"]))
    except (UnknownSession, ValueError):
        raise web.HTTPNotFound(text="没有这个会话") from None
    open_to_all = session.state in (State.WAITING, State.TICKET)
    if not (open_to_all or session.assigned_staff_id == staff.id or permits(staff, Permission.SUPERVISE)):
        raise web.HTTPForbidden(text="该会话由其他同事处理")
    return session


def _undeliverable(window: DeliveryWindow) -> str:
    return UNDELIVERABLE.get(window.why_not or "", "")


async def _colleagues(board: Board, kind: str) -> List[Staff]:
    return await board.colleagues() if kind == "everyone" else []
