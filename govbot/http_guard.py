"""Refuses malformed HTTP/1.1 body framing before Sanic reads a body (Rasa and action server).

Sanic 21.12.2, which Rasa 3.6 pins, reads ``Content-Length`` with a bare ``int()``. ``-1`` makes
its body reader loop without ever yielding to the event loop: 100 % CPU, every connection of the
process stalled, SIGTERM ignored, from one unauthenticated request on any route. ``abc`` or
``3, 5`` gives a 500; two lengths, or a length with ``Transfer-Encoding: chunked``, are resolved
silently one way (request smuggling behind a proxy that resolves them the other way); a coding
other than ``chunked`` gives a 500; ``Content-Length : 3`` is not seen as a length at all, so the
body is read as the next request. Every one of these is answered 400 here and the connection
closed, before Sanic parses the head.

The patch is written against one Sanic release and refuses to apply to any other: a new Sanic
must be checked (and this module retired if it parses framing safely), never patched blindly.
"""
from __future__ import annotations

import re
from importlib.metadata import version
from typing import Iterable, List, Optional, Tuple

from sanic.exceptions import InvalidUsage
from sanic.http import Http
from sanic.server.protocols import http_protocol

SANIC_VERSION = "21.12.2"
# RFC 9110 token: what a field name may be; whitespace before the colon is not allowed (RFC 9112 §5.1).
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_LENGTH = re.compile(r"[0-9]{1,18}")  # 1*DIGIT; 18 digits is far beyond any size limit, and int() stays cheap


def framing_problem(fields: Iterable[Tuple[str, str]]) -> Optional[str]:
    """Why a request's body framing is unsafe to act on, or None. ``fields`` are (name, value)
    pairs as received. Stricter than RFC 9112 requires, never looser: one length of plain digits,
    or the single coding ``chunked`` spelled exactly so (the only one Sanic decodes), not both."""
    lengths: List[str] = []
    codings: List[str] = []
    for name, value in fields:
        if not _TOKEN.fullmatch(name):
            return "malformed header field name"
        if name.lower() == "content-length":
            lengths.append(value.strip())
        elif name.lower() == "transfer-encoding":
            codings.append(value)
    if len(lengths) > 1:
        return "several Content-Length fields"
    if lengths and not _LENGTH.fullmatch(lengths[0]):
        return "Content-Length is not a number of bytes"
    if codings and lengths:
        return "both Content-Length and Transfer-Encoding"
    if codings and codings != ["chunked"]:
        return "unsupported Transfer-Encoding (only chunked)"
    return None


def head_fields(head: bytes) -> List[Tuple[str, str]]:
    """The header fields of a request head (without its final CRLF CRLF), split exactly as Sanic
    21.12 splits them (lines on CRLF, name and value on the first colon, value left-stripped), so
    both see the same fields. A line without a colon is left out: Sanic refuses it itself."""
    lines = head.decode(errors="surrogateescape").split("\r\n")[1:]
    return [(name, value.lstrip()) for name, colon, value in (line.partition(":") for line in lines) if colon]


if version("sanic") != SANIC_VERSION:  # at import, so neither server starts with an unchecked patch
    raise RuntimeError(f"govbot.http_guard patches Sanic {SANIC_VERSION}, but Sanic {version('sanic')} is "
                       "installed: check its request-head parsing, then update or retire this guard")


class GuardedHttp(Http):
    """Sanic's HTTP/1.1 connection, checking the framing of each request head first. A subclass,
    because Sanic's TouchUp recompiles ``Http``'s own methods from their source at start-up."""

    __slots__ = ()

    async def http1_request_header(self) -> None:
        head = await self._buffered_head()
        if head is not None:
            problem = framing_problem(head_fields(head))
            if problem:  # Sanic answers 400 and, the error being in the request stage, closes
                raise InvalidUsage(f"Bad Request: {problem}")
        await super().http1_request_header()

    async def _buffered_head(self) -> Optional[bytes]:
        """Waits, exactly as Sanic's own reader does, until the head is buffered; None when it
        outgrows Sanic's limit (Sanic then refuses it with 413)."""
        buf = self.recv_buffer
        while True:
            end = buf.find(b"\r\n\r\n")
            if end != -1:
                return bytes(buf[:end])
            if max(0, len(buf) - 3) >= self.HEADER_MAX_SIZE:
                return None
            await self._receive_more()


def guard_sanic() -> None:
    """Makes every Sanic server this process starts afterwards refuse malformed framing. Idempotent."""
    http_protocol.Http = GuardedHttp  # type: ignore[misc]  # HttpProtocol (and its websocket subclass) build one per connection
