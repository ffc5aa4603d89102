"""What each role may do, decided here only: handlers ask ``require(request, permission)``.

Agents handle conversations (claim, reply, release, close, hand back their own); supervisors
also see everyone's, transfer, search by personal data and edit the quick replies.
"""
from __future__ import annotations

from enum import Enum
from typing import Dict, FrozenSet

from aiohttp import web

from console.staff import Role, Staff
from console.web.signins import SignIn

SIGN_IN = "console_sign_in"  # the request's SignIn, set by console.web.guard


class Permission(str, Enum):
    HANDLE = "handle"
    SUPERVISE = "supervise"  # everyone's conversations, transfer, quick-reply edits
    SEARCH = "search"  # by openid, phone or booking number: personal data


GRANTS: Dict[Role, FrozenSet[Permission]] = {
    Role.AGENT: frozenset({Permission.HANDLE}),
    Role.SUPERVISOR: frozenset(Permission),
}


def permits(staff: Staff, permission: Permission) -> bool:
    return staff.active and permission in GRANTS[staff.role]


def signed_in(request: web.Request) -> SignIn:
    sign_in = request.get(SIGN_IN)
    if sign_in is None:
        raise web.HTTPUnauthorized()
    return sign_in


def require(request: web.Request, permission: Permission) -> Staff:
    """The staff member making ``request``, when their role (as stored now) grants ``permission``."""
    staff = signed_in(request).staff
    if not permits(staff, permission):
        raise web.HTTPForbidden(text="您的角色无权进行此操作")
    return staff
