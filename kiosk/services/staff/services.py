"""What the kiosk's screens get for the staff issue, opened on one Storage connection: the audit
log (to record help calls, overrides, proxies ...), the staff authenticator and the policy (idle
time for StaffMode). Everything in it belongs to that connection's thread (the store worker):
hand calls to it, never make them on the GUI thread (they block on argon2id and fsync)."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.services.audit.log import AuditLog
from kiosk.services.staff.authenticator import StaffAuthenticator, StaffPolicy
from kiosk.services.storage import Storage


@dataclass(frozen=True)
class StaffServices:
    audit: AuditLog
    authenticator: StaffAuthenticator
    policy: StaffPolicy


def open_staff_services(storage: Storage, kiosk_id: str, signing_key: Ed25519PrivateKey,
                        trust: Ed25519PublicKey | None, policy: StaffPolicy,
                        clock: Callable[[], float] = time.time) -> StaffServices:
    """The staff services on `storage` (its thread). `trust`: the key staff lists must carry
    (the enrolled back office's; the demo's own in the demo; None: nobody can sign in)."""
    audit = AuditLog(storage, kiosk_id, signing_key)
    return StaffServices(audit, StaffAuthenticator(storage, audit, trust, kiosk_id, policy, clock), policy)
