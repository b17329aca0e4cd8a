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

from kiosk.devices.icao import tlv
from kiosk.devices.icao.aa import verify_active_auth
from kiosk.devices.icao.apdu import (SW_FILE_NOT_FOUND, SW_OK, SW_WRONG_LENGTH, ApduTransport, Command, Response,
                                     atr_supports_extended)
from kiosk.devices.icao.crypto.bac import bac
from kiosk.devices.icao.crypto.pace import PaceInfo, pace, parse_card_access
from kiosk.devices.icao.crypto.primitives import SessionKeys
from kiosk.devices.icao.crypto.sm import protect_command, unprotect_response
from kiosk.devices.icao.errors import (AccessDenied, CardRemoved, CardStatusError, LdsError, ParseError, ReadTimeout,
                                       SecureMessagingError, TransportError)
from kiosk.devices.icao.lds import (AID_EMRTD, SFI_CARD_ACCESS, SFI_COM, SFI_SOD, FaceImage, PersonalDetails,
                                    dg_sfi, parse_com, parse_dg1, parse_dg2, parse_dg11, parse_dg14_aa_algorithm,
                                    parse_dg15)
from kiosk.devices.icao.mrz import CanKey, Mrz, MrzKey, parse_date
from kiosk.devices.icao.sod import PassiveAuthResult, parse_sod, verify_passive
from kiosk.devices.icao.trust import TrustStore

log = logging.getLogger(__name__)

EXTENDED_CHUNK = 0x7000       # per READ BINARY with extended length (well inside pcscd's 64 KB buffer)
EXTENDED_FIRST = 0x800        # the first read of a file: usually the whole of it
SHORT_CHUNKS = (223, 160)     # short APDUs under SM: 223 fits 256 with SM overhead; 160 for fussy chips
WANTED_DGS = (1, 2, 11, 14, 15)


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
    chip_genuine: bool | None       # Active Authentication; None when the chip has no DG15
    expired: bool                   # the document's expiry date has passed
    problems: tuple[str, ...] = ()  # for the operator log: what failed (no personal data)

    @property
    def genuine(self) -> bool:
        return self.data_integrity and self.signer_trusted and self.chip_genuine is not False


@dataclass(frozen=True)
class ChipRead:
    mrz: Mrz
    details: PersonalDetails | None
    face: FaceImage | None          # None unless passive authentication passed (the image is never decoded before)
    verdicts: Verdicts
    access_control: str             # e.g. "PACE-ECDH-GM AES-128 brainpoolP256r1 (CAN)" or "BAC"
    read_mode: str                  # "extended" or "short-223" / "short-160"
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
                raise _ChunkRefused(f"extended APDU failed: {exc}") from None
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


class _ChunkRefused(Exception):
    """The chip refused our read size (or extended length): restart with a smaller one."""


def _select_applet(ch: _Link | _SecureChannel) -> None:
    r = ch.send(Command(0x00, 0xA4, 0x04, 0x0C, AID_EMRTD))
    if r.sw != SW_OK:
        raise CardStatusError("SELECT eMRTD application (is this an ICAO document?)", r.sw)


def _card_access(link: _Link) -> list[PaceInfo]:
    r = link.send(Command(0x00, 0xB0, 0x80 | SFI_CARD_ACCESS, 0x00, le=256))
    if not r.ok or not r.data:
        return []      # 6A82: no EF.CardAccess, so no PACE
    try:
        return parse_card_access(r.data[:tlv.encoded_size(r.data)])
    except ParseError as exc:
        log.warning("EF.CardAccess unreadable (%s): using BAC", exc)
        return []


def _open(link: _Link, key: MrzKey | CanKey, options: ReadOptions) -> tuple[_SecureChannel, str]:
    infos = _card_access(link) if options.prefer_pace or isinstance(key, CanKey) else []
    if infos:
        info = infos[0]
        keys = pace(link, key, info)
        ch = _SecureChannel(link, keys)
        _select_applet(ch)
        alg, size = info.cipher
        label = f"PACE-ECDH-GM {alg}{'-' + str(size * 8) if alg == 'AES' else ''} {info.curve.name} " \
                f"({'CAN' if isinstance(key, CanKey) else 'MRZ'})"
        return ch, label
    if isinstance(key, CanKey):
        raise AccessDenied("this document does not support PACE, so its CAN cannot be used; use the MRZ")
    _select_applet(link)
    return _SecureChannel(link, bac(link, key)), "BAC"


@dataclass(frozen=True)
class _Plan:
    name: str
    first: int
    chunk: int


