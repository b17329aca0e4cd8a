"""`python -m backoffice` commands for accounts, the audit log and encryption at rest:

  account create USERNAME (--admin | --role ROLE) [--department ID ...] [--password-stdin]
  account list [--json] | password USERNAME [--password-stdin] | departments USERNAME ID...
  account disable|enable|unlock USERNAME
  departments [--json]            the department ids officials' accounts name
  audit [--number N] [--limit N] [--json]
  migrate                         move an old release's database into db/ and encrypt its records
  rotate-key [--reencrypt]        a new key-encryption key; re-wrap every row's data key under it
  prune-keys                      drop keys no row uses any more (keep the keyring's backup!)

Passwords are read from the terminal (twice) or, with --password-stdin, from one line of standard
input; never from the command line, where other users' `ps` would see them. Every change is
written to the audit log as "cli:<the operating-system user>". Caller's thread.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import Any

COMMANDS = ("account", "departments", "audit", "migrate", "rotate-key", "prune-keys")


def add_parsers(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    from backoffice.accounts import ROLES
    acc = sub.add_parser("account", help="officials' and staff accounts")
    asub = acc.add_subparsers(dest="action", required=True)
    p = asub.add_parser("create", help="create an account (the first admin: --admin)")
    common(p)
    p.add_argument("username")
    role = p.add_mutually_exclusive_group(required=True)
    role.add_argument("--admin", action="store_true", help="an administrator (manages accounts)")
    role.add_argument("--role", choices=ROLES)
    p.add_argument("--department", action="append", default=[], help="a department id (repeat for several)")
    p.add_argument("--password-stdin", action="store_true")
    p = asub.add_parser("list")
    common(p)
    p.add_argument("--json", action="store_true")
    p = asub.add_parser("password", help="set a new password (ends the account's sessions)")
    common(p)
    p.add_argument("username")
    p.add_argument("--password-stdin", action="store_true")
    p = asub.add_parser("departments", help="replace an account's departments (ends its sessions)")
    common(p)
    p.add_argument("username")
    p.add_argument("department", nargs="+")
    for name in ("disable", "enable", "unlock"):
        p = asub.add_parser(name)
        common(p)
        p.add_argument("username")
    p = sub.add_parser("departments", help="department ids and names known from applications and the catalogue")
    common(p)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("audit", help="the audit log, newest first")
    common(p)
    p.add_argument("--number")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    common(sub.add_parser("migrate", help="upgrade an older release's database: move it, encrypt its records"))
    p = sub.add_parser("rotate-key", help="new key-encryption key; re-wrap every stored data key")
    common(p)
    p.add_argument("--reencrypt", action="store_true", help="also new data keys: re-encrypt every record")
    common(sub.add_parser("prune-keys", help="remove keys no stored row needs"))


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("no terminal to ask for the password: use --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def run(args: argparse.Namespace, bo: Any) -> int:
    from backoffice import audit
    from backoffice.accounts import AccountError
    from backoffice.at_rest import AtRestError
    try:
        if args.command == "account":
            return _account(args, bo)
        if args.command == "departments":
            rows = known_departments(bo)
            if args.json:
                print(json.dumps(rows, ensure_ascii=False))
            for r in rows if not args.json else []:
                print(f"{r['id']:<50} {r['zh']}  {r['en']}")
        elif args.command == "audit":
            rows = audit.entries(bo.engine, number=args.number, limit=args.limit)
            if args.json:
                print(json.dumps(rows, ensure_ascii=False))
            for r in rows if not args.json else []:
                print(f"{r['id']:>6} {r['at']} {r['actor']:<28} {r['action']:<18} {r['number'] or '':<24} "
                      f"{r['item_id'] or ''} {r['detail']}")
        elif args.command == "rotate-key":
            from backoffice.migrate import rewrap_rows
            kid = bo.at_rest.keyring.add_key()
            n = rewrap_rows(bo, reencrypt=args.reencrypt)
            audit.record(bo.engine, _actor(), "key.rotate", detail=f"new key {kid}; {n} row(s) re-wrapped"
                         + (" and re-encrypted" if args.reencrypt else ""))
            print(f"new key {kid} is current; {n} row(s) {'re-encrypted' if args.reencrypt else 're-wrapped'}. "
                  f"Back up {bo.at_rest.keyring.path} now; run `prune-keys` later to drop the old key(s).")
        elif args.command == "prune-keys":
            from backoffice.migrate import keys_in_use, rewrap_rows
            rewrap_rows(bo)                         # anything a server sealed with an old key meanwhile
            ring = bo.at_rest.keyring.ring()
            unused = set(ring.keys) - keys_in_use(bo.engine) - {ring.current}
            if unused:
                bo.at_rest.keyring.remove_keys(unused)
                audit.record(bo.engine, _actor(), "key.prune", detail=f"removed {', '.join(sorted(unused))}")
            print(f"removed {len(unused)} key(s): {', '.join(sorted(unused)) or '-'}. Database backups made before "
                  "the rotation need the keyring backup that still holds them.")
    except (AccountError, AtRestError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _account(args: argparse.Namespace, bo: Any) -> int:
    from backoffice import audit
    from backoffice.accounts import Accounts
    from backoffice.sessions import end_sessions_of
    accounts = Accounts(bo.engine)
    a = args.action
    if a == "list":
        rows = accounts.all()
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        for r in rows if not args.json else []:
            state = "disabled" if r["disabled"] else ("LOCKED" if r["locked"] else "active")
            print(f"{r['username']:<24} {r['role']:<17} {state:<8} {','.join(r['departments'])}")
        return 0
    if a == "create":
        role = "admin" if args.admin else args.role
        known = {d["id"] for d in known_departments(bo)}
        unknown = [d for d in args.department if d not in known]
        if unknown:
            print(f"note: no application or published catalogue names department(s) {', '.join(unknown)} yet",
                  file=sys.stderr)
        acct = accounts.create(args.username, _password(args), role, args.department)
        detail = f"role {role}" + (f"; departments {','.join(acct.departments)}" if acct.departments else "")
        print(f"created {acct.username} ({detail})")
    elif a == "password":
        accounts.set_password(args.username, _password(args))
        end_sessions_of(bo.engine, args.username)
        detail = "password set; sessions ended"
        print(detail)
    elif a == "departments":
        accounts.set_departments(args.username, args.department)
        end_sessions_of(bo.engine, args.username)
        detail = f"departments {','.join(sorted(set(args.department)))}"
        print(detail)
    elif a in ("disable", "enable"):
        accounts.set_disabled(args.username, a == "disable")
        end_sessions_of(bo.engine, args.username)
        detail = a + "d"
        print(f"{args.username} {detail}")
    else:
        accounts.unlock(args.username)
        detail = "unlocked"
        print(f"{args.username} unlocked")
    audit.record(bo.engine, _actor(), f"account.{a}", detail=f"{args.username}: {detail}")
    return 0


def known_departments(bo: Any) -> list[dict]:
    """Departments named by received applications and by the newest published catalogue."""
    import yaml
    from sqlalchemy import func, select

    from backoffice import db
    from backoffice.departments import department_id
    out: dict[str, dict] = {}
    d, c = db.department_requests.c, db.catalogues.c
    with bo.engine.connect() as conn:
        for dept_id, zh in conn.execute(select(d.department_id, func.min(d.department))
                                        .where(d.department_id.is_not(None)).group_by(d.department_id)):
            out[dept_id] = {"id": dept_id, "zh": zh, "en": ""}
        content = conn.execute(select(c.content).order_by(c.revision.desc()).limit(1)).scalar()
    if content:
        doc = yaml.safe_load(content) or {}
        for bundle in doc.get("bundles", []) or []:
            for item in bundle.get("items", []) or []:
                name = item.get("department") or {}
                out[department_id(name)] = {"id": department_id(name), "zh": name.get("zh", ""), "en": name.get("en", "")}
    return sorted(out.values(), key=lambda r: r["id"])


def migrate(args: argparse.Namespace) -> int:
    """Move a pre-encryption release's database into db/ and seal its rows (service stopped)."""
    from backoffice.layout import BackofficeFolder, move_legacy_database, open_backoffice
    folder = BackofficeFolder(args.data_dir, args.at_rest_key)
    if args.db is None and move_legacy_database(folder):
        print(f"moved the database to {folder.db}")
    bo = open_backoffice(folder, args.db, seal_plaintext=True)
    try:
        from backoffice import audit
        from backoffice.migrate import keys_in_use
        audit.record(bo.engine, _actor(), "migrate")
        print(f"database up to date; records sealed with key(s) {', '.join(sorted(keys_in_use(bo.engine))) or '-'}; "
              f"keyring {bo.at_rest.keyring.path} (back it up, apart from the database)")
    finally:
        bo.engine.dispose()
    return 0
