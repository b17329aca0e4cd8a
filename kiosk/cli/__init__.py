"""The `kiosk` command (also `python -m kiosk`): the GUI and tools for staff and operators.

One module per subcommand: run.py (the kiosk window), catalogue.py, card.py, face.py, sync.py,
keys.py, audit.py, speak.py, ui.py.
Each subcommand's module is imported only when that subcommand runs, so `kiosk card ...` never
loads Qt or dlib.
"""
from __future__ import annotations

import argparse
import logging
import sys


def build_parser() -> argparse.ArgumentParser:
    from kiosk.cli.audit import add_audit_parser
    from kiosk.cli.card import add_card_parser
    from kiosk.cli.catalogue import add_catalogue_parser
    from kiosk.cli.face import add_face_parser
    from kiosk.cli.keys import add_keys_parser
    from kiosk.cli.run import add_run_parser
    from kiosk.cli.speak import add_speak_parser
    from kiosk.cli.sync import add_sync_parser
    from kiosk.cli.ui import add_ui_parser

    parser = argparse.ArgumentParser(prog="kiosk", description="OneVisit Kiosk")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    add_run_parser(sub)
    add_catalogue_parser(sub)
    add_card_parser(sub)
    add_face_parser(sub)
    add_sync_parser(sub)
    add_keys_parser(sub)
    add_audit_parser(sub)
    add_speak_parser(sub)
    add_ui_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry for the `kiosk` command (main thread). Returns the process exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    if args.command == "run":
        from kiosk.cli.run import run_kiosk
        return run_kiosk(args)
    if args.command == "catalogue":
        from kiosk.cli.catalogue import run_catalogue
        return run_catalogue(args)
    if args.command == "sync":
        from kiosk.cli.sync import run_sync
        return run_sync(args)
    if args.command == "keys":
        from kiosk.cli.keys import run_keys
        return run_keys(args)
    if args.command == "audit":
        from kiosk.cli.audit import run_audit
        return run_audit(args)
    if args.command == "card":
        from kiosk.cli.card import run_card
        return run_card(args)
    if args.command == "face":
        from kiosk.cli.face import run_face
        return run_face(args)
    if args.command == "speak":
        from kiosk.cli.speak import run_speak
        return run_speak(args)
    if args.command == "ui":
        from kiosk.cli.ui import run_ui
        return run_ui(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
