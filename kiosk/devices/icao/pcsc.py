"""`PcscCardReader`: the CardReader port over PC/SC (pyscard's low-level `smartcard.scard` API),
reading ICAO 9303 documents.

Threading: every method except `set_access_key` runs on the card thread, which owns the PC/SC
context (created on first use on that thread). Waits block in SCardGetStatusChange with a timeout
(no polling loop); `read` blocks on one APDU at a time and honours its deadline between APDUs.
`close` may be called from another thread once the card thread has stopped (it cancels any wait).
We never use pyscard's CardMonitor (its callbacks run on threads of its own).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from smartcard import scard

from kiosk.devices.icao import messages as msg
from kiosk.devices.icao.apdu import ApduTransport
from kiosk.devices.icao.errors import (AccessDenied, CardRemoved, CardStatusError, IcaoError, ParseError, ReadTimeout,
                                       SecureMessagingError, TransportError)
from kiosk.devices.icao.identity import to_identity
from kiosk.devices.icao.mrz import CanKey, MrzKey
from kiosk.devices.icao.reader import ChipRead, ReadOptions, read_document
from kiosk.devices.icao.trust import TrustStore
from kiosk.devices.ports import AccessKey as TypedKey
from kiosk.devices.ports import AccessKeyRequired, CardError, CardReadResult

log = logging.getLogger(__name__)
alert = logging.getLogger("kiosk.alert")

AccessKey = MrzKey | CanKey
_REMOVED_CODES = {scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_RESET_CARD,
                  scard.SCARD_W_UNPOWERED_CARD}
_LOST_CODES = _REMOVED_CODES | {scard.SCARD_E_NOT_TRANSACTED, scard.SCARD_F_COMM_ERROR, scard.SCARD_W_UNRESPONSIVE_CARD}
_GONE_SERVICE = {scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED, scard.SCARD_E_INVALID_HANDLE,
                 scard.SCARD_E_NO_READERS_AVAILABLE}


def _is_extended(apdu: bytes) -> bool:
    return len(apdu) > 5 and apdu[4] == 0x00


def list_readers() -> list[str]:
    """Names of the PC/SC readers now attached (any thread; opens its own short-lived context)."""
    hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hr != scard.SCARD_S_SUCCESS:
        return []
    try:
        hr, readers = scard.SCardListReaders(ctx, [])
        return list(readers) if hr == scard.SCARD_S_SUCCESS else []
    finally:
        scard.SCardReleaseContext(ctx)


class _PcscTransport:
    """One connected card. Card thread; `transmit` blocks until the chip answers."""

    def __init__(self, ctx: int, reader: str, handle: int, protocol: int, atr: bytes) -> None:
        self.ctx, self.reader = ctx, reader
        self.handle, self.protocol, self._atr = handle, protocol, atr
        self.removed = False

    def atr(self) -> bytes:
        return self._atr

    def transmit(self, apdu: bytes) -> bytes:
        hr, resp = scard.SCardTransmit(self.handle, self.protocol, list(apdu))
        if hr != scard.SCARD_S_SUCCESS:
            if _is_extended(apdu) and hr not in _REMOVED_CODES:
                # a reader (driver) that cannot carry extended APDUs fails the exchange: let the
                # protocol fall back to short reads (it resets the card first, which tells a
                # removed card apart)
                raise TransportError(f"extended APDU refused: {scard.SCardGetErrorMessage(hr)}")
            self._raise(hr, "transmit")
        if len(resp) < 2:     # a chip always answers with a status word: it has left the field
            self.removed = True
            raise CardRemoved("the card gave no answer")
        return bytes(resp)

    def reset(self) -> None:
        hr, protocol = scard.SCardReconnect(self.handle, scard.SCARD_SHARE_SHARED,
                                            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1, scard.SCARD_RESET_CARD)
        if hr != scard.SCARD_S_SUCCESS:
            self._raise(hr, "reset")
        self.protocol = protocol

    def _raise(self, hr: int, what: str) -> None:
        if hr in _LOST_CODES:
            # On a contactless reader a failed exchange mid-read almost always means the card left
            # the field; the slot may report it only on the reader's next presence poll.
            self.removed = True
            raise CardRemoved(f"{what}: {scard.SCardGetErrorMessage(hr)}")
        raise TransportError(f"{what}: {scard.SCardGetErrorMessage(hr)}")


class PcscCardReader:
    """Reads eMRTDs on one PC/SC reader.

    reader_name: the reader to use (exact name, or a part of it; "" = the first reader).
    key_source:  gives the access key (MRZ or CAN) for the document on the reader; None = not known yet.
    trust_store: folder of CSCA certificates for passive authentication.
    """

    def __init__(self, reader_name: str = "", *, key_source: Callable[[], AccessKey | None] | None = None,
                 trust_store: Path | TrustStore, options: ReadOptions = ReadOptions(),
                 today: Callable[[], date] = date.today) -> None:
        self.reader_name = reader_name
        self.name = f"PC/SC {reader_name or '(first reader)'}"
        self._key_source = key_source
        self._key: AccessKey | None = None
        self._key_lock = threading.Lock()
        self._trust = trust_store if isinstance(trust_store, TrustStore) else TrustStore.load(trust_store)
        self._options = options
        self._today = today
        self._ctx: int | None = None
        self._reader: str | None = None
        self._state = scard.SCARD_STATE_UNAWARE
        self._idle = threading.Event()      # only ever waited on with a timeout (no PC/SC service)
        self._warned = False
        self.last_read: ChipRead | None = None   # verdicts and timings of the last successful read

    # --- access key (any thread) ------------------------------------------------------------------
    def set_access_key(self, key: AccessKey | TypedKey | None) -> None:
        """The MRZ or CAN of the next document (from an MRZ scanner or the CAN keypad). Any thread.
        Raises ValueError when the key is not well formed."""
        if isinstance(key, TypedKey):
            key = CanKey(key.can) if key.can else MrzKey(key.document_number, key.birth, key.expiry)
        with self._key_lock:
            self._key = key

    def _access_key(self) -> AccessKey | None:
        with self._key_lock:
            if self._key is not None:
                return self._key
        return self._key_source() if self._key_source else None

    # --- PC/SC context (card thread) ----------------------------------------------------------------
    def _context(self) -> int | None:
        if self._ctx is None:
            hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hr != scard.SCARD_S_SUCCESS:
                self._warn(f"PC/SC service unavailable: {scard.SCardGetErrorMessage(hr)}")
                return None
            self._ctx = ctx
            self._idle.clear()
        return self._ctx

    def _drop_context(self) -> None:
        if self._ctx is not None:
            scard.SCardReleaseContext(self._ctx)
        self._ctx, self._reader, self._state = None, None, scard.SCARD_STATE_UNAWARE

    def _warn(self, text: str) -> None:
        if not self._warned:
            log.warning("%s", text)
            self._warned = True

    def _find_reader(self) -> str | None:
        ctx = self._context()
        if ctx is None:
            return None
        if self._reader is not None:
            return self._reader
        hr, readers = scard.SCardListReaders(ctx, [])
        if hr in _GONE_SERVICE:
            self._drop_context()
            return None
        readers = list(readers) if hr == scard.SCARD_S_SUCCESS else []
        chosen = next((r for r in readers if r == self.reader_name), None) or \
            next((r for r in readers if self.reader_name and self.reader_name in r), None) or \
            (readers[0] if readers and not self.reader_name else None)
        if chosen is None:
            self._warn(f"card reader {self.reader_name or '(any)'} not found; attached: {readers}")
        else:
            self._warned = False
            log.info("using card reader %s", chosen)
        self._reader = chosen
        self._state = scard.SCARD_STATE_UNAWARE
        return chosen

    def _wait(self, want_present: bool, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        reader = self._find_reader()
        if reader is None:
            if not want_present:
                return True             # no reader, so no card on it
            self._idle.wait(timeout)    # nothing to wait on: sleep the timeout, then look again
            return False
        while True:
            ms = max(0, int((deadline - time.monotonic()) * 1000))
            assert self._ctx is not None
            hr, states = scard.SCardGetStatusChange(self._ctx, ms if self._state != scard.SCARD_STATE_UNAWARE else 0,
                                                    [(reader, self._state)])
            if hr == scard.SCARD_E_TIMEOUT or hr == scard.SCARD_E_CANCELLED:
                return False
            if hr != scard.SCARD_S_SUCCESS:
                log.info("waiting for the card failed: %s", scard.SCardGetErrorMessage(hr))
                self._drop_context()
                self._idle.wait(max(0.0, deadline - time.monotonic()))
                return False
            event = states[0][1]
            self._state = event & ~scard.SCARD_STATE_CHANGED
            if event & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
                self._reader = None
                return False
            present = bool(event & scard.SCARD_STATE_PRESENT) and not event & scard.SCARD_STATE_MUTE
            if present == want_present:
                return True
            if time.monotonic() >= deadline:
                return False

    # --- the CardReader port (card thread) ----------------------------------------------------------
    def wait_for_insert(self, timeout: float) -> bool:
        """Block up to `timeout` s in SCardGetStatusChange; True once a card is present."""
        return self._wait(True, timeout)

    def wait_for_removal(self, timeout: float) -> bool:
        """Block up to `timeout` s in SCardGetStatusChange; True once the card is gone."""
        return self._wait(False, timeout)

    def read(self, timeout: float) -> CardReadResult:
        """Open the chip with the access key, read and check it. Raises CardError with what to do."""
        deadline = time.monotonic() + timeout
        key = self._access_key()
        if key is None:
            raise AccessKeyRequired(msg.NEED_KEY, "no access key (MRZ or CAN) for this document")
        reader = self._find_reader()
        if reader is None or self._ctx is None:
            raise CardError(msg.NO_READER, "reader not found")
        hr, handle, protocol = scard.SCardConnect(self._ctx, reader, scard.SCARD_SHARE_SHARED,
                                                  scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        if hr != scard.SCARD_S_SUCCESS:
            if hr in _REMOVED_CODES or hr == scard.SCARD_E_NO_SMARTCARD:
                raise CardError(msg.REMOVED, f"connect: {scard.SCardGetErrorMessage(hr)}")
            raise CardError(msg.UNREADABLE, f"connect: {scard.SCardGetErrorMessage(hr)}")
        hr, _r, _s, _p, atr = scard.SCardStatus(handle)
        transport = _PcscTransport(self._ctx, reader, handle, protocol, bytes(atr or b""))
        try:
            chip = self._read_chip(transport, key, deadline)
        finally:
            # reset: the chip forgets the session keys (nothing to reset once the card has gone)
            scard.SCardDisconnect(handle, scard.SCARD_LEAVE_CARD if transport.removed else scard.SCARD_RESET_CARD)
        return self._result(chip)

    def _read_chip(self, transport: _PcscTransport, key: AccessKey, deadline: float) -> ChipRead:
        return read_chip(transport, key, self._trust, self._options, deadline, self._today())

    def _result(self, chip: ChipRead) -> CardReadResult:
        self.last_read = chip
        return chip_result(chip, self._today())

    def close(self) -> None:
        """Release the PC/SC context. Call after the card thread has stopped (or from it)."""
        if self._ctx is not None:
            scard.SCardCancel(self._ctx)
        self._idle.set()
        self._drop_context()


def read_chip(transport: ApduTransport, key: AccessKey, trust: TrustStore, options: ReadOptions, deadline: float,
              today: date) -> ChipRead:
    """Read and check the document on `transport`, mapping every failure to a CardError the
    citizen can act on. Shared by the PC/SC reader and the demo's in-process chip reader.
    Runs on the card thread; blocks on one APDU at a time until `deadline`."""
    try:
        return read_document(transport, key, trust, deadline=deadline, options=options, today=today)
    except AccessDenied as exc:
        reason = msg.CAN_NEEDS_PACE if isinstance(key, CanKey) and "PACE" in str(exc) else msg.WRONG_KEY
        raise AccessKeyRequired(reason, f"access control failed: {exc}", wrong=True) from None
    except CardRemoved as exc:
        raise CardError(msg.REMOVED, f"card removed: {exc}") from None
    except ReadTimeout as exc:
        raise CardError(msg.TIMEOUT, str(exc)) from None
    except SecureMessagingError as exc:
        alert.warning("STAFF ALERT: secure messaging broken during a card read (%s)", exc)
        raise CardError(msg.UNREADABLE, f"secure messaging: {exc}") from None
    except CardStatusError as exc:
        reason = msg.NOT_EMRTD if "SELECT" in str(exc) else msg.UNREADABLE
        raise CardError(reason, str(exc)) from None
    except (TransportError, ParseError, IcaoError) as exc:
        raise CardError(msg.UNREADABLE, f"{type(exc).__name__}: {exc}") from None


def chip_result(chip: ChipRead, today: date) -> CardReadResult:
    """The port's result for a chip read: the identity and whether it can be trusted."""
    identity = to_identity(chip, today)
    v = chip.verdicts
    problem = None
    if not v.genuine:
        alert.warning("STAFF ALERT: document failed authentication: integrity=%s signer_trusted=%s "
                      "chip_genuine=%s downgraded=%s; %s", v.data_integrity, v.signer_trusted, v.chip_genuine,
                      v.downgraded, "; ".join(v.problems))
        # A downgrade with every other check passed is told as such (its own message); any other
        # failure is the authenticity message, whatever the session was.
        only_downgrade = v.downgraded and v.data_integrity and v.signer_trusted and v.chip_genuine is not False
        problem = msg.DOWNGRADED if only_downgrade else msg.NOT_GENUINE
    elif v.expired and identity.expiry_date is not None:
        problem = msg.EXPIRED.format(date=identity.expiry_date.isoformat())
    log.info("chip read: %s via %s, %s reads, %d APDUs in %.2fs, genuine=%s expired=%s", identity.redacted(),
             chip.access_control, chip.read_mode, chip.apdu_count, chip.seconds, v.genuine, v.expired)
    return CardReadResult(identity, v.genuine, problem, chip.apdu_count, chip.seconds)
