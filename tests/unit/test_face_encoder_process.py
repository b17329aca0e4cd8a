"""The face encoder's child process: the kiosk's exit never waits for an encode in progress."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kiosk.devices.face import matching
from kiosk.devices.face.encoder_process import ChipEncoder, EncoderUnavailable
from kiosk.config import load_config
from kiosk.devices.face.matching import MatchPolicy
from kiosk.devices.face.verifier import DlibFaceVerifier, VerifierSettings

CHIP = (Path(__file__).resolve().parents[2] / "assets" / "demo" / "speaker_chip.jpg").read_bytes()


def test_closing_while_the_encoder_is_busy_returns_within_its_deadline():
    encoder = ChipEncoder()
    encoder.warm_up()
    (chip, _), _mirror = matching.reference_chips(CHIP, 1)[0]
    busy = [(chip, 200)]           # 200 jitters: ~15 s of work for the child on a 2-core kiosk
    outcome: dict = {}

    def encode() -> None:
        try:
            outcome["result"] = encoder.encode(busy, timeout=60.0)
        except EncoderUnavailable as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=encode, name="test-encode")
    worker.start()
    time.sleep(0.5)                # the request is in the child
    child = encoder._proc
    assert child is not None and child.is_alive() and "result" not in outcome
    t = time.monotonic()
    encoder.close(timeout=1.0)
    assert time.monotonic() - t < 1.5
    worker.join(2.0)
    assert not worker.is_alive()   # the encode gave up at once instead of running to its end
    assert isinstance(outcome.get("error"), EncoderUnavailable)
    assert not child.is_alive()
    with pytest.raises(EncoderUnavailable):    # closed for good: no new child is started
        encoder.encode([(chip, 0)], timeout=1.0)
    assert encoder._proc is None


def test_a_closed_verifier_fails_its_checks_plainly_instead_of_restarting_the_encoder():
    verifier = DlibFaceVerifier(VerifierSettings(policy=MatchPolicy(threshold=load_config(env={}).face.threshold)),
                                encoder=ChipEncoder())
    verifier.close(1.0)
    verifier.warm_up()                      # a warm-up queued behind the shutdown starts nothing
    verifier.prepare(CHIP)                  # never raises
    assert verifier._encoder._proc is None and verifier._reference is None
