"""On-screen Chinese input engines, Qt-free: the screens' keyboards call them (issue 13).

  pinyin.py        PinyinEngine: candidates for full or abbreviated pinyin (libpinyin, ctypes)
  handwriting.py   HandwritingRecogniser: characters from finger strokes (zinnia + the
                   tegaki simplified-Chinese model, ctypes)

Both load their C library and model on first use (not at import), bound every input before it
reaches C, and hold a lock around every C call, so any thread may call them; the keyboards call
them on the GUI thread (each call takes a few milliseconds). docs/input.md has the licences.
"""
from __future__ import annotations


class EngineUnavailable(Exception):
    """The C library or its data is not installed; the message says which Debian package."""
