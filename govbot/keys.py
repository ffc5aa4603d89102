"""The keys that close every server of the local run (docs/CONTRACT.md §4).

``govbot up`` generates the ones the environment does not set into ``.run/secrets.env`` (mode
600, ``NAME=value`` lines), once: a restart reuses them, so clients and stored state keep
working. Values set in the environment win and are never written to the file. Operator tools
(curl scripts, benchmarks) read them back with :func:`load_secrets`. Each process gets only
the keys it needs (:data:`KEYS_OF_PROCESS`), so a compromised action server holds no admin key.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Dict, Mapping, MutableMapping, Sequence

from honcho.environ import parse as parse_env

from govbot.settings import RUN_DIR

KEY_NAMES = ("RASA_AUTH_TOKEN", "ACTION_SERVER_SECRET", "PORTAL_API_KEY", "PORTAL_ADMIN_KEY", "PORTAL_WEBHOOK_SECRET")
SECRETS_FILE = RUN_DIR / "secrets.env"
ACTION_SECRET_HEADER = "X-Action-Secret"  # nosec B105  # a header name. How the Rasa server presents ACTION_SERVER_SECRET to the action server
KEYS_OF_PROCESS: Mapping[str, Sequence[str]] = {
    "portal": ("PORTAL_API_KEY", "PORTAL_ADMIN_KEY", "PORTAL_WEBHOOK_SECRET"),  # checks both keys, signs notifications
    "actions": ("ACTION_SERVER_SECRET", "PORTAL_API_KEY"),  # checks Rasa's calls, calls the portal as the bot
    # API token, calls actions, checks notifications
    "rasa": ("RASA_AUTH_TOKEN", "ACTION_SERVER_SECRET", "PORTAL_WEBHOOK_SECRET"),
    "wechat-api": (),
    "console": ("RASA_AUTH_TOKEN",),  # resumes conversations on the Rasa API, sends staff replies via the channel
}


def generate_secrets(names: Sequence[str] = KEY_NAMES) -> Dict[str, str]:
    """A fresh key for each name (the test stack: new keys per stack)."""
    return {name: secrets.token_urlsafe(32) for name in names}


def load_secrets(env: Mapping[str, str] = os.environ, path: Path = SECRETS_FILE) -> Dict[str, str]:
    """The keys an operator tool should use: the environment's first, then the file's; a key
    found in neither is left out (the server it closes was started without it)."""
    stored = _read(path)
    found = {name: env.get(name) or stored.get(name, "") for name in KEY_NAMES}
    return {name: value for name, value in found.items() if value}


def export_secrets(env: MutableMapping[str, str] = os.environ, path: Path = SECRETS_FILE) -> None:
    """Adds the run's keys to ``env`` for an operator command (values already set win)."""
    for name, value in load_secrets(env, path).items():
        env.setdefault(name, value)


def ensure_secrets(env: Mapping[str, str] = os.environ, path: Path = SECRETS_FILE) -> Dict[str, str]:
    """Every key for ``govbot up``: from the environment, else from the file, else generated and
    added to the file (created with mode 600; a wider mode is narrowed)."""
    stored = _read(path)
    missing = [name for name in KEY_NAMES if not env.get(name) and not stored.get(name)]
    if missing:
        stored.update(generate_secrets(missing))
        _write(path, stored)
    elif path.exists():
        os.chmod(path, 0o600)
    return {name: env.get(name) or stored[name] for name in KEY_NAMES}


def with_keys_of(process: str, env: Mapping[str, str], keys: Mapping[str, str]) -> Dict[str, str]:
    """``env`` for one process: without any key, plus the keys this process needs."""
    result = {name: value for name, value in env.items() if name not in KEY_NAMES}
    result.update({name: keys[name] for name in KEYS_OF_PROCESS.get(process, ()) if name in keys})
    return result


def _read(path: Path) -> Dict[str, str]:
    if not path.exists():
        return {}
    return {name: value for name, value in parse_env(path.read_text()).items() if name in KEY_NAMES and value}


def _write(path: Path, keys: Mapping[str, str]) -> None:
    """Writes through a temporary file created 600, so the keys are never readable by others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write("".join(f"{name}={keys[name]}\n" for name in KEY_NAMES if name in keys))
    os.chmod(temporary, 0o600)  # O_CREAT's mode does not apply to a leftover temporary file
    os.replace(temporary, path)
