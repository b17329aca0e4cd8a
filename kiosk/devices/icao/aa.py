"""Active Authentication (ICAO 9303 part 11 §6.1): the chip signs our random challenge with the
private key whose public half is in DG15, which a copied chip cannot do.

RSA with ISO/IEC 9796-2 scheme 1 (SHA-1 trailer 0xBC, or 0x..CC with a hash id) and ECDSA (plain
r||s, hash from DG14's ActiveAuthenticationInfo). Pure computation; any thread; no blocking.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils

# ISO/IEC 10118-3 hash ids used in the 9796-2 trailer
_TRAILER_HASH = {0x33: "sha1", 0x34: "sha256", 0x35: "sha512", 0x36: "sha384", 0x38: "sha224"}
_ECDSA_OIDS: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "1.2.840.10045.4.1": hashes.SHA1, "1.2.840.10045.4.3.1": hashes.SHA224,
    "1.2.840.10045.4.3.2": hashes.SHA256, "1.2.840.10045.4.3.3": hashes.SHA384,
    "1.2.840.10045.4.3.4": hashes.SHA512}


def verify_active_auth(public_key_der: bytes, challenge: bytes, signature: bytes, algorithm_oid: str | None = None) -> bool:
    """True when `signature` is the chip's answer to `challenge` under the DG15 key."""
    try:
        key = serialization.load_der_public_key(public_key_der)
    except (ValueError, UnsupportedAlgorithm):
        return False
    if isinstance(key, rsa.RSAPublicKey):
        return _verify_rsa_9796(key, challenge, signature)
    if isinstance(key, ec.EllipticCurvePublicKey):
        h = _ECDSA_OIDS.get(algorithm_oid or "", hashes.SHA256)
        half = len(signature) // 2
        if len(signature) % 2 or half == 0:
            return False
        der = utils.encode_dss_signature(int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big"))
        try:
            key.verify(der, challenge, ec.ECDSA(h()))
            return True
        except (InvalidSignature, ValueError):
            return False
    return False


def _verify_rsa_9796(key: rsa.RSAPublicKey, challenge: bytes, signature: bytes) -> bool:
    numbers = key.public_numbers()
    n, e = numbers.n, numbers.e
    k = (n.bit_length() + 7) // 8
    s = int.from_bytes(signature, "big")
    if not signature or s >= n:
        return False
    m = pow(s, e, n)
    if m & 0x0F != 0x0C:
        m = n - m
    f = m.to_bytes(k, "big")
    if f[-1] == 0xBC:
        alg, t = "sha1", 1
    elif f[-1] == 0xCC and f[-2] in _TRAILER_HASH:
        alg, t = _TRAILER_HASH[f[-2]], 2
    else:
        return False
    # the representative starts with 0x6A (partial recovery), possibly after leading zero bytes
    f = f.lstrip(b"\x00")
    hlen = hashlib.new(alg).digest_size
    if len(f) < 1 + hlen + t or f[0] != 0x6A:
        return False
    m1 = f[1:len(f) - hlen - t]
    digest = f[len(f) - hlen - t:len(f) - t]
    return hashlib.new(alg, m1 + challenge).digest() == digest


def sign_rsa_9796(key: rsa.RSAPrivateKey, challenge: bytes, m1: bytes | None = None) -> bytes:
    """The chip's side (virtual card): ISO 9796-2 scheme 1 with SHA-1, partial message recovery."""
    import os
    numbers = key.private_numbers()
    n, d = numbers.public_numbers.n, numbers.d
    k = (n.bit_length() + 7) // 8
    m1 = m1 if m1 is not None else os.urandom(k - 20 - 2)
    f = b"\x6a" + m1 + hashlib.sha1(m1 + challenge).digest() + b"\xbc"
    return pow(int.from_bytes(f, "big"), d, n).to_bytes(k, "big")


def sign_ecdsa_plain(key: ec.EllipticCurvePrivateKey, challenge: bytes) -> bytes:
    """The chip's side (virtual card): ECDSA-SHA256, plain r||s."""
    r, s = utils.decode_dss_signature(key.sign(challenge, ec.ECDSA(hashes.SHA256())))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")
