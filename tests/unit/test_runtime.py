"""Effects run on device threads and come back as events; every wait is bounded."""
from __future__ import annotations

import queue
from dataclasses import replace
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from kiosk.devices.capture import CaptureThreadCamera
from kiosk.devices.ports import (AccessKey, Camera, CameraError, CardReader, DocumentCamera, FaceDecision, FaceVerifier,
                                 Printer)
from kiosk.devices.sim.card_reader import SimCardReader
from kiosk.devices.sim.document_camera import SimDocumentCamera
from kiosk.devices.sim.printer import FolderPrinter
from kiosk.domain.text import Text
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.runtime import Devices, Runtime, Timeouts
from kiosk.services.crypto import RecordCipher, load_or_create_key
from kiosk.services.jobs import JobTimeout, Worker
from kiosk.services.storage import Storage


GUI_BUDGET = 0.030   # the most the GUI thread may spend in Runtime.perform


class PortOnly:
    """Hands the runtime a device that has only what its port declares: a call to anything
    else (a method the port lacks) fails the test instead of being probed for."""

    def __init__(self, target: object, port: type) -> None:
        self._target = target
        self._allowed = {n for n in dir(port) if not n.startswith("_")} | set(getattr(port, "__annotations__", {}))

    def __getattr__(self, name: str):
        if name not in self._allowed:
            raise AttributeError(f"{name} is not part of the port")
        return getattr(self._target, name)


class StillCamera:
    def __init__(self):
        self.started = 0
        self.stopped = 0

    def start(self):
        self.started += 1

    def stop(self):
        self.stopped += 1

    def join(self, timeout):
        return True

    def latest(self):
        return None

    def error(self):
        return None

    def perform(self, action):
        pass


class SlowToStopCamera(CaptureThreadCamera):
    """A camera whose capture thread needs `linger` s to notice a stop, as a driver read can."""

    def __init__(self, linger: float = 1.0) -> None:
        super().__init__((64, 48))
        self.linger = linger

    def _run(self, stop: threading.Event) -> None:
        seq = 0
        while not stop.is_set():
            self._publish(np.zeros((48, 64, 3), np.uint8), seq)
            seq += 1
            stop.wait(0.02)
        time.sleep(self.linger)   # stuck in the driver


class SlowVerifier:
    def __init__(self, decision=FaceDecision(True, 0.3), delay=0.05, error=None):
        self.decision, self.delay, self.error = decision, delay, error
        self.cleared = 0
        self.warmed = 0
        self.prepared: list[bytes] = []
        self.closed = 0

    def verify(self, ref, camera, deadline, cancelled, on_progress):
        on_progress(Text("请眨眼", "Please blink"))
        end = time.monotonic() + self.delay
        while time.monotonic() < end and not cancelled.is_set():
            time.sleep(0.01)
        if self.error:
            raise self.error
        return self.decision

    def clear(self):
        self.cleared += 1

    def warm_up(self):
        self.warmed += 1

    def prepare(self, photo):
        self.prepared.append(photo)

    def close(self, timeout):
        self.closed += 1


