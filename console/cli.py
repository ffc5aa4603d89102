"""``govbot console add-staff``: the first supervisor of a deployment, and any account after it.

The password is read from ``CONSOLE_STAFF_PASSWORD`` when set (scripts), else typed twice
without echo; it is never printed or logged.
"""
from __future__ import annotations

import asyncio
import getpass
import os
import sys
from typing import Callable, Mapping

from console.db import create_engine, migrate
from console.settings import ConsoleSettings
from console.staff import Staff, StaffAccounts, StaffError
from govbot.envsettings import SettingError

PASSWORD_VARIABLE = "CONSOLE_STAFF_PASSWORD"  # nosec B105 - the variable's name, not a password


def add_staff(login: str, name: str, role: str, env: Mapping[str, str] = os.environ,
              ask: Callable[[str], str] = getpass.getpass) -> int:
    """Exit status 0 when the account was made, 2 (with the reason on stderr) when not."""
    try:
        settings = ConsoleSettings.from_env(env)
        password = env.get(PASSWORD_VARIABLE) or _typed_password(ask)
        staff = asyncio.run(_add(settings, login, name, role, password))
    except (SettingError, StaffError) as refusal:
        print(f"govbot console add-staff: {refusal}", file=sys.stderr)
        return 2
    print(f"Added {staff.role.value} {staff.login} ({staff.display_name}), staff id {staff.id}.")
    return 0


def _typed_password(ask: Callable[[str], str]) -> str:
    password = ask("Password: ")
    if ask("Password again: ") != password:
        raise StaffError("the two passwords differ")
    return password


async def _add(settings: ConsoleSettings, login: str, name: str, role: str, password: str) -> Staff:
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        return await StaffAccounts(engine).add_staff(login, name, role, password)
    finally:
        await engine.dispose()
