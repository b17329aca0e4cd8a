"""`kiosk run ...` (also `python main.py ...`): start the kiosk window."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.cli import add_common_options
from kiosk.config import ConfigError, load_config, with_data_dir


def add_run_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("run", help="start the kiosk window")
    p.add_argument("--simulate", action="store_true", help="use the simulated devices (card reader, camera, printer)")
    p.add_argument("--autopilot", action="store_true", help="walk the whole journey by itself and exit 0 once the receipt is written")
    p.add_argument("--offscreen", action="store_true", help="no display needed (Qt offscreen platform)")
    p.add_argument("--bundle", help="with --autopilot: the bundle id to apply for (default: the first)")
    p.add_argument("--citizen", help="with --autopilot: the demo citizen id (default: the first)")
    p.add_argument("--screenshots", type=Path, help="with --autopilot: save a PNG of every screen into this folder")
    p.add_argument("--sessions", type=int, default=1, help="with --autopilot: walk N journeys one after the other (soak test)")
    p.add_argument("--stats", type=Path, help="with --autopilot: append one JSON line of memory/threads/files per finished journey")
    p.add_argument("--step-delay", type=int, default=400, metavar="MS", help="with --autopilot: pause between steps")
    p.add_argument("--fullscreen", action="store_true", help="fill the screen (production kiosks)")
    p.add_argument("--scenario", choices=("staff_override", "proxy"),
                   help="with --autopilot: staff_override = a photo-attack citizen, three failed face checks, "
                        "a clerk's override with the demo clerk's PIN, then the receipt; proxy = an agent "
                        "applies for another demo citizen (both cards, relationship, authorisation photo, a "
                        "bundle that allows proxies)")
    p.add_argument("--lockdown", action=argparse.BooleanOptionalAction, default=None,
                   help="full screen, no frame, quit keys ignored; leaving needs a supervisor "
                        "(default: on, except with --simulate)")
    p.add_argument("--with-backoffice", action="store_true",
                   help="demo: run a local back office in this process and send applications to it")
    p.add_argument("--large", action="store_true",
                   help="with --autopilot: each journey in 长辈版 / large mode (voice stays on: it follows large mode)")
    p.add_argument("--voice", choices=("sim", "espeak"),
                   help="speech backend (default: as configured; with --simulate: sim, which plays nothing)")
    p.add_argument("--voice-on", action="store_true",
                   help="with --autopilot: turn voice on at the attract screen of each journey (as a citizen "
                        "would) and report how many utterances were spoken")
    return add_common_options(p)


def run_kiosk(args: argparse.Namespace) -> int:
    """Entry for `kiosk run` (main thread, which becomes the Qt GUI thread until the window closes)."""
    overrides: dict[str, dict[str, object]] = {}
    if args.simulate:
        # The face matcher is not a device: the demo runs the real one on the simulated camera.
        overrides["devices"] = {"card_reader": "sim", "camera": "sim", "printer": "sim", "document_camera": "sim",
                               "government_records": "backoffice" if args.with_backoffice else "sim",
                               "identity_service": "backoffice" if args.with_backoffice else "sim"}
        overrides["voice"] = {"backend": "sim"}
        overrides["notify"] = {"backend": "sim"}       # text messages recorded, never sent
    if args.voice:
        overrides["voice"] = {"backend": args.voice}
    if getattr(args, "large", False):
        # Large mode turns voice on: make sure there is a speaker for it to turn on.
        overrides["voice"] = {**overrides.get("voice", {}), "enabled": True}
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
        from kiosk.demo import start_demo_backoffice
        from kiosk.services.datafolder import DataFolder
        demo_backoffice = start_demo_backoffice(DataFolder.for_config(config), config.kiosk.id)
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
                       sessions=args.sessions, stats=args.stats, step_delay_ms=args.step_delay,
                       scenario=args.scenario,
                       lockdown=(not args.simulate) if args.lockdown is None else args.lockdown,
                       voice_on=args.voice_on, large=args.large)
    finally:
        if demo_backoffice is not None:
            demo_backoffice.stop()
