"""One account system for everyone who signs in to the back office: roles, argon2id password
hashes, lockout after failed attempts. Sessions are in backoffice/sessions.py.

Roles and what they may do (`can`):
  admin             manages every account (the first one is made by `python -m backoffice account
                    create --admin`); reads the audit log; sees no citizen data
  department_admin  an official who also manages the official accounts of their departments
  official          sees and updates their departments' items of received applications
  auditor           reads the audit log; sees no citizen data
  clerk, supervisor the kiosk staff roles (backoffice/staff.py: staff number, stations, kiosk PIN);
                    a supervisor reads the kiosk audit trails of their stations (/officials/staff)

Any thread; each call is its own transaction.
"""
from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, Row, func, select, update
from sqlalchemy.exc import IntegrityError

from backoffice import audit, db
from backoffice.departments import is_department_id
from backoffice.service import utcnow

ROLES = ("admin", "department_admin", "official", "auditor", "clerk", "supervisor")
DEPARTMENT_ROLES = ("department_admin", "official")
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"accounts.manage", "audit.read", "docs.read", "staff.audit"}),
    "department_admin": frozenset({"items.read", "items.update", "accounts.manage_department", "docs.read"}),
    "official": frozenset({"items.read", "items.update", "docs.read"}),
    "auditor": frozenset({"audit.read", "docs.read", "staff.audit"}),
    "clerk": frozenset({"docs.read"}),
    "supervisor": frozenset({"docs.read", "staff.audit"}),
}
USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MIN_PASSWORD, MAX_PASSWORD = 12, 256


