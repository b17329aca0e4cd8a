"""`python -m backoffice` commands for kiosk staff and the kiosks' audit trails:

  staff create USERNAME --name NAME --staff-number N --role clerk|supervisor --station KIOSK-ID [...]
               [--valid-until YYYY-MM-DD] [--with-id-card] [--pin-stdin]
  staff list [--json] | pin STAFF-NUMBER [--pin-stdin] | stations STAFF-NUMBER KIOSK-ID...
  staff id-card STAFF-NUMBER [--remove] [--pin-stdin]   set (or remove) their own ID card number
  kiosk-audit verify [--kiosk-id ID] [--json]     exit 0 every held chain intact, 1 one is broken
  kiosk-audit list [--kiosk-id ID] [--staff N] [--limit N] [--json]

PINs (and, with --with-id-card, the staff member's own ID card number) are read from the
terminal or, with --pin-stdin, from lines of standard input (PIN first); never from the command
line, where `ps` would show them. Changes are written to the audit log as "cli:<user>".
Caller's thread; `create` and `pin` block on argon2.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import Any

COMMANDS = ("staff", "kiosk-audit")


def add_parsers(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    st = sub.add_parser("staff", help="kiosk staff accounts: clerks and supervisors")
    ssub = st.add_subparsers(dest="action", required=True)
    p = ssub.add_parser("create", help="a clerk or supervisor account with a kiosk PIN")
    common(p)
    p.add_argument("username")
    p.add_argument("--name", required=True)
    p.add_argument("--staff-number", required=True)
    p.add_argument("--role", choices=("clerk", "supervisor"), required=True)
    p.add_argument("--station", action="append", required=True, help="a kiosk id they may serve (repeat)")
    p.add_argument("--valid-until", help="last day the account may sign in (YYYY-MM-DD)")
    p.add_argument("--with-id-card", action="store_true", help="also ask for their own ID card number (card sign-in)")
    p.add_argument("--pin-stdin", action="store_true")
    p = ssub.add_parser("list")
    common(p)
    p.add_argument("--json", action="store_true")
    p = ssub.add_parser("pin", help="set a new kiosk PIN (kiosks get it at their next sync)")
    common(p)
    p.add_argument("staff_number")
    p.add_argument("--pin-stdin", action="store_true")
    p = ssub.add_parser("id-card", help="set their own ID card number for card sign-in (kept only as a slow hash)")
    common(p)
    p.add_argument("staff_number")
    p.add_argument("--remove", action="store_true", help="no card sign-in for them any more")
    p.add_argument("--pin-stdin", action="store_true", help="read the number from standard input")
    p = ssub.add_parser("stations", help="replace the kiosks a staff member may serve")
    common(p)
    p.add_argument("staff_number")
    p.add_argument("station", nargs="+")
    ka = sub.add_parser("kiosk-audit", help="the kiosks' audit trails: verify the chains, list entries")
    kasub = ka.add_subparsers(dest="action", required=True)
    p = kasub.add_parser("verify", help="check every held chain (or one kiosk's): exit 1 if one is broken")
    common(p)
    p.add_argument("--kiosk-id")
    p.add_argument("--json", action="store_true")
    p = kasub.add_parser("list", help="entries, newest first")
    common(p)
    p.add_argument("--kiosk-id")
    p.add_argument("--staff")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")


def _secret(args: argparse.Namespace, prompt: str) -> str:
    if args.pin_stdin:
        return sys.stdin.readline().strip()
    if not sys.stdin.isatty():
        raise ValueError("no terminal to ask on: use --pin-stdin")
    first = getpass.getpass(f"{prompt}: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two entries differ")
    return first


def run(args: argparse.Namespace, bo: Any) -> int:
    from backoffice.accounts import AccountError
    try:
        if args.command == "staff":
            return _staff(args, bo)
        return _kiosk_audit(args, bo)
    except (AccountError, ValueError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _staff(args: argparse.Namespace, bo: Any) -> int:
    from backoffice import audit
    from backoffice.staff import StaffAccounts
    staff = StaffAccounts(bo)
    actor = f"cli:{getpass.getuser()}"
    if args.action == "list":
        rows = staff.members()
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        for m in rows if not args.json else []:
            print(f"{m['staff_number']:<10} {m['role']:<10} {m['username']:<20} {'disabled' if m['disabled'] else 'active':<8} "
                  f"{','.join(m['stations'])}  {m['name']}")
        return 0
    if args.action == "create":
        pin = _secret(args, "Kiosk PIN (6-12 digits)")
        id_number = _secret(args, "Own ID card number") if args.with_id_card else None
        m = staff.create(args.username, args.name, args.staff_number, args.role, args.station, pin,
                         id_number=id_number, valid_until=args.valid_until)
        detail = f"{m['username']}: {m['role']} {m['staff_number']}; stations {','.join(m['stations'])}"
        audit.record(bo.engine, actor, "staff.create", detail=detail)
        print(f"created staff {m['staff_number']} ({m['role']}, {m['username']}); kiosks get it at their next sync")
        return 0
    if args.action == "pin":
        staff.set_pin(args.staff_number, _secret(args, "New kiosk PIN"))
        detail = f"{args.staff_number.upper()}: PIN set"
    elif args.action == "id-card":
        # The number itself is personal: never on the command line, in the log or in the output.
        staff.set_id_number(args.staff_number, None if args.remove else _secret(args, "Own ID card number") or None)
        detail = f"{args.staff_number.upper()}: ID card sign-in {'removed' if args.remove else 'set'}"
    else:
        staff.set_stations(args.staff_number, args.station)
        detail = f"{args.staff_number.upper()}: stations {','.join(sorted(set(args.station)))}"
    audit.record(bo.engine, actor, f"staff.{args.action}", detail=detail)
    print(detail)
    return 0


def _kiosk_audit(args: argparse.Namespace, bo: Any) -> int:
    from backoffice import kiosk_audit
    if args.action == "list":
        rows = kiosk_audit.entries(bo.engine, staff=args.staff.upper() if args.staff else None,
                                   kiosks=[args.kiosk_id] if args.kiosk_id else None, limit=args.limit)
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        for r in rows if not args.json else []:
            print(f"{r['kiosk_id']} {r['seq']:>6} {r['at']} {r['type']:<22} {r['staff'] or '-':<10} {r['ref'] or '-'} "
                  + " ".join(f"{k}={v}" for k, v in sorted(r["details"].items())))
        return 0
    kiosks = [args.kiosk_id] if args.kiosk_id else kiosk_audit.kiosks_with_trails(bo.engine)
    reports = {k: kiosk_audit.verify_stored(bo, k) for k in kiosks}
    if args.json:
        print(json.dumps({k: r.as_dict() for k, r in reports.items()}))
    for k, report in reports.items() if not args.json else []:
        if report.ok:
            print(f"kiosk {k}: intact, {report.count} entries (head {report.head_seq})")
        else:
            print(f"kiosk {k}: BROKEN at entry {report.first_bad}: {report.reason}", file=sys.stderr)
    return 0 if all(r.ok for r in reports.values()) else 1
