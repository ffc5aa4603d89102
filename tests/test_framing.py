"""No request can wedge a server: malformed body framing, sent as raw bytes to every server the
project runs, is refused, and each server still answers a normal request within 1 s.

Sanic 21.12.2 (Rasa server, action server) spins forever on ``Content-Length: -1``; the guard
(``govbot.http_guard``) answers 400 and closes. aiohttp 3.9.5 (portal, fake WeChat API) refuses
these framings in its own parser.
"""
from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from importlib.metadata import version
from typing import Dict, NamedTuple, Optional, Tuple
from urllib.parse import urlparse

import pytest
import requests

from govbot.http_guard import SANIC_VERSION, framing_problem, head_fields
from govbot.processes import free_port
from govbot.settings import ROOT
from govbot.stack import Stack

BODY = b"abc"
CHUNKED = b"3\r\nabc\r\n0\r\n\r\n"
MALFORMED: Dict[str, Tuple[bytes, bytes]] = {  # name: (framing header lines, body)
    "negative length": (b"Content-Length: -1\r\n", BODY),
    "non-numeric length": (b"Content-Length: abc\r\n", BODY),
    "signed length": (b"Content-Length: +3\r\n", BODY),
    "absurd length": (b"Content-Length: 99999999999999999999999\r\n", BODY),
    "two lengths": (b"Content-Length: 3\r\nContent-Length: 5\r\n", BODY + b"de"),
    "list of lengths": (b"Content-Length: 3, 5\r\n", BODY + b"de"),
    "length and chunked": (b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", CHUNKED),
    "unknown coding": (b"Transfer-Encoding: gzip\r\n", BODY),
    "space before colon": (b"Content-Length : 3\r\n", BODY),
    "negative chunk size": (b"Transfer-Encoding: chunked\r\n", b"-1\r\nabc\r\n0\r\n\r\n"),
    "junk chunk size": (b"Transfer-Encoding: chunked\r\n", b"zz\r\nabc\r\n0\r\n\r\n"),
}


class Server(NamedTuple):
    url: str
    post_path: str  # a route that reads a body, reached with the keys so the body is read
    headers: bytes
    health: str  # a normal request
    sanic: bool  # guarded Sanic (400 and close, always) or aiohttp (its own parser)


def _servers(stack: Stack) -> Dict[str, Server]:
    keys = stack.secrets
    return {
        "rasa": Server(stack.rasa_url, f"/model/parse?token={keys['RASA_AUTH_TOKEN']}", b"", "/", True),
        "actions": Server(stack.action_url, "/webhook", f"X-Action-Secret: {keys['ACTION_SERVER_SECRET']}\r\n".encode(),
                          "/health", True),
        "portal": Server(stack.portal_url, "/api/v1/evaluations",
                         f"Authorization: Bearer {keys['PORTAL_API_KEY']}\r\n".encode(), "/healthz", False),
        "wechat-api": Server(stack.wechat_api_url.rstrip("/"), "/cgi-bin/stable_token", b"",
                             "/_fake/health", False),
    }


class Answer(NamedTuple):
    status: Optional[int]  # None: nothing within the wait (the server is waiting for more body)
    closed: bool


def send_raw(url: str, raw: bytes, wait: float = 2.0) -> Tuple[socket.socket, Answer]:
    """Sends ``raw`` on a new connection; returns it still open, with what came back within ``wait``."""
    parsed = urlparse(url)
    conn = socket.create_connection((parsed.hostname, parsed.port), timeout=wait)
    conn.sendall(raw)
    received, closed, deadline = b"", False, time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            chunk = conn.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            closed = True
            break
        received += chunk
    status = re.match(rb"HTTP/1\.[01] (\d{3}) ", received)
    return conn, Answer(int(status.group(1)) if status else None, closed)


def answers_within(url: str, seconds: float) -> bool:
    try:
        return requests.get(url, timeout=seconds).status_code == 200
    except requests.RequestException:
        return False


# --- the guard itself (fast) -----------------------------------------------------------------------------


def test_the_guard_is_written_for_the_sanic_that_is_pinned_and_installed():
    """Fails when the pin moves: the guard must then be re-checked against the new Sanic's parser."""
    pinned = re.search(r"^sanic==(\S+)$", (ROOT / "constraints.txt").read_text(), re.MULTILINE | re.IGNORECASE)
    assert pinned and pinned.group(1) == SANIC_VERSION == version("sanic")


@pytest.mark.parametrize("name", MALFORMED)
def test_every_malformed_head_framing_is_named(name):
    framing, _body = MALFORMED[name]
    head = b"POST /x HTTP/1.1\r\nHost: h\r\n" + framing.rstrip(b"\r\n")
    if name.endswith("chunk size"):  # the head is fine; Sanic itself refuses the chunk (tested below)
        assert framing_problem(head_fields(head)) is None
    else:
        assert framing_problem(head_fields(head))


@pytest.mark.parametrize("framing", [b"", b"Content-Length: 0", b"Content-Length: 12", b"content-length:  7 ",
                                     b"Transfer-Encoding: chunked", b"X-Other: a, b"])
def test_ordinary_framing_passes(framing):
    assert framing_problem(head_fields(b"POST /x HTTP/1.1\r\nHost: h\r\n" + framing)) is None


SANIC_APP = """
import sys
from sanic import Sanic, response
if sys.argv[2] == "guarded":
    from govbot.http_guard import guard_sanic
    guard_sanic()
app = Sanic("probe")
app.post("/echo")(lambda request: response.json({"bytes": len(request.body)}))
app.get("/health")(lambda request: response.json({"ok": True}))
app.run("127.0.0.1", int(sys.argv[1]), access_log=False, motd=False)
"""


@pytest.mark.parametrize("mode", ["bare", "guarded"])
def test_negative_length_wedges_bare_sanic_and_is_refused_by_the_guard(mode):
    """The finding itself: a bare Sanic 21.12.2 stops answering (and is killed here); guarded, it
    answers 400, closes, and keeps serving."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SANIC_APP, str(port), mode], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not answers_within(f"{base}/health", 1) and time.monotonic() < deadline:
            assert server.poll() is None, "the probe server exited"
            time.sleep(0.2)
        conn, answer = send_raw(base + "/echo", b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\nabc",
                                wait=1.0)
        with conn:
            if mode == "bare":
                assert answer.status is None and not answers_within(f"{base}/health", 1)
            else:
                assert answer == Answer(400, True) and answers_within(f"{base}/health", 1)
                assert requests.post(f"{base}/echo", data=b"12345", timeout=2).json() == {"bytes": 5}
    finally:
        server.kill()  # the bare one ignores SIGTERM while it spins
        server.wait(10)


# --- every server the project runs (slow: the real stack) ----------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("server_name", ["rasa", "actions", "portal", "wechat-api"])
@pytest.mark.parametrize("framing", MALFORMED)
def test_malformed_framing_is_refused_and_the_server_keeps_answering(live_stack, server_name, framing):
    server = _servers(live_stack)[server_name]
    headers, body = MALFORMED[framing]
    raw = (f"POST {server.post_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n".encode()
           + server.headers + headers + b"\r\n" + body)
    conn, answer = send_raw(server.url, raw)
    with conn:  # the normal request goes while the malformed connection is still open
        assert answers_within(server.url + server.health, 1.0), f"{server_name} stopped answering after {framing}"
    if server.sanic:
        assert answer == Answer(400, True), answer
    else:  # aiohttp: refused by its parser, or still waiting for a body it will never get; never a 5xx
        assert answer.status is None or 400 <= answer.status < 500, answer
