"""Masks personal data (openids, phone and ID numbers) before it reaches a log line.

The one implementation is ``govbot.logmask`` (shared by every process and logger); the
connector's modules keep importing these names from here.
"""
from __future__ import annotations

from govbot.logmask import mask_openid, redact

__all__ = ["mask_openid", "redact"]
