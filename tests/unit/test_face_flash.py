"""The screen-light cue: a face lit by the screen's flashes passes; a replay's face does not."""
from __future__ import annotations

import random

import numpy as np

from kiosk.devices.face.cue import PALETTE, FlashConfig, FlashPlan, ScreenFlash, face_chroma, reflection
import itertools

CFG = FlashConfig()
SKIN = np.array([120.0, 140.0, 185.0])          # BGR
BOX = (100, 300, 300, 100)                       # top, right, bottom, left


class Clock:
    def __init__(self) -> None:
        self.t = 50.0

    def __call__(self) -> float:
        return self.t


def frame(colour, strength: float, rng: np.random.Generator) -> np.ndarray:
    """A 400x400 frame of skin with camera noise, lit by `colour` (or not)."""
    img = np.tile(SKIN, (400, 400, 1)) + rng.normal(0, 6, (400, 400, 3))
    if colour is not None:
        img += strength * (np.asarray(colour, np.float64) - img)
    return np.clip(img, 0, 255).astype(np.uint8)


def run(strength: float, drift: float = 0.0) -> tuple[bool, int]:
    """15 frames a second for the whole plan; each frame shows the colour of 2 frames before
    (camera latency) at `strength`; `drift` adds a slow change of skin tone (a turning head)."""
    clock, rng = Clock(), np.random.default_rng(3)
    flash = ScreenFlash(clock)
    plan = FlashPlan.draw(CFG, random.Random(5))
    start, samples, shown = clock.t, [], None
    for i in range(int(plan.duration * 15)):
        clock.t = start + i / 15
        colour = plan.colour_at(clock.t - start)
        if colour != shown:
            flash.show(colour)
            shown = colour
        lit = frame(flash.colour_at(clock.t - 2 / 15), strength, rng)
        lit = np.clip(lit.astype(np.float64) * (1 + drift * np.sin(i / 7)), 0, 255).astype(np.uint8)
        samples.append((clock.t, face_chroma(lit, BOX)))
    seen = reflection(flash.intervals(start), samples, CFG)
    return seen.ok, seen.judged


def test_a_face_lit_by_the_screen_follows_its_colours():
    ok, judged = run(strength=0.15)
    assert ok and judged >= CFG.min_judged


def test_missing_reflection_is_refused():
    ok, judged = run(strength=0.0, drift=0.05)     # a replay: the skin changes, but not with the screen
    assert judged >= CFG.min_judged and not ok


def test_the_flash_sequence_is_random_and_never_repeats_a_colour_at_once():
    plans = {FlashPlan.draw(CFG, random.Random(s)).colours for s in range(50)}
    assert len(plans) > 40
    for colours in plans:
        assert all(a != b for a, b in itertools.pairwise(colours))
        assert set(colours) <= set(PALETTE.values())
