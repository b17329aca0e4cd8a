"""`main.py --simulate --autopilot --offscreen` runs the whole journey and exits 0."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.services.datafolder import DataFolder

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.e2e
def test_autopilot_offscreen_walks_the_journey_and_writes_the_receipt(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "--simulate", "--autopilot", "--offscreen",
                          "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=180, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    files = DataFolder(tmp_path)
    receipts = list(files.receipts.glob("receipt-*.pdf"))
    assert len(receipts) == 1
    number = receipts[0].stem.removeprefix("receipt-")
    db = sqlite3.connect(files.db)
    assert db.execute("SELECT number FROM applications").fetchall() == [(number,)]
    assert db.execute("SELECT score FROM ratings").fetchall() == [(5,)]
    db.close()
    text = subprocess.run(["pdftotext", "-layout", str(receipts[0]), "-"], capture_output=True, text=True, check=True).stdout
    squashed = "".join(text.split())
    assert number in squashed or number.replace("-", "") in squashed.replace("-", "")
    assert "办事回执" in text and "Application receipt" in text
    assert "出生一件事" in squashed                        # the bundle's Chinese title
    # Logs carry no citizen data: the demo citizen's name and ID number never appear unmasked.
    assert "林晓雯" not in res.stderr and "33010619900821032X" not in res.stderr
    # Nothing on disk holds personal data in the clear: no name, no ID number, no image
    # (face frames stay in memory; material photos are sealed inside the encrypted record).
    for path in tmp_path.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            for secret in ("林晓雯".encode(), b"33010619900821032X", b"\xff\xd8\xff"):
                assert secret not in raw, f"{secret!r} in {path.name}"


def test_bad_config_is_a_clear_error_not_a_traceback(tmp_path):
    bad = tmp_path / "k.toml"
    bad.write_text("[kiosk]\nid = '123'\n", encoding="utf-8")
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "--simulate", "--offscreen", "--config", str(bad),
                          "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "kiosk.id must be 10 digits" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.e2e
def test_autopilot_with_a_resident_id_citizen_reads_the_card_through_the_sam_and_staff_verify_him(tmp_path):
    """周磊's resident ID card is read through the SAM emulator; its 102x126 photo (~1 KB) is too
    poor for face.threshold 0.50 (set for false accepts first), so the real face check refuses him,
    as it would at a real kiosk, and the demo clerk verifies him: one visit still ends in a receipt."""
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "--simulate", "--autopilot", "--offscreen",
                          "--citizen", "zhou_lei", "--scenario", "staff_override", "--step-delay", "200",
                          "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "face check attempt 2 failed" in res.stderr and "asking for staff verification" in res.stderr
    receipts = list(DataFolder(tmp_path).receipts.glob("receipt-*.pdf"))
    assert len(receipts) == 1
    text = subprocess.run(["pdftotext", "-layout", str(receipts[0]), "-"], capture_output=True, text=True, check=True).stdout
    assert "900001" in text
    assert "周磊" not in res.stderr and "330106198511050138" not in res.stderr


@pytest.mark.e2e
def test_autopilot_staff_override_scenario_leaves_a_receipt_and_an_audited_override(tmp_path):
    """A photo-attack citizen fails the face check three times; the demo clerk signs in on the
    digit pad and confirms identity; the journey ends with a receipt, and `kiosk audit list`
    shows the override (and the chain verifies)."""
    import json
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "--simulate", "--autopilot", "--offscreen",
                          "--scenario", "staff_override", "--step-delay", "200", "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "face check attempt 2 failed" in res.stderr and "asking for staff verification" in res.stderr
    receipts = list(DataFolder(tmp_path).receipts.glob("receipt-*.pdf"))
    assert len(receipts) == 1
    text = subprocess.run(["pdftotext", "-layout", str(receipts[0]), "-"], capture_output=True, text=True, check=True).stdout
    assert "900001" in text and "face check passed" not in text
    listed = subprocess.run([sys.executable, "-m", "kiosk", "audit", "list", "--json", "--data-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    overrides = [e for e in entries if e["type"] == "override"]
    assert len(overrides) == 1 and overrides[0]["staff"] == "900001"
    assert overrides[0]["details"]["reason"] == "face_check_failed" and overrides[0]["details"]["failed_checks"] == 3
    assert [e["type"] for e in entries][:3] == ["help_call", "staff_sign_in", "override"]
    verified = subprocess.run([sys.executable, "-m", "kiosk", "audit", "verify", "--data-dir", str(tmp_path)],
                              capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "林晓雯" not in res.stderr and "33010619900821032X" not in res.stderr


def test_autopilot_with_voice_on_speaks_every_step_and_says_how_much(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "--simulate", "--autopilot", "--offscreen",
                          "--voice-on", "--step-delay", "100", "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=180, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    spoken = [line for line in res.stdout.splitlines() if line.startswith("autopilot: voice on, ")]
    assert len(spoken) == 1
    # Attract, card, face, choose, every form page, materials, review, receipt summary, rating.
    assert int(spoken[0].split()[3]) >= 20, spoken
    assert "申请已提交" not in res.stderr and "请放置身份证件" not in res.stderr   # nothing spoken is logged


def test_autopilot_in_large_mode_walks_the_journey_with_voice_on(tmp_path):
    """--large: each journey turns on 长辈版 at the attract screen; large mode turns voice on, the
    keyboards are typed on at the large size, and the receipt is written."""
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "--simulate", "--autopilot", "--offscreen",
                          "--large", "--step-delay", "100", "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=240, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    spoken = [line for line in res.stdout.splitlines() if line.startswith("autopilot: voice on, ")]
    assert len(spoken) == 1 and int(spoken[0].split()[3]) >= 20, spoken
    assert len(list(DataFolder(tmp_path).receipts.glob("receipt-*.pdf"))) == 1
