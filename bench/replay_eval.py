"""Replay attacks against the face check, and the cooperative genuine person, in frame time.

    nice -n 10 .venv/bin/python bench/replay_eval.py [--attempts 200] [--genuine 200] [--markdown]

Not run in CI. What it measures, with the kiosk's own decision logic (kiosk/devices/face/check.py
FaceCheck, the packaged configuration) over the demo clip of the genuine person, cropped and
framed as the demo's camera shows it (face box 150 px; the size gate needs 105.6 px, so every
replay reaches the challenge):

  blind replays (nothing follows the prompts), each with a random start and timing:
    plain     the clip looped
    lr        left-frontal-right alternation (turn footage, frontal holds of random length)
    pairs     frontal, with quick turn-and-back pairs at random moments
    pingpong  the face part of the clip forward and backward
    returns   quick returns from a turned head to frontal, again and again
    timed     a replay made for this check's timing: still, a guessed movement 0.65 s later
              (after the longest pause plus the reaction floor), back, still, the next guess
  operator    someone holding a phone who watches each prompt and, 0.8-2 s later, plays the
              matching footage (turns), or tilts the phone / brings it closer (the other moves)
  genuine     the demo's scripted person (citizens.yaml camera_script): reacts 0.3-0.45 s after
              each prompt, answers every movement and is lit by the screen's flashes

each with the flash check on and off (the replays are never lit by the screen: a phone's picture
does not change with it; the genuine person is, when the screen flashes). With the flash check
off the check asks for four movements instead of three, as the kiosk does
(kiosk/devices/face/challenge.py actions_needed), and the timed replay guesses four.

Method (why 2,000+ checks fit on two shared cores): a check is simulated on a virtual clock. The
camera delivers a frame every 1/30 s; the verifier takes the newest one and spends the measured
per-frame analysis time on it (plus the measured encoding time when it encodes one), exactly as
the face worker does (and, like it, waits for the next frame rather than analyse one twice), so it
sees the frames it would see (the times are CPU times measured while
filling the cache, i.e. one free core, and do not depend on what else the machine runs). The expensive per-frame work, dlib
detection + landmarks + quality gates, the face chroma, and the face encoding's distance to the
chip photo, depends only on the source frame, the transform (tilt/zoom amount) and the screen
tint, and is cached under that key: replays are re-timings of the same source frames. The
decisions (challenge sequence, flash reflection, passive score, matching) run for every frame of
every attempt. Reports accepted / attempts with a 95 % Clopper-Pearson interval, why checks were
refused, and the genuine person's time from "look at the camera" to the decision.
"""
from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.config import load_config  # noqa: E402
from kiosk.devices.capture import fit_frame  # noqa: E402
from kiosk.devices.face import matching, quality  # noqa: E402
from kiosk.devices.face.challenge import ChallengeConfig  # noqa: E402
from kiosk.devices.face.check import FaceCheck, VerifierSettings  # noqa: E402
from kiosk.devices.face.cue import FlashConfig, face_chroma  # noqa: E402
from kiosk.devices.face.liveness import LivenessConfig  # noqa: E402
from kiosk.devices.face.screen_flash import ScreenFlash  # noqa: E402
from kiosk.devices.sim.camera import Transform, transform  # noqa: E402
from kiosk.devices.sim.citizens import load_citizens  # noqa: E402

FPS = 30.0
DEADLINE = 12.0          # [session] face_check_seconds
LIGHT = 0.2              # how strongly the screen lights the genuine face (kiosk/devices/sim/camera.py)

Key = tuple[int, float, float, tuple[int, int, int] | None]   # source frame, tilt, zoom, tint


