"""Setup and process runner: Python discovery, busy ports, settings to Rasa endpoints."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

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
    env = _environment(demo, {})
    assert env["WECHAT_API_BASE_URL"] == "http://127.0.0.1:8111/" and env["WECHAT_APP_ID"]
    assert "wechat-api" not in _processes(Settings(wechat_configured=True))


def test_the_environment_of_up_names_every_server_s_address_and_port():
    from govbot.up import _environment

    env = _environment(Settings(rasa_host="0.0.0.0", portal_port=8181), {})
    assert env["RASA_HOST"] == "0.0.0.0" and env["ACTION_HOST"] == env["PORTAL_HOST"] == "127.0.0.1"
    assert env["PORTAL_URL"] == "http://127.0.0.1:8181"
    assert env["PORTAL_WEBHOOK_URL"] == "http://127.0.0.1:5005/webhooks/wechat/portal"  # 0.0.0.0 is reached on loopback


def test_third_party_notices_are_off_unless_the_operator_turns_them_on():
    from govbot.up import _environment

    env = _environment(Settings(), {})
    assert env["SQLALCHEMY_SILENCE_UBER_WARNING"] == "1" and env["TF_CPP_MIN_LOG_LEVEL"] == "2"
    assert _environment(Settings(), {"TF_CPP_MIN_LOG_LEVEL": "0"})["TF_CPP_MIN_LOG_LEVEL"] == "0"


def test_every_server_of_the_procfile_listens_where_its_setting_says():
    processes = _processes(Settings())
    assert "--host $PORTAL_HOST" in processes["portal"] and "--host $WECHAT_FAKE_HOST" in processes["wechat-api"]
    assert processes["actions"].startswith("govbot-actions ") and "--host $ACTION_HOST" in processes["actions"]
    assert (processes["rasa"].startswith("govbot-rasa run --enable-api ")
            and "--interface $RASA_HOST" in processes["rasa"])
    assert all("TOKEN" not in command and "SECRET" not in command for command in processes.values())  # not for ps


def test_settings_default_every_server_to_loopback_and_read_the_hosts():
    assert {Settings.from_env({}).rasa_host, Settings.from_env({}).action_host} == {"127.0.0.1"}
    settings = Settings.from_env({"RASA_HOST": "0.0.0.0", "PORTAL_HOST": "10.0.0.5"})
    assert settings.rasa_host == "0.0.0.0" and settings.effective_portal_url == "http://10.0.0.5:8080"


# --- supervision: a process that exits is restarted with back-off, the others keep running --------------

def test_backoff_doubles_up_to_its_limit_and_resets_after_a_stable_run():
    from govbot.supervisor import Backoff

    backoff = Backoff(first=1, longest=30, stable_after=60)
    assert [backoff.after_exit(uptime=2) for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff.after_exit(uptime=61) == 1 and backoff.after_exit(uptime=1) == 2


CHILD = "import os, sys, time\nopen(f'{sys.argv[1]}.{os.getpid()}', 'w').close()\ntime.sleep(120)\n"
SUPERVISED = """
import os, sys
from honcho.printer import Printer
from govbot.supervisor import Backoff, Supervisor
supervisor = Supervisor(Printer(sys.stdout), backoff=lambda: Backoff(first=0.5, longest=1.0, stable_after=30))
for name in ("one", "two"):
    supervisor.add_process(name, f"exec {sys.executable} {sys.argv[1]} {sys.argv[2]}/{name}", env=dict(os.environ))
sys.exit(supervisor.loop())
"""


def _pids(directory, name):
    return sorted((int(p.suffix[1:]) for p in directory.glob(f"{name}.*")),
                  key=lambda pid: (directory / f"{name}.{pid}").stat().st_mtime_ns)


def _wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow  # starts processes
def test_supervisor_restarts_an_exited_process_with_back_off_and_sigterm_stops_all(tmp_path):
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    console = (tmp_path / "console.txt").open("w")
    supervisor = subprocess.Popen([sys.executable, "-c", SUPERVISED, str(child), str(tmp_path)], cwd=ROOT,
                                  stdout=console, stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: _pids(tmp_path, "one") and _pids(tmp_path, "two"), 30)
        two = _pids(tmp_path, "two")
        gaps = []
        for restarts in (2, 3):
            killed_at = time.monotonic()
            os.kill(_pids(tmp_path, "one")[-1], signal.SIGKILL)
            _wait_for(lambda restarts=restarts: len(_pids(tmp_path, "one")) == restarts, 15)
            gaps.append(time.monotonic() - killed_at)
        assert 0.5 <= gaps[0] < 5 and 1.0 <= gaps[1] < 6  # 0.5 s, then doubled
        assert _pids(tmp_path, "two") == two and _alive(two[0])  # untouched
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=15) == 143
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
        console.close()
    assert not any(_alive(pid) for name in ("one", "two") for pid in _pids(tmp_path, name))
    output = (tmp_path / "console.txt").read_text()
    assert "one was killed by SIGKILL; restarting in 0.5 s" in output and "restarting in 1 s" in output
    assert "two was killed" not in output and "two exited" not in output
    assert "SIGTERM received: stopping every process" in output and "two stopped" in output


@pytest.mark.slow  # starts processes
def test_ctrl_c_stops_every_process_even_when_the_console_pipe_is_gone(tmp_path):
    """``make run | tee log`` then Ctrl-C: tee dies first, and the supervisor still stops the servers."""
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    supervisor = subprocess.Popen([sys.executable, "-c", SUPERVISED, str(child), str(tmp_path)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: _pids(tmp_path, "one") and _pids(tmp_path, "two"), 30)
        supervisor.stdout.close()  # the reader (tee) is gone: the next write meets a broken pipe
        supervisor.send_signal(signal.SIGINT)
        assert supervisor.wait(timeout=15) == 130
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
    assert not any(_alive(pid) for name in ("one", "two") for pid in _pids(tmp_path, name))
