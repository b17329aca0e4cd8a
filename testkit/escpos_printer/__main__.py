"""Run a virtual ESC/POS printer until Ctrl-C: `python -m testkit.escpos_printer [--out DIR] [--mode MODE] [--pty]`.

Point a kiosk at it with devices.printer = "escpos" and devices.escpos_address = the address it prints.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from testkit.escpos_printer.printer import MODES, VirtualEscposPrinter


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m testkit.escpos_printer")
    ap.add_argument("--out", type=Path, default=Path("escpos-jobs"), help="folder for the job PNGs")
    ap.add_argument("--mode", choices=MODES, default="ok")
    ap.add_argument("--pty", action="store_true", help="also offer a pseudo-terminal (a serial printer)")
    args = ap.parse_args()
    printer = VirtualEscposPrinter(args.out, args.mode)
    print(f"virtual ESC/POS printer on {printer.start()}, jobs in {args.out}", flush=True)
    if args.pty:
        print(f"  and on {printer.open_pty()}", flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        printer.stop()


if __name__ == "__main__":
    main()
