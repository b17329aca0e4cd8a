"""Short runs of the whole-system benchmarks (bench/soak.py, cold_start.py, face_time.py): the
tools work and what they count is sane. The figures themselves come from the long runs in
docs/benchmarks.md; nothing here asserts a time, which a shared CI machine cannot promise."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def bench(script: str, *args: str, timeout: float) -> tuple[int, dict, str]:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    res = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args, "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=False, timeout=timeout)
    lines = res.stdout.strip().splitlines()
    return res.returncode, json.loads(lines[-1]) if lines else {}, res.stderr[-3000:]


@pytest.mark.e2e
def test_soak_walks_every_journey_in_one_process_with_flat_threads_and_files():
    # Warm-up covers one journey of each demo citizen the autopilot cycles through (chen_hao on his
    # ICAO chip, zhou_lei on the SAM reader, whose emulator opens its pty on first use).
    code, soak, err = bench("soak.py", "--sessions", "4", "--warmup", "2", timeout=300)
    assert code == 0 and soak["exit_code"] == 0, (err, soak.get("growth"), soak.get("warm"), soak.get("last"))
    start, warm, last = soak["start"], soak["warm"], soak["last"]
    assert [start["sessions"], warm["sessions"], last["sessions"]] == [0, 2, 4]
    assert last["threads"] == warm["threads"] and last["fds"] == warm["fds"]
    assert 50 * 1024 < start["vmrss_kb"] < warm["vmrss_kb"] < 1024 * 1024       # a real kiosk, not a stub
    assert last["rssanon_kb"] + last["rssfile_kb"] == pytest.approx(last["vmrss_kb"], abs=64)
    assert start["children_rss_kb"] < warm["children_rss_kb"]   # the face encoder process ran the checks
    assert soak["passed"] and soak["seconds_median"] > 0


@pytest.mark.e2e
def test_cold_start_marks_the_attract_screen_before_the_face_check_is_ready():
    code, marks, err = bench("cold_start.py", "--runs", "1", timeout=180)
    assert code == 0, err
    (runs,) = marks.values()
    (attract,), (face,) = runs["attract_ready"], runs["face_ready"]
    assert 0 < attract["seconds"] < face["seconds"] < 120
    assert 0 < attract["cpu"] <= face["cpu"]


@pytest.mark.e2e
def test_face_time_decides_every_cooperative_check_and_times_its_phases():
    code, face, err = bench("face_time.py", "--runs", "2", timeout=180)
    assert code == 0, err
    assert [r["matched"] for r in face["runs"]] == [True, True]
    for r in face["runs"]:
        assert r["look"] > 0 and r["turn"] > 0 and r["back"] > 0
        assert r["look"] + r["turn"] + r["back"] == pytest.approx(r["total"], abs=0.01)


@pytest.mark.e2e
def test_sam_read_bench_times_a_placed_card_to_its_identity():
    code, out, err = bench("sam_read.py", "--runs", "3", timeout=120)
    assert code == 0, err
    # the read-base answer alone costs ~0.11 s at 115200 baud: the emulator's line delay is there
    assert out["runs"] == 3 and 0.1 < out["read_median_s"] <= out["median_s"]
