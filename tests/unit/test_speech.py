"""The voice (issue 13): the Speaker port's real backend (espeak-ng rendering real audio, played
by aplay or, where no sound card exists, by a stand-in that plays at a sound card's pace), the
simulated speaker, and `kiosk speak`."""
from __future__ import annotations

import array
import math
import stat
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from kiosk.cli import main as kiosk_main
from kiosk.compose import build_speaker
from kiosk.config import ConfigError, load_config
from kiosk.devices.sim.speaker import SimSpeaker
from kiosk.devices.speech.espeak import EspeakSettings, EspeakSpeaker, render_wav, wav_seconds
from kiosk.devices.speech.text import MAX_CHARS

REPO = Path(__file__).resolve().parents[2]
LONG_ZH = "请将身份证放在读卡区，然后看着屏幕上方的摄像头。" * 12     # about a minute of speech
KIOSK_SENTENCE = "请将身份证放在读卡区"


@pytest.fixture
def player(tmp_path, monkeypatch):
    """An executable `aplay` stand-in that plays at real-time pace; returns (path, log file)."""
    log = tmp_path / "player.log"
    script = tmp_path / "realtime-aplay"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{REPO / "testkit" / "realtime_player.py"}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("REALTIME_PLAYER_LOG", str(log))
    return str(script), log


def log_lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


@pytest.fixture
def speaker(player):
    s = EspeakSpeaker(EspeakSettings(player=player[0]), output_device="speakers", headset_device="headset")
    yield s
    s.close(5.0)


def test_say_returns_at_once_and_stop_cuts_a_long_utterance_short(speaker, player):
    _, log = player
    started = time.perf_counter()
    speaker.say(LONG_ZH, "zh")
    assert time.perf_counter() - started < 0.02
    assert wait_for(lambda: any(line.startswith("played") for line in log_lines(log)), 10.0), "nothing was played"
    assert speaker.busy()
    started = time.perf_counter()
    speaker.stop()
    assert time.perf_counter() - started < 0.02
    assert speaker.wait_idle(1.0), "still speaking a second after stop()"
    lines = log_lines(log)
    assert not any(line.startswith("done") for line in lines), "the long utterance played to its end"
    assert int(lines[-1].split()[1]) < 22050 * 2 * 10     # less than 10 s of its ~60 s were played


def test_say_stays_fast_while_speech_is_playing(speaker, player):
    speaker.say(LONG_ZH, "zh")
    assert wait_for(lambda: any(line.startswith("played") for line in log_lines(player[1])), 10.0)
    worst = 0.0
    for i in range(20):
        started = time.perf_counter()
        speaker.say(f"第{i}句", "zh")
        worst = max(worst, time.perf_counter() - started)
    assert worst < 0.02
    speaker.stop()
    assert speaker.wait_idle(2.0)


def test_utterances_play_in_order_and_stop_drops_the_queue(speaker, player):
    _, log = player
    speaker.say(LONG_ZH, "zh")
    speaker.say("Second", "en")
    speaker.say("Third", "en")
    assert wait_for(lambda: log_lines(log), 10.0)
    speaker.stop()
    assert speaker.wait_idle(2.0)
    assert sum(line.startswith("start") for line in log_lines(log)) == 1, "queued utterances were spoken after stop()"
    speaker.say("Hi", "en")
    assert speaker.wait_idle(10.0)
    assert log_lines(log)[-1].startswith("done") and speaker.failures == 0


def test_interrupt_and_repeat_replace_what_is_playing(speaker, player):
    _, log = player
    speaker.say(LONG_ZH, "zh")
    assert wait_for(lambda: log_lines(log), 10.0)
    speaker.say("好", "zh", interrupt=True)
    assert speaker.wait_idle(10.0)
    lines = log_lines(log)
    assert [line.split()[0] for line in lines if not line.startswith("played")] == ["start", "start", "done"]
    speaker.repeat()
    assert speaker.wait_idle(10.0)
    assert [line for line in log_lines(log) if line.startswith("done")][-1] == lines[-1], "repeat() played something else"


def test_clear_forgets_the_last_utterance_so_the_next_citizen_cannot_replay_it(speaker, player):
    speaker.say("一", "zh")
    assert speaker.wait_idle(10.0)
    speaker.clear()
    speaker.repeat()
    assert not speaker.busy()
    assert sum(line.startswith("start") for line in log_lines(player[1])) == 1


def test_headset_mode_sends_speech_to_the_headset_device(speaker, player):
    assert speaker.headset_available() and speaker.set_headset(True)
    speaker.say("A", "en")
    assert speaker.wait_idle(10.0)
    assert speaker.set_headset(False) is False
    speaker.say("B", "en")
    assert speaker.wait_idle(10.0)
    assert [line for line in log_lines(player[1]) if line.startswith("start")] == ["start headset", "start speakers"]


def test_no_headset_configured_means_no_headset_mode(player):
    s = EspeakSpeaker(EspeakSettings(player=player[0]))
    assert not s.headset_available() and s.set_headset(True) is False
    s.close(1.0)


def test_the_real_aplay_accepts_what_espeak_renders():
    """aplay parses the WAV header we send (ALSA's null device: no sound card needed)."""
    s = EspeakSpeaker(EspeakSettings(), output_device="null")
    try:
        s.say(KIOSK_SENTENCE, "zh")
        s.say("Please place your ID card on the reader.", "en")
        assert s.wait_idle(10.0)
        assert s.failures == 0
    finally:
        s.close(2.0)


def test_a_missing_sound_device_is_logged_and_the_queue_goes_on(caplog):
    s = EspeakSpeaker(EspeakSettings(), output_device="no-such-device")
    try:
        s.say("One", "en")
        s.say("Two", "en")
        assert s.wait_idle(10.0)
        assert s.failures == 2 and "aplay" in caplog.text and "One" not in caplog.text
    finally:
        s.close(2.0)


