"""The `kiosk` command (also `python -m kiosk`): the GUI and tools for staff and operators."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from kiosk.config import ConfigError, load_config, with_data_dir


def _add_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--simulate", action="store_true", help="use the simulated devices (card reader, camera, printer)")
    p.add_argument("--autopilot", action="store_true", help="walk the whole journey by itself and exit 0 once the receipt is written")
    p.add_argument("--offscreen", action="store_true", help="no display needed (Qt offscreen platform)")
    p.add_argument("--data-dir", type=Path, help="folder for the database, receipts and keys (default: the platform's data folder)")
    p.add_argument("--config", type=Path, help="a TOML file overriding kiosk/defaults.toml")
    p.add_argument("--bundle", help="with --autopilot: the bundle id to apply for (default: the first)")
    p.add_argument("--citizen", help="with --autopilot: the demo citizen id (default: the first)")
    p.add_argument("--screenshots", type=Path, help="with --autopilot: save a PNG of every screen into this folder")
    p.add_argument("--sessions", type=int, default=1, help="with --autopilot: walk N journeys one after the other (soak test)")
    p.add_argument("--stats", type=Path, help="with --autopilot: append one JSON line of memory/threads/files per finished journey")
    p.add_argument("--step-delay", type=int, default=400, metavar="MS", help="with --autopilot: pause between steps")
    p.add_argument("--fullscreen", action="store_true", help="fill the screen (production kiosks)")
    p.add_argument("--with-backoffice", action="store_true",
                   help="demo: run a local back office in this process and send applications to it")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="OneVisit Kiosk")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run_args(sub.add_parser("run", help="start the kiosk window"))
    cat = sub.add_parser("catalogue", help="service catalogue tools").add_subparsers(dest="action", required=True)
    check = cat.add_parser("check", help="validate a catalogue file and name the exact problem")
    check.add_argument("path", type=Path)
    check.add_argument("--json", action="store_true")
    cat.add_parser("schema", help="print the catalogue's JSON Schema")
    stats = cat.add_parser("stats", help="questions and materials per bundle: combined form versus separate forms")
    stats.add_argument("path", type=Path, nargs="?", help="catalogue file (default: the configured one)")
    stats.add_argument("--json", action="store_true")
    from kiosk.cli_card import add_card_parser
    add_card_parser(sub)
    from kiosk.cli_face import add_face_parser
    add_face_parser(sub)
    from kiosk.cli_sync import add_sync_parser
    add_sync_parser(sub)
    return parser


def _run(args: argparse.Namespace) -> int:
    overrides = {}
    if args.simulate:
        # The face matcher is not a device: the demo runs the real one on the simulated camera.
        overrides["devices"] = {"card_reader": "sim", "camera": "sim", "printer": "sim"}
    try:
        config = load_config(args.config, overrides=overrides)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if args.data_dir:
        config = with_data_dir(config, args.data_dir)
    from kiosk.compose import ConfigurationProblem, build_parts
    from kiosk.domain.catalogue import CatalogueError

    demo_backoffice = None
    if args.with_backoffice:
        from backoffice.demo import start_demo_backoffice
        demo_backoffice = start_demo_backoffice(config.data_dir, config.kiosk.id)
        print(f"demo back office: {demo_backoffice.url} (officials' page {demo_backoffice.officials_url})", flush=True)
    try:
        try:
            parts = build_parts(config)
        except (ConfigurationProblem, CatalogueError) as exc:
            print(f"cannot start: {exc}", file=sys.stderr)
            return 2
        from kiosk.ui.app import run_gui

        return run_gui(parts, autopilot=args.autopilot, offscreen=args.offscreen, bundle_id=args.bundle,
                       citizen=args.citizen, screenshots=args.screenshots, fullscreen=args.fullscreen,
                       sessions=args.sessions, stats=args.stats, step_delay_ms=args.step_delay)
    finally:
        if demo_backoffice is not None:
            demo_backoffice.stop()


def _catalogue_check(args: argparse.Namespace) -> int:
    from kiosk.domain.catalogue import CatalogueError
    from kiosk.services.catalogue_store import load_catalogue

    try:
        cat = load_catalogue(args.path)
    except CatalogueError as exc:
        if args.json:
            print(json.dumps({"ok": False, "file": exc.source, "place": exc.place, "problem": exc.problem}, ensure_ascii=False))
        else:
            print(f"INVALID {exc}")
        return 1
    summary = {"ok": True, "file": str(args.path), "version": cat.version, "bundles": len(cat.bundles),
               "fields": len(cat.fields), "materials": len(cat.materials)}
    print(json.dumps(summary, ensure_ascii=False) if args.json else
          f"OK {args.path}: version {cat.version}, {len(cat.bundles)} bundles, {len(cat.fields)} fields, {len(cat.materials)} materials")
    return 0


def _catalogue_stats(args: argparse.Namespace) -> int:
    from kiosk.domain.catalogue import CatalogueError
    from kiosk.domain.stats import catalogue_stats
    from kiosk.services.catalogue_store import load_catalogue

    path = args.path or load_config().asset(load_config().paths.catalogue)
    try:
        rows = catalogue_stats(load_catalogue(path))
    except CatalogueError as exc:
        print(f"INVALID {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return 0
    head = ("bundle", "stage", "items", "depts", "asked", "separate", "prefilled", "typed", "photograph", "held", "sep.mat")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print(f"| {r.bundle_id} | {r.life_stage} | {r.items} | {r.departments} | {r.combined_questions} | "
              f"{r.separate_questions} | {r.prefilled} | {r.typed} | {r.materials_to_provide} | {r.materials_held} | "
              f"{r.separate_materials} |")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    if args.command == "run":
        return _run(args)
    if args.command == "catalogue" and args.action == "check":
        return _catalogue_check(args)
    if args.command == "catalogue" and args.action == "schema":
        from kiosk.domain.catalogue_schema import SCHEMA
        print(json.dumps(SCHEMA, ensure_ascii=False, indent=2))
        return 0
    if args.command == "catalogue" and args.action == "stats":
        return _catalogue_stats(args)
    if args.command == "sync":
        from kiosk.cli_sync import run_sync
        return run_sync(args)
    if args.command == "card":
        from kiosk.cli_card import run_card
        return run_card(args)
    if args.command == "face":
        from kiosk.cli_face import run_face
        return run_face(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
