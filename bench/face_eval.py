"""Face matching benchmark: every genuine and impostor pair of a photo set, FAR/FRR with exact
(Clopper-Pearson) 95 % intervals, the impostor distances' lower tail, and per-frame timings.

  .venv/bin/python bench/face_eval.py [--photos DIR] [--no-demo] [--cache FILE] [--markdown]
                                      [--runs 30] [--skip-raw] [--skip-timings]

Photos: one folder per identity under --photos (default tests/fixtures/faces), plus the demo's
public-domain faces and the demo clip's real video frames (bench/face_data.py). Every ordered pair
of two photos is a trial (reference = first, probe = second; the two roles are encoded differently,
so A->B and B->A are two measurements, though not independent ones); every cross-identity pair is
an impostor trial. Reports (a) raw face_recognition (one photo per side, library defaults), (b) our
method (kiosk.devices.face.matching) with the photo, one and three simulated camera frames as the
probe, (c) simulated chip photos (240x320 JPEG q60 / JPEG 2000) as the reference, (d) the real clip
frames as probes, (e) the threshold table for the kiosk's condition, (f) per-frame timings at
640x480. Runs on the main thread; CPU only. About 10 minutes on 2 cores with an empty cache; with
--cache FILE every image is encoded once and later runs take seconds.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from face_data import (FRAME_H, FRAME_W, REF_KINDS, SPEAKER, Cache, Encoded, camera_frame,  # noqa: E402
                       clip_frames, collect, encode_photo)
from face_stats import clopper_pearson, fmt_rate, normal_fit, tail_fit, tail_threshold  # noqa: E402

from kiosk.config import load_config  # noqa: E402
from kiosk.devices.face import matching, quality  # noqa: E402

FACES = ROOT / "tests" / "fixtures" / "faces"
# The held-out set issue 12 reports: 15,014 impostor pairs of unconstrained photos, of which the
# former default 0.55 accepted 3. The new default must accept at most 1 of them.
HELD_N, HELD_K_AT_055 = 15_014, 3
SWEEP = [round(0.40 + 0.02 * i, 2) for i in range(11)]   # 0.40 ... 0.60


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def summarise(name: str, gen: list[float], imp: list[float], threshold: float) -> dict:
    at = matching.error_rates(gen, imp, threshold)
    best = matching.threshold_for_far(gen, imp, 1e-4)
    nd = normal_fit(imp)
    return {"name": name, "gen": gen, "imp": imp, "threshold": threshold, "at": at, "best": best, "gen_max": max(gen),
            "imp_min": min(imp), "imp_mean": nd.mean, "imp_sd": nd.stdev,
            "fit_far_at_t": nd.cdf(threshold), "q1e4": nd.inv_cdf(1e-4)}


def row(r: dict) -> str:
    at, best = r["at"], r["best"]
    return (f"| {r['name']} | {at.threshold:.2f} | {fmt_rate(at.false_accepts, at.impostors)} | "
            f"{fmt_rate(at.false_rejects, at.genuines)} | {best.threshold:.3f} | {best.false_rejects}/{best.genuines} "
            f"({pct(best.frr)}) | {r['gen_max']:.3f} | {r['imp_min']:.3f} | {r['imp_min'] - at.threshold:+.3f} | "
            f"{r['imp_mean']:.3f} ± {r['imp_sd']:.3f} | {r['q1e4']:.3f} | {r['fit_far_at_t']:.1e} |")


def timings(runs: int) -> list[tuple[str, list[float]]]:
    """Per-frame costs at 640x480 on one fixture face (median / p95 over `runs`)."""
    path = "fr_barack_obama/obama.jpg"
    bgr = cv2.imread(str(FACES / path))
    frame = camera_frame(bgr, quality.analyse_bgr_photo(bgr).face.box, face_frac=0.4)
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


def median_of(ref: np.ndarray | None, probes: Sequence[np.ndarray], k: int) -> float:
    """The kiosk's decision distance: the median over the first k probe frames (nan when the
    reference has no face or fewer than k frames were found: the kiosk decides nothing then)."""
    if ref is None or len(probes) < k:
        return float("nan")
    return float(statistics.median(float(np.linalg.norm(ref - e)) for e in probes[:k]))


def dist(a: np.ndarray | None, b: np.ndarray | None) -> float:
    return float("nan") if a is None or b is None else float(np.linalg.norm(a - b))


def split(trials: list[tuple[bool, float, str]]) -> tuple[list[float], list[float], int]:
    """Genuine and impostor distances; a nan (no face, no decision) is a reject: 9.0. Also returns
    how many trials had no decision."""
    gen, imp, nans = [], [], 0
    for same, d, _ in trials:
        if d != d:
            nans += 1
            d = 9.0
        (gen if same else imp).append(d)
    return gen, imp, nans


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", type=Path, default=FACES, help="one folder per identity (default tests/fixtures/faces)")
    ap.add_argument("--no-demo", action="store_true", help="leave out the demo's faces and clip frames")
    ap.add_argument("--cache", type=Path, help="keep encodings in this pickle between runs (e.g. /tmp/face_enc.json)")
    ap.add_argument("--markdown", action="store_true", help="print only the markdown tables")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--skip-raw", action="store_true")
    ap.add_argument("--skip-timings", action="store_true")
    args = ap.parse_args()
    t0 = time.time()
    log = (lambda *a: None) if args.markdown else (lambda *a: print(*a, file=sys.stderr, flush=True))
    face = load_config(env={}).face   # the packaged face.threshold, the number the kiosk ships with
    t, k = face.threshold, face.min_good_frames
    cache = Cache(args.cache)
    photos = collect(args.photos, not args.no_demo)
    chip_sizes: dict[str, list[int]] = {"jpeg": [], "jp2": []}
    enc: list[Encoded] = []
    for i, p in enumerate(photos):
        enc.append(encode_photo(p, cache, not args.skip_raw, chip_sizes))
        if cache.misses and i % 5 == 4:
            cache.save()
            log(f"{i + 1}/{len(photos)} photos encoded", round(time.time() - t0))
    clip = [] if args.no_demo else clip_frames(cache)
    cache.save()
    log("encodings done", round(time.time() - t0))

    # Ordered pairs of two photos; a genuine pair needs two different source images.
    pairs = [(a, b, photos[a].identity == photos[b].identity) for a in range(len(photos)) for b in range(len(photos))
             if a != b and not (photos[a].identity == photos[b].identity and photos[a].source == photos[b].source)]
    n_ids = len({p.identity for p in photos})
    n_gen = sum(1 for *_, s in pairs if s)
    windows = [[e for _, e in clip[i:i + k]] for i in range(0, len(clip) - k + 1, k)]

    def trials(fn: Callable[[int, int], float]) -> list[tuple[bool, float, str]]:
        return [(s, fn(a, b), f"{photos[a].name} -> {photos[b].name}") for a, b, s in pairs]

    def clip_trials(kind: str) -> list[tuple[bool, float, str]]:
        return [(photos[a].identity == SPEAKER, median_of(enc[a].refs[kind], w, k), f"{photos[a].name} -> clip window {j}")
                for a in range(len(photos)) for j, w in enumerate(windows)]

    methods: list[tuple[str, list[tuple[bool, float, str]]]] = []
    if not args.skip_raw:
        methods.append(("raw face_recognition, 1 photo per side", trials(lambda a, b: dist(enc[a].raw, enc[b].raw))))
    methods.append(("ours: reference vs 1 photo", trials(lambda a, b: dist(enc[a].refs["ref"], enc[b].photo))))
    methods.append(("ours: reference vs 1 camera frame", trials(lambda a, b: median_of(enc[a].refs["ref"], enc[b].frames, 1))))
    label = {"ref": "photo as reference", "ref_jpeg": "chip JPEG q60 240x320", "ref_jp2": "chip JPEG 2000 240x320"}
    kiosk: list[tuple[bool, float, str]] = []
    for kind in REF_KINDS:
        tr = trials(lambda a, b, kd=kind: median_of(enc[a].refs[kd], enc[b].frames, k))
        methods.append((f"{label[kind]} vs {k} camera frames (median)", tr))
        kiosk += [(s, d, f"{kind}: {n}") for s, d, n in tr]
    video: list[tuple[bool, float, str]] = []
    if windows:
        for kind in REF_KINDS:
            video += [(s, d, f"{kind}: {n}") for s, d, n in clip_trials(kind)]
        methods.append((f"all references vs real clip frames ({k}-frame windows)", video))
        single = [(photos[a].identity == SPEAKER, median_of(enc[a].refs[kind], [e], 1), "")
                  for kind in REF_KINDS for a in range(len(photos)) for _, e in clip]
        methods.append(("all references vs single real clip frames (not a kiosk decision)", single))
    kiosk_all = kiosk + video
    total = time.time() - t0

    print(f"Command: `.venv/bin/python bench/face_eval.py --cache /tmp/face_enc.json{' --markdown' if args.markdown else ''}` "
          f"({len(photos)} photos of {n_ids} identities, {len(clip)} usable clip frames in {len(windows)} windows of {k}; "
          f"{n_gen} genuine / {len(pairs) - n_gen} impostor ordered photo pairs; Python {platform.python_version()}; "
          f"{total:.0f} s)\n")
    print(f"Per method at the configured threshold {t:.2f} (counts, rate, exact 95 % interval):\n")
    print("| method | threshold | false accepts (FAR; 95 % CI) | false rejects (FRR; 95 % CI) | threshold with 0 accepted | FRR there "
          "| max genuine | min impostor | margin min impostor − threshold | impostor mean ± sd | normal fit: FAR 1e-4 at | normal fit: FAR at threshold |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, tr in methods:
        gen, imp, _ = split(tr)
        print(row(summarise(name, gen, imp, t)))
    threshold_section(kiosk, video, kiosk_all, t, k)
    print(f"\nChip photos: JPEG q60 median {statistics.median(chip_sizes['jpeg']) / 1024:.1f} KB, "
          f"JPEG 2000 median {statistics.median(chip_sizes['jp2']) / 1024:.1f} KB.")
    if not args.skip_timings:
        times = timings(args.runs)
        print(f"\nPer-frame timings at {FRAME_W}x{FRAME_H}, {args.runs} runs (ms):\n")
        print("| step | median | p95 |")
        print("|---|---|---|")
        for name, xs in times:
            xs = sorted(xs)
            p95 = xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]
            print(f"| {name} | {1000 * statistics.median(xs):.1f} | {1000 * p95:.1f} |")
    return 0


def threshold_section(kiosk: list, video: list, pooled: list, t: float, k: int) -> None:
    """The table the default threshold is chosen from: the kiosk's condition (a chip-like reference
    against the median of k camera frames), FAR and FRR with exact intervals, the impostor tail, and
    the tail extrapolated to the held-out set's 1 in 15,000."""
    gen, imp, nans = split(kiosk)
    vgen, vimp, _ = split(video)
    pimp = imp + vimp
    print(f"\nThe kiosk's condition (chip-like reference vs median of {k} camera frames); impostors pooled with the "
          f"real clip windows ({len(pimp)} impostor trials, {len(gen)} genuine; {nans} trials without a decision "
          f"count as rejects):\n")
    print("| threshold | false accepts, pooled (FAR; 95 % CI) | false rejects, simulated frames (FRR; 95 % CI) "
          "| false rejects, real clip vs its chip photo |")
    print("|---|---|---|---|")
    for s in sorted(set(SWEEP + [0.55, t])):
        e = matching.error_rates(gen, pimp, s)
        ve = matching.error_rates(vgen, [], s)
        mark = " (configured)" if s == t else ""
        print(f"| {s:.2f}{mark} | {fmt_rate(e.false_accepts, e.impostors)} | {fmt_rate(e.false_rejects, e.genuines)} "
              f"| {fmt_rate(ve.false_rejects, ve.genuines)} |")
    labelled = sorted([(d, n) for s, d, n in kiosk + video if not s and d == d])
    print("\nThe 12 smallest impostor distances (pooled):\n")
    print("| distance | reference -> probe |")
    print("|---|---|")
    for d, n in labelled[:12]:
        print(f"| {d:.3f} | {n} |")
    nd = normal_fit(pimp)
    a, b, m = tail_fit(pimp)
    target = 1.0 / HELD_N
    held_lo, held_hi = clopper_pearson(HELD_K_AT_055, HELD_N)
    held = HELD_K_AT_055 / HELD_N
    _lo0, hi0 = clopper_pearson(0, len(pimp))
    print(f"\nWhat {len(pimp)} impostor trials resolve: 0 accepted bounds FAR below {hi0:.2%} (95 %, two-sided; "
          f"about 3/N one-sided) — {hi0 / target:.0f}x coarser than the target 1/{HELD_N}.\n")
    print("| extrapolation | FAR at 0.55 | FAR 1e-4 at | FAR 1/15,014 at |")
    print("|---|---|---|---|")
    print(f"| normal fit (mean {nd.mean:.3f}, sd {nd.stdev:.3f}) | {nd.cdf(0.55):.1e} | {nd.inv_cdf(1e-4):.3f} | "
          f"{nd.inv_cdf(target):.3f} |")
    f055 = float(np.exp(a + b * 0.55))
    print(f"| exponential lower tail (smallest {m}; F falls e-fold every {1 / b:.3f}) | {f055:.1e} | "
          f"{tail_threshold(a, b, 1e-4):.3f} | {tail_threshold(a, b, target):.3f} |")
    # The held-out set's tail is heavier than ours (3 accepted at 0.55 where our fits predict far
    # fewer): keep our tail's steepness, anchor it at the held-out point and its upper bound.
    for name, anchor in (("point estimate 3/15,014", held), ("upper 95 % bound", held_hi)):
        print(f"| our tail steepness anchored at the held-out set's {name} ({anchor:.1e} at 0.55) | {anchor:.1e} | "
              f"{0.55 + np.log(1e-4 / anchor) / b:.3f} | {0.55 + np.log(target / anchor) / b:.3f} |")
    print(f"| the same with the normal fit's sd anchored at {held_hi:.1e} at 0.55 | {held_hi:.1e} | "
          f"{0.55 + nd.stdev * (statistics.NormalDist().inv_cdf(1e-4) - statistics.NormalDist().inv_cdf(held_hi)):.3f} | "
          f"{0.55 + nd.stdev * (statistics.NormalDist().inv_cdf(target) - statistics.NormalDist().inv_cdf(held_hi)):.3f} |")
    print(f"\n(held-out set at 0.55: {HELD_K_AT_055}/{HELD_N}, 95 % CI {held_lo:.1e}–{held_hi:.1e})")
    # Below 0.55 the held-out set can only accept a subset of its 3 pairs. If their distances follow
    # our tail below 0.55, each lies below t with p = exp(-(0.55 - t) * b); the default is met
    # when at most one does.
    print(f"\nAt most 1 of the held-out set's {HELD_K_AT_055} pairs (all < 0.55) still accepted, if they follow our tail "
          "(steepness from the smallest 0.5 %–5 % of our impostor trials):\n")
    fits = [tail_fit(pimp, sh)[1] for sh in (0.005, 0.02, 0.05)]
    print("| threshold | " + " | ".join(f"e-fold {1 / bb:.3f}: P(≤1 accepted), expected accepted" for bb in fits) + " |")
    print("|---|" + "---|" * len(fits))
    for s in sorted({0.48, 0.49, 0.50, 0.51, 0.52, 0.53, t}):
        cells = []
        for bb in fits:
            p = float(np.exp(-(0.55 - s) * bb))
            n = HELD_K_AT_055
            cells.append(f"{(1 - p) ** n + n * p * (1 - p) ** (n - 1):.2f}, {n * p:.2f}")
        print(f"| {s:.2f}{' (configured)' if s == t else ''} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
