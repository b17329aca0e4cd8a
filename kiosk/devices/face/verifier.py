"""The real FaceVerifier: quality gates, multi-frame matching against the chip photo, and
liveness (a random challenge sequence, the screen-light reflection, passive non-planar motion),
on whatever camera it is given.

This module is the plumbing: it pulls the newest frame, analyses it, encodes it when the check
asks, and hands the result to `FaceCheck` (kiosk/devices/face/check.py), which holds every rule
and decides by frame timestamps.

Runs on the face worker thread; blocks on the CPU (about 30-80 ms per frame) and on short sleeps
(10 ms) waiting for a new frame; checks `cancelled` and the deadline between frames. Frames,
encodings and landmarks stay in local variables and are dropped when `verify` returns; the
only thing kept between checks is the chip photo's encoding (so retries do not recompute it),
which `clear()` drops at session end.
"""
from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable

import numpy as np

from kiosk.devices.face import matching, quality
from kiosk.devices.face.check import LOOK, MISMATCH, NO_GOOD_FRAME, NOT_LIVE, FaceCheck, VerifierSettings
from kiosk.devices.face.cue import DepthSensor, NoDepthSensor, ScreenFlash, face_chroma
from kiosk.devices.face.encoder_process import ChipEncoder, EncoderUnavailable
from kiosk.devices.face.observation import FaceObservation
from kiosk.devices.ports import Camera, CameraError, CancelToken, FaceDecision
from kiosk.domain.text import Text
from kiosk.i18n import tr

log = logging.getLogger(__name__)

__all__ = ["DlibFaceVerifier", "VerifierSettings", "LOOK", "MISMATCH", "NO_GOOD_FRAME", "NOT_LIVE", "UNAVAILABLE"]

UNAVAILABLE = tr("人脸核验暂时无法进行，请稍后重试；如仍不行，请联系工作人员。")


class DlibFaceVerifier:
    """FaceVerifier backed by face_recognition/dlib. `verify` on the face worker thread only."""

    def __init__(self, settings: VerifierSettings, rng: random.Random | None = None,
                 encoder: ChipEncoder | None = None, flash: ScreenFlash | None = None,
                 depth: DepthSensor | None = None) -> None:
        """`encoder`: run dlib's encoder in a child process (the kiosk; keeps the GUI smooth).
        None encodes in this process (command-line tools, benchmarks). `flash`: the face screen's
        colour (shared with the UI and, in the demo, the simulated camera); without it there is
        no flash check. `depth`: a depth or infrared camera, where the kiosk has one."""
        self.settings = settings
        self.flash = flash
        self.depth = depth or NoDepthSensor()
        self._encoder = encoder
        self._rng = rng or random.SystemRandom()
        self._lock = threading.Lock()
        self._reference: tuple[str, matching.Reference] | None = None

    # --- reference ---------------------------------------------------------------------------------
    def prepare(self, reference_photo: bytes) -> None:
        """Encode the chip photo now (called in the background as soon as the card is read), so the
        face check starts matching at once. Face worker thread; ~0.5-1 s of CPU."""
        try:
            self._reference_for(reference_photo)
        except matching.ReferenceError as exc:
            log.info("chip photo cannot be used as a face reference: %s", exc.code)
        except EncoderUnavailable as exc:
            log.warning("face encoder: %s", exc)

    def _reference_for(self, photo: bytes) -> matching.Reference:
        digest = hashlib.sha256(photo).hexdigest()
        with self._lock:
            if self._reference and self._reference[0] == digest:
                return self._reference[1]
        ref = self._encoder.reference(photo) if self._encoder else matching.encode_reference(photo)
        with self._lock:
            self._reference = (digest, ref)
        return ref

    def clear(self) -> None:
        """Forget the chip photo's encoding (session end). Any thread."""
        with self._lock:
            self._reference = None

    def warm_up(self) -> None:
        """Load the encoder (its child process) and the detector and landmark model (this
        process) before the first citizen arrives, not during their face check. Face worker
        thread; ~1-2 s. The child starts on a helper thread while this one loads the landmark
        model (dlib holds the GIL reading its 95 MB), so the two overlap on two cores."""
        def start_encoder() -> None:
            try:
                if self._encoder is not None:
                    self._encoder.warm_up()
                else:
                    matching._encoder()
            except EncoderUnavailable as exc:
                log.warning("face encoder: %s", exc)
        starter = threading.Thread(target=start_encoder, name="face-encoder-start", daemon=True)
        starter.start()
        quality._models()
        # ChipEncoder.warm_up waits at most its start_timeout (30 s) for the child.
        starter.join(self._encoder.start_timeout + 5.0 if self._encoder is not None else 60.0)

    def close(self, timeout: float = 2.0) -> None:
        """Stop the encoder process, if any (kiosk shutdown). Any thread; returns within about
        `timeout` s: an encode in progress is cut short, and `verify`/`prepare` then end at once
        (UNAVAILABLE / no reference). In-process encoding has nothing to stop."""
        if self._encoder is not None:
            self._encoder.close(timeout)

    def _probe(self, bgr: np.ndarray, face: FaceObservation) -> np.ndarray:
        if self._encoder is not None:
            return self._encoder.probe(bgr, face)
        return matching.encode_probe(bgr, face)

    # --- one check ---------------------------------------------------------------------------------
    def verify(self, reference_photo: bytes, camera: Camera, deadline: float, cancelled: CancelToken,
               on_progress: Callable[[Text], None] = lambda text: None) -> FaceDecision:
        try:
            return self._verify(reference_photo, camera, deadline, cancelled, on_progress)
        except matching.ReferenceError as exc:
            # An undecodable photo, or one without a face, fails every retry the same way.
            return FaceDecision(False, None, exc.reason, staff_only=True)
        except EncoderUnavailable as exc:
            log.warning("face encoder: %s", exc)
            return FaceDecision(False, None, UNAVAILABLE)

    def _verify(self, reference_photo: bytes, camera: Camera, deadline: float, cancelled: CancelToken,
                on_progress: Callable[[Text], None]) -> FaceDecision:
        reference = self._reference_for(reference_photo)
        s = self.settings
        check = FaceCheck(s, self._rng, self.flash, self.depth, camera.perform, on_progress)
        last_seq = -1
        on_progress(LOOK)
        try:
            while True:
                if cancelled.is_set():
                    return FaceDecision(False, None, None)
                if time.monotonic() >= deadline:   # the overall bound only; the rules use frame times
                    err = camera.error()
                    if err is not None:
                        raise CameraError(err.reason, err.detail)
                    return check.timed_out()
                err = camera.error()
                if err is not None:
                    on_progress(err.reason)   # the camera thread keeps reconnecting; wait for it until the deadline
                    time.sleep(0.05)
                    continue
                frame = camera.latest()
                if frame is None or frame.seq == last_seq:
                    time.sleep(0.01)
                    continue
                last_seq = frame.seq
                analysis = quality.analyse(frame.image, frame.seq, frame.timestamp, s.gates)
                face = analysis.face
                chroma = face_chroma(frame.image, face.box) if face is not None and self.flash is not None else None
                distance = None
                if check.wants_probe(analysis):
                    assert face is not None   # a good verdict is one about exactly one face
                    distance = reference.distance(self._probe(frame.image, face))
                decision = check.feed(frame.timestamp, analysis, chroma, distance)
                if decision is not None:
                    return decision
        finally:
            check.end()