class KeyedReader(SimCardReader):
    """Remembers every access key it was given."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.keys: list[AccessKey | None] = []

    def set_access_key(self, key):
        self.keys.append(key)


@pytest.fixture
def harness(tmp_path, small_catalogue):
    events: queue.Queue = queue.Queue()
    reader = KeyedReader(read_seconds=0.05)
    verifier = SlowVerifier()
    printer = FolderPrinter(tmp_path / "receipts", delay=0.01)
    h = type("H", (), {})()
    h.camera = StillCamera()
    devices = Devices(PortOnly(reader, CardReader), lambda photo: PortOnly(h.camera, Camera),
                      PortOnly(verifier, FaceVerifier), PortOnly(printer, Printer),
                      PortOnly(SimDocumentCamera(delay=0.01), DocumentCamera))
    rt = Runtime(devices=devices, catalogue=lambda: small_catalogue, kiosk_id="3301060001",
                 open_storage=lambda: Storage(tmp_path / "db", RecordCipher(load_or_create_key(tmp_path / "k"))),
                 render_receipt=lambda app: b"%PDF-1.4 " + app.number.encode(), post=events.put,
                 timeouts=Timeouts(card_read=2, face_check=2, store=5, print=2))
    rt.start()
    h.rt, h.events, h.reader, h.verifier, h.printer, h.tmp = rt, events, reader, verifier, printer, tmp_path
    yield h
    assert rt.shutdown(3.0)
    assert verifier.closed == 1


def next_event(h, kind, timeout=3.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            e = h.events.get(timeout=0.05)
        except queue.Empty:
            continue
        if isinstance(e, kind):
            return e
    raise AssertionError(f"no {kind.__name__} within {timeout}s")


def test_card_insert_read_and_removal_come_back_as_events(harness, identity):
    harness.reader.insert(identity)
    next_event(harness, ev.CardInserted)
    harness.rt.perform(fx.ReadCard(7))
    read = next_event(harness, ev.CardRead)
    assert read.attempt == 7 and read.identity == identity
    harness.reader.remove()
    next_event(harness, ev.CardRemoved)


def test_card_pulled_mid_read_is_a_clear_failure(harness, identity):
    harness.reader.read_seconds = 1.0
    harness.reader.insert(identity)
    next_event(harness, ev.CardInserted)
    harness.rt.perform(fx.ReadCard(1))
    time.sleep(0.1)
    harness.reader.remove()
    failed = next_event(harness, ev.CardFailed)
    assert "place it again" in failed.reason.en


def test_face_check_starts_camera_and_posts_decision(harness):
    harness.rt.perform(fx.StartFaceCheck(3, b"photo"))
    assert harness.rt.current_camera()._target is harness.camera and harness.camera.started == 1
    guide = next_event(harness, ev.FaceGuidance)
    assert guide.attempt == 3 and guide.instruction.en == "Please blink"
    e = next_event(harness, ev.FaceChecked)
    assert e.attempt == 3 and e.matched


def test_camera_failure_becomes_a_plain_reason(harness):
    harness.verifier.error = CameraError(Text("摄像头坏了", "The camera is broken; ask staff."))
    harness.rt.perform(fx.StartFaceCheck(3, b"photo"))
    e = next_event(harness, ev.FaceChecked)
    assert not e.matched and e.reason.en == "The camera is broken; ask staff."


def test_wipe_cancels_face_check_and_forgets(harness):
    harness.verifier.delay = 2.0
    harness.rt.perform(fx.StartFaceCheck(3, b"photo"))
    harness.rt.perform(fx.WipeSession())
    assert harness.camera.stopped == 1 and harness.verifier.cleared == 1 and harness.rt.current_camera() is None
    with pytest.raises(AssertionError):
        next_event(harness, ev.FaceChecked, timeout=0.5)   # a cancelled check reports nothing


def test_store_then_print_writes_receipt(harness, small_catalogue, identity, now):
    from kiosk.domain.form import prefill
    answers, verified = prefill(small_catalogue, identity)
    answers.update({"applicant_phone": "13800138000"})
    from dataclasses import replace

    from kiosk.domain.drafting import build_draft
    draft = build_draft(small_catalogue, small_catalogue.bundle("retirement"), answers, verified, dict(answers),
                        drafted_at=now)
    harness.rt.perform(fx.StoreApplication(4, replace(draft, consent=True), now))
    stored = next_event(harness, ev.ApplicationStored)
    assert stored.attempt == 4 and stored.application.number.startswith("3301060001-000001-")
    harness.rt.perform(fx.PrintReceipt(4, stored.application))
    printed = next_event(harness, ev.ReceiptPrinted)
    assert Path(printed.location).read_bytes().endswith(stored.application.number.encode())


def test_printer_out_of_paper_is_reported(harness, small_catalogue, identity, now):
    from dataclasses import replace

    from kiosk.domain.drafting import build_draft
    draft = build_draft(small_catalogue, small_catalogue.bundle("retirement"), {}, frozenset(), {}, drafted_at=now)
    app = replace(draft, consent=True).numbered("n1", "3301060001", now)
    harness.printer.out_of_paper = True
    harness.rt.perform(fx.PrintReceipt(1, app))
    e = next_event(harness, ev.PrintFailed)
    assert "out of paper" in e.reason.en


def test_worker_job_timeout_answers_in_time_and_drops_late_result():
    w = Worker("t")
    got: list = []
    done = threading.Event()
    w.submit(lambda: time.sleep(0.5) or "late", lambda r, e: (got.append((r, e)), done.set()), timeout=0.1)
    assert done.wait(0.4)
    time.sleep(0.6)
    assert len(got) == 1 and isinstance(got[0][1], JobTimeout)
    assert w.shutdown(2.0)


def wait_until(cond, timeout=3.0):
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.01)


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def test_ending_the_face_check_never_blocks_the_gui_thread(harness):
    """A capture thread that takes a second to let go of the camera must not freeze the screen:
    StopFaceCheck and WipeSession return at once, and a new check on the same camera starts
    cleanly after the old capture thread has ended."""
    cam = harness.camera = SlowToStopCamera(linger=1.0)
    harness.rt.perform(fx.StartFaceCheck(1, b"photo"))
    wait_until(lambda: cam.latest() is not None)
    took = timed(lambda: harness.rt.perform(fx.StopFaceCheck()))
    assert took < GUI_BUDGET, f"StopFaceCheck held the GUI thread {took * 1000:.0f} ms"
    assert cam.latest() is None                  # the citizen's picture is gone at once
    assert not cam.join(0.0)                     # ...while the old capture thread is still ending

    harness.rt.perform(fx.StartFaceCheck(2, b"photo"))      # the same camera again, straight away
    wait_until(lambda: cam.latest() is not None)
    took = timed(lambda: harness.rt.perform(fx.WipeSession()))
    assert took < GUI_BUDGET, f"WipeSession held the GUI thread {took * 1000:.0f} ms"
    assert cam.latest() is None and harness.rt.current_camera() is None
    # shutdown (the fixture) joins the lingering capture threads within its deadline


def test_the_key_typed_is_given_to_the_reader_and_forgotten_at_session_end(harness, identity):
    harness.reader.insert(identity)
    next_event(harness, ev.CardInserted)
    harness.rt.perform(fx.ReadCard(1, can="123456"))
    next_event(harness, ev.CardRead)
    assert harness.reader.keys == [AccessKey("123456")]
    harness.rt.perform(fx.WipeSession())
    assert harness.reader.keys[-1] is None       # the next citizen's card never gets this key


def test_face_model_is_warmed_at_start_and_the_chip_photo_prepared_after_the_read(harness, identity):
    wait_until(lambda: harness.verifier.warmed == 1)
    harness.reader.insert(identity)
    next_event(harness, ev.CardInserted)
    harness.rt.perform(fx.ReadCard(1))
    next_event(harness, ev.CardRead)
    wait_until(lambda: harness.verifier.prepared == [identity.photo])


def test_shutdown_while_printing_and_photographing_ends_within_its_deadline(tmp_path, small_catalogue, now):
    """A receipt still printing and a document photo still exposing do not hold the kiosk's exit."""
    from kiosk.domain.drafting import build_draft
    events: queue.Queue = queue.Queue()
    printer = FolderPrinter(tmp_path / "receipts", delay=30.0)
    documents = SimDocumentCamera(delay=30.0)
    rt = Runtime(devices=Devices(SimCardReader(), lambda photo: StillCamera(), SlowVerifier(), printer, documents),
                 catalogue=lambda: small_catalogue, kiosk_id="3301060001", open_storage=lambda: None,
                 render_receipt=lambda app: b"%PDF-1.4", post=events.put,
                 timeouts=Timeouts(print=60, face_check=60))
    rt.start()
    app = build_draft(small_catalogue, small_catalogue.bundle("retirement"), {}, frozenset(), {},
                      drafted_at=now)
    app = replace(app, consent=True).numbered("n1", "3301060001", now)
    rt.perform(fx.PrintReceipt(1, app))
    rt.perform(fx.CaptureMaterial(1, "household_register"))
    time.sleep(0.2)                              # both are under way
    t = time.monotonic()
    assert rt.shutdown(3.0)
    assert time.monotonic() - t < 3.0
    assert not list((tmp_path / "receipts").glob("*.pdf"))


