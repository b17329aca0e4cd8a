"""Speech output: the Speaker port's real backend and what every backend shares.

  text.py     what may be spoken: language check, control characters out, length bounded
  queue.py    QueuedSpeaker: the queue, the worker thread, stop/repeat/clear/headset (any backend)
  espeak.py   espeak-ng: render WAV with the espeak-ng binary, play it with aplay

The simulated backend is kiosk/devices/sim/speaker.py. docs/voice.md says how to add a backend.
No Qt here (pyproject.toml contracts).
"""
