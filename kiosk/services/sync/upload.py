"""The outbox, emptied a batch at a time: `Syncer` uploads pending applications (sealed for the
back office) and records each answer; it also runs the status and catalogue pulls on the same
store connection, so that one object holds a sync round's state.

Exactly once: the outbox row of an application is deleted only in the transaction that records
the back office's answer, so a crash anywhere leaves it pending and it is sent again; the back
office answers a resend of the same content "duplicate", which counts as success here."""
from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.services.datafolder import DataFolder
from kiosk.services.feedback_store import FeedbackStore
from kiosk.services.notify.outbox import NotificationOutbox, NotifyPolicy, SendReport
from kiosk.services.notify.port import Notifier
from kiosk.services.storage import Storage
from kiosk.services.sync import protocol as proto
from kiosk.services.sync.catalogue_pull import pull_catalogue
from kiosk.services.sync.client import SyncClient, TooLargeSyncError, TransientSyncError, backoff_delay
from kiosk.services.sync.feedback_upload import upload_feedback
from kiosk.services.sync.settings import SyncSettings
from kiosk.services.sync.status_pull import pull_status
from kiosk.services.sync.staff_audit import exchange_staff_and_audit

if TYPE_CHECKING:
    from kiosk.services.receipts.signer import ReceiptSigner

log = logging.getLogger(__name__)

# The back office refuses an application for what it holds (malformed, does not decrypt, ...),
# which sending it again will not change; but a back office deployed with a fault could refuse
# everything for a while, so an application is set aside only after this many refusals.
REFUSALS_BEFORE_SET_ASIDE = 3


@dataclass
class BatchReport:
    sent: int = 0
    created: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    set_aside: int = 0           # refused REFUSALS_BEFORE_SET_ASIDE times: not sent again until staff ask
    more: bool = False           # a full batch went: there may be more due now

    @property
    def acknowledged(self) -> int:
        return self.created + self.duplicate + self.conflict


@dataclass
class DrainReport:
    batches: int = 0
    created: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    errors: int = 0
    remaining: int = 0           # still pending, those set aside included
    set_aside: int = 0           # of them, set aside after repeated refusals (staff: kiosk sync status)
    last_error: str | None = None
    seconds: float = 0.0

    def add(self, b: BatchReport) -> None:
        self.batches += 1
        self.created += b.created
        self.duplicate += b.duplicate
        self.conflict += b.conflict
        self.rejected += b.rejected

    def as_dict(self) -> dict:
        return asdict(self)


