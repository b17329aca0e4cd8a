"""Card-read benchmark through the real PC/SC stack (pyscard -> pcscd -> vpcd -> virtual eMRTD),
and the parser fuzz run.

  .venv/bin/python bench/card_read.py read [--runs 7] [--markdown] [--chip conforming|refuse-sfi|both]
  .venv/bin/python bench/card_read.py fuzz [--inputs 100000] [--only tlv mrz sod lds]

`read` measures a full read (PACE access control + EF.COM + EF.SOD + DG1 + DG2 of ~20 KB + passive
authentication), with and without extended length, with and without a 15 ms delay per APDU, and
the same with DG11/DG14/DG15 and Active Authentication added; `--chip refuse-sfi` (or `both`) reads a
chip that refuses READ BINARY with a short file id (6A82), so every file is selected by its file id
(issue 11). It starts pcscd (scripts/pcsc.sh)
if the vpcd reader is not visible. Runs on the main thread (the card thread of this process).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.devices.icao.mrz import MrzKey  # noqa: E402
from kiosk.devices.icao.pcsc import PcscCardReader, list_readers  # noqa: E402
from kiosk.devices.icao.reader import ReadOptions  # noqa: E402
from testkit.vcard import pki  # noqa: E402
from testkit.vcard.card import Misbehaviour, VirtualPassport  # noqa: E402
from testkit.vcard.document import DocumentProfile  # noqa: E402
from testkit.vcard.vpcd import VpcdCard  # noqa: E402

READER = "Virtual PCD 00 00"
KEY = MrzKey("EA1234567", "900315", "340101")
MINIMAL = DocumentProfile(with_dg11=False, with_aa=False)   # exactly COM + SOD + DG1 + DG2
FULL = DocumentProfile()                                     # + DG11, DG14, DG15 and Active Authentication
CHIPS = {"conforming": Misbehaviour(), "refuse-sfi": Misbehaviour(refuse_sfi=0x6A82)}


def ensure_pcscd() -> None:
    if READER in list_readers():
        return
    subprocess.run(["bash", "-c", "source scripts/pcsc.sh && start_pcsc"], cwd=ROOT, check=True,
                   env={**os.environ, "PCSC_PYTHON": sys.executable})


def one_read(reader: PcscCardReader, profile: DocumentProfile, delay: float,
             chip: Misbehaviour = Misbehaviour()) -> tuple[float, int, str]:
    card = VpcdCard(VirtualPassport(profile, replace(chip, apdu_delay=delay)))
    card.insert()
    try:
        if not reader.wait_for_insert(10.0):
            raise RuntimeError("the virtual card did not appear")
        result = reader.read(20.0)
        if not result.genuine:
            raise RuntimeError("read was not genuine")
        assert reader.last_read is not None
        return result.seconds, result.apdu_count, reader.last_read.read_mode
    finally:
        card.remove()
        reader.wait_for_removal(10.0)


def bench_reads(runs: int, markdown: bool, chips: list[str]) -> int:
    ensure_pcscd()
    rows = []
    for chip_name in chips:
        chip = CHIPS[chip_name]
        for label, profile in (("COM+SOD+DG1+DG2", MINIMAL), ("+DG11+DG14+DG15+AA", FULL)):
            for extended in (True, False):
                for delay in (0.0, 0.015):
                    reader = PcscCardReader(READER, trust_store=pki.CSCA_DIR,
                                            options=ReadOptions(extended_length=extended))
                    reader.set_access_key(KEY)
                    try:
                        one_read(reader, profile, delay, chip)          # warm-up
                        samples = [one_read(reader, profile, delay, chip) for _ in range(runs)]
                    finally:
                        reader.close()
                    secs = [s for s, _, _ in samples]
                    rows.append((label, samples[0][2], f"{delay * 1000:.0f} ms", samples[0][1],
                                 statistics.median(secs), max(secs)))
    head = "| files | reads | per-APDU delay | APDUs | median s | max s |"
    print(head)
    print("|" + "---|" * 6)
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.3f} | {r[5]:.3f} |")
    if markdown:
        print(f"\n{runs} runs each after one warm-up; Python {platform.python_version()}, {os.cpu_count()} cores, "
              f"PACE-ECDH-GM AES-128 brainpoolP256r1 with the MRZ; DG2 = {len(VirtualPassport(MINIMAL).files[2])} bytes.")
    return 0


def bench_fuzz(inputs: int, only: list[str] | None = None) -> int:
    """Run every fuzz target of tests/unit/test_icao_fuzz.py until `inputs` inputs per family."""
    per_target = inputs
    os.environ["ICAO_FUZZ_EXAMPLES"] = str(per_target)
    sys.path.insert(0, str(ROOT / "tests" / "unit"))
    import test_icao_fuzz as fz   # imported here: it reads ICAO_FUZZ_EXAMPLES at import

    targets = {"tlv": fz.test_tlv_raises_only_parse_errors, "mrz": fz.test_mrz_raises_only_parse_errors,
               "sod": fz.test_sod_raises_only_parse_errors, "lds": fz.test_lds_parsers_raise_only_parse_errors}
    for name, test in targets.items():
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        while fz.COUNTS[name] < per_target:
            test()    # hypothesis runs up to ICAO_FUZZ_EXAMPLES inputs per call
        print(f"{name}: {fz.COUNTS[name]} inputs, only ParseError raised ({time.perf_counter() - t0:.0f}s)", flush=True)
    print(f"total: {sum(fz.COUNTS.values())} inputs")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    r = sub.add_parser("read")
    r.add_argument("--runs", type=int, default=7)
    r.add_argument("--markdown", action="store_true")
    r.add_argument("--chip", choices=["conforming", "refuse-sfi", "both"], default="conforming",
                   help="refuse-sfi: a chip answering 6A82 to short-file reads (files selected by file id)")
    f = sub.add_parser("fuzz")
    f.add_argument("--inputs", type=int, default=100_000, help="inputs per parser family (default 100000)")
    f.add_argument("--only", nargs="*", choices=["tlv", "mrz", "sod", "lds"], help="just these parser families")
    args = p.parse_args()
    if args.what == "read":
        return bench_reads(args.runs, args.markdown, list(CHIPS) if args.chip == "both" else [args.chip])
    return bench_fuzz(args.inputs, args.only)


if __name__ == "__main__":
    raise SystemExit(main())
