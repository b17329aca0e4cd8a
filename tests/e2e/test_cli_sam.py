"""`kiosk card read --sam PORT`: the CLI in its own process against the SAM emulator on a pty.

The emulator runs in this process and owns the pty's master side; the CLI opens the slave side
with pyserial as it would /dev/ttyUSB0, so this also checks the pty works across processes.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.devices.idcard import frames
from testkit.idcard_text import resident_text
from testkit.sam_emulator import SamEmulator

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ONEVISIT_DEVICES_PHOTO_DECODER_PATH": ""}
    return subprocess.run([sys.executable, "-m", "kiosk.cli.card", "read", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT, check=False)


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[SamEmulator]:
    with SamEmulator(**getattr(request, "param", {})) as emu:
        yield emu


def test_valid_card_prints_its_fields_and_exits_0_without_a_photo_decoder(emulator: SamEmulator,
                                                                          tmp_path: Path) -> None:
    photo = tmp_path / "face.png"
    proc = _cli("--sam", emulator.port, "--json", "--photo-out", str(photo))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["ok"] is True and out["expired"] is False
    assert (out["card_type"], out["name"], out["sex"], out["nation"]) == ("resident_id", "林晓梅", "F", "汉族")
    assert out["birth_date"] == "1985-03-17"
    assert out["address"] == "浙江省杭州市西湖区演示路1号"
    assert out["authority"] == "杭州市公安局西湖分局"
    assert out["id_number"].startswith("33010619850317002") and len(out["id_number"]) == 18
    assert (out["valid_from"], out["valid_until"]) == ("2020-01-01", "2040-01-01")
    assert out["photo"]["state"] == "not decodable: no decoder configured"
    assert out["photo"]["wlt_bytes"] == 1024
    assert not photo.exists()          # no pretended photo
    assert emulator.commands[0] == frames.CMD_SAM_STATUS   # a dead reader is told from no card first


@pytest.mark.parametrize("emulator", [{"text": resident_text(start="20000101", end="20200101")}], indirect=True)
def test_expired_card_exits_4(emulator: SamEmulator) -> None:
    proc = _cli("--sam", emulator.port, "--json")
    assert proc.returncode == 4, proc.stderr
    out = json.loads(proc.stdout)
    assert out["expired"] is True and out["ok"] is False and out["valid_until"] == "2020-01-01"


@pytest.mark.parametrize("emulator", [{"misbehaviour": "no_card"}], indirect=True)
def test_no_card_within_wait_exits_5(emulator: SamEmulator) -> None:
    proc = _cli("--sam", emulator.port, "--json", "--wait", "1")
    assert proc.returncode == 5, proc.stderr
    assert json.loads(proc.stdout)["ok"] is False


@pytest.mark.parametrize("emulator", [{"misbehaviour": "silent"}], indirect=True)
def test_a_silent_sam_exits_1_with_one_line(emulator: SamEmulator) -> None:
    proc = _cli("--sam", emulator.port, "--wait", "1")
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ERROR no SAM reader answering"), proc.stderr


def test_a_dead_port_exits_1_with_one_line() -> None:
    proc = _cli("--sam", "/dev/nonexistent-sam", "--wait", "1")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no SAM reader answering on /dev/nonexistent-sam" in lines[0], proc.stderr


@pytest.mark.parametrize("emulator", [{"misbehaviour": "bad_checksum"}], indirect=True)
def test_a_bad_checksum_is_retried_and_the_card_read(emulator: SamEmulator) -> None:
    proc = _cli("--sam", emulator.port, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["name"] == "林晓梅"


@pytest.mark.parametrize("emulator", [{"misbehaviour": "bad_checksum_always"}], indirect=True)
def test_a_bad_checksum_after_the_retry_exits_1_with_one_line(emulator: SamEmulator) -> None:
    proc = _cli("--sam", emulator.port)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ERROR The card could not be read"), proc.stderr


def test_an_access_key_with_sam_is_refused(emulator: SamEmulator) -> None:
    proc = _cli("--sam", emulator.port, "--can", "123456")
    assert proc.returncode == 2 and "ICAO" in proc.stderr


def test_readers_lists_the_sam_readers_that_answer_their_status(emulator: SamEmulator,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.cli.card import main
    from kiosk.devices.idcard import sam_reader

    with SamEmulator(misbehaviour="silent") as silent:
        monkeypatch.setattr(sam_reader, "AUTO_PORTS", (emulator.port, silent.port, "/dev/nonexistent-sam*"))
        assert main(["readers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"sam:{emulator.port}" in lines and f"sam:{silent.port}" not in lines
