"""`kiosk sync ...`: the kiosk's side of the back office link, for staff and operators.

  kiosk sync status [--json]                 how many are pending and since when; frozen or not
  kiosk sync now [--timeout S] [--retry-refused] [--json]
                                             upload everything pending now, pull status and catalogue,
                                             all within S seconds; --retry-refused also sends again
                                             the applications set aside after repeated refusals
  kiosk sync export FOLDER [--all] [--json]  pending applications, sealed for the back office, to a
                                             folder (USB stick) for hand-carry
  kiosk sync key [--out FILE]                this kiosk's public key (PEM), for `python -m backoffice enrol`
  kiosk sync enrol --url URL --backoffice-keys FILE
                                             pin the back office (its public keys from
                                             `python -m backoffice keys --out FILE`)

All take --data-dir DIR and --config FILE like `kiosk run`. Exit codes: 0 fine; 1 something
is left to do (applications still pending after `now`, an export that failed); 2 bad
configuration or no back office configured; 3 (`status`) the kiosk is frozen.
"""
from __future__ import annotations

import argparse
import functools
from typing import TYPE_CHECKING
import json
import sys
import time
from pathlib import Path

if TYPE_CHECKING:
    from kiosk.config import Config
    from kiosk.services.storage import Storage


def add_sync_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    sync = subparsers.add_parser("sync", help="sync with the back office: status, now, export, enrol")
    sub = sync.add_subparsers(dest="sync_action", required=True)

    from kiosk.cli import add_common_options as common

    p = common(sub.add_parser("status", help="pending applications and since when; freeze state"))
    p.add_argument("--json", action="store_true")
    p = common(sub.add_parser("now", help="upload all pending applications now; pull status and catalogue"))
    p.add_argument("--timeout", type=float, default=120.0,
                   help="give up after this many seconds in all, whatever the server does (default 120)")
    p.add_argument("--retry-refused", action="store_true",
                   help="send again the applications set aside after the back office refused them repeatedly")
    p.add_argument("--json", action="store_true")
    p = common(sub.add_parser("export", help="write pending applications, sealed for the back office, to FOLDER"))
    p.add_argument("folder", type=Path)
    p.add_argument("--all", action="store_true", help="also those already exported before")
    p.add_argument("--json", action="store_true")
    p = common(sub.add_parser("key", help="print this kiosk's public key (PEM) for enrolment"))
    p.add_argument("--out", type=Path)
    p = common(sub.add_parser("enrol", help="pin the back office: URL and its public keys"))
    p.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8750")
    p.add_argument("--backoffice-keys", type=Path, required=True, help="from `python -m backoffice keys --out FILE`")
    return sync


def _context(args: argparse.Namespace) -> Config:
    from kiosk.config import load_config, with_data_dir

    config = load_config(args.config)
    if args.data_dir:
        config = with_data_dir(config, args.data_dir)
    return config


def run_sync(args: argparse.Namespace) -> int:
    from kiosk.config import ConfigError
    from kiosk.services.keystore import KeyProblem
    from kiosk.services.sync.settings import SyncSettingsError

    try:
        config = _context(args)
        return _ACTIONS[args.sync_action](args, config)
    except (ConfigError, SyncSettingsError, KeyProblem) as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


def _storage(config: Config) -> Storage:
    from kiosk.services.crypto import RecordCipher
    from kiosk.services.datafolder import DataFolder
    from kiosk.services.keystore import load_storage_key
    from kiosk.services.storage import Storage

    files = DataFolder.for_config(config)
    return Storage(files.db, RecordCipher(load_storage_key(files)))


