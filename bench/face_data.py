"""The face benchmark's photo set and its encodings, each image encoded once.

Photos: every image under --photos DIR (default tests/fixtures/faces), one folder per identity; plus
the demo's public-domain faces already in the repository (assets/demo: Grace Hopper, Eileen Collins,
the clip's speaker; their sources are in assets/demo/SOURCES.md) and real video frames of the speaker
from tests/fixtures/clips/live_speaker_whitehouse.mp4 (frames 82-210, the medium shot; never the
audience frames, whose people may be in the photo set). Nothing is read from outside the repository
unless --photos points there.

Encodings can be cached in a JSON file (--cache FILE, e.g. under /tmp): keys are the image's sha256 and
the variant, so a changed photo is re-encoded. The cache holds 128-d encodings of these test photos,
never images. Main thread; CPU only.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from kiosk.devices.face import matching, quality

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "assets" / "demo"
CLIP = ROOT / "tests" / "fixtures" / "clips" / "live_speaker_whitehouse.mp4"
CLIP_FRAMES = range(82, 211)        # the speaker's medium shot (assets/demo/SOURCES.md)
# (identity, file, source image): hopper_chip and hopper_live are cut from one photo, so their
# "genuine" pair says nothing about FRR; they count for impostor pairs only.
DEMO_PHOTOS = [("demo_grace_hopper", "hopper_chip.jpg", "hopper"), ("demo_grace_hopper", "hopper_live.jpg", "hopper"),
               ("demo_eileen_collins", "collins_chip.jpg", "collins"), ("demo_eileen_collins", "collins_live.jpg", "collins"),
               ("demo_speaker", "speaker_chip.jpg", "clip")]
SPEAKER = "demo_speaker"
IMAGE_EXT = {".jpg", ".jpeg", ".png", ".jp2", ".bmp", ".webp"}
FRAME_W, FRAME_H = 640, 480
# Simulated camera frames from one photo: (zoom, dx, dy as a fraction of the frame, light gain).
# They vary framing, scale and light like successive webcam frames do; they are NOT independent
# captures, so the multi-frame figures are an optimistic stand-in for real frames.
FRAME_VARIANTS = [(1.0, 0.0, 0.0, 1.0), (0.92, 0.04, 0.0, 1.0), (1.08, -0.04, 0.02, 0.9),
                  (1.0, 0.0, -0.03, 1.1), (0.96, 0.02, 0.03, 0.95)]
REF_KINDS = ("ref", "ref_jpeg", "ref_jp2")   # the photo itself, a JPEG q60 chip, a JPEG 2000 chip
VERSION = "v1"                                # bump when an encoding recipe changes


@dataclass(frozen=True)
class Photo:
    identity: str
    name: str            # shown in tables: identity/file
    path: Path
    source: str          # photos sharing a source image are never a genuine pair


@dataclass
class Encoded:
    """Per photo: raw face_recognition, the three references, the photo as a probe, its camera frames
    (None where no face was found)."""

    raw: np.ndarray | None = None
    refs: dict[str, np.ndarray | None] = field(default_factory=dict)
    photo: np.ndarray | None = None
    frames: list[np.ndarray] = field(default_factory=list)


def collect(photos_dir: Path, demo: bool) -> list[Photo]:
    out = []
    for d in sorted(p for p in photos_dir.iterdir() if p.is_dir()):
        for f in sorted(p for p in d.iterdir() if p.suffix.lower() in IMAGE_EXT):
            out.append(Photo(d.name, f"{d.name}/{f.name}", f, f"{d.name}/{f.name}"))
    if demo:
        out += [Photo(i, f"{i}/{f}", DEMO / f, s) for i, f, s in DEMO_PHOTOS]
    return out


def camera_frame(bgr: np.ndarray, box: tuple[int, int, int, int], zoom: float = 1.0, dx: float = 0.0,
                 dy: float = 0.0, gain: float = 1.0, face_frac: float = 0.4) -> np.ndarray:
    """A 640x480 frame with the face centred at `face_frac` of the frame height, then JPEG q85
    (webcams deliver MJPEG)."""
    top, right, bottom, left = box
    s = face_frac * FRAME_H / (bottom - top) * zoom
    cx, cy = (left + right) / 2.0, (top + bottom) / 2.0
    m = np.array([[s, 0, FRAME_W / 2 - s * cx + dx * FRAME_W], [0, s, FRAME_H / 2 - s * cy + dy * FRAME_H]])
    frame = cv2.warpAffine(bgr, m, (FRAME_W, FRAME_H), flags=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
    frame = np.clip(frame.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    _ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def chip_photo(bgr: np.ndarray, box: tuple[int, int, int, int], fmt: str) -> bytes:
    """A 240x320 (w x h) face-centred portrait like a chip's DG2: the HOG box (brows to chin)
    is ~45 % of the height, JPEG quality 60 or JPEG 2000 at ~15 KB."""
    top, right, bottom, left = box
    s = 0.45 * 320 / (bottom - top)
    cx, cy = (left + right) / 2.0, (top + bottom) / 2.0 - 0.1 * (bottom - top)
    m = np.array([[s, 0, 120 - s * cx], [0, s, 160 - s * cy]])
    img = cv2.warpAffine(bgr, m, (240, 320), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    if fmt == "jpeg":
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 60])
    else:
        ok, buf = cv2.imencode(".jp2", img, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, 60])
    assert ok
    return buf.tobytes()


def _revive(key: str, v: object) -> object:
    """JSON lists back into what the encoders returned."""
    if v is None:
        return None
    if key.endswith(":box"):
        return tuple(v)  # type: ignore[arg-type]
    if key.endswith(":clipframes"):
        return [(n, np.asarray(e)) for n, e in v]  # type: ignore[attr-defined]
    return np.asarray(v)


class Cache:
    """Encodings by (sha256, variant); saved to `path` (JSON, numbers only) when given."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.data: dict[str, object] = {}
        if path is not None and path.exists():
            self.data = {k: _revive(k, v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
        self.misses = 0

    def get(self, key: str, make: Callable[[], object]) -> object:
        if key not in self.data:
            self.data[key] = make()
            self.misses += 1
        return self.data[key]

    def save(self) -> None:
        if self.path is not None and self.misses:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data, default=lambda o: o.tolist() if hasattr(o, "tolist") else list(o)),
                           encoding="utf-8")
            tmp.replace(self.path)
            self.misses = 0


