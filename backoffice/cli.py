"""`python -m backoffice`: run the service and the officials' tools.

  python -m backoffice [serve] [--db URL] [--data-dir DIR] [--host 127.0.0.1] [--port 8750]
  python -m backoffice enrol --kiosk-id ID --public-key FILE [--name NAME] [--reactivate]
  python -m backoffice revoke --kiosk-id ID
  python -m backoffice kiosks
  python -m backoffice keys [--out FILE]            public keys for `kiosk sync enrol`
  python -m backoffice import PATH [--json]         hand-carried exports (a folder or one file)
  python -m backoffice list [--department D] [--json]
  python -m backoffice status NUMBER ITEM STATUS [--note TEXT]
  python -m backoffice catalogue-publish FILE
  python -m backoffice conflicts [--json]
  python -m backoffice openapi

Every command takes --db (default sqlite:///<data-dir>/backoffice.sqlite3; PostgreSQL with
postgresql://user@host:port/db) and --data-dir (default $ONEVISIT_BACKOFFICE_DIR or
./backoffice-data; the back office's keys live in <data-dir>/keys).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
from pathlib import Path

COMMANDS = ("serve", "enrol", "revoke", "kiosks", "keys", "import", "list", "status", "catalogue-publish",
            "conflicts", "openapi")
DEFAULT_PORT = 8750


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="database URL (default: SQLite in the data folder)")
    p.add_argument("--data-dir", type=Path, default=Path(os.environ.get("ONEVISIT_BACKOFFICE_DIR", "backoffice-data")),
                   help="folder for the keys and the default SQLite database")
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
    _common(sub.add_parser("kiosks", help="list enrolled kiosks"))
    p = sub.add_parser("keys", help="print (or write) the back office's public keys for kiosk enrolment")
    _common(p)
    p.add_argument("--out", type=Path)
    p = sub.add_parser("import", help="import hand-carried exports from a folder or a file")
    _common(p)
    p.add_argument("path", type=Path)
    p.add_argument("--json", action="store_true")
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
    return parser


def _backoffice(args: argparse.Namespace, **kw):  # type: ignore[no-untyped-def]
    from backoffice.db import make_engine
    from backoffice.keys import BackofficeKeys
    from backoffice.service import Backoffice

    data_dir: Path = args.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    url = args.db or f"sqlite:///{(data_dir / 'backoffice.sqlite3').resolve()}"
    return Backoffice(make_engine(url), BackofficeKeys.load_or_create(data_dir / "keys"), **kw)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from backoffice.app import create_app

    bo = _backoffice(args, max_skew=args.max_skew)
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
    app = create_app(bo)
    config = uvicorn.Config(app, log_level="info" if args.verbose else "warning", access_log=args.verbose,
                            timeout_graceful_shutdown=5, lifespan="off")
    _apply_http_limits(args, app, config)
    server = uvicorn.Server(config)
    if args.port_file:
        tmp = args.port_file.with_name(args.port_file.name + ".tmp")
        tmp.write_text(str(port))
        tmp.replace(args.port_file)
    print(f"back office listening on http://{args.host}:{port} (db {bo.engine.url.render_as_string(hide_password=True)})",
          flush=True)
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
        return _serve(args)
    if args.command == "openapi":
        from backoffice.app import create_app
        print(json.dumps(create_app(_backoffice(args)).openapi(), ensure_ascii=False, indent=2))
        return 0
    from backoffice.service import NotFound
    from kiosk.services.sync.protocol import ProtocolError

    bo = _backoffice(args)
    try:
        if args.command == "enrol":
            key = bo.enrol(args.kiosk_id, args.public_key.read_text("utf-8", errors="strict"), args.name,
                           reactivate=args.reactivate)
            print(f"enrolled kiosk {args.kiosk_id} (public key {key})")
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
            report = bo.import_path(args.path)
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
            change = bo.set_status(args.number, args.item_id, args.status, args.note)
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
    except (ValueError, ProtocolError, NotFound, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        bo.engine.dispose()
    return 0
