"""The virtual eMRTD chip: answers ICAO 9303 APDUs like a real passport chip.

BAC is enforced (data groups need secure messaging), PACE-ECDH-GM is offered in EF.CardAccess,
every command after access control must be protected (a wrong MAC ends the session with 6988),
INTERNAL AUTHENTICATE signs with the DG15 key. `Misbehaviour` makes it fail in the ways real
documents do. `process` runs on whichever thread drives the card (the vpcd client thread, or the
test thread for the in-process transport); it sleeps `apdu_delay` per APDU and otherwise never blocks.
"""
from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass

from kiosk.devices.icao import tlv
from kiosk.devices.icao.aa import sign_ecdsa_plain, sign_rsa_9796
from kiosk.devices.icao.apdu import Command, Response, parse_command
from kiosk.devices.icao.crypto.bac import basic_keys, session_from
from kiosk.devices.icao.crypto.ec import PACE_CURVES
from kiosk.devices.icao.crypto.pace import (CIPHERS, PASSWORD_CAN, PASSWORD_MRZ, encrypt_nonce, mapped_generator,
                                            oid_bytes, public_key_do)
from kiosk.devices.icao.crypto.primitives import (ENC, MAC, PACE_PASSWORD, SessionKeys, des3_cbc, kdf, mac_equal,
                                                  mac_token, pad, retail_mac)
from kiosk.devices.icao.crypto.sm import protect_response, unprotect_command
from kiosk.devices.icao.errors import AccessDenied, ParseError, SecureMessagingError
from kiosk.devices.icao.lds import AID_EMRTD, SFI_CARD_ACCESS, dg_fid
from kiosk.devices.icao.mrz import MrzKey
from testkit.vcard import pki as test_pki
from testkit.vcard.document import DocumentProfile, build_files


@dataclass(frozen=True)
class Misbehaviour:
    """Ways the virtual document can go wrong (default: none)."""

    apdu_delay: float = 0.0              # seconds per APDU (a slow chip or a long radio link)
    refuse_extended: bool = False        # ATR announces extended length, but the chip answers 6700
    max_le: int | None = None            # reads asking for more than this many bytes get 6700
    remove_after: int | None = None      # the card leaves the reader after this many APDUs
    corrupt_dg: int | None = None        # this data group no longer matches its hash in EF.SOD
    unknown_csca: bool = False           # EF.SOD signed by a Document Signer under an unknown CSCA
    clone: bool = False                  # a copied chip: AA answered with a key that is not DG15's
    extended_in_atr: bool = True         # whether the ATR announces extended Lc/Le
    bad_mac_at: int | None = None        # the protected answer to this APDU (1-based) has a wrong MAC
    refuse_sfi: int | None = None        # READ BINARY by short file id answered with this SW (6A82, 6A86,
                                         # 6D00 or 6E00); SELECT by file id then READ BINARY still works
    dg2_without_group: bool = False      # DG2 lacks its outer biometric group template (7F61): 75 { 7F60 ... }
    com_omits: tuple[int, ...] = ()      # data groups left out of EF.COM (still on the chip and in EF.SOD)
    refuse_pace: bool = False            # EF.CardAccess offers PACE, but MSE:Set AT is refused: only BAC works
    hide_card_access: bool = False       # EF.CardAccess answers 6A82 (as a relay stripping it would); the
                                         # signed DG14 still lists PACE


class CardGone(Exception):
    """Raised by `process` once the card has (virtually) left the reader."""


def _sw(sw: int, data: bytes = b"") -> Response:
    return Response(data, sw)


@dataclass
class _Pace:
    alg: str
    key_len: int
    curve_id: int
    oid: str
    k_pi: bytes
    step: int = 0
    nonce: bytes = b""
    sk_map: int = 0
    g2: tuple[int, int] | None = None
    sk_eph: int = 0
    pk_eph_ic: bytes = b""
    pk_eph_pcd: bytes = b""
    keys: SessionKeys | None = None


@dataclass
class _State:
    applet: bool = False
    current: int | None = None            # SFI of the selected EF
    sm: SessionKeys | None = None
    rnd_ic: bytes | None = None
    pace: _Pace | None = None


