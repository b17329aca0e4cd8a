"""Basic Access Control (ICAO 9303 part 11 §4.3): 3DES keys from the MRZ, mutual authentication,
session keys and the starting send sequence counter.

`bac` runs on the card thread and blocks on two APDUs (GET CHALLENGE, EXTERNAL AUTHENTICATE).
"""
from __future__ import annotations

import hashlib
import os

from kiosk.devices.icao.apdu import SW_OK, Channel, Command
from kiosk.devices.icao.crypto.primitives import ENC, MAC, SessionKeys, des3_cbc, kdf, mac_equal, pad, retail_mac
from kiosk.devices.icao.errors import AccessDenied, CardStatusError
from kiosk.devices.icao.mrz import MrzKey


def basic_keys(key: MrzKey) -> tuple[bytes, bytes]:
    """K_Enc and K_MAC derived from the MRZ information."""
    seed = hashlib.sha1(key.mrz_information().encode("ascii")).digest()[:16]
    return kdf(seed, ENC, "3DES"), kdf(seed, MAC, "3DES")


def session_from(k_ifd: bytes, k_ic: bytes, rnd_ic: bytes, rnd_ifd: bytes) -> SessionKeys:
    seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
    ssc = int.from_bytes(rnd_ic[-4:] + rnd_ifd[-4:], "big")
    return SessionKeys("3DES", kdf(seed, ENC, "3DES"), kdf(seed, MAC, "3DES"), ssc)


def bac(channel: Channel, key: MrzKey) -> SessionKeys:
    """Run BAC. Raises AccessDenied when the MRZ does not match the chip."""
    k_enc, k_mac = basic_keys(key)
    r = channel.send(Command(0x00, 0x84, 0x00, 0x00, le=8))
    if r.sw != SW_OK or len(r.data) != 8:
        raise CardStatusError("GET CHALLENGE", r.sw)
    rnd_ic, rnd_ifd, k_ifd = r.data, os.urandom(8), os.urandom(16)
    e_ifd = des3_cbc(k_enc, rnd_ifd + rnd_ic + k_ifd)
    r = channel.send(Command(0x00, 0x82, 0x00, 0x00, e_ifd + retail_mac(k_mac, pad(e_ifd, 8)), le=40))
    if r.sw != SW_OK:
        if r.sw in (0x6300, 0x6982, 0x6A80) or r.sw & 0xFFF0 == 0x63C0:
            raise AccessDenied(f"EXTERNAL AUTHENTICATE refused ({r.sw:04X})")
        raise CardStatusError("EXTERNAL AUTHENTICATE", r.sw)
    if len(r.data) != 40 or not mac_equal(retail_mac(k_mac, pad(r.data[:32], 8)), r.data[32:]):
        raise AccessDenied("the chip's BAC answer does not verify")
    plain = des3_cbc(k_enc, r.data[:32], decrypt=True)
    if plain[:8] != rnd_ic or plain[8:16] != rnd_ifd:
        raise AccessDenied("the chip's BAC answer does not match our challenge")
    return session_from(k_ifd, plain[16:32], rnd_ic, rnd_ifd)
