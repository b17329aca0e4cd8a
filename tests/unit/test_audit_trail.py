"""The kiosk's audit trail: a run's chain verifies; a byte changed on disk, an entry rewritten by
someone holding the storage key, an entry removed or entries reordered are each found and named
by `kiosk audit verify` (exit 1); entries hold no personal data."""
from __future__ import annotations

import json
import sqlite3

import pytest

from kiosk.cli import main as kiosk_main
from kiosk.services.audit.chain import AuditEntry, AuditError, entry_hash
from kiosk.services.audit.log import AuditLog
from kiosk.services.crypto import RecordCipher
from kiosk.services.datafolder import DataFolder
from kiosk.services.keystore import load_signing_key, load_storage_key
from kiosk.services.storage import Storage

KIOSK = "3301060001"       # the default configuration's kiosk id


@pytest.fixture
def kiosk(tmp_path):
    files = DataFolder(tmp_path / "data")
    files.root.mkdir()
    store = Storage(files.db, RecordCipher(load_storage_key(files)))
    log = AuditLog(store, KIOSK, load_signing_key(files))
    log.record("help_call", ref="S-7f3a")
    log.record("staff_sign_in", staff="900001", details={"method": "staff_number", "role": "clerk"})
    log.record("override", staff="900001", ref="3301060001-20261123-0001",
               details={"reason": "face_check_failed_3", "note": "compared with the card photo"})
    log.record("staff_mode_end", staff="900001", details={"reason": "idle"})
    yield files, store, log
    store.close()


def verify(files, capsys, *extra):
    code = kiosk_main(["audit", "verify", "--data-dir", str(files.root), *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a_run_s_chain_verifies_and_lists_the_override(kiosk, capsys):
    files, _store, _log = kiosk
    code, text = verify(files, capsys)
    assert code == 0 and "intact: 4 entries" in text
    assert kiosk_main(["audit", "list", "--json", "--data-dir", str(files.root)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["type"] for e in listed] == ["help_call", "staff_sign_in", "override", "staff_mode_end"]
    override = listed[2]
    assert override["staff"] == "900001" and override["ref"] == "3301060001-20261123-0001"
    assert override["details"]["reason"] == "face_check_failed_3"
    assert [e["seq"] for e in listed] == [1, 2, 3, 4] and listed[1]["prev"] == listed[0]["hash"]


def test_one_byte_changed_on_disk_is_named(kiosk, capsys):
    files, _store, _log = kiosk
    db = sqlite3.connect(files.db)
    body = bytearray(db.execute("SELECT body FROM audit_log WHERE seq=3").fetchone()[0])
    body[40] ^= 0x01
    db.execute("UPDATE audit_log SET body=? WHERE seq=3", (bytes(body),))
    db.commit()
    db.close()
    code, text = verify(files, capsys)
    assert code == 1
    assert "BROKEN at entry 3" in text and "does not decrypt" in text


def _reseal(store, seq, entry):
    """What someone with the storage key (not the kiosk's signing key) could write."""
    body = store.cipher.seal(json.dumps(entry.as_dict()).encode(), f"audit:{seq}")
    store.connection.execute("UPDATE audit_log SET body=?, hash=? WHERE seq=?", (body, entry.hash, seq))


def test_an_entry_rewritten_with_the_storage_key_is_named(kiosk, capsys):
    files, store, log = kiosk
    e = log.entries()[2]
    forged = AuditEntry(e.seq, e.type, e.at, e.kiosk_id, "900002", e.ref, e.details, e.prev, e.hash, e.sig)
    _reseal(store, 3, forged)                                    # same hash: the content no longer matches
    code, text = verify(files, capsys)
    assert code == 1 and "BROKEN at entry 3" in text and "does not match its hash" in text
    rehashed = AuditEntry(e.seq, e.type, e.at, e.kiosk_id, "900002", e.ref, e.details, e.prev)
    _reseal(store, 3, AuditEntry(**{**rehashed.__dict__, "hash": entry_hash(rehashed), "sig": e.sig}))
    code, text = verify(files, capsys)                          # hash recomputed: entry 4 no longer links to it
    assert code == 1 and "BROKEN at entry 3" in text and "signature is not the kiosk's" in text


def test_a_deleted_entry_is_found(kiosk, capsys):
    files, store, _log = kiosk
    store.connection.execute("DELETE FROM audit_log WHERE seq=2")
    code, text = verify(files, capsys)
    assert code == 1 and "BROKEN at entry 2" in text and "missing" in text


def test_reordered_entries_are_found(kiosk, capsys):
    files, store, log = kiosk
    e2, e3 = log.entries()[1:3]
    # swap rows 2 and 3 (each resealed for its new place, as someone with the storage key could)
    store.connection.execute("DELETE FROM audit_log WHERE seq IN (2, 3)")
    for seq, e in ((2, e3), (3, e2)):
        body = store.cipher.seal(json.dumps(e.as_dict()).encode(), f"audit:{seq}")
        store.connection.execute("INSERT INTO audit_log (seq, hash, body) VALUES (?,?,?)", (seq, e.hash, body))
    code, text = verify(files, capsys)
    assert code == 1 and "BROKEN at entry 2" in text


def test_a_chain_signed_by_another_key_is_refused(kiosk):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    _files, _store, log = kiosk
    report = log.verify(Ed25519PrivateKey.generate().public_key())
    assert not report.ok and report.first_bad == 1 and "signature" in report.reason


def test_entries_hold_no_personal_data_and_only_known_types(kiosk):
    _files, _store, log = kiosk
    with pytest.raises(AuditError, match="ID or phone"):
        log.record("override", staff="900001", details={"note": "card 330106198511050138"})
    with pytest.raises(AuditError, match="ID or phone"):
        log.record("help_call", details={"phone": "13800138000"})
    with pytest.raises(AuditError, match="unknown audit entry type"):
        log.record("overide", staff="900001")
    with pytest.raises(AuditError, match="staff number"):
        log.record("staff_sign_in", staff="246810 my pin")
    assert log.verify(load_signing_key(_files).public_key()).count == 4      # nothing refused was written


def test_the_store_holds_entries_sealed(kiosk):
    files, store, _log = kiosk
    store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = files.db.read_bytes()
    assert b"face_check_failed_3" not in raw and b"900001" not in raw and b"override" not in raw
