"""The assisted paths' effects (issue 12 parts 4-6), run where they may block; answers go back to
the flow as events through `post`. No Qt.

  FetchReference     the IdentityService's reference photo of a typed ID number, on the records
                     worker (network I/O); answered with ReferenceFound or ReferenceUnavailable.
                     The photo is handed to the flow in memory and nowhere else.
  RecordCounterMode  audit "counter_mode" (start or end) on the store worker; a start is
                     answered with CounterModeRecorded (counter mode waits for its record).
  audit_application  on the store worker, right after an application is stored: "proxy" for an
                     application made for someone else, "counter_mode" for one a clerk entered.

Whether the no-card path may be offered is posted as IdentityServiceChanged at start and after
every session and every reference request (the service's `available()` never blocks).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kiosk.devices.identity import UNAVAILABLE, IdentityService, IdentityUnavailable, Reference
from kiosk.domain.assisted import identity_from_reference
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.services.jobs import JobTimeout, Worker

log = logging.getLogger(__name__)


class AssistDesk:
    """Built by the Runtime on the GUI thread; `perform` never blocks."""

    def __init__(self, *, identity: IdentityService, store: Worker, background: Worker, db: Callable[[], Any],
                 open_staff: Callable[[Any], Any] | None, post: Callable[[ev.Event], None],
                 timeout: float = 15.0) -> None:
        self._identity = identity
        self._store, self._background = store, background
        self._db, self._open_staff, self._post = db, open_staff, post
        self._timeout = timeout
        self._audit: Any = None
        self._available = False      # as the flow starts (FlowState.no_card_available): only changes are posted

    def perform(self, effect: fx.FetchReference | fx.RecordCounterMode) -> None:
        """GUI thread; hands the effect to its worker."""
        if isinstance(effect, fx.FetchReference):
            self._fetch(effect)
        else:
            self._counter(effect)

    def post_availability(self) -> None:
        """Tell the flow whether the no-card path can be offered, when that changed. Any thread."""
        try:
            available = bool(self._identity.available())
        except Exception:   # a backend bug must not stop the kiosk: the path is then not offered
            log.exception("identity service availability")
            available = False
        if available != self._available:
            self._available = available
            self._post(ev.IdentityServiceChanged(available))

    # --- no card ----------------------------------------------------------------------------------
    def _fetch(self, effect: fx.FetchReference) -> None:
        service = self._identity

        def job() -> Reference:
            found = service.reference(effect.id_number, effect.timeout)
            if not isinstance(found, Reference) or not found.photo:   # a backend bug must not reach the flow
                raise IdentityUnavailable(UNAVAILABLE, f"the identity service answered with a {type(found).__name__}")
            return found

        def done(found: Reference | None, error: BaseException | None) -> None:
            if error is None and found is not None:
                self._post(ev.ReferenceFound(effect.attempt, identity_from_reference(effect.id_number, found.name,
                                                                                     found.photo)))
            elif isinstance(error, IdentityUnavailable):
                log.info("no reference photo: %s", error.detail)
                self._post(ev.ReferenceUnavailable(effect.attempt, error.reason, error.offline))
            else:
                log.info("no reference photo: %s", type(error).__name__)
                self._post(ev.ReferenceUnavailable(effect.attempt, UNAVAILABLE, isinstance(error, (JobTimeout, TimeoutError))))
            self.post_availability()

        self._background.submit(job, done, timeout=effect.timeout, name="reference")

    # --- audit --------------------------------------------------------------------------------------
    def _audit_log(self) -> Any:
        """The audit log on the store thread's connection (opened there, once), or None."""
        if self._audit is None and self._open_staff is not None:
            self._audit = self._open_staff(self._db()).audit
        return self._audit

    def _counter(self, effect: fx.RecordCounterMode) -> None:
        def job() -> bool:
            audit = self._audit_log()
            if audit is None:
                return False
            details = {"action": effect.action, **({"reason": effect.reason} if effect.reason else {})}
            audit.record("counter_mode", staff=effect.staff_number, details=details)
            return True

        def done(ok: bool | None, error: BaseException | None) -> None:
            if error is not None or not ok:
                log.error("counter mode %s not audited: %s", effect.action, type(error).__name__ if error else "no audit log")
            if effect.action == "start":
                self._post(ev.CounterModeRecorded(bool(ok) and error is None))

        self._store.submit(job, done, timeout=self._timeout, name="counter-audit")

    def audit_application(self, app: Any) -> None:
        """Store thread, right after `app` was stored: its "proxy" and "counter_mode" entries. A
        failure is logged (the application is safe; the back office sees who applied in it)."""
        if app.proxy is None and app.counter_staff is None:
            return
        try:
            audit = self._audit_log()
            if audit is None:
                log.error("application %s: no audit log for its assisted entries", app.number)
                return
            if app.proxy is not None:
                audit.record("proxy", staff=app.counter_staff, ref=app.number,
                             details={"relationship": app.proxy.relationship,
                                      "authorisation": app.proxy.authorisation})
            if app.counter_staff is not None:
                audit.record("counter_mode", staff=app.counter_staff, ref=app.number,
                             details={"action": "application"})
        except Exception as exc:  # noqa: BLE001 - the application is stored; only its audit entries failed
            log.error("application %s: assisted audit entries failed: %s", app.number, type(exc).__name__)
