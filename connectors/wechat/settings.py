"""Settings of the WeChat channel, read once at start-up and checked there (CONTRACT.md §4).

Each value comes from the channel's entry in ``credentials.yml`` when given there, else
from the environment, so secrets can stay out of files. Missing credentials stop the
server at start-up with a message that names the variable, instead of failing at the
first citizen's message.
"""
from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

from rasa.shared.exceptions import RasaException

from govbot import envsettings as read
from govbot.settings import REDIS_SCHEMES

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com/"
DEFAULT_KEY_PREFIX = "govbot-wechat:"

# credentials.yml key -> environment variable
_SOURCES = {
    "app_id": "WECHAT_APP_ID",
    "app_secret": "WECHAT_APP_SECRET",  # nosec B105  # a variable name, not a value
    "token": "WECHAT_TOKEN",  # nosec B105  # a variable name, not a value
    "encoding_aes_key": "WECHAT_ENCODING_AES_KEY",
    "api_base_url": "WECHAT_API_BASE_URL",
    "redis_url": "REDIS_URL",
    "portal_webhook_secret": "PORTAL_WEBHOOK_SECRET",  # nosec B105  # a variable name, not a value
    "encrypt_mode": "WECHAT_ENCRYPT_MODE",
}
_REQUIRED = ("app_id", "app_secret", "token")
_TUNABLES = {"passive_timeout": float, "timestamp_window": int, "max_body_bytes": int,
             "key_prefix": str, "api_timeout": float}

# ------------------------------------------------------------ per-user rate limit
# credentials.yml keys: how many messages per minute (and at once) one openid may send to the
# assistant; more are acknowledged to WeChat and answered once with a short notice.
_TUNABLES.update({"user_rate_per_minute": float, "user_rate_burst": int})

# --- protocol edge: addressing and message size ---
# WECHAT_ACCOUNT_ID: the official account's original id (gh_…, 设置与开发 → 基本配置 → 原始ID);
# set, a push whose ToUserName names another account is refused (403).
# max_content_chars: a citizen's text (or voice recognition) longer than this gets a short
# "please describe it briefly" answer from the connector instead of reaching NLU.
_SOURCES.update({"account_id": "WECHAT_ACCOUNT_ID"})
_TUNABLES.update({"max_content_chars": int})


class WeChatSettingsError(RasaException):
    """The channel cannot start: a setting is missing or malformed."""


@dataclass(frozen=True)
class WeChatSettings:
    app_id: str
    app_secret: str
    token: str
    encoding_aes_key: Optional[str] = None  # set: safe/compatible mode; unset: plaintext mode
    # With a key: "safe" accepts encrypted pushes only; "compatible" also plaintext ones
    # (the admin console's 兼容模式 while switching, and the local demo's plaintext chat).
    encrypt_mode: str = "safe"
    api_base_url: str = DEFAULT_API_BASE_URL
    redis_url: Optional[str] = None  # unset: in-process storage (one server process only)
    portal_webhook_secret: Optional[str] = None
    passive_timeout: float = 4.0  # WeChat waits 5 s; answer passively only within this budget
    timestamp_window: int = 300  # seconds a signed request stays acceptable (replay window)
    max_body_bytes: int = 64 * 1024
    key_prefix: str = DEFAULT_KEY_PREFIX
    api_timeout: float = 5.0
    # ---------------------------------------------------------- per-user rate limit
    user_rate_per_minute: float = 20.0  # 0: no limit
    user_rate_burst: int = 10
    # --- protocol edge ---
    account_id: Optional[str] = None  # unset: any non-empty ToUserName is accepted
    # 2,000 characters: far more than any genuine request (citizens type a sentence or two; a
    # detailed complaint is a few hundred characters, which the NLU-side cut still parses), yet
    # small enough that no single push makes a long turn; 60 KB pastes are answered at once.
    max_content_chars: int = 2000
    # WECHAT_TEMPLATE_<NAME>: the account's own template id for each template of templates.yml
    # (booking_confirmed, booking_reminder, status_changed), keyed by the lower-case name.
    template_ids: Mapping[str, str] = field(default_factory=dict)
    # SANIC_WORKERS: server processes of Rasa; more than one needs REDIS_URL to share turns.
    sanic_workers: int = 1

    @property
    def safe_mode(self) -> bool:
        """Encrypted pushes are understood (safe or compatible mode)."""
        return bool(self.encoding_aes_key)

    @property
    def mode(self) -> str:
        """The message mode as WeChat's console names it: plaintext, compatible or safe."""
        return self.encrypt_mode if self.encoding_aes_key else "plaintext"

    @classmethod
    def from_sources(cls, credentials: Optional[Mapping[str, Any]] = None, env: Mapping[str, str] = os.environ,
                     required: Tuple[str, ...] = _REQUIRED) -> "WeChatSettings":
        """Credentials first, environment second; raises :class:`WeChatSettingsError`."""
        try:
            values = _values(dict(credentials or {}), env)
        except read.SettingError as error:
            raise WeChatSettingsError(str(error)) from None
        missing = [f"{_SOURCES[key]} (or '{key}' in credentials.yml)" for key in required if not values[key]]
        if missing:
            raise WeChatSettingsError(
                "WeChat settings missing: " + ", ".join(missing) + ". Set them to the "
                "official account's AppID, AppSecret and Token from the WeChat admin console "
                "(mp.weixin.qq.com → 设置与开发 → 基本配置); for local chat, run `govbot up`, which "
                "sets demo values for the fake WeChat API.")
        _check_aes_key(values["encoding_aes_key"])
        values["encrypt_mode"] = (values["encrypt_mode"] or "safe").lower()
        if values["encrypt_mode"] not in ("safe", "compatible"):
            raise WeChatSettingsError("WECHAT_ENCRYPT_MODE must be 'safe' or 'compatible'")
        values["token"] = values["token"] or ""  # only the webhook needs it (admin commands do not)
        settings = cls(**{k: v for k, v in values.items() if v is not None})
        _check_numbers(settings)
        _check_user_rate(settings)
        _check_edge(settings)
        return settings


