"""The Pinyin helper program: libpinyin in its own process, spoken to in JSON lines.

    python -m kiosk.devices.input_engines.pinyin_child

Why a separate program: libpinyin is GPL-3+. Loaded into the kiosk's own process (ctypes is
linking in the FSF's reading), it would make the kiosk and libpinyin one combined work. Run here,
it exchanges nothing but short strings with the kiosk over a pipe, as espeak-ng does
(docs/input.md "Licences"). This module and pinyin.py are the only code that touches libpinyin;
the kiosk's process never imports either (pinyin_process.py starts this one).

Protocol: one JSON object a line on stdin, one answer a line on stdout, in order.
    {"op": "lookup", "pinyin": "hangzhou", "limit": 10} -> {"ok": true, "candidates": [["杭州", 8], ...]}
    {"op": "forget"}                                    -> {"ok": true}
    {"op": "ping"}                                      -> {"ok": true}
    anything else, or a broken line                     -> {"ok": false, "error": "..."}
The first line the program writes is {"ok": true, "ready": true}. Lines longer than MAX_LINE
bytes are refused (and the rest of that line skipped); the engine bounds the pinyin itself.
The program ends at end of input (the kiosk closed the pipe or died) or on {"op": "quit"}.
"""
from __future__ import annotations

import json
import sys
from typing import IO, Any

from kiosk.devices.input_engines import EngineUnavailable
from kiosk.devices.input_engines.pinyin import MAX_LIMIT, PinyinEngine

MAX_LINE = 1024


def answer(engine: PinyinEngine, request: Any) -> dict[str, Any]:
    """The answer to one decoded request. Never raises for bad input."""
    if not isinstance(request, dict):
        return {"ok": False, "error": "a request is a JSON object"}
    op = request.get("op")
    if op == "ping":
        return {"ok": True}
    if op == "forget":
        engine.forget()
        return {"ok": True}
    if op == "lookup":
        pinyin, limit = request.get("pinyin"), request.get("limit", 10)
        if not isinstance(pinyin, str) or not isinstance(limit, int) or isinstance(limit, bool):
            return {"ok": False, "error": "lookup needs a pinyin string and an integer limit"}
        found = engine.lookup(pinyin, max(1, min(limit, MAX_LIMIT)))
        return {"ok": True, "candidates": [[c.text, c.consumed] for c in found]}
    return {"ok": False, "error": "unknown op"}


def serve(stdin: IO[bytes], stdout: IO[bytes], engine: PinyinEngine | None = None) -> int:
    engine = engine or PinyinEngine()

    def send(obj: dict[str, Any]) -> None:
        stdout.write(json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n")
        stdout.flush()

    send({"ok": True, "ready": True})
    try:
        while True:
            line = stdin.readline(MAX_LINE + 1)
            if not line:
                return 0
            if len(line) > MAX_LINE and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):     # skip the rest of the overlong line
                    line = stdin.readline(MAX_LINE)
                send({"ok": False, "error": "line too long"})
                continue
            try:
                request = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                send({"ok": False, "error": "not a JSON line"})
                continue
            if isinstance(request, dict) and request.get("op") == "quit":
                return 0
            try:
                send(answer(engine, request))
            except EngineUnavailable as exc:
                send({"ok": False, "error": str(exc), "unavailable": True})
    finally:
        engine.close()


if __name__ == "__main__":
    sys.exit(serve(sys.stdin.buffer, sys.stdout.buffer))
