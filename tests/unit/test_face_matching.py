"""Matching: same person matches, different people do not, at the kiosk's threshold; chip photos in
JPEG and JPEG 2000 work as references; the multi-frame decision needs enough frames."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.config import load_config
from kiosk.devices.face import matching, quality

FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
FACE = load_config(env={}).face        # the packaged defaults, as a kiosk without a site file runs
POLICY = matching.MatchPolicy(threshold=FACE.threshold, min_good_frames=FACE.min_good_frames)


def _bytes(rel: str) -> bytes:
    return (FACES / rel).read_bytes()


def _chip(rel: str, ext: str, params: list[int]) -> bytes:
    """A 240x320 face-centred portrait, as stored in an ID chip's DG2."""
    bgr = cv2.imread(str(FACES / rel))
    top, right, bottom, left = quality.analyse_bgr_photo(bgr).face.box
    s = 0.45 * 320 / (bottom - top)
    cx, cy = (left + right) / 2.0, (top + bottom) / 2.0 - 0.1 * (bottom - top)
    img = cv2.warpAffine(bgr, np.array([[s, 0, 120 - s * cx], [0, s, 160 - s * cy]]), (240, 320), flags=cv2.INTER_AREA)
    ok, buf = cv2.imencode(ext, img, params)
    assert ok
    return buf.tobytes()


def _probe(rel: str) -> np.ndarray:
    bgr = cv2.imread(str(FACES / rel))
    a = quality.analyse_bgr_photo(bgr)
    return matching.encode_probe(bgr, a.face)


@pytest.fixture(scope="module")
def obama_ref() -> matching.Reference:
    return matching.encode_reference(_bytes("fr_barack_obama/obama.jpg"))


def test_the_same_person_matches(obama_ref: matching.Reference) -> None:
    ds = [obama_ref.distance(_probe(p)) for p in ("fr_barack_obama/obama2.jpg", "fr_barack_obama/obama3.jpg")]
    decision = matching.decide(ds + ds[:1], POLICY)
    assert decision.matched and decision.frames == 3 and decision.distance < POLICY.threshold


def test_a_different_person_does_not_match(obama_ref: matching.Reference) -> None:
    for other in ("fr_joe_biden/biden.jpg", "deepface_g03_img8/img8.jpg", "fr_alex_lacamoire/img1.jpg"):
        d = obama_ref.distance(_probe(other))
        assert d >= POLICY.threshold, other
        assert not matching.decide([d] * 5, POLICY).matched


def test_a_jpeg_2000_chip_photo_is_a_usable_reference(obama_ref: matching.Reference) -> None:
    jp2 = _chip("fr_barack_obama/obama.jpg", ".jp2", [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, 60])
    assert jp2[:12] == b"\x00\x00\x00\x0cjP  \r\n\x87\n"  # the JP2 signature box: it really is JPEG 2000
    ref = matching.encode_reference(jp2)
    assert ref.analysis.width == 480 and ref.analysis.height == 640  # upsampled 2x for detection
    assert ref.distance(_probe("fr_barack_obama/obama2.jpg")) < POLICY.threshold
    assert ref.distance(_probe("fr_joe_biden/biden.jpg")) >= POLICY.threshold


def test_a_low_quality_jpeg_chip_photo_still_matches() -> None:
    ref = matching.encode_reference(_chip("fr_joe_biden/biden2.jpg", ".jpg", [cv2.IMWRITE_JPEG_QUALITY, 50]))
    assert ref.distance(_probe("fr_joe_biden/biden.jpg")) < POLICY.threshold


def test_unreadable_and_faceless_chip_photos_give_a_reason_for_the_citizen() -> None:
    with pytest.raises(matching.ReferenceError) as bad:
        matching.encode_reference(b"\xff\xd8\xff\xe0 not really a jpeg")
    assert bad.value.code == "unreadable" and bad.value.reason.zh and "staffed window" in bad.value.reason.en
    _, blank = cv2.imencode(".jpg", np.full((320, 240, 3), 200, np.uint8))
    with pytest.raises(matching.ReferenceError) as noface:
        matching.encode_reference(blank.tobytes())
    assert noface.value.code == "no_face" and "No face" in noface.value.reason.en


def test_the_decision_needs_enough_good_frames_and_uses_the_median() -> None:
    policy = matching.MatchPolicy(threshold=0.5, min_good_frames=3)
    assert not matching.decide([0.3, 0.3], policy).matched  # too few frames, however close
    d = matching.decide([0.3, 0.4, 0.9], policy)  # one bad frame does not sink a genuine user...
    assert d.matched and d.distance == pytest.approx(0.4) and d.frames == 3
    assert not matching.decide([0.2, 0.7, 0.8], policy).matched  # ...and one lucky frame does not let an impostor in


def test_error_rates_and_the_threshold_for_a_target_far() -> None:
    gen, imp = [0.3, 0.45, 0.52], [0.58, 0.7, 0.9, 0.95]
    r = matching.error_rates(gen, imp, 0.5)
    assert (r.false_accepts, r.false_rejects, r.genuines, r.impostors) == (0, 1, 3, 4)
    best = matching.threshold_for_far(gen, imp, 1e-4)
    assert best.threshold == pytest.approx(0.58) and best.false_accepts == 0 and best.false_rejects == 0
