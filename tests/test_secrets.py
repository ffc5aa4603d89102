"""Private by default: the run's keys (``.run/secrets.env``), who gets which, and the real servers
refusing calls without them and listening on loopback only."""
from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest
import requests
import yaml
from rasa.utils.endpoints import read_endpoint_config

from govbot.keys import (
    KEY_NAMES,
    KEYS_OF_PROCESS,
    ensure_secrets,
    export_secrets,
    generate_secrets,
    load_secrets,
    with_keys_of,
)
from govbot.rasa_server import with_api_token
from govbot.settings import ROOT, Settings
from govbot.up import rasa_endpoints


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_up_generates_every_missing_key_into_a_file_only_its_owner_can_read(tmp_path):
    path = tmp_path / ".run" / "secrets.env"
    keys = ensure_secrets({}, path)
    assert set(keys) == set(KEY_NAMES) and len(set(keys.values())) == len(KEY_NAMES)
    assert all(len(value) >= 40 for value in keys.values())
    assert _mode(path) == 0o600
    assert sorted(path.read_text().splitlines()) == sorted(f"{name}={value}" for name, value in keys.items())


def test_the_keys_are_kept_across_restarts(tmp_path):
    path = tmp_path / "secrets.env"
    first = ensure_secrets({}, path)
    written = path.read_text()
    assert ensure_secrets({}, path) == first and path.read_text() == written


def test_keys_set_in_the_environment_win_and_are_never_written(tmp_path):
    path = tmp_path / "secrets.env"
    env = {"PORTAL_API_KEY": "deployment-bot-key", "RASA_AUTH_TOKEN": "deployment-token"}
    keys = ensure_secrets(env, path)
    assert keys["PORTAL_API_KEY"] == "deployment-bot-key" and keys["RASA_AUTH_TOKEN"] == "deployment-token"
    assert "deployment" not in path.read_text() and "PORTAL_API_KEY" not in path.read_text()
    assert ensure_secrets({}, path)["PORTAL_ADMIN_KEY"] == keys["PORTAL_ADMIN_KEY"]  # the generated ones stay


def test_a_keys_file_readable_by_others_is_narrowed(tmp_path):
    path = tmp_path / "secrets.env"
    ensure_secrets({}, path)
    path.chmod(0o644)
    ensure_secrets({}, path)
    assert _mode(path) == 0o600


def test_operator_tools_read_the_environment_first_then_the_file(tmp_path):
    path = tmp_path / "secrets.env"
    assert load_secrets({}, path) == {}
    stored = ensure_secrets({}, path)
    assert load_secrets({}, path) == stored
    assert load_secrets({"RASA_AUTH_TOKEN": "mine"}, path)["RASA_AUTH_TOKEN"] == "mine"


def test_operator_commands_get_the_run_s_keys_without_overriding_their_own(tmp_path):
    path = tmp_path / "secrets.env"
    stored = ensure_secrets({}, path)
    env = {"PORTAL_WEBHOOK_SECRET": "operator's own"}
    export_secrets(env, path)
    assert env == {**stored, "PORTAL_WEBHOOK_SECRET": "operator's own"}


def test_each_process_gets_only_the_keys_it_needs():
    keys = generate_secrets()
    env = with_keys_of("actions", {"PATH": "/bin", "PORTAL_ADMIN_KEY": "inherited"}, keys)
    assert env == {"PATH": "/bin", "ACTION_SERVER_SECRET": keys["ACTION_SERVER_SECRET"],
                   "PORTAL_API_KEY": keys["PORTAL_API_KEY"]}
    assert set(with_keys_of("portal", {}, keys)) == {"PORTAL_API_KEY", "PORTAL_ADMIN_KEY", "PORTAL_WEBHOOK_SECRET"}
    assert set(with_keys_of("rasa", {}, keys)) == {"RASA_AUTH_TOKEN", "ACTION_SERVER_SECRET", "PORTAL_WEBHOOK_SECRET"}
    assert with_keys_of("wechat-api", {}, keys) == {}
    assert set(with_keys_of("console", {}, keys)) == {"RASA_AUTH_TOKEN"}  # resumes conversations, sends via the channel
    assert set(KEYS_OF_PROCESS) == {"portal", "actions", "rasa", "wechat-api", "console"}


def test_rasa_presents_the_action_secret_read_from_its_environment(tmp_path, monkeypatch):
    """Rasa's own endpoint reader expands the reference: the secret is in no file."""
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump(rasa_endpoints(Settings(action_port=5999))))
    assert "ACTION_SERVER_SECRET}" in endpoints.read_text()
    monkeypatch.setenv("ACTION_SERVER_SECRET", "s3cret-value")
    config = read_endpoint_config(str(endpoints), "action_endpoint")
    assert config.url == "http://127.0.0.1:5999/webhook" and config.headers == {"X-Action-Secret": "s3cret-value"}