class Frames:
    """The clip's frames as the demo camera frames them, and the cached analyses."""

    def __init__(self, chen) -> None:
        script = chen.camera_script
        cap = cv2.VideoCapture(str(chen.camera_source))
        self.frames = []
        while True:
            ok, img = cap.read()
            if not ok:
                break
            x, y, w, h = script.crop
            self.frames.append(fit_frame(img[y:y + h, x:x + w], (640, 480)))
        cap.release()
        self.reference = matching.encode_reference(chen.identity.photo)
        h, w = 480, 640
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        r = ((xx - w / 2.0) / (0.28 * w)) ** 2 + ((yy - 0.35 * h) / (0.42 * h)) ** 2
        self._mask = np.clip(1.5 - r, 0.0, 1.0)[..., None] * LIGHT
        self._cache: dict[Key, tuple] = {}
        self._dist: dict[Key, float] = {}
        self.analyse_s: list[float] = []
        self.encode_s: list[float] = []

    def image(self, key: Key) -> np.ndarray:
        index, tilt, zoom, tint = key
        img = self.frames[index]
        if tilt or zoom != 1.0:
            img = transform(img, Transform(tilt, zoom), 1.0)
        if tint is not None:
            lit = img.astype(np.float32)
            lit += self._mask * (np.asarray(tint, np.float32) - lit)
            img = lit.astype(np.uint8)
        return img

    def analysis(self, key: Key):
        if key not in self._cache:
            img = self.image(key)
            t = time.process_time()   # CPU time: what one free core would take, whatever the load
            a = quality.analyse(img, 0, 0.0)
            self.analyse_s.append(time.process_time() - t)
            chroma = face_chroma(img, a.face.box) if a.face is not None else None
            self._cache[key] = (a, chroma)
        return self._cache[key]

    def distance(self, key: Key) -> float:
        if key not in self._dist:
            a, _ = self.analysis(key)
            t = time.process_time()
            self._dist[key] = self.reference.distance(matching.encode_probe(self.image(key), a.face))
            self.encode_s.append(time.process_time() - t)
        return self._dist[key]


# --- what the camera sees, frame by frame ----------------------------------------------------------
class Source:
    """Frame n (at 30 fps) -> (source frame, tilt, zoom); told of prompts as they are shown."""
    lit = False

    def at(self, n: int) -> tuple[int, float, float]:
        raise NotImplementedError

    def prompted(self, action: str, n: int) -> None:
        pass


class Looped(Source):
    def __init__(self, seq: list[int]) -> None:
        self.seq = seq

    def at(self, n: int) -> tuple[int, float, float]:
        return self.seq[n % len(self.seq)], 0.0, 1.0


def there_and_back(a: int, b: int, step: int = 1) -> list[int]:
    f = list(range(a, b + 1, step)) if b >= a else list(range(a, b - 1, -step))
    return f + f[::-1]


IDLE = [147, 148, 149, 148]
LEFT, RIGHT = (148, 162), (180, 192)


def blind(kind: str, rng: random.Random) -> Source:
    seq: list[int] = []
    if kind == "plain":
        seq = list(range(len(FRAMES.frames)))
        off = rng.randrange(len(seq))
        return Looped(seq[off:] + seq[:off])
    if kind == "pingpong":
        seq = there_and_back(82, 210)
        off = rng.randrange(len(seq))
        return Looped(seq[off:] + seq[:off])
    while len(seq) < 40 * FPS:
        if kind == "lr":
            for span in (LEFT, RIGHT):
                seq += there_and_back(*span, rng.choice((1, 2)))
                seq += (IDLE * 20)[:int(rng.uniform(0.3, 1.0) * FPS)]
        elif kind == "pairs":
            seq += (IDLE * 40)[:int(rng.uniform(0.5, 2.0) * FPS)]
            seq += there_and_back(*rng.choice((LEFT, RIGHT)), 2)
        elif kind == "returns":
            start = rng.choice((162, 158, 192, 188, 110, 130))
            target = 148 if start < 170 else 180
            seq += list(range(start, target, 2 if start < target else -2))
            seq += (IDLE * 10)[:int(rng.uniform(0.2, 0.6) * FPS)]
    return Looped(seq)


def movement(how, speed: int) -> list[tuple[int | None, float, float]]:
    """The frames of one movement out and back: clip frames (turns) or a tilt/zoom of the idle
    pose (the other movements), held 0.1 s at the far end."""
    hold = max(1, round(FPS * 0.1))
    if isinstance(how, Transform):
        ramp_n = max(2, round(FPS * 0.2))
        ramp = [(None, how.tilt * i / ramp_n, 1 + (how.zoom - 1) * i / ramp_n) for i in range(1, ramp_n + 1)]
        return ramp + [ramp[-1]] * hold + ramp[::-1]
    fwd = [(f, 0.0, 1.0) for f in range(how[0], how[1] + 1, speed)]
    return fwd + [fwd[-1]] * hold + fwd[::-1]


