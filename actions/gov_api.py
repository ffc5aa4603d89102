"""The one client every action uses to reach the government portal's HTTP API (the portal is the
``portal/`` package or a real government backend; actions never import it, they call it).

The action server creates the client at start-up from ``GovApiSettings`` (``PORTAL_URL``,
``PORTAL_API_KEY``), hands it to the actions (``use_gov_api``) and closes it when it stops.
One aiohttp session per process, a timeout of 2.5 s per call, typed errors, and retries
only for calls that are safe to repeat (reads, and bookings, which carry an
Idempotency-Key so the portal returns the first booking to a retry). All calls of one citizen
turn share that turn's time budget (``actions/turn_budget.py``).
"""
from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

import aiohttp

from actions.turn_budget import seconds_left
from govbot import envsettings as read

logger = logging.getLogger(__name__)
CALL_TIMEOUT_SECONDS = 2.5
RETRIES = 1
DEFAULT_PORTAL_URL = "http://127.0.0.1:8080"


class GovApiError(Exception):
    """Base of every portal failure an action may need to tell the citizen about."""


class GovApiUnavailable(GovApiError):
    """Timeout, connection failure or 5xx: the portal could not answer now."""


class GovApiRefused(GovApiError):
    """A 4xx answer: the portal understood and refused; ``code`` says why."""

    def __init__(self, status: int, code: str, message: str, details: Optional[Dict[str, Any]] = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


class GovApiSettingsError(read.SettingError):
    """A setting of the portal client is unusable; the message names it and what it must be."""


@dataclass(frozen=True)
class GovApiSettings:
    url: str = DEFAULT_PORTAL_URL
    api_key: Optional[str] = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "GovApiSettings":
        try:
            url = read.checked_url(read.text(env, "PORTAL_URL") or DEFAULT_PORTAL_URL, "PORTAL_URL")
        except read.SettingError as error:
            raise GovApiSettingsError(str(error)) from None
        return cls(str(url), read.text(env, "PORTAL_API_KEY"))


class GovApi:
    def __init__(self, base_url: str, api_key: Optional[str] = None, timeout: float = CALL_TIMEOUT_SECONDS):
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._total_seconds = timeout
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: Optional[aiohttp.ClientSession] = None

    @classmethod
    def from_settings(cls, settings: GovApiSettings) -> "GovApi":
        return cls(settings.url, settings.api_key)

    # --- guides ---------------------------------------------------------------

    async def search_guides(self, query: str, limit: int = 3) -> list:
        return (await self._call("GET", "/api/v1/guides/search", params={"q": query[:200], "limit": limit}))["items"]

    async def guide(self, code: str) -> Dict[str, Any]:
        return await self._call("GET", f"/api/v1/guides/{code}")

    # --- bookings -------------------------------------------------------------

    async def slots(self, item_code: str, hall_code: Optional[str] = None) -> list:
        params = {"item_code": item_code, **({"hall_code": hall_code} if hall_code else {})}
        return (await self._call("GET", "/api/v1/slots", params=params))["slots"]

    async def booking_day(self, day: str, item_code: str) -> Dict[str, Any]:
        """Whether ``day`` (ISO) can be booked for the item: ``bookable``, ``reason`` (weekend,
        holiday, outside_window, full), ``holiday`` (its name) and the day's ``free`` slots."""
        return await self._call("GET", f"/api/v1/booking-days/{day}", params={"item": item_code})

    async def book(self, booking: Dict[str, Any], idempotency_key: str) -> Dict[str, Any]:
        return await self._call("POST", "/api/v1/appointments", json=booking,
                                headers={"Idempotency-Key": idempotency_key}, retry=True)

    async def bookings(self, openid: str) -> list:
        return (await self._call("GET", "/api/v1/appointments", params={"openid": openid}))["bookings"]

    async def last_contact(self, openid: str) -> Optional[Dict[str, str]]:
        """The citizen's latest contact as the portal shows it (masked ``name`` and ``phone``) and a
        ``handle`` that a booking may carry instead of name and phone; None when there is none."""
        try:
            return await self._call("GET", "/api/v1/appointments/contact", params={"openid": openid})
        except GovApiRefused as error:
            if error.status == 404:
                return None
            raise

    async def cancel_booking(self, booking_no: str, openid: str, phone: Optional[str] = None) -> Dict[str, Any]:
        """By the openid that booked, or (a booking made elsewhere) by the phone it was made with."""
        body = {"openid": openid, **({"phone": phone} if phone else {})}
        return await self._call("POST", f"/api/v1/appointments/{booking_no}/cancel", json=body)

    async def lookup_booking(self, booking_no: str, openid: str, phone: str) -> Dict[str, Any]:
        """A booking made on the web or by phone, by its number and phone; a wrong pair is a 404
        with ``details.attempts_left`` and counts against the same budget as status verification."""
        return await self._call("POST", f"/api/v1/appointments/{booking_no}/lookup",
                                json={"openid": openid, "phone": phone})

    # --- applications and feedback -----------------------------------------------

    async def application_status(self, application_id: str, openid: str, verification: Optional[str] = None,
                                 channel: Optional[str] = None) -> Dict[str, Any]:
        """``verification``: the phone's last 4 digits or the whole phone (then matched whole);
        without it only an openid bound earlier verifies (and nothing is counted). ``channel``: the
        conversation's, bound with the openid so that status notifications come back through it."""
        body: Dict[str, Any] = {"openid": openid, **({"channel": channel} if channel else {})}
        if verification:
            body["phone" if len(verification) == 11 else "phone_last4"] = verification
        return await self._call("POST", f"/api/v1/applications/{application_id}/query", json=body)

    async def rate(self, level: str, openid: str, item_code: Optional[str] = None, text: Optional[str] = None,
                   channel: Optional[str] = None) -> Dict[str, Any]:
        body = {"level": level, "openid": openid, "item_code": item_code, "text": text,
                **({"channel": channel} if channel else {})}
        return await self._call("POST", "/api/v1/evaluations", json=body)

    async def complain(self, text: str, openid: str, item_code: Optional[str] = None,
                       contact: Optional[str] = None) -> Dict[str, Any]:
        """``contact``: the phone the citizen gave for the answer; without it the answer goes to the openid."""
        body = {"text": text, "openid": openid, "item_code": item_code, "contact": contact}
        return await self._call("POST", "/api/v1/complaints", json=body)

    # --- transport ----------------------------------------------------------------

    async def _call(self, method: str, path: str, retry: Optional[bool] = None, **kwargs: Any) -> Any:
        attempts = 1 + (RETRIES if (method == "GET" if retry is None else retry) else 0)
        for attempt in range(1, attempts + 1):
            try:
                return await self._once(method, path, **kwargs)
            except GovApiUnavailable as error:
                logger.warning("portal %s %s failed (attempt %d/%d): %s", method, path, attempt, attempts, error)
                if attempt == attempts:
                    raise
                await asyncio.sleep(0.1)
        raise AssertionError("unreachable")

    async def _once(self, method: str, path: str, headers: Optional[Dict[str, str]] = None, **kwargs: Any) -> Any:
        session = self._ensure_session()
        left = seconds_left()
        if left is not None and left <= 0:
            raise GovApiUnavailable("the turn's time budget is spent")
        timeout = self._timeout if left is None else aiohttp.ClientTimeout(total=min(self._total_seconds, left))
        try:
            async with session.request(method, self._base_url + path, headers={**self._headers, **(headers or {})},
                                       timeout=timeout, **kwargs) as response:
                if response.status >= 500:
                    raise GovApiUnavailable(f"HTTP {response.status}")
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise GovApiUnavailable(type(error).__name__) from error
        if response.status >= 400:
            body = body if isinstance(body, dict) else {}
            raise GovApiRefused(response.status, body.get("error", "error"), body.get("message", ""),
                                 body.get("details"))
        return body

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


_client: Optional[GovApi] = None


class GovApiNotConfigured(GovApiError):
    """No client was handed to the actions: they run outside ``govbot-actions`` (which does)."""


def gov_api() -> GovApi:
    """The client the action server handed to the actions at start-up."""
    if _client is None:
        raise GovApiNotConfigured("no portal client: start the actions with govbot-actions, or call use_gov_api")
    return _client


def use_gov_api(client: Optional[GovApi]) -> None:
    """Hands ``client`` to every action (the action server at start-up, tests); None takes it back."""
    global _client
    _client = client
