"""`kiosk audit ...`: the kiosk's audit trail (staff sign-ins, overrides, proxies, help calls).

  kiosk audit list [--json] [--type T] [--limit N]   entries, oldest first (the newest N with --limit)
  kiosk audit verify [--json]                        check the whole chain: exit 0 intact, 1 broken
                                                     (the first bad entry named), 2 configuration

Both take --data-dir DIR and --config FILE like `kiosk run`. The chain is checked with this
kiosk's public key (from its key in the keys folder): every entry must decrypt, link to the
one before and carry the kiosk's signature. Main thread; blocks on SQLite.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_audit_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    audit = subparsers.add_parser("audit", help="the audit trail of staff actions: list, verify")
    sub = audit.add_subparsers(dest="audit_action", required=True)

    def common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--data-dir", type=Path, help="the kiosk's data folder (default: as configured)")
        p.add_argument("--config", type=Path, help="a TOML file overriding kiosk/defaults.toml")
        p.add_argument("--json", action="store_true")
        return p

    p = common(sub.add_parser("list", help="the entries, oldest first"))
    p.add_argument("--type", help="only entries of this type (e.g. override, staff_sign_in)")
    p.add_argument("--limit", type=int, help="only the newest N")
    common(sub.add_parser("verify", help="check the chain and the signatures: exit 1 if broken"))
    return audit


def run_audit(args: argparse.Namespace) -> int:
    from kiosk.config import ConfigError, load_config, with_data_dir
    from kiosk.services.audit.log import AuditLog
    from kiosk.services.crypto import RecordCipher
    from kiosk.services.datafolder import DataFolder
    from kiosk.services.keystore import KeyProblem, load_signing_key, load_storage_key
    from kiosk.services.storage import Storage

    try:
        config = load_config(args.config)
        if args.data_dir:
            config = with_data_dir(config, args.data_dir)
        files = DataFolder.for_config(config)
        if not files.db.exists():
            print(f"no kiosk store at {files.db}", file=sys.stderr)
            return 2
        store = Storage(files.db, RecordCipher(load_storage_key(files)))
        public = load_signing_key(files).public_key()
    except (ConfigError, KeyProblem) as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        log = AuditLog(store, config.kiosk.id)
        if args.audit_action == "list":
            rows = list(log.rows())
            if args.type:
                rows = [r for r in rows if r.entry is None or r.entry.type == args.type]
            if args.limit:
                rows = rows[-args.limit:]
            if args.json:
                print(json.dumps([{**r.entry.as_dict(), "synced_at": r.synced_at} if r.entry else
                                  {"seq": r.seq, "unreadable": r.problem} for r in rows], ensure_ascii=False, indent=1))
            for r in rows if not args.json else []:
                if r.entry is None:
                    print(f"{r.seq:>6}  UNREADABLE: {r.problem}")
                    continue
                e = r.entry
                print(f"{e.seq:>6}  {e.at}  {e.type:<22} {e.staff or '-':<10} {e.ref or '-':<24} "
                      + " ".join(f"{k}={v}" for k, v in sorted(e.details.items()))
                      + ("" if r.synced_at else "  (not yet at the back office)"))
            return 0
        report = log.verify(public)
        total, unsynced = log.counts()
    finally:
        store.close()
    if args.json:
        print(json.dumps({**report.as_dict(), "entries": total, "not_synced": unsynced}))
    elif report.ok:
        print(f"audit trail intact: {report.count} entries, head {report.head_seq}"
              + (f" ({unsynced} not yet at the back office)" if unsynced else ""))
    else:
        print(f"audit trail BROKEN at entry {report.first_bad}: {report.reason}", file=sys.stderr)
    return 0 if report.ok else 1
