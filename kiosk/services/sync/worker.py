"""The "sync" thread: the citizen never waits for the back office.

`SyncWorker` opens its OWN Storage connection, uploads until nothing is pending, pulls status
changes and the catalogue every `interval_seconds`, backs off exponentially with jitter on
network errors, wakes on `sync_now`, re-evaluates the freeze rule after every round, and stops
within `stop(deadline)`. The GUI only calls `start/stop/sync_now/nudge/snapshot`.
"""
from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.services.catalogue_store import CatalogueRefused
from kiosk.services.datafolder import DataFolder
from kiosk.services.notify.outbox import NotifyPolicy
from kiosk.services.notify.port import Notifier
from kiosk.services.storage import Storage
from kiosk.services.sync.client import SyncClient, TransientSyncError, backoff_delay
from kiosk.services.sync.freeze import FreezeState, freeze_state
from kiosk.services.sync.settings import SyncSettings, load_sync_settings
from kiosk.services.sync.upload import Syncer

log = logging.getLogger(__name__)

THREAD_NAME = "sync"
# How often the retention purge runs besides after each delivery (retention is counted in days).
PURGE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True)
class SyncSnapshot:
    state: str                    # "starting" | "idle" | "uploading" | "backing-off" | "stopped" | "not-configured"
    consecutive_failures: int = 0
    last_error: str | None = None
    last_success: float | None = None     # time.time() of the last acknowledged batch or pull
    uploaded: int = 0                     # acknowledged by the back office since start
    catalogue_error: str | None = None