class VirtualPassport:
    """One virtual document. Thread-safe: `process`, `reset` and `remove` may be called from any thread."""

    def __init__(self, profile: DocumentProfile = DocumentProfile(), misbehaviour: Misbehaviour = Misbehaviour(),
                 pki: test_pki.CardPki | None = None) -> None:
        self.profile = profile
        self.misbehaviour = misbehaviour
        self.pki = pki or test_pki.default()
        signer = test_pki.unknown() if misbehaviour.unknown_csca else None
        files = build_files(profile, self.pki, signer=signer, corrupt_dg=misbehaviour.corrupt_dg,
                            dg2_without_group=misbehaviour.dg2_without_group, com_omits=misbehaviour.com_omits)
        self.files = {sfi: raw for sfi, raw in files.by_sfi.items()
                      if not (misbehaviour.hide_card_access and sfi == SFI_CARD_ACCESS)}
        self._mrz_key = MrzKey(profile.number, profile.birth, profile.expiry)
        if misbehaviour.clone:
            from cryptography.hazmat.primitives.asymmetric import ec, rsa
            self._aa_ec = ec.generate_private_key(ec.SECP256R1())
            self._aa_rsa = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        else:
            self._aa_ec, self._aa_rsa = self.pki.aa_key, self.pki.aa_rsa_key
        self._lock = threading.Lock()
        self._state = _State()
        self.apdu_count = 0
        self.gone = False

    # --- the physical side -------------------------------------------------------------------
    @property
    def atr(self) -> bytes:
        hist = bytes((0x80, 0x73, 0x00, 0x00, 0x40 if self.misbehaviour.extended_in_atr else 0x00))
        body = bytes((0x80 | len(hist), 0x80, 0x01)) + hist
        tck = 0
        for b in body:
            tck ^= b
        return b"\x3b" + body + bytes((tck,))

    def reset(self) -> None:
        with self._lock:
            self._state = _State()

    def remove(self) -> None:
        with self._lock:
            self.gone = True
            self._state = _State()

    # --- APDUs ----------------------------------------------------------------------------------
    def process(self, apdu: bytes) -> bytes:
        """Answer one command APDU. Raises CardGone once the card has left."""
        m = self.misbehaviour
        if m.apdu_delay:
            time.sleep(m.apdu_delay)
        with self._lock:
            if self.gone:
                raise CardGone()
            self.apdu_count += 1
            if m.remove_after is not None and self.apdu_count > m.remove_after:
                self.gone = True
                self._state = _State()
                raise CardGone()
            return self._process(apdu).encode()

    def _process(self, apdu: bytes) -> Response:
        st = self._state
        try:
            cmd = parse_command(apdu)
        except ParseError:
            return _sw(0x6700)
        if cmd.extended and self.misbehaviour.refuse_extended:
            st.sm = None
            return _sw(0x6700)
        if st.sm is None:
            return self._dispatch(cmd, secure=False)
        if cmd.cla & 0x0C != 0x0C:
            st.sm, st.applet, st.current = None, False, None   # a plain command ends the SM session
            return self._dispatch(cmd, secure=False)
        keys = st.sm
        try:
            plain = unprotect_command(keys, cmd)
        except SecureMessagingError:
            st.sm = None
            return _sw(0x6988)
        resp = self._dispatch(plain, secure=True)
        if resp.sw == 0x6700 and plain.ins == 0xB0:     # size refused: real chips drop SM here
            st.sm = None
            return resp
        protected = protect_response(keys, resp)
        if self.misbehaviour.bad_mac_at is not None and self.apdu_count >= self.misbehaviour.bad_mac_at:
            data = bytearray(protected.data)
            data[-1] ^= 0x01                            # the last byte of DO8E: the MAC
            return Response(bytes(data), protected.sw)
        return protected

    def _dispatch(self, cmd: Command, *, secure: bool) -> Response:
        handler = {0xA4: self._select, 0xB0: self._read_binary, 0x84: self._get_challenge,
                   0x82: self._external_auth, 0x22: self._mse, 0x86: self._general_auth,
                   0x88: self._internal_auth}.get(cmd.ins)
        if handler is None:
            return _sw(0x6D00)
        return handler(cmd, secure)

    def _select(self, cmd: Command, secure: bool) -> Response:
        st = self._state
        if cmd.p1 == 0x04:
            if cmd.data != AID_EMRTD:
                return _sw(0x6A82)
            st.applet, st.current = True, None
            return _sw(0x9000)
        if cmd.p1 == 0x00 and cmd.data in (b"", b"\x3f\x00"):
            st.applet, st.current, st.sm = False, None, None
            return _sw(0x9000)
        if cmd.p1 == 0x02 and len(cmd.data) == 2:
            fid = int.from_bytes(cmd.data, "big")
            for sfi in self.files:
                if (sfi == SFI_CARD_ACCESS and fid == 0x011C) or dg_fid(sfi) == fid or \
                        (sfi == 0x1E and fid == 0x011E) or (sfi == 0x1D and fid == 0x011D):
                    if sfi != SFI_CARD_ACCESS and not (st.applet and secure):
                        return _sw(0x6982)
                    st.current = sfi
                    return _sw(0x9000)
            return _sw(0x6A82)
        return _sw(0x6A86)

    def _read_binary(self, cmd: Command, secure: bool) -> Response:
        st = self._state
        if cmd.p1 & 0x80:
            if self.misbehaviour.refuse_sfi is not None:
                return _sw(self.misbehaviour.refuse_sfi)
            sfi, offset = cmd.p1 & 0x1F, cmd.p2
            if sfi not in self.files:
                return _sw(0x6A82)
            if sfi == SFI_CARD_ACCESS:
                if st.applet:
                    return _sw(0x6A82)
            elif not st.applet:
                return _sw(0x6A82)
            elif not secure:
                return _sw(0x6982)
            st.current = sfi
        else:
            if st.current is None:
                return _sw(0x6986)
            if st.current != SFI_CARD_ACCESS and not secure:
                return _sw(0x6982)
            offset = (cmd.p1 << 8) | cmd.p2
        le = cmd.le or 256
        if self.misbehaviour.max_le is not None and le > self.misbehaviour.max_le:
            return _sw(0x6700)
        data = self.files[st.current]
        if offset >= len(data):
            return _sw(0x6B00)
        chunk = data[offset:offset + le]
        return _sw(0x9000 if len(chunk) == le else 0x6282, chunk)

    # --- BAC -------------------------------------------------------------------------------------
    def _get_challenge(self, cmd: Command, secure: bool) -> Response:
        self._state.rnd_ic = os.urandom(8)
        return _sw(0x9000, self._state.rnd_ic)

    def _external_auth(self, cmd: Command, secure: bool) -> Response:
        st = self._state
        rnd_ic, st.rnd_ic = st.rnd_ic, None
        if rnd_ic is None or not st.applet:
            return _sw(0x6985)
        k_enc, k_mac = basic_keys(self._mrz_key)
        if len(cmd.data) != 40 or not mac_equal(retail_mac(k_mac, pad(cmd.data[:32], 8)), cmd.data[32:]):
            return _sw(0x6300)
        s = des3_cbc(k_enc, cmd.data[:32], decrypt=True)
        if s[8:16] != rnd_ic:
            return _sw(0x6300)
        rnd_ifd, k_ifd, k_ic = s[:8], s[16:32], os.urandom(16)
        e_ic = des3_cbc(k_enc, rnd_ic + rnd_ifd + k_ic)
        resp = _sw(0x9000, e_ic + retail_mac(k_mac, pad(e_ic, 8)))
        st.sm = session_from(k_ifd, k_ic, rnd_ic, rnd_ifd)
        return resp

    # --- PACE ------------------------------------------------------------------------------------
    def _mse(self, cmd: Command, secure: bool) -> Response:
        st = self._state
        if not self.profile.pace or self.misbehaviour.refuse_pace or cmd.p1 != 0xC1 or cmd.p2 != 0xA4:
            return _sw(0x6A80)
        try:
            oid_raw = tlv.find(cmd.data, 0x80)
            ref = tlv.find(cmd.data, 0x83)
            param = tlv.find(cmd.data, 0x84)
        except ParseError:
            return _sw(0x6A80)
        if oid_raw != oid_bytes(self.profile.pace_oid) or ref not in (bytes((PASSWORD_MRZ,)), bytes((PASSWORD_CAN,))):
            return _sw(0x6A80)
        if param is not None and param != bytes((self.profile.pace_parameter,)):
            return _sw(0x6A80)
        if ref == bytes((PASSWORD_CAN,)):
            password = self.profile.can.encode("ascii")
        else:
            password = hashlib.sha1(self._mrz_key.mrz_information().encode("ascii")).digest()
        alg, key_len = CIPHERS[self.profile.pace_oid]
        st.pace = _Pace(alg, key_len, self.profile.pace_parameter, self.profile.pace_oid,
                        kdf(password, PACE_PASSWORD, alg, key_len))
        st.sm, st.applet = None, False
        return _sw(0x9000)

    def _general_auth(self, cmd: Command, secure: bool) -> Response:
        st = self._state
        p = st.pace
        if p is None:
            return _sw(0x6985)
        try:
            inner = tlv.unwrap(cmd.data, 0x7C)
            return self._pace_step(p, inner)
        except (ParseError, ValueError, AccessDenied):
            st.pace = None
            return _sw(0x6300)

    def _pace_step(self, p: _Pace, inner: bytes) -> Response:
        curve = PACE_CURVES[p.curve_id]
        if p.step == 0:
            p.nonce = os.urandom(16 if p.alg == "AES" else 8)
            p.step = 1
            return _sw(0x9000, tlv.encode(0x7C, tlv.encode(0x80, encrypt_nonce(p.alg, p.k_pi, p.nonce))))  # type: ignore[arg-type]
        if p.step == 1:
            pk_pcd = curve.decode(tlv.require(inner, 0x81, "map"))
            p.sk_map = curve.private_key()
            p.g2 = mapped_generator(curve, p.nonce, curve.mul(p.sk_map, pk_pcd))
            p.step = 2
            return _sw(0x9000, tlv.encode(0x7C, tlv.encode(0x82, curve.encode(curve.mul(p.sk_map, curve.g)))))
        if p.step == 2:
            p.pk_eph_pcd = tlv.require(inner, 0x83, "eph")
            pk_pcd = curve.decode(p.pk_eph_pcd)
            p.sk_eph = curve.private_key()
            p.pk_eph_ic = curve.encode(curve.mul(p.sk_eph, p.g2))
            if p.pk_eph_ic == p.pk_eph_pcd:
                raise ValueError("same ephemeral key")
            shared = curve.mul(p.sk_eph, pk_pcd)
            if shared is None:
                raise ValueError("infinity")
            secret = shared[0].to_bytes(curve.size, "big")
            p.keys = SessionKeys(p.alg, kdf(secret, ENC, p.alg, p.key_len), kdf(secret, MAC, p.alg, p.key_len), 0)  # type: ignore[arg-type]
            p.step = 3
            return _sw(0x9000, tlv.encode(0x7C, tlv.encode(0x84, p.pk_eph_ic)))
        if p.step == 3 and p.keys is not None:
            token = tlv.require(inner, 0x85, "token")
            expected = mac_token(p.alg, p.keys.mac, public_key_do(p.oid, p.pk_eph_ic))  # type: ignore[arg-type]
            if not mac_equal(token, expected):
                self._state.pace = None
                return _sw(0x6300)
            t_ic = mac_token(p.alg, p.keys.mac, public_key_do(p.oid, p.pk_eph_pcd))  # type: ignore[arg-type]
            self._state.sm, self._state.pace = p.keys, None
            return _sw(0x9000, tlv.encode(0x7C, tlv.encode(0x86, t_ic)))
        return _sw(0x6985)

    # --- Active Authentication -------------------------------------------------------------------
    def _internal_auth(self, cmd: Command, secure: bool) -> Response:
        if not secure or not self.profile.with_aa:
            return _sw(0x6982 if not secure else 0x6D00)
        if len(cmd.data) != 8:
            return _sw(0x6700)
        if self.profile.aa_kind == "ec":
            return _sw(0x9000, sign_ecdsa_plain(self._aa_ec, cmd.data))
        return _sw(0x9000, sign_rsa_9796(self._aa_rsa, cmd.data))
