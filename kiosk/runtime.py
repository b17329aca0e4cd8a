"""Runs the flow's effects on device and service threads and posts results back as events.

No Qt here: `post` is whatever the UI gives us to hand an event to the GUI thread (its
`run_on_main` bridge); tests pass a thread-safe list. Threads, one owner per device:
  card   - a loop that waits for insert/removal with a timeout and runs reads on request;
  face   - camera + verifier jobs; a new check cancels the previous one;
  records - looks up what the government holds for the citizen just read (network I/O for a
           real back office); the journey never waits for it;
  store  - the only thread that touches the SQLite connection;
  print  - renders and prints receipts;
  health - (when [health] interval_seconds > 0) the staff's health checks every few minutes;
           the report goes to the attract screen's staff line, never through the flow;
  sync   - (when a back office is enrolled) uploads applications, pulls status changes and the
           catalogue, and reports the freeze rule (kiosk/services/sync/); the citizen never
           waits for it: a stored application only nudges it.
"""
from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kiosk.devices.government import GovernmentRecords, NoGovernmentRecords, RecordsError
from kiosk.devices.identity import IdentityService, NoIdentityService
from kiosk.devices.ports import AccessKey, AccessKeyRequired, Camera, CardError, CardReader, DeviceError, DocumentCamera, FaceVerifier, Printer
from kiosk.domain import rating
from kiosk.domain.catalogue import Catalogue
from kiosk.domain.government import GovernmentData
from kiosk.domain.text import Text
from kiosk.i18n import tr
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.runtime_assist import AssistDesk
from kiosk.services.feedback_store import FeedbackStore
from kiosk.runtime_staff import StaffDesk
from kiosk.receipt_scan import ReceiptScanner, ScanSetup
from kiosk.services.jobs import CancelToken, JobTimeout, Worker

log = logging.getLogger(__name__)

KEY_REFUSED = tr("输入的证件信息格式不对，请核对后重试。")
CARD_TIMEOUT = tr("读取证件超时，请取下证件后重新放置。", "runtime")
STORE_FAILED = tr("保存申请时出现问题，您填写的内容仍在。请再按一次“提交”，如仍不成功请联系工作人员。")
PRINT_TIMEOUT = tr("打印机没有响应。")
PRINT_FAILED = tr("打印机出现故障。")
CAPTURE_UNAVAILABLE = tr("暂时无法拍照，请联系工作人员。")
FACE_TIMEOUT = tr("未能完成人脸核验，请正对屏幕后重试。")


@dataclass
class Devices:
    card_reader: CardReader
    camera_for: Callable[[bytes], Camera]     # which camera to use for a chip photo (the demo picks per citizen)
    face: FaceVerifier
    printer: Printer
    documents: DocumentCamera | None = None
    records: GovernmentRecords = field(default_factory=NoGovernmentRecords)   # government records lookup
    identity: IdentityService = field(default_factory=NoIdentityService)      # reference photos (no card)


@dataclass(frozen=True)
class Timeouts:
    card_read: float = 20.0
    face_check: float = 12.0
    store: float = 15.0
    print: float = 30.0