class Timed(Source):
    """A replay made for this check's timing, blind to the prompts: still and frontal, then a
    guessed movement `wait` s later (after the longest pause plus the reaction floor), back, still
    again, the next guessed movement... It knows how many movements the check asks for (`moves`)
    and must guess them (three: one of the 54 orders with a turn; four: one of 120); the timing it
    gets right by construction."""

    def __init__(self, script, rng: random.Random, wait: float = 0.65, moves: int = 3) -> None:
        kinds = list(script.actions)
        guess = rng.sample(kinds, moves)
        while not {"turn_left", "turn_right"} & set(guess):
            guess = rng.sample(kinds, moves)
        self.plan: dict[int, tuple[int | None, float, float]] = {}
        n = round(wait * FPS)
        for action in guess:
            steps = movement(script.actions[action], script.speed)
            for j, step in enumerate(steps):
                self.plan[n + j] = step
            n += len(steps) + round(wait * FPS)

    def at(self, n: int) -> tuple[int, float, float]:
        f, tilt, zoom = self.plan.get(n, (None, 0.0, 1.0))
        return (IDLE[n % len(IDLE)] if f is None else f), tilt, zoom


class Scripted(Source):
    """The demo's cooperative person (camera_script), or an operator with a phone (`delay`
    after each prompt, unlit)."""

    def __init__(self, script, rng: random.Random, delay: tuple[float, float] | None = None) -> None:
        self.script, self.rng, self.delay = script, rng, delay
        self.lit = delay is None
        self.plan: dict[int, tuple[int | None, float, float]] = {}

    def prompted(self, action: str, n: int) -> None:
        how = self.script.actions.get(action)
        if how is None:
            return
        wait = self.rng.uniform(*self.script.reaction) if self.delay is None else self.rng.uniform(*self.delay)
        k = n + round(wait * FPS)
        for j, s in enumerate(movement(how, self.script.speed if self.delay is None else 1)):
            self.plan[k + j] = s

    def at(self, n: int) -> tuple[int, float, float]:
        f, tilt, zoom = self.plan.get(n, (None, 0.0, 1.0))
        return (IDLE[n % len(IDLE)] if f is None else f), tilt, zoom


# --- one check on the virtual clock ----------------------------------------------------------------
def run_check(source: Source, settings: VerifierSettings, seed: int, cost: Callable[[bool], float]) -> tuple[bool, str, float]:
    rng = random.Random(seed)
    now = [0.0]
    flash = ScreenFlash(clock=lambda: now[0])
    lag_rng = random.Random(seed + 1)
    prompts: list[str] = []
    check = FaceCheck(settings, rng, flash if settings.flash is not None else None, perform=prompts.append)
    t = 0.05
    last = -1
    while t < DEADLINE:
        n = int(t * FPS)
        if n == last:       # the verifier waits for a frame it has not seen (verifier.py: frame.seq)
            t = (n + 1) / FPS + 1e-9
            continue
        last = n
        ts = n / FPS
        idx, tilt, zoom = source.at(n)
        tint = flash.colour_at(ts - lag_rng.randint(1, 3) / FPS) if source.lit else None
        key: Key = (idx, round(tilt, 2), round(zoom, 3), tint)
        analysis, chroma = FRAMES.analysis(key)
        now[0] = t
        probe = check.wants_probe(analysis)
        distance = FRAMES.distance(key) if probe else None
        before = len(prompts)
        decision = check.feed(ts, analysis, chroma, distance)
        t += cost(probe)
        now[0] = t
        for action in prompts[before:]:
            source.prompted(action, int(t * FPS))   # the prompt appears once the frame is processed
        if decision is not None:
            return decision.matched, check.why, t
    return False, "timeout", t


def _binom_cdf(k: int, n: int, p: float) -> float:
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k + 1))


def clopper_pearson(k: int, n: int, conf: float = 0.95) -> tuple[float, float]:
    """The exact binomial interval, by bisection on the binomial CDF (no scipy needed)."""
    a = (1 - conf) / 2

    def solve(f: Callable[[float], bool]) -> float:   # the p in [0, 1] where f turns from False to True
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if f(mid) else (mid, hi)
        return (lo + hi) / 2
    lower = 0.0 if k == 0 else solve(lambda p: 1 - _binom_cdf(k - 1, n, p) >= a)
    upper = 1.0 if k == n else solve(lambda p: _binom_cdf(k, n, p) <= a)
    return lower, upper


def interval(k: int, n: int) -> tuple[float, float]:
    return clopper_pearson(k, n)


FRAMES: Frames
BLIND = ("plain", "lr", "pairs", "pingpong", "returns", "timed")


