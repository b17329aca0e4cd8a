"""OneVisit Kiosk: `python main.py [--simulate] [--autopilot] [--offscreen] [--data-dir DIR]`.

The same as `kiosk run ...`; see README.md.
"""
import sys

from kiosk.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
