"""Logs keep no surname and no fragment of an ID number (issue "A back office officials can
trust", hole 8): a whole demo session (card, face, form, submit, receipt, sync to the demo back
office, retention purge) with every log line the product writes at its normal level."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.devices.sim.citizens import load_citizens

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.e2e

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", re.MULTILINE)
APPLICATION_NUMBER = re.compile(r"\b\d{10}-\d{6}-\d{14}-\d\b")
LOOPBACK_PORT = re.compile(r"127\.0\.0\.1:\d+")


def fragments(identity, kiosk_id: str) -> set[str]:
    """Every 4-digit piece of the citizen's ID and document numbers, except those of the
    division code the kiosk's own id also carries (public: where the kiosk stands)."""
    out = set()
    for number in (identity.personal_number, identity.document_number):
        digits = re.sub(r"\D", "", number)
        out |= {digits[i:i + 4] for i in range(len(digits) - 3)}
    return out - {kiosk_id[i:i + 4] for i in range(len(kiosk_id) - 3)}


def test_a_demo_session_logs_no_surname_and_no_id_fragment(tmp_path):
    citizen = load_citizens(ROOT / "assets" / "demo" / "citizens.yaml")[0]     # the autopilot's citizen
    ident = citizen.identity
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env["ONEVISIT_SYNC_RETENTION_DAYS"] = "0"                                 # the purge logs too
    res = subprocess.run([sys.executable, "-m", "kiosk", "run", "--simulate", "--with-backoffice", "--autopilot",
                          "--offscreen", "--data-dir", str(tmp_path / "data")],
                         capture_output=True, text=True, timeout=240, env=env, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-3000:]
    logs = res.stdout + res.stderr
    assert "card read:" in logs and "stored" in logs                           # the session did log
    surname = ident.name[0]
    assert surname not in logs, [ln for ln in logs.splitlines() if surname in ln]
    assert ident.name_latin.split()[0] not in logs
    scrubbed = LOOPBACK_PORT.sub("", APPLICATION_NUMBER.sub("", TIMESTAMP.sub("", logs)))
    runs = re.findall(r"\d{4,}", scrubbed)
    leaked = sorted({f for f in fragments(ident, "3301060001") for run in runs if f in run})
    assert not leaked, [ln for ln in scrubbed.splitlines() if any(f in ln for f in leaked)]
