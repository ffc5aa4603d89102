"""Who is calling, decided once per request, and what each role may call.

The middleware turns the ``Authorization: Bearer <key>`` header into a :class:`Role`
(``request[CALLER]``) and checks it against the roles the route table declares for the
route. The bot's key (``PORTAL_API_KEY``) acts for citizens: only requests made with it may
name an openid. The admin key (``PORTAL_ADMIN_KEY``) is for staff; admin routes refuse the
bot's key, and are refused to everyone when no admin key is configured.
"""
from __future__ import annotations

import hmac
from enum import Enum
from typing import Any, Dict, FrozenSet, List, Optional

from aiohttp import web

from portal.errors import PortalError
from portal.keys import ROUTE_ROLES, SETTINGS
from portal.settings import PortalSettings

CALLER = "portal.caller"  # request key: Optional[Role]; None = no key


class Role(str, Enum):
    bot = "bot"
    admin = "admin"


PUBLIC: FrozenSet[Role] = frozenset()
BOT: FrozenSet[Role] = frozenset({Role.bot})
ADMIN: FrozenSet[Role] = frozenset({Role.admin})
BOT_OR_ADMIN: FrozenSet[Role] = frozenset({Role.bot, Role.admin})
SCHEMES = {Role.bot: "botKey", Role.admin: "adminKey"}
SECURITY_SCHEMES: Dict[str, Any] = {
    "botKey": {"type": "http", "scheme": "bearer", "description": "PORTAL_API_KEY: the assistant acting for citizens"},
    "adminKey": {"type": "http", "scheme": "bearer", "description": "PORTAL_ADMIN_KEY: staff operations"},
}


def identify(settings: PortalSettings, authorization: Optional[str]) -> Optional[Role]:
    """The role of the key presented; a key that is presented but unknown is refused outright."""
    if not authorization:
        return Role.bot if settings.open_demo else None
    given = authorization.encode("utf-8", "replace")
    for role, key in ((Role.admin, settings.admin_key), (Role.bot, settings.api_key)):
        if key and hmac.compare_digest(given, f"Bearer {key}".encode()):
            return role
    raise PortalError(401, "unauthorized", "API 密钥错误（Authorization: Bearer ...）")


def authorize(settings: PortalSettings, caller: Optional[Role], allowed: FrozenSet[Role]) -> None:
    if not allowed:
        return
    if allowed == ADMIN and not settings.admin_key:
        raise PortalError(403, "admin_disabled", "管理接口未启用（未设置 PORTAL_ADMIN_KEY）")
    if caller is None:
        raise PortalError(401, "unauthorized", "缺少 API 密钥（Authorization: Bearer ...）")
    if caller not in allowed:
        raise PortalError(403, "forbidden", "该密钥无权执行此操作")


@web.middleware
async def auth_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    caller = identify(settings, request.headers.get("Authorization"))
    request[CALLER] = caller
    # Unknown paths and methods (no entry) fall through to aiohttp's own 404 / 405.
    authorize(settings, caller, request.app[ROUTE_ROLES].get(request.match_info.route, PUBLIC))
    return await handler(request)


def caller_of(request: web.Request) -> Optional[Role]:
    return request[CALLER]


def caller_key(request: web.Request, openid: Optional[str]) -> str:
    """The rate-limit identity: the authenticated role plus the openid only the bot may name."""
    role = caller_of(request)
    name = role.value if role else "anonymous"
    return f"{name}:{openid or '-'}" if role is Role.bot else name


def security(allowed: FrozenSet[Role]) -> List[Dict[str, List[str]]]:
    """The OpenAPI ``security`` of an operation: any one of the allowed keys; [] = public."""
    return [{SCHEMES[role]: []} for role in sorted(allowed, key=lambda r: r.value)]
