"""A simulated receipt printer that writes each receipt PDF into a folder."""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from kiosk.devices.ports import PrinterError, PrinterHealth
from kiosk.i18n import tr

OUT_OF_PAPER = tr("打印机缺纸。")
NOT_AVAILABLE = tr("打印机暂时无法使用。")


class FolderPrinter:
    """The Printer port for the demo and tests."""

    name = "Simulated printer (PDF folder)"

    def __init__(self, folder: Path, delay: float = 0.3) -> None:
        self.folder = Path(folder)
        self.delay = delay
        self.out_of_paper = False   # tests and the demo can flip this
        self._closed = threading.Event()

    def print_pdf(self, pdf: bytes, job_name: str, timeout: float) -> str:
        """Runs on the printing thread; blocks for the simulated print time (≤ timeout), less
        when the kiosk shuts down (then raises PrinterError and writes nothing)."""
        if self._closed.wait(min(self.delay, timeout)):
            raise PrinterError(NOT_AVAILABLE, "printer closed")
        if self.out_of_paper:
            raise PrinterError(OUT_OF_PAPER, "simulated out of paper")
        self.folder.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", job_name)
        path = self.folder / f"{safe}.pdf"
        tmp = path.with_suffix(".pdf.part")
        with open(tmp, "wb") as fh:
            fh.write(pdf)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return str(path)

    def close(self) -> None:
        """Kiosk shutdown: a print in progress ends now. Any thread; never blocks."""
        self._closed.set()

    def health(self, timeout: float) -> PrinterHealth:
        """The simulated paper state (`out_of_paper`). Any thread; never blocks."""
        if self._closed.is_set():
            return PrinterHealth(False, NOT_AVAILABLE, "printer closed")
        if self.out_of_paper:
            return PrinterHealth(False, OUT_OF_PAPER, "simulated out of paper", paper="out")
        return PrinterHealth(True, None, f"writes PDF files to {self.folder}", paper="ok")
