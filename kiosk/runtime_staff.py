"""The staff effects, run where they may block: every one is an audit entry or a PIN check, so
all of them go to the runtime's store worker (the thread that owns the SQLite connection), and
their answers come back to the flow as events through `post`. No Qt.

  RecordHelpCall     audit "help_call" (raised, or answered by staff); synced to the back office
                     with the rest of the trail, so a call shows there when the kiosk is online
  SignInStaff        StaffAuthenticator.sign_in (argon2id, ~0.1-0.4 s; lockout; audited itself)
  (a staff card)     `match_card`: the card thread read a card on the sign-in screen (ReadStaffCard);
                     StaffAuthenticator.member_for_id_card finds its account (audited when none)
  RecordOverride     audit "override", flagged above [staff] override_flag_per_day for the clerk
  EndStaffMode       audit "staff_mode_end"
  LoadStaffConsole   overrides today per clerk (from the trail) and the health report
  RecordLockdownExit audit "lockdown_exit"

The health report comes from a callable (`health`) returning a report whose `checks` each have
`name`, `status` ("ok" or anything else), `detail` and `action`; it runs on the records worker
(it may touch devices and the network), never on the store thread or the GUI thread.
"""
from __future__ import annotations

import logging
import shutil
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.domain.text import Text
from kiosk.i18n import tr
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.flows.staff_state import HealthLine, OverrideCount
from kiosk.services.audit.chain import AuditError
from kiosk.services.jobs import Worker
from kiosk.services.staff.authenticator import MESSAGES

log = logging.getLogger(__name__)

UNAVAILABLE = tr("本机暂不能登录工作人员账户，请联系技术支持。")
SIGN_IN_FAILED = tr("登录检查出错，请重试。")
NOTE_REFUSED = tr("备注中不能含有证件号码或电话号码。")


def health_lines(report: Any) -> tuple[HealthLine, ...]:
    """The health interface's report as screen lines: `report.checks` (or the report itself, when
    it is a list), each with name / status / detail / action (text, or Text-like with .zh/.en)."""
    checks = getattr(report, "checks", report) or ()
    out = []
    for c in list(checks)[:40]:
        raw = getattr(c, "status", "")
        status = str(getattr(raw, "value", raw)).lower()      # a str or an Enum of them
        out.append(HealthLine(_s(getattr(c, "name", "?")), status in ("ok", "note", "info"), status,
                              _s(getattr(c, "detail", "")), _s(getattr(c, "action", ""))))
    return tuple(out)


def _s(x: Any) -> str:
    if isinstance(x, Text):
        return f"{x.zh} / {x.en}" if x.zh != x.en else x.zh
    return str(x or "")[:300]


