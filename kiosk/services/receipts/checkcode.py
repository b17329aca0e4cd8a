"""The receipt's check code: eight Crockford Base32 symbols and a check symbol ("7K3M-QX9P-T").

People read it out on the phone or type it at a counter, so it is short, case-insensitive and
has no look-alikes (Crockford's alphabet has no I, L, O or U; when read back, I and L count as 1
and O as 0). The check symbol (Crockford's mod-37 check) catches one mistyped symbol and any
swap of two. It is an HMAC of the application number under a secret derived from the kiosk's
receipt key, so it cannot be guessed from the number (40 bits: a guess is right once in 10^12);
it travels in the signed QR payload and in the sync upload, where the back office files it.

Pure functions; any thread, never blocks.
"""
from __future__ import annotations

import hashlib
import hmac

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
DATA_SYMBOLS = 8
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def check_secret(receipt_private_raw: bytes) -> bytes:
    """The HMAC key for check codes, derived from the receipt key's 32 private bytes (one-way)."""
    return hashlib.sha256(b"onevisit-check-code-secret:v1\x00" + receipt_private_raw).digest()


def check_code(secret: bytes, number: str) -> str:
    """The check code printed on the receipt of application `number` (with hyphens)."""
    mac = hmac.new(secret, f"onevisit-check-code:v1:{number}".encode(), hashlib.sha256).digest()
    value = int.from_bytes(mac[:5], "big")          # 40 bits = 8 symbols of 5 bits
    data = "".join(ALPHABET[(value >> (5 * (DATA_SYMBOLS - 1 - i))) & 31] for i in range(DATA_SYMBOLS))
    return f"{data[:4]}-{data[4:]}-{CHECK_ALPHABET[value % 37]}"


def normalize_check_code(text: str) -> str | None:
    """`text` as the canonical code (upper case, with hyphens), or None when it is not a
    well-formed code or its check symbol does not match. Spaces and hyphens are ignored."""
    raw = "".join(ch for ch in text.strip().upper() if ch not in " -").translate(_READ_AS)
    if len(raw) != DATA_SYMBOLS + 1 or any(ch not in ALPHABET for ch in raw[:-1]) or raw[-1] not in CHECK_ALPHABET:
        return None
    value = 0
    for ch in raw[:-1]:
        value = value * 32 + ALPHABET.index(ch)
    if CHECK_ALPHABET[value % 37] != raw[-1]:
        return None
    return f"{raw[:4]}-{raw[4:8]}-{raw[8]}"
