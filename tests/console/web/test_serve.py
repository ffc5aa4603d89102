"""``govbot console serve`` as a real process: it migrates its database at start, listens on
CONSOLE_HOST:CONSOLE_PORT, and a citizen message this test process writes into the database
reaches a signed-in page's event stream within a second; SIGTERM ends it with a stream open."""
from __future__ import annotations

import os
import re
import sys
import time

import aiohttp
import pytest

from console.db import create_engine
from console.hours import StaffHours
from console.messages import Direction, Transcripts
from console.sessions import Sessions
from console.settings import ConsoleSettings
from console.staff import StaffAccounts
from govbot.processes import free_port, start, stop, wait_until_up_async
from tests.console.conftest import CHEAP_HASHER, PASSWORD
from tests.console.web.conftest import OPENID
from tests.console.web.sse import next_change

pytestmark = pytest.mark.slow
COMMAND = [sys.executable, "-c", "from govbot.cli import main; main()", "console", "serve"]


async def _seed(url: str):
    """A supervisor and a waiting conversation, written before the server starts (it migrates: a no-op)."""
    engine = create_engine(url)
    from console.db import migrate

    await migrate(engine)
    await StaffAccounts(engine, hasher=CHEAP_HASHER).add_staff("zhao", "赵主管", "supervisor", PASSWORD)
    session = await Sessions(engine, StaffHours(ConsoleSettings().staff_hours)).open("wechat", OPENID, "user_request")
    return engine, session


async def _sign_in(client: aiohttp.ClientSession, base: str) -> None:
    form = await (await client.get(f"{base}/signin")).text()
    token = re.search(r'name="_csrf" value="([^"]+)"', form).group(1)
    response = await client.post(f"{base}/signin", data={"login": "zhao", "password": PASSWORD, "_csrf": token},
                                 headers={"Origin": base}, allow_redirects=False)
    assert response.status == 303


async def test_the_console_serves_and_streams_rows_another_process_writes(sqlite_url, tmp_path):
    engine, session = await _seed(sqlite_url)
    port = free_port()
    env = {**os.environ, "CONSOLE_DATABASE_URL": sqlite_url, "CONSOLE_PORT": str(port),
           "WECHAT_APP_ID": "wx_serve_test", "RASA_AUTH_TOKEN": "serve-test-token",
           "PYTHONPATH": os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))}
    base = f"http://127.0.0.1:{port}"
    process = start(COMMAND, env, log=tmp_path / "console.log")
    try:
        await wait_until_up_async([f"{base}/signin"], [process], 60, f" (log: {tmp_path / 'console.log'})")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            await _sign_in(client, base)
            assert OPENID in await (await client.get(f"{base}/everyone")).text()  # waiting, or a ticket after hours
            stream = await client.get(f"{base}/events")
            started = time.monotonic()
            await Transcripts(engine).add(session.id, Direction.CITIZEN, text="有人吗")
            assert await next_change(stream, seconds=1.0) == {"sessions": [session.id], "kinds": ["message"]}
            assert time.monotonic() - started < 1.0
            stop([process], grace=10)
            assert process.returncode == 0
    finally:
        stop([process])
        await engine.dispose()
