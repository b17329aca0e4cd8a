"""Screen-light cue: the kiosk flashes a random colour sequence and the face must reflect it.

A face a metre from a bright screen is lit by it: when the face screen turns red, the skin in
the next camera frames shifts towards red. A phone or tablet replaying a video does not: its
pixels do not change with our screen (its own glass may reflect a little, but not the skin in
the picture, and not as strongly). Works with any colour camera.

Three parts, each on its own thread:
  * `ScreenFlash`: the colour the screen shows now, and when each colour began. The face check
    (face worker) sets it; the face screen (GUI thread) paints it; the simulated camera
    (capture thread) reads it to light its scene. A lock guards it; nothing blocks on it.
  * `FlashPlan`: the random sequence, as offsets from the check's start (pure).
  * `reflection`: the decision, from the colour intervals the screen showed and the face's
    chroma in each analysed frame, by frame time (pure).

A depth or infrared camera, where a kiosk has one, answers the same question better; it plugs in
through `DepthSensor` (the "none" backend gives no opinion).
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from kiosk.devices.face.screen_flash import PALETTE, Colour, ScreenFlash

__all__ = ["PALETTE", "Colour", "ScreenFlash", "FlashConfig", "FlashPlan", "face_chroma", "reflection",
           "DepthSensor", "NoDepthSensor"]


def _direction(colour: Colour) -> np.ndarray:
    c = np.asarray(colour, np.float64)
    v = c / c.sum() - 1.0 / 3.0
    return v / np.linalg.norm(v)


@dataclass(frozen=True)
class FlashConfig:
    flashes: int = 10             # enough for the longest check; the decision needs `min_judged`
    min_judged: int = 4           # flashes with frames in and around them before deciding
    dark_s: float = 0.3           # unlit gap before, between and after the flashes
    flash_s: float = 0.45
    lag_s: float = 0.12           # screen refresh + camera latency before a frame shows a change
    min_shift: float = 0.012      # chroma shift towards the flashed colour (unit: chromaticity)
    # Yellow is not used: on skin it shows as a shift towards green almost as much as towards
    # yellow (0.058 against 0.068 on the demo face), so a yellow flash was judged "not seen" in
    # 4-9 of 200 genuine checks. Red, green and blue are told apart by >= 0.04. With three
    # colours a chance drift matches a flash 1 time in 3 rather than 4, so one more flash is judged.
    palette: tuple[str, ...] = ("red", "green", "blue")


@dataclass(frozen=True)
class FlashPlan:
    """When to show which colour, in seconds from the plan's start."""
    colours: tuple[Colour, ...]
    config: FlashConfig

    @staticmethod
    def draw(config: FlashConfig, rng: random.Random) -> FlashPlan:
        names: list[str] = []
        for _ in range(config.flashes):     # never the same colour twice in a row
            names.append(rng.choice([n for n in config.palette if not names or n != names[-1]]))
        return FlashPlan(tuple(PALETTE[n] for n in names), config)

    @property
    def duration(self) -> float:
        c = self.config
        return c.dark_s + len(self.colours) * (c.flash_s + c.dark_s)

    def colour_at(self, offset: float) -> Colour | None:
        c = self.config
        if offset < c.dark_s:
            return None
        i, into = divmod(offset - c.dark_s, c.flash_s + c.dark_s)
        if int(i) >= len(self.colours) or into >= c.flash_s:
            return None
        return self.colours[int(i)]


def face_chroma(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray | None:
    """Mean chromaticity (b, g, r sum to 1) of the skin in the middle of the face box: cheeks,
    nose and upper lip, where a screen in front lights the face most (no hair, no background)."""
    top, right, bottom, left = box
    h, w = bottom - top, right - left
    y0, y1 = max(0, top + int(0.3 * h)), max(0, top + int(0.85 * h))
    x0, x1 = max(0, left + int(0.2 * w)), max(0, left + int(0.8 * w))
    crop = image[y0:y1, x0:x1]
    if crop.size == 0:
        return None
    mean = crop.reshape(-1, 3).mean(axis=0).astype(np.float64)
    total = float(mean.sum())
    return mean / total if total > 1.0 else None


@dataclass(frozen=True)
class Reflection:
    ok: bool
    shifts: tuple[float, ...]     # per flash with frames: the shift towards its colour
    judged: int                   # flashes with frames in and around them


def reflection(intervals: Sequence[tuple[float, float, Colour | None]],
               samples: Sequence[tuple[float, np.ndarray]], config: FlashConfig) -> Reflection:
    """Did the face's chroma follow the flashes? For each flash: the mean chroma of the frames
    taken while it was shown (after `lag_s`) minus that of the unlit frames just before and
    after it must point towards the flashed colour by `min_shift`, and more towards it than
    towards any other colour of the palette. Every flash with frames must pass, and at least
    `min_judged` must have frames."""
    directions = {c: _direction(c) for c in (PALETTE[n] for n in config.palette)}
    shifts: list[float] = []
    ok = True
    for k, (start, end, colour) in enumerate(intervals):
        if colour is None:
            continue
        lit = [s for t, s in samples if start + config.lag_s <= t < end]
        dark = [s for j in (k - 1, k + 1) if 0 <= j < len(intervals) and intervals[j][2] is None
                for t, s in samples if intervals[j][0] + config.lag_s <= t < intervals[j][1]]
        if not lit or not dark:
            continue
        shift = np.mean(lit, axis=0) - np.mean(dark, axis=0)
        towards = float(shift @ _direction(colour))
        best = max(directions, key=lambda c: float(shift @ directions[c]))
        shifts.append(towards)
        ok = ok and towards >= config.min_shift and best == colour
    return Reflection(ok and len(shifts) >= config.min_judged, tuple(shifts), len(shifts))


class DepthSensor(Protocol):
    """A depth or infrared camera beside the colour one, where a kiosk has one: is a real,
    three-dimensional face in front of it? Face worker thread; never blocks for long."""

    def start(self) -> None:
        """Begin watching (the face check starts)."""

    def verdict(self, since: float, until: float) -> bool | None:
        """True: a real face between the two frame times; False: a flat or cold surface; None:
        no opinion (no sensor, or it saw nothing)."""

    def stop(self) -> None:
        """Stop watching (the check ended)."""


class NoDepthSensor:
    """The "none" backend: the kiosk has no depth or infrared camera; it never has an opinion."""

    def start(self) -> None:
        pass

    def verdict(self, since: float, until: float) -> bool | None:
        return None

    def stop(self) -> None:
        pass
