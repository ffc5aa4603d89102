"""Staff accounts and their passwords.

Passwords are kept as argon2id hashes (argon2-cffi's ``PasswordHasher``, parameters inside each
hash); a hash made with older parameters is replaced at the next good sign-in. An unknown or
disabled login costs the same hashing time as a wrong password, so timing does not tell which
logins exist. Every account change and every sign-in, good or bad, is in the audit log.
"""
from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Callable, Mapping, Optional

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from console import audit, tables
from console.timestamps import stamp
from govbot.clock import china_now

LOGIN = re.compile(r"[a-z0-9][a-z0-9_.-]{1,31}")
MIN_PASSWORD_CHARS = 10


class Role(str, Enum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True)
class Staff:
    id: int
    login: str
    display_name: str
    role: Role
    active: bool = True
    kf_account: Optional[str] = None

    @property
    def is_supervisor(self) -> bool:
        return self.role is Role.SUPERVISOR

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Staff":
        return cls(row["id"], row["login"], row["display_name"], Role(row["role"]), bool(row["active"]),
                   row["kf_account"])


class StaffError(ValueError):
    """An account cannot be made as asked (the message says why)."""


class StaffAccounts:
    def __init__(self, engine: AsyncEngine, now: Callable[[], datetime] = china_now,
                 hasher: Optional[PasswordHasher] = None):
        self._engine = engine
        self._now = now
        self._hasher = hasher or PasswordHasher()
        self._decoy: Optional[str] = None  # a hash to verify against when the login is unknown

    async def add_staff(self, login: str, display_name: str, role: str, password: str,
                        by: Optional[Staff] = None) -> Staff:
        """A new active account; ``by`` is the supervisor who made it (None: the command line)."""
        kind = _role(role)
        _check_account(login, display_name, password)
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        now = self._now()
        try:
            async with self._engine.begin() as connection:
                result = await connection.execute(tables.staff.insert().values(
                    login=login, display_name=display_name.strip(), role=kind.value, password_hash=password_hash,
                    active=True, created_at=stamp(now)))
                staff_id = result.inserted_primary_key[0]
                await audit.record(connection, now, "add_staff", audit.staff_target(staff_id),
                                   by.id if by else None, {"login": login, "role": kind.value})
        except sa.exc.IntegrityError:
            raise StaffError(f"the login {login!r} is taken") from None
        return Staff(staff_id, login, display_name.strip(), kind)

    async def set_password(self, login: str, password: str) -> Optional[Staff]:
        """A new password for an existing account (None: no such login); audited, never logged."""
        async with self._engine.connect() as connection:
            row = await _row(connection, tables.staff.c.login == login)
        if row is None:
            return None
        staff = Staff.from_row(row)
        _check_account(login, staff.display_name, password)
        await self._rehash(staff.id, password, "set_password")
        return staff

    async def verify(self, login: str, password: str) -> Optional[Staff]:
        """The active account when ``password`` is its password, else None."""
        async with self._engine.connect() as connection:
            row = await _row(connection, tables.staff.c.login == login)
        if row is None or not row["active"]:
            await self._verify(await self._decoy_hash(), password)
            return await self._signed_in(login, None)
        if not await self._verify(row["password_hash"], password):
            return await self._signed_in(login, None)
        staff = Staff.from_row(row)
        if self._hasher.check_needs_rehash(row["password_hash"]):
            await self._rehash(staff.id, password)
        return await self._signed_in(login, staff)

    async def get(self, staff_id: int) -> Optional[Staff]:
        async with self._engine.connect() as connection:
            row = await _row(connection, tables.staff.c.id == staff_id)
        return Staff.from_row(row) if row is not None else None

    async def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return bool(await asyncio.to_thread(self._hasher.verify, password_hash, password))
        except (VerificationError, InvalidHashError):
            return False

    async def _decoy_hash(self) -> str:
        if self._decoy is None:
            self._decoy = await asyncio.to_thread(self._hasher.hash, secrets.token_urlsafe(16))
        return self._decoy

    async def _rehash(self, staff_id: int, password: str, action: str = "rehash_password") -> None:
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        async with self._engine.begin() as connection:
            await connection.execute(tables.staff.update().where(tables.staff.c.id == staff_id)
                                     .values(password_hash=password_hash))
            await audit.record(connection, self._now(), action, audit.staff_target(staff_id),
                               staff_id if action == "rehash_password" else None)

    async def _signed_in(self, login: str, staff: Optional[Staff]) -> Optional[Staff]:
        """Logs the attempt (the login as typed when it matched no account) and returns ``staff``."""
        async with self._engine.begin() as connection:
            if staff is None:
                await audit.record(connection, self._now(), "sign_in_failed", f"login:{login[:58]}")
            else:
                await audit.record(connection, self._now(), "sign_in", audit.staff_target(staff.id), staff.id)
        return staff


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise StaffError(f"a role is one of {', '.join(r.value for r in Role)}, not {role!r}") from None


def _check_account(login: str, display_name: str, password: str) -> None:
    if not LOGIN.fullmatch(login):
        raise StaffError("a login is 2-32 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit")
    if not display_name.strip() or len(display_name.strip()) > 50:
        raise StaffError("a display name is 1-50 characters")
    if len(password) < MIN_PASSWORD_CHARS:
        raise StaffError(f"a password has at least {MIN_PASSWORD_CHARS} characters")


async def _row(connection: AsyncConnection, where: Any) -> Optional[Mapping[str, Any]]:
    return (await connection.execute(sa.select(tables.staff).where(where))).mappings().first()
