"""Starts portal, action server, Rasa server (``rest`` and ``wechat`` channels) and the fake
WeChat API as real processes on loopback, for the end-to-end tests and the benchmarks
(``govbot up`` is the same set under honcho)."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import yaml

from connectors.wechat.fake_api import demo_environment
from govbot.settings import MODELS_DIR, ROOT, Settings
from govbot.up import CHANNELS, portal_webhook_url, rasa_endpoints

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 180


@dataclass(frozen=True)
class Stack:
    portal_url: str
    rasa_url: str
    action_url: str
    wechat_api_url: str

    @property
    def webhook_url(self) -> str:
        return f"{self.rasa_url}/webhooks/wechat/webhook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_stack(model: Path = MODELS_DIR / "govbot.tar.gz", redis_url: Optional[str] = None,
                  log_dir: Optional[Path] = None) -> Iterator[Stack]:
    """Yields once all four answer; stops them all on exit, whatever happened."""
    if not model.exists():
        raise FileNotFoundError(f"{model} is missing: run 'make train' first")
    settings = Settings(rasa_port=free_port(), action_port=free_port(), portal_port=free_port(),
                        wechat_fake_port=free_port(), redis_url=redis_url)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        logs = log_dir or work
        (work / "endpoints.yml").write_text(yaml.safe_dump(rasa_endpoints(settings)))
        (work / "credentials.yml").write_text(yaml.safe_dump(CHANNELS))
        env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_")}
        env.update({"PORTAL_URL": settings.effective_portal_url, "DATABASE_URL": f"sqlite:///{work / 'portal.sqlite3'}",
                    "PYTHONUNBUFFERED": "1",
                    "PORTAL_WEBHOOK_URL": portal_webhook_url(settings),
                    **demo_environment({}, settings.wechat_fake_port)})
        commands: Dict[str, List[str]] = {
            "portal": [str(BIN / "govbot"), "portal", "--port", str(settings.portal_port)],
            "wechat-api": [str(BIN / "govbot"), "fake-wechat", "--port", str(settings.wechat_fake_port)],
            "actions": [str(BIN / "rasa"), "run", "actions", "--port", str(settings.action_port),
                        "--actions", "actions"],
            "rasa": [str(BIN / "govbot-rasa"), "run", "--enable-api", "--port", str(settings.rasa_port),
                     "--model", str(model), "--endpoints", str(work / "endpoints.yml"),
                     "--credentials", str(work / "credentials.yml")],
        }
        processes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=(logs / f"{name}.log").open("w"),
                                      stderr=subprocess.STDOUT) for name, command in commands.items()]
        try:
            stack = Stack(settings.effective_portal_url, f"http://127.0.0.1:{settings.rasa_port}",
                          f"http://127.0.0.1:{settings.action_port}", f"http://127.0.0.1:{settings.wechat_fake_port}")
            _wait_until_up([f"{stack.portal_url}/healthz", f"{stack.action_url}/health",
                            f"{stack.wechat_api_url}/_fake/health", f"{stack.rasa_url}/status"], processes, logs)
            yield stack
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def _wait_until_up(urls: List[str], processes: List[subprocess.Popen], logs: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError(f"a process exited during start-up; see the logs in {logs}")
        try:
            with urllib.request.urlopen(pending[0], timeout=2) as response:  # nosec B310  # polls our own loopback health URLs
                if response.status == 200:
                    pending.pop(0)
                    continue
        except OSError:
            pass
        time.sleep(0.5)
    if pending:
        raise TimeoutError(f"not up after {STARTUP_SECONDS}s: {pending}; see the logs in {logs}")
