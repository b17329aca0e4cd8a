"""A resident ID card reader that ships only a vendor library with the common 'termb' C API.

Many second-generation resident ID readers come with a shared library (termb.dll on Windows,
libtermb.so on Linux) instead of a documented protocol. This backend loads it with ctypes from a
configured path. The reader's SAM authenticates the card (the SAM is the public security
authority's security module), so a successful read is a genuine card as far as this kiosk can tell.

The API, as found in public sources (checked 2026-11):

- mozixiaobai/MyPotato_Camera termb.h (C, LoadLibrary): `int InitComm(int port)`,
  `int Authenticate()`, `int Read_Content(int active)`, `int CloseComm()`, plus
  `Read_Content_Path(char *dir, int active)`, `GetPhoto(char *wlt_file)`, `GetSAMID()`,
  `InitCommExt()`. No field getters: Read_Content writes wz.txt / xp.wlt / zp.bmp into the
  program's directory.
- DNAAD/carparking ReadCardAPI.java (a C# DllImport of TERMB.DLL): the same four calls; port
  1-16 serial, 1001-1016 USB; every call returns 1 on success, 0 on failure; Read_Content's
  `active` is 1 basic data, 2 text only, 3 newest address.
- uuappli/HospitalSelfSystem CVR_IDENTITY_DLL.cs (DllImport of termb.dll): the calls prefixed
  `CVR_` (CVR_InitComm, CVR_Authenticate, CVR_Read_Content, CVR_CloseComm) and the field getters
  `int GetPeopleName(byte *buf, int *len)`, GetPeopleSex, GetPeopleNation, GetPeopleBirthday,
  GetPeopleAddress, GetPeopleIDCode, GetDepartment, GetStartDate, GetEndDate (ANSI, i.e. GBK).
- WLT decoders (kiosk/devices/idcard/photo.py): SpeedataG/UHF `wlt2bmp(byte[] wlt, byte[] bmp,
  int bmpSave)`, superoctober1213/AppBluetooth `wlt2Bmp(in, out)` with a 102x126x3 image,
  divaliu1408/AppDemo `wltInit(path)` + `wltGetBMP(wlt, licence)`, ewkonzo/Projects
  `Wlt2Bmp(wltPath, bmpPath)` (file paths, not buffers).

Where they disagree: the `CVR_` prefix (so `prefix` is configurable); getters versus files
written to the working directory (this backend uses getters: personal data never touches disk);
whether `*len` is the buffer's capacity on input (not documented: the buffer passed is far larger
than any field, and the length returned is checked against it); the text encoding (GBK on
Windows; configurable); how the photo is handed over (a file, or a getter: none of the sources
shows a WLT getter, so its symbol is configurable and, when absent, the photo is reported
unavailable (CardReadResult.photo_problem: staff verify the citizen) rather than skipped); and the decoder's name and whether it takes buffers or paths.

Threads: every method runs on the card thread (ctypes calls included; vendor libraries keep global
state and are not thread-safe) except `close`. A polling wait is bounded by its timeout; a single
vendor call cannot be interrupted, so a library that hangs inside one is beyond what this process
can bound.
"""
from __future__ import annotations

import ctypes
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from kiosk.devices.idcard.photo import NoPhotoDecoder, PhotoDecoder, PhotoUnavailable
from kiosk.devices.ports import AccessKey, CardError, CardReadResult
from kiosk.domain.identity import Identity
from kiosk.domain.idnumber import birth_date_from_resident_id, is_valid_resident_id
from kiosk.i18n import tr

log = logging.getLogger(__name__)

READER_UNAVAILABLE = tr("身份证阅读器无法使用，请联系工作人员。")
READ_FAILED = tr("无法读取身份证，请将身份证平放在阅读器上再试一次。")
CARD_REMOVED = tr("身份证在读取时被移开，请放回阅读器上。")
BAD_CONTENT = tr("身份证信息无法识别，请联系工作人员。")
NO_PHOTO_FROM_READER = tr("此阅读器不提供照片，无法核对人脸，请联系工作人员。")