def main() -> int:
    global FRAMES
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--attempts", type=int, default=200, help="checks per blind replay kind and flash setting")
    ap.add_argument("--genuine", type=int, default=200)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--kinds", default=",".join((*BLIND, "operator", "genuine")),
                    help="comma-separated, run in this order: " + ", ".join((*BLIND, "operator", "genuine"))
                    + " (all by default; a subset to run them one after another on a busy machine)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    chen = next(c for c in load_citizens(ROOT / "assets" / "demo" / "citizens.yaml") if c.id == "chen_hao")
    FRAMES = Frames(chen)
    f = load_config(env={}).face
    base = VerifierSettings(policy=matching.MatchPolicy(threshold=f.threshold, min_good_frames=f.min_good_frames),
                            liveness=LivenessConfig(nonplanar_threshold=f.nonplanar_threshold),
                            challenge=ChallengeConfig.from_face_settings(f.challenges, f.challenge_actions,
                                                                         f.challenge_seconds, flash_check=True),
                            flash=FlashConfig())
    # Flash off: the kiosk's own rule raises the number of movements (challenge.actions_needed).
    off = ChallengeConfig.from_face_settings(f.challenges, f.challenge_actions, f.challenge_seconds, flash_check=False)
    settings = {"on": base, "off": VerifierSettings(base.policy, base.gates, base.liveness, off, None)}
    # Warm the cache's per-frame costs with a few genuine checks, then use the measured medians.
    for s in range(3):
        run_check(Scripted(chen.camera_script, random.Random(s)), base, s, lambda probe: 0.07 + (0.15 if probe else 0))
    analyse_s, encode_s = statistics.median(FRAMES.analyse_s), statistics.median(FRAMES.encode_s)

    def cost(probe: bool) -> float:
        return analyse_s + (encode_s if probe else 0.0)

    rows = []
    kinds = [k.strip() for k in args.kinds.split(",")]
    for kind in (k for k in BLIND if k in kinds):
        for flash in ("on", "off"):
            why: Counter[str] = Counter()
            acc = 0
            for i in range(args.attempts):
                src = (Timed(chen.camera_script, random.Random(1000 * i + 7), moves=settings[flash].challenge.actions)
                       if kind == "timed"
                       else blind(kind, random.Random(1000 * i + 7)))
                ok, w, _ = run_check(src, settings[flash], 50_000 + i, cost)
                acc += ok
                why[w] += 1
            rows.append((f"blind replay: {kind}", flash, acc, args.attempts, why))
    for flash in (("on", "off") if "operator" in kinds else ()):
        why, acc = Counter(), 0
        for i in range(args.attempts):
            src = Scripted(chen.camera_script, random.Random(i), delay=(0.8, 2.0))
            ok, w, _ = run_check(src, settings[flash], 70_000 + i, cost)
            acc += ok
            why[w] += 1
        rows.append(("operator in the loop (0.8-2 s late)", flash, acc, args.attempts, why))
    genuine_times: dict[str, list[float]] = {}
    for flash in (("on", "off") if "genuine" in kinds else ()):
        why, acc, times = Counter(), 0, []
        for i in range(args.genuine):
            ok, w, t = run_check(Scripted(chen.camera_script, random.Random(90_000 + i)), settings[flash], 90_000 + i, cost)
            acc += ok
            why[w] += 1
            times.append(t)
        genuine_times[flash] = sorted(times)
        rows.append(("genuine scripted person", flash, acc, args.genuine, why))
    total = time.perf_counter() - t0

    print(f"command: nice -n 10 .venv/bin/python bench/replay_eval.py --attempts {args.attempts} --genuine {args.genuine}"
          f" --kinds {args.kinds}"
          f"   ({total:.0f} s; {len(FRAMES._cache)} distinct frames analysed, median {analyse_s * 1000:.0f} ms "
          f"analysis + {encode_s * 1000:.0f} ms encoding per frame on the virtual clock)\n")
    print("movements asked per check: " + ", ".join(f"flash {k} {v.challenge.actions}" for k, v in settings.items()) + "\n")
    print("| attempt | flash check | accepted / attempts | 95 % interval (Clopper-Pearson) | refused because (most common) |")
    print("|---|---|---|---|---|")
    for name, flash, acc, n, why in rows:
        lo, hi = interval(acc, n)
        top = ", ".join(f"{k} {v}" for k, v in why.most_common(4))
        print(f"| {name} | {flash} | {acc} / {n} | {100 * lo:.1f}-{100 * hi:.1f} % | {top} |")
    for flash, times in genuine_times.items():
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"\ngenuine, flash {flash}: time from 'look at the camera' to the decision: median "
              f"{statistics.median(times):.2f} s, p95 {p95:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