class Syncer:
    """The sync steps on one Storage connection. Every method runs on the thread that opened that
    connection (the "sync" thread, or the main thread of `kiosk sync now`) and may block on
    SQLite (its busy timeout) and on one HTTP call at a time (`request_timeout_seconds`).
    `data_dir` is the kiosk's data folder, where a pulled catalogue is kept (None: not kept)."""

    def __init__(self, storage: Storage, client: SyncClient, settings: SyncSettings, *, data_dir: Path | None = None,
                 clock: Callable[[], datetime] = datetime.now, rng: random.Random | None = None,
                 on_catalogue: Callable[[Path, Any], None] | None = None,
                 on_progress: Callable[[str, int], None] | None = None,
                 notifier: Notifier | None = None, notify_policy: NotifyPolicy | None = None,
                 receipts: ReceiptSigner | None = None) -> None:
        self.storage = storage
        self.receipts = receipts       # the receipt key: check codes in the upload, key registration
        self.client = client
        self.settings = settings
        self.folder = DataFolder(data_dir) if data_dir else None
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - back-off jitter, not a secret
        self._recipient = settings.encryption_public()
        self._backoffice = settings.signing_public()
        self._on_catalogue = on_catalogue
        self._on_progress = on_progress or (lambda stage, n: None)   # ("sending", n), ("recorded", n)
        self._error_recorded = True    # unknown at start: look once
        self.feedback = FeedbackStore(storage)
        self.notifier = notifier       # None: no text messages, none even queued
        self.notices = NotificationOutbox(storage, notify_policy or NotifyPolicy(), self._rng) if notifier else None

    # uploads -------------------------------------------------------------------------------
    def upload_batch(self) -> BatchReport:
        """Send one batch of due applications; record each answer. Raises TransientSyncError
        (nothing recorded then: the batch stays pending and is sent again)."""
        now = self._clock()
        pending = self.storage.pending_records(self.settings.batch_size, now)
        more = len(pending) >= self.settings.batch_size
        size = 0
        for i, p in enumerate(pending):          # keep each request (and the kiosk's memory) small
            size += len(p.record)
            if i and size > self.settings.batch_max_bytes:
                del pending[i:]
                more = True
                break
        report = BatchReport(sent=len(pending), more=more)
        if not pending:
            return report
        envelopes = [proto.seal_envelope(self._recipient, p.number, self._with_check_code(p.number, p.record))
                     for p in pending]
        del pending[:]   # plaintext records: drop them as soon as they are sealed
        self._on_progress("sending", len(envelopes))
        results = self._send(envelopes)
        by_number = {r.get("number"): r for r in results if isinstance(r, dict)}
        done: list[tuple[str, str]] = []
        rejected: dict[str, str] = {}
        for env in envelopes:
            r = by_number.get(env["number"])
            outcome = r.get("result") if r else None
            if outcome in ("created", "duplicate", "conflict"):
                done.append((env["number"], outcome))
                setattr(report, outcome, getattr(report, outcome) + 1)
            else:
                rejected[env["number"]] = str((r or {}).get("detail") or "no answer for this application")[:200]
        when = self._clock()
        if done:
            self.storage.mark_synced(done, when)     # also records the contact time
            self._on_progress("recorded", len(done))
        if rejected:
            report.rejected = len(rejected)
            log.warning("back office refused %d application(s), e.g. %s", len(rejected), next(iter(rejected.values())))
            # Each refused application waits by its own back-off so it cannot block the rest, and
            # after repeated refusals it is set aside for staff rather than sent for ever.
            for attempts, group in _group_by_attempts(self.storage, list(rejected)).items():
                if attempts + 1 >= REFUSALS_BEFORE_SET_ASIDE:
                    for number in group:
                        self.storage.set_aside([number], "refused: " + rejected[number], when)
                    report.set_aside += len(group)
                    log.error("%d application(s) set aside after %d refusals by the back office (e.g. %s); "
                              "see kiosk sync status", len(group), attempts + 1, rejected[group[0]])
                    continue
                delay = backoff_delay(attempts + 1, self.settings.backoff_base_seconds,
                                      self.settings.backoff_max_seconds, self._rng)
                self.storage.mark_attempt_failed(group, "refused: " + rejected[group[0]], when + timedelta(seconds=delay))
        if report.conflict:
            log.warning("%d application(s) differ from the back office's copy; kept there for review", report.conflict)
        return report

    def _with_check_code(self, number: str, record: bytes) -> bytes:
        return proto.with_check_code(record, number, self.receipts.check_code if self.receipts else None)

    def _send(self, envelopes: list[dict]) -> list[Any]:
        """The back office's per-application results. A batch too large for it (413) goes again
        one application at a time; one that is too large alone is answered "rejected" here, so
        it is set aside like any refused application instead of blocking the outbox."""
        try:
            answer = self.client.call("POST", "/v1/applications/batch", {"applications": envelopes})
        except TooLargeSyncError as exc:
            if len(envelopes) == 1:
                return [{"number": envelopes[0]["number"], "result": "rejected", "detail": str(exc)}]
            return [r for env in envelopes for r in self._send([env])]
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list):
            raise TransientSyncError("an answer without results")
        return results

    def drain(self, deadline: float, stop: threading.Event | None = None) -> DrainReport:
        """Upload until nothing is due or `deadline` (monotonic) passes, backing off on errors."""
        t0 = time.monotonic()
        report = DrainReport()
        failures = 0
        stop = stop or threading.Event()
        while time.monotonic() < deadline and not stop.is_set():
            try:
                b = self.upload_batch()
            except TransientSyncError as exc:
                failures += 1
                report.errors += 1
                report.last_error = str(exc)
                self.record_error(str(exc))
                delay = backoff_delay(failures, self.settings.backoff_base_seconds, self.settings.backoff_max_seconds,
                                      self._rng)
                stop.wait(max(0.0, min(delay, deadline - time.monotonic())))
                continue
            failures = 0
            report.add(b)
            if not b.more:
                break
        self.clear_error()
        counts = self.storage.sync_counts()
        report.remaining, report.set_aside = counts.pending, counts.set_aside
        report.seconds = time.monotonic() - t0
        return report

    def record_error(self, message: str) -> None:
        self.storage.set_meta("sync.last_error", f"{self._clock().replace(microsecond=0).isoformat()} {message}"[:240])
        self._error_recorded = True

    def clear_error(self) -> None:
        if self._error_recorded and self.storage.get_meta("sync.last_error") is not None:
            self.storage.set_meta("sync.last_error", None)
        self._error_recorded = False

    # retention ------------------------------------------------------------------------------
    def purge_expired(self) -> int:
        """Delete the personal data of applications the back office confirmed more than
        `retention_days` ago (Storage.purge_confirmed); pending ones are never touched."""
        now = self._clock()
        purged = self.storage.purge_confirmed(now - timedelta(days=self.settings.retention_days), now)
        if purged:
            log.info("retention: deleted the personal data of %d application(s) the back office confirmed "
                     "over %g day(s) ago", purged, self.settings.retention_days)
        return purged

    # pulls (kiosk/services/sync/status_pull.py, catalogue_pull.py) -----------------------------
    def pull_status(self, page: int = 500, max_pages: int = 20) -> int:
        """Fetch status changes for this kiosk's applications since the stored cursor."""
        return pull_status(self.storage, self.client, self._clock, page=page, max_pages=max_pages,
                           outbox=self.notices)

    # ratings and text messages (feedback_upload.py, kiosk/services/notify/outbox.py) ------------
    def upload_feedback(self) -> int:
        """Send one batch of the citizens' ratings; how many the back office answered for. A
        failure is logged and left for the next round: ratings must never hold up the status
        pull or the applications (each rating keeps its outbox row until answered)."""
        try:
            return upload_feedback(self.feedback, self.client, self.settings, self._clock, self._rng)
        except TransientSyncError as exc:
            log.warning("ratings not sent this time: %s", exc)
            return 0

    def send_notifications(self) -> SendReport:
        """Send the text messages that are due (none without a notifier). Never raises for a
        gateway's failure: each message keeps its own back-off."""
        if self.notifier is None or self.notices is None:
            return SendReport()
        return self.notices.send_due(self.notifier, self._clock())

    def pull_catalogue(self) -> int | None:
        """Fetch, verify and keep the back office's catalogue if it is newer than ours."""
        return pull_catalogue(self.storage, self.client, self._backoffice, self._clock, self.folder,
                              self._on_catalogue)

    def staff_and_audit(self) -> dict[str, Any]:
        """Send the audit trail and pull the staff list (kiosk/services/sync/staff_audit.py).
        Never raises for the back office's answers: what went wrong is in the result and the store."""
        return exchange_staff_and_audit(self.storage, self.client, self._backoffice, self._clock)
    def pull_trust(self) -> bool:
        """Register this kiosk's receipt key (once) and pull the receipt-key trust list
        (kiosk/services/sync/trust_pull.py); False when there is nothing to do or it is unchanged."""
        from kiosk.services.sync.trust_pull import pull_trust_list, register_receipt_key
        if self.receipts is not None:
            register_receipt_key(self.storage, self.client, self.receipts)
        if self.folder is None:
            return False
        return pull_trust_list(self.storage, self.client, self._backoffice, self.folder, self._clock)


def _group_by_attempts(storage: Storage, numbers: list[str]) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {}
    for number, attempts in storage.outbox_attempts(numbers):
        groups.setdefault(attempts, []).append(number)
    return groups