def test_govbot_rasa_takes_the_api_token_from_the_environment_and_refuses_an_open_api():
    run = ["run", "--enable-api", "--port", "5005"]
    assert with_api_token(run, {"RASA_AUTH_TOKEN": "t0k"}) == [*run, "--auth-token", "t0k"]
    with pytest.raises(SystemExit, match="RASA_AUTH_TOKEN"):
        with_api_token(run, {})
    assert with_api_token([*run, "--jwt-secret", "k"], {}) == [*run, "--jwt-secret", "k"]
    assert with_api_token(["run", "--port", "5005"], {}) == ["run", "--port", "5005"]  # no API: nothing to close
    assert with_api_token(["train"], {}) == ["train"]


# --- the real servers (slow) -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/status", "/conversations/o_someone_else/tracker", "/domain"])
def test_the_rasa_api_needs_the_token(live_stack, path):
    assert requests.get(f"{live_stack.rasa_url}{path}", timeout=10).status_code == 401
    assert requests.get(f"{live_stack.rasa_url}{path}?token=wrong", timeout=10).status_code == 401
    assert requests.get(live_stack.rasa_api(path), timeout=10,
                        headers={"Accept": "application/json"}).status_code == 200


@pytest.mark.slow
def test_the_rest_channel_stays_open_for_citizens(live_stack):
    response = requests.post(f"{live_stack.rasa_url}/webhooks/rest/webhook", json={"sender": "o_t", "message": "你好"},
                             timeout=30)
    assert response.status_code == 200 and response.json()


ACTION_CALL = {"next_action": "action_list_bookings", "sender_id": "o_victim", "version": "3.6.2",
               "tracker": {"sender_id": "o_victim", "slots": {}, "latest_message": {}, "events": [],
                           "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None},
               "domain": {}}


@pytest.mark.slow
def test_the_action_server_runs_nothing_without_the_secret(live_stack):
    url = f"{live_stack.action_url}/webhook"
    for headers in ({}, {"X-Action-Secret": "wrong"}, {"X-Action-Secret": live_stack.secrets["RASA_AUTH_TOKEN"]}):
        assert requests.post(url, json=ACTION_CALL, headers=headers, timeout=10).status_code == 401
    assert requests.get(f"{live_stack.action_url}/actions", timeout=10).status_code == 401
    assert requests.get(f"{live_stack.action_url}/health", timeout=10).status_code == 200  # probes stay open


@pytest.mark.slow
def test_the_action_server_answers_the_rasa_server_s_secret(live_stack):
    secret = {"X-Action-Secret": live_stack.secrets["ACTION_SERVER_SECRET"]}
    names = [a["name"] for a in requests.get(f"{live_stack.action_url}/actions", headers=secret, timeout=10).json()]
    assert "action_list_bookings" in names
    response = requests.post(f"{live_stack.action_url}/webhook", json=ACTION_CALL, headers=secret, timeout=30)
    assert response.status_code == 200 and "events" in response.json()


def _listening_sockets(pid: int) -> List[Tuple[str, int]]:
    """(address, port) of every TCP socket the process listens on, from /proc (IPv4 and IPv6)."""
    inodes: Set[str] = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, size in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address, port = fields[1].split(":")
                found.append((_address(bytes.fromhex(address), size), int(port, 16)))
    return found


def _address(raw: bytes, size: int) -> str:
    """/proc/net/tcp* print addresses as host-order 32-bit words."""
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, size, 4))
    return socket.inet_ntop(socket.AF_INET if size == 4 else socket.AF_INET6, words)


def _non_loopback_address() -> str:
    """This machine's address on its default route (no packet is sent), or '' without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 9))
            address = probe.getsockname()[0]
        except OSError:
            return ""
    return "" if address.startswith("127.") else address


@pytest.mark.slow
def test_every_process_of_the_stack_listens_on_loopback_only(live_stack):
    listening: Dict[str, List[Tuple[str, int]]] = {name: _listening_sockets(pid)
                                                  for name, pid in live_stack.pids.items()}
    assert all(listening.values()), listening
    assert {address for sockets in listening.values() for address, _ in sockets} == {"127.0.0.1"}, listening
    other = _non_loopback_address()
    for _name, sockets in listening.items():
        for _, port in sockets if other else ():
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((other, port), timeout=2).close()


@pytest.mark.slow
def test_no_key_is_on_any_command_line_where_ps_shows_it(live_stack):
    for name, pid in live_stack.pids.items():
        command_line = Path(f"/proc/{pid}/cmdline").read_text()
        assert not [key for key, value in live_stack.secrets.items() if value in command_line], name


def test_the_action_server_refuses_to_leave_loopback_without_its_secret():
    env = {k: v for k, v in os.environ.items() if k != "ACTION_SERVER_SECRET"}
    result = subprocess.run([sys.executable, "-m", "govbot.action_server", "--host", "0.0.0.0", "--port", "1",
                             "--actions", "actions"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "set ACTION_SERVER_SECRET" in result.stderr
