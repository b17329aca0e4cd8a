"""Server-side sessions for the back office's sign-in: a random 256-bit id in an HttpOnly,
SameSite=Strict cookie (Secure under TLS); the table keeps only its SHA-256, so a copy of the
database opens no session. Each session has its own CSRF token (the synchronizer token that
every POST must carry) and ends after `idle_seconds` without a request or `absolute_seconds`
after sign-in, whichever comes first; signing out, disabling the account or changing its
password ends it at once. Any thread.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update

from backoffice import db
from backoffice.accounts import Account, Accounts

TOUCH_EVERY = 30          # seconds: last_seen is written at most this often (idle expiry is that coarse)


@dataclass(frozen=True)
class SessionPolicy:
    idle_seconds: int = 30 * 60
    absolute_seconds: int = 12 * 3600


@dataclass(frozen=True)
class Session:
    account: Account
    csrf: str
    id_hash: str

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf.encode(), str(token).encode())


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("utf-8", "replace")).hexdigest()


class Sessions:
    def __init__(self, engine: Engine, accounts: Accounts, policy: SessionPolicy = SessionPolicy(),
                 clock: Callable[[], float] | None = None) -> None:
        self.engine = engine
        self.accounts = accounts
        self.policy = policy
        self.clock = clock or accounts.clock
        self._last_purge = 0.0

    def start(self, account: Account) -> tuple[str, Session]:
        """A new session (a new id: no fixation). Returns the cookie value and the session."""
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = int(self.clock())
        with self.engine.begin() as conn:
            conn.execute(db.sessions.insert().values(id_hash=_hash(cookie), account_id=account.id, csrf=csrf,
                                                     created_at=now, last_seen=now))
        self._maybe_purge(now)
        return cookie, Session(account, csrf, _hash(cookie))

    def resolve(self, cookie: str | None) -> Session | None:
        """The live session this cookie names, or None (unknown, expired, account disabled)."""
        if not cookie or len(cookie) > 128:
            return None
        s = db.sessions.c
        h = _hash(cookie)
        with self.engine.connect() as conn:
            row = conn.execute(select(s.account_id, s.csrf, s.created_at, s.last_seen).where(s.id_hash == h)).first()
        if row is None:
            return None
        now = int(self.clock())
        if now - row.created_at >= self.policy.absolute_seconds or now - row.last_seen >= self.policy.idle_seconds:
            self._delete(h)
            return None
        account = self.accounts.by_id(row.account_id)
        if account is None or account.disabled:
            self._delete(h)
            return None
        if now - row.last_seen >= TOUCH_EVERY:
            with self.engine.begin() as conn:
                conn.execute(update(db.sessions).where(s.id_hash == h).values(last_seen=now))
        return Session(account, row.csrf, h)

    def end(self, session: Session) -> None:
        self._delete(session.id_hash)

    def end_all(self, account_id: int) -> int:
        with self.engine.begin() as conn:
            return conn.execute(delete(db.sessions).where(db.sessions.c.account_id == account_id)).rowcount

    def _delete(self, id_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(db.sessions).where(db.sessions.c.id_hash == id_hash))

    def _maybe_purge(self, now: int) -> None:
        if now - self._last_purge < 600:
            return
        self._last_purge = now
        s = db.sessions.c
        with self.engine.begin() as conn:
            conn.execute(delete(db.sessions).where((s.created_at <= now - self.policy.absolute_seconds)
                                                   | (s.last_seen <= now - self.policy.idle_seconds)))


def end_sessions_of(engine: Engine, username: str) -> int:
    """End every session of an account (after a password change, disabling, a role change)."""
    a = db.accounts.c
    with engine.begin() as conn:
        ids = [i for (i,) in conn.execute(select(a.id).where(a.username == username.strip().lower()))]
        if not ids:
            return 0
        return conn.execute(delete(db.sessions).where(db.sessions.c.account_id.in_(ids))).rowcount
