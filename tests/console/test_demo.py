"""The demo supervisor of ``govbot up`` on embedded defaults: made once, a fresh password at each
start (the previous one stops working), a supervisor."""
from __future__ import annotations

from console.demo import demo_supervisor
from console.settings import ConsoleSettings
from console.staff import Role, StaffAccounts


async def test_the_demo_supervisor_gets_a_fresh_password_at_each_start(database_url, engine):
    settings = ConsoleSettings(database_url=database_url)
    login, first = await demo_supervisor(settings)
    again, second = await demo_supervisor(settings)
    assert login == again == "demo" and first != second and len(second) >= 10
    accounts = StaffAccounts(engine)
    assert await accounts.verify(login, first) is None
    staff = await accounts.verify(login, second)
    assert staff is not None and staff.role is Role.SUPERVISOR
