"""Staff sign-in at the kiosk: staff number + PIN, or the clerk's own ID card + PIN, checked
against the back office's signed staff list kept on the kiosk (kiosk/services/staff/store.py),
so a village station signs staff in while offline, for `offline_days` after the list was issued.

Five wrong PINs (`max_failures`) lock the account on this kiosk for `lock_seconds`; the lock is
in the store and survives a restart. Every attempt, good or bad, is an audit entry
("staff_sign_in" / "staff_sign_in_failed"); nothing typed is logged unless it is a staff number
on the list (a PIN typed into the number field must not land in the log).

Threads: a StaffAuthenticator works on one Storage connection, so it is used on that
connection's thread (the runtime's store worker). `sign_in` and `sign_in_with_id_card` block on
argon2id (~0.1-0.4 s, 32-64 MiB) and on SQLite with fsync: never call them on the GUI thread.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.domain.text import Text
from kiosk.i18n import tr
from kiosk.services.audit.log import AuditLog
from kiosk.services.staff.credentials import (
    STAFF_NUMBER_RE, StaffList, StaffListError, StaffMember, id_key, verify_pin, verify_staff_list)
from kiosk.services.staff.store import StaffStore
from kiosk.services.storage import Storage

log = logging.getLogger(__name__)

# A PIN hash nobody's PIN matches: an unknown number or a locked account costs what a real check does.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$htxprwsxf26gOoeVxctH/g$DSdJDZ3fZr5M+1U5JJQ8onIpjNgG8WHHaOQtJZS1Xds"


@dataclass(frozen=True)
class StaffPolicy:
    """[staff] in the configuration."""
    offline_days: float = 7.0        # how long after it was issued a staff list may be used
    max_failures: int = 5            # wrong PINs in a row before the account locks on this kiosk
    lock_seconds: float = 15 * 60
    idle_seconds: float = 120.0      # staff mode ends after this long without a touch (mode.py)

    @classmethod
    def from_config(cls, config: object) -> StaffPolicy:
        s = config.staff  # type: ignore[attr-defined]
        return cls(s.offline_days, s.max_failures, s.lock_minutes * 60, s.idle_seconds)


MESSAGES = {
    "ok": tr("已登录。"),
    "wrong": tr("工号或密码不对。"),
    "locked": tr("密码错误次数过多，账户已暂时锁定，请稍后再试。"),
    "no_list": tr("本机没有工作人员名单，请联网同步后再试。"),
    "list_expired": tr("本机的工作人员名单已过期，请联网同步后再试。"),
    "account_expired": tr("该工作人员账户已到期，请联系后台管理员。"),
    "not_staff_card": tr("这不是工作人员证件。"),
}


@dataclass(frozen=True)
class SignInResult:
    """What a sign-in attempt came to. `member` only when `ok`; `message` for the screen."""
    ok: bool
    reason: str                          # a key of MESSAGES
    member: StaffMember | None = None
    attempts_left: int | None = None     # after a wrong PIN for a known account
    locked_until: float | None = None    # Unix seconds, when locked

    @property
    def message(self) -> Text:
        return MESSAGES[self.reason]


class StaffAuthenticator:
    """Signs staff in on one kiosk. `trust` is the key staff lists must be signed with (the
    enrolled back office's; the demo's own in the demo); None: no list is trusted."""

    def __init__(self, storage: Storage, audit: AuditLog, trust: Ed25519PublicKey | None, kiosk_id: str,
                 policy: StaffPolicy = StaffPolicy(), clock: Callable[[], float] = time.time) -> None:
        self.store = StaffStore(storage)
        self.audit = audit
        self.trust = trust
        self.kiosk_id = kiosk_id
        self.policy = policy
        self.clock = clock
        self._parsed: tuple[bytes, StaffList] | None = None

    # --- the list ---------------------------------------------------------------------------------
    def current_list(self) -> tuple[StaffList | None, str]:
        """The kept list if it verifies and is young enough, else (None, "no_list" | "list_expired")."""
        blob = self.store.list_blob()
        if blob is None or self.trust is None:
            return None, "no_list"
        if self._parsed is None or self._parsed[0] != blob:
            try:
                self._parsed = (blob, verify_staff_list(blob, self.trust, self.kiosk_id))
            except StaffListError as exc:
                log.error("the kept staff list is refused: %s", exc)
                return None, "no_list"
        lst = self._parsed[1]
        if self.clock() > lst.issued + self.policy.offline_days * 86400:
            return None, "list_expired"
        return lst, "ok"

    def list_valid_until(self) -> float | None:
        """Unix seconds after which the kept list is too old (for the staff health line)."""
        lst, _ = self.current_list()
        return None if lst is None else lst.issued + self.policy.offline_days * 86400

    # --- signing in -------------------------------------------------------------------------------
    def sign_in(self, staff_number: str, pin: str, method: str = "staff_number") -> SignInResult:
        """Staff number + PIN. Worker thread (argon2id + SQLite). `method` "id_card": the number is
        the account `member_for_id_card` found for the card inserted (the same PIN check and
        lockout; the audit entry says how the staff member signed in)."""
        if method not in ("staff_number", "id_card"):
            raise ValueError(f"unknown sign-in method {method!r}")
        number = staff_number.strip().upper()
        lst, why = self.current_list()
        if lst is None:
            return self._refused(why, None, method)
        member = lst.by_number(number) if STAFF_NUMBER_RE.fullmatch(number) else None
        return self._check(member, pin, method)

    def member_for_id_card(self, id_number: str) -> tuple[StaffMember | None, str]:
        """The account whose own ID card has this number (as read from the card), before the PIN
        is asked; or (None, "no_list" | "list_expired" | "not_staff_card"), audited as a failed
        sign-in. The number is never stored or logged. Worker thread (argon2id + SQLite)."""
        lst, why = self.current_list()
        if lst is None:
            self._refused(why, None, "id_card")
            return None, why
        try:
            member = lst.by_id_key(id_key(id_number, lst.id_salt))
        except StaffListError:       # not a resident ID number: no staff card has it
            member = None
        if member is None:
            self._refused("not_staff_card", None, "id_card")
            return None, "not_staff_card"
        return member, "ok"

    def sign_in_with_id_card(self, id_number: str, pin: str) -> SignInResult:
        """The staff member's own ID card (its number as read from the card) + PIN. The number is
        never stored or logged. Worker thread (two argon2id runs + SQLite)."""
        lst, why = self.current_list()
        if lst is None:
            return self._refused(why, None, "id_card")
        try:
            member = lst.by_id_key(id_key(id_number, lst.id_salt))
        except StaffListError:
            member = None
        return self._check(member, pin, "id_card")

    def _check(self, member: StaffMember | None, pin: str, method: str) -> SignInResult:
        now = self.clock()
        if member is None:
            verify_pin(_DUMMY_HASH, pin)
            return self._refused("wrong", None, method)
        failures, locked_until = self.store.lockout(member.staff_number)
        if locked_until is not None and locked_until > now:
            verify_pin(_DUMMY_HASH, pin)
            return self._refused("locked", member, method, locked_until=locked_until)
        if not verify_pin(member.pin_hash, pin):
            failures, locked = self.store.count_failure(member.staff_number, self.policy.max_failures,
                                                        now + self.policy.lock_seconds)
            self.audit.record("staff_sign_in_failed", staff=member.staff_number,
                              details={"method": method, "reason": "wrong_pin", "failures": failures, "locked": locked})
            if locked:
                log.warning("staff %s locked on this kiosk after %d wrong PINs", member.staff_number, failures)
                return SignInResult(False, "locked", locked_until=now + self.policy.lock_seconds)
            return SignInResult(False, "wrong", attempts_left=self.policy.max_failures - failures)
        if not member.valid_on(datetime.fromtimestamp(now).date()):
            return self._refused("account_expired", member, method)
        self.store.clear(member.staff_number)
        self.audit.record("staff_sign_in", staff=member.staff_number, details={"method": method, "role": member.role})
        return SignInResult(True, "ok", member)

    def _refused(self, reason: str, member: StaffMember | None, method: str,
                 locked_until: float | None = None) -> SignInResult:
        self.audit.record("staff_sign_in_failed", staff=member.staff_number if member else None,
                          details={"method": method, "reason": reason})
        return SignInResult(False, reason, locked_until=locked_until)

    def end_staff_mode(self, member: StaffMember, reason: str, ref: str | None = None) -> None:
        """Audit the end of staff mode; `reason`: "sign_out", "idle" (mode.py said so) or
        "session_end". Store thread."""
        self.audit.record("staff_mode_end", staff=member.staff_number, ref=ref, details={"reason": reason})


def utc_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
