"""The back office's signed-in side: the front door (gate.py), sign-in (signin.py), the
officials' pages (pages.py), their JSON API (api.py) and the API docs served from local files
(docs.py). `mount_web` adds them all to the app made by backoffice/app.py."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from fastapi import FastAPI, HTTPException, Request

from backoffice.accounts import Account, Accounts, LockoutPolicy
from backoffice.officials import Workbench
from backoffice.identity import IdentitySource
from backoffice.records import RecordsSource
from backoffice.service import Backoffice
from backoffice.sessions import Session, SessionPolicy, Sessions
from backoffice.staff import StaffAccounts

STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class WebSettings:
    """`secure`: the service is reached over TLS (cookies get Secure and the __Host- prefix, and
    HSTS is sent); set it too behind a TLS-terminating proxy."""
    secure: bool = False
    sessions: SessionPolicy = field(default_factory=SessionPolicy)
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    hasher: PasswordHasher | None = None
    clock: Callable[[], float] = time.time
    records: RecordsSource | None = None
    records_per_minute: int = 30
    identity: IdentitySource | None = None   # reference photos for the no-card path (backoffice/identity.py)
    identity_per_minute: int = 6
    pin_hasher: PasswordHasher | None = None      # staff PINs (backoffice/staff.py); None: argon2id defaults
    verify_per_minute: int = 20            # public receipt checks per client address (/verify)


@dataclass
class Web:
    bo: Backoffice
    accounts: Accounts
    sessions: Sessions
    workbench: Workbench
    settings: WebSettings
    staff: StaffAccounts


def web_of(request: Request) -> Web:
    return request.app.state.web


def session_of(request: Request) -> Session:
    """The signed-in session (the gate lets no request without one reach a signed-in route)."""
    session = getattr(request.state, "session", None)
    if session is None:
        raise HTTPException(401, "sign in first")
    return session


def require(request: Request, permission: str) -> tuple[Session, Account]:
    session = session_of(request)
    if not session.account.can(permission):
        raise HTTPException(403, f"a {session.account.role} account may not do this")
    return session, session.account


def mount_web(app: FastAPI, bo: Backoffice, settings: WebSettings | None = None) -> Web:
    from backoffice.receipt_status_api import receipt_status_router
    from backoffice.records import records_router
    from backoffice.staff_api import staff_router
    from backoffice.web import accounts_page, api, docs, pages, ratings_page, signin, staff_page
    from backoffice.web.verify import verify_router
    from backoffice.web.gate import Gate

    settings = settings or WebSettings()
    accounts = Accounts(bo.engine, hasher=settings.hasher, lockout=settings.lockout, clock=settings.clock)
    sessions = Sessions(bo.engine, accounts, settings.sessions, settings.clock)
    staff = StaffAccounts(bo, accounts, pin_hasher=settings.pin_hasher, clock=settings.clock)
    web = Web(bo, accounts, sessions, Workbench(bo), settings, staff)
    app.state.web = web
    app.include_router(records_router(bo, settings.records, settings.records_per_minute))
    from backoffice.identity import identity_router
    app.include_router(identity_router(bo, settings.identity, settings.identity_per_minute))
    app.include_router(staff_router(bo, staff))
    app.include_router(receipt_status_router(bo))
    app.include_router(signin.router)
    app.include_router(pages.router)
    app.include_router(accounts_page.router)
    app.include_router(staff_page.router)
    app.include_router(api.router)
    app.include_router(docs.router)
    app.include_router(ratings_page.router)
    app.include_router(ratings_page.api)
    app.include_router(verify_router(settings.verify_per_minute))
    app.add_middleware(Gate, sessions=sessions, secure=settings.secure)
    return web
