"""A stand-in for aplay on a machine without a sound card: takes the same arguments
(`-q -D DEVICE -t wav -`), reads the WAV from stdin at the pace a sound card would (bytes per
second from the header) and appends its progress to the file named by $REALTIME_PLAYER_LOG:
"start DEVICE", then "played N" after each chunk, then "done N". A stop that kills it leaves
no "done" line. Run as a program: tests wrap it in a small executable script."""
from __future__ import annotations

import os
import struct
import sys
import time

CHUNK_SECONDS = 0.05


def main(argv: list[str]) -> int:
    device = argv[argv.index("-D") + 1] if "-D" in argv else "default"
    with open(os.environ["REALTIME_PLAYER_LOG"], "a", buffering=1) as log:
        return _play(device, log)


def _play(device: str, log) -> int:
    log.write(f"start {device}\n")
    header = sys.stdin.buffer.read(44)
    rate = struct.unpack("<I", header[24:28])[0] if len(header) == 44 else 22050
    chunk = max(2, int(rate * 2 * CHUNK_SECONDS))
    played = 0
    while data := sys.stdin.buffer.read(chunk):
        played += len(data)
        time.sleep(len(data) / (rate * 2))
        log.write(f"played {played}\n")
    log.write(f"done {played}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
