"""The OpenCV camera: newest frame only, a clear error when the source is gone, recovery
when it comes back, and nothing kept after stop."""
from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import numpy as np

from kiosk.devices.capture import CaptureThreadCamera
from kiosk.devices.face.camera import OpenCvCamera
from kiosk.devices.ports import Camera

CLIP = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "clips" / "live_speaker_whitehouse.mp4"


def wait_for(cond, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False


def test_frames_arrive_at_the_sources_pace_and_only_the_newest_is_kept():
    cam = OpenCvCamera(str(CLIP), loop=True)
    assert isinstance(cam, Camera)
    cam.start()
    try:
        assert wait_for(lambda: cam.latest() is not None)
        first = cam.latest()
        time.sleep(0.5)
        later = cam.latest()
        assert later.seq - first.seq >= 10               # ~30 fps source: about 15 frames in 0.5 s
        assert later.image.shape == (480, 640, 3)
        assert not later.image.flags.writeable          # readers cannot scribble on a shared frame
        assert cam.error() is None
    finally:
        cam.stop()
    assert cam.latest() is None                          # the last image of the citizen is dropped


def test_a_missing_camera_says_so_and_recovers_when_it_comes_back(tmp_path: Path):
    source = tmp_path / "cam.mp4"
    cam = OpenCvCamera(str(source), retry_seconds=0.1, loop=True)
    cam.start()
    try:
        assert wait_for(lambda: cam.error() is not None)
        err = cam.error()
        assert "staff" in err.reason.en and "工作人员" in err.reason.zh
        assert cam.latest() is None
        shutil.copy(CLIP, source)                         # plugged back in
        assert wait_for(lambda: cam.latest() is not None)
        assert cam.error() is None
    finally:
        cam.stop()


def test_a_source_that_stops_delivering_frames_is_reported(tmp_path: Path):
    short = tmp_path / "short.mp4"
    shutil.copy(CLIP, short)
    cam = OpenCvCamera(str(short), retry_seconds=30.0, loop=False)   # a file that ends: like an unplugged camera
    cam.start()
    try:
        assert wait_for(lambda: cam.latest() is not None)
        assert wait_for(lambda: cam.error() is not None, timeout=15.0)
        assert cam.latest() is None                       # no stale picture shown as live
    finally:
        t = time.monotonic()
        cam.stop()
        assert time.monotonic() - t < 2.5                 # stop never hangs the caller


class OneHolderDevice(CaptureThreadCamera):
    """A device only one capture thread can hold. After a stop, a run keeps delivering frames for
    `linger` s (a driver read in progress) before it lets go. Each frame's pixels carry its run."""

    def __init__(self, linger: float) -> None:
        super().__init__((64, 48))
        self.linger = linger
        self._count = threading.Lock()
        self.runs = self.holders = self.most_holders = 0

    def _run(self, stop: threading.Event) -> None:
        with self._count:
            self.runs += 1
            run = self.runs
            self.holders += 1
            self.most_holders = max(self.most_holders, self.holders)
        try:
            seq, ending = 0, None
            while ending is None or time.monotonic() < ending:
                self._publish(np.full((48, 64, 3), run, np.uint8), seq)
                seq += 1
                time.sleep(0.02)
                if ending is None and stop.is_set():
                    ending = time.monotonic() + self.linger
        finally:
            with self._count:
                self.holders -= 1


def test_stop_returns_at_once_and_a_restart_never_shows_the_old_runs_frames():
    cam = OneHolderDevice(linger=0.5)
    cam.start()
    try:
        assert wait_for(lambda: cam.latest() is not None)
        t = time.monotonic()
        cam.stop()
        cam.start()                                       # the next citizen's check, straight away
        assert time.monotonic() - t < 0.03                # the caller (the GUI thread) never waits
        seen = set()
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            frame = cam.latest()
            if frame is not None:
                seen.add(int(frame.image[0, 0, 0]))
            time.sleep(0.01)
        assert seen == {2}                                # the old run's late frames were dropped
        assert cam.most_holders == 1                      # the new run waited for the old to let go
    finally:
        cam.stop()
    assert cam.join(2.0) and cam.latest() is None
