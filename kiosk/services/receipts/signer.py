"""Signing receipts with the kiosk's receipt key: the QR payload (seal.py) and the check code
(checkcode.py) of one application. Printing worker thread (the check code also on the sync
thread, which puts it in the upload); CPU only, well under a millisecond."""
from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.domain.application import Application
from kiosk.services.receipts.checkcode import check_code, check_secret
from kiosk.services.receipts.seal import TrustedKey, key_id_of, raw_private, raw_public, seal_receipt, summarize


@dataclass(frozen=True)
class ReceiptSigner:
    key: Ed25519PrivateKey
    _secret: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_secret", check_secret(raw_private(self.key)))

    @property
    def public_raw(self) -> bytes:
        return raw_public(self.key)

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_raw)

    def trusted(self, kiosk_id: str) -> TrustedKey:
        """This kiosk's own key as a verifier trusts it (offline, before any trust list)."""
        return TrustedKey(kiosk_id, self.key_id, self.public_raw, source="this kiosk")

    def check_code(self, number: str) -> str:
        return check_code(self._secret, number)

    def seal(self, app: Application, *, provisional: bool) -> tuple[str, str]:
        """(the QR text, the check code) for the receipt of `app`."""
        code = self.check_code(app.number)
        return seal_receipt(summarize(app, check_code=code, provisional=provisional), self.key), code
