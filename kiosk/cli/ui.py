"""`kiosk ui audit [--json]`: measures the kiosk window's text sizes, touch targets, gaps and
contrast in normal and large mode on the reference panel (kiosk/ui/audit.py); exits 1 when a
figure is below the thresholds of issue 13, 2 when the kiosk cannot be built."""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from kiosk.config import ConfigError, load_config, with_data_dir


def add_ui_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("ui", help="checks of the kiosk's screens")
    sub = p.add_subparsers(dest="ui_command", required=True)
    a = sub.add_parser("audit", help="text size, touch targets, gaps and contrast of every screen, normal and large mode")
    a.add_argument("--json", action="store_true", help="print the figures as JSON")
    a.add_argument("--config", type=Path, help="a TOML file overriding kiosk/defaults.toml")
    a.add_argument("--data-dir", type=Path, help="data folder for the walk (default: a temporary one, deleted after)")
    return p


def run_ui(args: argparse.Namespace) -> int:
    """Main thread (it becomes the GUI thread of an offscreen QApplication)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    # The walk needs no real device: the simulated ones stand in, as in `kiosk run --simulate`.
    overrides: dict[str, dict[str, object]] = {"devices": {"card_reader": "sim", "camera": "sim", "printer": "sim", "document_camera": "sim",
                             "face": "sim", "government_records": "sim"},
                 "voice": {"backend": "sim", "enabled": True}}   # its header buttons are measured too
    try:
        config = load_config(args.config, overrides=overrides)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kiosk-ui-audit-") as tmp:
        config = with_data_dir(config, args.data_dir or Path(tmp))
        from kiosk.compose import ConfigurationProblem, build_parts
        from kiosk.domain.catalogue import CatalogueError
        try:
            parts = build_parts(config)
        except (ConfigurationProblem, CatalogueError) as exc:
            print(f"cannot start: {exc}", file=sys.stderr)
            return 2
        from kiosk.ui.app import ensure_qapplication
        from kiosk.ui.audit import THRESHOLDS, audit

        ensure_qapplication()
        result = audit(parts, progress=lambda line: print(line, file=sys.stderr))
        if parts.speaker is not None:
            parts.speaker.close(1.0)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for mode, figures in result["modes"].items():
            floor = THRESHOLDS[mode]
            print(f"{mode}: text {figures['min_text_px']} px ({figures['min_text_mm']} mm, ≥{floor['min_text_px']} px), "
                  f"targets {figures['min_target_mm']} mm (≥{floor['min_target_mm']}), "
                  f"gaps {figures['min_gap_mm']} mm (≥{floor['min_gap_mm']}), "
                  f"contrast {figures['min_contrast']}:1 (≥{floor['min_contrast']}), "
                  f"line spacing {figures.get('min_line_spacing', '-')}")
            for figure, where in figures["worst"].items():
                print(f"  smallest {figure}: {where}")
        for failure in result["failures"]:
            print(f"FAIL {failure}")
    return 1 if result["failures"] else 0