def test_records_lookup_answers_for_its_session_or_says_unavailable(harness, identity):
    from kiosk.devices.sim.government import SimGovernmentRecords
    from kiosk.domain.government import GovernmentData
    held = GovernmentData({"marital_status": "married"}, frozenset({"marriage_certificate"}))
    sim = SimGovernmentRecords({identity.personal_number: held})
    harness.rt.devices.records = sim
    harness.rt.perform(fx.LookUpRecords(5, identity, 2.0))
    found = next_event(harness, ev.RecordsFound)
    assert found.attempt == 5 and found.data == held
    sim.fail_next = True                                   # the backend fails: the citizen goes on
    harness.rt.perform(fx.LookUpRecords(6, identity, 2.0))
    assert next_event(harness, ev.RecordsUnavailable).attempt == 6


def test_a_slow_or_broken_records_backend_never_holds_the_journey(harness, identity):
    class Broken:
        def lookup(self, identity, timeout):
            return {"marital_status": "married"}           # not GovernmentData: never reaches the flow

    class Hung:
        def lookup(self, identity, timeout):
            time.sleep(1.0)                                 # ignores its timeout
            raise AssertionError("answered too late to matter")
    harness.rt.devices.records = Broken()
    harness.rt.perform(fx.LookUpRecords(7, identity, 2.0))
    assert next_event(harness, ev.RecordsUnavailable).attempt == 7
    harness.rt.devices.records = Hung()
    start = time.monotonic()
    harness.rt.perform(fx.LookUpRecords(8, identity, 0.3))
    assert next_event(harness, ev.RecordsUnavailable, timeout=2.0).attempt == 8
    assert time.monotonic() - start < 0.9                  # answered by the job timeout, not the backend


