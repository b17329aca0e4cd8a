"""The challenge sequence: several random head movements, each asked for at a random moment.

A replay cannot follow instructions it has not seen. One coin flip (left or right) is matched by
chance half the time, so the check asks for `actions` movements drawn without repetition from
five kinds (turn left/right, tilt left/right, come closer), and for each one it requires:

  1. a still, frontal, neutral pose held before the prompt, at least `hold_s` and
     `min_hold_frames` (a replay that is already turned, or moving, never gets a prompt and is
     refused; one that moves once the hold is established and before the prompt is refused too;
     a single frame out of line followed by one back in line is landmark noise, not a movement);
  2. the prompt at a random moment: `pause` seconds (drawn per action) after the first still
     frame, so the hold is the first part of the random pause, not added to it;
  3. no movement at all during the first `reaction_floor_s` after the prompt (no person reacts
     that fast; a replay that happened to be moving is caught here);
  4. the asked movement, in the asked direction only, reaching its threshold before
     `reaction_ceiling_s` (a move the other way or of another kind is refused);
  5. a return to the neutral pose within `return_s`, accepted on the first frame that is back
     (no dwell); that frame starts the next action's hold.

Every time is a frame timestamp (the capture time the camera stamped on the frame), never a
clock read here, so a loaded machine changes how many frames are seen, not the decision's rules.
Pure computation on landmarks (numpy only); runs on the face worker thread and never blocks.
"""
from __future__ import annotations

import enum
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from kiosk.devices.face.observation import Point
from kiosk.domain.text import Text
from kiosk.i18n import tr


class Action(enum.Enum):
    TURN_LEFT = "turn_left"      # the person's own left (nose towards the image's right, unmirrored)
    TURN_RIGHT = "turn_right"
    TILT_LEFT = "tilt_left"      # head towards the person's own left shoulder
    TILT_RIGHT = "tilt_right"
    COME_CLOSER = "come_closer"


ALL_ACTIONS: tuple[Action, ...] = tuple(Action)

# With the colour-flash check off, nothing but the challenge stands between a replay timed to the
# prompts (still and frontal, then a guessed movement) and a pass: three movements of five kinds
# with a turn are 54 orders (1.9 % by guessing, 3 of 200 measured), four are 120 (0.8 %, under
# the issue-16 goal of 1 %). docs/benchmarks.md "Liveness" (issue 16, flash off).
FLASH_OFF_ACTIONS = 4


def actions_needed(configured: int, flash_check: bool) -> int:
    """How many movements a check asks for: the configured count (`[face] challenge_actions`),
    raised to FLASH_OFF_ACTIONS when the colour-flash check is off. Pure; any thread."""
    return configured if flash_check else max(configured, FLASH_OFF_ACTIONS)

PROMPTS: dict[Action, Text] = {
    Action.TURN_LEFT: tr("请向左转头，再转回来。"),
    Action.TURN_RIGHT: tr("请向右转头，再转回来。"),
    Action.TILT_LEFT: tr("请把头歪向左肩，再回正。"),
    Action.TILT_RIGHT: tr("请把头歪向右肩，再回正。"),
    Action.COME_CLOSER: tr("请靠近屏幕一点，再退回原处。"),
}
HOLD_STILL = tr("请正对屏幕，保持不动，等待提示。")
LOOK_BACK = tr("很好，请回正，看着屏幕。")


class Refusal(enum.Enum):
    """Why a challenge sequence failed (stable codes for logs, tests and the benchmark)."""
    NOT_NEUTRAL = "not_neutral"            # never still and frontal in time: turned, or moving all along
    MOVED_EARLY = "moved_before_prompt"    # moved after the hold and before the prompt
    TOO_FAST = "too_fast"                  # moved within the reaction floor after the prompt
    WRONG_MOVEMENT = "wrong_movement"      # the other way, or another kind of movement
    NO_RESPONSE = "no_response"            # the asked movement did not come in time
    NO_RETURN = "no_return"                # did not come back to the neutral pose


