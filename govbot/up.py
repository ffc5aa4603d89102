"""``govbot up``: every process of the assistant, supervised, on embedded defaults, closed by keys."""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Dict, Iterable, Mapping, Optional
from urllib.parse import urlparse

import yaml
from honcho.environ import parse as parse_env
from honcho.environ import parse_procfile

from connectors.wechat.testing.fake_api import demo_environment
from console.demo import demo_supervisor
from console.settings import ConsoleSettings
from govbot.keys import ACTION_SECRET_HEADER, KEY_NAMES, SECRETS_FILE, ensure_secrets, with_keys_of
from govbot.processes import port_is_free
from govbot.settings import MODELS_DIR, ROOT, RUN_DIR, Settings
from govbot.supervisor import Supervisor

CHANNELS = {"rest": None, "connectors.wechat.channel.WeChatInput": None}


def up(settings: Settings) -> int:
    processes = _processes(settings)
    _check_ports(settings, processes)
    if not any(MODELS_DIR.glob("*.tar.gz")):
        raise SystemExit("No trained model in models/: run 'make train' (or 'make run', which trains first).")
    keys = ensure_secrets()
    _announce_keys()
    _announce_console(settings)
    _write_rasa_config(settings)
    supervisor = Supervisor()
    environments = process_environments(settings, processes, os.environ, keys)
    for name, command in processes.items():
        supervisor.add_process(name, command, env=environments[name], cwd=str(ROOT))
    return supervisor.loop()


def _announce_keys() -> None:
    """Names the file of the run's keys (never a value), so operators' tools can find them."""
    from_env = [name for name in KEY_NAMES if os.environ.get(name)]
    print(f"Keys of this run: {SECRETS_FILE} (mode 600; read it for curl, the benchmarks, your tools)"
          + (f"; taken from the environment instead: {', '.join(from_env)}" if from_env else ""), flush=True)


def _announce_console(settings: Settings) -> None:
    """Where the staff console is; on embedded defaults only (no official account, no console
    database set) a demo supervisor with a fresh random password, printed once here."""
    print(f"Staff console: {settings.console_url}/", flush=True)
    if settings.wechat_configured or os.environ.get("CONSOLE_DATABASE_URL"):
        print("  staff accounts: .venv/bin/govbot console add-staff --login L --name N --role supervisor", flush=True)
        return
    login, password = asyncio.run(demo_supervisor(ConsoleSettings.from_env(os.environ)))
    print(f"  demo supervisor: login {login}, password {password} (embedded defaults only; new at each start)",
          flush=True)


def load_dotenv() -> None:
    """Adds ``.env`` (if any) to the environment; variables already set win."""
    dotenv = ROOT / ".env"
    if dotenv.exists():
        for name, value in parse_env(dotenv.read_text()).items():
            os.environ.setdefault(name, value)


def _processes(settings: Settings) -> Dict[str, str]:
    processes = parse_procfile((ROOT / "Procfile").read_text()).processes
    if settings.portal_url:  # a real portal: do not start the reference one
        processes.pop("portal")
    if settings.wechat_configured:  # a real official account: no fake WeChat API
        processes.pop("wechat-api")
    return processes


def _check_ports(settings: Settings, processes: Dict[str, str]) -> None:
    wanted = {"rasa": settings.rasa_port, "actions": settings.action_port, "portal": settings.portal_port,
              "wechat-api": settings.wechat_fake_port, "console": settings.console_port}
    busy = [f"{name} port {port}" for name, port in wanted.items() if name in processes and not port_is_free(port)]
    if busy:
        raise SystemExit(
            f"Port already in use: {', '.join(busy)}. Stop the program holding it "
            "(e.g. an earlier 'govbot up') or choose another with RASA_PORT / ACTION_PORT / PORTAL_PORT / "
            "WECHAT_FAKE_PORT / CONSOLE_PORT.")


def process_environments(settings: Settings, processes: Iterable[str], base: Mapping[str, str],
                         keys: Mapping[str, str]) -> Dict[str, Dict[str, str]]:
    """The environment of each process (``govbot up`` and the test stack alike): ``base``, the
    settings, the demo WeChat account when none is configured, and only that process's keys."""
    env = _environment(settings, base)
    return {name: with_keys_of(name, env, keys) for name in processes}


def _environment(settings: Settings, base: Mapping[str, str]) -> Dict[str, str]:
    env = dict(base)
    env.update({
        "RASA_PORT": str(settings.rasa_port), "ACTION_PORT": str(settings.action_port),
        "PORTAL_PORT": str(settings.portal_port), "PORTAL_URL": settings.effective_portal_url,
        "WECHAT_FAKE_PORT": str(settings.wechat_fake_port), "CONSOLE_PORT": str(settings.console_port),
        "CONSOLE_HOST": settings.console_host, "RASA_HOST": settings.rasa_host, "ACTION_HOST": settings.action_host,
        "PORTAL_HOST": settings.portal_host, "WECHAT_FAKE_HOST": settings.wechat_fake_host,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", "PYTHONUNBUFFERED": "1",
    })
    # Third-party notices that say nothing about this deployment, off by their own switches (an
    # operator's setting wins): SQLAlchemy's 2.0 notice, caused by Rasa's tracker-store models,
    # and TensorFlow's C++ INFO/WARNING lines on the model's graph (its errors still show).
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.update(demo_environment(env, settings.wechat_fake_port))
    # Status changes reach citizens as template messages through the channel's receiver.
    env.setdefault("PORTAL_WEBHOOK_URL", portal_webhook_url(settings))
    return env


def portal_webhook_url(settings: Settings) -> str:
    """Where the portal posts status changes: the channel's receiver on the Rasa server."""
    return f"{settings.rasa_url}/webhooks/wechat/portal"


def _write_rasa_config(settings: Settings) -> None:
    RUN_DIR.mkdir(exist_ok=True)
    endpoints = RUN_DIR / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump(rasa_endpoints(settings), sort_keys=False))
    endpoints.chmod(0o600)  # a Redis password from REDIS_URL is written here
    (RUN_DIR / "credentials.yml").write_text(yaml.safe_dump(CHANNELS, sort_keys=False))


def rasa_endpoints(settings: Settings) -> Dict[str, object]:
    """Action server always, called with the shared secret (which Rasa reads from its own
    environment: no key in the file); Redis tracker and lock stores only when ``REDIS_URL`` is set."""
    endpoints: Dict[str, object] = {"action_endpoint": {
        "url": f"{settings.action_url}/webhook", "headers": {ACTION_SECRET_HEADER: "${ACTION_SERVER_SECRET}"}}}
    redis = _redis_store(settings.redis_url)
    if redis is not None:
        endpoints["tracker_store"] = {"type": "redis", **redis, "key_prefix": "govbot", "record_exp": 604800}
        endpoints["lock_store"] = {"type": "redis", **redis, "key_prefix": "govbot"}
    return endpoints


def _redis_store(url: Optional[str]) -> Optional[Dict[str, object]]:
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss"):
        raise SystemExit(f"REDIS_URL must start with redis:// or rediss://, got {url!r}")
    store: Dict[str, object] = {"url": parsed.hostname or "127.0.0.1", "port": parsed.port or 6379,
                                "db": int(parsed.path.lstrip("/") or 0)}
    if parsed.password:
        store["password"] = parsed.password
    if parsed.scheme == "rediss":
        store["use_ssl"] = True
    return store