class StaffDesk:
    """Runs the staff effects. Built by the Runtime on the GUI thread; `perform` never blocks."""

    def __init__(self, *, store: Worker, background: Worker, db: Callable[[], Any],
                 open_staff: Callable[[Any], Any] | None, post: Callable[[ev.Event], None], run_id: str,
                 override_flag_per_day: int = 5, health: Callable[[], Any] | None = None,
                 data_dir: Path | None = None, timeout: float = 15.0,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        self._store, self._background = store, background
        self._db, self._open_staff, self._post = db, open_staff, post
        self._run_id = run_id
        self._flag_at = override_flag_per_day
        self._health = health
        self._data_dir = data_dir
        self._timeout = timeout
        self._clock = clock
        self._services: Any = None
        self._services_db: Any = None

    def ref(self, attempt: int) -> str:
        """The session's reference in the audit trail (no personal data)."""
        return f"s-{self._run_id}-{attempt}"

    def _staff(self) -> Any:
        """The staff services on the store thread's connection (store thread)."""
        db = self._db()
        if self._services is None or self._services_db is not db:
            if self._open_staff is None:
                raise LookupError("no staff services in this composition")
            self._services, self._services_db = self._open_staff(db), db
        return self._services

    def _submit(self, name: str, job: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
        self._store.submit(job, done, timeout=self._timeout, name=name)

    def perform(self, effect: fx.Effect) -> None:
        """GUI thread: hand `effect` to its thread; returns at once."""
        if isinstance(effect, fx.RecordHelpCall):
            details: dict[str, Any] = {"call": effect.number, "state": "answered" if effect.answered_by else "raised"}
            self._audit("help_call", effect.answered_by, self.ref(effect.attempt), details)
        elif isinstance(effect, fx.SignInStaff):
            self._sign_in(effect)
        elif isinstance(effect, fx.RecordOverride):
            self._override(effect)
        elif isinstance(effect, fx.EndStaffMode):
            number, reason, ref = effect.staff_number, effect.reason, self.ref(effect.attempt)
            self._submit("staff-end", lambda: self._staff().authenticator.end_staff_mode(_Member(number), reason, ref),
                         _logged("staff_mode_end"))
        elif isinstance(effect, fx.LoadStaffConsole):
            self._console()
        elif isinstance(effect, fx.RecordLockdownExit):
            number = effect.staff_number

            def exited(_r: Any, error: BaseException | None) -> None:
                _logged("lockdown_exit")(_r, error)
                self._post(ev.LockdownExitRecorded(error is None))
            self._submit("lockdown-exit", lambda: self._staff().audit.record("lockdown_exit", staff=number), exited)
        else:  # pragma: no cover - a new staff effect without a handler is a programming error
            raise TypeError(f"unhandled staff effect {effect!r}")

    def _audit(self, type_: str, staff: str | None, ref: str | None, details: dict[str, Any]) -> None:
        self._submit(type_, lambda: self._staff().audit.record(type_, staff=staff, ref=ref, details=details),
                     _logged(type_))

    def match_card(self, id_number: str) -> None:
        """Any thread (the card thread, right after reading a card on the sign-in screen): find the
        staff account whose own ID card it is on the store thread, and answer StaffCardRead. Only
        "not a staff card" is said of any other card; the number goes no further than this job."""
        def done(r: Any, error: BaseException | None) -> None:
            if error is not None or r is None:
                log.error("staff card check failed: %s", type(error).__name__)
                self._post(ev.StaffCardRead(None, UNAVAILABLE if isinstance(error, LookupError) else SIGN_IN_FAILED))
                return
            member, reason = r
            if member is not None:
                self._post(ev.StaffCardRead(member.staff_number))
            else:
                self._post(ev.StaffCardRead(None, None if reason == "not_staff_card" else MESSAGES.get(reason)))
        self._submit("staff-card", lambda: self._staff().authenticator.member_for_id_card(id_number), done)

    def _sign_in(self, effect: fx.SignInStaff) -> None:
        number, pin, method = effect.staff_number, effect.pin, effect.method

        def done(r: Any, error: BaseException | None) -> None:
            if error is not None or r is None:
                log.error("staff sign-in check failed: %s", type(error).__name__)
                self._post(ev.StaffSignInAnswered(False, UNAVAILABLE if isinstance(error, LookupError) else SIGN_IN_FAILED))
                return
            message = r.message
            if not r.ok and r.reason == "wrong" and r.attempts_left is not None:
                message = tr("{message}还可再试 {n} 次，之后账户将被暂时锁定。").format(message=message, n=r.attempts_left)
            elif not r.ok and r.reason == "locked" and r.locked_until:
                until = datetime.fromtimestamp(r.locked_until).strftime("%H:%M")
                message = tr("{message}（{until} 后可再试）").format(message=message, until=until)
            member = r.member
            self._post(ev.StaffSignInAnswered(bool(r.ok), message, member.staff_number if member else None,
                                              member.role if member else None, r.attempts_left, r.reason == "locked"))
        self._submit("sign-in", lambda: self._staff().authenticator.sign_in(number, pin, method), done)

    def overrides_today(self, audit: Any) -> Counter[str]:
        """Overrides per staff number today (local date), from the trail (store thread)."""
        today = self._clock().date()
        counts: Counter[str] = Counter()
        for e in audit.entries():
            if e.type == "override" and e.staff:
                when = datetime.fromisoformat(e.at.replace("Z", "+00:00")).astimezone().date()
                if when == today:
                    counts[e.staff] += 1
        return counts

    def _override(self, effect: fx.RecordOverride) -> None:
        def job() -> bool:
            audit = self._staff().audit
            n = self.overrides_today(audit)[effect.staff_number] + 1
            flagged = n > self._flag_at
            details: dict[str, Any] = {"reason": effect.reason, "failed_checks": effect.attempts, "today": n,
                                       "flagged": flagged}
            if effect.note:
                details["note"] = effect.note
            audit.record("override", staff=effect.staff_number, ref=self.ref(effect.attempt), details=details)
            if flagged:
                log.warning("staff %s: %d overrides today, above %d: flagged for the supervisor",
                            effect.staff_number, n, self._flag_at)
            return flagged

        def done(flagged: Any, error: BaseException | None) -> None:
            if error is not None:
                log.error("recording an override failed: %s", type(error).__name__)
                self._post(ev.OverrideRecorded(effect.attempt, False,
                                               problem=NOTE_REFUSED if isinstance(error, AuditError) else None))
            else:
                self._post(ev.OverrideRecorded(effect.attempt, True, bool(flagged)))
        self._submit("override", job, done)

    def _console(self) -> None:
        def counts() -> tuple[OverrideCount, ...]:
            c = self.overrides_today(self._staff().audit)
            return tuple(OverrideCount(k, v, v > self._flag_at) for k, v in sorted(c.items()))

        def health() -> tuple[HealthLine, ...]:
            if self._health is not None:
                return health_lines(self._health())
            return self._basic_health()

        result: dict[str, Any] = {}

        def got(key: str) -> Callable[[Any, BaseException | None], None]:
            def done(value: Any, error: BaseException | None) -> None:
                if error is not None:
                    log.error("staff console: %s failed: %s", key, type(error).__name__)
                    value = () if key == "overrides" else (HealthLine("health", False, "error", type(error).__name__),)
                result[key] = value
                if len(result) == 2:
                    self._post(ev.StaffConsoleLoaded(result["overrides"], result["health"]))
            return done
        self._submit("console", counts, got("overrides"))
        self._background.submit(health, got("health"), timeout=self._timeout, name="health")

    def _basic_health(self) -> tuple[HealthLine, ...]:
        """What can be said without the health service: disk space and the staff list's life."""
        lines = []
        if self._data_dir is not None:
            free = shutil.disk_usage(self._data_dir).free / 2**30
            lines.append(HealthLine("disk", free > 1.0, "ok" if free > 1.0 else "fault", f"{free:.1f} GiB free",
                                    "" if free > 1.0 else "free disk space"))
        lines.append(HealthLine("clock", True, "ok", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")))
        return tuple(lines)


class _Member:
    """What end_staff_mode reads of a staff member: the number (the flow holds no more)."""

    def __init__(self, staff_number: str) -> None:
        self.staff_number = staff_number


def _logged(what: str) -> Callable[[Any, BaseException | None], None]:
    def done(_result: Any, error: BaseException | None) -> None:
        if error is not None:
            log.error("audit %s could not be written: %s", what, type(error).__name__)
    return done
