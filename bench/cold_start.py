"""Cold start: from starting the kiosk process to the attract screen drawn and ready for a card,
and to the face check ready (face models loaded in the background).

    .venv/bin/python bench/cold_start.py [--runs 10] [--fresh] [--imports] [--compare CHECKOUT] [--json]

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
its keys and database exist); --fresh gives each run a new, empty folder (a first start). Python
bytecode is cached (as an installed kiosk has it) in <temp>/onevisit-bench-pycache, even
when PYTHONDONTWRITEBYTECODE is set in the calling shell.
--imports adds one run under `python -X importtime` and lists the largest imports.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYCACHE = Path(tempfile.gettempdir()) / "onevisit-bench-pycache"
MARKS = ("attract_ready", "face_ready")


def start_once(data_dir: Path, timeout: float = 90.0, importtime: bool = False,
               root: Path = ROOT) -> tuple[dict[str, tuple[float, float]], str]:
    """Start the kiosk, wait for every mark (at most `timeout` s), stop it. Returns each mark as
    (seconds since the start, CPU seconds the kiosk process had used by then), and its stderr up to the first paint (the import profile of the
    path to the attract screen, with `importtime`)."""
    with tempfile.TemporaryDirectory() as tmp:
        marks_file = Path(tmp) / "marks"
        err_file = Path(tmp) / "stderr"
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "PYTHONDONTWRITEBYTECODE")}
        env["ONEVISIT_STARTUP_MARKS"] = str(marks_file)
        # Compiled bytecode, as an installed kiosk has it, kept outside the checkout: the untimed
        # first start writes it (a start that compiles every module takes ~0.3 s longer).
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE / hashlib.sha1(str(root).encode(), usedforsecurity=False).hexdigest()[:12])
        cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), str(root / "main.py"),
               "--simulate", "--offscreen", "--data-dir", str(data_dir)]
        with open(err_file, "w") as err:
            t0 = time.monotonic()
            proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=err)
            marks: dict[str, tuple[float, float]] = {}
            try:
                while set(MARKS) - set(marks):
                    if proc.poll() is not None:
                        raise RuntimeError(f"the kiosk exited with {proc.returncode}:\n{err_file.read_text()[-2000:]}")
                    if time.monotonic() - t0 > timeout:
                        raise TimeoutError(f"no {sorted(set(MARKS) - set(marks))} within {timeout:.0f} s")
                    time.sleep(0.005)
                    if marks_file.exists():
                        for line in marks_file.read_text().splitlines():
                            name, at, cpu = line.split()
                            marks[name] = (float(at) - t0, float(cpu))
            finally:
                stop(proc)
        # What the kiosk wrote up to the first paint (it marks that on stderr too); the device
        # threads and the encoder child, which import the rest, start only after it.
        err_text = err_file.read_text()
        return marks, err_text.split("onevisit-startup-mark attract_painted")[0]


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
        if (depth == 0 or parent_is_ours.get(depth - 1, False)) and not name.startswith("kiosk"):
            out.append((ms, name))
    return sorted(set(out), reverse=True)[:limit]


def measure(roots: list[Path], runs: int, fresh: bool) -> dict[Path, dict[str, list[tuple[float, float]]]]:
    """`runs` starts of each checkout, interleaved (A B A B ...) so that both see the same load."""
    results: dict[Path, dict[str, list[tuple[float, float]]]] = {r: {m: [] for m in MARKS} for r in roots}
    with tempfile.TemporaryDirectory() as base:
        primed = {r: Path(base) / f"data{i}" for i, r in enumerate(roots)}
        if not fresh:
            for r in roots:   # creates the keys and the database, like a kiosk that ran before
                start_once(primed[r], root=r)
        for i in range(runs):
            for j, r in enumerate(roots):
                marks, _ = start_once(Path(base) / f"fresh{i}-{j}" if fresh else primed[r], root=r)
                for m in MARKS:
                    results[r][m].append(marks[m])
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--fresh", action="store_true", help="a new, empty data folder for every run")
    ap.add_argument("--imports", action="store_true", help="also profile the imports of one start (-X importtime)")
    ap.add_argument("--compare", type=Path, metavar="CHECKOUT",
                    help="also start another checkout of the kiosk (with the same start-up marks), interleaved")
    ap.add_argument("--json", action="store_true", help="print every run's marks as JSON (tests, CI)")
    args = ap.parse_args()
    roots = [ROOT] + ([args.compare.resolve()] if args.compare else [])
    results = measure(roots, args.runs, args.fresh)
    if args.json:
        print(json.dumps({str(r): {m: [{"seconds": w, "cpu": c} for w, c in v] for m, v in results[r].items()} for r in roots}))
        return 0
    floor = interpreter_start(max(3, args.runs // 2))
    imports = []
    if args.imports:
        with tempfile.TemporaryDirectory() as tmp:
            imports = largest_imports(start_once(Path(tmp), importtime=True)[1])
    command = f".venv/bin/python bench/cold_start.py --runs {args.runs}{' --fresh' if args.fresh else ''}"
    print(f"command: `{command}{' --compare ' + str(args.compare) if args.compare else ''}`; "
          f"{'a new data folder each run' if args.fresh else 'data folder primed by one untimed start'}\n")
    labels = {"attract_ready": "attract screen drawn, card reader polling", "face_ready": "face check ready (models loaded)"}
    for r in roots:
        print(f"{'this checkout' if r == ROOT else r}:\n")
        print("| from process start to | median | min | max | kiosk CPU s, median | runs (s) |")
        print("|---|---|---|---|---|---|")
        for m in MARKS:
            wall = [w for w, _ in results[r][m]]
            cpu = [c for _, c in results[r][m]]
            print(f"| {labels[m]} | {statistics.median(wall):.3f} s | {min(wall):.3f} s | {max(wall):.3f} s | "
                  f"{statistics.median(cpu):.3f} | {' '.join(f'{w:.2f}' for w in wall)} |")
        print()
    print(f"python -c pass (the interpreter alone): {floor:.3f} s")
    if imports:
        print("\nlargest imports before the first paint (cumulative ms; one start under -X importtime, which inflates them):")
        for ms, name in imports:
            print(f"  {ms:7.1f}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