class Outcome(enum.Enum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True)
class ChallengeConfig:
    """Thresholds and windows (seconds of frame time). See docs/benchmarks.md "Liveness"."""

    actions: int = 3
    kinds: tuple[Action, ...] = ALL_ACTIONS
    # Every sequence has at least one of these: a turn shows parallax, which a flat picture
    # (a photo tilted or brought closer can do the other movements) cannot.
    required: tuple[Action, ...] = (Action.TURN_LEFT, Action.TURN_RIGHT)
    hold_s: float = 0.1                   # still and neutral at least this long before a prompt may come
    # The prompt comes this long after the first still, neutral frame, drawn at random per action
    # (the hold is its first part). Why this range: docs/benchmarks.md "Liveness" (issue 16 timing).
    pause: tuple[float, float] = (0.1, 0.3)
    settle_s: float = 3.0                 # time to become still and neutral (first action: from the start)
    reaction_floor_s: float = 0.25        # no movement may start sooner than this after the prompt
    reaction_ceiling_s: float = 2.5       # the asked movement must reach its threshold by then
    return_s: float = 2.5                 # and the pose must be back to neutral this long after that
    min_hold_frames: int = 3
    # The movement thresholds, each from the pose held before the prompt.
    turn: float = 0.09                    # turn ratio (~12 degrees)
    tilt: float = 10.0                    # degrees of head roll
    closer: float = 0.15                  # relative growth of the eye distance
    onset: float = 0.5                    # this fraction of a threshold, on any axis, counts as moving
    other: float = 0.7                    # this fraction of another axis' threshold is a wrong movement
    # Neutral: near-frontal (absolute), and still (range over the hold window).
    neutral_turn: float = 0.07
    neutral_tilt: float = 12.0
    still_turn: float = 0.045
    still_tilt: float = 4.0
    still_scale: float = 0.08
    back_scale: float = 0.06               # back to neutral: this close to the held size

    @classmethod
    def from_face_settings(cls, challenges: str, actions: int, reaction_ceiling_s: float,
                           flash_check: bool) -> ChallengeConfig:
        """The challenge the kiosk (kiosk/compose.py) and bench/replay_eval.py build from `[face]`:
        `challenges` comma-separated kinds (repeats ignored), `actions` the configured count,
        `flash_check` whether the screen's colour flash is checked (see actions_needed). Pure."""
        return cls(actions=actions_needed(actions, flash_check), reaction_ceiling_s=reaction_ceiling_s,
                   kinds=tuple(dict.fromkeys(Action(c.strip()) for c in challenges.split(","))))


@dataclass(frozen=True)
class Pose:
    """Three in-plane measures from landmarks: `turn` (-0.5..0.5, > 0 towards the person's left,
    measured along the jaw so a tilt does not change it), `tilt` (degrees, > 0 towards the
    person's left shoulder) and `scale` (eye distance in pixels)."""

    turn: float
    tilt: float
    scale: float


def pose_of(landmarks: Mapping[str, Sequence[Point]]) -> Pose:
    chin = np.asarray(landmarks["chin"], np.float64)
    nose = np.mean(np.asarray(landmarks["nose_tip"], np.float64), axis=0)
    a, b = chin[2], chin[14]
    axis = b - a
    span2 = float(axis @ axis)
    turn = float((nose - a) @ axis / span2 - 0.5) if span2 > 1e-6 else 0.0
    # "left_eye" is the eye on the image's left (the person's right eye, unmirrored).
    le = np.mean(np.asarray(landmarks["left_eye"], np.float64), axis=0)
    re = np.mean(np.asarray(landmarks["right_eye"], np.float64), axis=0)
    d = re - le
    # Image y grows downwards: the person's left eye dropping (tilt to their left) gives dy > 0.
    tilt = math.degrees(math.atan2(d[1], d[0]))
    return Pose(turn, tilt, float(np.hypot(*d)))


@dataclass(frozen=True)
class Step:
    """What one frame changed: `prompt` is the action just asked for (show it now)."""
    outcome: Outcome
    prompt: Action | None = None
    instruction: Text | None = None
    refusal: Refusal | None = None


@dataclass
class _Action:
    action: Action
    pause: float
    phase: str = "settling"               # settling, holding, responding, returning, done
    since: float = 0.0                    # when this phase began (frame time)
    hold: list[tuple[float, Pose]] = field(default_factory=list)
    baseline: Pose | None = None
    prompt_at: float = 0.0
    prompted: float = 0.0
    peak: float = 0.0
    outlier: bool = False                 # the last frame of the hold was out of line (ignored once)


