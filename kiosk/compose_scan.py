"""The scan-to-check part of the composition (issue 14 part 3): which camera reads receipts, which
receipt keys are trusted, how the back office is asked, and the check codes the store keeps.
Called by kiosk/compose.py on the main thread at start; builds nothing that starts a thread."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.config import Config
from kiosk.devices.ports import Camera
from kiosk.receipt_scan import ScanSetup
from kiosk.services.datafolder import DataFolder
from kiosk.services.sync.settings import SyncSettings


def scan_setup(config: Config, files: DataFolder, sync_settings: SyncSettings, signing_key: Any) -> ScanSetup:
    """What the scan-to-check screen reads with: the kiosk's camera at 720p (or, with the simulated
    camera, the newest receipt this kiosk printed, held up to it), this kiosk's receipt trust, and
    the enrolled back office for the newest statuses."""
    from kiosk.services.receipts.trust import kiosk_trust
    d = config.devices
    backoffice = sync_settings.signing_public() if sync_settings.configured else None
    camera: Callable[[], Camera] | None = None
    if d.camera == "opencv":
        from kiosk.devices.face.camera import OpenCvCamera
        source: int | str = int(d.camera_source) if d.camera_source.strip().isdigit() else d.camera_source
        camera = lambda: OpenCvCamera(source, size=(1280, 720))   # noqa: E731
    elif d.camera == "sim":
        from kiosk.devices.sim.receipt_camera import ReceiptCamera
        camera = lambda: ReceiptCamera(lambda: newest_receipt_png(files))   # noqa: E731
    online: Callable[[float], Any] | None = None
    if backoffice is not None:
        from kiosk.services.sync.client import SyncClient
        url, backoffice_key = sync_settings.url, backoffice

        def ask(timeout: float) -> Any:
            return SyncClient(url, config.kiosk.id, signing_key, backoffice_key, timeout=timeout)
        online = ask
    return ScanSetup(camera=camera, trust=lambda: kiosk_trust(files, config.kiosk.id, backoffice), online=online)


def newest_receipt_png(files: DataFolder) -> bytes | None:
    """The newest receipt in the kiosk's receipts folder (the simulated printer's), as the PNG the
    printer would print; None when there is none. For the simulated scan camera; capture thread."""
    from kiosk.services.receipts.reading import render_pdf_page
    from kiosk.services.receipts.seal import UnreadablePayload
    pdfs = sorted(files.receipts.glob("*.pdf"), key=lambda p: p.stat().st_mtime) if files.receipts.is_dir() else []
    try:
        return render_pdf_page(pdfs[-1].read_bytes()) if pdfs else None
    except (OSError, UnreadablePayload):
        return None


def receipt_check_codes(receipt_key: Any) -> Callable[[str], str]:
    """check_code(number) with this kiosk's receipt key (checkcode.py; hashlib only, no pycose)."""
    from cryptography.hazmat.primitives import serialization

    from kiosk.services.receipts.checkcode import check_code, check_secret
    secret = check_secret(receipt_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                    serialization.NoEncryption()))
    return lambda number: check_code(secret, number)
