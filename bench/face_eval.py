"""Face matching benchmark on tests/fixtures/faces (all genuine and impostor pairs of pairs.tsv).

  .venv/bin/python bench/face_eval.py [--markdown] [--runs 30] [--skip-raw] [--skip-chip]

Reports (a) raw face_recognition (one photo per side, library defaults), (b) our method
(kiosk.devices.face.matching) with one and with five simulated camera frames per probe,
(c) a simulated chip photo as the reference (240x320 face-centred JPEG q60, and JPEG 2000),
(d) per-frame timings at 640x480. Runs on the main thread; CPU only; no image or encoding is
written anywhere. About 4-6 minutes on 2 cores.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.config import load_config  # noqa: E402
from kiosk.devices.face import matching, quality  # noqa: E402

FACES = ROOT / "tests" / "fixtures" / "faces"
PAIRS = FACES / "pairs.tsv"
FRAME_W, FRAME_H = 640, 480
# Simulated camera frames from one photo: (zoom, dx, dy as a fraction of the frame, light gain).
# They vary framing, scale and light like successive webcam frames do; they are NOT independent
# captures, so the multi-frame figures are an optimistic stand-in for real frames.
FRAME_VARIANTS = [(1.0, 0.0, 0.0, 1.0), (0.92, 0.04, 0.0, 1.0), (1.08, -0.04, 0.02, 0.9),
                  (1.0, 0.0, -0.03, 1.1), (0.96, 0.02, 0.03, 0.95)]


def load_pairs() -> list[tuple[str, str, bool]]:
    out = []
    for line in PAIRS.read_text(encoding="utf-8").splitlines():
        a, b, same = line.split("\t")
        out.append((a, b, same == "1"))
    return out


def face_box(path: str, cache: dict[str, tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    if path not in cache:
        analysis = quality.analyse_photo((FACES / path).read_bytes())
        assert analysis.face is not None, path
        cache[path] = analysis.face.box
    return cache[path]


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


def summarise(name: str, dist: Callable[[str, str], float], pairs: list[tuple[str, str, bool]],
              threshold: float) -> dict:
    gen, imp = [], []
    for a, b, same in pairs:
        d = dist(a, b)
        if d != d:  # nan: no face in a probe frame at all
            d = 9.0
        (gen if same else imp).append(d)
    at = matching.error_rates(gen, imp, threshold)
    best = matching.threshold_for_far(gen, imp, 1e-4)
    mu, sd = statistics.fmean(imp), statistics.pstdev(imp)
    nd = statistics.NormalDist(mu, sd)
    return {"name": name, "gen": gen, "imp": imp, "threshold": threshold, "at": at, "best": best, "gen_max": max(gen),
            "gen_mean": statistics.fmean(gen), "imp_min": min(imp), "imp_mean": mu, "imp_sd": sd,
            "fit_far_at_t": nd.cdf(threshold), "q1e4": nd.inv_cdf(1e-4)}


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def row(r: dict) -> str:
    at, best = r["at"], r["best"]
    return (f"| {r['name']} | {at.threshold:.2f} | {at.false_accepts}/{at.impostors} | {at.false_rejects}/{at.genuines} "
            f"({pct(at.frr)}) | {best.threshold:.3f} | {best.false_rejects}/{best.genuines} ({pct(best.frr)}) | "
            f"{r['gen_max']:.3f} | {r['imp_min']:.3f} | {r['imp_min'] - at.threshold:+.3f} | "
            f"{r['imp_mean']:.3f} ± {r['imp_sd']:.3f} | {r['q1e4']:.3f} | {r['fit_far_at_t']:.1e} |")


def timings(runs: int) -> list[tuple[str, list[float]]]:
    """Per-frame costs at 640x480 on one fixture face (median / p95 over `runs`)."""
    path = "fr_barack_obama/obama.jpg"
    bgr = cv2.imread(str(FACES / path))
    frame = camera_frame(bgr, face_box(path, {}), face_frac=0.4)
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    quality.analyse(frame)  # load the models outside the timing
    analysis = quality.analyse(frame)
    assert analysis.face is not None and analysis.verdict.ok, analysis.verdict
    matching.encode_probe(frame, analysis.face)
    box = analysis.face.box
    pts = quality.points_from_landmarks(analysis.face.landmarks)
    out: dict[str, list[float]] = {k: [] for k in ("detection (HOG, half-size copy, upsample 1)", "landmarks (68 points)",
                                                  "encoding (ResNet, no jitter)", "analyse (all gates)",
                                                  "whole frame: analyse + encode_probe")}
    names = list(out)
    for _ in range(runs):
        t = time.perf_counter()
        quality.detect(rgb, 0.5, 1)
        out[names[0]].append(time.perf_counter() - t)
        t = time.perf_counter()
        quality.shape_points(rgb, box)
        out[names[1]].append(time.perf_counter() - t)
        t = time.perf_counter()
        matching.encode_rgb(rgb, pts, box)
        out[names[2]].append(time.perf_counter() - t)
        t = time.perf_counter()
        quality.analyse(frame)
        out[names[3]].append(time.perf_counter() - t)
        t = time.perf_counter()
        a = quality.analyse(frame)
        matching.encode_probe(frame, a.face)
        out[names[4]].append(time.perf_counter() - t)
    return list(out.items())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--markdown", action="store_true", help="print only the markdown tables")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--skip-raw", action="store_true")
    ap.add_argument("--skip-chip", action="store_true")
    args = ap.parse_args()
    t0 = time.time()
    pairs = load_pairs()
    files = sorted({p for a, b, _ in pairs for p in (a, b)})
    n_gen = sum(1 for *_, s in pairs if s)
    log = (lambda *a: None) if args.markdown else (lambda *a: print(*a, file=sys.stderr, flush=True))
    log(f"{len(files)} photos, {n_gen} genuine and {len(pairs) - n_gen} impostor pairs")
    boxes: dict[str, tuple[int, int, int, int]] = {}
    results = []
    face = load_config(env={}).face   # the packaged face.threshold, the number the kiosk ships with
    policy = matching.MatchPolicy(threshold=face.threshold, min_good_frames=face.min_good_frames)

    if not args.skip_raw:
        import face_recognition as fr

        raw: dict[str, np.ndarray] = {}
        for p in files:
            img = fr.load_image_file(str(FACES / p))
            encs = fr.face_encodings(img)  # library defaults: HOG, upsample 1, 5-point model, no jitter
            raw[p] = encs[0]
        log("raw encodings done", round(time.time() - t0))
        r = summarise("raw face_recognition, 1 photo per side", lambda a, b: float(np.linalg.norm(raw[a] - raw[b])), pairs, 0.6)
        results.append(r)
        results.append(summarise("raw, at our threshold", lambda a, b: float(np.linalg.norm(raw[a] - raw[b])), pairs, policy.threshold))

    refs: dict[str, matching.Reference] = {}
    probes: dict[str, list[np.ndarray]] = {}
    photo_probe: dict[str, np.ndarray] = {}
    for p in files:
        data = (FACES / p).read_bytes()
        refs[p] = matching.encode_reference(data)
        bgr = quality.decode_image(data)
        box = face_box(p, boxes)
        a = quality.analyse_bgr_photo(bgr)
        photo_probe[p] = matching.encode_probe(bgr, a.face)
        frames = []
        for zoom, dx, dy, gain in FRAME_VARIANTS:
            frame = camera_frame(bgr, box, zoom, dx, dy, gain)
            fa = quality.analyse(frame)
            if fa.face is not None:  # pose gates are not applied: the fixtures include turned heads
                frames.append(matching.encode_probe(frame, fa.face))
        probes[p] = frames
    log("our encodings done", round(time.time() - t0))

    def multi(ref: matching.Reference, p: str, k: int) -> float:
        ds = [ref.distance(e) for e in probes[p][:k]]
        return matching.combine(ds, policy) if ds else float("nan")

    results.append(summarise("ours: chip-style reference vs 1 photo", lambda a, b: refs[a].distance(photo_probe[b]), pairs, policy.threshold))
    results.append(summarise("ours: reference vs 1 camera frame", lambda a, b: multi(refs[a], b, 1), pairs, policy.threshold))
    results.append(summarise(f"ours: reference vs 5 camera frames ({policy.combine})", lambda a, b: multi(refs[a], b, 5), pairs, policy.threshold))

    sizes: dict[str, list[int]] = {"jpeg": [], "jp2": []}
    if not args.skip_chip:
        for fmt in ("jpeg", "jp2"):
            chip: dict[str, matching.Reference] = {}
            for p in files:
                bgr = cv2.imread(str(FACES / p))
                data = chip_photo(bgr, face_box(p, boxes), fmt)
                sizes[fmt].append(len(data))
                chip[p] = matching.encode_reference(data)
            label = "JPEG q60" if fmt == "jpeg" else "JPEG 2000"
            results.append(summarise(f"chip {label} 240x320 reference vs 5 camera frames", lambda a, b, c=chip: multi(c[a], b, 5), pairs, policy.threshold))
            results.append(summarise(f"chip {label} 240x320 reference vs 1 camera frame", lambda a, b, c=chip: multi(c[a], b, 1), pairs, policy.threshold))
            log(f"chip {fmt} done", round(time.time() - t0))

    times = timings(args.runs)
    total = time.time() - t0

    print(f"Command: `.venv/bin/python bench/face_eval.py{' --markdown' if args.markdown else ''}` "
          f"({len(files)} photos, {n_gen} genuine / {len(pairs) - n_gen} impostor pairs; Python {platform.python_version()}, "
          f"{total:.0f} s)\n")
    print("| method | threshold | false accepts | false rejects (FRR) | threshold for FAR ≤ 0.01 % (0 accepted) | FRR there "
          "| max genuine | min impostor | margin min impostor − threshold | impostor mean ± sd | normal fit: FAR 1e-4 at | normal fit: FAR at threshold |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(row(r))
    sweep = (0.45, 0.50, 0.55, 0.60)
    print("\nFalse rejects (false accepts) at other thresholds:\n")
    print("| method | " + " | ".join(f"{t:.2f}" for t in sweep) + " |")
    print("|---|" + "---|" * len(sweep))
    for r in results:
        cells = []
        for t in sweep:
            e = matching.error_rates(r["gen"], r["imp"], t)
            cells.append(f"{e.false_rejects}/{e.genuines} ({e.false_accepts})")
        print(f"| {r['name']} | " + " | ".join(cells) + " |")
    if sizes["jpeg"]:
        print(f"\nChip photos: JPEG q60 median {statistics.median(sizes['jpeg']) / 1024:.1f} KB, "
              f"JPEG 2000 median {statistics.median(sizes['jp2']) / 1024:.1f} KB.")
    print(f"\nPer-frame timings at {FRAME_W}x{FRAME_H}, {args.runs} runs (ms):\n")
    print("| step | median | p95 |")
    print("|---|---|---|")
    for name, xs in times:
        xs = sorted(xs)
        p95 = xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]
        print(f"| {name} | {1000 * statistics.median(xs):.1f} | {1000 * p95:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
