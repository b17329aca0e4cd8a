"""SIGKILL the kiosk at random points while it submits and syncs; then check that every
application that had a receipt is in the back office exactly once and none is half-written.

  .venv/bin/python bench/kill_sync.py [--rounds 200] [--db URL] [--seed N] [--max-delay S] [--json]

Each round starts a kiosk process (the real Storage and the real SyncWorker thread against the
real back office on 127.0.0.1), lets it submit applications (printing "COMMITTED <number>" where
the kiosk would print the receipt) while its sync thread uploads small batches, and SIGKILLs it
after a random delay. The child also prints "SENDING n" just before an upload request and
"RECORDED n" once the answer is stored, so we can count kills that landed mid-upload. After the
rounds, a final drain runs, and the checks are made on the kiosk's store and, row by row, on the
back office database. Exit 0 when every check holds. The e2e test runs it with fewer rounds.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
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
CHILD_SETTINGS = dict(batch_size=5, interval_seconds=0.5, backoff_base_seconds=0.02, backoff_max_seconds=0.2,
                      request_timeout_seconds=5.0)


def child(data_dir: Path, seed: int) -> None:
    """The kiosk: submit forever, sync on its own thread. Killed from outside."""
    from dataclasses import replace

    from testkit.sync_drills import DemoApplications, DrillKiosk
    from kiosk.services.sync.settings import load_sync_settings
    from kiosk.services.sync.worker import make_worker

    lock = threading.Lock()

    def say(line: str) -> None:
        with lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    kiosk = DrillKiosk(data_dir, KIOSK_ID)
    settings = replace(load_sync_settings(data_dir, env={}), **CHILD_SETTINGS)
    worker = make_worker(data_dir, KIOSK_ID, settings, on_progress=lambda stage, n: say(f"{stage.upper()} {n}"))
    assert worker is not None, "the kiosk is not enrolled"
    store = kiosk.open_storage()
    apps = DemoApplications(KIOSK_ID)
    rng = random.Random(seed)
    worker.start()
    say("READY")
    while True:
        app = apps.store_one(store)
        say(f"COMMITTED {app.number}")
        time.sleep(rng.uniform(0.0, 0.02))


def run(rounds: int, db_url: str | None, seed: int, max_delay: float, work: Path) -> dict:
    from testkit.sync_drills import BackofficeServer, backoffice_counts, enrol_kiosk
    from kiosk.domain.application import is_valid_application_number
    from kiosk.services.sync.client import SyncClient
    from kiosk.services.datafolder import DataFolder
    from kiosk.services.keystore import load_receipt_key
    from kiosk.services.receipts.signer import ReceiptSigner
    from kiosk.services.sync.upload import Syncer

    rng = random.Random(seed)
    db_url = db_url or f"sqlite:///{work / 'backoffice.sqlite3'}"
    server = BackofficeServer(db_url, work / "backoffice").start()
    t0 = time.monotonic()
    committed: list[str] = []
    kills = mid_upload = child_failures = 0
    try:
        kiosk = enrol_kiosk(server, work / "kiosk", KIOSK_ID)
        for i in range(rounds):
            proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child", str(kiosk.data_dir),
                                     "--seed", str(seed * 100_003 + i)],
                                    cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            first = proc.stdout.readline() if proc.stdout else ""
            if first.strip() != "READY":
                proc.kill()
                proc.communicate(timeout=10)
                child_failures += 1
                continue
            time.sleep(rng.uniform(0.0, max_delay))
            proc.send_signal(signal.SIGKILL)
            out, _ = proc.communicate(timeout=10)
            kills += 1
            # A kill can cut the last line short: count only whole, well-formed lines.
            lines = [ln.split() for ln in out.splitlines(keepends=True) if ln.endswith("\n")]
            committed += [p[1] for p in lines if len(p) == 2 and p[0] == "COMMITTED" and is_valid_application_number(p[1])]
            stages = [p[0] for p in lines if p and p[0] in ("SENDING", "RECORDED")]
            if stages and stages[-1] == "SENDING":
                mid_upload += 1
        # The kiosk comes back one last time and catches up.
        store = kiosk.open_storage()
        settings = kiosk.settings(server.url, **{**CHILD_SETTINGS, "batch_size": 100})
        client = SyncClient(server.url, KIOSK_ID, kiosk.signing_key(), settings.signing_public(), timeout=10)
        try:
            # As the kiosk's own sync worker does (make_worker): with the receipt key, whose check
            # codes are in every record sent; without them a resend would differ from the copy the
            # back office took before a kill, and be kept as a conflict.
            receipts = ReceiptSigner(load_receipt_key(DataFolder(kiosk.data_dir)))
            drain = Syncer(store, client, settings, receipts=receipts).drain(time.monotonic() + 120)
            problems = store.check_integrity()
            stored = store.numbers()
            counts = store.sync_counts()
            results = dict(store._db.execute("SELECT result, count(*) FROM synced GROUP BY result").fetchall())
        finally:
            client.close()
            store.close()
        bo = backoffice_counts(db_url)
    finally:
        server.stop()
    in_bo = set(bo["numbers"])
    report = {
        "rounds": rounds, "kills": kills, "kills_mid_upload": mid_upload, "child_start_failures": child_failures,
        "receipts": len(committed), "kiosk_applications": len(stored), "backoffice_applications": len(bo["numbers"]),
        "backoffice_duplicate_rows": bo["duplicates"], "conflicts": bo["conflicts"],
        "receipts_missing_in_backoffice": len(set(committed) - in_bo),
        "backoffice_not_in_kiosk": len(in_bo - set(stored)),
        "half_written_backoffice": len(bo["incomplete"]), "kiosk_integrity_problems": len(problems),
        "pending_after_final_drain": counts.pending, "answered_duplicate": results.get("duplicate", 0),
        "final_drain": {"created": drain.created, "duplicate": drain.duplicate, "errors": drain.errors},
        "seconds": round(time.monotonic() - t0, 1), "db": db_url.split(":", 1)[0],
    }
    report["ok"] = (kills + child_failures == rounds and child_failures == 0 and report["receipts_missing_in_backoffice"] == 0
                    and report["backoffice_duplicate_rows"] == 0 and report["conflicts"] == 0
                    and report["half_written_backoffice"] == 0 and report["kiosk_integrity_problems"] == 0
                    and report["pending_after_final_drain"] == 0 and report["backoffice_not_in_kiosk"] == 0
                    and len(stored) == len(set(stored)) and len(committed) == len(set(committed)))
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--db", help="back office database URL (default: SQLite in a temp folder)")
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--max-delay", type=float, default=0.8, help="longest a round runs before the kill (s)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--work", type=Path, help="keep the kiosk and back office folders here")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.seed)
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="onevisit-kill-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        report = run(args.rounds, args.db, args.seed, args.max_delay, work)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(report))
    else:
        for k, v in report.items():
            print(f"{k:32} {v}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
