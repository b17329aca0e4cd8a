"""The scan-to-check session's device and service work (issue 14 part 3), for kiosk/runtime.py.

Two owner threads, like the face check's:
  worker-scan      the camera's frames: zxing-cpp on the newest frame (kiosk/services/progress/qr.py),
                   each receipt QR verified offline against this kiosk's trust (its own receipt key
                   plus the last pulled trust list); then the lookups in the kiosk's public
                   summaries, on its own store connection (one connection per thread)
  worker-progress  the back office's newest statuses (a signed HTTP call, bounded by its timeout)
Results go back to the GUI thread as flow events through `post`. A scan is cancelled between
frames; every job has a timeout. No Qt.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.devices.ports import Camera
from kiosk.domain import progress as pg
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.flows import messages as msg
from kiosk.services.jobs import CancelToken, Worker

log = logging.getLogger(__name__)

SCAN_SECONDS = 300.0          # a scan longer than any session (the flow's timeout ends it first)


@dataclass(frozen=True)
class ScanSetup:
    """What the composition gives the scan: the camera to read receipts from (built on first
    use), the receipt keys to trust (read on the scan worker, once per scan), and, when a back
    office is enrolled, a signed client factory `online(timeout)` for the newest statuses."""

    camera: Callable[[], Camera] | None
    trust: Callable[[], Mapping[str, Any]]
    online: Callable[[float], Any] | None = None
    online_timeout: float = 5.0
    frame_budget: float = 0.15          # seconds one frame's decode may take (qr.FrameReader)


def to_check(verdict: Any) -> pg.ReceiptCheck:
    """A seal.ReceiptVerdict as the flow's ReceiptCheck (only a genuine one carries its summary)."""
    s = verdict.summary
    if not verdict.genuine or s is None:
        return pg.ReceiptCheck(verdict.status if verdict.status in pg.CHECK_STATUSES else pg.UNREADABLE)
    items = tuple(pg.DepartmentProgress(i.item_id, i.department, i.due.isoformat(), i.approximate, None)
                  for i in s.items)
    return pg.ReceiptCheck(pg.GENUINE, pg.ReceiptProgress(s.number, s.bundle_title, s.check_code, items, None,
                                                          pg.FROM_RECEIPT))


