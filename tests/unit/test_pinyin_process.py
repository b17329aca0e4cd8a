"""The Pinyin helper process: libpinyin (GPL-3+) answers from its own program over JSON lines,
never loaded into the kiosk's process; bounded, timed out, restarted when it dies."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.devices.input_engines import EngineUnavailable
from kiosk.devices.input_engines.pinyin import PinyinEngine
from kiosk.devices.input_engines.pinyin_child import MAX_LINE, serve
from kiosk.devices.input_engines.pinyin_process import PinyinProcess

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def helper():
    p = PinyinProcess(timeout=5.0)
    yield p
    p.close()


def test_candidates_come_from_the_helper_with_what_they_cover(helper):
    assert helper.candidates("hangzhou", 3)[0] == "杭州"
    found = {c.text: c.consumed for c in helper.lookup("zhejiangshenghangzhou", 10)}
    assert found["浙江省"] == len("zhejiangsheng")
    assert helper.starts == 1


def test_libpinyin_is_never_loaded_into_the_kiosks_own_process():
    code = ("from kiosk.devices.input_engines.pinyin_process import PinyinProcess\n"
            "p = PinyinProcess(timeout=5.0)\n"
            "assert p.candidates('beijing', 2)[0] == '北京'\n"
            "child = open(f'/proc/{p._proc.pid}/maps').read()\n"
            "print('libpinyin' in open('/proc/self/maps').read(), 'libpinyin' in child)\n"
            "p.close()\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_what_is_not_pinyin_never_reaches_the_helper(helper):
    for bad in ("北京", "a" * 49, "x\x00y", "", None, "é"):
        assert helper.lookup(bad) == []
    assert helper.starts == 0


def test_a_helper_that_dies_is_started_again(helper):
    helper.warm_up()
    os.kill(helper._proc.pid, signal.SIGKILL)
    helper._proc.wait(5)
    assert helper.candidates("beijing", 2)[0] == "北京"
    assert helper.starts == 2


def _fake(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "fake_helper.py"
    script.write_text("import sys, time\nsys.stdout.write('{\"ok\": true, \"ready\": true}\\n'); sys.stdout.flush()\n" + body)
    return [sys.executable, str(script)]


def test_a_helper_that_hangs_is_given_up_on_in_time_and_killed(tmp_path):
    p = PinyinProcess(timeout=0.3, command=_fake(tmp_path, "sys.stdin.readline(); time.sleep(60)\n"))
    try:
        t = time.monotonic()
        with pytest.raises(EngineUnavailable, match="in time"):
            p.lookup("beijing")
        assert time.monotonic() - t < 3.0
        assert p._proc is None        # killed; the next call starts a new one
    finally:
        p.close()


@pytest.mark.parametrize("reply", ["not json", "[1, 2]", '{"ok": true, "candidates": "x"}', "x" * 70_000])
def test_a_helper_that_answers_nonsense_is_refused(tmp_path, reply):
    body = f"sys.stdin.readline(); sys.stdout.write({reply!r} + '\\n'); sys.stdout.flush(); time.sleep(60)\n"
    p = PinyinProcess(timeout=2.0, command=_fake(tmp_path, body))
    try:
        with pytest.raises(EngineUnavailable):
            p.lookup("beijing")
    finally:
        p.close()


def test_the_helper_program_refuses_bad_lines_and_goes_on():
    lines = [b"x" * (MAX_LINE + 10) + b"\n", b"{not json\n", b'{"op": "lookup", "pinyin": 5}\n',
             b'{"op": "lookup", "pinyin": "beijing", "limit": true}\n', b'{"op": "rm -rf"}\n', b"[]\n",
             b'{"op": "lookup", "pinyin": "beijing", "limit": 2}\n', b'{"op": "quit"}\n',
             b'{"op": "ping"}\n']
    out = io.BytesIO()
    assert serve(io.BytesIO(b"".join(lines)), out, PinyinEngine()) == 0
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert answers[0] == {"ok": True, "ready": True}
    assert [a["ok"] for a in answers[1:]] == [False] * 6 + [True]     # nothing after quit
    assert answers[-1]["candidates"][0] == ["北京", 7]
