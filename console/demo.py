"""The local demo's supervisor: ``govbot up`` on embedded defaults makes (or, on a restart, gives a
new random password to) the account ``demo`` and prints how to sign in. A real deployment never
gets it: its staff are made with ``govbot console add-staff``."""
from __future__ import annotations

import secrets
from typing import Tuple

from console.db import create_engine, migrate
from console.settings import ConsoleSettings
from console.staff import StaffAccounts

DEMO_LOGIN, DEMO_NAME = "demo", "演示主管"


async def demo_supervisor(settings: ConsoleSettings) -> Tuple[str, str]:
    """(login, password) of the demo supervisor, with a fresh password."""
    password = secrets.token_urlsafe(12)
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        accounts = StaffAccounts(engine)
        if await accounts.set_password(DEMO_LOGIN, password) is None:
            await accounts.add_staff(DEMO_LOGIN, DEMO_NAME, "supervisor", password)
    finally:
        await engine.dispose()
    return DEMO_LOGIN, password