def _status(args: argparse.Namespace, config: Config) -> int:
    from kiosk.services.sync.settings import settings_for
    from kiosk.services.sync.status_report import sync_status

    settings = settings_for(config)
    store = _storage(config)
    try:
        st = sync_status(store, settings)
    finally:
        store.close()
    if args.json:
        print(json.dumps({"kiosk_id": config.kiosk.id, **st.as_dict()}, ensure_ascii=False, indent=2))
        return 3 if st.freeze.frozen else 0
    c = st.counts
    print(f"kiosk {config.kiosk.id}: {st.summary().en}")
    print(f"  back office: {st.url or 'not configured (kiosk sync enrol)'}")
    print(f"  pending: {c.pending}" + (f" since {c.pending_since}" if c.pending_since else "")
          + (f" ({c.exported} exported for hand-carry, {c.failing} with failed attempts)" if c.pending else ""))
    print(f"  synced: {c.synced}" + (f" ({c.conflicts} differ from the back office's copy: kept there for review)"
                                     if c.conflicts else ""))
    if c.set_aside:
        print(f"  set aside: {c.set_aside} refused repeatedly by the back office, not sent again until "
              f"`kiosk sync now --retry-refused` ({c.set_aside_reason})")
    print(f"  last contact: {st.last_contact or 'never'}; last export: {st.last_export or 'never'}")
    print(f"  catalogue revision: {st.catalogue_revision}" + (f" (refused: {st.catalogue_error})" if st.catalogue_error else ""))
    if c.last_error:
        print(f"  last error: {c.last_error}")
    if st.freeze.frozen:
        print("  FROZEN: not taking new applications")
        for r in st.freeze.reasons:
            print(f"    - {r.en}\n      {r.zh}")
        return 3
    print("  taking new applications")
    return 0


def _now(args: argparse.Namespace, config: Config) -> int:
    from kiosk.services.catalogue_store import CatalogueRefused
    from kiosk.services.datafolder import DataFolder
    from kiosk.services.keystore import load_receipt_key, load_signing_key
    from kiosk.services.receipts.signer import ReceiptSigner
    from kiosk.services.receipts.trust import TrustListRefused
    from kiosk.services.sync.client import SyncClient, TransientSyncError
    from kiosk.services.sync.settings import settings_for
    from kiosk.services.sync.upload import Syncer

    deadline = time.monotonic() + args.timeout        # for everything below: uploads, retries, pulls
    settings = settings_for(config)
    if not settings.configured:
        print("no back office configured: run `kiosk sync enrol` first", file=sys.stderr)
        return 2
    files = DataFolder.for_config(config)
    client = SyncClient(settings.url, config.kiosk.id, load_signing_key(files),
                        settings.signing_public(), timeout=min(settings.request_timeout_seconds, args.timeout))
    client.deadline = deadline
    store = _storage(config)
    try:
        if args.retry_refused:
            store.requeue_set_aside()
        syncer = Syncer(store, client, settings, data_dir=config.data_dir, receipts=ReceiptSigner(load_receipt_key(files)))
        report = syncer.drain(deadline)
        pulled, catalogue, pull_error = 0, None, None
        try:
            pulled = syncer.pull_status()
            catalogue = syncer.pull_catalogue()
            syncer.pull_trust()
        except (TransientSyncError, CatalogueRefused, TrustListRefused) as exc:
            pull_error = str(exc)
        staff_audit = syncer.staff_and_audit()   # the audit trail up, the staff list down
        purged = syncer.purge_expired()       # [sync] retention_days: what the back office confirmed long ago
    finally:
        store.close()
        client.close()
    out = {**report.as_dict(), "status_changes": pulled, "catalogue_revision": catalogue, "pull_error": pull_error,
           "purged": purged, **staff_audit}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"uploaded: {report.created} new, {report.duplicate} already there, {report.conflict} conflict(s), "
              f"{report.rejected} refused; {report.remaining} still pending ({report.seconds:.1f}s, "
              f"{report.errors} network error(s))")
        print(f"status changes: {pulled}; catalogue: " + (f"new revision {catalogue}" if catalogue else "unchanged"))
        print(f"audit entries confirmed: {staff_audit['audit_confirmed']}; staff list: "
              + (f"{staff_audit['staff']} staff" if staff_audit["staff"] is not None else "unchanged"))
        for problem in staff_audit["errors"]:
            print(f"staff/audit: {problem}", file=sys.stderr)
        if purged:
            print(f"retention: personal data of {purged} delivered application(s) deleted")
        if report.set_aside:
            print(f"{report.set_aside} application(s) set aside: the back office refused them repeatedly "
                  "(kiosk sync status says why; --retry-refused sends them again)", file=sys.stderr)
        if report.last_error and report.remaining:
            print(f"last error: {report.last_error}", file=sys.stderr)
        if pull_error:
            print(f"pull failed: {pull_error}", file=sys.stderr)
    return 0 if report.remaining == 0 else 1