class ChallengeSequence:
    """Follows one sequence of actions over a face check's frames. Face worker thread only."""

    def __init__(self, actions: Sequence[Action], pauses: Sequence[float], start: float,
                 config: ChallengeConfig = ChallengeConfig()) -> None:
        """`pauses`: per action, seconds from the first still, neutral frame to the prompt (the
        prompt never comes before the hold is established, however short the pause)."""
        if len(actions) != len(pauses) or not actions:
            raise ValueError("one pause per action, at least one action")
        self.config = config
        self.actions = tuple(actions)
        self._todo = [_Action(a, p) for a, p in zip(actions, pauses, strict=True)]
        self._todo[0].since = start
        self._index = 0
        self.outcome = Outcome.PENDING
        self.refusal: Refusal | None = None
        self.failed_on: Action | None = None
        self.prompted_at: list[float] = []     # frame times of the prompts (the benchmark uses them)

    @classmethod
    def draw(cls, config: ChallengeConfig, rng: random.Random, start: float) -> ChallengeSequence:
        """`config.actions` different kinds in random order (one of them from `required` when the
        kinds allow it), each with its own random moment."""
        n = min(config.actions, len(config.kinds))
        actions = rng.sample(list(config.kinds), n)
        while set(config.required) & set(config.kinds) and not set(config.required) & set(actions):
            actions = rng.sample(list(config.kinds), n)
        return cls(actions, [rng.uniform(*config.pause) for _ in actions], start, config)

    @property
    def current(self) -> Action | None:
        return self._todo[self._index].action if self.outcome is Outcome.PENDING else None

    @property
    def moving(self) -> Action | None:
        """The action being answered now (from its prompt until back to neutral), if any."""
        a = self._todo[self._index] if self.outcome is Outcome.PENDING else None
        return a.action if a is not None and a.phase in ("responding", "returning") else None

    @property
    def holding(self) -> bool:
        """True while the person should be still and frontal (frames fit for matching)."""
        return self.outcome is not Outcome.PENDING or self._todo[self._index].phase in ("settling", "holding")

    def _fail(self, why: Refusal) -> Step:
        self.failed_on = self._todo[self._index].action
        self.outcome, self.refusal = Outcome.FAILED, why
        return Step(self.outcome, refusal=why)

    # --- geometry -------------------------------------------------------------------------------
    def _neutral(self, p: Pose) -> bool:
        c = self.config
        return abs(p.turn) <= c.neutral_turn and abs(p.tilt) <= c.neutral_tilt

    def _still(self, poses: Sequence[Pose]) -> bool:
        c = self.config
        turns, tilts, scales = [p.turn for p in poses], [p.tilt for p in poses], [p.scale for p in poses]
        return (max(turns) - min(turns) <= c.still_turn and max(tilts) - min(tilts) <= c.still_tilt
                and max(scales) <= (1.0 + c.still_scale) * min(scales))

    def _moves(self, p: Pose, base: Pose) -> dict[Action, float]:
        """Movement from `base` towards each action, as a fraction of its threshold (negative:
        the other way; for COME_CLOSER, moving away)."""
        c = self.config
        dturn, dtilt = (p.turn - base.turn) / c.turn, (p.tilt - base.tilt) / c.tilt
        dscale = (p.scale / base.scale - 1.0) / c.closer if base.scale > 0 else 0.0
        return {Action.TURN_LEFT: dturn, Action.TURN_RIGHT: -dturn, Action.TILT_LEFT: dtilt,
                Action.TILT_RIGHT: -dtilt, Action.COME_CLOSER: dscale}

    # --- frames ---------------------------------------------------------------------------------
    def feed(self, pose: Pose | None, t: float) -> Step:
        """One analysed frame at frame time `t`; `pose` None when no single face was seen (it
        changes nothing, but the windows still run out on later frames' times)."""
        if self.outcome is not Outcome.PENDING:
            return Step(self.outcome, refusal=self.refusal)
        c, a = self.config, self._todo[self._index]
        if a.phase == "settling":
            return self._settling(a, pose, t)
        if a.phase == "holding":
            if pose is not None and not (self._neutral(pose) and self._still([*(q for _, q in a.hold), pose])):
                # One frame out of line is landmark noise (a flash's tint moves the landmarks by
                # a few pixels); a head movement lasts several frames (a turn takes >= 0.2 s), so
                # the next frame out of line too is a movement. The odd frame is not held.
                if a.outlier:
                    return self._fail(Refusal.MOVED_EARLY)
                a.outlier = True
                return Step(Outcome.PENDING)
            if pose is not None:
                a.outlier = False
                a.hold.append((t, pose))
            if t < a.prompt_at:
                return Step(Outcome.PENDING)
            a.phase, a.prompted = "responding", t
            poses = [q for _, q in a.hold]
            a.baseline = Pose(float(np.mean([q.turn for q in poses])), float(np.mean([q.tilt for q in poses])),
                              float(np.mean([q.scale for q in poses])))
            self.prompted_at.append(t)
            return Step(Outcome.PENDING, prompt=a.action, instruction=PROMPTS[a.action])
        assert a.baseline is not None
        if a.phase == "responding":
            if t - a.prompted > c.reaction_ceiling_s:
                return self._fail(Refusal.NO_RESPONSE)
            if pose is None:
                return Step(Outcome.PENDING)
            moves = self._moves(pose, a.baseline)
            if any(abs(v) >= c.onset for v in moves.values()) and t - a.prompted < c.reaction_floor_s:
                return self._fail(Refusal.TOO_FAST)
            if self._wrong(a.action, moves):
                return self._fail(Refusal.WRONG_MOVEMENT)
            if moves[a.action] >= 1.0:
                a.phase, a.peak = "returning", t
                return Step(Outcome.PENDING, instruction=LOOK_BACK)
            return Step(Outcome.PENDING)
        # returning
        if t - a.peak > c.return_s:
            return self._fail(Refusal.NO_RETURN)
        if pose is None:
            return Step(Outcome.PENDING)
        moves = self._moves(pose, a.baseline)
        # The asked movement is made; a head coming back from a turn rolls a little (the demo's
        # turn to the right rolls 6-7 degrees), so here only a whole movement of another kind is
        # wrong (and, as before, any overshoot the other way on the asked axis).
        if self._wrong(a.action, moves, other=1.0):
            return self._fail(Refusal.WRONG_MOVEMENT)
        if not self._back(pose, a.baseline):
            return Step(Outcome.PENDING)
        a.phase = "done"
        self._index += 1
        if self._index == len(self._todo):
            self.outcome = Outcome.PASSED
            return Step(Outcome.PASSED)
        nxt = self._todo[self._index]
        nxt.since = t
        return self._settling(nxt, pose, t)

    def _back(self, pose: Pose, base: Pose) -> bool:
        c = self.config
        return (abs(pose.turn - base.turn) <= c.still_turn and abs(pose.tilt - base.tilt) <= c.still_tilt
                and abs(pose.scale / base.scale - 1.0) <= c.back_scale)

    def would_finish(self, pose: Pose) -> bool:
        """Would this pose complete the sequence (the last action's return to neutral)? The face
        check encodes such a frame, so the decision comes on it instead of one frame later."""
        if self.outcome is not Outcome.PENDING or self._index != len(self._todo) - 1:
            return False
        a = self._todo[self._index]
        return (a.phase == "returning" and a.baseline is not None and self._back(pose, a.baseline)
                and not self._wrong(a.action, self._moves(pose, a.baseline), other=1.0))

    def _wrong(self, asked: Action, moves: dict[Action, float], other: float | None = None) -> bool:
        """Movement the other way on the asked axis (beyond the onset), or along another axis
        (beyond `other`, by default the configured fraction of its threshold); coming closer's
        opposite, moving away, counts as another axis."""
        c = self.config
        other = c.other if other is None else other
        opposite = {Action.TURN_LEFT: Action.TURN_RIGHT, Action.TURN_RIGHT: Action.TURN_LEFT,
                    Action.TILT_LEFT: Action.TILT_RIGHT, Action.TILT_RIGHT: Action.TILT_LEFT}
        for kind, v in moves.items():
            if kind is asked:
                continue
            if kind is opposite.get(asked):
                if v >= c.onset:
                    return True
            elif kind is Action.COME_CLOSER:
                if abs(v) >= other:
                    return True
            elif v >= other:
                return True
        return asked is Action.COME_CLOSER and moves[asked] <= -c.onset

    def _settling(self, a: _Action, pose: Pose | None, t: float) -> Step:
        c = self.config
        if t - a.since > c.settle_s:
            return self._fail(Refusal.NOT_NEUTRAL)
        if pose is None:
            return Step(Outcome.PENDING, instruction=HOLD_STILL)
        if not self._neutral(pose):
            a.hold.clear()
            return Step(Outcome.PENDING, instruction=HOLD_STILL)
        a.hold.append((t, pose))
        while len(a.hold) > 1 and not self._still([q for _, q in a.hold]):
            a.hold.pop(0)                 # the hold starts after the last movement
        if len(a.hold) >= c.min_hold_frames and a.hold[-1][0] - a.hold[0][0] >= c.hold_s:
            # The random pause runs from the first still frame: the hold is part of it.
            a.phase, a.prompt_at = "holding", max(t, a.hold[0][0] + a.pause)
        return Step(Outcome.PENDING, instruction=HOLD_STILL)
