"""Block ciphers, MACs, padding and the key derivation function of ICAO 9303 part 11 §9.7.

Pure functions; any thread; no blocking. 2-key 3DES uses the `decrepit` TripleDES with the key
expanded to 24 bytes (K1 K2 K1), so no deprecated key sizes are passed to `cryptography`.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Literal

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

Alg = Literal["3DES", "AES"]
ENC, MAC, PACE_PASSWORD = 1, 2, 3


def pad(data: bytes, block: int) -> bytes:
    """ISO/IEC 9797-1 padding method 2: 0x80 then zeros to a multiple of `block`."""
    data = data + b"\x80"
    return data + b"\x00" * (-len(data) % block)


def unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise ValueError("bad padding")
    return stripped[:-1]


def _des3(key16: bytes) -> TripleDES:
    if len(key16) == 8:
        return TripleDES(key16 * 3)
    return TripleDES(key16 + key16[:8])


def set_parity(key: bytes) -> bytes:
    """Adjust each byte to odd parity (DES keys)."""
    return bytes((b & 0xFE) | (bin(b >> 1).count("1") + 1) % 2 for b in key)


def kdf(secret: bytes, counter: int, alg: Alg, key_len: int = 16) -> bytes:
    """KDF(K, c): SHA-1 for 3DES and AES-128, SHA-256 for AES-192/256."""
    data = secret + counter.to_bytes(4, "big")
    if alg == "3DES":
        return set_parity(hashlib.sha1(data).digest()[:16])
    if key_len == 16:
        return hashlib.sha1(data).digest()[:16]
    return hashlib.sha256(data).digest()[:key_len]


def des3_cbc(key: bytes, data: bytes, iv: bytes = b"\x00" * 8, *, decrypt: bool = False) -> bytes:
    c = Cipher(_des3(key), modes.CBC(iv))
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(data) + op.finalize()


def des_ecb(key8: bytes, block: bytes, *, decrypt: bool = False) -> bytes:
    c = Cipher(_des3(key8), modes.ECB())
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(block) + op.finalize()


def aes_cbc(key: bytes, data: bytes, iv: bytes = b"\x00" * 16, *, decrypt: bool = False) -> bytes:
    c = Cipher(algorithms.AES(key), modes.CBC(iv))
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(data) + op.finalize()


def aes_ecb(key: bytes, block: bytes) -> bytes:
    op = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return op.update(block) + op.finalize()


def retail_mac(key16: bytes, data: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 with DES (the "retail MAC"); `data` must already be padded."""
    ka = key16[:8]
    chain = des3_cbc(ka, data[:-8])[-8:] if len(data) > 8 else b"\x00" * 8
    last = bytes(a ^ b for a, b in zip(chain, data[-8:], strict=True))
    return des_ecb(key16, last)


def aes_cmac8(key: bytes, data: bytes) -> bytes:
    """AES-CMAC truncated to 8 bytes."""
    c = CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()[:8]


@dataclass
class SessionKeys:
    """Secure-messaging keys and the send sequence counter they go with."""

    alg: Alg
    enc: bytes = field(repr=False)
    mac: bytes = field(repr=False)
    ssc: int = 0

    @property
    def block(self) -> int:
        return 8 if self.alg == "3DES" else 16

    def ssc_bytes(self) -> bytes:
        return self.ssc.to_bytes(self.block, "big")

    def encrypt(self, data: bytes) -> bytes:
        """Encrypt padded data for the current SSC (AES: IV = E(K, SSC); 3DES: IV = 0)."""
        if self.alg == "3DES":
            return des3_cbc(self.enc, data)
        return aes_cbc(self.enc, data, aes_ecb(self.enc, self.ssc_bytes()))

    def decrypt(self, data: bytes) -> bytes:
        if len(data) % self.block or not data:
            raise ValueError("ciphertext is not whole blocks")
        if self.alg == "3DES":
            return des3_cbc(self.enc, data, decrypt=True)
        return aes_cbc(self.enc, data, aes_ecb(self.enc, self.ssc_bytes()), decrypt=True)

    def mac_of(self, data: bytes) -> bytes:
        """MAC over SSC || data, padded."""
        msg = pad(self.ssc_bytes() + data, self.block)
        return retail_mac(self.mac, msg) if self.alg == "3DES" else aes_cmac8(self.mac, msg)


def mac_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def mac_token(alg: Alg, key: bytes, data: bytes) -> bytes:
    """PACE authentication token MAC (no SSC)."""
    if alg == "3DES":
        return retail_mac(key, pad(data, 8))
    return aes_cmac8(key, data)
