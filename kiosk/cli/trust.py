"""`kiosk card trust ...`: the CSCA trust store that passive authentication believes (operators).

  kiosk card trust import FILE... [--trust-store DIR] [--fingerprint SHA256]... [--allow-test] [--json]
  kiosk card trust list [--trust-store DIR] [--json]

FILE: a CSCA certificate (imported only with --fingerprint, checked out of band), a CRL (signed by
a CSCA of the store) or a CSCA master list (signed under a CSCA of the store); see
kiosk/devices/icao/trust_import.py. The store is the configuration's devices.csca_dir
(ONEVISIT_DEVICES_CSCA_DIR) unless --trust-store is given. Restart the kiosk afterwards: the store
is read when the card reader is built.

Runs on the main thread; blocks on the file system only. Exit codes: 0 every file imported;
1 a file was refused (the others are still imported); 2 no trust store folder.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.config import Config


def add_trust_parser(card_sub: argparse._SubParsersAction) -> None:
    trust = card_sub.add_parser("trust", help="the CSCA trust store: import certificates, CRLs, master lists")
    sub = trust.add_subparsers(dest="trust_action", required=True)
    imp = sub.add_parser("import", help="verify files and copy them into the trust store")
    imp.add_argument("files", type=Path, nargs="+", metavar="FILE")
    imp.add_argument("--fingerprint", action="append", default=[],
                     help="SHA-256 fingerprint of a CSCA certificate to import (checked out of band); repeatable")
    imp.add_argument("--allow-test", action="store_true", help="accept TEST certificates (demo and test stores only)")
    lst = sub.add_parser("list", help="what the trust store holds")
    from kiosk.cli import add_common_options
    for p in (imp, lst):
        add_common_options(p)
        p.add_argument("--trust-store", type=Path, help="the folder (default: the configured devices.csca_dir)")
        p.add_argument("--json", action="store_true")


def configured_trust_store(config: Config | None = None) -> Path | None:
    """The configured devices.csca_dir (relative paths under assets/), or None when it is empty.
    `config`: the one --config/--data-dir name (default: the packaged defaults and environment)."""
    from kiosk.config import load_config

    config = config or load_config()
    return config.asset(config.devices.csca_dir) if config.devices.csca_dir.strip() else None


def read_trust_store(folder: Path | None, config: Config | None = None):
    """For `kiosk card read`: the --trust-store folder, else the configured one, saying on stderr
    what would make its verdicts worthless (a TEST certificate, an empty store)."""
    from kiosk.devices.icao.trust import TrustStore

    store = TrustStore.load(folder or configured_trust_store(config))
    for file, cert in store.test_certificates():
        print(f"WARNING the trust store holds a TEST certificate ({file}: {cert.subject.rfc4514_string()}): "
              f"forged documents can pass", file=sys.stderr)
    if store.is_empty:
        print("WARNING the trust store is empty: no document can pass (devices.csca_dir or --trust-store)",
              file=sys.stderr)
    return store


def run_trust(args: argparse.Namespace) -> int:
    folder = args.trust_store or configured_trust_store(getattr(args, "loaded_config", None))
    if folder is None:
        print("no trust store folder: set devices.csca_dir (or ONEVISIT_DEVICES_CSCA_DIR), or pass --trust-store",
              file=sys.stderr)
        return 2
    if args.trust_action == "list":
        return _list(folder, args.json)
    return _import(args, folder)


def _import(args: argparse.Namespace, folder: Path) -> int:
    from kiosk.devices.icao.errors import TrustStoreError
    from kiosk.devices.icao.trust_import import import_file

    results, refused = [], 0
    for path in args.files:
        try:
            done = import_file(path, folder, fingerprints=args.fingerprint, allow_test=args.allow_test)
        except TrustStoreError as exc:
            refused += 1
            results.append({"file": str(path), "ok": False, "error": str(exc)})
            if not args.json:
                print(f"REFUSED {path}: {exc}", file=sys.stderr)
            continue
        results.append({"file": str(path), "ok": True, "kind": done.kind, "written": list(done.written),
                        "notes": list(done.notes)})
        if not args.json:
            print(f"imported {path} ({done.kind}): {', '.join(done.written) or 'nothing new'}")
            for note in done.notes:
                print(f"  note: {note}")
    if args.json:
        print(json.dumps({"trust_store": str(folder), "files": results}, ensure_ascii=False))
    elif not refused:
        print(f"trust store {folder} updated; restart the kiosk to use it")
    return 1 if refused else 0


def _list(folder: Path, as_json: bool) -> int:
    from kiosk.devices.icao.trust import TrustStore, country_of, fingerprint, is_test_certificate

    store = TrustStore.load(folder)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []   # JSON objects
    for cert in store.certificates:
        crls = store.crls_of(cert)
        newest = max(crls, key=lambda c: c.last_update_utc) if crls else None
        rows.append({"file": store.file_of(cert), "subject": cert.subject.rfc4514_string(),
                     "country": country_of(cert.subject), "not_after": cert.not_valid_after_utc.isoformat(),
                     "expired": cert.not_valid_after_utc < now, "test": is_test_certificate(cert),
                     "sha256": fingerprint(cert),
                     "crl": None if newest is None else {
                         "this_update": newest.last_update_utc.isoformat(),
                         "next_update": newest.next_update_utc.isoformat() if newest.next_update_utc else None,
                         "revoked": len(list(newest))}})
    if as_json:
        print(json.dumps({"trust_store": str(folder), "certificates": rows}, ensure_ascii=False))
        return 0
    print(f"{folder}: {len(rows)} CSCA certificate(s)")
    for r in rows:
        flags = " TEST" * r["test"] + " EXPIRED" * r["expired"]
        crl = r["crl"]
        crl_text = "no CRL" if crl is None else f"CRL next update {crl['next_update']}, {crl['revoked']} revoked"
        print(f"  {r['country'] or '??'} {r['subject']}{flags}\n    {r['file']}  sha256 {r['sha256']}  {crl_text}")
    return 0
