"""`make security`'s own configuration stays true: the ignored advisories name the installed
versions and a reason, the mitigations they rely on still hold, and the repository check finds
what it is meant to find."""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Dict, Iterator, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
AUDIT_PYTHON = ROOT / ".venv-audit" / "bin" / "python"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"security_{name}", ROOT / "security" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


audit = _load("audit")
check_repo = _load("check_repo")


def test_every_ignored_advisory_names_the_installed_version_a_reason_and_a_mitigation():
    known = audit.load_known()
    assert known, "the list is read (an empty parse would ignore nothing and prove nothing)"
    for entry in known:
        installed = importlib.metadata.version(entry.package)
        assert installed == entry.version, (
            f"{entry.advisory}: {entry.pin} is listed but {entry.package} {installed} is installed; "
            "re-check the advisory against the new version and update or remove the line")
        assert len(entry.reason) >= 20 and len(entry.mitigation) >= 40, entry
    pairs = [(entry.advisory, entry.package.lower()) for entry in known]
    assert len(pairs) == len(set(pairs)), "an advisory is listed twice for one package"


@pytest.mark.parametrize("line, problem", [
    ("CVE-2024-1 | aiohttp==3.9.5 | a reason | a mitigation", "not a PYSEC, GHSA or CVE id"),
    ("GHSA-abcd-eeee-ikl0 | aiohttp==3.9.5 | a reason | a mitigation", "not a PYSEC, GHSA or CVE id"),
    ("CVE-2024-52304 | aiohttp>=3.9 | a reason | a mitigation", "not package==version"),
    ("CVE-2024-52304 | aiohttp==3.9.5 | a reason", "4 non-empty fields"),
    ("CVE-2024-52304 | aiohttp==3.9.5 |  | a mitigation", "4 non-empty fields"),
])
def test_a_malformed_line_is_refused_not_skipped(tmp_path, line, problem):
    listing = tmp_path / "known.txt"
    listing.write_text("# comment\n\n" + line + "\n")
    with pytest.raises(ValueError, match=problem):
        audit.load_known(listing)


def test_the_mitigations_the_list_relies_on_still_hold():
    import aiohttp.http_parser
    from google.protobuf.internal import api_implementation

    assert aiohttp.http_parser.HttpRequestParser.__module__ == "aiohttp._http_parser", \
        "aiohttp's servers run its pure-Python parser: CVE-2024-52304 and CVE-2025-53643 apply to all of them"
    assert api_implementation.Type() != "python", "protobuf runs pure Python: CVE-2025-4565 applies"
    assert importlib.util.find_spec("email_validator") is None, \
        "email-validator is installed: pydantic's e-mail ReDoS (CVE-2024-3772) becomes reachable"


def test_the_canary_is_not_an_ignored_advisory():
    """Ignoring the canary's advisory would make every reachable source look unreachable."""
    assert audit.CANARY_ID not in {entry.advisory for entry in audit.load_known()}


def test_the_repository_check_finds_committed_secrets_and_all_interfaces_bindings(tmp_path, monkeypatch):
    files = {
        ".env": "WECHAT_APP_SECRET=x\n",
        "deploy/id_rsa": "x\n",
        "docs/key.txt": "-----BEGIN RSA " + "PRIVATE KEY-----\n",  # split, or this file would match
        "connectors/x.py": 'URL = "postgresql://bot:hunter22@db/govbot"\n',
        "tests/test_x.py": 'URL = "redis://:pw@127.0.0.1:6379/0"\n',  # a throwaway test password
        ".env.example": "# PORTAL_API_KEY=abc123\n# PORTAL_URL=https://portal.example.gov.cn\n",
        "Procfile": ("rasa: govbot-rasa run -i 0.0.0.0 --port $RASA_PORT\n"
                     "actions: rasa run actions --port $ACTION_PORT\n"  # Sanic's default: every interface
                     "portal: govbot portal --host 127.0.0.1 --port $PORTAL_PORT\n"
                     "wechat-api: govbot fake-wechat --host $WECHAT_FAKE_HOST --port $WECHAT_FAKE_PORT\n"),
        "config.yml": "host: '[::]'\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(check_repo, "ROOT", tmp_path)
    found = {where for where, _ in check_repo.findings(files)}
    assert found == {".env", "deploy/id_rsa", "docs/key.txt:1", "connectors/x.py:1", ".env.example:1",
                     "Procfile:1", "Procfile:2", "config.yml:1"}


Advisories = Dict[Tuple[str, str], List[dict]]


@contextmanager
def fake_osv(advisories: Advisories) -> Iterator[str]:
    """An OSV query API on loopback that knows only `advisories` ((package, version) -> vulns)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            vulns = advisories.get((query["package"]["name"], query["version"]), [])
            body = json.dumps({"vulns": vulns} if vulns else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _vuln(package: str, advisory: str, *aliases: str) -> dict:
    return {"id": advisory, "aliases": list(aliases), "summary": "test advisory",
            "affected": [{"package": {"name": package, "ecosystem": "PyPI"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99"}]}]}]}


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _run_audit(osv_url: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(AUDIT_PYTHON), str(ROOT / "security" / "audit.py")], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "SECURITY_AUDIT_SOURCES": "osv",
                                            "SECURITY_AUDIT_OSV_URL": osv_url, **env})


def _known_advisories() -> Advisories:
    """The canary's advisory, and each listed one under another id, so that it is matched by alias."""
    advisories: Advisories = {("requests", "2.20.0"): [_vuln("requests", audit.CANARY_ID, "CVE-2023-32681")]}
    for number, entry in enumerate(audit.load_known()):
        key = (_canonical(entry.package), entry.version)
        advisories.setdefault(key, []).append(_vuln(key[0], f"GHSA-2345-6789-c{number:03d}", entry.advisory))
    return advisories


needs_audit_venv = pytest.mark.skipif(not AUDIT_PYTHON.exists(), reason="`make security` builds .venv-audit")


@pytest.mark.slow
@needs_audit_venv
def test_the_audit_ignores_exactly_the_listed_advisories_and_fails_on_a_new_one():
    with fake_osv(_known_advisories()) as url:
        clean = _run_audit(url)
    assert clean.returncode == audit.AUDITED, clean.stdout + clean.stderr
    assert f"the {len(audit.load_known())} advisories of security/known-vulnerabilities.txt ignored" in clean.stdout
    assert "NEW" not in clean.stdout

    advisories = _known_advisories()
    jieba = importlib.metadata.version("jieba")
    advisories[("jieba", jieba)] = [_vuln("jieba", "GHSA-2345-6789-cfgh", "CVE-2099-0001")]
    with fake_osv(advisories) as url:
        new = _run_audit(url)
    assert new.returncode == audit.NEW_ADVISORIES, new.stdout + new.stderr
    [line] = [line for line in new.stdout.splitlines() if line.lstrip().startswith("NEW")]
    assert f"in jieba=={jieba}" in line and "GHSA-2345-6789-cfgh" in line and "CVE-2099-0001" in line


@pytest.mark.slow
@needs_audit_venv
def test_a_source_that_does_not_know_the_canary_is_no_pass():
    with fake_osv({}) as url:
        refused = _run_audit(url)
        skipped = _run_audit(url, SECURITY_AUDIT_OFFLINE="skip")
    assert refused.returncode == audit.UNREACHABLE, refused.stdout + refused.stderr
    assert "DEPENDENCY AUDIT NOT RUN" in refused.stdout
    assert skipped.returncode == audit.SKIPPED and "NOT audited" in skipped.stdout
