"""The back office's own keys: Ed25519 signs answers and catalogues, X25519 opens the sealed
applications kiosks send. Kept under <data-dir>/keys, mode 0600; only public halves leave."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.services.sync import protocol as proto
from kiosk.services.keyfiles import write_secret

KEYS_FORMAT = "onevisit-backoffice-keys"


def _raw(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


@dataclass(frozen=True)
class BackofficeKeys:
    signing: Ed25519PrivateKey
    encryption: X25519PrivateKey

    @classmethod
    def load_or_create(cls, folder: Path) -> BackofficeKeys:
        folder = Path(folder)
        sp, ep = folder / "backoffice_ed25519.key", folder / "backoffice_x25519.key"
        if sp.exists():
            signing = Ed25519PrivateKey.from_private_bytes(sp.read_bytes())
        else:
            signing = Ed25519PrivateKey.generate()
            write_secret(sp, _raw(signing))
        if ep.exists():
            encryption = X25519PrivateKey.from_private_bytes(ep.read_bytes())
        else:
            encryption = X25519PrivateKey.generate()
            write_secret(ep, _raw(encryption))
        return cls(signing, encryption)

    def public_document(self) -> dict:
        """What a kiosk pins at enrolment (`kiosk sync enrol --backoffice-keys FILE`)."""
        return {"format": KEYS_FORMAT, "v": 1,
                "signing_key": proto.b64e(proto.public_bytes(self.signing.public_key())),
                "encryption_key": proto.b64e(proto.public_bytes(self.encryption.public_key()))}

    def sign_response(self, nonce: str, status: int, body: bytes) -> str:
        return proto.sign_response(self.signing, nonce, status, body)
