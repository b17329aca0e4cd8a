"""PinyinProcess: the Pinyin engine's API, answered by the helper program pinyin_child.py.

    engine = PinyinProcess()                  # cheap; the helper starts on first use (or warm_up)
    engine.lookup("hangzhou", 10)             # [Candidate('杭州', 8), ...] as PinyinEngine gives
    engine.candidates("beijing")              # ['北京', ...]
    engine.forget(); engine.close()

libpinyin (GPL-3+) runs only in the helper; this process exchanges short strings with it over
pipes (docs/input.md "Licences"). The helper is `python -m kiosk.devices.input_engines.pinyin_child`
with the kiosk's own interpreter.

Bounds: the pinyin is normalised here first (at most 48 letters; anything else gives [] without
asking the helper), the limit is clamped to 1-50, answer lines are read up to 64 KiB.
Timeouts: every call waits at most `timeout` s (default 0.5) for its answer, and at most
`start_timeout` s for a helper that is starting. A helper that times out, dies or answers
nonsense is killed; the call raises EngineUnavailable and the next call starts a new helper.

Threads: any thread; one request at a time crosses the pipe (a lock, itself waited for at most
the timeout). Blocks up to the timeout, so the GUI thread calls through the keyboards' worker
(kiosk/ui/keyboards/engines.py), never directly.
"""
from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from kiosk.devices.input_engines import EngineUnavailable
from kiosk.devices.input_engines.pinyin import MAX_LIMIT, Candidate, normalise

log = logging.getLogger(__name__)

MAX_ANSWER = 64 * 1024
_ROOT = Path(__file__).resolve().parents[3]     # the folder that holds the kiosk package


class PinyinProcess:
    """PinyinEngine's API over a pipe to the helper program. Any thread."""

    def __init__(self, timeout: float = 0.5, start_timeout: float = 10.0, command: list[str] | None = None) -> None:
        self.timeout = timeout
        self.start_timeout = start_timeout
        self._command = command or [sys.executable, "-m", "kiosk.devices.input_engines.pinyin_child"]
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._closed = False
        self.starts = 0          # helpers started so far (tests and the health view read it)

    # -- the engine's API --------------------------------------------------------------------
    def candidates(self, pinyin: str, limit: int = 10) -> list[str]:
        return [c.text for c in self.lookup(pinyin, limit)]

    def lookup(self, pinyin: str, limit: int = 10) -> list[Candidate]:
        """As PinyinEngine.lookup. Blocks at most `timeout` s (plus a helper's start); raises
        EngineUnavailable when the helper cannot answer in time."""
        text = normalise(pinyin)
        if text is None:
            return []
        limit = max(1, min(int(limit), MAX_LIMIT))
        reply = self._ask({"op": "lookup", "pinyin": text, "limit": limit})
        found = reply.get("candidates")
        if not isinstance(found, list):
            raise EngineUnavailable("pinyin helper: no candidates in its answer")
        out: list[Candidate] = []
        for item in found[:limit]:
            if (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], int)
                    and 0 < len(item[0]) <= MAX_LIMIT):
                out.append(Candidate(item[0], max(0, min(item[1], len(text)))))
        return out

    def forget(self) -> None:
        """Session end: the helper rebuilds its context. Never raises (nothing to forget if it is down)."""
        if self._proc is None:
            return
        try:
            self._ask({"op": "forget"})
        except EngineUnavailable:
            pass

    def warm_up(self) -> None:
        """Start the helper now so the first letter typed gets candidates at once. Any thread;
        blocks up to `start_timeout` s; raises EngineUnavailable."""
        self._ask({"op": "ping"}, self.start_timeout)

    def close(self) -> None:
        """Kiosk shutdown: end the helper (it also ends by itself when this process dies, at
        the end of its input). Any thread; bounded by about a second."""
        self._closed = True
        if self._lock.acquire(timeout=max(self.timeout, 0.2)):
            try:
                self._kill()
            finally:
                self._lock.release()
        else:
            proc = self._proc
            if proc is not None:
                proc.kill()

    # -- the pipe ----------------------------------------------------------------------------
    def _ask(self, request: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        timeout = self.timeout if timeout is None else timeout
        if not self._lock.acquire(timeout=timeout):
            raise EngineUnavailable("pinyin helper busy")
        try:
            proc = self._ensure()
            deadline = time.monotonic() + timeout
            try:
                assert proc.stdin is not None
                proc.stdin.write(json.dumps(request).encode("ascii") + b"\n")
                proc.stdin.flush()
                reply = self._read_line(proc, deadline)
            except (OSError, ValueError) as exc:
                self._kill()
                raise EngineUnavailable(f"pinyin helper failed: {type(exc).__name__}") from None
            except EngineUnavailable:
                self._kill()
                raise
            if not reply.get("ok"):
                if reply.get("unavailable"):
                    raise EngineUnavailable(str(reply.get("error", "libpinyin unavailable"))[:300])
                raise EngineUnavailable(f"pinyin helper refused the request: {str(reply.get('error'))[:100]}")
            return reply
        finally:
            self._lock.release()

    def _ensure(self) -> subprocess.Popen[bytes]:
        """The running helper, started if need be (lock held); waits for its ready line."""
        if self._closed:
            raise EngineUnavailable("pinyin helper closed")
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        if self._proc is not None:
            log.warning("pinyin helper ended (exit code %s); starting it again", self._proc.returncode)
        self._kill()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH", "")) if p)
        try:
            # stderr to /dev/null: libpinyin prints "open ... failed" for the user folder it is
            # deliberately not given; errors come back in the answers instead.
            proc = subprocess.Popen(self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, env=env, cwd=str(_ROOT), close_fds=True)
        except OSError as exc:
            raise EngineUnavailable(f"pinyin helper could not start: {exc}") from None
        self._proc, self._buffer = proc, b""
        self.starts += 1
        try:
            ready = self._read_line(proc, time.monotonic() + self.start_timeout)
        except EngineUnavailable:
            self._kill()
            raise
        if not ready.get("ready"):
            self._kill()
            raise EngineUnavailable("pinyin helper did not say it was ready")
        return proc

    def _read_line(self, proc: subprocess.Popen[bytes], deadline: float) -> dict[str, Any]:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise EngineUnavailable("pinyin helper did not answer in time")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise EngineUnavailable("pinyin helper ended")
            self._buffer += chunk
            if len(self._buffer) > MAX_ANSWER:
                raise EngineUnavailable("pinyin helper answered too much")
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            reply = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise EngineUnavailable("pinyin helper answered something that is not JSON") from None
        if not isinstance(reply, dict):
            raise EngineUnavailable("pinyin helper answered something that is not an object")
        return reply

    def _kill(self) -> None:
        proc, self._proc, self._buffer = self._proc, None, b""
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(1.0)
        except subprocess.TimeoutExpired:
            log.warning("pinyin helper did not end within 1 s of being killed")