def _export(args: argparse.Namespace, config: Config) -> int:
    from kiosk.services.datafolder import DataFolder
    from kiosk.services.keystore import load_receipt_key, load_signing_key
    from kiosk.services.receipts.signer import ReceiptSigner
    from kiosk.services.safe_files import safe_name
    from kiosk.services.sync.export import ExportRefused, export_pending
    from kiosk.services.sync.settings import settings_for

    settings = settings_for(config)
    if not settings.backoffice_encryption_key:
        print("no back office key pinned: run `kiosk sync enrol` first", file=sys.stderr)
        return 2
    files = DataFolder.for_config(config)

    @functools.cache
    def receipts() -> ReceiptSigner:     # at the first record: a refused export creates no key
        return ReceiptSigner(load_receipt_key(files))

    store = _storage(config)
    try:
        report = export_pending(store, args.folder, settings, config.kiosk.id, load_signing_key(files),
                                keep_out=(files.root, files.keys), include_exported=args.all,
                                check_code=lambda number: receipts().check_code(number))
    except ExportRefused as exc:
        print(f"export refused: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"export failed: {safe_name(str(exc))}", file=sys.stderr)
        return 1
    finally:
        store.close()
    if args.json:
        print(json.dumps({"path": str(report.path) if report.path else None, "count": report.count}))
    elif report.path is None:
        print("nothing to export")
    else:
        print(f"exported {report.count} application(s) to {safe_name(report.path)}")
        print("they stay pending here until the back office confirms them online")
    return 0


def _key(args: argparse.Namespace, config: Config) -> int:
    from kiosk.services.datafolder import DataFolder
    from kiosk.services.keystore import load_signing_key
    from kiosk.services.sync.protocol import ed25519_public_pem

    pem = ed25519_public_pem(load_signing_key(DataFolder.for_config(config)).public_key())
    if args.out:
        args.out.write_text(pem)
        print(f"wrote {args.out}: enrol with `python -m backoffice enrol --kiosk-id {config.kiosk.id} "
              f"--public-key {args.out}`")
    else:
        print(pem, end="")
    return 0


def _enrol(args: argparse.Namespace, config: Config) -> int:
    from dataclasses import replace
    from datetime import datetime

    from kiosk.services.sync.protocol import ProtocolError, ed25519_public_from_text, x25519_public_from_text
    from kiosk.services.sync.settings import load_sync_settings, save_sync_settings

    try:
        doc = json.loads(args.backoffice_keys.read_text("utf-8"))
        ed25519_public_from_text(doc["signing_key"])
        x25519_public_from_text(doc["encryption_key"])
    except (OSError, ValueError, KeyError, TypeError, ProtocolError) as exc:
        print(f"{args.backoffice_keys}: not a back office key file ({exc})", file=sys.stderr)
        return 2
    settings = replace(load_sync_settings(config.data_dir, env={}), url=args.url, backoffice_signing_key=doc["signing_key"],
                       backoffice_encryption_key=doc["encryption_key"],
                       enrolled_at=datetime.now().replace(microsecond=0).isoformat())
    path = save_sync_settings(config.data_dir, settings)
    print(f"wrote {path}; this kiosk ({config.kiosk.id}) must be enrolled at the back office with its key "
          f"(`kiosk sync key --out FILE`, then `python -m backoffice enrol --kiosk-id {config.kiosk.id} --public-key FILE`)")
    return 0


_ACTIONS = {"status": _status, "now": _now, "export": _export, "key": _key, "enrol": _enrol}


def main(argv: list[str] | None = None) -> int:
    """`python -m kiosk.cli.sync ...` works before the `kiosk` command has the subcommand."""
    import logging

    parser = argparse.ArgumentParser(prog="kiosk")
    add_sync_parser(parser.add_subparsers(dest="command", required=True))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return run_sync(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
