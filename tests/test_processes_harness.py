"""The one process harness (govbot/processes.py): ports, start-up, stopping, a run's Redis keys."""
from __future__ import annotations

import socket
import sys
import time
import uuid

import pytest
import redis.asyncio as aioredis

from govbot.processes import delete_prefix, free_port, port_is_free, start, stop, wait_until_up
from tests.connectors.conftest import REDIS_URL

pytestmark = pytest.mark.slow  # starts processes

SERVE = "import http.server, sys; http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), " \
        "http.server.SimpleHTTPRequestHandler).serve_forever()"
DEAF = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"


def test_a_port_in_use_is_not_free_and_a_free_port_is():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert not port_is_free(taken.getsockname()[1])
    assert port_is_free(free_port())


def test_waits_for_the_health_url_then_stops_the_server(tmp_path):
    port = free_port()
    server = start([sys.executable, "-c", SERVE, str(port)], {}, log=tmp_path / "server.log", cwd=tmp_path)
    try:
        wait_until_up([f"http://127.0.0.1:{port}/"], [server], 30)
    finally:
        stop([server])
    assert server.returncode is not None and port_is_free(port)


def test_a_server_that_exits_fails_the_wait_at_once_and_one_that_never_answers_times_out(tmp_path):
    gone = start([sys.executable, "-c", "raise SystemExit(3)"], {}, cwd=tmp_path)
    begun = time.monotonic()
    with pytest.raises(RuntimeError, match="exited during start-up; see x"):
        wait_until_up([f"http://127.0.0.1:{free_port()}/"], [gone], 30, "; see x")
    assert time.monotonic() - begun < 10
    silent = start([sys.executable, "-c", "import time; time.sleep(30)"], {}, cwd=tmp_path)
    try:
        with pytest.raises(TimeoutError, match="not up after 1 s"):
            wait_until_up([f"http://127.0.0.1:{free_port()}/health?token=secret"], [silent], 1)
    finally:
        stop([silent])


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace(tmp_path):
    log = tmp_path / "deaf.log"
    deaf = start([sys.executable, "-c", DEAF], {}, log=log, cwd=tmp_path)
    deadline = time.monotonic() + 20
    while "ready" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    stop([deaf], grace=0.5)
    assert deaf.returncode == -9


async def test_only_the_run_s_own_keys_are_deleted():
    prefix, other = f"harness-test:{uuid.uuid4().hex}:", f"harness-other:{uuid.uuid4().hex}:"
    client = aioredis.from_url(REDIS_URL)
    try:
        for key in (prefix + "a", prefix + "b", other + "a"):
            await client.set(key, "1", ex=60)
        await delete_prefix(REDIS_URL, prefix)
        assert [await client.exists(k) for k in (prefix + "a", prefix + "b", other + "a")] == [0, 0, 1]
    finally:
        await client.delete(other + "a")
        await client.close()
