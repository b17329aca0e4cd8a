"""What an ESC/POS printer says about itself: the four DLE EOT real-time status bytes, decoded.

DLE EOT n (0x10 0x04 n) is answered at once, even while the printer is offline or busy:
  n=1 printer status   bit 3 offline
  n=2 offline cause    bit 2 cover open, bit 5 stopped at paper end, bit 6 an error occurred
  n=3 error status     bit 3 auto-cutter error, bit 5 unrecoverable error, bit 6 auto-recoverable
                       error (e.g. the head is too hot)
  n=4 paper sensor     bits 2+3 roll near its end, bits 5+6 roll empty
In every answer bit 1 and bit 4 are always 1 and bits 0 and 7 always 0 (Epson's ESC/POS
reference, "DLE EOT"): a byte without that shape is not a status answer (noise, an ASB
message, a printer in another mode) and is refused rather than read as "all well".

Each problem has a citizen-facing reason in Chinese and English that says what happened and
what the staff should do; the flow adds that the application itself is safe
(kiosk.flows.messages.PRINT_PROBLEM). Pure functions; any thread.
"""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.domain.text import Text
from kiosk.i18n import tr

QUERIES = (1, 2, 3, 4)
FIXED_MASK, FIXED_BITS = 0x93, 0x12

OUT_OF_PAPER = tr("回执打印机没有纸了，请工作人员装入新的纸卷。")
COVER_OPEN = tr("回执打印机的盖子开着，请工作人员合上盖子。")
OFFLINE = tr("回执打印机暂停工作，请工作人员检查打印机。")
CUTTER_JAM = tr("回执打印机切纸刀卡住了，请工作人员清理切刀处的纸。")
PRINTER_FAULT = tr("回执打印机出现故障，请工作人员关闭打印机电源后再打开。")
OVERHEATED = tr("回执打印机过热，请稍等一分钟后重新打印。")
PAPER_NEAR_END = tr("回执打印纸快用完了，请工作人员准备更换纸卷。")
NOT_RESPONDING = tr("回执打印机没有响应，请工作人员检查打印机的电源和连线。")
JOB_FAILED = tr("回执没能打印出来，请工作人员检查打印机。")


class StatusFormatError(ValueError):
    """A byte that is not a DLE EOT answer."""


@dataclass(frozen=True)
class PrinterStatus:
    """The printer's state from DLE EOT 1..4. `raw` keeps the four bytes for the operator log."""

    offline: bool = False
    cover_open: bool = False
    paper_end: bool = False
    paper_near_end: bool = False
    cutter_error: bool = False
    unrecoverable_error: bool = False
    recoverable_error: bool = False
    raw: bytes = b""

    def problem(self) -> Text | None:
        """What stops a receipt from printing, most actionable first; None when it can print.
        A paper roll near its end still prints: that is `warning`."""
        if self.paper_end:
            return OUT_OF_PAPER
        if self.cover_open:
            return COVER_OPEN
        if self.cutter_error:
            return CUTTER_JAM
        if self.unrecoverable_error:
            return PRINTER_FAULT
        if self.recoverable_error:
            return OVERHEATED
        if self.offline:
            return OFFLINE
        return None

    def warning(self) -> Text | None:
        """What the staff should know although the receipt prints."""
        return PAPER_NEAR_END if self.paper_near_end and not self.paper_end else None

    def describe(self) -> str:
        """For the operator log: the flags set and the raw bytes."""
        flags = [name for name in ("offline", "cover_open", "paper_end", "paper_near_end", "cutter_error",
                                   "unrecoverable_error", "recoverable_error") if getattr(self, name)]
        return f"{' '.join(flags) or 'ready'} (DLE EOT 1-4: {self.raw.hex(' ') or '-'})"


def check_byte(n: int, value: int) -> int:
    """`value` if it has the fixed bits of a DLE EOT answer, else StatusFormatError."""
    if not 0 <= value <= 255 or value & FIXED_MASK != FIXED_BITS:
        raise StatusFormatError(f"DLE EOT {n} answered 0x{value:02x}, not a status byte")
    return value


def parse_status(answers: dict[int, int]) -> PrinterStatus:
    """The status from the answers to DLE EOT 1, 2, 3 and 4 ({n: byte}); a query left out counts as
    all clear for its bits. Raises StatusFormatError for a byte that is not a status answer."""
    b = {n: check_byte(n, v) for n, v in answers.items()}
    printer, cause, error, paper = (b.get(n, FIXED_BITS) for n in QUERIES)
    return PrinterStatus(
        offline=bool(printer & 0x08),
        cover_open=bool(cause & 0x04),
        # a printer stopped at paper end (n=2 bit 5) has no paper, whatever its roll sensor says
        paper_end=paper & 0x60 == 0x60 or bool(cause & 0x20),
        paper_near_end=paper & 0x0C == 0x0C,
        cutter_error=bool(error & 0x08),
        unrecoverable_error=bool(error & 0x20),
        recoverable_error=bool(error & 0x40),
        raw=bytes(b.get(n, 0) for n in QUERIES if n in b),
    )