def _values(credentials: Dict[str, Any], env: Mapping[str, str]) -> Dict[str, Any]:
    """Every setting, converted (govbot.envsettings): credentials.yml first, environment second."""
    values: Dict[str, Any] = {key: read.text(credentials, key) or read.text(env, variable)
                              for key, variable in _SOURCES.items()}
    for key, kind in _TUNABLES.items():
        if read.text(credentials, key) is not None:
            values[key] = read.converted(credentials[key], f"'{key}' in credentials.yml", kind)
    base_url = str(read.checked_url(values["api_base_url"] or DEFAULT_API_BASE_URL, "WECHAT_API_BASE_URL"))
    values["api_base_url"] = base_url if base_url.endswith("/") else f"{base_url}/"
    read.checked_url(values["redis_url"], "REDIS_URL", REDIS_SCHEMES)
    values["template_ids"] = _template_ids(env)
    values["sanic_workers"] = read.whole(env, "SANIC_WORKERS", 1, minimum=1)
    return values


def _check_aes_key(key: Optional[str]) -> None:
    if key is None:
        return
    try:
        decoded = base64.b64decode(key + "=", validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(key) != 43 or len(decoded) != 32:
        raise WeChatSettingsError(
            "WECHAT_ENCODING_AES_KEY must be the 43-character EncodingAESKey from the WeChat admin "
            "console (letters and digits); leave it unset for plaintext mode.")


def _template_ids(env: Mapping[str, str]) -> Dict[str, str]:
    prefix = "WECHAT_TEMPLATE_"
    return {name[len(prefix):].lower(): value.strip() for name, value in env.items()
            if name.startswith(prefix) and len(name) > len(prefix) and value.strip()}


def _check_numbers(settings: WeChatSettings) -> None:
    if not (0 < settings.passive_timeout < 5 and settings.timestamp_window > 0
            and settings.max_body_bytes >= 1024 and settings.api_timeout > 0):
        raise WeChatSettingsError(
            "passive_timeout must be between 0 and 5 seconds, timestamp_window positive, "
            "max_body_bytes at least 1024 and api_timeout positive")


# ------------------------------------------------------------ per-user rate limit

def _check_user_rate(settings: WeChatSettings) -> None:
    if settings.user_rate_per_minute < 0 or (settings.user_rate_per_minute > 0 and settings.user_rate_burst < 1):
        raise WeChatSettingsError(
            "user_rate_per_minute must be 0 (no limit) or positive, and user_rate_burst at least 1")
# --- protocol edge ---

def _check_edge(settings: WeChatSettings) -> None:
    if settings.account_id is not None and not settings.account_id.startswith("gh_"):
        raise WeChatSettingsError(
            f"WECHAT_ACCOUNT_ID must be the official account's original id (gh_…, 基本配置 → 原始ID), "
            f"got {settings.account_id!r}; the AppID (wx…) goes in WECHAT_APP_ID")
    if settings.max_content_chars < 1:
        raise WeChatSettingsError("max_content_chars must be positive")
