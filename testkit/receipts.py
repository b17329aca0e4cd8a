"""Receipts for tests and benchmarks of the scan-to-check screen (issue 14 part 3): a real receipt
rendered as the printer would print it (PDF, then pdftoppm at the printer's 576 dots), and the
forger's versions of it: the QR's content altered under the genuine signature, or signed by a key
no kiosk registered. TEST TOOLING: never imported by the product."""
from __future__ import annotations

import zlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.domain.application import Application
from kiosk.domain.text import Text

KIOSK_NAME = Text("西湖区政务服务中心", "Xihu District Service Centre")


def receipt_pdf(app: Application, key: Ed25519PrivateKey, qr_text: str | None = None) -> bytes:
    """The receipt the kiosk prints for `app`, signed with `key`; with `qr_text`, a receipt whose
    QR carries that text instead (a forged receipt)."""
    from kiosk.services.receipts import ReceiptOptions, render_receipt
    from kiosk.services.receipts.signer import ReceiptSigner
    qr, code = ReceiptSigner(key).seal(app, provisional=True)
    return render_receipt(app, ReceiptOptions(KIOSK_NAME, "https://zwfw.example.gov.cn/verify",
                                              qr_text=qr_text or qr, check_code=code))


def receipt_png(app: Application, key: Ed25519PrivateKey, qr_text: str | None = None) -> bytes:
    """`receipt_pdf` as the printer's raster: page 1 through pdftoppm, 576 pixels wide, PNG."""
    from kiosk.services.receipts.reading import render_pdf_page
    return render_pdf_page(receipt_pdf(app, key, qr_text))


def altered_payload(qr: str) -> str:
    """`qr` with its first department's due date moved to the issue day and the rest of the
    departments dropped, the genuine signature kept: what a forger who edits the QR gets."""
    import base45
    import cbor2

    from kiosk.services.receipts.seal import PREFIX
    tag = cbor2.loads(zlib.decompress(base45.b45decode(qr[len(PREFIX):])))
    content = cbor2.loads(tag.value[2])
    content["d"] = [[*content["d"][0][:2], content["at"][:10], *content["d"][0][3:]]]
    tag.value[2] = cbor2.dumps(content)
    return PREFIX + base45.b45encode(zlib.compress(cbor2.dumps(tag), 9)).decode("ascii")
