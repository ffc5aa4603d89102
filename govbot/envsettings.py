"""The one way settings are read from the environment (or a channel's entry in credentials.yml).

Every settings class (``govbot.settings.Settings``, ``portal.settings.PortalSettings``,
``connectors.wechat.settings.WeChatSettings``) reads its values through these converters, so a
blank value means "unset" everywhere, and a malformed one stops start-up with the same kind of
message naming the variable, instead of surfacing at the first request.
"""
from __future__ import annotations

from datetime import time
from typing import Any, Iterable, Mapping, Optional, Tuple, Union
from urllib.parse import urlparse

Source = Mapping[str, Any]
Number = Union[int, float]
TimeRange = Tuple[time, time]


class SettingError(ValueError):
    """A setting is malformed; the message names it and says what it must be."""


def text(source: Source, name: str) -> Optional[str]:
    """The value stripped of spaces; None when missing or blank."""
    value = source.get(name)
    if value is None:
        return None
    stripped = str(value).strip()
    return stripped or None


def whole(source: Source, name: str, default: int, minimum: int = 0) -> int:
    """A whole number of at least ``minimum``."""
    raw = text(source, name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise SettingError(f"{name} must be a whole number of at least {minimum}, got {raw!r}")
    return int(raw)


def number(source: Source, name: str, default: float, minimum: float = 0.0) -> float:
    """A decimal number of at least ``minimum``."""
    raw = text(source, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value >= minimum:  # also refuses nan
        raise SettingError(f"{name} must be a number of at least {minimum:g}, got {raw!r}")
    return value


def port(source: Source, name: str, default: int) -> int:
    """A TCP port number (1-65535)."""
    value = whole(source, name, default, minimum=1)
    if value > 65535:
        raise SettingError(f"{name} must be a port number (1-65535), got {value}")
    return value


def url(source: Source, name: str, schemes: Iterable[str] = ("http", "https")) -> Optional[str]:
    """A URL with one of ``schemes`` (and a host, for http and https); None when unset."""
    return checked_url(text(source, name), name, schemes)


def checked_url(raw: Optional[str], name: str, schemes: Iterable[str] = ("http", "https")) -> Optional[str]:
    """``raw`` if it is a URL with one of ``schemes``; for a value already read from elsewhere."""
    if raw is None:
        return None
    parsed = urlparse(raw)
    allowed = tuple(schemes)
    if parsed.scheme not in allowed or (parsed.scheme in ("http", "https") and not parsed.netloc):
        kind = "an http(s)" if set(allowed) == {"http", "https"} else "a " + " or ".join(f"{s}://" for s in allowed)
        raise SettingError(f"{name} must be {kind} URL, got {raw!r}")
    return raw


def time_ranges(source: Source, name: str, default: str) -> Tuple[TimeRange, ...]:
    """Hours of a day such as ``09:00-12:00,13:30-17:00``: each range starts before it ends, and
    the ranges come in order without overlapping."""
    raw = text(source, name) or default
    try:
        ranges = tuple(_time_range(part) for part in raw.split(","))
    except ValueError:
        ranges = ()
    ordered = all(start < end for start, end in ranges) and all(
        earlier[1] <= later[0] for earlier, later in zip(ranges, ranges[1:], strict=False))
    if not ranges or not ordered:
        raise SettingError(f"{name} must be hours such as 09:00-12:00,13:30-17:00 (in order), got {raw!r}")
    return ranges


def _time_range(part: str) -> TimeRange:
    start, _, end = part.strip().partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def converted(value: Any, name: str, kind: type) -> Any:
    """A value given in a file (credentials.yml) as ``kind`` (int, float or str)."""
    if kind is int:
        return whole({name: value}, name, 0)
    if kind is float:
        return number({name: value}, name, 0.0, minimum=float("-inf"))
    return str(value)
