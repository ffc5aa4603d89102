"""Repository hygiene that bandit does not see: committed secrets and all-interfaces bindings.

Looks only at the files git tracks. Prints one line per finding and exits 1 if there is any.
Standard library only.
"""
from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterable, List, Tuple

ROOT = Path(__file__).resolve().parent.parent

# Files that hold real keys on a deployment or in the local run; they are ignored by git and
# must never be committed.
SECRET_FILES = (".env", "*/.env", ".run/*", "*secrets.env", "*.pem", "*.key", "*.p12", "*.pfx",
                "id_rsa*", "*/id_rsa*", "id_ed25519*", "*/id_ed25519*")
# Formats whose every match is a credential, in any tracked file (tests included).
TOKEN_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key id": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
}
# A password written into a URL, before the host: tests may use throwaway ones.
URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]*:[^/\s@'\"]+@")
# Settings whose value is a credential: a committed example must leave them empty.
SECRET_SETTING = re.compile(r"^\s*#?\s*([A-Z][A-Z0-9_]*(?:SECRET|TOKEN|KEY|PASSWORD))\s*=\s*(\S.*)$")
EXAMPLE_FILES = (".env.example",)
# Where the processes' listening addresses are written down.
BIND_FILES = ("Procfile", ".env.example", "*.yml", "*.yaml", "*.toml", "*.ini", "*.cfg")
ALL_INTERFACES = re.compile(r"(?<![\d.])0\.0\.0\.0(?![\d.])|\[::\]|(?:--host|--interface|-i)[ =]::(?:\s|$)")
# A server in the Procfile names its address: Rasa's and Sanic's default is every interface.
LISTEN_ADDRESS = re.compile(r"(?:--host|--interface|-i)[ =](\S+)")
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def tracked_files() -> List[str]:
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in listing.decode("utf-8").split("\0") if name]


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(Path(name).name, pattern) for pattern in patterns)


def _text(name: str) -> str:
    data = (ROOT / name).read_bytes()
    return "" if b"\0" in data[:4096] else data.decode("utf-8", "replace")


def findings(names: Iterable[str]) -> List[Tuple[str, str]]:
    """(file[:line], what) for every secret-looking or all-interfaces line among `names`."""
    found = []
    for name in names:
        if _matches(name, SECRET_FILES) and not name.endswith(".example"):
            found.append((name, "a secrets file is committed (it belongs in .gitignore)"))
            continue
        if not (ROOT / name).is_file():
            continue
        for number, line in enumerate(_text(name).splitlines(), 1):
            where = f"{name}:{number}"
            found += [(where, f"looks like a {kind}") for kind, pattern in TOKEN_PATTERNS.items()
                      if pattern.search(line)]
            if not name.startswith("tests/") and URL_PASSWORD.search(line):
                found.append((where, "a URL with a password in it"))
            setting = SECRET_SETTING.match(line) if _matches(name, EXAMPLE_FILES) else None
            if setting:
                found.append((where, f"{setting.group(1)} has a value; a committed example leaves it empty"))
            if _matches(name, BIND_FILES) and not name.startswith("tests/") and ALL_INTERFACES.search(line):
                found.append((where, "binds all interfaces; bind 127.0.0.1 unless a setting says otherwise"))
            if name == "Procfile" and _listens_on_default_address(line):
                found.append((where, "a server without --host/--interface: name 127.0.0.1 or a $SETTING"))
    return found


def _listens_on_default_address(line: str) -> bool:
    """A Procfile process that takes a --port but names no loopback or $SETTING address."""
    if line.lstrip().startswith("#") or "--port" not in line:
        return False
    address = LISTEN_ADDRESS.search(line)
    return not address or not (address.group(1) in LOOPBACK or address.group(1).startswith("$"))


def main() -> int:
    found = findings(tracked_files())
    for where, what in found:
        print(f"{where}: {what}")
    print(f"repository check: {len(found)} finding(s) in the tracked files")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
