"""Who may call what: the portal refuses to start open by accident, the bot's key acts for
citizens (and is the only one that may name an openid), staff operations need the admin key."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from govbot.processes import free_port
from portal.app import init_app
from portal.settings import InsecureSettings, PortalSettings
from tests.portal.conftest import BOT

BIN = Path(sys.executable).parent
REVIEWING = "SQ20261118000123"
ADMIN_OPERATIONS = [
    ("POST", f"/api/v1/applications/{REVIEWING}/events", {"status": "办结", "department": "市场监督管理局"}),
    ("GET", "/api/v1/evaluations/rectification", None),
    ("POST", "/api/v1/appointments/YY2026112600000001/attendance", {"attended": True}),
]


def test_the_portal_refuses_to_start_without_the_bots_key(sqlite_url):
    with pytest.raises(InsecureSettings, match="PORTAL_API_KEY"):
        init_app(PortalSettings(database_url=sqlite_url))
    with pytest.raises(InsecureSettings, match="differ"):
        init_app(PortalSettings(database_url=sqlite_url, api_key="same", admin_key="same"))


@pytest.mark.parametrize("method, path, body", ADMIN_OPERATIONS)
async def test_admin_operations_refuse_the_bots_key_and_no_key(portal, anonymous, admin, method, path, body):
    assert (await portal.request(method, path, json=body)).status == 403
    assert (await anonymous.request(method, path, json=body)).status == 401
    assert (await admin.request(method, path, json=body)).status not in (401, 403)


@pytest.mark.parametrize("method, path, body", ADMIN_OPERATIONS)
async def test_without_an_admin_key_admin_operations_are_refused_to_everyone(make_portal, as_caller, method, path,
                                                                             body):
    portal = await make_portal(admin_key=None)
    anonymous = await as_caller(portal, None)
    for client in (portal, anonymous):
        response = await client.request(method, path, json=body)
        assert response.status == 403 and (await response.json())["error"] == "admin_disabled"


async def test_status_change_by_anyone_but_staff_changes_nothing(portal, anonymous):
    """It used to be open, and every change sends a template message to the citizen."""
    change = {"status": "办结", "department": "市场监督管理局"}
    for client in (anonymous, portal):
        assert (await client.post(f"/api/v1/applications/{REVIEWING}/events", json=change)).status in (401, 403)
    status = await (await portal.post(f"/api/v1/applications/{REVIEWING}/query", json={"phone_last4": "5678"})).json()
    assert status["status"] == "审核中"


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/api/v1/appointments?openid=o_someone", None),
    ("GET", "/api/v1/appointments/contact?openid=o_someone", None),
    ("POST", "/api/v1/appointments/YY2026112600000001/cancel", {"openid": "o_someone"}),
    ("POST", f"/api/v1/applications/{REVIEWING}/query", {"openid": "o_someone"}),
    ("POST", "/api/v1/evaluations", {"level": "满意", "openid": "o_someone"}),
    ("POST", "/api/v1/complaints", {"text": "投诉内容很长", "openid": "o_someone"}),
])
async def test_an_openid_is_taken_only_from_the_bots_key(anonymous, admin, method, path, body):
    assert (await anonymous.request(method, path, json=body)).status == 401
    assert (await admin.request(method, path, json=body)).status == 403


async def test_the_open_demo_treats_a_caller_without_key_as_the_bot(make_portal, caplog):
    caplog.set_level(logging.WARNING, logger="portal.app")
    demo = await make_portal(api_key=None, admin_key=None, demo=True, headers={})
    assert "OPEN DEMO PORTAL" in caplog.text
    assert (await demo.get("/api/v1/appointments", params={"openid": "o_demo"})).status == 200
    assert (await demo.get("/api/v1/evaluations/rectification")).status == 403
    assert (await demo.get("/api/v1/appointments", params={"openid": "o_demo"}, headers=BOT)).status == 401


def _portal_env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    return env


def test_govbot_portal_without_a_key_says_why_and_exits(tmp_path):
    result = subprocess.run([str(BIN / "govbot"), "portal", "--port", str(free_port())], env=_portal_env(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "PORTAL_API_KEY" in result.stderr and "--demo" in result.stderr


@pytest.mark.slow
def test_govbot_portal_demo_starts_open_and_says_so_loudly(tmp_path):
    port = free_port()
    log = (tmp_path / "portal.log").open("w+")
    process = subprocess.Popen([str(BIN / "govbot"), "portal", "--demo", "--port", str(port)],
                               env=_portal_env(tmp_path), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None and time.monotonic() < deadline, Path(log.name).read_text()
            try:
                url = f"http://127.0.0.1:{port}/api/v1/appointments?openid=o_demo"
                with urllib.request.urlopen(url, timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.3)
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "OPEN DEMO PORTAL" in Path(log.name).read_text()


def test_keys_and_limits_come_from_the_environment():
    settings = PortalSettings.from_env({"PORTAL_API_KEY": "b", "PORTAL_ADMIN_KEY": "a",
                                        "PORTAL_MAX_BOOKINGS_PER_DAY": "5", "PORTAL_STATUS_FAILURES_PER_CALLER": "3"})
    assert (settings.api_key, settings.admin_key, settings.demo) == ("b", "a", False)
    assert settings.booking_limits.per_day == 5 and settings.booking_limits.active_per_item == 2
    assert settings.status_limits.per_caller.count == 3 and settings.status_limits.per_application.count == 10
    with pytest.raises(ValueError):
        PortalSettings.from_env({"PORTAL_MAX_NO_SHOWS": "-1"})
