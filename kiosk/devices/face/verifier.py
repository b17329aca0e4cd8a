"""The real FaceVerifier: quality gates, multi-frame matching against the chip photo, and
passive + challenge liveness, on whatever camera it is given.

One face check, as the citizen lives it:
  1. "Look at the camera": frames are analysed as they come (the newest only; stale frames are
     skipped). A frame that fails a quality gate is not matched; its advice goes to the screen.
  2. After `min_good_frames` good frames, the median distance decides the match. No match ends
     the attempt at once ("did not match the card photo").
  3. A random challenge at a moment the citizen did not choose ("turn your head to your left").
     A turn the wrong way, or none in time, fails the attempt.
  4. "Look back at the screen": one more good, matching frame (so the face that turned is the
     face that matched), and the passive check over the whole check must have seen a motion no
     flat picture can make. Then the decision.

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
from dataclasses import dataclass

import numpy as np

from kiosk.devices.face import matching, quality
from kiosk.devices.face.encoder_process import ChipEncoder, EncoderUnavailable
from kiosk.devices.face.liveness import (CHALLENGE_MISSED, LOOK_BACK, NOT_LIVE, ChallengeCheck, ChallengeOutcome,
                                         LivenessConfig, PassiveLiveness, pick_challenge)
from kiosk.devices.face.observation import FaceObservation
from kiosk.devices.face.quality import QualityGates
from kiosk.devices.ports import Camera, CameraError, CancelToken, FaceDecision
from kiosk.domain.text import Text

log = logging.getLogger(__name__)

LOOK = Text("请正对摄像头，保持自然。", "Please look at the camera.")
MISMATCH = Text("人脸与证件照片不一致。请摘下帽子或口罩，正对摄像头后重试。",
                "Your face did not match the photo on your ID. Take off any hat or mask, look at the camera and try again.")
UNAVAILABLE = Text("人脸核验暂时无法进行，请稍后重试；如仍不行，请联系工作人员。",
                   "The face check is not available at the moment. Please try again; if it still fails, ask the staff.")
NO_GOOD_FRAME = Text("没能看清您的脸。请按屏幕提示调整后重试。",
                     "We could not see your face clearly. Please follow the hint on the screen and try again.")


@dataclass(frozen=True)
class VerifierSettings:
    policy: matching.MatchPolicy     # its threshold comes from the configuration; no default here
    gates: QualityGates = quality.DEFAULT_GATES
    liveness: LivenessConfig = LivenessConfig()
    require_liveness: bool = True
    # A short pause before the challenge so its moment cannot be predicted by a recording.
    challenge_delay: tuple[float, float] = (0.2, 0.8)


class DlibFaceVerifier:
    """FaceVerifier backed by face_recognition/dlib. `verify` on the face worker thread only."""

    def __init__(self, settings: VerifierSettings, rng: random.Random | None = None,
                 encoder: ChipEncoder | None = None) -> None:
        """`encoder`: run dlib's encoder in a child process (the kiosk; keeps the GUI smooth).
        None encodes in this process (command-line tools, benchmarks)."""
        self.settings = settings
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
            return FaceDecision(False, None, exc.reason)
        except EncoderUnavailable as exc:
            log.warning("face encoder: %s", exc)
            return FaceDecision(False, None, UNAVAILABLE)

    def _verify(self, reference_photo: bytes, camera: Camera, deadline: float, cancelled: CancelToken,
                on_progress: Callable[[Text], None]) -> FaceDecision:
        reference = self._reference_for(reference_photo)
        s = self.settings
        passive = PassiveLiveness(s.liveness)
        distances: list[float] = []
        challenge: ChallengeCheck | None = None
        challenge_at: float | None = None
        advice: Text | None = None
        last_seq = -1
        last_face = None
        on_progress(LOOK)
        while True:
            if cancelled.is_set():
                return FaceDecision(False, None, None)
            now = time.monotonic()
            if now >= deadline:
                return self._timed_out(camera, distances, advice, challenge)
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
            face = analysis.face if analysis.verdict.problem != "many_faces" else None
            if face is not None:
                passive.feed(face)

            if challenge_at is not None and challenge is None and now >= challenge_at:
                challenge = ChallengeCheck(pick_challenge(s.liveness, self._rng), now, s.liveness, last_face)
                on_progress(challenge.prompt)
                camera.perform(challenge.challenge.value)   # the demo's recorded person acts it out
            if challenge is not None and challenge.outcome is ChallengeOutcome.PENDING:
                outcome = challenge.feed(face, now)
                if outcome is ChallengeOutcome.FAILED:
                    live = passive.is_live()
                    log.info("face check: challenge %s failed (non-planar %.3f)", challenge.challenge.value, passive.score())
                    return FaceDecision(False, self._combined(distances), CHALLENGE_MISSED if live else NOT_LIVE)
                if outcome is ChallengeOutcome.PASSED:
                    on_progress(LOOK_BACK)
                continue   # during the movement frames are not frontal; do not match them
            if face is not None:
                last_face = face

            if not analysis.verdict.ok:
                advice = analysis.verdict.advice
                if advice is not None and (challenge is None or challenge.outcome is ChallengeOutcome.PASSED):
                    on_progress(advice)
                continue
            assert analysis.face is not None   # a good verdict is one about exactly one face
            distances.append(reference.distance(self._probe(frame.image, analysis.face)))
            if challenge is None and challenge_at is None:
                if len(distances) < s.policy.min_good_frames:
                    on_progress(LOOK)
                    continue
                first = matching.decide(distances, s.policy)
                if not first.matched:
                    log.info("face check: no match (distance %.3f over %d frames)", first.distance, first.frames)
                    return FaceDecision(False, first.distance, MISMATCH)
                if not s.require_liveness:
                    return FaceDecision(True, first.distance, None)
                challenge_at = now + self._rng.uniform(*s.challenge_delay)
                continue
            if challenge is not None and challenge.outcome is ChallengeOutcome.PASSED:
                # The face after the turn must itself match: the median over all frames would not
                # notice a different face swapped in during the movement.
                after = distances[-1]
                final = matching.decide(distances, s.policy)
                matched = final.matched and after < s.policy.threshold
                if not passive.is_live():
                    log.info("face check: not live (non-planar %.3f)", passive.score())
                    return FaceDecision(False, final.distance, NOT_LIVE)
                log.info("face check: %s (distance %.3f over %d frames, %.3f after the challenge, non-planar %.3f)",
                         "match" if matched else "no match", final.distance, final.frames, after, passive.score())
                return FaceDecision(matched, final.distance, None if matched else MISMATCH)

    def _combined(self, distances: list[float]) -> float | None:
        d = matching.decide(distances, self.settings.policy)
        return None if d.frames == 0 or d.distance != d.distance else d.distance

    def _timed_out(self, camera: Camera, distances: list[float], advice: Text | None,
                   challenge: ChallengeCheck | None) -> FaceDecision:
        err = camera.error()
        if err is not None:
            raise CameraError(err.reason, err.detail)
        if challenge is not None:
            return FaceDecision(False, self._combined(distances), CHALLENGE_MISSED)
        return FaceDecision(False, self._combined(distances), advice or NO_GOOD_FRAME)
