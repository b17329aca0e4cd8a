"""`python -m backoffice`: run the service and the officials' tools.

  python -m backoffice [serve] [--db URL] [--data-dir DIR] [--host 127.0.0.1] [--port 8750]
                       [--tls-cert FILE --tls-key FILE] [--records-file FILE] [--identity-file FILE]
  python -m backoffice enrol --kiosk-id ID --public-key FILE [--name NAME] [--reactivate]
  python -m backoffice revoke --kiosk-id ID [--receipt-key KEY_ID|all]
                                                    --receipt-key: only its receipt key(s), in the trust list
  python -m backoffice kiosks
  python -m backoffice keys [--out FILE]            public keys for `kiosk sync enrol`
  python -m backoffice import PATH [--json] [--max-mb N]
                                                    hand-carried exports (a folder or one file)
  python -m backoffice list [--department D] [--json]
  python -m backoffice status NUMBER ITEM STATUS [--note TEXT]
  python -m backoffice catalogue-publish FILE
  python -m backoffice conflicts [--json]
  python -m backoffice openapi
  python -m backoffice account create|list|password|departments|disable|enable|unlock ...
  python -m backoffice departments | audit | migrate | rotate-key [--reencrypt] | prune-keys
  (the officials' commands: backoffice/cli_officials.py)
  python -m backoffice staff create|list|pin|stations ... | kiosk-audit verify|list ...
  (kiosk staff and the kiosks' audit trails: backoffice/cli_staff.py)

Every command takes --db (default sqlite:///<data-dir>/db/backoffice.sqlite3; PostgreSQL with
postgresql://user@host:port/db), --data-dir (default $ONEVISIT_BACKOFFICE_DIR or
./backoffice-data; the back office's keys live in <data-dir>/keys) and --at-rest-key (the
keyring that encrypts records at rest; default <data-dir>/keys/at-rest.keyring or
$ONEVISIT_BACKOFFICE_AT_REST_KEY). See backoffice/layout.py.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
from typing import TYPE_CHECKING, Any
from pathlib import Path

from backoffice import cli_officials, cli_staff

COMMANDS = ("serve", "enrol", "revoke", "kiosks", "keys", "import", "list", "status", "catalogue-publish",
            "conflicts", "openapi") + cli_officials.COMMANDS + cli_staff.COMMANDS
DEFAULT_PORT = 8750

if TYPE_CHECKING:
    from backoffice.service import Backoffice


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="database URL (default: SQLite in the data folder)")
    p.add_argument("--data-dir", type=Path, default=Path(os.environ.get("ONEVISIT_BACKOFFICE_DIR", "backoffice-data")),
                   help="folder for the keys and the default SQLite database")
    p.add_argument("--at-rest-key", type=Path, help="the at-rest keyring file (default: <data-dir>/keys/at-rest.keyring)")
    p.add_argument("-v", "--verbose", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m backoffice", description="OneVisit back office")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP service (the default command)")
    _common(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    serve.add_argument("--port-file", type=Path, help="write the port here once listening (for scripts and tests)")
    serve.add_argument("--max-skew", type=int, default=300, help="seconds a request's timestamp may be off")
    serve.add_argument("--tls-cert", type=Path, help="serve HTTPS with this certificate chain (PEM)")
    serve.add_argument("--tls-key", type=Path, help="... and this private key (PEM)")
    serve.add_argument("--behind-tls-proxy", action="store_true",
                       help="a TLS proxy in front terminates HTTPS: mark cookies Secure")
    serve.add_argument("--records-file", type=Path,
                       help="government records for prefill from this file (the demo's: assets/demo/government-records.yaml)")
    serve.add_argument("--identity-file", type=Path,
                       help="reference photos for kiosks' checks without the card (the demo's: "
                            "assets/demo/identity-references.yaml); production forwards to the public-security platform")
    serve.add_argument("--identity-per-minute", type=int, default=6, help="reference photos one kiosk may ask for a minute")
    serve.add_argument("--session-idle-minutes", type=int, default=30)
    serve.add_argument("--session-hours", type=int, default=12, help="a session ends this long after sign-in")
    _http_limit_options(serve)
    p = sub.add_parser("enrol", help="enrol a kiosk (or replace its key)")
    _common(p)
    p.add_argument("--kiosk-id", required=True)
    p.add_argument("--public-key", type=Path, required=True, help="the kiosk's Ed25519 public key (PEM or base64)")
    p.add_argument("--name", default="")
    p.add_argument("--reactivate", action="store_true", help="let a revoked kiosk send again (re-enrolling it)")
    p = sub.add_parser("revoke", help="refuse a kiosk's requests from now on")
    _common(p)
    p.add_argument("--kiosk-id", required=True)
    p.add_argument("--receipt-key", help="revoke only this receipt key ('all': every one of the kiosk's); "
                                         "its receipts then no longer verify")
    _common(sub.add_parser("kiosks", help="list enrolled kiosks"))
    p = sub.add_parser("keys", help="print (or write) the back office's public keys for kiosk enrolment")
    _common(p)
    p.add_argument("--out", type=Path)
    p = sub.add_parser("import", help="import hand-carried exports from a folder or a file")
    _common(p)
    p.add_argument("path", type=Path)
    p.add_argument("--json", action="store_true")
    p.add_argument("--max-mb", type=int, default=None,
                   help="refuse export files larger than this many MiB (default 256)")
    p = sub.add_parser("list", help="received applications per department")
    _common(p)
    p.add_argument("--department")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("status", help="record a department's status change (kiosks pull it)")
    _common(p)
    p.add_argument("number")
    p.add_argument("item_id")
    p.add_argument("status")
    p.add_argument("--note", default="")
    p = sub.add_parser("catalogue-publish", help="validate, sign and publish a catalogue file")
    _common(p)
    p.add_argument("file", type=Path)
    p = sub.add_parser("conflicts", help="applications kept for review (same number, different content)")
    _common(p)
    p.add_argument("--json", action="store_true")
    _common(sub.add_parser("openapi", help="print the OpenAPI document"))
    cli_officials.add_parsers(sub, _common)
    cli_staff.add_parsers(sub, _common)
    return parser


def _backoffice(args: argparse.Namespace, **kw: Any) -> Backoffice:
    from backoffice.layout import BackofficeFolder, open_backoffice

    folder = BackofficeFolder(args.data_dir, args.at_rest_key)
    return open_backoffice(folder, args.db, seal_plaintext=args.command in ("serve", "migrate"), **kw)


def _is_loopback(host: str) -> bool:
    import ipaddress
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def plain_http_warning(host: str) -> str:
    return (f"WARNING: listening on {host} beyond this machine WITHOUT TLS: officials' passwords, session cookies "
            "and citizens' records would cross the network readable. Use --tls-cert/--tls-key (or a TLS proxy "
            "with --behind-tls-proxy and bind 127.0.0.1).")


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from backoffice.app import create_app
    from backoffice.records import YamlRecordsSource
    from backoffice.sessions import SessionPolicy
    from backoffice.web import WebSettings

    tls = bool(args.tls_cert or args.tls_key)
    if tls and not (args.tls_cert and args.tls_key):
        print("--tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    records = YamlRecordsSource(args.records_file) if args.records_file else None
    bo = _backoffice(args, max_skew=args.max_skew)
    from backoffice.identity import YamlIdentitySource
    identity = YamlIdentitySource(args.identity_file) if args.identity_file else None
    web = WebSettings(secure=tls or args.behind_tls_proxy, records=records, identity=identity,
                      identity_per_minute=args.identity_per_minute,
                      sessions=SessionPolicy(args.session_idle_minutes * 60, args.session_hours * 3600))
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    sock.listen(1024)
    port = sock.getsockname()[1]
    app = create_app(bo, web)
    config = uvicorn.Config(app, log_level="info" if args.verbose else "warning",
                            access_log=args.verbose, timeout_graceful_shutdown=5, lifespan="off",
                            ssl_certfile=str(args.tls_cert) if tls else None, ssl_keyfile=str(args.tls_key) if tls else None)
    _apply_http_limits(args, app, config)
    server = uvicorn.Server(config)
    if args.port_file:
        tmp = args.port_file.with_name(args.port_file.name + ".tmp")
        tmp.write_text(str(port))
        tmp.replace(args.port_file)
    if not tls and not _is_loopback(args.host):
        banner = "!" * 100
        print(f"{banner}\n{plain_http_warning(args.host)}\n{banner}", file=sys.stderr, flush=True)
        logging.getLogger("backoffice").warning(plain_http_warning(args.host))
    print(f"back office listening on {'https' if tls else 'http'}://{args.host}:{port} "
          f"(db {bo.engine.url.render_as_string(hide_password=True)})", flush=True)
    from backoffice import connections
    connections.run(server, [sock])
    bo.engine.dispose()
    return 0


# --- HTTP limits (backoffice/limits.py, backoffice/connections.py) -----------------------------
def _http_limit_options(serve: argparse.ArgumentParser) -> None:
    # Defaults live with the limits (not imported here: the other commands need no uvicorn).
    serve.add_argument("--header-timeout", type=float,
                       help="seconds for a request's head to arrive; slow or half-open connections are closed "
                            "(default 10)")
    serve.add_argument("--body-timeout", type=float, help="seconds for a request's whole body to arrive, 408 after "
                                                          "(default 60)")
    serve.add_argument("--max-connections", type=int,
                       help="open connections, lowered to fit the file descriptor limit (default 1000)")


def _apply_http_limits(args: argparse.Namespace, app: object, config: object) -> None:
    """The limits of `serve`'s options on the app (before its first request) and uvicorn's Config."""
    from dataclasses import replace

    import uvicorn

    from backoffice import connections, limits

    def given(**kw: object) -> dict:
        return {k: v for k, v in kw.items() if v is not None}

    assert isinstance(config, uvicorn.Config)
    connections.raise_descriptor_limit()
    limits.configure(app, replace(limits.HttpLimits(), **given(body_timeout=args.body_timeout)))
    connections.apply_limits(config, replace(connections.ConnectionLimits(), **given(
        header_timeout=args.header_timeout, max_connections=args.max_connections)))
# --- end of HTTP limits ---


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS + ("-h", "--help"):
        argv.insert(0, "serve")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "serve":
        from backoffice.layout import LegacyDatabase
        try:
            return _serve(args)
        except LegacyDatabase as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if args.command == "openapi":
        from backoffice.app import create_app
        print(json.dumps(create_app(_backoffice(args)).openapi(), ensure_ascii=False, indent=2))
        return 0
    from backoffice.layout import LegacyDatabase
    from backoffice.service import NotFound
    from kiosk.services.safe_files import RefusedFile, read_regular, safe_name
    from kiosk.services.sync.protocol import ProtocolError

    if args.command == "migrate":
        return cli_officials.migrate(args)
    try:
        bo = _backoffice(args)
    except LegacyDatabase as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command in cli_staff.COMMANDS:
        try:
            return cli_staff.run(args, bo)
        finally:
            bo.engine.dispose()
    if args.command in cli_officials.COMMANDS:
        try:
            return cli_officials.run(args, bo)
        finally:
            bo.engine.dispose()
    try:
        if args.command == "enrol":
            # The key file comes on a stick too: read once, bounded, never through a link.
            key = bo.enrol(args.kiosk_id, read_regular(args.public_key, 64 * 1024).decode("utf-8"), args.name,
                           reactivate=args.reactivate)
            print(f"enrolled kiosk {args.kiosk_id} (public key {key})")
        elif args.command == "revoke" and args.receipt_key:
            n = bo.receipts.revoke(args.kiosk_id, None if args.receipt_key == "all" else args.receipt_key)
            if not n:
                print(f"no unrevoked receipt key {args.receipt_key} of kiosk {args.kiosk_id}", file=sys.stderr)
                return 1
            print(f"revoked {n} receipt key(s) of kiosk {args.kiosk_id}")
        elif args.command == "revoke":
            if not bo.revoke(args.kiosk_id):
                print(f"no kiosk {args.kiosk_id}", file=sys.stderr)
                return 1
            print(f"revoked kiosk {args.kiosk_id}")
        elif args.command == "kiosks":
            for k in bo.kiosks():
                print(f"{k['kiosk_id']}  enrolled {k['enrolled_at']}  {'REVOKED ' + k['revoked_at'] if k['revoked_at'] else 'active'}"
                      f"  {k['name']}")
        elif args.command == "keys":
            doc = json.dumps(bo.keys.public_document(), indent=2) + "\n"
            if args.out:
                args.out.write_text(doc)
                print(f"wrote {args.out}")
            else:
                print(doc, end="")
        elif args.command == "import":
            from backoffice.handcarry import MAX_EXPORT_BYTES
            report = bo.import_path(args.path, max_bytes=args.max_mb * 1024 * 1024 if args.max_mb else MAX_EXPORT_BYTES)
            if args.json:
                print(json.dumps(report.as_dict()))
            else:
                print(f"{report.files} file(s): {report.created} created, {report.duplicate} already here, "
                      f"{report.conflict} conflict(s) kept for review, {report.rejected} rejected")
                for line in report.refused_files:
                    print(f"REFUSED {line}", file=sys.stderr)
            return 1 if report.refused_files or report.rejected else 0
        elif args.command == "list":
            rows = bo.list_applications(args.department, args.limit)
            if args.json:
                print(json.dumps({"summary": bo.department_summary(), "requests": rows}, ensure_ascii=False))
            else:
                for s in bo.department_summary():
                    if not args.department or s["department"] == args.department:
                        print(f"{s['department']}: {s['total']} ({', '.join(f'{k} {v}' for k, v in s['by_status'].items())})")
                for r in rows:
                    print(f"  {r['department']}  {r['number']}  {r['bundle_id']}/{r['item_id']}  due {r['due']}  "
                          f"{r['status']}  received {r['received_at']}")
        elif args.command == "status":
            import getpass
            actor = f"cli:{getpass.getuser()}"
            change = bo.set_status(args.number, args.item_id, args.status, args.note, actor=actor)
            from backoffice import audit
            audit.record(bo.engine, actor, "item.status", number=args.number, item_id=args.item_id,
                         detail=f"-> {args.status}" + (" (with a note)" if args.note else ""))
            print(f"status change {change}: {args.number}/{args.item_id} -> {args.status}")
        elif args.command == "catalogue-publish":
            from kiosk.services import safe_yaml
            revision, version = bo.publish_catalogue(safe_yaml.read_bytes(args.file))
            print(f"published catalogue version {version} as revision {revision}")
        elif args.command == "conflicts":
            rows = bo.list_conflicts()
            if args.json:
                print(json.dumps(rows, ensure_ascii=False))
            else:
                for c in rows:
                    print(f"{c['id']}  {c['number']}  kiosk {c['kiosk_id']}  {c['received_at']}  {c['source']}"
                          f"  {'resolved' if c['resolved'] else 'TO REVIEW'}")
    except RefusedFile as exc:
        print(f"error: {safe_name(getattr(args, 'public_key', ''))}: {exc}", file=sys.stderr)
        return 1
    except (ValueError, ProtocolError, NotFound, OSError) as exc:
        print(f"error: {safe_name(str(exc))}", file=sys.stderr)
        return 1
    finally:
        bo.engine.dispose()
    return 0
