"""`python -m kiosk.cli ...`, the same as `kiosk ...` and `python -m kiosk ...`."""
import sys

from kiosk.cli import main

sys.exit(main())
