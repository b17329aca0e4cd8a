"""Soak: N complete autopilot journeys in ONE kiosk process; memory, threads and open files must
stay flat.

    .venv/bin/python bench/soak.py --sessions 1000          # the real figure (~2 h on 2 cores)
    .venv/bin/python bench/soak.py --sessions 3 --warmup 1  # the short check (tests/e2e/test_benchmarks.py)

Runs `main.py --simulate --autopilot --offscreen --sessions N --stats FILE` (the demo devices
with the real dlib face check on the demo clip, a fresh data folder) and reads the JSON line the
autopilot appends before the first journey and after each one (kiosk/ui/autopilot.py
process_sample: resident memory, PSS, threads, open files, the face encoder child's memory).

Reported: the figures at 0 sessions, after the warm-up (default 100, or N/10 for shorter runs)
and at N; the growth from the warm-up to N, which must be ≤ 10 % for resident memory, threads
and open files (PSS is reported too, but it moves with whatever else on the machine maps the
same libraries); the reference counts of None, True and False, which must not fall by more than
10 % (a C extension that drops references it does not own ends the process when one reaches 0:
PySide6 6.12.0 did on Python 3.11); the slope of resident memory over the sessions after
the warm-up (a least-squares fit, kB per session: what a leak would show long before 1,000
sessions); and how long a journey takes, to say what a 1,000-session run costs.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 0.10          # the bound on growth after the warm-up
WATCHED = ("vmrss_kb", "pss_kb", "threads", "fds", "py_objects")
REFS = ("none_refs", "true_refs", "false_refs")   # falling steadily = a C extension dropping references


def run(sessions: int, step_delay: int, data_dir: Path, log_every: int, timeout: float,
        root: Path = ROOT) -> tuple[int, list[dict], str]:
    """Run the kiosk (of checkout `root`); returns its exit code, the stats rows, and the tail of
    its stderr."""
    stats = data_dir / "stats.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    cmd = [sys.executable, str(root / "main.py"), "--simulate", "--autopilot", "--offscreen",
           "--data-dir", str(data_dir / "data"), "--sessions", str(sessions), "--stats", str(stats),
           "--step-delay", str(step_delay)]
    with open(data_dir / "stderr.log", "w") as err:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=err)
        start, shown = time.monotonic(), 0
        try:
            while proc.poll() is None:
                if time.monotonic() - start > timeout:
                    proc.kill()
                    proc.wait()
                    break
                time.sleep(1.0)
                rows = read_rows(stats)
                if rows and rows[-1]["sessions"] >= shown + log_every:
                    shown = rows[-1]["sessions"]
                    r = rows[-1]
                    print(f"  {shown:5d} sessions  {time.monotonic() - start:7.0f} s  RSS {r['vmrss_kb'] / 1024:6.1f} MiB"
                          f"  threads {r['threads']}  fds {r['fds']}", file=sys.stderr, flush=True)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    tail = (data_dir / "stderr.log").read_text(errors="replace")[-3000:]
    return proc.returncode, read_rows(stats), tail


def read_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:   # a line being written
            break
    return rows


def slope_kb_per_session(rows: list[dict]) -> float:
    """Least-squares slope of resident memory against the session count."""
    if len(rows) < 2:
        return 0.0
    xs = [r["sessions"] for r in rows]
    ys = [r["vmrss_kb"] for r in rows]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def analyse(rows: list[dict], warmup: int) -> dict:
    """The figures the report needs from the stats rows (row i = after i sessions)."""
    by_n = {r["sessions"]: r for r in rows}
    last = rows[-1]
    base = by_n.get(warmup, rows[min(warmup, len(rows) - 1)])
    growth = {k: (last[k] - base[k]) / base[k] if base.get(k) and k in last else 0.0 for k in WATCHED + REFS}
    seconds = sorted(r["seconds"] for r in rows if r.get("seconds") is not None)
    after = [r for r in rows if r["sessions"] >= base["sessions"]]
    return {
        "start": rows[0], "warm": base, "last": last, "growth": growth,
        "passed": all(growth[k] <= LIMIT for k in ("vmrss_kb", "threads", "fds"))
        and all(growth[k] >= -LIMIT for k in REFS),
        "slope_kb": slope_kb_per_session(after),
        "peak_kb": max(r.get("vmhwm_kb", 0) for r in rows),
        "seconds_median": statistics.median(seconds) if seconds else None,
        "seconds_p95": seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))] if seconds else None,
    }


def report(a: dict, sessions: int, step_delay: int, code: int) -> None:
    def mib(kb: int) -> str:
        return f"{kb / 1024:.1f}"
    print(f"command: `.venv/bin/python bench/soak.py --sessions {sessions} --warmup {a['warm']['sessions']}"
          f" --step-delay {step_delay}`; kiosk exit code {code}; {a['last']['sessions']} journeys completed\n")
    print("| after sessions | RSS MiB | of which anon / file | PSS MiB | threads | open files | encoder child RSS / PSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for label, r in (("0 (attract screen)", a["start"]), (f"{a['warm']['sessions']} (end of warm-up)", a["warm"]),
                     (str(a["last"]["sessions"]), a["last"])):
        print(f"| {label} | {mib(r['vmrss_kb'])} | {mib(r['rssanon_kb'])} / {mib(r['rssfile_kb'])} | {mib(r['pss_kb'])} | "
              f"{r['threads']} | {r['fds']} | {mib(r['children_rss_kb'])} / {mib(r['children_pss_kb'])} |")
    g = a["growth"]
    print(f"\ngrowth after the warm-up: RSS {100 * g['vmrss_kb']:+.1f} %, PSS {100 * g['pss_kb']:+.1f} %, "
          f"threads {100 * g['threads']:+.1f} %, open files {100 * g['fds']:+.1f} %, "
          f"Python objects {100 * g['py_objects']:+.1f} % -> "
          f"{'PASS' if a['passed'] else 'FAIL'} (limit +{100 * LIMIT:.0f} % for RSS, threads, open files)")
    if all(k in a["warm"] and k in a["last"] for k in REFS):
        print("reference counts of None / True / False: " + ", ".join(
            f"{a['warm'][k]} -> {a['last'][k]} ({100 * g[k]:+.1f} %)" for k in REFS)
            + " (must not fall by more than 10 %: a C extension dropping references ends in an abort)")
    print(f"RSS slope after the warm-up: {a['slope_kb']:+.1f} kB per session "
          f"({a['slope_kb'] * 1000 / 1024:+.1f} MiB per 1,000 sessions); peak RSS (VmHWM) {mib(a['peak_kb'])} MiB")
    if a["seconds_median"] is not None:
        print(f"one journey: median {a['seconds_median']:.1f} s, p95 {a['seconds_p95']:.1f} s -> 1,000 sessions "
              f"take about {a['seconds_median'] * 1000 / 3600:.1f} h at this step delay")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=None, help="sessions before the reference point (default min(100, N/10))")
    ap.add_argument("--step-delay", type=int, default=100, metavar="MS", help="the autopilot's pause between steps")
    ap.add_argument("--checkout", type=Path, default=ROOT, help="run another checkout's kiosk (with --sessions)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON (tests, CI) instead of tables")
    ap.add_argument("--keep", type=Path, help="keep the data folder, the stats and the kiosk's log here")
    ap.add_argument("--timeout", type=float, default=None, help="seconds for the whole run (default 60 per session + 120)")
    args = ap.parse_args()
    warmup = args.warmup if args.warmup is not None else max(1, min(100, args.sessions // 10))
    timeout = args.timeout or 60.0 * args.sessions + 120.0
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        code, rows, tail = run(args.sessions, args.step_delay, work, max(1, args.sessions // 20), timeout,
                               args.checkout.resolve())
    if not rows:
        print(f"the kiosk wrote no statistics (exit code {code}):\n{tail}", file=sys.stderr)
        return 2
    a = analyse(rows, warmup)
    if args.json:
        print(json.dumps({"exit_code": code, **a}))
    else:
        report(a, args.sessions, args.step_delay, code)
    if code != 0 or a["last"]["sessions"] != args.sessions:
        print(f"\nthe run did not complete every journey:\n{tail}", file=sys.stderr)
        return 1
    return 0 if a["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
