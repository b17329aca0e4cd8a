"""The `kiosk` command (also `python -m kiosk`): the GUI and tools for staff and operators.

One module per subcommand: run.py (the kiosk window), catalogue.py, card.py, face.py, sync.py,
keys.py, audit.py, speak.py, health.py, receipt.py, ui.py. Every subcommand takes --data-dir DIR and --config FILE
(`add_common_options`; tests/unit/test_cli_common_options.py fails for one that does not).
Each subcommand's module is imported only when that subcommand runs, so `kiosk card ...` never
loads Qt or dlib.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.config import Config


def add_common_options(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """--data-dir and --config, as `kiosk run` has them: add to every subcommand's own parser
    (the leaf one, e.g. `kiosk sync status`), so they go after the subcommand's name."""
    p.add_argument("--data-dir", type=Path, help="the kiosk's data folder (default: as configured)")
    p.add_argument("--config", type=Path, help="a TOML file overriding kiosk/defaults.toml")
    return p


def config_from_args(args: argparse.Namespace, overrides: dict[str, dict[str, Any]] | None = None) -> Config:
    """The configuration `args` names (--config, then --data-dir). Raises ConfigError."""
    from kiosk.config import load_config, with_data_dir

    config = load_config(getattr(args, "config", None), overrides=overrides)
    data_dir = getattr(args, "data_dir", None)
    return with_data_dir(config, data_dir) if data_dir else config


def build_parser() -> argparse.ArgumentParser:
    from kiosk.cli.audit import add_audit_parser
    from kiosk.cli.card import add_card_parser
    from kiosk.cli.catalogue import add_catalogue_parser
    from kiosk.cli.face import add_face_parser
    from kiosk.cli.health import add_health_parser
    from kiosk.cli.keys import add_keys_parser
    from kiosk.cli.receipt import add_receipt_parser
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
    add_health_parser(sub)
    add_receipt_parser(sub)
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
    if args.command == "receipt":
        from kiosk.cli.receipt import run_receipt
        return run_receipt(args)
    if args.command == "card":
        from kiosk.cli.card import run_card
        return run_card(args)
    if args.command == "face":
        from kiosk.cli.face import run_face
        return run_face(args)
    if args.command == "speak":
        from kiosk.cli.speak import run_speak
        return run_speak(args)
    if args.command == "health":
        from kiosk.cli.health import run_health
        return run_health(args)
    if args.command == "ui":
        from kiosk.cli.ui import run_ui
        return run_ui(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
