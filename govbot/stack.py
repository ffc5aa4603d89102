"""Starts portal, action server, Rasa server (``rest`` and ``wechat`` channels), the fake
WeChat API and the staff console as real processes on loopback, for the end-to-end tests and the benchmarks: the
processes of ``govbot up``, with the same environment and keys (fresh ones per stack)."""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional
from urllib.parse import urlencode

import yaml

from govbot.clock import CLOCK_SETTING
from govbot.keys import generate_secrets
from govbot.processes import free_port, start, stopped_at_exit, wait_until_up
from govbot.settings import LOOPBACK, MODELS_DIR, Settings
from govbot.up import CHANNELS, process_environments, rasa_endpoints

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 180


@dataclass(frozen=True)
class Stack:
    portal_url: str
    rasa_url: str
    action_url: str
    wechat_api_url: str
    secrets: Dict[str, str] = field(default_factory=dict)  # the keys of docs/CONTRACT.md §4, by name
    pids: Dict[str, int] = field(default_factory=dict)  # process name -> pid
    database_url: str = ""  # the portal's database (SQLite in the stack's own folder)
    console_url: str = ""
    console_database_url: str = ""  # the console's (SQLite in the stack's own folder)

    @property
    def webhook_url(self) -> str:
        return f"{self.rasa_url}/webhooks/wechat/webhook"

    def rasa_api(self, path: str, **params: str) -> str:
        """URL of a Rasa HTTP API call (``/status``, ``/conversations/<id>/tracker``) with the token."""
        query = urlencode({**params, "token": self.secrets["RASA_AUTH_TOKEN"]})
        return f"{self.rasa_url}{path}{'&' if '?' in path else '?'}{query}"

    @property
    def portal_admin_headers(self) -> Dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets['PORTAL_ADMIN_KEY']}"}

    @property
    def portal_bot_headers(self) -> Dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets['PORTAL_API_KEY']}"}


@contextlib.contextmanager
def running_stack(model: Path = MODELS_DIR / "govbot.tar.gz", redis_url: Optional[str] = None,
                  log_dir: Optional[Path] = None, clock: Optional[str] = None) -> Iterator[Stack]:
    """Yields once all four answer; stops them all on exit, whatever happened. ``clock`` (an ISO
    instant) starts every process's China clock there (``govbot.clock``)."""
    if not model.exists():
        raise FileNotFoundError(f"{model} is missing: run 'make train' first")
    settings = Settings(rasa_port=free_port(), action_port=free_port(), portal_port=free_port(),
                        wechat_fake_port=free_port(), console_port=free_port(), redis_url=redis_url)
    keys = generate_secrets()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        logs = log_dir or work
        (work / "endpoints.yml").write_text(yaml.safe_dump(rasa_endpoints(settings)))
        (work / "credentials.yml").write_text(yaml.safe_dump(CHANNELS))
        commands = _commands(settings, model, work)
        base = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_") and k != "PORTAL_WEBHOOK_URL"}
        base["DATABASE_URL"] = f"sqlite:///{work / 'portal.sqlite3'}"
        base["CONSOLE_DATABASE_URL"] = f"sqlite:///{work / 'console.sqlite3'}"
        base.pop(CLOCK_SETTING, None)
        if clock:
            base[CLOCK_SETTING] = clock
        environments = process_environments(settings, commands, base, keys)
        processes = {name: start(command, environments[name], logs / f"{name}.log")
                     for name, command in commands.items()}
        with stopped_at_exit(list(processes.values())):
            stack = Stack(settings.effective_portal_url, settings.rasa_url, settings.action_url,
                          f"http://{LOOPBACK}:{settings.wechat_fake_port}", keys,
                          {name: p.pid for name, p in processes.items()}, base["DATABASE_URL"],
                          settings.console_url, base["CONSOLE_DATABASE_URL"])
            wait_until_up([f"{stack.portal_url}/healthz", f"{stack.action_url}/health",
                           f"{stack.wechat_api_url}/_fake/health", stack.rasa_api("/status"),
                           f"{stack.console_url}/signin"],
                          list(processes.values()), STARTUP_SECONDS, f"; see the logs in {logs}")
            yield stack


def _commands(settings: Settings, model: Path, work: Path) -> Dict[str, List[str]]:
    """The Procfile's commands, with this stack's ports, model and configuration files."""
    return {
        "portal": [str(BIN / "govbot"), "portal", "--host", settings.portal_host, "--port", str(settings.portal_port)],
        "wechat-api": [str(BIN / "govbot"), "fake-wechat", "--host", settings.wechat_fake_host,
                       "--port", str(settings.wechat_fake_port)],
        "actions": [str(BIN / "govbot-actions"), "--host", settings.action_host, "--port", str(settings.action_port),
                    "--actions", "actions"],
        "rasa": [str(BIN / "govbot-rasa"), "run", "--enable-api", "--interface", settings.rasa_host,
                 "--port", str(settings.rasa_port), "--model", str(model), "--endpoints", str(work / "endpoints.yml"),
                 "--credentials", str(work / "credentials.yml")],
        "console": [str(BIN / "govbot"), "console", "serve", "--host", settings.console_host,
                    "--port", str(settings.console_port)],
    }