def test_close_ends_the_worker_within_its_timeout(player):
    s = EspeakSpeaker(EspeakSettings(player=player[0]))
    s.say(LONG_ZH, "zh")
    assert wait_for(lambda: log_lines(player[1]), 10.0)
    started = time.monotonic()
    s.close(2.0)
    assert time.monotonic() - started < 2.0
    s.say("after close", "en")
    assert not s.busy()


def test_bad_input_is_refused_or_bounded(speaker):
    with pytest.raises(ValueError):
        speaker.say("hello", "fr")
    speaker.say("  \x00\x1b\u202e ", "en")     # nothing speakable: ignored
    assert not speaker.busy()
    wav = render_wav("八" * (MAX_CHARS * 20), "zh", EspeakSettings())
    assert wav_seconds(wav) < 400             # cut to MAX_CHARS, not 12 000 syllables


def test_the_mandarin_voice_reads_characters_with_tones_not_as_english():
    """espeak-ng 1.51's plain "cmn" voice reads its own pinyin as English ("qing three"); the
    configured voice must give Mandarin phonemes with tone contours for every syllable."""
    voice = load_config().voice.voice_zh
    out = subprocess.run(["espeak-ng", "-b", "1", "-v", voice, "-x", "-q", "--stdin"], input=KIOSK_SENTENCE.encode(),
                         capture_output=True, check=True).stdout.decode()
    syllables = [s.strip() for s in out.split("_|") if s.strip()]
    assert "(en)" not in out
    assert len(syllables) == len(KIOSK_SENTENCE)
    assert all(any(c.isdigit() for c in s) for s in syllables), out   # a tone on every syllable
    assert syllables[0].startswith("tS;h'i21")                         # 请 qǐng: third tone


def read_wav(path: Path) -> tuple[float, float, wave._wave_params]:
    with wave.open(str(path)) as w:
        params = w.getparams()
        pcm = array.array("h", w.readframes(w.getnframes()))
    return len(pcm) / params.framerate, math.sqrt(sum(x * x for x in pcm) / max(1, len(pcm))), params


@pytest.mark.parametrize("lang, text", [("zh", KIOSK_SENTENCE), ("en", "Please place your ID card on the reader.")])
def test_kiosk_speak_writes_speech_length_audible_pcm_wav(tmp_path, capsys, lang, text):
    out = tmp_path / f"{lang}.wav"
    assert kiosk_main(["speak", text, "--out", str(out), "--lang", lang]) == 0
    seconds, rms, params = read_wav(out)
    assert params.sampwidth == 2 and params.nchannels == 1 and params.comptype == "NONE"
    assert 0.5 < seconds < 10.0
    assert rms > 500            # silence is 0; espeak-ng speech at volume 100 is ~3000
    assert f"{seconds:.1f} s" in capsys.readouterr().out


def test_kiosk_speak_is_slower_with_a_lower_configured_rate(tmp_path):
    slow = tmp_path / "slow.toml"
    slow.write_text("[voice]\nrate = 100\n")
    assert kiosk_main(["speak", KIOSK_SENTENCE, "--out", str(tmp_path / "a.wav")]) == 0
    assert kiosk_main(["speak", KIOSK_SENTENCE, "--out", str(tmp_path / "b.wav"), "--config", str(slow)]) == 0
    assert read_wav(tmp_path / "b.wav")[0] > 1.2 * read_wav(tmp_path / "a.wav")[0]


def test_kiosk_speak_never_overwrites_or_follows_a_link(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "out.wav"
    link.symlink_to(target)
    assert kiosk_main(["speak", "hello", "--lang", "en", "--out", str(link)]) == 2
    assert kiosk_main(["speak", "hello", "--lang", "en", "--out", str(target)]) == 2
    assert target.read_text() == "keep me"


def test_sim_speaker_records_what_was_said_and_keeps_a_busy_state():
    now = [100.0]
    s = SimSpeaker(seconds_per_char=0.5, clock=lambda: now[0])
    s.say("请刷身份证", "zh")
    s.say("Next", "en")
    assert [(u.text, u.lang, u.at) for u in s.utterances] == [("请刷身份证", "zh", 100.0), ("Next", "en", 100.0)]
    assert s.busy()
    now[0] += 4.6            # 5 + 4 characters at 0.5 s
    assert not s.busy()
    s.say("Repeat me", "en")
    s.repeat()
    assert s.utterances[-1].text == "Repeat me" and s.stops == 1
    s.clear()
    s.repeat()
    assert len(s.utterances) == 4 and not s.busy()
    with pytest.raises(ValueError):
        s.say("x", "de")


def test_sim_speaker_headset_only_when_configured():
    assert SimSpeaker().set_headset(True) is False
    s = SimSpeaker(headset=True)
    assert s.set_headset(True)
    s.say("hi", "en")
    assert s.utterances[-1].headset


def test_voice_configuration(tmp_path):
    assert build_speaker(load_config(overrides={"voice": {"enabled": False}})) is None
    assert isinstance(build_speaker(load_config(overrides={"voice": {"backend": "sim"}})), SimSpeaker)
    espeak = build_speaker(load_config())
    assert isinstance(espeak, EspeakSpeaker) and espeak.settings.rate == 140
    espeak.close(1.0)
    for bad in ({"backend": "festival"}, {"rate": 20}, {"volume": 300}):
        with pytest.raises(ConfigError):
            load_config(overrides={"voice": bad})
    assert load_config(env={"ONEVISIT_VOICE_OUTPUT_DEVICE": "plughw:CARD=Headset"}).voice.output_device == "plughw:CARD=Headset"
