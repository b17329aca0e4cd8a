"""Resident ID card through a SAM reader: card placed to identity returned, through the pty emulator.

  .venv/bin/python bench/sam_read.py [--runs 20] [--baud 115200] [--json]

The emulator (testkit/sam_emulator.py) delays every byte it sends by 10 bits at --baud, so the
1295-byte read-base answer costs what it costs on a real line (~0.11 s at 115200 baud). The host
side polls as the kiosk's card thread does (kiosk/runtime.py `_card_loop`: wait_for_insert(0.25)
until a card answers, then read), with no photo decoder. A helper thread places the card at a
random moment within a poll interval; the clock starts at `place()`. Runs on the main thread (the
card thread of this process).
"""
from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.devices.idcard.sam_reader import POLL_INTERVAL, SamCardReader  # noqa: E402
from testkit.sam_emulator import SamEmulator  # noqa: E402

GOAL = 1.0


def one_read(emu: SamEmulator, reader: SamCardReader, rng: random.Random) -> tuple[float, float]:
    """Seconds from place() to the identity, and of that the read alone."""
    emu.remove()
    if not reader.wait_for_removal(5.0):
        raise RuntimeError("the card did not go away")
    # place within the next poll interval at a random phase, as a citizen would
    placer = threading.Timer(rng.uniform(0.0, POLL_INTERVAL), emu.place)
    placer.start()
    while not reader.wait_for_insert(0.25):
        pass
    started = time.monotonic()
    result = reader.read(10.0)
    done = time.monotonic()
    placer.join()
    assert emu.placed_at is not None and result.identity.name
    return done - emu.placed_at, done - started


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--baud", type=int, default=115200)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rng = random.Random(11)
    with SamEmulator(byte_delay=10 / args.baud) as emu:
        reader = SamCardReader(emu.port, args.baud)
        try:
            one_read(emu, reader, rng)     # warm-up: opens the port, imports
            runs = [one_read(emu, reader, rng) for _ in range(args.runs)]
        finally:
            reader.close()
    total = [t for t, _ in runs]
    reads = [r for _, r in runs]
    out = {"runs": args.runs, "baud": args.baud, "median_s": round(statistics.median(total), 3),
           "max_s": round(max(total), 3), "min_s": round(min(total), 3),
           "read_median_s": round(statistics.median(reads), 3), "goal_s": GOAL,
           "python": platform.python_version()}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"placed -> identity, {args.runs} runs at {args.baud} baud, no photo decoding: median "
              f"{out['median_s']:.3f} s (min {out['min_s']:.3f}, max {out['max_s']:.3f}); the read itself "
              f"median {out['read_median_s']:.3f} s; goal <= {GOAL} s")
    return 0 if out["median_s"] <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
