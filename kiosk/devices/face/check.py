"""One face check's decisions, frame by frame: matching, the challenge sequence, the screen-light
reflection and the passive (non-planar) check, tied together.

The verifier (verifier.py) feeds it analysed camera frames; the replay benchmark
(bench/replay_eval.py) feeds it the same analyses of re-timed frames. Every time here is a frame
timestamp: nothing reads a clock, so the rules do not depend on how busy the machine is.

One check, as the citizen lives it:
  1. "Look at the camera and hold still": the first good frames are matched against the chip
     photo; no match ends the check at once. Meanwhile the screen flashes its colours.
  2. Three random movements, each at a random moment (kiosk/devices/face/challenge.py).
  3. Back to neutral: one more good, matching frame (the face that moved is the face that
     matched); the passive check must have seen a motion no flat picture makes; the face must
     have reflected the flashes (when the flash check is on); a depth sensor, if any, must
     not object. Then the decision.

Face worker thread only; CPU only, a few microseconds per frame beyond what the caller computed.
"""
from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kiosk.devices.face import matching, quality
from kiosk.devices.face.challenge import HOLD_STILL, Action, ChallengeConfig, ChallengeSequence, Outcome, pose_of
from kiosk.devices.face.cue import (Colour, DepthSensor, FlashConfig, FlashPlan, NoDepthSensor, ScreenFlash,
                                    reflection)
from kiosk.devices.face.liveness import LivenessConfig, PassiveLiveness, nonplanar_motion
from kiosk.devices.face.observation import FrameAnalysis
from kiosk.devices.face.quality import QualityGates
from kiosk.devices.ports import FaceDecision
from kiosk.domain.text import Text
from kiosk.i18n import tr

log = logging.getLogger(__name__)

LOOK = tr("请正对摄像头，保持自然。")
MISMATCH = tr("人脸与证件照片不一致。请摘下帽子或口罩，正对摄像头后重试。")
NO_GOOD_FRAME = tr("没能看清您的脸。请按屏幕提示调整后重试。")
NOT_LIVE = tr("未能确认是本人在场。请移开照片或手机屏幕，本人正对摄像头后重试。")
CHALLENGE_MISSED = tr("没有看到您按提示动作。请先正对屏幕保持不动，提示出现后再按提示动作，然后重试。")


# A challenge refused before the face was matched waits this long (frame time) for the match:
# "your face did not match the card" is the more useful thing to hear, when it is so.
MATCH_GRACE_S = 1.5


@dataclass(frozen=True)
class VerifierSettings:
    policy: matching.MatchPolicy     # its threshold comes from the configuration; no default here
    gates: QualityGates = quality.DEFAULT_GATES
    liveness: LivenessConfig = LivenessConfig()
    challenge: ChallengeConfig = field(default_factory=ChallengeConfig)
    flash: FlashConfig | None = field(default_factory=FlashConfig)   # None: the flash check is off
    require_liveness: bool = True

    def checks(self) -> tuple[str, ...]:
        """What a passed check has established, for the application record and the receipt."""
        if not self.require_liveness:
            return ("match",)
        return ("match", f"moves:{self.challenge.actions}") + (("flash",) if self.flash is not None else ())


