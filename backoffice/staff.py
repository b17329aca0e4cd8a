"""Kiosk staff: clerks and supervisors, on the back office's one account system
(backoffice/accounts.py, roles "clerk" and "supervisor"). A staff account adds a name, a staff
number, the stations (kiosk ids) they may serve, a kiosk PIN (stored only as an argon2id hash)
and, optionally, a key of their own ID card number (argon2id under the deployment's salt; the
number itself is never stored) for signing in with their card.

Each kiosk pulls the list of staff who may serve it (`credentials_for`), signed with the back
office's key (kiosk/services/staff/credentials.py), and signs them in from it while offline.
A disabled account, or one past its end date, is left out of the next list it issues.

Any thread; each call is its own transaction; `create` and `set_pin` block on argon2 (~0.1-0.4 s).
"""
from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime

from argon2 import PasswordHasher
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from backoffice import db
from backoffice.accounts import AccountError, Accounts
from backoffice.service import Backoffice, utcnow
from kiosk.domain.application import KIOSK_ID_RE
from kiosk.services.staff.credentials import (
    FORMAT, ROLES, STAFF_NUMBER_RE, check_pin_rules, id_key, id_salt_for, sign_staff_list)
from kiosk.services.sync import protocol as proto


class StaffAccounts:
    def __init__(self, bo: Backoffice, accounts: Accounts | None = None, *, pin_hasher: PasswordHasher | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.bo = bo
        self.engine = bo.engine
        self.accounts = accounts or Accounts(bo.engine)
        self.pin_hasher = pin_hasher or PasswordHasher()
        self.clock = clock
        self.id_salt = id_salt_for(proto.public_bytes(bo.keys.signing.public_key()))

    # --- management ---------------------------------------------------------------------------
    def create(self, username: str, name: str, staff_number: str, role: str, stations: Iterable[str], pin: str, *,
               id_number: str | None = None, password: str | None = None, valid_until: str | None = None) -> dict:
        """A clerk or supervisor account. Without `password` the account gets a random one: it
        signs in at kiosks with its PIN, and in the back office only once an admin sets one."""
        if role not in ROLES:
            raise AccountError(f"a staff role is one of {', '.join(ROLES)}")
        number = _staff_number(staff_number)
        name = " ".join(name.split())
        if not 1 <= len(name) <= 100:
            raise AccountError("a name has 1 to 100 characters")
        stations_ = _stations(stations)
        _pin(pin)
        until = _date(valid_until)
        key = self._id_key(id_number)
        with self.engine.connect() as conn:
            if conn.execute(select(db.staff_members.c.account_id)
                            .where(db.staff_members.c.staff_number == number)).first() is not None:
                raise AccountError(f"staff number {number} is taken")
        acct = self.accounts.create(username, password or secrets.token_urlsafe(24), role)
        try:
            with self.engine.begin() as conn:
                conn.execute(db.staff_members.insert().values(
                    account_id=acct.id, staff_number=number, name=name, stations=json.dumps(stations_),
                    pin_hash=self.pin_hasher.hash(pin), id_key=key, valid_until=until, pin_changed_at=utcnow()))
        except IntegrityError:
            with self.engine.begin() as conn:
                conn.execute(delete(db.accounts).where(db.accounts.c.id == acct.id))
            raise AccountError(f"staff number {number} is taken") from None
        return self.member(number)  # type: ignore[return-value]

    def set_pin(self, staff_number: str, pin: str) -> None:
        _pin(pin)
        self._update(staff_number, pin_hash=self.pin_hasher.hash(pin), pin_changed_at=utcnow())

    def set_stations(self, staff_number: str, stations: Iterable[str]) -> None:
        self._update(staff_number, stations=json.dumps(_stations(stations)))

    def set_id_number(self, staff_number: str, id_number: str | None) -> None:
        self._update(staff_number, id_key=self._id_key(id_number))

    def _id_key(self, id_number: str | None) -> str | None:
        if not id_number:
            return None
        try:
            return id_key(id_number, self.id_salt)
        except ValueError:
            raise AccountError("not a resident ID number") from None

    def _update(self, staff_number: str, **values: object) -> None:
        with self.engine.begin() as conn:
            r = conn.execute(update(db.staff_members)
                             .where(db.staff_members.c.staff_number == staff_number.strip().upper()).values(**values))
        if r.rowcount != 1:
            raise AccountError(f"no staff number {staff_number!r}")

    def members(self) -> list[dict]:
        """Every staff account (no PIN hash, no ID key: only whether one is set)."""
        s, a = db.staff_members.c, db.accounts.c
        q = (select(s.staff_number, s.name, s.stations, s.valid_until, s.id_key, a.username, a.role, a.disabled_at)
             .join_from(db.staff_members, db.accounts, a.id == s.account_id).order_by(s.staff_number))
        with self.engine.connect() as conn:
            return [{"staff_number": r.staff_number, "name": r.name, "username": r.username, "role": r.role,
                     "stations": json.loads(r.stations), "valid_until": r.valid_until, "id_card": r.id_key is not None,
                     "disabled": bool(r.disabled_at)} for r in conn.execute(q)]

    def member(self, staff_number: str) -> dict | None:
        number = staff_number.strip().upper()
        return next((m for m in self.members() if m["staff_number"] == number), None)

    def stations_of(self, username: str) -> list[str]:
        s, a = db.staff_members.c, db.accounts.c
        with self.engine.connect() as conn:
            row = conn.execute(select(s.stations).join_from(db.staff_members, db.accounts, a.id == s.account_id)
                               .where(a.username == username)).first()
        return json.loads(row.stations) if row else []

    # --- what a kiosk pulls ---------------------------------------------------------------------
    def credentials_for(self, kiosk_id: str) -> dict:
        """The signed list of staff who may serve `kiosk_id` now (disabled and ended accounts left out)."""
        s, a = db.staff_members.c, db.accounts.c
        now = self.clock()
        today = datetime.fromtimestamp(now).date().isoformat()
        with self.engine.connect() as conn:
            rows = conn.execute(select(s.staff_number, s.stations, s.pin_hash, s.id_key, s.valid_until, a.role)
                                .join_from(db.staff_members, db.accounts, a.id == s.account_id)
                                .where(a.disabled_at.is_(None)).order_by(s.staff_number)).all()
        staff = [{"staff_number": r.staff_number, "role": r.role, "pin_hash": r.pin_hash, "id_key": r.id_key,
                  "valid_until": r.valid_until} for r in rows
                 if kiosk_id in json.loads(r.stations) and (r.valid_until is None or r.valid_until >= today)]
        doc = {"format": FORMAT, "v": 1, "kiosk_id": kiosk_id, "issued": int(now), "id_salt": proto.b64e(self.id_salt),
               "staff": staff}
        return sign_staff_list(self.bo.keys.signing, doc)


def _staff_number(value: str) -> str:
    number = value.strip().upper()
    if not STAFF_NUMBER_RE.fullmatch(number):
        raise AccountError("a staff number is 4-16 capital letters or digits")
    return number


def _stations(stations: Iterable[str]) -> list[str]:
    out = sorted({s.strip() for s in stations if s.strip()})
    bad = [s for s in out if not KIOSK_ID_RE.fullmatch(s)]
    if bad or not out:
        raise AccountError("stations are kiosk ids (10 digits), at least one")
    return out


def _pin(pin: str) -> None:
    try:
        check_pin_rules(pin)
    except ValueError as exc:
        raise AccountError(str(exc)) from None


def _date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise AccountError("an end date is YYYY-MM-DD") from None