class ReceiptScanner:
    def __init__(self, setup: ScanSetup | None, open_storage: Callable[[], Any],
                 post: Callable[[ev.Event], None]) -> None:
        self._setup = setup
        self._open_storage = open_storage
        self._post = post
        self._scan_worker = Worker("scan")
        self._online_worker = Worker("progress")
        self._lock = threading.Lock()
        self._camera: Camera | None = None
        self._cancel: CancelToken | None = None
        self._storage: Any = None

    # --- GUI thread ------------------------------------------------------------------------------
    def current_camera(self) -> Camera | None:
        """The camera of the scan in progress, for the preview. Any thread."""
        with self._lock:
            return self._camera if self._cancel is not None else None

    def start(self, effect: fx.StartReceiptScan) -> None:
        """Camera on and frames read on worker-scan; returns at once. GUI thread."""
        self.stop()
        setup = self._setup
        if setup is None or setup.camera is None:
            log.info("no camera for receipt scanning: only typing the number or check code works")
            return
        with self._lock:
            if self._camera is None:
                self._camera = setup.camera()
            camera, token = self._camera, CancelToken()
            self._cancel = token
        camera.start()
        self._scan_worker.submit(lambda: self._scan(effect.attempt, camera, token, setup), self._scan_done,
                                 timeout=SCAN_SECONDS + 10.0, name="scan")

    def stop(self) -> None:
        """Cancel the scan and stop the camera; never blocks. GUI thread (and shutdown)."""
        with self._lock:
            token, self._cancel = self._cancel, None
            camera = self._camera
        if token is not None:
            token.set()
            if camera is not None:
                camera.stop()

    def look_up(self, effect: fx.LookUpProgress) -> None:
        """The kiosk's copy on worker-scan, then the back office's on worker-progress. GUI thread."""
        online = self._setup.online if self._setup is not None else None
        attempt = effect.attempt

        def local() -> tuple[pg.ReceiptProgress | None, str | None, str | None]:
            from kiosk.services.progress.summaries import find_progress
            from kiosk.services.receipts.checkcode import normalize_check_code
            number, code = effect.number, effect.check_code
            if effect.typed is not None:
                code = normalize_check_code(effect.typed)
                if code is None:
                    return None, None, None
            found = find_progress(self._db().connection, number=number, check_code=None if number else code)
            return found, number or (found.number if found else None), code or (found.check_code if found else None)

        def local_done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                log.error("looking up a receipt's progress failed: %s", type(error).__name__)
                result = (None, effect.number, effect.check_code)
            found, number, code = result
            if effect.typed is not None and number is None and code is None:
                self._post(ev.ProgressNotFound(attempt, msg.TYPED_FORMAT))
                return
            if online is None:
                self._post(ev.ProgressFound(attempt, found) if found else
                           ev.ProgressNotFound(attempt, msg.PROGRESS_NOT_FOUND))
                return
            if found is not None:
                self._post(ev.ProgressFound(attempt, found, final=False))
            self._online_worker.submit(lambda: self._ask(online, number, code), lambda r, e: online_done(r, e, found),
                                       timeout=self._setup.online_timeout + 2.0 if self._setup else 7.0, name="ask")

        def online_done(newest: Any, error: BaseException | None, found: pg.ReceiptProgress | None) -> None:
            if error is not None:
                log.info("the back office could not be asked for progress: %s", type(error).__name__)
                self._post(ev.ProgressOffline(attempt))
            elif newest is None:
                self._post(ev.ProgressNotFound(attempt, msg.PROGRESS_NOT_FOUND))
            else:
                self._post(ev.ProgressFound(attempt, newest.merged_with(found)))

        self._scan_worker.submit(local, local_done, timeout=10.0, name="lookup")

    def shutdown(self, deadline: float) -> bool:
        """Stop the scan and end both threads within `deadline` s; True if they ended."""
        end = time.monotonic() + deadline
        self.stop()
        self._scan_worker.submit(self._close_storage, lambda r, e: None, timeout=2.0, name="close")
        ok = self._scan_worker.shutdown(max(0.1, end - time.monotonic()))
        ok = self._online_worker.shutdown(max(0.1, end - time.monotonic())) and ok
        with self._lock:
            camera = self._camera
        if camera is not None:
            ok = camera.join(max(0.1, end - time.monotonic())) and ok
        return ok

    # --- worker-scan -------------------------------------------------------------------------------
    def _scan(self, attempt: int, camera: Camera, token: CancelToken, setup: ScanSetup) -> None:
        """Read frames until a genuine receipt is found, the scan is cancelled or SCAN_SECONDS pass.
        Each refusal is posted once per distinct QR text (a receipt held still is not refused
        thirty times a second); the camera keeps looking after one."""
        from kiosk.services.progress.qr import FrameReader
        from kiosk.services.receipts.seal import verify_receipt_payload
        trust = setup.trust()
        reader = FrameReader(budget=setup.frame_budget)
        said: set[str] = set()
        last_seq, end = -1, time.monotonic() + SCAN_SECONDS
        while not token.is_set() and time.monotonic() < end:
            frame = camera.latest()
            if frame is None or frame.seq == last_seq:
                time.sleep(0.01)
                continue
            last_seq = frame.seq
            ours, others = reader.receipt_texts(frame.image)
            for text in ours:
                if text in said:
                    continue
                said.add(text)
                check = to_check(verify_receipt_payload(text, trust))
                log.info("receipt QR read: %s", check.status)
                if token.is_set():
                    return
                self._post(ev.ReceiptScanned(attempt, check))
                if check.status == pg.GENUINE:
                    return
            for text in others[:1]:
                if text not in said and not ours:
                    said.add(text)
                    self._post(ev.ReceiptScanned(attempt, pg.ReceiptCheck(pg.UNREADABLE)))

    def _scan_done(self, _result: object, error: BaseException | None) -> None:
        if error is not None:
            log.error("the receipt scan failed: %s", type(error).__name__)

    def _db(self) -> Any:
        if self._storage is None:
            self._storage = self._open_storage()
        return self._storage

    def _close_storage(self) -> None:
        if self._storage is not None:
            self._storage.close()
            self._storage = None

    # --- worker-progress -----------------------------------------------------------------------------
    def _ask(self, online: Callable[[float], Any], number: str | None, code: str | None) -> pg.ReceiptProgress | None:
        from kiosk.services.progress.online import fetch_progress
        client = online(self._setup.online_timeout if self._setup else 5.0)
        try:
            return fetch_progress(client, number=number, check_code=code)
        finally:
            client.close()
