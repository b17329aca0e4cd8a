"""`kiosk face ...`: check face matching on photo files (staff, operators, threshold reviews).

  kiosk face verify --reference A.jpg --probe B.jpg [--threshold T] [--config FILE] [--json]
  kiosk face verify --pairs FILE.tsv [--threshold T] [--config FILE] [--json]

The threshold is the kiosk's own, face.threshold from the configuration (kiosk/defaults.toml <
--config FILE or ONEVISIT_CONFIG < ONEVISIT_FACE_THRESHOLD), so staff check the number the site
actually runs with; --threshold T overrides it for trying another.

The reference is treated like a chip photo (decoded as JPEG/PNG/JPEG 2000, jittered and mirrored
encodings); the probe like one good camera frame. Pairs files hold `path1<TAB>path2<TAB>same`
lines (same = 1 or 0; paths relative to the file; blank lines and `#` comments are skipped).
Runs on the main thread, CPU only (~1 s per reference photo, ~0.2 s per probe photo); each file
is encoded at most once per role per run, in memory. Only numbers are printed, never images.
Exit codes: 0 match (pairs: done); 1 no match; 2 unusable input (unreadable file, no face,
malformed pairs line, a configuration the kiosk would refuse).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SWEEP = [round(0.30 + 0.02 * i, 2) for i in range(16)]  # 0.30 ... 0.60


def add_face_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    face = subparsers.add_parser("face", help="face matching tools (photo files)")
    sub = face.add_subparsers(dest="face_action", required=True)
    verify = sub.add_parser("verify", help="match two photos, or measure FAR/FRR over a pairs file")
    what = verify.add_mutually_exclusive_group(required=True)
    what.add_argument("--reference", type=Path, help="the reference photo (as from an ID chip)")
    what.add_argument("--pairs", type=Path, help="a TSV of path1, path2, same (1/0)")
    verify.add_argument("--probe", type=Path, help="the photo to compare with --reference")
    verify.add_argument("--threshold", type=float,
                        help="match when distance < T (default: the configured face.threshold)")
    from kiosk.cli import add_common_options
    add_common_options(verify)
    verify.add_argument("--json", action="store_true", help="print one JSON object")
    return face


class Unusable(Exception):
    """An input the check cannot use; the message names the file (and line)."""


@dataclass
class _Encoded:
    encoding: np.ndarray
    problem: str | None
    advice_en: str | None


class _Cache:
    """Encodings per (file, role), so each image is encoded once per run."""

    def __init__(self) -> None:
        self._refs: dict[Path, _Encoded] = {}
        self._probes: dict[Path, _Encoded] = {}

    def reference(self, path: Path) -> _Encoded:
        from kiosk.devices.face import matching

        if path not in self._refs:
            data = _read(path)
            try:
                ref = matching.encode_reference(data)
            except matching.ReferenceError as exc:
                raise Unusable(f"{path}: {exc.reason.en}" if exc.code == "no_face" else f"{path}: cannot decode the image") from None
            v = ref.analysis.verdict
            self._refs[path] = _Encoded(ref.template, v.problem, v.advice.en if v.advice else None)
        return self._refs[path]

    def probe(self, path: Path) -> _Encoded:
        from kiosk.devices.face.matching import encode_probe
        from kiosk.devices.face.quality import ImageError, analyse_bgr_photo, decode_image

        if path not in self._probes:
            try:
                bgr = decode_image(_read(path))
            except ImageError:
                raise Unusable(f"{path}: cannot decode the image") from None
            analysis = analyse_bgr_photo(bgr)
            if analysis.face is None:
                raise Unusable(f"{path}: no face found")
            v = analysis.verdict
            self._probes[path] = _Encoded(encode_probe(bgr, analysis.face), v.problem, v.advice.en if v.advice else None)
        return self._probes[path]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise Unusable(f"{path}: cannot read ({exc.strerror or exc.__class__.__name__})") from None


def _threshold(args: argparse.Namespace) -> float:
    """--threshold if given, else the configured face.threshold (the kiosk's). Main thread; reads
    the --config file. Raises Unusable for a configuration the kiosk itself would refuse."""
    if args.threshold is not None:
        return float(args.threshold)
    from kiosk.config import ConfigError, load_config

    try:
        return load_config(args.config).face.threshold
    except ConfigError as exc:
        raise Unusable(f"configuration error: {exc}") from None


def run_face(args: argparse.Namespace) -> int:
    """Entry for `kiosk face ...` (main thread)."""
    try:
        if args.pairs is not None:
            return _pairs(args)
        if args.probe is None:
            raise Unusable("--reference needs --probe")
        return _verify(args)
    except Unusable as exc:
        if args.json:
            print(json.dumps({"ok": False, "error": str(exc)}, ensure_ascii=False))
        else:
            print(f"ERROR {exc}", file=sys.stderr)
        return 2


def _verify(args: argparse.Namespace) -> int:
    t = _threshold(args)
    cache = _Cache()
    ref, probe = cache.reference(args.reference), cache.probe(args.probe)
    d = float(np.linalg.norm(ref.encoding - probe.encoding))
    matched = d < t
    out: dict[str, Any] = {"ok": True, "distance": round(d, 4), "threshold": t, "decision": "match" if matched else "no match",
           "reference": {"file": str(args.reference), "problem": ref.problem, "advice": ref.advice_en},
           "probe": {"file": str(args.probe), "problem": probe.problem, "advice": probe.advice_en}}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"{'MATCH' if matched else 'NO MATCH'}: distance {d:.4f}, threshold {t:.2f}")
        for role in ("reference", "probe"):
            q = out[role]
            print(f"  {role}: {q['file']}: " + ("quality ok" if q["problem"] is None else f"{q['problem']} ({q['advice']})"))
    return 0 if matched else 1


def read_pairs(path: Path) -> list[tuple[int, Path, Path, bool]]:
    """(line number, path1, path2, same) per pair line. Raises Unusable naming the bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Unusable(f"{path}: cannot read ({exc.__class__.__name__})") from None
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[2].strip() not in ("0", "1") or not parts[0].strip() or not parts[1].strip():
            raise Unusable(f"{path} line {n}: expected 'path1<TAB>path2<TAB>same' with same 1 or 0, got {line!r}")
        out.append((n, path.parent / parts[0].strip(), path.parent / parts[1].strip(), parts[2].strip() == "1"))
    if not out:
        raise Unusable(f"{path}: no pairs")
    return out


def _rates(r) -> dict:
    return {"threshold": r.threshold, "false_accepts": r.false_accepts, "impostors": r.impostors, "far": r.far,
            "false_rejects": r.false_rejects, "genuines": r.genuines, "frr": r.frr}


def _pairs(args: argparse.Namespace) -> int:
    from kiosk.devices.face.matching import error_rates, threshold_for_far

    t = _threshold(args)
    pairs = read_pairs(args.pairs)
    cache = _Cache()
    gen: list[float] = []
    imp: list[float] = []
    for n, a, b, same in pairs:
        try:
            d = float(np.linalg.norm(cache.reference(a).encoding - cache.probe(b).encoding))
        except Unusable as exc:
            raise Unusable(f"{args.pairs} line {n}: {exc}") from None
        (gen if same else imp).append(d)
    at = error_rates(gen, imp, t)
    sweep = [error_rates(gen, imp, s) for s in SWEEP]
    best = threshold_for_far(gen, imp, 1e-4) if imp else None
    out = {"ok": True, "pairs": len(pairs), "genuine": len(gen), "impostor": len(imp), "at_threshold": _rates(at),
           "sweep": [_rates(r) for r in sweep],
           "for_far_0_01_percent": _rates(best) if best else None,
           "note": (f"with {len(imp)} impostor pairs a FAR below {1 / len(imp):.2%} cannot be resolved; "
                    "'for_far_0_01_percent' is the largest threshold with no more than that share accepted") if imp else
                   "no impostor pairs: FAR not measured",
           "max_genuine_distance": round(max(gen), 4) if gen else None,
           "min_impostor_distance": round(min(imp), 4) if imp else None}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(f"{len(pairs)} pairs: {len(gen)} genuine, {len(imp)} impostor")
    print(f"at threshold {t:.2f}: false accepts {at.false_accepts}/{at.impostors} (FAR {at.far:.2%}), "
          f"false rejects {at.false_rejects}/{at.genuines} (FRR {at.frr:.2%})")
    if gen and imp:
        print(f"closest impostor {min(imp):.4f}, farthest genuine {max(gen):.4f}")
    if best:
        print(f"for FAR <= 0.01 %: threshold {best.threshold:.3f}, FRR {best.frr:.2%} "
              f"({best.false_rejects}/{best.genuines}); {out['note']}")
    print("\nthreshold  false accepts   FAR      false rejects   FRR")
    for r in sweep:
        print(f"  {r.threshold:.2f}     {r.false_accepts:5d}/{r.impostors:<6d} {r.far:7.2%}   {r.false_rejects:5d}/{r.genuines:<6d} {r.frr:7.2%}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk")
    add_face_parser(parser.add_subparsers(dest="command", required=True))
    return run_face(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
