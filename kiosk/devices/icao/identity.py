"""Maps what the chip says onto the kiosk's `Identity`, and decodes the face image.

Pure functions (OpenCV/Pillow for decoding); any thread; no blocking.
"""
from __future__ import annotations

import io
from datetime import date
from typing import TYPE_CHECKING

from kiosk.devices.icao.errors import ImageError, MrzError
from kiosk.devices.icao.image import CHIP_MAX_PIXELS, check_image
from kiosk.devices.icao.mrz import parse_date
from kiosk.devices.icao.reader import ChipRead
from kiosk.domain.identity import Identity

if TYPE_CHECKING:
    import numpy as np


def to_identity(read: ChipRead, today: date | None = None) -> Identity:
    """Identity from DG1 (+ DG11 where present, + the DG2 image bytes as stored)."""
    today = today or date.today()
    mrz, details = read.mrz, read.details
    birth = parse_date(mrz.birth, today, past=True)
    if details and details.birth_date and len(details.birth_date) == 8 and details.birth_date.isdigit():
        try:
            birth = date(int(details.birth_date[:4]), int(details.birth_date[4:6]), int(details.birth_date[6:]))
        except ValueError:
            pass
    try:
        expiry: date | None = parse_date(mrz.expiry, today, past=False)
    except MrzError:
        expiry = None
    personal = details.personal_number if details and details.personal_number else None
    if personal is None and mrz.format == "TD1" and mrz.optional_data:
        personal = mrz.optional_data.split("<")[0] or None
    name = details.full_name if details and details.full_name else mrz.name_latin
    return Identity(document_number=mrz.document_number, name=name, name_latin=mrz.name_latin, sex=mrz.sex,
                    birth_date=birth, nationality=mrz.nationality, expiry_date=expiry, personal_number=personal,
                    address=details.address if details else None, photo=read.face.image if read.face else b"")


def decode_face(image: bytes) -> np.ndarray:
    """A chip face image (JPEG or JPEG 2000) as a BGR uint8 array. Raises ValueError if undecodable
    or if its header declares more than CHIP_MAX_PIXELS (checked before any decoder allocates)."""
    # Imported here, not at the top: kept off the kiosk's path to its first screen.
    import cv2
    import numpy as np

    header = check_image(image)
    if header.format == "png":
        raise ImageError("a chip face image is JPEG or JPEG 2000")
    arr = cv2.imdecode(np.frombuffer(image, dtype=np.uint8), cv2.IMREAD_COLOR)
    if arr is not None:
        return arr
    from PIL import Image   # Pillow's OpenJPEG, for JPEG 2000 builds of OpenCV without it

    try:
        with Image.open(io.BytesIO(image), formats=["JPEG", "JPEG2000"]) as im:
            if im.width * im.height > CHIP_MAX_PIXELS:      # Pillow's own reading of the header
                raise ImageError(f"face image is {im.width}x{im.height}")
            rgb = np.asarray(im.convert("RGB"))
    except ImageError:
        raise
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types on bad data
        raise ValueError(f"face image does not decode: {type(exc).__name__}") from None
    return np.ascontiguousarray(rgb[:, :, ::-1])
