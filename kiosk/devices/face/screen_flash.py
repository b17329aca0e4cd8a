"""The colour the face screen shows now: shared by the face check (which sets it), the face
screen (which paints it) and, in the demo, the simulated camera (whose scene it lights).
Imports nothing heavy: the composition builds it before the first screen is drawn."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

Colour = tuple[int, int, int]     # BGR, as the camera frames are

PALETTE: dict[str, Colour] = {"red": (40, 40, 255), "green": (60, 230, 60), "blue": (255, 90, 40),
                              "yellow": (40, 230, 255)}


class ScreenFlash:
    """The colour the face screen shows over its face-check area (None: its normal look).
    Any thread; `show` from the face worker, `current` from the GUI, `colour_at` from a camera."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, keep: int = 64) -> None:
        self._clock = clock          # the frames' clock (time.monotonic), injectable for replays
        self._lock = threading.Lock()
        self._history: list[tuple[float, Colour | None]] = []
        self._keep = keep

    def show(self, colour: Colour | None) -> float:
        """Make the screen show `colour` from now on; returns when (the frames' clock)."""
        with self._lock:
            at = self._clock()
            self._history.append((at, colour))
            del self._history[:-self._keep]
            return at

    def current(self) -> Colour | None:
        with self._lock:
            return self._history[-1][1] if self._history else None

    def colour_at(self, t: float) -> Colour | None:
        """What the screen showed at time `t` (for a scene lit by it)."""
        with self._lock:
            shown = None
            for at, colour in self._history:
                if at > t:
                    break
                shown = colour
            return shown

    def intervals(self, since: float) -> list[tuple[float, float, Colour | None]]:
        """(start, end, colour) of everything shown from `since` on; the last one ends at +inf."""
        with self._lock:
            h = [(at, c) for at, c in self._history if at >= since]
        return [(at, h[i + 1][0] if i + 1 < len(h) else float("inf"), c) for i, (at, c) in enumerate(h)]

    def clear(self) -> None:
        """Back to the normal look, history dropped (check end)."""
        with self._lock:
            self._history = [(self._clock(), None)]
