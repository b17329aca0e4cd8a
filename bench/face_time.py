"""The face check's time to decision, median and p95, through the real verifier on the demo clip.

    .venv/bin/python bench/face_time.py [--runs 20] [--in-process] [--json]

The verifier is built exactly as the kiosk builds it (kiosk/compose.py from the default
configuration: DlibFaceVerifier with the dlib encoder in a child process, liveness on) and
warmed up as the kiosk does at start. Each run is one cooperative check of the demo's chen_hao
(his chip photo against his clip, the clip scripted to follow the turn challenge, as in the
demo); the chip photo is encoded first, as the kiosk does right after the card read, and timed
apart. A check is timed from the call to `verify` ("look at the camera") to its decision, and
split by the instructions the verifier gives:

  look     "look at the camera" until the challenge is asked for: the first good frames, the
           match decision over `min_good_frames`, and the random 0.2-0.8 s pause before it;
  turn     the challenge until it is seen done ("look back at the screen");
  back     "look back" until the decision: one more good, matching frame.

The turn phase is mostly the clip itself: the footage of the speaker turning, played at the
clip's 29.97 frames/s, is what the simulated person "does". Runs are sequential; seeds fix the
challenge (left/right) and its delay so that runs are comparable between versions.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.compose import build_parts  # noqa: E402 - after the sys.path line above
from kiosk.config import load_config  # noqa: E402 - after the sys.path line above
from kiosk.devices.face.challenge import LOOK_BACK, PROMPTS  # noqa: E402 - after the sys.path line above


class _Never:
    def is_set(self) -> bool:
        return False


def p95(values: list[float]) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, round(0.95 * (len(v) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--in-process", action="store_true", help="encode in this process instead of the child (comparison)")
    ap.add_argument("--json", action="store_true", help="print every run as JSON (tests, CI)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        parts = build_parts(load_config(env={}, overrides={"paths": {"data_dir": tmp},
                                                           "devices": {"card_reader": "sim", "camera": "sim", "printer": "sim"}}))
    verifier = parts.devices.face.verifier          # the real one behind the kiosk's deferred stand-in
    if args.in_process:
        verifier._encoder = None
    t = time.perf_counter()
    verifier.warm_up()
    warm_up_s = time.perf_counter() - t
    chen = next(c for c in parts.demo_citizens if c.id == "chen_hao")
    photo = chen.identity.photo
    rows = []
    try:
        for seed in range(args.runs):
            verifier.clear()
            verifier._rng = random.Random(seed)
            t = time.perf_counter()
            verifier.prepare(photo)
            prepare_s = time.perf_counter() - t
            camera = parts.devices.camera_for(photo)
            camera.start()
            while camera.latest() is None:
                time.sleep(0.01)
            said: list[tuple[float, str]] = []
            start = time.perf_counter()
            decision = verifier.verify(photo, camera, time.monotonic() + 12.0, _Never(),
                                       lambda text, said=said: said.append((time.perf_counter(), text.en)))
            end = time.perf_counter()
            camera.stop()
            asked = {p.en for p in PROMPTS.values()}
            prompt = next((at for at, text in said if text in asked), None)      # the first movement asked
            back = next((at for at, text in reversed(said) if text == LOOK_BACK.en), None)   # the last one seen
            rows.append({"matched": decision.matched, "total": end - start, "prepare": prepare_s,
                         "look": (prompt or end) - start, "turn": (back - prompt) if prompt and back else None,
                         "back": (end - back) if back else None})
            why = "" if decision.matched or decision.reason is None else f" ({decision.reason.en})"
            print(f"  run {seed + 1:2d}: {'accepted' if decision.matched else 'REFUSED '} in {end - start:.2f} s{why}",
                  file=sys.stderr, flush=True)
    finally:
        verifier.close()
    accepted = sum(r["matched"] for r in rows)
    if args.json:
        print(json.dumps({"warm_up_s": warm_up_s, "runs": rows}))
        return 0 if accepted == len(rows) else 1
    where = "in the kiosk process" if args.in_process else "in the child process (as the kiosk runs)"
    print(f"command: `.venv/bin/python bench/face_time.py --runs {args.runs}{' --in-process' if args.in_process else ''}`;"
          f" encoder {where}; warm-up (models, encoder child) {warm_up_s:.2f} s\n")
    print(f"accepted {accepted} of {len(rows)} cooperative checks\n")
    print("| phase | median s | p95 s |")
    print("|---|---|---|")
    for key, label in (("total", "**time to decision** (verify called -> decision)"),
                       ("look", "look: first good frames, match, pause before the challenge"),
                       ("turn", "moves: first movement asked -> last movement seen done"),
                       ("back", "back: last look back -> decision (return, reflection, one more match)"),
                       ("prepare", "(before: chip photo encoded, after the card read)")):
        values = [r[key] for r in rows if r[key] is not None]
        if values:
            print(f"| {label} | {statistics.median(values):.2f} | {p95(values):.2f} |")
    return 0 if accepted == len(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
