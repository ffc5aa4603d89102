"""Setup and process runner: Python discovery, busy ports, settings to Rasa endpoints."""
from __future__ import annotations

import socket
import subprocess

import pytest

from govbot.settings import ROOT, Settings
from govbot.up import _check_ports, _processes, rasa_endpoints


def test_find_python_names_what_to_install_when_there_is_no_310():
    result = subprocess.run([str(ROOT / "scripts" / "find-python")], env={"PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True)
    if result.returncode == 0:  # this machine has a system Python 3.10 on /usr/bin
        assert result.stdout.strip().endswith(("python3.10", "python3", "python"))
    else:
        assert result.returncode == 1 and "install Python 3.10" in result.stderr


def test_find_python_finds_a_310():
    result = subprocess.run([str(ROOT / "scripts" / "find-python")], capture_output=True, text=True)
    assert result.returncode == 0
    version = subprocess.run([result.stdout.strip(), "--version"], capture_output=True, text=True).stdout
    assert version.startswith("Python 3.10")


def test_a_busy_port_stops_up_with_a_clear_message():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        settings = Settings(rasa_port=busy)
        with pytest.raises(SystemExit, match=f"Port already in use: rasa port {busy}"):
            _check_ports(settings, _processes(settings))


def test_redis_stores_only_when_redis_url_is_set():
    assert set(rasa_endpoints(Settings())) == {"action_endpoint"}
    endpoints = rasa_endpoints(Settings(redis_url="redis://:pw@127.0.0.1:6380/2"))
    assert endpoints["tracker_store"]["type"] == endpoints["lock_store"]["type"] == "redis"
    assert endpoints["tracker_store"]["port"] == 6380 and endpoints["tracker_store"]["db"] == 2
    assert endpoints["lock_store"]["password"] == "pw"


def test_a_real_portal_url_skips_the_bundled_portal():
    assert "portal" not in _processes(Settings(portal_url="https://portal.example.gov.cn"))


def test_without_an_official_account_up_runs_the_fake_wechat_api_with_demo_credentials():
    from govbot.up import _environment

    demo = Settings(wechat_fake_port=8111)
    assert "wechat-api" in _processes(demo)
    env = _environment(demo)
    assert env["WECHAT_API_BASE_URL"] == "http://127.0.0.1:8111/" and env["WECHAT_APP_ID"]
    assert "wechat-api" not in _processes(Settings(wechat_configured=True))