class Runtime:
    def __init__(self, *, devices: Devices, catalogue: Callable[[], Catalogue], kiosk_id: str,
                 open_storage: Callable[[], Any], render_receipt: Callable[[Any], bytes],
                 post: Callable[[ev.Event], None], timeouts: Timeouts = Timeouts(),
                 clock: Callable[[], datetime] = datetime.now,
                 make_sync: Callable[..., Any] | None = None, health: Any = None,
                 open_staff: Callable[[Any], Any] | None = None, check_health: Callable[[], Any] | None = None,
                 override_flag_per_day: int = 5, data_dir: Any = None,
                 scanning: ScanSetup | None = None,
                 open_face_failures: Callable[[], Any] | None = None) -> None:
        """`health`: the HealthMonitor thread (kiosk/services/health.py) or None; `open_staff(storage)`
        gives the staff services on the store thread's connection (kiosk/compose.py);
        `check_health()` the health report for the staff console (runtime_staff.py); `scanning`:
        the scan-to-check setup (kiosk/compose_scan.py); `open_face_failures()` -> a FaceFailures
        on a new connection (kiosk/services/face_failures.py), opened and closed by each face check
        on the face worker; None: failed checks are counted per session only."""
        self.devices = devices
        self._catalogue = catalogue
        self._kiosk_id = kiosk_id
        self._open_storage = open_storage
        self._render_receipt = render_receipt
        self._post = post
        self._timeouts = timeouts
        self._clock = clock
        self._open_face_failures = open_face_failures
        self._run_id = secrets.token_hex(8)   # with the session's attempt number: one submission key per session
        self._storage: Any = None
        self._face_worker = Worker("face")
        self._store_worker = Worker("store")
        self._print_worker = Worker("print")
        self._records_worker = Worker("records")
        self._card_requests: queue.Queue[fx.ReadCard | fx.ReadStaffCard] = queue.Queue()
        self._stop = threading.Event()
        self._card_thread = threading.Thread(target=self._card_loop, name="card", daemon=True)
        self._face_lock = threading.Lock()
        self._face_cancel: CancelToken | None = None
        self._camera: Camera | None = None
        self._released: list[Camera] = []   # stopped cameras whose capture thread may still be ending
        # make_sync(on_freeze=...) -> a SyncWorker or None (no back office enrolled)
        self._sync = make_sync(on_freeze=self._on_freeze, on_backlog=self._on_backlog) if make_sync is not None else None
        self._health = health       # a HealthMonitor (kiosk/services/health.py): the "health" thread, or None
        # Staff effects (help calls, sign-in, overrides): audit entries and PIN checks, on the store thread.
        self.staff = StaffDesk(store=self._store_worker, background=self._records_worker, db=self._db,
                               open_staff=open_staff, post=post, run_id=self._run_id,
                               override_flag_per_day=override_flag_per_day, health=check_health, data_dir=data_dir,
                               timeout=timeouts.store)
        # scan-to-check: worker-scan (frames, offline verify, the public summaries) and worker-progress
        self._scanner = ReceiptScanner(scanning, open_storage, post)
        # The assisted paths (issue 12 parts 4-6): reference photos on the records thread, audit on the store's.
        self.assist = AssistDesk(identity=devices.identity, store=self._store_worker, background=self._records_worker,
                                 db=self._db, open_staff=open_staff, post=post, timeout=timeouts.store)

    # --- lifecycle (GUI thread) -------------------------------------------------------------
    def start(self) -> None:
        """Start the threads; returns at once. GUI thread."""
        self._card_thread.start()
        self.assist.post_availability()
        # Load the face model now, not while the first citizen waits.
        self._face_worker.submit(self.devices.face.warm_up, lambda r, e: None, timeout=60.0, name="warm-up")
        if self._sync is not None:
            self._sync.start()
        if self._health is not None:
            self._health.start()

    def shutdown(self, deadline: float = 3.0) -> bool:
        """Stop every thread within `deadline` s; True if all ended. GUI thread, once, at exit:
        the one call there that waits (each join is bounded by what is left of the deadline)."""
        end = time.monotonic() + deadline

        def left() -> float:
            return max(0.1, end - time.monotonic())

        self._stop.set()
        self._stop_face()
        ok = True
        # Cut short the device calls in flight first, so their owner threads can end in time.
        for what, close in (("printer", self.devices.printer.close),
                            ("document camera", self.devices.documents.close if self.devices.documents else None),
                            ("face verifier", lambda: self.devices.face.close(min(2.0, left())))):
            try:
                if close is not None:
                    close()
            except Exception:  # shutdown goes on
                log.exception("closing the %s failed", what)
        if self._storage is not None:
            self._store_worker.submit(self._close_storage, lambda r, e: None, timeout=2.0, name="close")
        for w in (self._face_worker, self._store_worker, self._print_worker):
            ok = w.shutdown(left()) and ok
        with self._face_lock:
            released, self._released = self._released, []
        for camera in released:
            ok = camera.join(left()) and ok
        ok = self._records_worker.shutdown(left()) and ok
        if self._card_thread.is_alive():
            self._card_thread.join(left())
            ok = ok and not self._card_thread.is_alive()
        if self._sync is not None:
            ok = self._sync.stop(left()) and ok
        if self._health is not None:
            ok = self._health.stop(left()) and ok
        ok = self._scanner.shutdown(left()) and ok
        try:
            self.devices.card_reader.close()
        except Exception:
            log.exception("closing the card reader failed")
        return ok

    def current_camera(self) -> Camera | None:
        """The camera in use for the face check, for the preview. Any thread."""
        with self._face_lock:
            return self._camera

    def scan_camera(self) -> Camera | None:
        """The camera of the receipt scan in progress, for the scan screen's preview. Any thread."""
        return self._scanner.current_camera()

    # --- effects (GUI thread) ----------------------------------------------------------------
    def perform(self, effect: fx.Effect) -> None:
        """Start `effect` on its owner thread; returns at once. GUI thread: nothing here may block
        for more than a short lock (tests/unit/test_runtime.py measures it)."""
        if isinstance(effect, (fx.ReadCard, fx.ReadStaffCard)):
            self._card_requests.put(effect)
        elif isinstance(effect, fx.LookUpRecords):
            self._look_up_records(effect)
        elif isinstance(effect, fx.StartFaceCheck):
            self._start_face(effect)
        elif isinstance(effect, fx.StopFaceCheck):
            self._stop_face()
        elif isinstance(effect, fx.CaptureMaterial):
            self._capture_material(effect)
        elif isinstance(effect, fx.StoreApplication):
            self._store(effect)
        elif isinstance(effect, fx.PrintReceipt):
            self._print(effect)
        elif isinstance(effect, fx.SaveRating):
            when = self._clock()

            def rating_saved(_result: object, error: BaseException | None) -> None:
                if error is not None:
                    log.error("saving a rating failed: %s", type(error).__name__)
            feedback = rating.make_feedback(effect.number, effect.score, effect.items, effect.reasons,
                                            effect.callback, effect.items)
            self._store_worker.submit(lambda: FeedbackStore(self._db()).save(feedback, when),
                                      rating_saved, timeout=self._timeouts.store, name="rating")
        elif isinstance(effect, fx.STAFF_EFFECTS):
            self.staff.perform(effect)
        elif isinstance(effect, fx.StartReceiptScan):
            self._scanner.start(effect)
        elif isinstance(effect, fx.StopReceiptScan):
            self._scanner.stop()
        elif isinstance(effect, fx.LookUpProgress):
            self._scanner.look_up(effect)
        elif isinstance(effect, (fx.FetchReference, fx.RecordCounterMode)):
            self.assist.perform(effect)
        elif isinstance(effect, fx.WipeSession):
            self._scanner.stop()
            self.assist.post_availability()
            self._stop_face()
            self.devices.face.clear()
            self.devices.card_reader.set_access_key(None)   # the next card needs its own key
            while not self._card_requests.empty():
                self._card_requests.get_nowait()
        else:  # pragma: no cover - a new effect type without a handler is a programming error
            raise TypeError(f"unhandled effect {effect!r}")

    # --- sync ------------------------------------------------------------------------------------
    def _on_freeze(self, state: Any) -> None:
        """Sync thread: hand the freeze rule's answer to the flow (never blocks)."""
        self._post(ev.IntakeChanged(tuple(state.reasons) if state.frozen else ()))

    def _on_backlog(self, pending: int, since: str | None) -> None:
        """Sync thread: how many applications wait for the back office, since when (never blocks)."""
        self._post(ev.SyncBacklogChanged(pending, since))

    # --- card thread ---------------------------------------------------------------------------
    def _card_loop(self) -> None:
        reader = self.devices.card_reader
        present = False
        while not self._stop.is_set():
            try:
                if not present:
                    if reader.wait_for_insert(0.25):
                        present = True
                        self._post(ev.CardInserted())
                    continue
                try:
                    request = self._card_requests.get(timeout=0.05)
                except queue.Empty:
                    request = None
                if isinstance(request, fx.ReadStaffCard):
                    self._read_staff_card(reader)
                elif request is not None:
                    self._read_card(reader, request)
                if reader.wait_for_removal(0.2):
                    present = False
                    self._post(ev.CardRemoved())
            except Exception:  # the card thread must survive a reader glitch
                log.exception("card loop error")
                self._stop.wait(0.5)

    def _read_card(self, reader: CardReader, request: fx.ReadCard) -> None:
        attempt = request.attempt
        try:
            if request.can or request.document_number:
                reader.set_access_key(AccessKey(request.can, request.document_number, request.birth, request.expiry))
            result = reader.read(self._timeouts.card_read)
        except AccessKeyRequired as exc:
            self._post(ev.AccessKeyNeeded(attempt, exc.reason, exc.wrong))
            return
        except ValueError:   # a malformed key the reader refused before talking to the chip
            self._post(ev.AccessKeyNeeded(attempt, KEY_REFUSED, True))
            return
        except CardError as exc:
            log.info("card read failed: %s", exc.detail)
            self._post(ev.CardFailed(attempt, exc.reason))
            return
        except TimeoutError:
            self._post(ev.CardFailed(attempt, CARD_TIMEOUT))
            return
        log.info("card read: %s genuine=%s in %.2fs", result.identity.redacted(), result.genuine, result.seconds)
        self._post(ev.CardRead(attempt, result.identity, result.genuine, result.problem, result.photo_problem))
        photo = result.identity.photo
        if photo:
            # Encode the chip photo now, while the citizen turns to the camera; the face check
            # queued after it on the same worker then starts matching at once.
            self._face_worker.submit(lambda: self.devices.face.prepare(photo), lambda r, e: None,
                                     timeout=self._timeouts.face_check, name="prepare")

    def _read_staff_card(self, reader: CardReader) -> None:
        """Card thread: the card inserted on the staff sign-in screen. Only its number goes on (to
        the store thread, which finds the staff account); the rest, photo included, is dropped
        here and never logged. A card that cannot be opened without a key, or whose chip is not
        genuine, is not a staff card."""
        try:
            result = reader.read(self._timeouts.card_read)
        except AccessKeyRequired:
            self._post(ev.StaffCardRead(None))
            return
        except CardError as exc:
            log.info("staff card read failed: %s", exc.detail)
            self._post(ev.StaffCardRead(None, exc.reason))
            return
        except (TimeoutError, ValueError):
            self._post(ev.StaffCardRead(None, CARD_TIMEOUT))
            return
        ident = result.identity
        if not result.genuine:
            self._post(ev.StaffCardRead(None))
            return
        self.staff.match_card(ident.personal_number or ident.document_number)

    # --- face -----------------------------------------------------------------------------------
    def _start_face(self, effect: fx.StartFaceCheck) -> None:
        """GUI thread; never blocks: the camera starts its own thread, the check runs on the face
        worker. A camera reused right after a stop waits, on its capture thread, for the old run."""
        self._stop_face()
        camera = self.devices.camera_for(effect.reference_photo)
        token = CancelToken()
        with self._face_lock:
            self._camera, self._face_cancel = camera, token
        camera.start()

        last: list[Text] = []

        def progress(instruction: Text) -> None:
            if not token.is_set() and (not last or last[-1] != instruction):
                last.append(instruction)
                self._post(ev.FaceGuidance(effect.attempt, instruction))

        def job() -> ev.FaceChecked:
            counter = self._open_face_failures() if self._open_face_failures and effect.document_number else None
            try:
                if counter is not None and counter.locked(effect.document_number):
                    # Too many refused checks of this document today, in any session: no camera
                    # check can settle it now; staff verify the citizen.
                    log.info("face check: document locked after %d refused checks", counter.limit)
                    return ev.FaceChecked(effect.attempt, False, None, None, locked=True)
                # The clock starts when the check does, not while the chip photo is still being encoded.
                deadline = time.monotonic() + self._timeouts.face_check
                d = self.devices.face.verify(effect.reference_photo, camera, deadline, token, progress)
                locked = False
                if counter is not None and d.refused and not token.is_set():
                    locked = counter.record_failure(effect.document_number) >= counter.limit
                return ev.FaceChecked(effect.attempt, d.matched, d.distance, d.reason, locked=locked, checks=d.checks,
                                      staff_only=d.staff_only)
            finally:
                if counter is not None:
                    counter.close()

        def done(result: ev.FaceChecked | None, error: BaseException | None) -> None:
            if token.is_set():
                return
            if error is not None or result is None:   # the job returns an event or raises
                reason = error.reason if isinstance(error, DeviceError) else FACE_TIMEOUT
                log.info("face check ended without a decision: %s", type(error).__name__)
                result = ev.FaceChecked(effect.attempt, False, None, reason)
            self._post(result)

        self._face_worker.submit(job, done, timeout=self._timeouts.face_check + 5.0, name="verify")

    def _stop_face(self) -> None:
        """Cancel the check and stop its camera. GUI thread; never blocks: the camera only signals
        its capture thread (which may be stuck in a driver read for a while); shutdown joins it."""
        with self._face_lock:
            token, camera = self._face_cancel, self._camera
            self._face_cancel, self._camera = None, None
            if camera is not None:
                # join(0) only looks: forget cameras whose capture thread has ended already.
                self._released = [c for c in self._released if c is not camera and not c.join(0.0)] + [camera]
        if token is not None:
            token.set()
        if camera is not None:
            camera.stop()

    def _capture_material(self, effect: fx.CaptureMaterial) -> None:
        cam = self.devices.documents

        def job() -> bytes:
            if cam is None:
                raise DeviceError(CAPTURE_UNAVAILABLE, "no document camera configured")
            return cam.capture(effect.material_id, self._timeouts.face_check)

        def done(image: bytes | None, error: BaseException | None) -> None:
            if error is None and image:
                self._post(ev.MaterialCaptured(effect.attempt, effect.material_id, image))
            else:
                reason = error.reason if isinstance(error, DeviceError) else CAPTURE_UNAVAILABLE
                log.info("material capture failed: %s", type(error).__name__)
                self._post(ev.MaterialCaptureFailed(effect.attempt, effect.material_id, reason))

        # The document camera shares the face worker: the two are never used at the same time.
        self._face_worker.submit(job, done, timeout=self._timeouts.face_check + 5.0, name="document")

    # --- government records -----------------------------------------------------------------------
    def _look_up_records(self, effect: fx.LookUpRecords) -> None:
        """GUI thread: start the lookup on the records thread. Its answer comes back as RecordsFound
        or, on any failure or after `effect.timeout` seconds, RecordsUnavailable for the same
        attempt; the flow drops an answer for a session that has ended."""
        records = self.devices.records

        def job() -> GovernmentData:
            data = records.lookup(effect.identity, effect.timeout)
            if not isinstance(data, GovernmentData):   # a backend bug must not reach the flow
                raise RecordsError(f"the records backend answered with a {type(data).__name__}")
            return data

        def done(data: GovernmentData | None, error: BaseException | None) -> None:
            if error is None and data is not None:
                self._post(ev.RecordsFound(effect.attempt, data))
            else:
                log.info("government records unavailable: %s", type(error).__name__)
                self._post(ev.RecordsUnavailable(effect.attempt))

        self._records_worker.submit(job, done, timeout=effect.timeout, name="lookup")

    # --- storage --------------------------------------------------------------------------------
    def _db(self) -> Any:
        if self._storage is None:   # opened on the store thread, the only one that uses it
            self._storage = self._open_storage()
        return self._storage

    def _close_storage(self) -> None:
        if self._storage is not None:
            self._storage.close()
            self._storage = None

    def _store(self, effect: fx.StoreApplication) -> None:
        """GUI thread: hand the reviewed draft to the store thread, which only numbers and writes it
        (nothing is built again here, so the stored dates are the reviewed ones)."""
        submitted = effect.submitted_at.replace(microsecond=0)

        def done(app: Any, error: BaseException | None) -> None:
            if error is not None:
                log.error("storing an application failed: %s", type(error).__name__)
                self._post(ev.StoreFailed(effect.attempt, STORE_FAILED))
            else:
                log.info("application %s stored (%d departments)", app.number, len(app.requests))
                self._post(ev.ApplicationStored(effect.attempt, app))
                if self._sync is not None:
                    self._sync.nudge()

        # One application per session: if an earlier save of this session outlived its timeout
        # and committed after all, pressing Submit again returns that one instead of a second.
        key = f"{self._run_id}:{effect.attempt}"
        def job() -> Any:
            app = self._db().submit(effect.draft, self._kiosk_id, submitted, key)
            self.assist.audit_application(app)   # "proxy" / "counter_mode", on this same thread
            return app

        self._store_worker.submit(job, done, timeout=self._timeouts.store, name="submit")

    # --- printing -------------------------------------------------------------------------------
    def _print(self, effect: fx.PrintReceipt) -> None:
        app = effect.application

        def job() -> str:
            pdf = self._render_receipt(app)
            return self.devices.printer.print_pdf(pdf, f"receipt-{app.number}", self._timeouts.print)

        def done(location: str | None, error: BaseException | None) -> None:
            if error is None:
                log.info("receipt for %s printed", app.number)
                self._post(ev.ReceiptPrinted(effect.attempt, location or ""))
                return
            if isinstance(error, JobTimeout):
                reason = PRINT_TIMEOUT
            elif isinstance(error, DeviceError):
                reason = error.reason
            else:
                reason = PRINT_FAILED
            log.error("printing the receipt for %s failed: %s", app.number, type(error).__name__)
            self._post(ev.PrintFailed(effect.attempt, reason))

        self._print_worker.submit(job, done, timeout=self._timeouts.print + 5.0, name="print")
