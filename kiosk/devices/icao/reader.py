"""Reading an eMRTD over any APDU transport: access control (PACE, else BAC), secure messaging,
EF.COM/SOD/DG1/DG2/DG11/DG14/DG15, extended-length reads with a clean fallback, passive and
active authentication.

Runs on the card thread. `read_document` blocks on the transport, one APDU at a time, and checks
the deadline before each APDU (ReadTimeout when it has passed).
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from kiosk.devices.icao.aa import verify_active_auth
from kiosk.devices.icao.apdu import SW_OK, ApduTransport, Command, Response, atr_supports_extended
from kiosk.devices.icao.crypto.bac import bac
from kiosk.devices.icao.crypto.pace import PaceInfo, pace, parse_card_access
from kiosk.devices.icao.crypto.primitives import SessionKeys
from kiosk.devices.icao.crypto.sm import protect_command, unprotect_response
from kiosk.devices.icao.errors import (AccessDenied, CardRemoved, CardStatusError, LdsError, ParseError, ReadTimeout,
                                       SecureMessagingError, TransportError)
from kiosk.devices.icao.files import ChunkRefused, FileAccess, Plan, read_ef
from kiosk.devices.icao.lds import (AID_EMRTD, FID_CARD_ACCESS, FID_COM, FID_SOD, SFI_CARD_ACCESS, SFI_COM, SFI_SOD,
                                    FaceImage, PersonalDetails, dg_fid, dg_sfi, parse_com, parse_dg1, parse_dg2,
                                    dg14_offers_pace, parse_dg11, parse_dg14_aa_algorithm, parse_dg15)
from kiosk.devices.icao.mrz import CanKey, Mrz, MrzKey, parse_date
from kiosk.devices.icao.sod import PassiveAuthResult, Sod, parse_sod, verify_passive
from kiosk.devices.icao.trust import TrustStore

log = logging.getLogger(__name__)

EXTENDED_CHUNK = 0x7000       # per READ BINARY with extended length (well inside pcscd's 64 KB buffer)
EXTENDED_FIRST = 0x800        # the first read of a file: usually the whole of it
SHORT_CHUNKS = (223, 160)     # short APDUs under SM: 223 fits 256 with SM overhead; 160 for fussy chips
WANTED_DGS = (1, 2, 11, 14, 15)
MANDATORY_DGS = (1, 2)        # with EF.COM and EF.SOD: a chip without them is refused, never read partly
# EF.CardAccess is small and read before any plan is known: all of it at once, and in 64-byte reads
# from a chip that refuses 256 (missing PACE there would otherwise look like a BAC-only document).
CARD_ACCESS_PLANS = (Plan("card-access", 256, 256), Plan("card-access-64", 64, 64))


@dataclass(frozen=True)
class ReadOptions:
    extended_length: bool = True     # use it when the chip's ATR announces it
    prefer_pace: bool = True         # PACE when EF.CardAccess offers it; else BAC
    read_dg11: bool = True
    active_auth: bool = True


@dataclass(frozen=True)
class Verdicts:
    """The separate results of checking a document. `genuine` combines the first three."""

    data_integrity: bool            # passive auth: every read DG hashes as the signed SOD says
    signer_trusted: bool            # the SOD's signer chains to a CSCA in the trust store
    chip_genuine: bool | None       # Active Authentication; None when the signed EF.SOD has no DG15
    expired: bool                   # the document's expiry date has passed
    problems: tuple[str, ...] = ()  # for the operator log: what failed (no personal data)
    downgraded: bool = False        # EF.CardAccess offered PACE, but the session ran on BAC

    @property
    def genuine(self) -> bool:
        return self.data_integrity and self.signer_trusted and self.chip_genuine is not False \
            and not self.downgraded


@dataclass(frozen=True)
class ChipRead:
    mrz: Mrz
    details: PersonalDetails | None
    face: FaceImage | None          # None unless passive authentication passed (the image is never decoded before)
    verdicts: Verdicts
    access_control: str             # e.g. "PACE-ECDH-GM AES-128 brainpoolP256r1 (CAN)" or "BAC"
    read_mode: str                  # "extended" or "short-223" / "short-160"; "+select" when files are selected
    data_groups: tuple[int, ...]
    apdu_count: int
    seconds: float
    timings: Mapping[str, float] = field(default_factory=dict)
    passive: PassiveAuthResult | None = field(default=None, repr=False)


class _Link:
    """Counts APDUs and enforces the deadline. Card thread."""

    def __init__(self, transport: ApduTransport, deadline: float) -> None:
        self.transport = transport
        self.deadline = deadline
        self.count = 0

    def transmit(self, cmd: Command) -> Response:
        if time.monotonic() > self.deadline:
            raise ReadTimeout("the card read took longer than allowed")
        self.count += 1
        try:
            return Response.decode(self.transport.transmit(cmd.encode()))
        except CardRemoved:
            raise
        except TransportError as exc:
            if cmd.needs_extended:
                raise ChunkRefused(f"extended APDU failed: {exc}") from None
            raise

    # the plain Channel used before secure messaging
    def send(self, cmd: Command) -> Response:
        return self.transmit(cmd)


class _SecureChannel:
    """Every command protected, every response MAC-checked. Card thread."""

    def __init__(self, link: _Link, keys: SessionKeys) -> None:
        self.link = link
        self.keys = keys

    def send(self, cmd: Command) -> Response:
        return unprotect_response(self.keys, self.link.transmit(protect_command(self.keys, cmd)))


def _select_applet(ch: _Link | _SecureChannel) -> None:
    r = ch.send(Command(0x00, 0xA4, 0x04, 0x0C, AID_EMRTD))
    if r.sw != SW_OK:
        raise CardStatusError("SELECT eMRTD application (is this an ICAO document?)", r.sw)


def _card_access(link: _Link, access: FileAccess) -> list[PaceInfo]:
    raw: bytes | None = None
    for plan in CARD_ACCESS_PLANS:
        try:
            raw = read_ef(link, FID_CARD_ACCESS, SFI_CARD_ACCESS, plan, access)
            break
        except ChunkRefused as exc:
            log.info("EF.CardAccess: %s reads refused (%s)", plan.name, exc)
        except (CardStatusError, ParseError) as exc:
            log.warning("EF.CardAccess unreadable (%s): using BAC", exc)
            return []
    if raw is None:
        return []      # no EF.CardAccess, so no PACE
    try:
        return parse_card_access(raw)
    except ParseError as exc:
        log.warning("EF.CardAccess unreadable (%s): using BAC", exc)
        return []


def _open(link: _Link, key: MrzKey | CanKey, options: ReadOptions,
          access: FileAccess) -> tuple[_SecureChannel, str, bool]:
    """The secure channel, its label, and whether it is a downgrade (PACE offered, BAC used)."""
    infos = _card_access(link, access) if options.prefer_pace or isinstance(key, CanKey) else []
    if infos:
        info = infos[0]
        try:
            keys = pace(link, key, info)
        except CardRemoved:
            raise
        except (AccessDenied, CardStatusError, TransportError) as exc:
            if isinstance(key, CanKey):
                raise
            # Reference readers fall back to BAC when PACE fails, and so do we: a chip or reader
            # that cannot finish PACE must not lock the citizen out. But a chip that offers PACE
            # and then only opens BAC is what a relay or an emulated chip looks like (BAC is what
            # they can do), and BAC's keys can be brute-forced from an eavesdropped session: the
            # read goes on, and the verdict says "downgraded" so the citizen is sent to staff.
            # (EF.CardAccess is unsigned: an attacker who deletes it is not caught here.)
            log.warning("PACE failed although EF.CardAccess offers it (%s); trying BAC", exc)
            link.transport.reset()
            _select_applet(link)
            return _SecureChannel(link, bac(link, key)), "BAC", True
        ch = _SecureChannel(link, keys)
        _select_applet(ch)
        alg, size = info.cipher
        label = f"PACE-ECDH-GM {alg}{'-' + str(size * 8) if alg == 'AES' else ''} {info.curve.name} " \
                f"({'CAN' if isinstance(key, CanKey) else 'MRZ'})"
        return ch, label, False
    if isinstance(key, CanKey):
        raise AccessDenied("this document does not support PACE, so its CAN cannot be used; use the MRZ")
    # With prefer_pace=False the kiosk's operator chose BAC (kiosk card --bac, for diagnosis):
    # that says nothing about the document, so it is not flagged.
    _select_applet(link)
    return _SecureChannel(link, bac(link, key)), "BAC", False


def _plans(transport: ApduTransport, options: ReadOptions) -> list[Plan]:
    plans = []
    if options.extended_length and atr_supports_extended(transport.atr()):
        plans.append(Plan("extended", EXTENDED_FIRST, EXTENDED_CHUNK))
    plans += [Plan(f"short-{n}", n, n) for n in SHORT_CHUNKS]
    return plans


def read_document(transport: ApduTransport, key: MrzKey | CanKey, trust: TrustStore, *, deadline: float,
                  options: ReadOptions = ReadOptions(), today: date | None = None,
                  now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> ChipRead:
    """Read and check the document on `transport`. Raises AccessDenied (wrong key), CardRemoved,
    TransportError, ReadTimeout, SecureMessagingError, CardStatusError or ParseError."""
    started = time.perf_counter()
    link = _Link(transport, deadline)
    timings: dict[str, float] = {}
    files: dict[int, bytes] = {}
    plans = _plans(transport, options)
    file_access = FileAccess()
    for i, plan in enumerate(plans):
        t0 = time.perf_counter()
        if i:
            transport.reset()
        ch, access, downgraded = _open(link, key, options, file_access)
        timings["access_control"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        try:
            files, sod = _read_all(ch, plan, options, file_access)
        except ChunkRefused as exc:
            log.info("chip refused %s reads (%s); retrying with smaller ones", plan.name, exc)
            if i == len(plans) - 1:
                raise LdsError("the chip refused every read size") from None
            continue
        timings["read_files"] = time.perf_counter() - t0
        break
    t0 = time.perf_counter()
    mrz = parse_dg1(files[1])
    details = parse_dg11(files[11]) if 11 in files else None
    passive = verify_passive(sod, files, trust, issuing_state=mrz.issuing_state, when=now())
    timings["passive_auth"] = time.perf_counter() - t0
    # The face image is the costliest thing to decode and an attacker's best payload: only a
    # signed, trusted DG2 is parsed (its header size-checked, ImageError when too large), and
    # only then may anything downstream decode it.
    face = parse_dg2(files[2]) if 2 in files and passive.data_integrity and passive.signer_trusted else None
    problems = list(passive.problems)
    chip_genuine: bool | None = None
    # Whether the chip must prove itself comes from the signed EF.SOD, not the unsigned EF.COM: a
    # copied chip that drops DG15 from EF.COM (or from the chip) must not skip the clone check.
    if options.active_auth and (15 in sod.dg_hashes or 15 in files):
        t0 = time.perf_counter()
        chip_genuine = _active_auth(ch, files) if 15 in files else False
        timings["active_auth"] = time.perf_counter() - t0
        if 15 not in files:
            problems.append("EF.SOD lists DG15 but the chip does not give it (Active Authentication impossible)")
        elif not chip_genuine:
            problems.append("Active Authentication failed (cloned chip?)")
    if not downgraded and access == "BAC" and options.prefer_pace and 14 in files and passive.data_integrity \
            and _signed_pace(files[14]):
        # EF.CardAccess is unsigned, so a relay can hide it and leave us on BAC; DG14 is signed and
        # lists PACE too on chips that support it, so that hiding is caught here (after the read).
        downgraded = True
    if downgraded:
        problems.append("the document supports PACE (EF.CardAccess or signed DG14) but the session ran on BAC "
                        "(downgrade)")
    if mrz.check_errors:
        problems.append(f"DG1 check digits wrong: {', '.join(mrz.check_errors)}")
    today = today or date.today()
    expired = parse_date(mrz.expiry, today, past=False) < today
    verdicts = Verdicts(passive.data_integrity and mrz.checks_ok, passive.signer_trusted, chip_genuine, expired,
                        tuple(problems), downgraded)
    mode = plan.name if file_access.by_sfi else f"{plan.name}+select"
    return ChipRead(mrz, details, face, verdicts, access, mode, tuple(sorted(files)), link.count,
                    time.perf_counter() - started, timings, passive)


def _read_all(ch: _SecureChannel, plan: Plan, options: ReadOptions,
              access: FileAccess) -> tuple[dict[int, bytes], Sod]:
    """EF.COM, EF.SOD and the wanted data groups: those EF.COM or the signed EF.SOD lists."""
    com_raw = read_ef(ch, FID_COM, SFI_COM, plan, access)
    if com_raw is None:
        raise LdsError("the chip has no EF.COM")
    listed = parse_com(com_raw).data_groups
    sod_raw = read_ef(ch, FID_SOD, SFI_SOD, plan, access)
    if sod_raw is None:
        raise LdsError("the chip has no EF.SOD")
    sod = parse_sod(sod_raw)
    wanted = [n for n in WANTED_DGS if (n in listed or n in sod.dg_hashes) and (n != 11 or options.read_dg11)
              and (n not in (14, 15) or options.active_auth)]
    files: dict[int, bytes] = {}
    for n in wanted:
        raw = read_ef(ch, dg_fid(n), dg_sfi(n), plan, access)
        if raw is not None:
            files[n] = raw
        elif n in MANDATORY_DGS:
            raise LdsError(f"the chip has no DG{n}")
    if 1 not in files:
        raise LdsError("neither EF.COM nor EF.SOD lists DG1")
    return files, sod


def _signed_pace(dg14: bytes) -> bool:
    try:
        return dg14_offers_pace(dg14)
    except ParseError:
        return False


def _active_auth(ch: _SecureChannel, files: Mapping[int, bytes]) -> bool:
    challenge = os.urandom(8)
    try:
        algorithm = parse_dg14_aa_algorithm(files[14]) if 14 in files else None
        key = parse_dg15(files[15])
    except ParseError:
        return False
    r = ch.send(Command(0x00, 0x88, 0x00, 0x00, challenge, le=256))
    if r.sw != SW_OK:
        log.info("INTERNAL AUTHENTICATE answered %04X", r.sw)
        return False
    return verify_active_auth(key, challenge, r.data, algorithm)


__all__ = ["ChipRead", "ReadOptions", "Verdicts", "read_document", "SecureMessagingError"]
