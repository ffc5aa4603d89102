"""``govbot console add-staff``: wired into the command line, password from the environment or
typed twice, never printed; refusals exit 2 with the reason."""
from __future__ import annotations

import asyncio

import pytest

from console.cli import PASSWORD_VARIABLE, add_staff
from console.db import create_engine
from console.staff import Role, StaffAccounts
from govbot.cli import _parser

SECRET = "s3cret-Passw0rd-for-tests"


def verify(url: str, login: str, password: str):
    async def run():
        engine = create_engine(url)
        try:
            return await StaffAccounts(engine).verify(login, password)
        finally:
            await engine.dispose()
    return asyncio.run(run())


def test_the_command_line_makes_a_supervisor(sqlite_url, monkeypatch, capsys):
    monkeypatch.setenv("CONSOLE_DATABASE_URL", sqlite_url)
    monkeypatch.setenv(PASSWORD_VARIABLE, SECRET)
    args = _parser().parse_args(["console", "add-staff", "--login", "zhao", "--name", "赵主管", "--role", "supervisor"])
    assert args.run(args) == 0
    out, err = capsys.readouterr()
    assert "zhao" in out and SECRET not in out + err
    staff = verify(sqlite_url, "zhao", SECRET)
    assert staff is not None and staff.role is Role.SUPERVISOR and staff.display_name == "赵主管"


def test_a_typed_password_is_asked_twice(sqlite_url, capsys):
    env = {"CONSOLE_DATABASE_URL": sqlite_url}
    typed = iter([SECRET, SECRET + "?"])
    assert add_staff("wang", "王小明", "agent", env, ask=lambda _prompt: next(typed)) == 2
    assert "differ" in capsys.readouterr().err
    typed = iter([SECRET, SECRET])
    assert add_staff("wang", "王小明", "agent", env, ask=lambda _prompt: next(typed)) == 0
    assert verify(sqlite_url, "wang", SECRET) is not None


def test_refusals_exit_2(sqlite_url, capsys):
    env = {"CONSOLE_DATABASE_URL": sqlite_url, PASSWORD_VARIABLE: SECRET}
    assert add_staff("wang", "王小明", "agent", env) == 0
    assert add_staff("wang", "王小明", "agent", env) == 2
    assert add_staff("li", "李娜", "agent", {**env, PASSWORD_VARIABLE: "short"}) == 2
    assert add_staff("li", "李娜", "agent", {**env, "CONSOLE_STAFF_HOURS": "late"}) == 2
    err = capsys.readouterr().err
    assert "taken" in err and "CONSOLE_STAFF_HOURS" in err and SECRET not in err


def test_the_command_line_serves_the_console(monkeypatch, capsys):
    from console.web import server

    args = _parser().parse_args(["console", "serve", "--port", "9001"])
    assert (args.host, args.port) == (None, 9001)
    started = {}
    monkeypatch.setattr(server.web, "run_app", lambda app, **options: started.update(options))
    channel = {"WECHAT_APP_ID": "wx_demo", "RASA_AUTH_TOKEN": "t"}
    assert server.serve({**channel, "CONSOLE_PORT": "8095"}) == 0
    assert (started["host"], started["port"]) == ("127.0.0.1", 8095)
    assert server.serve({**channel, "CONSOLE_PORT": "8095"}, port=9001) == 0 and started["port"] == 9001
    assert server.serve({**channel, "CONSOLE_IDLE_MINUTES": "soon"}) == 2
    assert "CONSOLE_IDLE_MINUTES" in capsys.readouterr().err


def test_without_a_channel_for_staff_replies_the_console_does_not_start(monkeypatch, capsys):
    from console.web import server

    monkeypatch.setattr(server.web, "run_app", lambda app, **options: pytest.fail("started"))
    assert server.serve({"WECHAT_APP_ID": "wx_demo"}) == 2
    assert server.serve({"RASA_AUTH_TOKEN": "t"}) == 2
    err = capsys.readouterr().err
    assert "RASA_AUTH_TOKEN" in err and "WECHAT_APP_ID" in err
