"""Settings of ``govbot up`` (CONTRACT.md §4), read once from the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from govbot import envsettings as read

LOOPBACK = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".run"
MODELS_DIR = ROOT / "models"
REDIS_SCHEMES = ("redis", "rediss", "unix")


@dataclass(frozen=True)
class Settings:
    rasa_port: int = 5005
    action_port: int = 5055
    portal_port: int = 8080
    wechat_fake_port: int = 8011
    console_port: int = 8090
    # Addresses the servers listen on: loopback unless a deployment says otherwise (a reverse
    # proxy in front, a container); the action server stays private even then.
    rasa_host: str = LOOPBACK
    action_host: str = LOOPBACK
    portal_host: str = LOOPBACK
    wechat_fake_host: str = LOOPBACK
    console_host: str = LOOPBACK
    portal_url: Optional[str] = None  # None: start and use the bundled reference portal
    redis_url: Optional[str] = None
    wechat_configured: bool = False  # False: demo credentials against the local fake WeChat API

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        """Raises SystemExit naming a malformed variable (the command line's way to stop)."""
        try:
            return cls(
                rasa_port=read.port(env, "RASA_PORT", cls.rasa_port),
                action_port=read.port(env, "ACTION_PORT", cls.action_port),
                portal_port=read.port(env, "PORTAL_PORT", cls.portal_port),
                wechat_fake_port=read.port(env, "WECHAT_FAKE_PORT", cls.wechat_fake_port),
                console_port=read.port(env, "CONSOLE_PORT", cls.console_port),
                rasa_host=read.text(env, "RASA_HOST") or LOOPBACK,
                action_host=read.text(env, "ACTION_HOST") or LOOPBACK,
                portal_host=read.text(env, "PORTAL_HOST") or LOOPBACK,
                wechat_fake_host=read.text(env, "WECHAT_FAKE_HOST") or LOOPBACK,
                console_host=read.text(env, "CONSOLE_HOST") or LOOPBACK,
                portal_url=read.url(env, "PORTAL_URL"),
                redis_url=read.url(env, "REDIS_URL", REDIS_SCHEMES),
                wechat_configured=bool(read.text(env, "WECHAT_APP_ID")),
            )
        except read.SettingError as error:
            raise SystemExit(str(error)) from None

    @property
    def effective_portal_url(self) -> str:
        return self.portal_url or local_url(self.portal_host, self.portal_port)

    @property
    def action_url(self) -> str:
        return local_url(self.action_host, self.action_port)

    @property
    def console_url(self) -> str:
        return local_url(self.console_host, self.console_port)

    @property
    def rasa_url(self) -> str:
        return local_url(self.rasa_host, self.rasa_port)


def local_url(host: str, port: int) -> str:
    """How the other processes of this machine reach a server listening on ``host``."""
    return f"http://{LOOPBACK if host in ('0.0.0.0', '::', '') else host}:{port}"  # nosec B104  # binds nothing

