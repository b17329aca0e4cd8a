"""A process killed (SIGKILL) while submitting leaves each application whole or absent."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.domain.application import is_valid_application_number
from kiosk.services.crypto import RecordCipher, load_or_create_key
from kiosk.services.storage import Storage

HERE = Path(__file__).parent
KILLS = int(os.environ.get("ONEVISIT_KILL_TEST_ROUNDS", "25"))


@pytest.mark.e2e
def test_sigkill_during_submit_never_leaves_half_an_application(tmp_path):
    rng = random.Random(20261122)
    committed: list[str] = []
    for _ in range(KILLS):
        proc = subprocess.Popen([sys.executable, str(HERE / "_submitter.py"), str(tmp_path),
                                 str(HERE.parent / "fixtures" / "catalogue_small.yaml")],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "READY"
        time.sleep(rng.uniform(0.0, 0.15))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=10)
        # A kill can cut the last line short: count only whole, well-formed announcements.
        committed += [p[1] for p in (line.split() for line in out.splitlines(keepends=True) if line.endswith("\n"))
                      if len(p) == 2 and p[0] == "COMMITTED" and is_valid_application_number(p[1])]
    store = Storage(tmp_path / "kiosk.sqlite3", RecordCipher(load_or_create_key(tmp_path / "storage.key")))
    try:
        assert store.check_integrity() == []                     # nothing half-written
        stored = store.numbers()
        assert set(committed) <= set(stored)                    # every "receipt" has its record
        assert len(stored) == len(set(stored))
        seqs = [int(n.split("-")[1]) for n in stored]
        assert seqs == list(range(1, len(seqs) + 1))            # no gaps, no reuse
        assert len(committed) > KILLS                           # the kills really hit mid-stream
        for n in stored:
            assert len(store.load(n).requests) == 3
    finally:
        store.close()
