"""Simulated presentation attacks: a photo held up to the camera, as frame sequences.

Used by bench/liveness_eval.py and the liveness tests to measure that the face check refuses
them. Each attack starts from one still photo, placed on a 640x480 canvas at a size a person
would hold it, then:
  still   - held still (only sensor noise changes);
  moved   - moved about by smooth affine warps (rotation, scale, shear, translation), as a hand
            holding a printout would;
  glare   - moved, with a moving bright reflection, as a photo on a phone screen or glossy paper;
  moire   - moved, with the interference pattern a camera sees when filming a screen;
  tilted  - tilted towards and away from the camera (a perspective warp about the vertical axis),
            the best a flat picture can do to imitate a head turn.
Pure image work (OpenCV/NumPy); any thread. Nothing is written to disk.
"""
from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

KINDS = ("still", "moved", "glare", "moire", "tilted")


def place(photo: np.ndarray, face_fraction: float = 0.75, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """The photo on a grey canvas, scaled so it fills `face_fraction` of the canvas height."""
    w, h = size
    ph, pw = photo.shape[:2]
    scale = min(face_fraction * h / ph, 0.9 * w / pw)
    resized = cv2.resize(photo, (max(1, int(pw * scale)), max(1, int(ph * scale))), interpolation=cv2.INTER_AREA)
    canvas = np.full((h, w, 3), 70, np.uint8)
    y, x = (h - resized.shape[0]) // 2, (w - resized.shape[1]) // 2
    canvas[y:y + resized.shape[0], x:x + resized.shape[1]] = resized
    return canvas


def _affine(t: int, w: int, h: int) -> np.ndarray:
    a = np.deg2rad(7.0 * np.sin(t / 5.0))
    s = 1.0 + 0.08 * np.sin(t / 7.0)
    shear = 0.08 * np.sin(t / 4.0)
    m = np.array([[s * np.cos(a), -s * np.sin(a) + shear, 0.0], [s * np.sin(a), s * np.cos(a), 0.0]], np.float32)
    centre = np.array([w / 2, h / 2], np.float32)
    m[:, 2] = centre - m[:, :2] @ centre + np.array([18 * np.sin(t / 3.0), 10 * np.cos(t / 3.0)], np.float32)
    return m


def _tilt(t: int, w: int, h: int) -> np.ndarray:
    """The homography of the picture turned about its own vertical centre line by up to 35
    degrees, seen by a camera with an 800 px focal length at 800 px distance."""
    angle = np.deg2rad(35.0 * np.sin(t / 6.0))
    f = d = 800.0
    k = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]], np.float64)
    r = np.array([[np.cos(angle), 0, np.sin(angle)], [0, 1, 0], [-np.sin(angle), 0, np.cos(angle)]], np.float64)
    # A point (X, Y) of the picture (pixels from its centre) sits at R (X, Y, 0) + (0, 0, d).
    flat = k @ np.column_stack([[1, 0, 0], [0, 1, 0], [0, 0, d]])
    tilted = k @ np.column_stack([r[:, 0], r[:, 1], [0, 0, d]])
    return tilted @ np.linalg.inv(flat)


def frames(photo: np.ndarray, kind: str, count: int = 30, seed: int = 0) -> Iterator[np.ndarray]:
    """`count` BGR frames of the attack `kind` made from `photo` (BGR)."""
    if kind not in KINDS:
        raise ValueError(f"unknown attack {kind!r}")
    rng = np.random.default_rng(seed)
    base = place(photo)
    h, w = base.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for t in range(count):
        if kind == "still":
            img = base.astype(np.float32)
        elif kind == "tilted":
            img = cv2.warpPerspective(base, _tilt(t, w, h), (w, h), borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        else:
            img = cv2.warpAffine(base, _affine(t, w, h), (w, h), borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        if kind == "glare":
            cx, cy = 200 + 12 * t, 180 + 40 * np.sin(t / 4.0)
            img += (np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 70.0 ** 2)) * 140)[..., None]
        elif kind == "moire":
            img += (14 * np.sin(xx / 2.3 + yy / 1.9 + t * 0.7) * np.sin(xx / 7.1 - yy / 6.3))[..., None]
        img += rng.normal(0.0, 3.0, img.shape)     # sensor noise: every frame differs a little
        yield np.clip(img, 0, 255).astype(np.uint8)