def test_without_a_records_backend_nothing_is_found(harness, identity):
    from kiosk.devices.government import NoGovernmentRecords
    assert isinstance(harness.rt.devices.records, NoGovernmentRecords)   # the default
    harness.rt.perform(fx.LookUpRecords(9, identity, 2.0))
    found = next_event(harness, ev.RecordsFound)
    assert not found.data.values and not found.data.materials


def test_a_save_that_times_out_but_commits_is_not_stored_twice_when_submit_is_pressed_again(tmp_path, small_catalogue, now):
    """The store answers StoreFailed after its timeout while the write goes on and commits; the
    citizen presses Submit again (same session): the application already stored comes back."""
    from kiosk.domain.drafting import build_draft

    slow = [0.6]                             # the first save is longer than the store timeout below

    class SlowStorage(Storage):
        def submit(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            time.sleep(slow.pop() if slow else 0.0)
            return super().submit(*args, **kwargs)

    events: queue.Queue = queue.Queue()
    rt = Runtime(devices=Devices(SimCardReader(), lambda photo: StillCamera(), SlowVerifier(),
                                 FolderPrinter(tmp_path / "receipts"), None),
                 catalogue=lambda: small_catalogue, kiosk_id="3301060001",
                 open_storage=lambda: SlowStorage(tmp_path / "db", RecordCipher(load_or_create_key(tmp_path / "k"))),
                 render_receipt=lambda app: b"%PDF-1.4", post=events.put, timeouts=Timeouts(store=0.3))
    rt.start()
    try:
        draft = replace(build_draft(small_catalogue, small_catalogue.bundle("retirement"), {}, frozenset(), {},
                                    drafted_at=now), consent=True)
        rt.perform(fx.StoreApplication(3, draft, now))
        first = events.get(timeout=3)
        assert isinstance(first, ev.StoreFailed)             # told to try again ...
        time.sleep(0.5)                                      # ... while the first save commits
        rt.perform(fx.StoreApplication(3, draft, now))
        second = events.get(timeout=3)
        while not isinstance(second, (ev.ApplicationStored, ev.StoreFailed)):
            second = events.get(timeout=3)
        assert isinstance(second, ev.ApplicationStored)
        db = Storage(tmp_path / "db", RecordCipher(load_or_create_key(tmp_path / "k")))
        try:
            assert db.sync_counts().pending == 1             # one application, not two
        finally:
            db.close()
    finally:
        assert rt.shutdown(3.0)
