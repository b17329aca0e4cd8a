"""The printed receipt: a bilingual PDF sized for an 80 mm thermal roll, with a signed QR code.

  content.py    what the receipt says (a pure model built from the Application; no personal data)
  layout.py     how it is drawn (reportlab, on a page exactly as tall as the content)
  fonts.py      which CJK font it is drawn in (found, checked and registered once)
  seal.py       the QR payload: COSE_Sign1 over CBOR, Base45; `verify_receipt_payload`
  checkcode.py  the short check code; signer.py signs with the kiosk's receipt key
  trust.py      which receipt keys a verifier trusts; reading.py reads receipts back (PDF, PNG)

This package must not import Qt: it runs on the printing worker thread. Importing it loads
neither reportlab nor pycose (start-up must not wait for them); they load on first use.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.domain.application import Application
from kiosk.services.receipts.content import ReceiptContent, ReceiptOptions, qr_payload, receipt_content

if TYPE_CHECKING:
    from kiosk.services.receipts.fonts import FONT_CANDIDATES, ReceiptError, find_cjk_font, load_font
    from kiosk.services.receipts.layout import PAGE_WIDTH

__all__ = [
    "FONT_CANDIDATES", "PAGE_WIDTH", "ReceiptContent", "ReceiptError", "ReceiptOptions",
    "find_cjk_font", "load_font", "qr_payload", "receipt_content", "render_receipt",
]
_LAZY = {"FONT_CANDIDATES": "fonts", "ReceiptError": "fonts", "find_cjk_font": "fonts", "load_font": "fonts",
         "PAGE_WIDTH": "layout"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f"kiosk.services.receipts.{_LAZY[name]}"), name)
    raise AttributeError(name)


def render_receipt(app: Application, options: ReceiptOptions) -> bytes:
    """The receipt for `app` as PDF bytes: one page, 80 mm wide, as tall as its content.

    Printing worker thread; blocks on the CPU and, the first time, on reading the font file.
    Raises ReceiptError when no usable CJK font can be found.
    """
    from kiosk.services.receipts.fonts import find_cjk_font, load_font
    from kiosk.services.receipts.layout import draw_receipt
    font = load_font(find_cjk_font(options.font_path))
    return draw_receipt(receipt_content(app, options), font)
