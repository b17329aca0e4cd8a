"""Time to render one receipt for an 80 mm ESC/POS printer and send it (docs/benchmarks.md "Thermal printer").

Renders the e2e tests' two-department receipt, then prints it N times through EscposPrinter to the
virtual printer over TCP on 127.0.0.1 (the after-printing status watch is shortened to one poll,
as a real printer's print time is not what is measured). Prints median and max per step.

    PYTHONPATH=. .venv/bin/python bench/escpos_print.py [N]
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from kiosk.devices.escpos_printer import EscposPrinter
from kiosk.devices.escpos_raster import receipt_raster
from tests.e2e.test_print_cups import make_receipt
from testkit.escpos_printer import VirtualEscposPrinter


def main(n: int) -> None:
    _, pdf = make_receipt(2)
    with tempfile.TemporaryDirectory() as tmp:
        virtual = VirtualEscposPrinter(Path(tmp))
        address = virtual.start()
        try:
            for large in (False, True):
                scale = 1.5 if large else 1.0
                render = [receipt_raster(pdf, scale=scale).render_seconds for _ in range(n)]
                printer = EscposPrinter(address, large_print=large, print_speed_mm_s=1e6)
                total = []
                for _ in range(n):
                    t0 = time.perf_counter()
                    printer.print_pdf(pdf, "bench", timeout=30)
                    total.append(time.perf_counter() - t0)
                r = receipt_raster(pdf, scale=scale)
                print(f"{'large' if large else 'normal'}: {r.image.width}x{r.image.height} dots, "
                      f"{len(r.packed()) / 1024:.0f} KiB raster, QR module {r.qr_module_dots} dots; "
                      f"render median {statistics.median(render) * 1000:.0f} ms (max {max(render) * 1000:.0f}); "
                      f"render + status + send + status median {statistics.median(total) * 1000:.0f} ms "
                      f"(max {max(total) * 1000:.0f})")
        finally:
            virtual.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
