"""Nonce cache: a signed query string carries one body, once per timestamp window.

The signature on the URL (``signature`` = SHA1 of Token, ``timestamp``, ``nonce``) does not
cover the body in plaintext mode, so without a cache a captured query string could carry a
new body for as long as its timestamp is inside the window. In safe mode ``msg_signature``
also covers the ciphertext, but in compatible mode the same query minus ``encrypt_type`` is a
valid plaintext push, and the outer XML around ``<Encrypt>`` is not signed at all.

So every accepted push records ``nonce:<signature>`` → SHA-256 of the body, with SET NX
(``Storage.set_default``: shared in Redis when ``REDIS_URL`` is set, in-process otherwise) for
exactly as long as its timestamp stays acceptable. The signature stands for the whole
(timestamp, nonce, signature) triple: it is the SHA1 of Token, timestamp and nonce sorted and
joined, so another split of the same characters (``nonce="…0"``, ``timestamp="0…"``) is the
same signed string and must not count as new. Every mode carries it (``signature`` is on the
URL in safe mode too, and ``msg_signature`` is a function of the same timestamp and nonce and
of the body), so switching modes does not make a fresh key either.

WeChat retries a push it got no answer to within 5 s with the very same query string and
body (3 tries in all). Such a retry finds its own digest and passes: the MsgId claim in
``turns`` then joins it to the first delivery's turn and answer, as before. The same query
with any other body is refused (HTTP 403), whichever body came first.
"""
from __future__ import annotations

import hashlib
import time
from typing import Callable, Mapping

from connectors.wechat.signing import SignatureError
from connectors.wechat.storage import Storage


class ReplayedRequestError(SignatureError):
    """The signed query string was already used with another body."""


class ReplayGuard:
    def __init__(self, storage: Storage, window: int, now: Callable[[], float] = time.time) -> None:
        self._storage = storage
        self._window = window
        self._now = now

    async def check(self, query: Mapping[str, str], body: bytes) -> None:
        """Records this (query, body) or recognises a retry of it; raises
        :class:`ReplayedRequestError` when the query came before with another body. Call it
        only after the signature and timestamp passed (``Envelope.open``)."""
        signature = (query.get("signature") or "").strip().lower()  # verified: 40 hex digits
        digest = hashlib.sha256(body).hexdigest()
        ttl = max(1.0, int(query.get("timestamp") or 0) + self._window - self._now() + 1)  # until the window closes
        if await self._storage.set_default(f"nonce:{signature}", digest, ttl) != digest:
            raise ReplayedRequestError("this signed query string was already used with another body")
