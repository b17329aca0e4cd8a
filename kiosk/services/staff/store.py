"""The staff list the kiosk last received and the PIN lockouts, in the kiosk's SQLite store.

The list is kept exactly as the back office signed it, sealed under the storage key ("staff:list"
as associated data), and verified again every time it is used, so neither a copy of the disk nor
an edit of the database can add a staff member or stretch a list's life. A list older than the
one kept is refused (a replayed old list could bring back a disabled clerk).

Lockouts are plain rows (staff number, failures, locked-until as Unix seconds): a restart does
not reset them. One connection, one thread: the Storage's (see kiosk/services/audit/log.py).
"""
from __future__ import annotations

from datetime import datetime

from kiosk.services.crypto import CorruptRecord
from kiosk.services.storage import Storage

_AAD = "staff:list"


class StaffStore:
    def __init__(self, storage: Storage) -> None:
        self._db = storage.connection
        self._cipher = storage.cipher

    def keep_list(self, blob: bytes, issued: int, now: datetime) -> bool:
        """Keep a verified list unless one issued at or after `issued` is kept; True if kept."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT issued FROM staff_credentials WHERE id = 1").fetchone()
            if row is not None and row[0] >= issued:
                db.execute("COMMIT")
                return False
            db.execute("INSERT OR REPLACE INTO staff_credentials (id, issued, stored_at, body) VALUES (1,?,?,?)",
                       (issued, now.isoformat(), self._cipher.seal(blob, _AAD)))
            db.execute("COMMIT")
            return True
        except Exception:
            db.execute("ROLLBACK")
            raise

    def list_blob(self) -> bytes | None:
        """The kept list's bytes (to verify before use); None when there is none or it does not open."""
        row = self._db.execute("SELECT body FROM staff_credentials WHERE id = 1").fetchone()
        if row is None:
            return None
        try:
            return self._cipher.open(row[0], _AAD)
        except CorruptRecord:
            return None

    def issued(self) -> int | None:
        row = self._db.execute("SELECT issued FROM staff_credentials WHERE id = 1").fetchone()
        return int(row[0]) if row else None

    # --- lockouts -------------------------------------------------------------------------------
    def lockout(self, staff_number: str) -> tuple[int, float | None]:
        """(failures since the last success or lock, locked until in Unix seconds or None)."""
        row = self._db.execute("SELECT failures, locked_until FROM staff_lockout WHERE staff_number=?",
                               (staff_number,)).fetchone()
        return (int(row[0]), row[1]) if row else (0, None)

    def count_failure(self, staff_number: str, max_failures: int, lock_until: float) -> tuple[int, bool]:
        """One more wrong PIN; at `max_failures` the account locks until `lock_until` and the count
        starts again. Returns (failures counted, locked now)."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT failures FROM staff_lockout WHERE staff_number=?", (staff_number,)).fetchone()
            failures = (int(row[0]) if row else 0) + 1
            locked = failures >= max_failures
            db.execute("INSERT OR REPLACE INTO staff_lockout VALUES (?,?,?)",
                       (staff_number, 0 if locked else failures, lock_until if locked else None))
            db.execute("COMMIT")
            return failures, locked
        except Exception:
            db.execute("ROLLBACK")
            raise

    def clear(self, staff_number: str) -> None:
        self._db.execute("DELETE FROM staff_lockout WHERE staff_number=?", (staff_number,))
