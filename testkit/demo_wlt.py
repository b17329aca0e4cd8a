"""The demo's resident ID card photo encoding (the emulator side of kiosk/devices/idcard/photo.py
DemoPhotoDecoder): "OVDEMOWLT1" + the demo citizen's photo as a JPEG small enough for the card's
1024 photo bytes, zero padded. No real card carries it, and only the demo composes its decoder."""
from __future__ import annotations

import io

from kiosk.devices.idcard.photo import BMP_HEIGHT, BMP_WIDTH, DEMO_MARK, WLT_LEN


def demo_wlt(photo_jpeg: bytes) -> bytes:
    """1024 bytes standing for a card's WLT: the photo's centre (a resident ID card frames the
    head tighter than the demo's passport photos, and the face then keeps enough pixels for the
    face check) scaled to the card's 102x126 and compressed until it fits (a real WLT is as
    lossy). Any thread; pure CPU, tens of ms."""
    from PIL import Image
    room = WLT_LEN - len(DEMO_MARK)
    with Image.open(io.BytesIO(photo_jpeg)) as src:
        w, h = src.size
        img = src.convert("L").crop((w // 5, h // 5, w - w // 5, h - h // 5))
        img.thumbnail((BMP_WIDTH, BMP_HEIGHT))
    for side in (1.0, 0.9, 0.8, 0.7):
        small = img if side == 1.0 else img.resize((int(img.width * side), int(img.height * side)))
        for quality in range(60, 4, -5):
            out = io.BytesIO()
            small.save(out, format="JPEG", quality=quality, optimize=True)
            data = out.getvalue()
            if len(data) <= room:
                return DEMO_MARK + data + bytes(room - len(data))
    raise ValueError("demo photo does not fit the card's 1024 bytes")