class FaceCheck:
    """Decides one face check. Face worker thread only."""

    def __init__(self, settings: VerifierSettings, rng: random.Random, flash: ScreenFlash | None = None,
                 depth: DepthSensor | None = None, perform: Callable[[str], None] = lambda action: None,
                 progress: Callable[[Text], None] = lambda text: None) -> None:
        self.s = settings
        self._rng = rng
        self._flash = flash if settings.flash is not None else None
        self._depth = depth or NoDepthSensor()
        self._perform, self._progress = perform, progress
        self._passive = PassiveLiveness(settings.liveness)
        self._distances: list[float] = []
        self._after: float | None = None
        self._matched_first = False
        self._advice: Text | None = None
        self.start: float | None = None
        self.sequence: ChallengeSequence | None = None
        self._plan: FlashPlan | None = None
        self._shown: Colour | None = None
        self._samples: list[tuple[float, np.ndarray]] = []
        # Landmarks of each turn, from its prompt until back to neutral: the passive check is
        # judged on these (the still frames around them would drown a turn's parallax).
        self._turns: list[list] = []
        self._turning = False
        self._failed_at: float | None = None   # when the challenge failed, if it did
        self.why = ""                 # a short code for the log and the benchmark

    def _begin(self, t: float) -> None:
        self.start = t
        if self.s.require_liveness:
            self.sequence = ChallengeSequence.draw(self.s.challenge, self._rng, t)
            if self._flash is not None and self.s.flash is not None:
                self._plan = FlashPlan.draw(self.s.flash, self._rng)
        self._depth.start()

    def wants_probe(self, analysis: FrameAnalysis) -> bool:
        """Is this frame worth encoding (a good frame while still, or the one after the moves)?"""
        if not analysis.verdict.ok:
            return False
        if len(self._distances) < self.s.policy.min_good_frames:
            return self.sequence is None or self.sequence.holding
        seq = self.sequence
        if seq is None or self._after is not None:
            return False
        # The frame that completes the last return to neutral is the one after the moves: encoding
        # it lets the decision come on that frame rather than on the next good one.
        face = analysis.face
        return seq.outcome is Outcome.PASSED or (face is not None and seq.would_finish(pose_of(face.landmarks)))

    def feed(self, t: float, analysis: FrameAnalysis, chroma: np.ndarray | None = None,
             distance: float | None = None) -> FaceDecision | None:
        """One analysed frame taken at frame time `t`, with the face's chroma (for the flash
        check) and its distance to the chip photo when `wants_probe` said so. A decision, or
        None to go on."""
        if self.start is None:
            self._begin(t)
        assert self.start is not None
        face = analysis.face if analysis.verdict.problem != "many_faces" else None
        if face is not None:
            self._passive.feed(face)
        if self._plan is not None and self._flash is not None:
            colour = self._plan.colour_at(t - self.start)
            if colour != self._shown:
                self._flash.show(colour)
                self._shown = colour
            if face is not None and chroma is not None:
                self._samples.append((t, chroma))
        if not analysis.verdict.ok and analysis.verdict.advice is not None:
            self._advice = analysis.verdict.advice
        # A face that does not match is said first: it is what the citizen can act on.
        # A distance once the first good frames are matched is the frame after the moves (the one
        # that completed them, or a later good one); it joins the median like the others.
        after = distance if distance is not None and len(self._distances) >= self.s.policy.min_good_frames else None
        if distance is not None:
            self._distances.append(distance)
        if not self._matched_first and len(self._distances) >= self.s.policy.min_good_frames:
            first = matching.decide(self._distances, self.s.policy)
            if not first.matched:
                self.why = "mismatch"
                log.info("face check: no match (distance %.3f over %d frames)", first.distance, first.frames)
                return self._refuse(MISMATCH, first.distance)
            self._matched_first = True
            if self.sequence is None:
                self.why = "match"
                return FaceDecision(True, first.distance, None)
        seq = self.sequence
        completed = False
        if seq is not None and seq.outcome is Outcome.PENDING:
            step = seq.feed(pose_of(face.landmarks) if face is not None else None, t)
            if step.prompt is not None:
                self._perform(step.prompt.value)   # the demo's recorded person acts it out
            completed = step.outcome is Outcome.PASSED
            turning = seq.moving in (Action.TURN_LEFT, Action.TURN_RIGHT)
            if turning and not self._turning:
                self._turns.append([])
            if turning and face is not None:
                self._turns[-1].append(face.landmarks)
            self._turning = turning
            if step.outcome is Outcome.FAILED:
                self.why = seq.refusal.value if seq.refusal else "challenge"
                self._failed_at = t
                log.info("face check: challenge refused (%s, asked %s)", self.why,
                         seq.failed_on.value if seq.failed_on else "-")
            if step.instruction is HOLD_STILL and not analysis.verdict.ok and analysis.verdict.advice is not None:
                self._progress(analysis.verdict.advice)   # "come closer" first: holding still comes after
            elif step.instruction is not None:
                self._progress(step.instruction)
        elif seq is None and not analysis.verdict.ok and analysis.verdict.advice is not None:
            self._progress(analysis.verdict.advice)
        if after is not None and seq is not None and seq.outcome is Outcome.PASSED:
            # The frame that completed the return may still be coming back (a few degrees off,
            # or lit by a flash): if it does not match, the next good frame is the one after the
            # moves and decides. Two frames at most: an impostor's is far above the threshold.
            if not (completed and after >= self.s.policy.threshold):
                self._after = after
        if self._failed_at is not None and (self._matched_first or t - self._failed_at > MATCH_GRACE_S):
            # A flat picture all along is told to take the photo or screen away.
            return self._refuse(CHALLENGE_MISSED if self._passive.is_live() else NOT_LIVE)
        seq = self.sequence
        if seq is None or seq.outcome is not Outcome.PASSED or self._after is None:
            return None
        return self._final(t)

    def _final(self, t: float) -> FaceDecision | None:
        assert self.start is not None and self._after is not None
        seen = None
        if self._flash is not None and self.s.flash is not None and self._plan is not None:
            seen = reflection(self._flash.intervals(self.start), self._samples, self.s.flash)
            if seen.judged < self.s.flash.min_judged and t - self.start < self._plan.duration:
                return None                                # more flashes to see before deciding
        final = matching.decide(self._distances, self.s.policy)
        # The face after the moves must itself match: the median over all frames would not notice
        # a different face swapped in during the movements.
        matched = final.matched and self._after < self.s.policy.threshold
        if self.nonplanar() < self.s.liveness.nonplanar_threshold:
            self.why = "flat"
            log.info("face check: not live (non-planar %.3f)", self.nonplanar())
            return self._refuse(NOT_LIVE, final.distance)
        if seen is not None:
            if not seen.ok:
                self.why = "no_reflection"
                log.info("face check: the screen's flashes were not reflected (%s over %d flashes)",
                         ", ".join(f"{x:.3f}" for x in seen.shifts), seen.judged)
                return self._refuse(NOT_LIVE, final.distance)
        if self._depth.verdict(self.start, t) is False:
            self.why = "depth"
            return self._refuse(NOT_LIVE, final.distance)
        self.why = "match" if matched else "mismatch"
        log.info("face check: %s (distance %.3f over %d frames, %.3f after the moves, non-planar %.3f)",
                 "match" if matched else "no match", final.distance, final.frames, self._after, self.nonplanar())
        return FaceDecision(matched, final.distance, None if matched else MISMATCH, refused=not matched,
                            checks=self.s.checks() if matched else ())

    def nonplanar(self) -> float:
        """The passive score: over each turn's frames (the best one), or over the whole check
        when the sequence had no turn or too few frames of it."""
        turns = [w for w in self._turns if len(w) >= 4]
        if not turns:
            return self._passive.score() if self._passive.frames >= self.s.liveness.min_frames else 0.0
        return max(nonplanar_motion(w, self.s.liveness.pair_gap) for w in turns)

    def _refuse(self, reason: Text, distance: float | None = None) -> FaceDecision:
        return FaceDecision(False, distance if distance is not None else self._combined(), reason, refused=True)

    def _combined(self) -> float | None:
        d = matching.decide(self._distances, self.s.policy)
        return None if d.frames == 0 or d.distance != d.distance else d.distance

    def timed_out(self) -> FaceDecision:
        """The deadline passed without a decision. A challenge under way counts as refused."""
        seq = self.sequence
        if seq is not None and seq.prompted_at:
            self.why = "timeout_in_challenge"
            return self._refuse(CHALLENGE_MISSED)
        self.why = "timeout"
        return FaceDecision(False, self._combined(), self._advice or NO_GOOD_FRAME)

    def end(self) -> None:
        """The check is over: the screen's normal look again, the depth sensor stopped."""
        if self._flash is not None:
            self._flash.clear()
        self._depth.stop()
