"""A kiosk with two readers, end to end: a real SamCardReader (pyserial on a pseudo-terminal, the
SAM emulator on the other side) beside a simulated chip reader, on the runtime's card thread."""
from __future__ import annotations

import logging
import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.devices.dual_reader import EitherCardReader
from kiosk.devices.idcard.sam_reader import SamCardReader
from kiosk.devices.sim.card_reader import SimCardReader
from kiosk.devices.sim.face import SimFaceVerifier
from kiosk.devices.sim.printer import FolderPrinter
from kiosk.domain.identity import Identity
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.runtime import Devices, Runtime, Timeouts
from testkit.sam_emulator import SamEmulator

pytestmark = pytest.mark.e2e


def _kiosk(reader: EitherCardReader, tmp_path: Path) -> tuple[Runtime, queue.Queue]:
    events: queue.Queue = queue.Queue()
    rt = Runtime(devices=Devices(reader, lambda _p: None, SimFaceVerifier(), FolderPrinter(tmp_path)),  # type: ignore[arg-type]
                 catalogue=lambda: None, kiosk_id="3301060001", open_storage=lambda: None,  # type: ignore[arg-type]
                 render_receipt=lambda _a: b"", post=events.put, timeouts=Timeouts(card_read=5))
    rt.start()
    return rt, events


def _next(events: queue.Queue, kind: type, timeout: float = 5.0) -> object:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            e = events.get(timeout=0.05)
        except queue.Empty:
            continue
        if isinstance(e, kind):
            return e
    raise AssertionError(f"no {kind.__name__} within {timeout}s")


@pytest.fixture
def emulator() -> Iterator[SamEmulator]:
    emu = SamEmulator()
    emu.remove()
    try:
        yield emu
    finally:
        emu.close()


def test_whichever_reader_gets_a_card_starts_the_session(emulator: SamEmulator, identity: Identity,
                                                         tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    sim = SimCardReader(read_seconds=0.01)
    sam = SamCardReader(emulator.port, command_timeout=0.3, read_timeout=0.6, poll_interval=0.05)
    rt, events = _kiosk(EitherCardReader([sim, sam]), tmp_path)
    try:
        # a resident ID card on the SAM reader
        emulator.place()
        _next(events, ev.CardInserted)
        rt.perform(fx.ReadCard(1))
        read = _next(events, ev.CardRead)
        assert read.identity.name == "林晓梅" and read.identity.card_type == "resident_id"   # type: ignore[attr-defined]
        emulator.remove()
        _next(events, ev.CardRemoved)
        # then a passport on the chip reader
        sim.insert(identity)
        _next(events, ev.CardInserted)
        rt.perform(fx.ReadCard(2))
        assert _next(events, ev.CardRead).identity == identity   # type: ignore[attr-defined]
        sim.remove()
        _next(events, ev.CardRemoved)
        # its short slices were long enough for the SAM to answer every poll: it was never taken for gone
        assert not [r for r in caplog.records if "not answering" in r.getMessage()]
    finally:
        assert rt.shutdown(5.0)


def test_an_unplugged_sam_reader_does_not_keep_the_chip_reader_from_starting_a_session(
        identity: Identity, tmp_path: Path) -> None:
    sim = SimCardReader(read_seconds=0.01)
    sam = SamCardReader("/dev/nonexistent-sam", command_timeout=0.3, read_timeout=0.6, poll_interval=0.05)
    rt, events = _kiosk(EitherCardReader([sam, sim]), tmp_path)
    try:
        time.sleep(0.5)          # the SAM reader has been found missing a few times by now
        t0 = time.monotonic()
        sim.insert(identity)
        _next(events, ev.CardInserted)
        assert time.monotonic() - t0 < 1.0
        rt.perform(fx.ReadCard(1))
        assert _next(events, ev.CardRead).identity == identity   # type: ignore[attr-defined]
    finally:
        assert rt.shutdown(5.0)
