"""Cold start: from starting the kiosk process to the attract screen drawn and ready for a card,
and to the face check ready (face models loaded in the background).

    .venv/bin/python bench/cold_start.py [--runs 10] [--fresh] [--imports] [--markdown]

Each run starts `main.py --simulate --offscreen` (the demo devices; the real dlib face check) as
a new process with ONEVISIT_STARTUP_MARKS=FILE; the kiosk appends "<name> <time.monotonic()>"
(kiosk/ui/app.py) when
  attract_ready  the attract screen has been painted for the first time and the device threads
                 (the card reader's loop among them) have been started;
  face_ready     the face verifier's warm-up has finished: the encoder child process says ready
                 and the detector and landmark model are loaded in the kiosk process.
The clock is CLOCK_MONOTONIC, shared by all processes, so each mark minus the moment just before
the process was started is the time the user would see. The process is then stopped.

By default every run reuses one data folder primed by an untimed first run (a kiosk restarting:
its keys and database exist); --fresh gives each run a new, empty folder (a first start).
--imports adds one run under `python -X importtime` and lists the largest imports.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKS = ("attract_ready", "face_ready")


def start_once(data_dir: Path, timeout: float = 90.0, importtime: bool = False) -> tuple[dict[str, float], str]:
    """Start the kiosk, wait for every mark (at most `timeout` s), stop it. Returns the marks in
    seconds since the start, and its stderr up to the first paint (the import profile of the
    path to the attract screen, with `importtime`)."""
    with tempfile.TemporaryDirectory() as tmp:
        marks_file = Path(tmp) / "marks"
        err_file = Path(tmp) / "stderr"
        env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
        env["ONEVISIT_STARTUP_MARKS"] = str(marks_file)
        cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), str(ROOT / "main.py"),
               "--simulate", "--offscreen", "--data-dir", str(data_dir)]
        with open(err_file, "w") as err:
            t0 = time.monotonic()
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
            marks: dict[str, float] = {}
            painted_at: int | None = None
            try:
                while set(MARKS) - set(marks):
                    if proc.poll() is not None:
                        raise RuntimeError(f"the kiosk exited with {proc.returncode}:\n{err_file.read_text()[-2000:]}")
                    if time.monotonic() - t0 > timeout:
                        raise TimeoutError(f"no {sorted(set(MARKS) - set(marks))} within {timeout:.0f} s")
                    time.sleep(0.005)
                    if marks_file.exists():
                        for line in marks_file.read_text().splitlines():
                            name, _, at = line.partition(" ")
                            if name and at:
                                marks[name] = float(at) - t0
                    if "attract_ready" in marks and painted_at is None:
                        painted_at = err_file.stat().st_size
            finally:
                stop(proc)
        # What the kiosk wrote up to the first paint: the encoder child (whose -X importtime
        # lines would interleave) starts only after it.
        return marks, err_file.read_text()[:painted_at]


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 5 s (the encoder child sees its pipe close and exits)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def interpreter_start(runs: int) -> float:
    """Median seconds for `python -c pass` with this interpreter: the floor under any start."""
    times = []
    for _ in range(runs):
        t = time.monotonic()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.monotonic() - t)
    return statistics.median(times)


def largest_imports(importtime_log: str, limit: int = 15) -> list[tuple[float, str]]:
    """(cumulative ms, module) of the third-party imports made directly by the kiosk's own
    modules or at the top level, largest first."""
    rows = []
    for line in importtime_log.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        depth = (len(name) - len(name.lstrip())) // 2   # " " + two spaces per level
        rows.append((depth, int(cumulative) / 1000, name.strip()))
    out, parent_is_ours = [], {}
    for depth, ms, name in reversed(rows):   # importtime prints children before their parent
        parent_is_ours[depth] = name.startswith(("kiosk", "backoffice"))
        if depth == 0 or parent_is_ours.get(depth - 1, False):
            if not name.startswith("kiosk"):
                out.append((ms, name))
    return sorted(set(out), reverse=True)[:limit]


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--fresh", action="store_true", help="a new, empty data folder for every run")
    ap.add_argument("--imports", action="store_true", help="also profile the imports of one start (-X importtime)")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    results: dict[str, list[float]] = {m: [] for m in MARKS}
    with tempfile.TemporaryDirectory() as base:
        primed = Path(base) / "data"
        if not args.fresh:
            start_once(primed)   # creates the keys and the database, like a kiosk that ran before
        for i in range(args.runs):
            marks, _ = start_once(Path(base) / f"fresh{i}" if args.fresh else primed)
            for m in MARKS:
                results[m].append(marks[m])
        floor = interpreter_start(max(3, args.runs // 2))
        imports = largest_imports(start_once(primed, importtime=True)[1]) if args.imports else []
    command = f".venv/bin/python bench/cold_start.py --runs {args.runs}{' --fresh' if args.fresh else ''}"
    if args.markdown:
        print(f"command: `{command}`, {'a new data folder each run' if args.fresh else 'data folder primed by one untimed start'}\n")
        print("| from process start to | median | min | max |")
        print("|---|---|---|---|")
        for m, label in zip(MARKS, ("attract screen drawn, card reader polling", "face check ready (models loaded)")):
            v = results[m]
            print(f"| {label} | {statistics.median(v):.3f} s | {min(v):.3f} s | {max(v):.3f} s |")
        print(f"| (`python -c pass`, the interpreter alone) | {floor:.3f} s | | |")
    else:
        print(command)
        for m in MARKS:
            print(f"{m:14s} {summary(results[m])}  runs: {' '.join(f'{x:.3f}' for x in results[m])}")
        print(f"python -c pass {floor:.3f} s")
    if imports:
        print("\nlargest imports (cumulative ms, one start under -X importtime, which inflates them):")
        for ms, name in imports:
            print(f"  {ms:7.1f}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
