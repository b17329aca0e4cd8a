"""The whole face check's timing on synthetic frames (no camera, no dlib): the decision comes on
the frame that completes the last return to neutral, and that frame must itself match."""
from __future__ import annotations

import random

from kiosk.devices.face.challenge import Action, Outcome
from kiosk.devices.face.check import FaceCheck, VerifierSettings
from kiosk.devices.face.matching import MatchPolicy
from kiosk.devices.face.observation import FaceObservation, FrameAnalysis, QualityVerdict
from tests.unit.test_face_challenge import FPS, MOVES, Person, landmarks

SETTINGS = VerifierSettings(policy=MatchPolicy(threshold=0.5, min_good_frames=3), flash=None)


def analysis(i: int, turn: float, tilt: float, scale: float) -> FrameAnalysis:
    face = FaceObservation(box=(100, 420, 380, 220), landmarks=landmarks(turn, tilt, scale), yaw=0.0, pitch=0.0,
                           roll=0.0, eye_openness=0.3, mouth_openness=0.0, sharpness=100.0, brightness=120.0)
    return FrameAnalysis(i, 100.0 + i / FPS, face, QualityVerdict(True), 640, 480)


class Moving(Person):
    """The synthetic person, answering the prompts; `raw(t)` gives the landmark inputs."""

    def raw(self, t: float) -> tuple[float, float, float]:
        turn, tilt, scale = 0.0, 0.0, 1.0
        for start, action in self.moves:
            if action is None or t < start:
                continue
            dt = t - start
            f = min(1.0, dt / 0.3) if dt < 0.4 else max(0.0, 1.0 - (dt - 0.4) / 0.3)
            dturn, dtilt, dscale = MOVES[action]
            turn, tilt, scale = turn + f * dturn, tilt + f * dtilt, scale * (1 + f * (dscale - 1))
        return turn, tilt, scale


def run(distance_after: list[float]) -> tuple[FaceCheck, int | None, int | None, bool | None]:
    """Feeds frames until a decision; distance 0.40 for the first good frames, then the values in
    `distance_after` for the frames encoded after the movements. Returns the check, the frame
    index on which the sequence passed, the index of the decision and whether it matched."""
    person = Moving()
    check = FaceCheck(SETTINGS, random.Random(1), perform=lambda a: person.prompted(Action(a), now[0]))
    now = [0.0]
    after = iter(distance_after)
    passed_at = None
    for i in range(int(10 * FPS)):
        t = 100.0 + i / FPS
        now[0] = t
        a = analysis(i, *person.raw(t))
        probe = check.wants_probe(a)
        # Once the first good frames are matched, the check encodes only frames after the moves.
        distance = (next(after) if check._matched_first else 0.40) if probe else None
        decision = check.feed(t, a, None, distance)
        if passed_at is None and check.sequence is not None and check.sequence.outcome is Outcome.PASSED:
            passed_at = i
        if decision is not None:
            return check, passed_at, i, decision.matched
    return check, passed_at, None, None


def test_the_decision_comes_on_the_frame_that_completes_the_last_return():
    check, passed_at, decided_at, matched = run([0.40])
    assert check.why == "match" and matched
    assert passed_at is not None and decided_at == passed_at


def test_a_completing_frame_that_does_not_match_leaves_the_decision_to_the_next_good_frame():
    _, passed_at, decided_at, matched = run([0.55, 0.40])
    assert matched and passed_at is not None and decided_at == passed_at + 1


def test_a_face_that_does_not_match_after_the_moves_is_refused():
    check, _, _, matched = run([0.62, 0.64])
    assert matched is False and check.why == "mismatch"
