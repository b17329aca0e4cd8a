"""`kiosk face verify`: JSON output and exit codes a staff member or a script relies on."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.config import load_config

FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
PACKAGED = load_config(env={}).face.threshold     # kiosk/defaults.toml's face.threshold
SAME = ("--reference", str(FACES / "fr_joe_biden/biden.jpg"), "--probe", str(FACES / "fr_joe_biden/biden2.jpg"))


@pytest.fixture(autouse=True)
def _no_site_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine running the tests may be configured as a kiosk; these tests set their own."""
    monkeypatch.delenv("ONEVISIT_CONFIG", raising=False)
    monkeypatch.delenv("ONEVISIT_FACE_THRESHOLD", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(["face", "verify", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_same_person_is_a_match_with_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, *SAME)
    assert code == 0 and out["decision"] == "match"
    assert out["distance"] < out["threshold"] == PACKAGED
    assert out["reference"]["problem"] is None and out["probe"]["problem"] is None


def test_different_people_and_a_custom_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--reference", str(FACES / "fr_joe_biden/biden.jpg"), "--probe", str(FACES / "fr_rose_leslie/img1.jpg"))
    code, out = run(capsys, *args)
    assert code == 1 and out["decision"] == "no match" and out["distance"] >= PACKAGED
    code, out = run(capsys, *args, "--threshold", "2.0")
    assert code == 0 and out["threshold"] == 2.0 and out["decision"] == "match"


def test_the_sites_environment_variable_sets_the_threshold_and_the_decision(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _, default = run(capsys, *SAME)
    # A site that demands much closer faces (the reference's jittered encoding varies a little per run).
    stricter = round(default["distance"] / 2, 3)
    monkeypatch.setenv("ONEVISIT_FACE_THRESHOLD", str(stricter))
    code, out = run(capsys, *SAME)
    assert out["threshold"] == stricter and code == 1 and out["decision"] == "no match"


def test_threshold_flag_beats_the_environment(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEVISIT_FACE_THRESHOLD", "0.05")
    code, out = run(capsys, *SAME, "--threshold", "0.9")
    assert code == 0 and out["threshold"] == 0.9 and out["decision"] == "match"


def test_config_file_sets_the_threshold_and_the_environment_beats_it(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text("[face]\nthreshold = 0.05\n", encoding="utf-8")
    code, out = run(capsys, *SAME, "--config", str(site))
    assert code == 1 and out["threshold"] == 0.05 and out["decision"] == "no match"
    monkeypatch.setenv("ONEVISIT_CONFIG", str(site))       # the same file named the other way
    code, out = run(capsys, *SAME)
    assert code == 1 and out["threshold"] == 0.05
    monkeypatch.setenv("ONEVISIT_FACE_THRESHOLD", "0.9")
    code, out = run(capsys, *SAME, "--config", str(site))
    assert code == 0 and out["threshold"] == 0.9 and out["decision"] == "match"


def test_a_configuration_the_kiosk_would_refuse_is_reported_not_guessed(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ONEVISIT_FACE_THRESHOLD", "5")
    code, out = run(capsys, *SAME)
    assert code == 2 and out["ok"] is False and "face.threshold" in out["error"]
    monkeypatch.delenv("ONEVISIT_FACE_THRESHOLD")
    code, out = run(capsys, *SAME, "--config", str(tmp_path / "missing.toml"))
    assert code == 2 and "missing.toml" in out["error"]


def test_a_turned_probe_reports_its_quality_problem(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "--reference", str(FACES / "fr_kit_harington/john1.jpeg"), "--probe", str(FACES / "fr_kit_harington/john2.jpeg"))
    assert out["probe"]["problem"] == "not_frontal" and out["probe"]["advice"] == "Look straight at the screen"


def test_unusable_inputs_exit_2_with_a_clear_message(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "photo.jpg"
    bad.write_bytes(b"this is not an image")
    code, out = run(capsys, "--reference", str(bad), "--probe", str(FACES / "fr_joe_biden/biden.jpg"))
    assert code == 2 and out["ok"] is False and "photo.jpg" in out["error"] and "decode" in out["error"]
    import cv2
    import numpy as np

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((300, 300, 3), 128, np.uint8))
    code, out = run(capsys, "--reference", str(FACES / "fr_joe_biden/biden.jpg"), "--probe", str(blank))
    assert code == 2 and "no face" in out["error"].lower()
    code, out = run(capsys, "--reference", str(tmp_path / "missing.jpg"), "--probe", str(blank))
    assert code == 2 and "missing.jpg" in out["error"]


def _pairs(tmp_path: Path, lines: list[str]) -> Path:
    p = tmp_path / "pairs.tsv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_pairs_mode_counts_false_accepts_and_rejects(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = FACES
    pairs = _pairs(tmp_path, [
        "# tiny set",
        f"{f}/fr_joe_biden/biden.jpg\t{f}/fr_joe_biden/biden2.jpg\t1",
        f"{f}/fr_rose_leslie/img1.jpg\t{f}/fr_rose_leslie/img2.jpg\t1",
        f"{f}/fr_joe_biden/biden.jpg\t{f}/fr_rose_leslie/img2.jpg\t0",
        f"{f}/fr_rose_leslie/img1.jpg\t{f}/fr_joe_biden/biden2.jpg\t0",
    ])
    code, out = run(capsys, "--pairs", str(pairs))
    assert code == 0 and (out["genuine"], out["impostor"]) == (2, 2)
    at = out["at_threshold"]
    assert (at["false_accepts"], at["false_rejects"], at["far"], at["frr"]) == (0, 0, 0.0, 0.0)
    assert [r["threshold"] for r in out["sweep"]][:2] == [0.3, 0.32] and out["sweep"][-1]["threshold"] == 0.6
    assert out["max_genuine_distance"] < out["for_far_0_01_percent"]["threshold"] <= out["min_impostor_distance"]
    # An absurd threshold accepts everyone: the impostors show up as false accepts.
    code, out = run(capsys, "--pairs", str(pairs), "--threshold", "1.5")
    assert out["at_threshold"]["false_accepts"] == 2 and out["at_threshold"]["far"] == 1.0


def test_a_malformed_pairs_line_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pairs = _pairs(tmp_path, ["a.jpg\tb.jpg\t1", "a.jpg b.jpg yes"])
    code, out = run(capsys, "--pairs", str(pairs))
    assert code == 2 and "line 2" in out["error"] and "a.jpg b.jpg yes" in out["error"]


def test_pairs_mode_without_json_prints_a_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = FACES
    pairs = _pairs(tmp_path, [f"{f}/fr_joe_biden/biden.jpg\t{f}/fr_joe_biden/biden2.jpg\t1",
                              f"{f}/fr_joe_biden/biden.jpg\t{f}/fr_rose_leslie/img2.jpg\t0"])
    assert main(["face", "verify", "--pairs", str(pairs)]) == 0
    text = capsys.readouterr().out
    assert "FAR" in text and "FRR" in text and "0.44" in text
