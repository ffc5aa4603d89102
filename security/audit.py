"""Dependency audit of the project's installed set (`.venv`) against published advisories.

Run with the Python of `.venv-audit/` (pip-audit lives there, so that its own dependencies never
enter the project's resolve); this module itself uses the standard library only, so the tests
can import it from `.venv`.

pip-audit reports a package that its advisory source cannot describe as "skipped" and still
prints "No known vulnerabilities found": an unreachable source would look like a pass. So a
canary with a published advisory is audited first, and the real audit runs only against a
source that reported it; with none reachable the audit fails, or, with SECURITY_AUDIT_OFFLINE=skip,
says loudly that the locked set was NOT audited.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
KNOWN_FILE = ROOT / "security" / "known-vulnerabilities.txt"
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"
# requests 2.20.0 leaks Proxy-Authorization on redirects (CVE-2023-32681): an advisory that both
# of pip-audit's free sources publish and will keep publishing.
CANARY = "requests==2.20.0"
CANARY_ID = "PYSEC-2023-74"
# PyPI's JSON API (the `vulnerabilities` field of each release) first, then osv.dev; a mirror of
# the OSV API can stand in for osv.dev (SECURITY_AUDIT_OSV_URL).
DEFAULT_SOURCES = "pypi,osv"
SOURCES_VARIABLE = "SECURITY_AUDIT_SOURCES"
OSV_URL_VARIABLE = "SECURITY_AUDIT_OSV_URL"
OFFLINE_VARIABLE = "SECURITY_AUDIT_OFFLINE"
AUDITED, NEW_ADVISORIES, UNREACHABLE, SKIPPED = 0, 1, 2, 3  # exit codes; security/run reads them
TIMEOUT_SECONDS = 15
ADVISORY_ID = re.compile(r"^(PYSEC-\d{4}-\d+|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|CVE-\d{4}-\d{4,})$")
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!_-]+$")


@dataclass(frozen=True)
class KnownVulnerability:
    """One advisory the project knowingly carries: on a pin it cannot move, with a mitigation."""

    advisory: str
    pin: str
    reason: str
    mitigation: str

    @property
    def package(self) -> str:
        return self.pin.split("==", 1)[0]

    @property
    def version(self) -> str:
        return self.pin.split("==", 1)[1]


def load_known(path: Path = KNOWN_FILE) -> List[KnownVulnerability]:
    """Parses `id | package==version | why it cannot move | what mitigates it` lines; a malformed
    line raises ValueError, so that a typo cannot silently widen the ignore list."""
    known = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [field.strip() for field in line.split("|")]
        if len(fields) != 4 or not all(fields):
            raise ValueError(f"{path.name}:{number}: expected 4 non-empty fields separated by '|'")
        advisory, pin, reason, mitigation = fields
        if not ADVISORY_ID.match(advisory):
            raise ValueError(f"{path.name}:{number}: {advisory!r} is not a PYSEC, GHSA or CVE id")
        if not PIN.match(pin):
            raise ValueError(f"{path.name}:{number}: {pin!r} is not package==version")
        known.append(KnownVulnerability(advisory, pin, reason, mitigation))
    return known


def _pip_audit(source: str, requirements: Path, ignored: Sequence[str] = ()) -> Tuple[int, str, str]:
    command = [sys.executable, "-m", "pip_audit", "--vulnerability-service", source,
               "--requirement", str(requirements), "--no-deps", "--disable-pip", "--strict",
               "--format", "json", "--aliases", "on", "--desc", "off", "--progress-spinner", "off",
               "--timeout", str(TIMEOUT_SECONDS)]
    if source == "osv" and os.environ.get(OSV_URL_VARIABLE):
        command += ["--osv-url", os.environ[OSV_URL_VARIABLE]]
    for advisory in ignored:
        command += ["--ignore-vuln", advisory]
    result = subprocess.run(command, capture_output=True, text=True)
    return result.returncode, result.stdout, result.stderr


def _reported_ids(report: Dict) -> Dict[str, List[Dict]]:
    return {dependency["name"].lower(): dependency.get("vulns", []) for dependency in report.get("dependencies", [])}


def _last_line(text: str, default: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].replace("ERROR:pip_audit._cli:", "").strip() if lines else default


def probe(source: str, workdir: Path) -> Optional[str]:
    """None when `source` reports the canary's advisory, else why it cannot be used."""
    canary = workdir / "canary.txt"
    canary.write_text(CANARY + "\n")
    code, out, err = _pip_audit(source, canary)
    name, version = CANARY.split("==")
    try:
        vulns = _reported_ids(json.loads(out)).get(name, [])
    except json.JSONDecodeError:
        vulns = []
    if any(CANARY_ID == v["id"] or CANARY_ID in v.get("aliases", []) for v in vulns):
        return None
    why = _last_line(err, f"pip-audit exited {code} with no advisory for it")
    if "not found on PyPI" in why:  # the canary is on PyPI: its release's JSON did not answer
        why += f" (it is on PyPI: the release JSON /pypi/{name}/{version}/json is not served to this network)"
    return f"no {CANARY_ID} for the canary {CANARY}: {why}"