_POLL = 0.1
_FIELD_BUFFER = 512            # far beyond the card's longest field (70 bytes of address)
_WLT_BUFFER = 4096             # the card's photo is 1024 bytes
_SEX = {"男": "M", "女": "F", "1": "M", "2": "F"}
_LONG_TERM = "长期"            # a validity "end date" for cards that never expire
_FIELDS = {"name": "GetPeopleName", "sex": "GetPeopleSex", "nation": "GetPeopleNation",
           "birth": "GetPeopleBirthday", "address": "GetPeopleAddress", "id": "GetPeopleIDCode",
           "authority": "GetDepartment", "start": "GetStartDate", "end": "GetEndDate"}
_MAX_CHARS = {"name": 30, "sex": 2, "nation": 10, "birth": 8, "address": 70, "id": 18,
              "authority": 30, "start": 8, "end": 8}


class VendorSdkCardReader:
    """The CardReader port over a vendor's termb-style library at `library_path`."""

    def __init__(self, library_path: str | Path, *, port: int = 1001, prefix: str = "",
                 encoding: str = "gb18030", wlt_symbol: str = "GetPeopleWlt",
                 photo_decoder: PhotoDecoder | None = None) -> None:
        self.name = f"vendor-sdk:{Path(library_path).name}"
        self._path = str(library_path)
        self._port = port
        self._prefix = prefix
        self._encoding = encoding
        self._wlt_symbol = wlt_symbol
        self._decoder: PhotoDecoder = photo_decoder or NoPhotoDecoder()
        self._lib: ctypes.CDLL | None = None
        self._open = False
        self._port_error = ""
        self._lock = threading.Lock()     # one vendor call at a time: close() may come from another thread
        self._closed = threading.Event()

    # --- the port ---------------------------------------------------------------------------------
    def wait_for_insert(self, timeout: float) -> bool:
        """Card thread; polls Authenticate for up to `timeout` s. A reader whose port does not open
        waits out the timeout and answers False; `read` then says the reader is unavailable."""
        return self._poll(lambda: self._authenticate(), timeout)

    def wait_for_removal(self, timeout: float) -> bool:
        """Card thread; polls Authenticate for up to `timeout` s; True once it finds no card."""
        return self._poll(lambda: not self._authenticate(), timeout)

    def read(self, timeout: float) -> CardReadResult:
        """Card thread. Authenticate, Read_Content and the field getters, then the photo through
        the PhotoDecoder with what is left of `timeout`; no usable photo is not a failure: the result's
        photo is empty and `photo_problem` carries the decoder's reason. Raises CardError, or
        TimeoutError when the calls overran `timeout`."""
        started = time.monotonic()
        deadline = started + timeout
        if not self._ensure_open():
            raise CardError(READER_UNAVAILABLE, self._port_error)
        if not self._authenticate() or self._call("Read_Content", 1) != 1:
            if not self._authenticate():
                raise CardError(CARD_REMOVED, "no card after a failed read")
            raise CardError(READ_FAILED, "Read_Content failed")
        fields = {key: self._text(symbol, key) for key, symbol in _FIELDS.items()}
        identity = self._identity(fields)
        wlt = self._bytes(self._wlt_symbol, _WLT_BUFFER)
        if time.monotonic() > deadline:
            raise TimeoutError(f"card read took longer than {timeout:.1f} s")
        photo_problem = None
        try:
            if wlt is None:
                raise PhotoUnavailable(NO_PHOTO_FROM_READER, f"library has no {self._wlt_symbol}")
            photo = self._decoder.decode(wlt, max(0.1, deadline - time.monotonic()))
        except PhotoUnavailable as exc:
            # Without the photo no automated face check can run, but the card was read and its
            # SAM authenticated it: the data comes back with the reason (photo_problem) and the
            # flow sends the citizen to a clerk's check in person; never a pretended photo.
            log.warning("ID card photo unavailable: %s", exc.detail)
            photo, photo_problem = b"", exc.reason
        return CardReadResult(dataclasses.replace(identity, photo=photo), genuine=True, photo_problem=photo_problem,
                              seconds=time.monotonic() - started)

    def set_access_key(self, key: AccessKey | None) -> None:
        """Any thread. Resident ID cards need no key: the reader's SAM opens them."""

    def close(self) -> None:
        """Shutdown thread; ends a wait in progress and closes the port (one short vendor call)."""
        self._closed.set()
        if self._lock.acquire(timeout=1.0):
            try:
                if self._open and self._lib is not None:
                    self._lib[self._prefix + "CloseComm"]()
                self._open = False
            finally:
                self._lock.release()

    # --- the library --------------------------------------------------------------------------------
    def _poll(self, done: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._closed.is_set():
            if self._ensure_open() and done():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._closed.wait(min(_POLL, left))
        return False

    def _ensure_open(self) -> bool:
        if self._open:
            return True
        if self._lib is None:
            try:
                self._lib = ctypes.CDLL(self._path)
            except OSError as exc:
                self._note_port_error(f"cannot load {self._path}: {exc}")
                return False
        try:
            opened = self._call("InitComm", self._port) == 1
        except AttributeError as exc:
            self._note_port_error(f"library lacks the termb API: {exc}")
            return False
        if not opened:
            self._note_port_error(f"InitComm({self._port}) failed")
            return False
        self._open, self._port_error = True, ""
        return True

    def _note_port_error(self, detail: str) -> None:
        if detail != self._port_error:   # once per change, not every poll
            log.warning("ID card reader unavailable: %s", detail)
        self._port_error = detail

    def _call(self, symbol: str, *args: int) -> int:
        assert self._lib is not None
        fn = self._lib[self._prefix + symbol]
        fn.restype = ctypes.c_int
        with self._lock:
            if self._closed.is_set():
                return 0
            return int(fn(*[ctypes.c_int(a) for a in args]))

    def _authenticate(self) -> bool:
        return self._call("Authenticate") == 1

    def _bytes(self, symbol: str, size: int) -> bytes | None:
        """A getter's value, or None when the library has no such getter. Raises CardError."""
        assert self._lib is not None
        try:
            fn = self._lib[symbol]
        except AttributeError:
            return None
        buf = ctypes.create_string_buffer(size)
        length = ctypes.c_int(size)
        fn.restype = ctypes.c_int
        with self._lock:
            ok = fn(buf, ctypes.byref(length)) == 1
        if not ok or not 0 <= length.value <= size:
            raise CardError(READ_FAILED, f"{symbol} failed (length {length.value})")
        return buf.raw[:length.value]

    def _text(self, symbol: str, key: str) -> str:
        raw = self._bytes(symbol, _FIELD_BUFFER)
        if raw is None:
            raise CardError(READER_UNAVAILABLE, f"library lacks {symbol}")
        try:
            value = raw.split(b"\x00", 1)[0].decode(self._encoding).strip()
        except UnicodeDecodeError:
            raise CardError(BAD_CONTENT, f"{symbol}: not {self._encoding} text") from None
        if len(value) > _MAX_CHARS[key] or not value.isprintable():
            raise CardError(BAD_CONTENT, f"{symbol}: {len(value)} characters or unprintable")
        return value

    @staticmethod
    def _identity(fields: dict[str, str]) -> Identity:
        """The getters' text as a domain Identity; refuses a card whose details contradict each other."""
        number = fields["id"].upper()
        try:
            birth = date(int(fields["birth"][:4]), int(fields["birth"][4:6]), int(fields["birth"][6:8]))
            end = None if fields["end"] == _LONG_TERM else date(
                int(fields["end"][:4]), int(fields["end"][4:6]), int(fields["end"][6:8]))
        except ValueError:
            raise CardError(BAD_CONTENT, "birth or validity date malformed") from None
        sex = _SEX.get(fields["sex"])
        if (not is_valid_resident_id(number) or sex is None or not fields["name"]
                or birth_date_from_resident_id(number) != birth):
            raise CardError(BAD_CONTENT, "ID number, sex or birth date inconsistent")
        return Identity(document_number=number, name=fields["name"], name_latin="", sex=sex,
                        birth_date=birth, nationality="CHN", expiry_date=end,
                        personal_number=number, address=fields["address"] or None)