class AccountError(ValueError):
    """A request the account rules refuse; the message says which rule."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    departments: tuple[str, ...]
    disabled: bool = False

    @property
    def actor(self) -> str:
        return f"account:{self.username}"

    def can(self, permission: str) -> bool:
        return not self.disabled and permission in PERMISSIONS.get(self.role, frozenset())

    def sees_department(self, department_id: str) -> bool:
        return self.can("items.read") and department_id in self.departments


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    lock_seconds: int = 15 * 60


def _account(row: Row[*tuple[Any, ...]]) -> Account:
    return Account(row.id, row.username, row.role, tuple(json.loads(row.departments or "[]")), bool(row.disabled_at))


class Accounts:
    def __init__(self, engine: Engine, *, hasher: PasswordHasher | None = None, lockout: LockoutPolicy = LockoutPolicy(),
                 clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.hasher = hasher or PasswordHasher()
        self.lockout = lockout
        self.clock = clock
        self._dummy: str | None = None

    # --- management ---------------------------------------------------------------------------
    def create(self, username: str, password: str, role: str, departments: Iterable[str] = ()) -> Account:
        username = username.strip().lower()
        depts = _check(username, role, list(departments))
        _check_password(password)
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                conn.execute(db.accounts.insert().values(
                    username=username, password_hash=self.hasher.hash(password), role=role,
                    departments=json.dumps(depts), created_at=now, failed_logins=0, password_changed_at=now))
        except IntegrityError:
            raise AccountError(f"an account {username!r} exists already") from None
        return self.get(username)  # type: ignore[return-value]

    def get(self, username: str) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(db.accounts).where(db.accounts.c.username == username.strip().lower())).first()
        return _account(row) if row else None

    def by_id(self, account_id: int) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(db.accounts).where(db.accounts.c.id == account_id)).first()
        return _account(row) if row else None

    def all(self) -> list[dict]:
        a = db.accounts.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(a.username, a.role, a.departments, a.created_at, a.disabled_at, a.locked_until)
                                .order_by(a.username)).all()
        now = self.clock()
        return [{"username": r.username, "role": r.role, "departments": json.loads(r.departments or "[]"),
                 "created_at": r.created_at, "disabled": bool(r.disabled_at),
                 "locked": bool(r.locked_until and r.locked_until > now)} for r in rows]

    def count_admins(self) -> int:
        a = db.accounts.c
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(db.accounts)
                                .where((a.role == "admin") & a.disabled_at.is_(None))).scalar_one()

    def set_password(self, username: str, password: str) -> None:
        _check_password(password)
        self._update(username, password_hash=self.hasher.hash(password), password_changed_at=utcnow(),
                     failed_logins=0, locked_until=None)

    def set_departments(self, username: str, departments: Iterable[str]) -> None:
        acct = self._must(username)
        self._update(username, departments=json.dumps(_check(acct.username, acct.role, list(departments))))

    def set_disabled(self, username: str, disabled: bool) -> None:
        self._update(username, disabled_at=utcnow() if disabled else None)

    def unlock(self, username: str) -> None:
        self._update(username, failed_logins=0, locked_until=None)

    def _must(self, username: str) -> Account:
        acct = self.get(username)
        if acct is None:
            raise AccountError(f"no account {username!r}")
        return acct

    def _update(self, username: str, **values: object) -> None:
        with self.engine.begin() as conn:
            r = conn.execute(update(db.accounts).where(db.accounts.c.username == username.strip().lower())
                             .values(**values))
        if r.rowcount != 1:
            raise AccountError(f"no account {username!r}")

    # --- signing in ---------------------------------------------------------------------------
    def authenticate(self, username: str, password: str) -> Account | None:
        """The account if the password is right and the account is neither disabled nor locked.
        Every refusal costs one argon2 verification, so timing does not tell which rule refused.
        Caller's thread; blocks ~0.1 s on argon2 and on the database."""
        username = username.strip().lower()[:64]
        with self.engine.connect() as conn:
            row = conn.execute(select(db.accounts).where(db.accounts.c.username == username)).first()
        now = self.clock()
        if row is None:
            self._verify(self._dummy_hash(), password)
            audit.record(self.engine, "anonymous", "signin.failed", detail="unknown username")
            return None
        if row.locked_until and row.locked_until > now:
            self._verify(self._dummy_hash(), password)
            audit.record(self.engine, f"account:{row.username}", "signin.locked")
            return None
        ok = self._verify(row.password_hash, password)
        if not ok or row.disabled_at:
            self._failed(row.id, row.username, now, disabled=bool(row.disabled_at))
            return None
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        if self.hasher.check_needs_rehash(row.password_hash):
            values["password_hash"] = self.hasher.hash(password)
        with self.engine.begin() as conn:
            conn.execute(update(db.accounts).where(db.accounts.c.id == row.id).values(**values))
        audit.record(self.engine, f"account:{row.username}", "signin")
        return _account(row)

    def _failed(self, account_id: int, username: str, now: float, *, disabled: bool) -> None:
        a = db.accounts.c
        with self.engine.begin() as conn:
            conn.execute(update(db.accounts).where(a.id == account_id).values(failed_logins=a.failed_logins + 1))
            failures = conn.execute(select(a.failed_logins).where(a.id == account_id)).scalar_one()
            locked = failures >= self.lockout.max_failures
            if locked:
                conn.execute(update(db.accounts).where(a.id == account_id)
                             .values(failed_logins=0, locked_until=int(now) + self.lockout.lock_seconds))
        audit.record(self.engine, f"account:{username}", "signin.failed",
                     detail="account disabled" if disabled else ("locked after repeated failures" if locked else ""))

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password[:MAX_PASSWORD])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy


def _check(username: str, role: str, departments: list[str]) -> list[str]:
    if not USERNAME_RE.fullmatch(username):
        raise AccountError("a username is 2-64 lower-case letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise AccountError(f"a role is one of {', '.join(ROLES)}")
    depts = sorted({d.strip() for d in departments if d.strip()})
    bad = [d for d in depts if not is_department_id(d)]
    if bad:
        raise AccountError(f"not a department id: {', '.join(bad)} (`python -m backoffice departments` lists them)")
    if role in DEPARTMENT_ROLES and not depts:
        raise AccountError(f"a {role} account needs at least one department")
    if role not in DEPARTMENT_ROLES and depts:
        raise AccountError(f"a {role} account has no departments")
    return depts


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
