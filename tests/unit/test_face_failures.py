"""Refused face checks are counted per document across sessions: taking the card out and putting
it back does not start again at zero; after three, that document goes to staff; a day later the
count has expired."""
from __future__ import annotations

import queue
import sqlite3
import time
from datetime import datetime, timedelta

import pytest

from kiosk.devices.ports import FaceDecision
from kiosk.devices.sim.card_reader import SimCardReader
from kiosk.devices.sim.printer import FolderPrinter
from kiosk.domain.text import Text
from kiosk.flows import messages as msg
from kiosk.flows.journey import FlowConfig, Step, handle, initial_state
from kiosk.runtime import Devices, Runtime, Timeouts
from kiosk.services.crypto import RecordCipher, load_or_create_key
from kiosk.services.face_failures import FaceFailures
from kiosk.services.storage import Storage

KEY = b"k" * 32
NOT_LIVE = Text("未能确认是本人在场。", "We could not confirm that you are here in person.")


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def counter(tmp_path, clock) -> FaceFailures:
    return FaceFailures(Storage(tmp_path / "kiosk.db", RecordCipher(load_or_create_key(tmp_path / "storage.key"))),
                        KEY, clock)


def test_three_refusals_lock_the_document_and_a_day_later_they_have_expired(tmp_path, now):
    clock = Clock(now)
    for _ in range(2):
        c = counter(tmp_path, clock)        # each check opens its own connection, as the kiosk does
        c.record_failure("E12345678")
        c.close()
        clock.now += timedelta(hours=1)
    c = counter(tmp_path, clock)
    assert not c.locked("E12345678") and c.failures("E12345678") == 2
    assert c.record_failure("e12345678 ") == 3          # the same document however it is typed
    assert c.locked("E12345678") and not c.locked("E87654321")
    clock.now += timedelta(hours=22, minutes=30)       # the first failure is now more than a day old
    assert c.failures("E12345678") == 2 and not c.locked("E12345678")
    clock.now += timedelta(days=1, seconds=1)
    assert c.failures("E12345678") == 0
    c.close()
    with sqlite3.connect(tmp_path / "kiosk.db") as db:  # expired rows are deleted, not kept
        assert db.execute("SELECT COUNT(*) FROM face_failures").fetchone()[0] == 0


def test_the_document_number_is_neither_stored_nor_guessable_without_the_key(tmp_path, now):
    c = counter(tmp_path, Clock(now))
    c.record_failure("E12345678")
    c.close()
    raw = (tmp_path / "kiosk.db").read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("kiosk.db-*"))
    assert b"E12345678" not in raw
    other = FaceFailures(Storage(tmp_path / "kiosk.db", RecordCipher(load_or_create_key(tmp_path / "storage.key"))),
                         b"x" * 32, Clock(now))
    assert other.failures("E12345678") == 0             # another key: another tag
    other.close()


class RefusingVerifier:
    """A face check that always refuses (a replay), counting how often it ran."""

    def __init__(self) -> None:
        self.checks = 0

    def verify(self, reference_photo, camera, deadline, cancelled, on_progress):
        self.checks += 1
        return FaceDecision(False, 0.41, NOT_LIVE, refused=True)

    def warm_up(self) -> None: ...
    def prepare(self, reference_photo) -> None: ...
    def clear(self) -> None: ...
    def close(self, timeout) -> None: ...


class NoCamera:
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def join(self, timeout) -> bool: return True
    def latest(self): return None
    def error(self): return None
    def perform(self, action) -> None: ...


@pytest.fixture
def kiosk(tmp_path, small_catalogue, now):
    events: queue.Queue = queue.Queue()
    reader, verifier, clock = SimCardReader(read_seconds=0.01), RefusingVerifier(), Clock(now)
    open_storage = lambda: Storage(tmp_path / "kiosk.db", RecordCipher(load_or_create_key(tmp_path / "storage.key")))  # noqa: E731
    rt = Runtime(devices=Devices(reader, lambda photo: NoCamera(), verifier, FolderPrinter(tmp_path / "receipts")),
                 catalogue=lambda: small_catalogue, kiosk_id="3301060001", open_storage=open_storage,
                 render_receipt=lambda app: b"", post=events.put, timeouts=Timeouts(card_read=2, face_check=2),
                 open_face_failures=lambda: FaceFailures(open_storage(), KEY, clock))
    rt.start()
    k = type("K", (), {"rt": rt, "events": events, "reader": reader, "verifier": verifier, "clock": clock})()
    k.state = initial_state(FlowConfig(catalogue=small_catalogue))
    yield k
    assert rt.shutdown(3.0)


def run_until(k, done, timeout: float = 5.0) -> None:
    """Feed the runtime's events through the real flow, performing its effects, until `done`."""
    end = time.monotonic() + timeout
    while not done(k.state):
        assert time.monotonic() < end, f"stuck at {k.state.step}"
        try:
            event = k.events.get(timeout=0.05)
        except queue.Empty:
            continue
        k.state, effects = handle(k.state, event, k.clock())
        for effect in effects:
            k.rt.perform(effect)


def face(state):
    return state.session.face if state.session is not None else None


def session(k, identity) -> None:
    """The citizen places the card and lets the face check run once."""
    k.reader.insert(identity)
    run_until(k, lambda s: face(s) is not None and not face(s).checking)


def test_taking_the_card_out_and_back_does_not_reset_the_count(kiosk, identity):
    for attempt in (1, 2):
        session(kiosk, identity)
        assert not face(kiosk.state).needs_staff, attempt
        kiosk.reader.remove()                           # start again, as an attacker would
        run_until(kiosk, lambda s: s.step == Step.ATTRACT)
    session(kiosk, identity)                            # the third refusal, in a third session
    assert face(kiosk.state).locked and face(kiosk.state).message == msg.FACE_LOCKED
    kiosk.reader.remove()
    run_until(kiosk, lambda s: s.step == Step.ATTRACT)
    session(kiosk, identity)                            # a fourth session goes straight to staff
    assert face(kiosk.state).needs_staff and face(kiosk.state).locked
    assert kiosk.verifier.checks == 3                   # no camera check ran for it
    assert kiosk.state.step == Step.FACE_CHECK
    kiosk.reader.remove()
    run_until(kiosk, lambda s: s.step == Step.ATTRACT)
    kiosk.clock.now += timedelta(days=1, minutes=1)     # a day later the count has expired
    session(kiosk, identity)
    assert not face(kiosk.state).needs_staff and kiosk.verifier.checks == 4
    kiosk.reader.remove()
    run_until(kiosk, lambda s: s.step == Step.ATTRACT)
