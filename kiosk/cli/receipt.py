"""`kiosk receipt verify`: is a printed receipt genuine, and does it say what was signed?

  kiosk receipt verify (FILE.pdf | FILE.png | --text PAYLOAD) [--trust-list FILE] [--json]
                       [--data-dir DIR] [--config FILE]

Reads the receipt's QR code (a PDF is rendered with pdftoppm first, as a scanner would see the
paper; a PNG or JPEG is decoded with zxing-cpp) and checks its COSE signature offline against the
trusted receipt keys: those of a --trust-list file signed by the enrolled back office, or else
this kiosk's own receipt key plus the last trust list it pulled. For a PDF it also compares the
printed text with the signed summary. Prints the signed content (never the unsigned claims).

Exit codes: 0 genuine; 1 forged, altered, printed differently from what was signed, or signed by
an unknown or revoked key; 2 unreadable (no QR, not a receipt, a file that cannot be read) or a
bad configuration.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_receipt_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    receipt = subparsers.add_parser("receipt", help="check a printed receipt")
    sub = receipt.add_subparsers(dest="receipt_action", required=True)
    p = sub.add_parser("verify", help="is this receipt genuine? (exit 0 genuine, 1 not, 2 unreadable)")
    p.add_argument("file", nargs="?", type=Path, help="the receipt as PDF, PNG or JPEG")
    p.add_argument("--text", help="the QR code's text (OV1:...) instead of a file")
    p.add_argument("--trust-list", type=Path, help="trust only the keys of this signed trust list file")
    p.add_argument("--json", action="store_true", help="the verdict as JSON")
    p.add_argument("--data-dir", type=Path, help="the kiosk's data folder (default: as configured)")
    p.add_argument("--config", type=Path, help="a TOML file overriding kiosk/defaults.toml")
    return receipt


def run_receipt(args: argparse.Namespace) -> int:
    """Entry for `kiosk receipt` (main thread); blocks on reading the file and, for a PDF, poppler."""
    from kiosk.config import ConfigError, load_config, with_data_dir
    from kiosk.services.datafolder import DataFolder
    from kiosk.services.receipts.reading import printed_mismatches, read_receipt
    from kiosk.services.receipts.seal import FORGED, UNREADABLE, ReceiptVerdict, UnreadablePayload, \
        verify_receipt_payload
    from kiosk.services.receipts.trust import TrustListRefused, kiosk_trust, read_trust_file
    from kiosk.services.safe_files import RefusedFile, read_regular, safe_name
    from kiosk.services.sync.settings import SyncSettingsError, settings_for

    if (args.file is None) == (args.text is None):
        print("give a receipt file or --text PAYLOAD (one of them)", file=sys.stderr)
        return 2
    try:
        config = load_config(args.config)
        if args.data_dir:
            config = with_data_dir(config, args.data_dir)
        files = DataFolder.for_config(config)
        settings = settings_for(config)
        backoffice = settings.signing_public() if settings.configured else None
        extra = read_trust_file(args.trust_list, backoffice) if args.trust_list else None
        trust = kiosk_trust(files, config.kiosk.id, backoffice, extra)
    except (ConfigError, SyncSettingsError, TrustListRefused, OSError) as exc:
        print(f"cannot check receipts: {exc}", file=sys.stderr)
        return 2

    printed: str | None = None
    try:
        if args.text is not None:
            payload = args.text
        else:
            from kiosk.services.receipts.reading import MAX_FILE_BYTES
            payload, printed = read_receipt(read_regular(args.file, MAX_FILE_BYTES))
        verdict = verify_receipt_payload(payload, trust)
    except (UnreadablePayload, RefusedFile, OSError) as exc:
        where = safe_name(args.file) if args.file else "the text"
        verdict = ReceiptVerdict(UNREADABLE, f"{where}: {exc}")
    differences = (printed_mismatches(verdict.summary, printed)
                   if verdict.summary is not None and verdict.genuine and printed is not None else [])
    if differences:
        # The QR is genuine but the paper says something else: a genuine code on a forged page.
        verdict = ReceiptVerdict(FORGED, "the printed text differs from what the QR code signs: "
                                 + "; ".join(differences), verdict.summary, verdict.key)
    _report(verdict, args.json, trusted=len(trust))
    if verdict.status == UNREADABLE and not trust:
        print("note: no trusted receipt keys (no receipt key in this data folder and no trust list)", file=sys.stderr)
    return verdict.exit_code


def _report(verdict: object, as_json: bool, trusted: int) -> None:
    from kiosk.services.receipts.seal import ReceiptVerdict
    assert isinstance(verdict, ReceiptVerdict)
    if as_json:
        print(json.dumps({**verdict.as_dict(), "trusted_keys": trusted}, ensure_ascii=False, indent=1))
        return
    label = {"genuine": "GENUINE 真实", "forged": "NOT GENUINE 伪造或被改动", "unknown-key": "UNKNOWN KEY 未知密钥",
             "revoked": "REVOKED KEY 密钥已吊销", "unreadable": "UNREADABLE 无法读取"}[verdict.status]
    print(f"{label}: {verdict.reason}")
    s = verdict.summary
    if s is None:
        return
    print("What the receipt's QR code signs (compare it with the paper):")
    print(f"  application {s.number}  check code {s.check_code}  issued {s.issued_at:%Y-%m-%d %H:%M} "
          f"at kiosk {s.kiosk_id}")
    print(f"  service {s.bundle_title} ({s.bundle_id}), catalogue {s.catalogue_version}")
    if s.provisional:
        print("  dates provisional: each department's clock starts when it receives the application")
    for i, item in enumerate(s.items, 1):
        approx = "approx. " if item.approximate else ""
        print(f"  {i}. {item.department}: due {approx}{item.due.isoformat()}, fee {item.fee_fen / 100:.2f} yuan")
