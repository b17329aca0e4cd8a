"""PACE with generic mapping over ECDH (ICAO 9303 part 11 §4.4): NIST P-256 (parameter id 12)
and brainpoolP256r1 (id 13), 3DES or AES session keys, with the MRZ or the CAN as password.

`parse_card_access` is pure. `pace` runs on the card thread and blocks on five APDUs
(MSE:Set AT and four GENERAL AUTHENTICATE steps).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from asn1crypto import core

from kiosk.devices.icao import tlv
from kiosk.devices.icao.asn1 import security_infos
from kiosk.devices.icao.apdu import SW_OK, Channel, Command, Response
from kiosk.devices.icao.crypto.ec import PACE_CURVES, Curve
from kiosk.devices.icao.crypto.primitives import (ENC, MAC, PACE_PASSWORD, Alg, SessionKeys, aes_cbc, des3_cbc,
                                                  kdf, mac_equal, mac_token)
from kiosk.devices.icao.errors import AccessDenied, CardStatusError, LdsError, ParseError
from kiosk.devices.icao.mrz import CanKey, MrzKey

ID_PACE_ECDH_GM = "0.4.0.127.0.7.2.2.4.2"
CIPHERS: dict[str, tuple[Alg, int]] = {
    ID_PACE_ECDH_GM + ".1": ("3DES", 16),
    ID_PACE_ECDH_GM + ".2": ("AES", 16),
    ID_PACE_ECDH_GM + ".3": ("AES", 24),
    ID_PACE_ECDH_GM + ".4": ("AES", 32),
}
PASSWORD_MRZ, PASSWORD_CAN = 1, 2


@dataclass(frozen=True)
class PaceInfo:
    """One PACEInfo from EF.CardAccess that this reader can run."""

    oid: str
    version: int
    parameter_id: int

    @property
    def curve(self) -> Curve:
        return PACE_CURVES[self.parameter_id]

    @property
    def cipher(self) -> tuple[Alg, int]:
        return CIPHERS[self.oid]


def parse_card_access(data: bytes) -> list[PaceInfo]:
    """The PACEInfos of EF.CardAccess (a SET OF SecurityInfo) that use ECDH generic mapping on a
    curve we support, best (AES-256 .. 3DES) first. Raises LdsError on malformed data."""
    try:
        infos = security_infos(data)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise LdsError(f"EF.CardAccess is malformed: {exc}") from None
    out = []
    for oid, version, param in infos:
        if oid in CIPHERS and version == 2 and param in PACE_CURVES:
            out.append(PaceInfo(oid, 2, int(param)))
    return sorted(out, key=lambda i: -list(CIPHERS).index(i.oid))


def password_of(key: MrzKey | CanKey) -> tuple[bytes, int]:
    if isinstance(key, CanKey):
        return key.can.encode("ascii"), PASSWORD_CAN
    return hashlib.sha1(key.mrz_information().encode("ascii")).digest(), PASSWORD_MRZ


def oid_bytes(oid: str) -> bytes:
    return core.ObjectIdentifier(oid).contents


def public_key_do(oid: str, point: bytes) -> bytes:
    """The public key data object the authentication tokens are computed over."""
    return tlv.encode(0x7F49, tlv.encode(0x06, oid_bytes(oid)) + tlv.encode(0x86, point))


def decrypt_nonce(alg: Alg, k_pi: bytes, z: bytes) -> bytes:
    return des3_cbc(k_pi, z, decrypt=True) if alg == "3DES" else aes_cbc(k_pi, z, decrypt=True)


def encrypt_nonce(alg: Alg, k_pi: bytes, s: bytes) -> bytes:
    return des3_cbc(k_pi, s) if alg == "3DES" else aes_cbc(k_pi, s)


def mapped_generator(curve: Curve, nonce: bytes, shared: tuple[int, int] | None) -> tuple[int, int]:
    """G' = s*G + H (generic mapping)."""
    if shared is None:
        raise AccessDenied("mapping produced the point at infinity")
    g = curve.add(curve.mul(int.from_bytes(nonce, "big"), curve.g), shared)
    if g is None:
        raise AccessDenied("mapped generator is the point at infinity")
    return g


def _ga(channel: Channel, tag: int | None, value: bytes, *, last: bool = False) -> bytes:
    inner = tlv.encode(tag, value) if tag is not None else b""
    r: Response = channel.send(Command(0x00 if last else 0x10, 0x86, 0x00, 0x00, tlv.encode(0x7C, inner), le=256))
    if r.sw != SW_OK:
        if r.sw in (0x6300, 0x6982) or r.sw & 0xFFF0 == 0x63C0:
            raise AccessDenied(f"GENERAL AUTHENTICATE refused ({r.sw:04X})")
        raise CardStatusError("GENERAL AUTHENTICATE", r.sw)
    try:
        return tlv.unwrap(r.data, 0x7C)
    except ParseError as exc:
        raise AccessDenied(f"malformed GENERAL AUTHENTICATE answer: {exc}") from None


def _get(objs: bytes, tag: int) -> bytes:
    try:
        value = tlv.find(objs, tag)
    except ParseError:
        value = None
    if value is None:
        raise AccessDenied(f"GENERAL AUTHENTICATE answer without tag {tag:X}")
    return value


def pace(channel: Channel, key: MrzKey | CanKey, info: PaceInfo) -> SessionKeys:
    """Run PACE-ECDH-GM. Raises AccessDenied when the password does not match the chip."""
    alg, key_len = info.cipher
    curve = info.curve
    password, ref = password_of(key)
    k_pi = kdf(password, PACE_PASSWORD, alg, key_len)
    mse = tlv.encode(0x80, oid_bytes(info.oid)) + tlv.encode(0x83, bytes((ref,))) + tlv.encode(0x84, bytes((info.parameter_id,)))
    r = channel.send(Command(0x00, 0x22, 0xC1, 0xA4, mse))
    if r.sw != SW_OK:
        raise CardStatusError("MSE:Set AT", r.sw)
    nonce = decrypt_nonce(alg, k_pi, _get(_ga(channel, None, b""), 0x80))
    try:
        sk_map = curve.private_key()
        pk_ic = curve.decode(_get(_ga(channel, 0x81, curve.encode(curve.mul(sk_map, curve.g))), 0x82))
        g2 = mapped_generator(curve, nonce, curve.mul(sk_map, pk_ic))
        sk_eph = curve.private_key()
        pk_eph = curve.encode(curve.mul(sk_eph, g2))
        pk_eph_ic_raw = _get(_ga(channel, 0x83, pk_eph), 0x84)
        pk_eph_ic = curve.decode(pk_eph_ic_raw)
    except ValueError as exc:
        raise AccessDenied(f"PACE key agreement failed: {exc}") from None
    if pk_eph_ic_raw == pk_eph:
        raise AccessDenied("the chip echoed our ephemeral key")
    shared = curve.mul(sk_eph, pk_eph_ic)
    if shared is None:
        raise AccessDenied("PACE shared secret is the point at infinity")
    secret = shared[0].to_bytes(curve.size, "big")
    ks_enc, ks_mac = kdf(secret, ENC, alg, key_len), kdf(secret, MAC, alg, key_len)
    token = mac_token(alg, ks_mac, public_key_do(info.oid, pk_eph_ic_raw))
    t_ic = _get(_ga(channel, 0x85, token, last=True), 0x86)
    if not mac_equal(t_ic, mac_token(alg, ks_mac, public_key_do(info.oid, pk_eph))):
        raise AccessDenied("the chip's PACE token does not verify")
    return SessionKeys(alg, ks_enc, ks_mac, 0)
