"""Masks personal data (openids, phone and ID numbers) before it reaches a log line."""
from __future__ import annotations

import re
from typing import Optional

_PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_openid(openid: Optional[str]) -> str:
    """``oAbc…wxyz``: enough to tell users apart in a log, not enough to address one."""
    if not openid:
        return "-"
    if len(openid) <= 8:
        return openid[:1] + "***"
    return f"{openid[:4]}…{openid[-4:]}"


def redact(text: Optional[str], limit: int = 80) -> str:
    """A user text fit for a log: phone and ID numbers masked, cut to ``limit`` characters."""
    if not text:
        return ""
    masked = _ID_NUMBER.sub(r"\1********\2", text)
    masked = _PHONE.sub(r"\1****\2", masked)
    return masked if len(masked) <= limit else masked[:limit] + "…"
