"""`kiosk card read --sam PORT`: read a resident ID card (or the two permits) through a SAM reader.

Runs on the main thread, which then is the card thread: it owns the serial port and blocks in
find-card polls and serial exchanges, each bounded by the reader's timeouts and --wait/--timeout.
No access key: the SAM authenticates the card itself. Exit codes as for ICAO reads: 0 read and
valid (also when the photo cannot be decoded: the state says why); 1 dead port, a read that failed
after the retry, or a card that cannot be read; 4 expired; 5 no card within --wait.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

NO_DECODER_STATE = "not decodable: no decoder configured"


def sam_ports(baud: int = 115200) -> list[str]:
    """The serial ports (/dev/ttyUSB*, /dev/ttyACM*) where a SAM answers its status command."""
    from kiosk.devices.idcard.sam_reader import SamCardReader

    return SamCardReader(baud=baud, command_timeout=0.3).probe_ports()


def _decoder(config=None):
    """The configured photo decoder (devices.photo_decoder_path), or None with none configured."""
    from kiosk.config import load_config
    from kiosk.devices.idcard.photo import LibraryPhotoDecoder

    path = (config or load_config()).devices.photo_decoder_path.strip()
    if not path:
        return None
    if not (Path(path).is_absolute() and Path(path).is_file()):
        # a relative path would load whatever the working directory or the loader's path holds
        raise ValueError(f"devices.photo_decoder_path = {path!r}: the absolute path of the vendor's library")
    return LibraryPhotoDecoder(path)


def read_sam(args: argparse.Namespace) -> int:
    from kiosk.devices.idcard.photo import PhotoUnavailable
    from kiosk.devices.idcard.sam_reader import SamCardReader
    from kiosk.devices.ports import CardError

    def fail(code: int, reason: str, detail: str = "") -> int:
        line = reason + (f" ({detail})" if detail else "")
        if args.json:
            print(json.dumps({"ok": False, "error": reason, "detail": detail}, ensure_ascii=False))
        print(f"ERROR {line}", file=sys.stderr)
        return code

    try:
        decoder = _decoder(getattr(args, "loaded_config", None))
    except ValueError as exc:
        return fail(2, str(exc))
    # photo_decoder=None: the reader returns the identity without a photo; the photo is decoded
    # below so that a missing decoder is reported, not fatal, for staff
    reader = SamCardReader(args.sam, args.baud)
    try:
        try:
            reader.check()
        except CardError as exc:
            return fail(1, f"no SAM reader answering on {args.sam}", exc.detail)
        if not reader.wait_for_insert(args.wait):
            return fail(5, f"no card on the SAM reader {args.sam} within {args.wait:g}s")
        try:
            result = reader.read(args.timeout)
        except CardError as exc:
            return fail(1, exc.reason.en, exc.detail)
        wlt = reader.last_photo or b""
    finally:
        reader.close()
    ident = result.identity
    photo: dict[str, object] = {"wlt_bytes": len(wlt), "state": NO_DECODER_STATE, "written_to": None}
    if decoder is not None:
        try:
            png = decoder.decode(wlt, max(1.0, args.timeout))
        except PhotoUnavailable as exc:
            photo["state"] = f"not decodable: {exc.detail or exc.reason.en}"
        else:
            photo["state"] = "decoded"
            photo["png_bytes"] = len(png)
            if args.photo_out:
                args.photo_out.write_bytes(png)
                photo["written_to"] = str(args.photo_out)
    expired = ident.expiry_date is not None and ident.expiry_date < date.today()
    out = {
        "ok": not expired,
        "reader": args.sam,
        "card_type": ident.card_type,
        "name": ident.name,
        "name_latin": ident.name_latin or None,
        "sex": ident.sex,
        "nation": ident.nation,
        "nationality": ident.nationality,
        "birth_date": ident.birth_date.isoformat(),
        "address": ident.address,
        "id_number": ident.document_number,
        "authority": ident.authority,
        "valid_from": ident.valid_from.isoformat() if ident.valid_from else None,
        "valid_until": ident.expiry_date.isoformat() if ident.expiry_date else None,  # null: 长期
        "expired": expired,
        "commands": result.apdu_count,
        "seconds": round(result.seconds, 4),
        "photo": photo,
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"{ident.card_type} {ident.document_number}  {ident.name} {ident.sex} {ident.nation or ''}  "
              f"born {ident.birth_date}")
        print(f"{ident.address or ''}  issued by {ident.authority or ''}  "
              f"valid {ident.valid_from} - {ident.expiry_date or '长期'}{'  EXPIRED' if expired else ''}")
        print(f"photo: {photo['state']}")
    return 4 if expired else 0
