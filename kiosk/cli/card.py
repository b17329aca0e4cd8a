"""`kiosk card ...`: read an ID document chip from the command line (staff and operators).

  kiosk card readers
  kiosk card read --reader NAME (--mrz MRZ | --can CAN | --doc-number N --birth YYMMDD --expiry YYMMDD)
                  [--json] [--photo-out FILE] [--trust-store DIR] [--no-extended] [--wait S] [--timeout S]
  kiosk card read --sam PORT [--baud N] [--json] [--photo-out FILE] [--wait S] [--timeout S]
                  (resident ID cards through a SAM reader: no access key; kiosk/cli/card_sam.py)
  kiosk card trust import FILE... | kiosk card trust list     (kiosk/cli/trust.py)

Runs on the main thread, which then is the card thread: it owns the PC/SC context and blocks in
PC/SC waits (each with a timeout) and APDU exchanges. Also `python -m kiosk.cli.card ...`.
Exit codes: 0 read and genuine; 1 read failed; 2 bad arguments; 3 not genuine (staff alert);
4 genuine but expired; 5 no card within --wait.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kiosk.cli import add_common_options, config_from_args
from kiosk.cli.trust import add_trust_parser, read_trust_store


def add_card_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    card = subparsers.add_parser("card", help="ID document chip tools (ICAO 9303 over PC/SC)")
    sub = card.add_subparsers(dest="card_action", required=True)
    add_common_options(sub.add_parser("readers", help="list the PC/SC readers and the SAM readers on serial ports"))
    read = add_common_options(sub.add_parser("read", help="read and check the document on a reader"))
    read.add_argument("--reader", default="", help="reader name or part of it (default: the first reader)")
    read.add_argument("--sam", metavar="PORT", help="a SAM reader's serial port (resident ID cards; no access key)")
    read.add_argument("--baud", type=int, default=115200, help="the SAM reader's baud rate (default 115200)")
    # required for ICAO chips only; checked in run_card since --sam needs none
    key = read.add_mutually_exclusive_group()
    key.add_argument("--mrz", help="the whole MRZ (lines separated by newlines, or run together)")
    key.add_argument("--can", help="the 6-digit card access number (PACE documents)")
    key.add_argument("--doc-number", help="document number (with --birth and --expiry)")
    read.add_argument("--birth", help="birth date YYMMDD (with --doc-number)")
    read.add_argument("--expiry", help="expiry date YYMMDD (with --doc-number)")
    read.add_argument("--json", action="store_true", help="print one JSON object")
    read.add_argument("--photo-out", type=Path, help="write the face image (JPEG or JPEG 2000 as stored) here")
    read.add_argument("--trust-store", type=Path, help="folder of CSCA certificates (default: devices.csca_dir)")
    read.add_argument("--no-extended", action="store_true", help="never use extended-length APDUs")
    read.add_argument("--bac", action="store_true", help="use BAC even when the chip offers PACE")
    read.add_argument("--wait", type=float, default=10.0, help="seconds to wait for a card (default 10)")
    read.add_argument("--timeout", type=float, default=20.0, help="seconds the read may take (default 20)")
    add_trust_parser(sub)
    return card


def _key(args: argparse.Namespace):
    from kiosk.devices.icao.mrz import CanKey, MrzKey, parse_mrz

    if args.mrz:
        return parse_mrz(args.mrz, strict=True).key()
    if args.can:
        return CanKey(args.can.strip())
    if not (args.birth and args.expiry):
        raise ValueError("--doc-number needs --birth and --expiry")
    return MrzKey(args.doc_number.strip().upper(), args.birth.strip(), args.expiry.strip())


def run_card(args: argparse.Namespace) -> int:
    from kiosk.config import ConfigError
    from kiosk.devices.icao.pcsc import list_readers

    try:
        args.loaded_config = config_from_args(args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if args.card_action == "trust":
        from kiosk.cli.trust import run_trust
        return run_trust(args)
    if args.card_action == "readers":
        from kiosk.cli.card_sam import sam_ports

        names = list_readers() + [f"sam:{port}" for port in sam_ports()]
        print(json.dumps(names) if getattr(args, "json", False) else ("\n".join(names) or "(no readers)"))
        return 0
    has_key = bool(args.mrz or args.can or args.doc_number)
    if args.sam:
        if has_key:
            print("ERROR --mrz, --can and --doc-number are for ICAO chips, not --sam", file=sys.stderr)
            return 2
        from kiosk.cli.card_sam import read_sam
        return read_sam(args)
    if not has_key:
        print("ERROR an ICAO chip read needs one of --mrz, --can or --doc-number (or use --sam PORT)",
              file=sys.stderr)
        return 2
    return _read(args)


def _read(args: argparse.Namespace) -> int:
    from kiosk.devices.icao.errors import ParseError
    from kiosk.devices.icao.pcsc import PcscCardReader
    from kiosk.devices.icao.reader import ReadOptions
    from kiosk.devices.ports import CardError

    def fail(code: int, reason: str, detail: str = "") -> int:
        if args.json:
            print(json.dumps({"ok": False, "error": reason, "detail": detail}, ensure_ascii=False))
        else:
            print(f"ERROR {reason}" + (f" ({detail})" if detail else ""), file=sys.stderr)
        return code

    try:
        key = _key(args)
    except (ParseError, ValueError) as exc:
        return fail(2, f"bad access key: {exc}")
    reader = PcscCardReader(args.reader, trust_store=read_trust_store(args.trust_store, args.loaded_config),
                            options=ReadOptions(extended_length=not args.no_extended, prefer_pace=not args.bac))
    reader.set_access_key(key)
    try:
        if not reader.wait_for_insert(args.wait):
            return fail(5, f"no card on reader {args.reader or '(first)'} within {args.wait:g}s")
        try:
            result = reader.read(args.timeout)
        except CardError as exc:
            return fail(1, exc.reason.en, exc.detail)
    finally:
        reader.close()
    chip = reader.last_read
    assert chip is not None
    v = chip.verdicts
    photo_path = None
    if args.photo_out and chip.face is not None:
        args.photo_out.write_bytes(chip.face.image)
        photo_path = str(args.photo_out)
    m = chip.mrz
    ident = result.identity
    out = {
        "ok": v.genuine and not v.expired,
        "reader": reader.reader_name,
        "access_control": chip.access_control,
        "read_mode": chip.read_mode,
        "apdu_count": chip.apdu_count,
        "seconds": round(chip.seconds, 4),
        "timings": {k: round(t, 4) for k, t in chip.timings.items()},
        "data_groups": list(chip.data_groups),
        "dg1": {"format": m.format, "document_code": m.document_code, "issuing_state": m.issuing_state,
                "document_number": m.document_number, "surname": m.surname, "given_names": m.given_names,
                "nationality": m.nationality, "birth": m.birth, "sex": m.sex, "expiry": m.expiry,
                "optional_data": m.optional_data, "check_digits_ok": m.checks_ok},
        "dg11": None if chip.details is None else {"full_name": chip.details.full_name,
                                                   "personal_number": chip.details.personal_number,
                                                   "address": chip.details.address},
        "identity": {"name": ident.name, "name_latin": ident.name_latin, "birth_date": ident.birth_date.isoformat(),
                     "expiry_date": ident.expiry_date.isoformat() if ident.expiry_date else None,
                     "personal_number": ident.personal_number},
        "verdicts": {"data_integrity": v.data_integrity, "signer_trusted": v.signer_trusted,
                     "chip_genuine": v.chip_genuine, "expired": v.expired, "genuine": v.genuine,
                     "problems": list(v.problems)},
        "photo": None if chip.face is None else {"format": chip.face.format, "bytes": len(chip.face.image),
                                                 "width": chip.face.width, "height": chip.face.height,
                                                 "written_to": photo_path},
        "message": result.problem.en if result.problem else None,
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"{m.document_code} {m.issuing_state} {m.document_number}  {ident.name} ({ident.name_latin})  "
              f"born {ident.birth_date}  expires {ident.expiry_date}")
        print(f"verdicts: integrity={v.data_integrity} signer_trusted={v.signer_trusted} "
              f"chip_genuine={v.chip_genuine} expired={v.expired}")
        for p in v.problems:
            print(f"  problem: {p}")
        print(f"{chip.access_control}, {chip.read_mode} reads, {chip.apdu_count} APDUs, {chip.seconds:.3f}s")
        if result.problem:
            print(result.problem.en)
    if not v.genuine:
        return 3
    return 4 if v.expired else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk")
    add_card_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["card", *(sys.argv[1:] if argv is None else argv)])
    return run_card(args)


if __name__ == "__main__":
    sys.exit(main())
