"""The printed receipt: a bilingual PDF sized for an 80 mm thermal roll.

  content.py  what the receipt says (a pure model built from the Application; no personal data)
  layout.py   how it is drawn (reportlab, on a page exactly as tall as the content)
  fonts.py    which CJK font it is drawn in (found, checked and registered once)

This package must not import Qt: it runs on the printing worker thread.
"""
from __future__ import annotations

from kiosk.domain.application import Application
from kiosk.services.receipts.content import ReceiptContent, ReceiptOptions, qr_payload, receipt_content
from kiosk.services.receipts.fonts import FONT_CANDIDATES, ReceiptError, find_cjk_font, load_font
from kiosk.services.receipts.layout import PAGE_WIDTH, draw_receipt

__all__ = [
    "FONT_CANDIDATES", "PAGE_WIDTH", "ReceiptContent", "ReceiptError", "ReceiptOptions",
    "find_cjk_font", "qr_payload", "receipt_content", "render_receipt",
]


def render_receipt(app: Application, options: ReceiptOptions) -> bytes:
    """The receipt for `app` as PDF bytes: one page, 80 mm wide, as tall as its content.

    Printing worker thread; blocks on the CPU and, the first time, on reading the font file.
    Raises ReceiptError when no usable CJK font can be found.
    """
    font = load_font(find_cjk_font(options.font_path))
    return draw_receipt(receipt_content(app, options), font)
