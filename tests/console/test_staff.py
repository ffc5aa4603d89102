"""Staff accounts: argon2id hashes, right and wrong passwords, unknown and disabled logins,
rehashing when the hash parameters change, and the audit rows of each."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from console import audit, tables
from console.staff import Role, StaffAccounts, StaffError
from tests.console.conftest import CHEAP_HASHER, PASSWORD


async def stored_hash(engine, login: str) -> str:
    async with engine.connect() as connection:
        return (await connection.execute(
            sa.select(tables.staff.c.password_hash).where(tables.staff.c.login == login))).scalar_one()


async def test_right_and_wrong_passwords(accounts, engine):
    added = await accounts.add_staff("wang", "王小明", "supervisor", PASSWORD)
    assert added.role is Role.SUPERVISOR and added.is_supervisor
    assert await accounts.verify("wang", PASSWORD) == added
    assert await accounts.verify("wang", PASSWORD + "!") is None
    assert await accounts.verify("wang", "") is None
    assert await accounts.verify("nobody", PASSWORD) is None
    assert await accounts.get(added.id) == added
    password_hash = await stored_hash(engine, "wang")
    assert password_hash.startswith("$argon2id$") and PASSWORD not in password_hash


async def test_a_disabled_account_cannot_sign_in(accounts, engine):
    added = await accounts.add_staff("wang", "王小明", "agent", PASSWORD)
    async with engine.begin() as connection:
        await connection.execute(tables.staff.update().where(tables.staff.c.id == added.id).values(active=False))
    assert await accounts.verify("wang", PASSWORD) is None


async def test_a_hash_with_old_parameters_is_replaced_at_sign_in(engine, clock):
    await StaffAccounts(engine, clock, CHEAP_HASHER).add_staff("wang", "王小明", "agent", PASSWORD)
    old = await stored_hash(engine, "wang")
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    assert stronger.check_needs_rehash(old)
    accounts = StaffAccounts(engine, clock, stronger)
    assert await accounts.verify("wang", PASSWORD + "x") is None
    assert await stored_hash(engine, "wang") == old  # a wrong password changes nothing
    assert await accounts.verify("wang", PASSWORD) is not None
    new = await stored_hash(engine, "wang")
    assert new != old and not stronger.check_needs_rehash(new)
    assert await accounts.verify("wang", PASSWORD) is not None
    assert await stored_hash(engine, "wang") == new  # once is enough


@pytest.mark.parametrize("login, name, role, password", [
    ("Wang Xiaoming", "王小明", "agent", PASSWORD),   # not a login
    ("wang", "  ", "agent", PASSWORD),
    ("wang", "王小明", "admin", PASSWORD),
    ("wang", "王小明", "agent", "short"),
])
async def test_bad_accounts_are_refused(accounts, engine, login, name, role, password):
    with pytest.raises(StaffError):
        await accounts.add_staff(login, name, role, password)
    assert await audit.entries(engine) == []


async def test_a_login_is_taken_once(accounts, engine):
    await accounts.add_staff("wang", "王小明", "agent", PASSWORD)
    with pytest.raises(StaffError, match="taken"):
        await accounts.add_staff("wang", "王晓明", "agent", PASSWORD)
    assert [e.action for e in await audit.entries(engine)] == ["add_staff"]


async def test_the_audit_log_of_accounts(accounts, engine, clock):
    boss = await accounts.add_staff("zhao", "赵主管", "supervisor", PASSWORD)
    agent = await accounts.add_staff("wang", "王小明", "agent", PASSWORD, by=boss)
    await accounts.verify("wang", PASSWORD)
    await accounts.verify("wang", "guess-guess")
    log = [(e.staff_id, e.action, e.target, e.details, e.at) for e in await audit.entries(engine)]
    assert log == [
        (None, "add_staff", f"staff:{boss.id}", {"login": "zhao", "role": "supervisor"}, clock.now),
        (boss.id, "add_staff", f"staff:{agent.id}", {"login": "wang", "role": "agent"}, clock.now),
        (agent.id, "sign_in", f"staff:{agent.id}", {}, clock.now),
        (None, "sign_in_failed", "login:wang", {}, clock.now),
    ]
