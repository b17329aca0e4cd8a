"""The espeak-ng backend: render each text to WAV with the espeak-ng program, play it with aplay.

Why the program and not libespeak-ng through ctypes: both are GPL-3+, and a child process keeps
the synthesiser out of the kiosk's address space (no licence question for the kiosk, no crash
taking the window down), can be killed mid-sentence by `stop`, and costs ~10 ms to start, less
than rendering. Why not speech-dispatcher: offline it only wraps espeak-ng in a per-user daemon,
adds its own queue (we have one), cannot write WAV files for `kiosk speak`, and routes audio by
its own configuration rather than our headset choice (docs/voice.md).

The text goes to espeak-ng on stdin (-b 1: UTF-8), never on the command line: no text can be
taken for an option, and other local users cannot read it in /proc. Audio stays in memory.
"""
from __future__ import annotations

import shutil
import struct
import subprocess
from dataclasses import dataclass

from kiosk.devices.speech.queue import Job, QueuedSpeaker, SpeechFailed
from kiosk.devices.speech.text import check_language, speakable

RENDER_TIMEOUT = 20.0      # espeak-ng renders ~100× faster than real time; this is only a stuck process
PLAY_SLACK = 5.0           # seconds beyond the audio's own length before aplay counts as stuck


@dataclass(frozen=True)
class EspeakSettings:
    rate: int = 140                      # words per minute (kiosk/defaults.toml [voice] says why)
    volume: int = 100                    # espeak-ng amplitude, 0-200
    voice_zh: str = "cmn-latn-pinyin"
    voice_en: str = "en-us"
    espeak: str = "espeak-ng"            # program name or path
    player: str = "aplay"

    def voice(self, lang: str) -> str:
        return self.voice_zh if check_language(lang) == "zh" else self.voice_en

    def render_args(self, lang: str) -> list[str]:
        return [self.espeak, "-b", "1", "-v", self.voice(lang), "-s", str(self.rate), "-a", str(self.volume),
                "--stdin", "--stdout"]


def find_program(name: str) -> str | None:
    """The absolute path of `name` on PATH, or None. Resolved once, when the speaker is built."""
    return shutil.which(name)


def fix_wav_header(wav: bytes) -> bytes:
    """espeak-ng writing to a pipe cannot seek back, so its RIFF and data sizes are placeholders
    (0x7ffff...); put in the real ones so every reader (wave, aplay, players) sees the length.
    Raises SpeechFailed when the bytes are not the 16-bit PCM WAV espeak-ng writes."""
    if len(wav) < 44 or wav[:4] != b"RIFF" or wav[8:16] != b"WAVEfmt " or wav[36:40] != b"data":
        raise SpeechFailed("espeak-ng did not write a WAV stream")
    channels, _rate, _, _, bits = struct.unpack("<HIIHH", wav[22:36])
    if bits != 16 or channels != 1:
        raise SpeechFailed(f"espeak-ng wrote {bits}-bit audio with {channels} channels")
    data = len(wav) - 44
    data -= data % 2
    return wav[:4] + struct.pack("<I", 36 + data) + wav[8:40] + struct.pack("<I", data) + wav[44:44 + data]


def wav_seconds(wav: bytes) -> float:
    """The length of a mono 16-bit PCM WAV with a 44-byte header (what fix_wav_header returns)."""
    rate = struct.unpack("<I", wav[24:28])[0]
    return (len(wav) - 44) / 2 / rate if rate else 0.0


def render_wav(text: str, lang: str, settings: EspeakSettings, timeout: float = RENDER_TIMEOUT) -> bytes:
    """`text` spoken in `lang` as a 16-bit mono PCM WAV (22 050 Hz), in memory. For `kiosk speak`
    and tests: any thread, blocks up to `timeout` s. Raises SpeechFailed, ValueError (language)."""
    text = speakable(text)
    try:
        done = subprocess.run(settings.render_args(lang), input=text.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False)
    except FileNotFoundError:
        raise SpeechFailed(f"{settings.espeak} is not installed (Debian: apt-get install espeak-ng)") from None
    except subprocess.TimeoutExpired:
        raise SpeechFailed(f"espeak-ng took longer than {timeout:.0f} s") from None
    if done.returncode != 0:
        raise SpeechFailed(f"espeak-ng exited {done.returncode}: {done.stderr[-300:].decode('utf-8', 'replace').strip()}")
    return fix_wav_header(done.stdout)


class EspeakBackend:
    """SpeechBackend: espeak-ng renders, aplay plays (on the speaker's worker thread)."""

    def __init__(self, settings: EspeakSettings) -> None:
        self.settings = settings

    def speak(self, text: str, lang: str, device: str, job: Job) -> None:
        s = self.settings
        wav = fix_wav_header(job.run(s.render_args(lang), text.encode("utf-8"), RENDER_TIMEOUT))
        job.run([s.player, "-q", "-D", device, "-t", "wav", "-"], wav, wav_seconds(wav) + PLAY_SLACK)


class EspeakSpeaker(QueuedSpeaker):
    """The Speaker port on espeak-ng and aplay. Built on any thread; starts no process or thread
    until the first `say`. Raises SpeechFailed when either program is missing."""

    def __init__(self, settings: EspeakSettings, output_device: str = "default", headset_device: str = "") -> None:
        espeak, player = find_program(settings.espeak), find_program(settings.player)
        if espeak is None:
            raise SpeechFailed(f"{settings.espeak} is not installed (Debian: apt-get install espeak-ng)")
        if player is None:
            raise SpeechFailed(f"{settings.player} is not installed (Debian: apt-get install alsa-utils)")
        resolved = EspeakSettings(settings.rate, settings.volume, settings.voice_zh, settings.voice_en, espeak, player)
        super().__init__(EspeakBackend(resolved), output_device, headset_device)
        self.settings = resolved