def _read_file(ch: _SecureChannel, sfi: int, plan: _Plan) -> bytes | None:
    """A whole EF via its short file id; None if the chip does not have it."""
    r = _read(ch, Command(0x00, 0xB0, 0x80 | sfi, 0x00, le=plan.first))
    if r.sw == SW_FILE_NOT_FOUND:
        return None
    _check(r, f"READ BINARY SFI {sfi:02X}")
    data = r.data
    try:
        total = tlv.encoded_size(data[:8])
    except ParseError as exc:
        raise LdsError(f"file {sfi:02X} does not start with a TLV header: {exc}") from None
    while len(data) < total:
        offset = len(data)
        if offset > 0x7FFF:
            raise LdsError(f"file {sfi:02X} is larger than this reader supports ({total} bytes)")
        r = _read(ch, Command(0x00, 0xB0, offset >> 8, offset & 0xFF, le=min(plan.chunk, total - offset)))
        _check(r, f"READ BINARY SFI {sfi:02X} at {offset}")
        if not r.data:
            raise LdsError(f"file {sfi:02X} ended early")
        data += r.data
    return data[:total]


def _read(ch: _SecureChannel, cmd: Command) -> Response:
    r = ch.send(cmd)
    if r.sw == SW_WRONG_LENGTH or r.sw & 0xFF00 == 0x6C00 or r.sw in (0x6987, 0x6988):
        raise _ChunkRefused(f"{r.sw:04X}")
    return r


def _check(r: Response, what: str) -> None:
    if not r.ok:
        raise CardStatusError(what, r.sw)


def _plans(transport: ApduTransport, options: ReadOptions) -> list[_Plan]:
    plans = []
    if options.extended_length and atr_supports_extended(transport.atr()):
        plans.append(_Plan("extended", EXTENDED_FIRST, EXTENDED_CHUNK))
    plans += [_Plan(f"short-{n}", n, n) for n in SHORT_CHUNKS]
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
    for i, plan in enumerate(plans):
        t0 = time.perf_counter()
        if i:
            transport.reset()
        ch, access = _open(link, key, options)
        timings["access_control"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        try:
            files, sod_raw = _read_all(ch, plan, options)
        except _ChunkRefused as exc:
            log.info("chip refused %s reads (%s); retrying with smaller ones", plan.name, exc)
            if i == len(plans) - 1:
                raise LdsError("the chip refused every read size") from None
            continue
        timings["read_files"] = time.perf_counter() - t0
        break
    t0 = time.perf_counter()
    mrz = parse_dg1(files[1])
    details = parse_dg11(files[11]) if 11 in files else None
    sod = parse_sod(sod_raw)
    passive = verify_passive(sod, files, trust, issuing_state=mrz.issuing_state, when=now())
    timings["passive_auth"] = time.perf_counter() - t0
    # The face image is the costliest thing to decode and an attacker's best payload: only a
    # signed, trusted DG2 is parsed (its header size-checked, ImageError when too large), and
    # only then may anything downstream decode it.
    face = parse_dg2(files[2]) if 2 in files and passive.data_integrity and passive.signer_trusted else None
    problems = list(passive.problems)
    chip_genuine: bool | None = None
    if 15 in files and options.active_auth:
        t0 = time.perf_counter()
        chip_genuine = _active_auth(ch, files)
        timings["active_auth"] = time.perf_counter() - t0
        if not chip_genuine:
            problems.append("Active Authentication failed (cloned chip?)")
    if mrz.check_errors:
        problems.append(f"DG1 check digits wrong: {', '.join(mrz.check_errors)}")
    today = today or date.today()
    expired = parse_date(mrz.expiry, today, past=False) < today
    verdicts = Verdicts(passive.data_integrity and mrz.checks_ok, passive.signer_trusted, chip_genuine, expired,
                        tuple(problems))
    return ChipRead(mrz, details, face, verdicts, access, plan.name, tuple(sorted(files)), link.count,
                    time.perf_counter() - started, timings, passive)


def _read_all(ch: _SecureChannel, plan: _Plan, options: ReadOptions) -> tuple[dict[int, bytes], bytes]:
    com_raw = _read_file(ch, SFI_COM, plan)
    if com_raw is None:
        raise LdsError("the chip has no EF.COM")
    listed = parse_com(com_raw).data_groups
    wanted = [n for n in WANTED_DGS if n in listed and (n != 11 or options.read_dg11)
              and (n not in (14, 15) or options.active_auth)]
    if 1 not in wanted:
        raise LdsError("EF.COM does not list DG1")
    files: dict[int, bytes] = {}
    for n in wanted:
        raw = _read_file(ch, dg_sfi(n), plan)
        if raw is not None:
            files[n] = raw
    if 1 not in files:
        raise LdsError("the chip has no DG1")
    sod = _read_file(ch, SFI_SOD, plan)
    if sod is None:
        raise LdsError("the chip has no EF.SOD")
    return files, sod


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
