"""What any speech backend may be given: a known language and a bounded, printable text."""
from __future__ import annotations

import unicodedata

from kiosk.devices.ports import SPEECH_LANGUAGES

# About two minutes of speech at the kiosk's rate: far more than any instruction or receipt
# summary, and small enough that a runaway string cannot keep the worker busy for an hour or
# render hundreds of megabytes of audio.
MAX_CHARS = 600


def check_language(lang: str) -> str:
    """`lang` if it is one the speakers know ("zh", "en"); ValueError otherwise. Any thread."""
    if lang not in SPEECH_LANGUAGES:
        raise ValueError(f"speech language {lang!r}: use one of {', '.join(SPEECH_LANGUAGES)}")
    return lang


def speakable(text: str) -> str:
    """`text` with control and format characters turned into spaces, whitespace collapsed, and
    cut to MAX_CHARS; "" when nothing speakable is left. Any thread; pure."""
    if not isinstance(text, str):
        raise TypeError("speech text must be str")
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text[:MAX_CHARS * 2])
    return " ".join(cleaned.split())[:MAX_CHARS]
