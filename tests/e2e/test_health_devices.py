"""`kiosk health`'s device probes against the real stacks: CUPS (a stopped queue is a fault),
pcscd's reader list, a SAM reader on a pseudo-terminal, and an OpenCV capture.

The CUPS tests use a queue of their own (created with scripts/cups.sh, removed afterwards), so
stopping it cannot disturb another test printing through OneVisitReceipts at the same time.
"""
from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from kiosk.cli import main
from kiosk.devices.cups_printer import CupsPrinter
from kiosk.devices.health import opencv_camera_probe, pcsc_probe, printer_check, sam_probe
from testkit.sam_emulator import SamEmulator

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
C = {**os.environ, "LC_ALL": "C"}
CLIP = ROOT / "tests" / "fixtures" / "clips" / "live_speaker_whitehouse.mp4"


def sh(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=20, env=C)


@pytest.fixture
def own_queue() -> Iterator[str]:
    queue = f"OneVisitHealth{os.getpid()}"
    proc = subprocess.run(["bash", "-c", "source scripts/cups.sh && start_cups"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**C, "ONEVISIT_CUPS_QUEUE": queue})
    if proc.returncode != 0:
        pytest.fail(f"could not set up the CUPS queue {queue}: {proc.stdout}{proc.stderr}", pytrace=False)
    try:
        yield queue
    finally:
        sh("lpadmin", "-x", queue)


def test_a_stopped_queue_is_a_fault_and_an_enabled_one_is_ready(own_queue, tmp_path, capsys):
    printer = CupsPrinter(own_queue)
    assert printer_check(printer, 5.0).status == "ok"

    assert sh("cupsdisable", "-r", "media-empty", own_queue).returncode == 0
    out = printer_check(printer, 5.0)
    assert out.status == "fault" and out.detail.en == "The receipt printer is out of paper."
    assert dict(out.facts)["paper"] == "out" and "paper roll" in out.action.en

    assert sh("cupsdisable", "-r", "closed for maintenance", own_queue).returncode == 0
    stopped = printer_check(printer, 5.0)
    assert stopped.status == "fault" and "closed for maintenance" in dict(stopped.facts)["state"]

    # the command staff run says the same, and exits 1
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[devices]\nprinter = "cups"\nprinter_queue = "{own_queue}"\n')
    assert main(["health", "--config", str(config), "--data-dir", str(tmp_path / "data")]) == 1
    assert "FAULT printer" in capsys.readouterr().out

    assert sh("cupsenable", own_queue).returncode == 0
    assert sh("cupsreject", own_queue).returncode == 0     # enabled but refusing new jobs
    rejecting = printer_check(printer, 5.0)
    assert rejecting.status == "fault" and "not accepting" in dict(rejecting.facts)["state"]

    assert sh("cupsaccept", own_queue).returncode == 0
    assert main(["health", "--config", str(config), "--data-dir", str(tmp_path / "data")]) == 0


def test_a_missing_queue_is_a_fault():
    check = printer_check(CupsPrinter("OneVisitNoSuchQueue"), 5.0)
    assert check.status == "fault" and "does not exist" in dict(check.facts)["state"]


def test_pcsc_lists_the_reader_or_says_none_is_there():
    found = pcsc_probe("")(5.0)
    assert found.status == "ok", found.detail.en
    name = dict(found.facts)["readers"][0]
    assert pcsc_probe(name)(5.0).status == "ok"
    missing = pcsc_probe("No Such Reader 9000")(5.0)
    assert missing.status == "fault" and "USB cable" in missing.action.en


def test_a_sam_reader_that_answers_is_ok_a_silent_one_is_a_fault_and_one_in_use_is_a_note():
    emulator = SamEmulator()
    try:
        assert sam_probe(emulator.port, 115200)(3.0).status == "ok"
        with serial.Serial(emulator.port, 115200, exclusive=True):    # as the kiosk's card thread holds it
            busy = sam_probe(emulator.port, 115200)(3.0)
        assert busy.status == "note" and "in use by the kiosk" in busy.detail.en
    finally:
        emulator.close()
    silent = SamEmulator(misbehaviour="silent")
    try:
        check = sam_probe(silent.port, 115200)(3.0)
        assert check.status == "fault" and check.detail.en == "The ID card reader does not answer."
    finally:
        silent.close()
    assert sam_probe("/dev/ttyUSB-none", 115200)(3.0).status == "fault"


def test_a_camera_that_gives_a_frame_is_ok_one_that_cannot_open_is_a_fault():
    assert opencv_camera_probe(str(CLIP))(5.0).status == "ok"
    dead = opencv_camera_probe("/nonexistent/camera.mp4")(1.0)
    assert dead.status == "fault" and dead.detail.en == "The camera gives no picture."