def _ref(data: bytes) -> np.ndarray | None:
    try:
        return matching.encode_reference(data).template
    except matching.ReferenceError:
        return None


def _probe(bgr: np.ndarray, analysis) -> np.ndarray | None:
    return matching.encode_probe(bgr, analysis.face) if analysis.face is not None else None


def encode_photo(p: Photo, cache: Cache, raw: bool, chip_sizes: dict[str, list[int]]) -> Encoded:
    data = p.path.read_bytes()
    key = hashlib.sha256(data).hexdigest()[:20] + ":" + VERSION
    bgr = quality.decode_image(data)
    box = cache.get(key + ":box", lambda: quality.analyse_bgr_photo(bgr).face.box)
    enc = Encoded()
    if raw:
        def _raw() -> np.ndarray | None:
            import face_recognition as fr

            encs = fr.face_encodings(fr.load_image_file(str(p.path)))  # library defaults
            return encs[0] if encs else None
        enc.raw = cache.get(key + ":raw", _raw)
    enc.refs["ref"] = cache.get(key + ":ref", lambda: _ref(data))
    for fmt in ("jpeg", "jp2"):
        chip = chip_photo(bgr, box, fmt)
        chip_sizes[fmt].append(len(chip))
        enc.refs[f"ref_{fmt}"] = cache.get(f"{key}:ref_{fmt}", lambda c=chip: _ref(c))
    enc.photo = cache.get(key + ":photo", lambda: _probe(bgr, quality.analyse_bgr_photo(bgr)))
    for i, (zoom, dx, dy, gain) in enumerate(FRAME_VARIANTS):
        # pose gates are not applied: the fixtures include turned heads
        e = cache.get(f"{key}:frame{i}", lambda z=zoom, x=dx, y=dy, g=gain: (
            lambda f: _probe(f, quality.analyse(f)))(camera_frame(bgr, box, z, x, y, g)))
        if e is not None:
            enc.frames.append(e)
    return enc


def clip_frames(cache: Cache) -> list[tuple[int, np.ndarray]]:
    """(frame number, encoding) for the speaker's medium-shot frames with one face, in order. The
    pose and centring gates are not applied (most of these frames are three-quarter views, which
    the kiosk would skip): harder than the kiosk's frames for genuine pairs, no easier for impostors."""
    key = hashlib.sha256(CLIP.read_bytes()).hexdigest()[:20] + ":" + VERSION + ":clipframes"

    def make() -> list[tuple[int, np.ndarray]]:
        cap = cv2.VideoCapture(str(CLIP))
        out, n = [], 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            if n in CLIP_FRAMES:
                a = quality.analyse(frame)
                if a.face is not None and a.verdict.problem != "many_faces":
                    out.append((n, matching.encode_probe(frame, a.face)))
            n += 1
        cap.release()
        return out
    return cache.get(key, make)   # type: ignore[return-value]