def frozen_set(python: Path, workdir: Path) -> Path:
    """`pip freeze --all` of the project's venv (pip, setuptools and wheel included), editable
    installs (the project itself) left out."""
    frozen = subprocess.run([str(python), "-m", "pip", "freeze", "--all", "--exclude-editable"],
                            capture_output=True, text=True, check=True).stdout
    path = workdir / "installed.txt"
    path.write_text(frozen)
    return path


def audit(source: str, requirements: Path, known: Sequence[KnownVulnerability]) -> int:
    code, out, err = _pip_audit(source, requirements, [k.advisory for k in known])
    try:
        report = json.loads(out)
    except json.JSONDecodeError:
        print(err.strip() or f"pip-audit exited {code} without a report", file=sys.stderr)
        return NEW_ADVISORIES
    findings = [(name, v) for name, vulns in _reported_ids(report).items() for v in vulns]
    versions = {d["name"].lower(): d.get("version", "?") for d in report["dependencies"]}
    print(f"audit ({source}): {len(report['dependencies'])} installed distributions; the {len(known)} advisories "
          "of security/known-vulnerabilities.txt ignored")
    for name, vuln in findings:
        aliases = ", ".join(vuln.get("aliases", []))
        fixed = ", ".join(vuln.get("fix_versions", [])) or "none"
        print(f"  NEW {vuln['id']} ({aliases}) in {name}=={versions[name]}; fixed in: {fixed}")
    if findings:
        print("Upgrade the pin, or, if it cannot move, add the advisory with its reason and "
              "mitigation to security/known-vulnerabilities.txt.")
    return NEW_ADVISORIES if findings or code else AUDITED


def main() -> int:
    known = load_known()
    with tempfile.TemporaryDirectory(prefix="govbot-audit-") as tmp:
        workdir = Path(tmp)
        failures = {}
        for source in os.environ.get(SOURCES_VARIABLE, DEFAULT_SOURCES).split(","):
            failures[source] = probe(source, workdir)
            if failures[source] is None:
                return audit(source, frozen_set(PROJECT_PYTHON, workdir), known)
    print("DEPENDENCY AUDIT NOT RUN: no advisory source answered from this network.")
    for source, why in failures.items():
        print(f"  pip-audit -s {source}: {why}")
    if os.environ.get(OFFLINE_VARIABLE) == "skip":
        print(f"  WARNING: {OFFLINE_VARIABLE}=skip, so this step passes, but the locked set was NOT audited.")
        return SKIPPED
    print(f"  Run where PyPI's JSON API or osv.dev answers, or set {OFFLINE_VARIABLE}=skip to "
          "continue without the audit.")
    return UNREACHABLE


if __name__ == "__main__":
    sys.exit(main())
