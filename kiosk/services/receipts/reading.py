"""Reading a receipt back: the QR payload from a PNG/JPEG (zxing-cpp) or a PDF (its page rendered
by poppler's pdftoppm, then decoded like an image), and the PDF's printed text compared with
what the QR signs.

Files come from anyone (a citizen's upload on /verify, a USB stick), so: the file is capped
before it is read; an image's size is read from its header (Pillow opens lazily) and checked
against the same caps as a camera photo (kiosk/devices/icao/image.py PHOTO_MAX_*) before it is
decoded; pdftoppm renders only page 1, at most 576 x 8000 pixels, with a time limit and a memory
limit on its process. Any thread; blocks on the CPU and, for a PDF, on two child processes.
"""
from __future__ import annotations

import resource
import shutil
import subprocess
import tempfile
from io import BytesIO
from pathlib import Path

from kiosk.services.receipts.seal import ReceiptSummary, UnreadablePayload

MAX_FILE_BYTES = 8 << 20
MAX_SIDE = 8000                  # as PHOTO_MAX_SIDE / PHOTO_MAX_PIXELS (kiosk/devices/icao/image.py)
MAX_PIXELS = 24_000_000
RENDER_WIDTH = 576               # the printer's dots: modules land on whole pixels (layout.py)
RENDER_MAX_HEIGHT = 8000
CHILD_SECONDS = 20
CHILD_MEMORY = 1 << 30


def payload_from_image(data: bytes) -> str:
    """The receipt QR's text in a PNG or JPEG; UnreadablePayload when there is none (or the
    image is not one, or is too large to decode safely)."""
    from PIL import Image, UnidentifiedImageError
    import zxingcpp
    if len(data) > MAX_FILE_BYTES:
        raise UnreadablePayload(f"the image is over {MAX_FILE_BYTES >> 20} MiB")
    try:
        with Image.open(BytesIO(data)) as im:          # reads the header only
            if im.format not in ("PNG", "JPEG"):
                raise UnreadablePayload("not a PNG or JPEG image")
            w, h = im.size
            if w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
                raise UnreadablePayload(f"the image is {w}x{h}: at most {MAX_SIDE} a side and {MAX_PIXELS} pixels")
            grey = im.convert("L")
    except Image.DecompressionBombError:     # Pillow's own cap, above ours: refused the same way
        raise UnreadablePayload(f"the image declares too many pixels (at most {MAX_PIXELS})") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        if isinstance(exc, UnreadablePayload):
            raise
        raise UnreadablePayload("not a readable image") from None
    codes = [r.text for r in zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))]
    ours = [t for t in codes if t.upper().startswith("OV1:")]
    if not ours:
        raise UnreadablePayload("no receipt QR code found in the image" if not codes else
                                "the QR code in the image is not a receipt's")
    return ours[0]


def _limit_child() -> None:           # in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))


def _poppler(tool: str, args: list[str], pdf: bytes, out: list[str]) -> bytes:
    exe = shutil.which(tool)
    if exe is None:
        raise UnreadablePayload(f"{tool} is not installed (Debian: poppler-utils)")
    if len(pdf) > MAX_FILE_BYTES or not pdf.startswith(b"%PDF-"):
        raise UnreadablePayload("not a PDF (or over the size cap)")
    with tempfile.TemporaryDirectory(prefix="receipt-") as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf)
        try:
            r = subprocess.run([exe, *args, str(src), *out], capture_output=True, timeout=CHILD_SECONDS,
                               stdin=subprocess.DEVNULL, preexec_fn=_limit_child)
        except subprocess.TimeoutExpired:
            raise UnreadablePayload(f"{tool} took over {CHILD_SECONDS}s on this PDF") from None
    if r.returncode != 0 or not r.stdout:
        raise UnreadablePayload(f"{tool} could not read this PDF")
    return r.stdout


def render_pdf_page(pdf: bytes) -> bytes:
    """Page 1 of `pdf` as a greyscale PNG 576 pixels wide (the printer's raster), height capped."""
    return _poppler("pdftoppm", ["-f", "1", "-l", "1", "-png", "-gray", "-scale-to-x", str(RENDER_WIDTH),
                                 "-scale-to-y", "-1", "-x", "0", "-y", "0", "-W", str(RENDER_WIDTH),
                                 "-H", str(RENDER_MAX_HEIGHT)], pdf, [])      # no output root: stdout


def pdf_text(pdf: bytes) -> str:
    """The text printed on page 1 of `pdf` (pdftotext)."""
    return _poppler("pdftotext", ["-f", "1", "-l", "1", "-enc", "UTF-8"], pdf, ["-"]).decode("utf-8", "replace")


def read_receipt(data: bytes) -> tuple[str, str | None]:
    """(the QR payload, the printed text or None) of a receipt file's bytes: a PDF, PNG or JPEG."""
    if data.startswith(b"%PDF-"):
        return payload_from_image(render_pdf_page(data)), pdf_text(data)
    return payload_from_image(data), None


def printed_mismatches(summary: ReceiptSummary, printed: str) -> list[str]:
    """What the printed text says differently from the signed summary (empty: it matches).

    Checks that every signed fact is printed (number, bundle, each department and due date, the
    check code, the catalogue version), that exactly the signed number of departments is printed,
    and that the printed status is the one the receipt could have had when it was signed. Text a
    forger adds elsewhere is not caught here; the verifier therefore always shows the signed
    content, which is what counts (docs/security.md "Receipt QR")."""
    flat = "".join(printed.split()).replace("-", "")
    problems: list[str] = []

    def need(fact: str, what: str) -> None:
        if "".join(fact.split()).replace("-", "") not in flat:
            problems.append(f"{what} is not printed as signed ({fact})")
    need(summary.number, "the application number")
    need(summary.bundle_title, "the service")
    need(summary.check_code, "the check code")
    need(summary.catalogue_version, "the catalogue version")
    for item in summary.items:
        need(item.department, "a department")
        need(item.due.isoformat(), f"{item.department}'s due date")
    n = len(summary.items)
    if f"共{n}项" not in flat or flat.count("个工作日") != n:
        problems.append(f"the signed receipt has {n} department(s); the printed one differs")
    status = "状态：已提交—待同步" if summary.provisional else "状态：已提交"
    shown = [flat[i:i + len(status) + 1] for i in _find_all(flat, "状态：")]
    if not shown or any(not s.startswith(status) or (not summary.provisional and s.endswith("—")) for s in shown):
        problems.append(f"the printed status differs from the signed one ({status})")
    return problems


def _find_all(text: str, sub: str) -> list[int]:
    out, i = [], text.find(sub)
    while i >= 0:
        out.append(i)
        i = text.find(sub, i + 1)
    return out
