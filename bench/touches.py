"""Fewer things to type (issue 13, part 6): per bundle, how many fields the citizen types and how
many touches it takes from the card to the printed receipt, on the autopilot's path.

Runs `main.py --simulate --autopilot --offscreen --sessions N --citizen C --stats FILE` once (the
demo devices: simulated card reader, camera, printer and government records; the real face matcher),
N being the number of bundles, so the autopilot applies for each bundle once, in catalogue order,
and reads the JSON line it appends after each journey (kiosk/ui/autopilot.py JourneyMetrics).

    .venv/bin/python bench/touches.py [--citizen chen_hao] [--json]

Prints a Markdown table (bundle, typed fields, touches, form pages) for docs/benchmarks.md.
Exits 1 if a journey failed, or if retirement needs more than 2 typed fields or 12 touches, or the
newborn more than 5 typed fields (the issue's goals).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"retirement": (2, 12), "newborn": (5, None)}     # bundle: (most typed fields, most touches)


def run(citizen: str, step_delay: int) -> tuple[list[dict], float, int]:
    sys.path.insert(0, str(ROOT))
    from kiosk.services.catalogue_store import load_catalogue
    bundles = load_catalogue(ROOT / "assets" / "catalogue" / "catalogue.yaml").bundles
    with tempfile.TemporaryDirectory(prefix="touches-") as tmp:
        stats = Path(tmp) / "stats.jsonl"
        cmd = [sys.executable, str(ROOT / "main.py"), "--simulate", "--autopilot", "--offscreen",
               "--sessions", str(len(bundles)), "--citizen", citizen, "--stats", str(stats),
               "--step-delay", str(step_delay), "--data-dir", str(Path(tmp) / "data")]
        env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
        started = time.monotonic()
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60 * len(bundles), check=False)
        seconds = time.monotonic() - started
        rows = [json.loads(line) for line in stats.read_text().splitlines() if line.strip()] if stats.exists() else []
    if res.returncode != 0:
        print(res.stderr[-3000:], file=sys.stderr)
    return [r for r in rows if "bundle" in r], seconds, res.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--citizen", default="chen_hao", help="the demo citizen (default: chen_hao, who has records)")
    ap.add_argument("--step-delay", type=int, default=50, metavar="MS", help="the autopilot's pause between steps")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args()
    rows, seconds, code = run(args.citizen, args.step_delay)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print("| bundle | typed fields | touches (card → receipt) | form pages | fields typed |")
        print("|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['bundle']} | {r['typed_fields']} | {r['touches']} | {r['pages']} | "
                  f"{', '.join(r['typed']) or '-'} |")
        print(f"\n{len(rows)} journeys by {args.citizen} in {seconds:.0f} s; autopilot exit code {code}")
    failed = code != 0
    by_bundle = {r["bundle"]: r for r in rows}
    for bundle, (typed, touches) in GOALS.items():
        r = by_bundle.get(bundle)
        if r is None or r["typed_fields"] > typed or (touches is not None and r["touches"] > touches):
            print(f"GOAL MISSED: {bundle}: {r and (r['typed_fields'], r['touches'])} (goal: typed <= {typed}, "
                  f"touches <= {touches})", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
