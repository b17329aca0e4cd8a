"""dlib's face encoder on its own: what the encoder child process runs (encoder_process.py).

It imports numpy and dlib only, not OpenCV nor the other face modules, so the child is ready
sooner and holds ~35 MB less (measured in docs/benchmarks.md, "Where the memory goes").
matching.py re-exports `encode_chips` for encoding in the calling process.
"""
from __future__ import annotations

from typing import Any

from collections.abc import Sequence
from functools import lru_cache
from multiprocessing.connection import Connection

import numpy as np


@lru_cache(maxsize=1)
def load_encoder() -> Any:   # dlib ships no types
    """The dlib ResNet (~22 MB), loaded once; called from one thread at a time (the face worker,
    or the child's only thread)."""
    import dlib
    import face_recognition_models

    return dlib.face_recognition_model_v1(face_recognition_models.face_recognition_model_location())


def encode_chips(chips: Sequence[tuple[np.ndarray, int]]) -> list[np.ndarray]:
    """Encodings of aligned chips with their jitter counts, in this process. Holds the GIL for
    the whole run (~90 ms a chip): the kiosk calls it in a child process (encoder_process.py)."""
    encoder = load_encoder()
    return [np.asarray(encoder.compute_face_descriptor(chip, jitters), dtype=np.float64) for chip, jitters in chips]


def serve(conn: Connection) -> None:   # pragma: no cover - runs in the child process
    """The child: load the encoder once, then answer [(chip, jitters), ...] with encodings."""
    load_encoder()          # load the model once, before saying ready
    conn.send("ready")
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        conn.send(encode_chips(request))
