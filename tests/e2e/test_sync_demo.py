"""The demo with its local back office: the autopilot's application reaches the back office,
and nothing personal is readable on the kiosk's disk (its database, WAL, sync files)."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.services.datafolder import DataFolder

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.e2e


def test_demo_with_backoffice_delivers_the_autopilots_application(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "--simulate", "--with-backoffice", "--autopilot",
                          "--offscreen", "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=180,
                         env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "demo back office: http://127.0.0.1:" in res.stdout
    assert "demo back office sign-in: demo / " in res.stdout
    files = DataFolder(tmp_path)
    kiosk = sqlite3.connect(files.db)
    [(number,)] = kiosk.execute("SELECT number FROM applications").fetchall()
    assert kiosk.execute("SELECT number, result FROM synced").fetchall() == [(number, "created")]
    assert kiosk.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
    kiosk.close()
    from backoffice.layout import BackofficeFolder
    assert tmp_path.resolve() not in files.demo_backoffice.resolve().parents     # not inside the kiosk's folder
    bo = sqlite3.connect(BackofficeFolder(files.demo_backoffice).db)
    assert bo.execute("SELECT number FROM applications").fetchall() == [(number,)]
    assert bo.execute("SELECT count(*) FROM department_requests").fetchone()[0] >= 2
    bo.close()
    # Neither the kiosk's files nor the back office's (records sealed at rest) hold anything
    # personal in the clear: databases, WALs, keys, sync settings, receipts.
    for path in [*tmp_path.rglob("*"), *files.demo_backoffice.rglob("*")]:
        if path.is_file():
            raw = path.read_bytes()
            for secret in ("林晓雯".encode(), b"33010619900821032X"):
                assert secret not in raw, f"{secret!r} in {path.name}"
    assert "林晓雯" not in res.stderr and "33010619900821032X" not in res.stderr