@dataclass
class _Shared:
    state: str = "starting"
    failures: int = 0
    last_error: str | None = None
    last_success: float | None = None
    uploaded: int = 0
    catalogue_error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class SyncWorker:
    """The sync thread. `start`, `sync_now`, `nudge`, `snapshot` and `stop` may be called from
    any thread and never block (except `stop`, which joins within its deadline).

    The thread (named "sync") opens its own Storage connection, uploads while anything is due,
    pulls status changes and the catalogue every `interval_seconds`, and after a network error
    waits `backoff_delay(...)` before the next try. After every round it re-evaluates the
    freeze rule and calls `on_freeze(FreezeState)` when the answer changed (on the sync thread:
    the listener must hand it on, e.g. to the GUI thread, and return at once). Every wait is an
    Event wait with a timeout; an HTTP call in flight ends within the request timeout."""

    def __init__(self, *, open_storage: Callable[[], Storage], make_client: Callable[[], SyncClient],
                 settings: SyncSettings, data_dir: Path | None = None, clock: Callable[[], datetime] = datetime.now,
                 rng: random.Random | None = None, on_catalogue: Callable[[Path, Any], None] | None = None,
                 on_change: Callable[[SyncSnapshot], None] | None = None,
                 on_progress: Callable[[str, int], None] | None = None,
                 on_freeze: Callable[[FreezeState], None] | None = None,
                 on_backlog: Callable[[int, str | None], None] | None = None,
                 notifier: Notifier | None = None, notify_policy: NotifyPolicy | None = None,
                 receipts: Any = None) -> None:
        self._open_storage = open_storage
        self._receipts = receipts              # a ReceiptSigner (receipts/signer.py), a factory of one, or None
        self._make_client = make_client
        self.settings = settings
        self._data_dir = data_dir
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - back-off jitter, not a secret
        self._on_catalogue = on_catalogue
        self._on_change = on_change
        self._on_progress = on_progress
        self._on_freeze = on_freeze
        self._last_freeze: FreezeState | None = None
        self._on_backlog = on_backlog          # (pending, oldest enqueued_at) for the staff line
        self._notifier = notifier              # text messages to citizens (kiosk/services/notify/)
        self._notify_policy = notify_policy
        self._last_backlog: tuple[int, str | None] | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._force = threading.Event()      # sync_now: try at once even while backing off
        self._shared = _Shared()
        self._next_purge = 0.0               # monotonic time of the next retention purge
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def sync_now(self) -> None:
        """Try at once (resets the back-off). Never blocks."""
        with self._shared.lock:
            self._shared.failures = 0
        self._force.set()
        self._wake.set()

    def nudge(self) -> None:
        """Something new is pending (a citizen just submitted): upload soon unless the worker is
        backing off after errors, and re-check the freeze rule. Never blocks."""
        self._wake.set()

    def stop(self, deadline: float = 5.0) -> bool:
        """Ask the thread to stop and join it within `deadline` seconds. True if it ended.
        An HTTP call in flight ends within the request timeout at the latest."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(max(0.0, deadline))
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def snapshot(self) -> SyncSnapshot:
        s = self._shared
        with s.lock:
            return SyncSnapshot(s.state, s.failures, s.last_error, s.last_success, s.uploaded, s.catalogue_error)

    def _set(self, **kw: Any) -> None:
        with self._shared.lock:
            for k, v in kw.items():
                setattr(self._shared, k, v)
        if self._on_change is not None:
            try:
                self._on_change(self.snapshot())
            except Exception:  # logged with its traceback: a broken listener must not stop sync
                log.exception("sync listener failed")

    def _run(self) -> None:
        try:
            storage = self._open_storage()     # this thread's own connection
        except Exception:
            log.exception("sync: cannot open the store")
            self._set(state="stopped", last_error="cannot open the store")
            return
        client = None
        try:
            self._check_freeze(storage)        # before the first (possibly slow) network call
            client = self._make_client()
            syncer = Syncer(storage, client, self.settings, data_dir=self._data_dir, clock=self._clock,
                            rng=self._rng, on_catalogue=self._on_catalogue, on_progress=self._on_progress,
                            notifier=self._notifier, notify_policy=self._notify_policy,
                            receipts=self._receipts() if callable(self._receipts) else self._receipts)
            self._loop(syncer)
        except Exception:  # logged with its traceback: never let the thread die silently
            log.exception("sync thread failed")
            self._set(last_error="internal error (see log)")
        finally:
            if client is not None:
                client.close()
            if self._notifier is not None:
                self._notifier.close()
            storage.close()
            self._set(state="stopped")

    def _check_freeze(self, storage: Storage) -> None:
        if self._on_backlog is not None:
            counts = storage.sync_counts()
            backlog = (counts.pending, counts.pending_since)
            if backlog != self._last_backlog:
                self._last_backlog = backlog
                try:
                    self._on_backlog(*backlog)
                except Exception:  # logged with its traceback: a broken listener must not stop sync
                    log.exception("backlog listener failed")
        if self._on_freeze is None:
            return
        state = freeze_state(storage, self.settings, self._clock())
        if state != self._last_freeze:
            self._last_freeze = state
            if state.frozen:
                log.warning("sync: new applications paused: %s", "; ".join(r.en for r in state.reasons))
            try:
                self._on_freeze(state)
            except Exception:  # logged with its traceback: a broken listener must not stop sync
                log.exception("freeze listener failed")

    def _loop(self, syncer: Syncer) -> None:
        # here, on the sync thread: the receipt modules (pycose, reportlab) stay out of start-up
        from kiosk.services.receipts.trust import TrustListRefused
        next_pull = 0.0      # monotonic time of the next status/catalogue pull
        next_try = 0.0       # monotonic time of the next upload attempt (back-off or idle poll)
        backing_off = False
        while not self._stop.is_set():
            self._purge(syncer)
            if time.monotonic() >= next_try:
                try:
                    self._set(state="uploading")
                    b = syncer.upload_batch()
                    if b.acknowledged:
                        with self._shared.lock:
                            self._shared.uploaded += b.acknowledged
                        self._next_purge = 0.0       # just delivered: purge at the next turn
                    if b.more:
                        self._succeeded(syncer)
                        self._check_freeze(syncer.storage)
                        continue                     # more is due now: no wait
                    syncer.upload_feedback()
                    if time.monotonic() >= next_pull:
                        syncer.pull_status()
                        syncer.staff_and_audit()     # audit trail up, staff list down (never raises)
                        syncer.send_notifications()
                        try:
                            syncer.pull_catalogue()
                            self._set(catalogue_error=None)
                        except CatalogueRefused as exc:
                            log.error("catalogue refused: %s", exc)
                            self._set(catalogue_error=str(exc))
                        try:
                            syncer.pull_trust()
                        except TrustListRefused as exc:
                            log.error("receipt-key trust list refused: %s", exc)
                        except TransientSyncError as exc:
                            # an older back office without the endpoint must not stop uploads
                            log.warning("receipt-key trust list not pulled: %s", exc)
                        next_pull = time.monotonic() + self.settings.interval_seconds
                    self._succeeded(syncer)
                    self._set(state="idle")
                    backing_off = False
                    next_try = time.monotonic() + self.settings.interval_seconds
                except TransientSyncError as exc:
                    with self._shared.lock:
                        self._shared.failures += 1
                        failures = self._shared.failures
                    wait = backoff_delay(failures, self.settings.backoff_base_seconds,
                                         self.settings.backoff_max_seconds, self._rng)
                    log.warning("sync failed (%s); retry in %.1fs", exc, wait)
                    syncer.record_error(str(exc))
                    self._set(state="backing-off", last_error=str(exc))
                    backing_off = True
                    next_try = time.monotonic() + wait
            self._check_freeze(syncer.storage)
            self._wake.wait(max(0.01, next_try - time.monotonic()))
            if self._wake.is_set():
                self._wake.clear()
                if self._force.is_set() or not backing_off:   # sync_now, or a nudge while healthy
                    self._force.clear()
                    next_try = 0.0

    def _purge(self, syncer: Syncer) -> None:
        """The retention purge, at most every PURGE_EVERY_SECONDS unless something was delivered.
        It needs no network: it runs while the back office is unreachable too."""
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + PURGE_EVERY_SECONDS
        try:
            syncer.purge_expired()
        except sqlite3.Error as exc:       # e.g. the store busy for its whole timeout: next time
            log.warning("retention purge failed: %s", exc)

    def _succeeded(self, syncer: Syncer) -> None:
        if self._shared.failures or self._shared.last_error:
            syncer.clear_error()
        self._set(failures=0, last_error=None, last_success=time.time())


# --- wiring helpers for the composition root and the command line -------------------------------
def make_worker(folder: DataFolder | Path, kiosk_id: str, settings: SyncSettings | None = None,
                open_storage: Callable[[], Storage] | None = None, **kw: Any) -> SyncWorker | None:
    """A SyncWorker for the kiosk whose data folder is `folder` (a DataFolder, or the data
    folder's path with its keys in the default place); None when no back office is configured."""
    from kiosk.services.crypto import RecordCipher
    from kiosk.services.keystore import load_receipt_key, load_signing_key, load_storage_key

    files = folder if isinstance(folder, DataFolder) else DataFolder(Path(folder))
    settings = settings or load_sync_settings(files.root)
    if not settings.configured:
        return None
    key = load_signing_key(files)
    backoffice = settings.signing_public()
    if open_storage is None:
        def open_storage() -> Storage:
            return Storage(files.db, RecordCipher(load_storage_key(files)))

    def make_client() -> SyncClient:
        return SyncClient(settings.url, kiosk_id, key, backoffice, timeout=settings.request_timeout_seconds)

    def receipts() -> Any:          # on the sync thread (kiosk/services/receipts imports pycose)
        from kiosk.services.receipts.signer import ReceiptSigner
        return ReceiptSigner(load_receipt_key(files))
    kw.setdefault("receipts", receipts)
    return SyncWorker(open_storage=open_storage, make_client=make_client, settings=settings, data_dir=files.root, **kw)
