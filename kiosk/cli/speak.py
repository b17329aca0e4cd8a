"""`kiosk speak ...`: hear (or check) what the kiosk's voice says, as a WAV file.

  kiosk speak "TEXT" --out FILE.wav [--lang zh|en] [--config FILE] [--data-dir DIR]

Renders TEXT with the real backend (espeak-ng) and the configured voice, rate and volume
([voice] in kiosk/defaults.toml < --config FILE < ONEVISIT_VOICE_*), whatever voice.backend the
kiosk runs with, and writes it as 16-bit mono PCM WAV. FILE must not exist (never overwritten,
never through a symbolic link). --data-dir is accepted like every subcommand's; speech uses none.
Main thread; blocks while espeak-ng renders (~10 ms a sentence). Exit codes: 0 written; 2 bad
configuration, an existing FILE, or espeak-ng missing or failing.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_speak_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("speak", help="write what the kiosk's voice says as a WAV file")
    p.add_argument("text", help="what to say")
    p.add_argument("--out", type=Path, required=True, help="a new .wav file")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language (default: zh)")
    p.add_argument("--config", type=Path, help="a TOML file overriding kiosk/defaults.toml")
    p.add_argument("--data-dir", type=Path, help="accepted for symmetry with other subcommands; unused")
    return p


def run_speak(args: argparse.Namespace) -> int:
    """Entry for `kiosk speak` (main thread)."""
    from kiosk.config import ConfigError, load_config
    from kiosk.devices.speech.espeak import EspeakSettings, render_wav, wav_seconds
    from kiosk.devices.speech.queue import SpeechFailed

    try:
        voice = load_config(args.config).voice
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    settings = EspeakSettings(rate=voice.rate, volume=voice.volume, voice_zh=voice.voice_zh, voice_en=voice.voice_en)
    try:
        wav = render_wav(args.text, args.lang, settings)
    except SpeechFailed as exc:
        print(f"cannot speak: {exc}", file=sys.stderr)
        return 2
    try:
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError as exc:
        print(f"cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    with os.fdopen(fd, "wb") as f:
        f.write(wav)
    print(f"wrote {args.out}: {wav_seconds(wav):.1f} s, {args.lang} ({settings.voice(args.lang)}, {settings.rate} wpm)")
    return 0
