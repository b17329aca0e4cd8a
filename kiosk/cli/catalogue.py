"""`kiosk catalogue check|schema|stats`: service catalogue tools for whoever edits the catalogue.

Runs on the main thread; blocks on reading the catalogue file only.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kiosk.cli import add_common_options, config_from_args
from kiosk.config import ConfigError


def add_catalogue_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    cat = subparsers.add_parser("catalogue", help="service catalogue tools")
    sub = cat.add_subparsers(dest="action", required=True)
    check = add_common_options(sub.add_parser("check", help="validate a catalogue file and name the exact problem"))
    check.add_argument("path", type=Path)
    check.add_argument("--json", action="store_true")
    add_common_options(sub.add_parser("schema", help="print the catalogue's JSON Schema"))
    stats = add_common_options(sub.add_parser("stats", help="questions and materials per bundle: combined form versus separate forms; prefilled, computed, "
                                                   "same-as, choice and typed fields"))
    stats.add_argument("path", type=Path, nargs="?", help="catalogue file (default: the configured one)")
    stats.add_argument("--json", action="store_true")
    return cat


def run_catalogue(args: argparse.Namespace) -> int:
    """Entry for `kiosk catalogue ...` (main thread)."""
    if args.action == "check":
        return _check(args)
    if args.action == "schema":
        from kiosk.domain.catalogue_schema import SCHEMA
        print(json.dumps(SCHEMA, ensure_ascii=False, indent=2))
        return 0
    if args.action == "stats":
        return _stats(args)
    return 2


def _check(args: argparse.Namespace) -> int:
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


def _stats(args: argparse.Namespace) -> int:
    from kiosk.domain.catalogue import CatalogueError
    from kiosk.domain.stats import catalogue_stats
    from kiosk.services.catalogue_store import load_catalogue

    if args.path is None:
        try:
            config = config_from_args(args)
        except ConfigError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            return 2
    path = args.path or config.asset(config.paths.catalogue)
    try:
        rows = catalogue_stats(load_catalogue(path))
    except CatalogueError as exc:
        print(f"INVALID {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return 0
    head = ("bundle", "stage", "items", "depts", "asked", "separate", "prefilled", "computed", "same as", "choice",
            "typed", "photograph", "held", "sep.mat")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print(f"| {r.bundle_id} | {r.life_stage} | {r.items} | {r.departments} | {r.combined_questions} | "
              f"{r.separate_questions} | {r.prefilled} | {r.computed} | {r.same_as} | {r.choice} | {r.typed} | "
              f"{r.materials_to_provide} | {r.materials_held} | {r.separate_materials} |")
    return 0
