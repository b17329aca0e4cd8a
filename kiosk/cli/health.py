"""`kiosk health [--json] [--data-dir DIR] [--config FILE]`: is anything wrong that staff must fix now?

Each check (README "Health check"): the card reader(s), camera, receipt printer (and its paper
where it can tell), document camera, disk space of the data folder, clock, key files, catalogue,
sync. Each says OK, FAULT (with what to do) or NOTE (worth knowing, nothing to do now: a
simulated device, no back office enrolled, a clock whose sync cannot be checked).

Runs on the main thread; every probe runs on a thread of its own and is given up on after
`[health] probe_timeout_seconds` (--timeout). Reads only: it creates no key, database or folder.
Exit codes: 0 nothing needs staff action now (notes may be there); 1 a fault; 2 bad configuration.
"""
from __future__ import annotations

import argparse
import json
import sys

from kiosk.cli import add_common_options, config_from_args

MARK = {"ok": "OK   ", "fault": "FAULT", "note": "NOTE "}


def add_health_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("health", help="check devices, disk, clock, keys, catalogue and sync; exit 1 on a fault")
    p.add_argument("--json", action="store_true", help="print one JSON object with every check")
    p.add_argument("--timeout", type=float, help="seconds each check may take (default: [health] probe_timeout_seconds)")
    p.add_argument("--lang", choices=("zh", "en"), default="en", help="language of the text output (default en)")
    return add_common_options(p)


def run_health(args: argparse.Namespace) -> int:
    """Entry for `kiosk health` (main thread). Returns 0, 1 or 2 as the module docstring says."""
    from kiosk.compose import health_check
    from kiosk.config import ConfigError

    overrides = {"health": {"probe_timeout_seconds": args.timeout}} if args.timeout else None
    try:
        config = config_from_args(args, overrides)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    report = health_check(config)()
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"kiosk {report.kiosk_id} at {report.checked_at:%Y-%m-%d %H:%M:%S}: "
              + ("FAULT: staff action needed" if report.faults else "OK"))
        for c in report.checks:
            print(f"  {MARK[c.status]} {c.name:<22} {c.detail.get(args.lang)}")
            if c.action and c.status != "ok":
                print(f"        {'':<22} -> {c.action.get(args.lang)}")
    return 1 if report.faults else 0
