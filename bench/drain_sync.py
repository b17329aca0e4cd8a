"""Drain N pending applications from a kiosk to the real back office over loopback: how many
applications per second, and the kiosk's memory while it drains (sampled every 1000).

  .venv/bin/python bench/drain_sync.py [--count 10000] [--batch 100] [--photo-bytes 0] [--db URL] [--json]

The back office runs as its own process (`python -m backoffice serve`, SQLite by default). The
kiosk's store is filled with `count` real applications (one durable transaction each, as at the
kiosk), then a fresh kiosk process ("the kiosk") starts the real SyncWorker thread and we time it
from start until nothing is pending. The child reports its resident memory (VmRSS) every 1000
acknowledged applications and its peak (VmHWM) at the end. Checks afterwards: the back office
holds every application exactly once.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

KIOSK_ID = "3301060001"


def _vm(field: str) -> int:
    """This process's /proc/self/status field in KiB (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def child(data_dir: Path, batch: int, every: int) -> None:
    """The kiosk: start the sync thread, report memory every `every` acknowledged applications."""
    from dataclasses import replace

    from testkit.sync_drills import DrillKiosk
    from kiosk.services.sync.settings import load_sync_settings
    from kiosk.services.sync.worker import make_worker

    kiosk = DrillKiosk(data_dir, KIOSK_ID)
    settings = replace(load_sync_settings(data_dir, env={}), batch_size=batch, interval_seconds=3600.0)
    store = kiosk.open_storage()
    total = store.sync_counts().pending
    done = threading.Event()
    state = {"recorded": 0, "next": every}
    samples: list[dict] = []
    t0 = time.monotonic()

    def progress(stage: str, n: int) -> None:   # sync thread
        if stage != "recorded":
            return
        state["recorded"] += n
        while state["recorded"] >= state["next"]:
            samples.append({"acknowledged": state["next"], "seconds": round(time.monotonic() - t0, 2),
                            "rss_mib": round(_vm("VmRSS") / 1024, 1)})
            state["next"] += every
        if state["recorded"] >= total:
            done.set()

    rss_start = _vm("VmRSS")
    worker = make_worker(data_dir, KIOSK_ID, settings, on_progress=progress)
    assert worker is not None, "not enrolled"
    t0 = time.monotonic()
    worker.start()
    end = time.monotonic() + 3600
    while not done.wait(0.5) and time.monotonic() < end:
        if worker.snapshot().state == "idle":     # nothing due any more (e.g. some were refused)
            break
    seconds = time.monotonic() - t0
    stopped = worker.stop(10.0)
    counts = store.sync_counts()
    store.close()
    print(json.dumps({"pending_before": total, "acknowledged": state["recorded"], "pending_after": counts.pending,
                      "seconds": round(seconds, 2), "apps_per_second": round(state["recorded"] / seconds, 1),
                      "rss_start_mib": round(rss_start / 1024, 1), "peak_rss_mib": round(_vm("VmHWM") / 1024, 1),
                      "samples": samples, "worker_stopped": stopped}))


def run(count: int, batch: int, photo_bytes: int, db_url: str | None, work: Path) -> dict:
    from testkit.sync_drills import BackofficeServer, DemoApplications, backoffice_counts, enrol_kiosk

    db_url = db_url or f"sqlite:///{work / 'backoffice.sqlite3'}"
    server = BackofficeServer(db_url, work / "backoffice").start()
    try:
        kiosk = enrol_kiosk(server, work / "kiosk", KIOSK_ID)
        store = kiosk.open_storage()
        apps = DemoApplications(KIOSK_ID, photo_bytes=photo_bytes)
        bundle_id = "retirement" if photo_bytes else "newborn"
        t = time.monotonic()
        for _ in range(count):
            apps.store_one(store, bundle_id)
        fill_seconds = time.monotonic() - t
        store.close()
        res = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(kiosk.data_dir),
                              "--batch", str(batch)], cwd=ROOT, capture_output=True, text=True, timeout=3600)
        if res.returncode != 0:
            raise RuntimeError(res.stderr[-3000:])
        report = json.loads(res.stdout.strip().splitlines()[-1])
        bo = backoffice_counts(db_url)
    finally:
        server.stop()
    report.update({"count": count, "batch": batch, "photo_bytes": photo_bytes, "db": db_url.split(":", 1)[0],
                   "fill_seconds": round(fill_seconds, 1), "backoffice_applications": len(bo["numbers"]),
                   "backoffice_duplicates": bo["duplicates"], "backoffice_incomplete": len(bo["incomplete"])})
    rss = [s["rss_mib"] for s in report["samples"]]
    report["rss_spread_mib"] = round(max(rss) - min(rss), 1) if rss else None
    report["ok"] = (report["pending_after"] == 0 and report["backoffice_applications"] == count
                    and report["backoffice_duplicates"] == 0 and report["backoffice_incomplete"] == 0)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--photo-bytes", type=int, default=0, help="attach a material photo of this size to each")
    ap.add_argument("--db", help="back office database URL (default: SQLite in a temp folder)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.batch, 1000)
        return 0
    work = Path(tempfile.mkdtemp(prefix="onevisit-drain-"))
    try:
        report = run(args.count, args.batch, args.photo_bytes, args.db, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(report))
    else:
        for k, v in report.items():
            if k != "samples":
                print(f"{k:24} {v}")
        print("acknowledged  seconds  RSS (MiB)")
        for s in report["samples"]:
            print(f"{s['acknowledged']:12}  {s['seconds']:7}  {s['rss_mib']:9}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
