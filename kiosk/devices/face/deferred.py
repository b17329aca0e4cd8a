"""The face verifier, built on first use.

Building the real verifier imports OpenCV, numpy and the face modules (~0.2 s of CPU) before
its model files are even read. The kiosk's composition hands the runtime this stand-in instead,
so that cost falls on the face worker's warm-up, which starts once the attract screen is drawn
(kiosk/ui/app.py), and not on the way to it. This module imports nothing heavy.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from kiosk.devices.ports import Camera, CancelToken, FaceDecision
from kiosk.domain.text import Text


class DeferredFaceVerifier:
    """The FaceVerifier port; `build()` makes the real one the first time any method needs it."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._verifier: Any = None
        self._closed = False

    @property
    def verifier(self) -> Any:
        """The real verifier, built now if it was not yet. Any thread (the face worker in the
        kiosk); blocks while it is built (imports only: the models load in `warm_up`)."""
        with self._lock:
            if self._verifier is None:
                self._verifier = self._build()
                if self._closed:       # closed before it existed: it must never start an encoder
                    self._verifier.close(0.1)
            return self._verifier

    def _built(self) -> Any:
        # No lock: `clear` and `close` must not wait while the verifier is being built (a new
        # verifier holds nothing to clear); reading one attribute is atomic.
        return self._verifier

    def warm_up(self) -> None:
        """Build the verifier and load its models. Face worker thread."""
        self.verifier.warm_up()

    def prepare(self, reference_photo: bytes) -> None:
        self.verifier.prepare(reference_photo)

    def verify(self, reference_photo: bytes, camera: Camera, deadline: float, cancelled: CancelToken,
               on_progress: Callable[[Text], None] = lambda text: None) -> FaceDecision:
        return self.verifier.verify(reference_photo, camera, deadline, cancelled, on_progress)

    def clear(self) -> None:
        """Forget the chip photo's encoding (nothing to forget before the first check). Any thread."""
        verifier = self._built()
        if verifier is not None:
            verifier.clear()

    def close(self, timeout: float = 2.0) -> None:
        """Stop the encoder process, if one was started. Any thread; returns within about
        `timeout` s (the real verifier's bound)."""
        self._closed = True
        verifier = self._built()
        if verifier is not None:
            verifier.close(timeout)
