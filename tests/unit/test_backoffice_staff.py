"""The back office's side of kiosk staff and the kiosks' audit trails: staff accounts with PINs
stored only as argon2id, the signed per-station staff list, and the audit chain checked on
arrival (a resend is a no-op; a broken or rewritten chain is refused and named) and again later
by `python -m backoffice kiosk-audit verify`."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from backoffice import audit, db, kiosk_audit
from backoffice.accounts import AccountError
from backoffice.cli import main as backoffice_main
from backoffice.staff import StaffAccounts
from kiosk.services.audit.chain import AuditEntry
from kiosk.services.audit.log import AuditLog
from kiosk.services.crypto import RecordCipher
from kiosk.services.staff.credentials import id_key, verify_pin, verify_staff_list
from kiosk.services.storage import Storage
from kiosk.services.sync import protocol as proto
from tests.backoffice_support import KIOSK, enrol_kiosk, fast_hasher, new_backoffice

OTHER = "3301060002"


@pytest.fixture
def bo(tmp_path):
    b = new_backoffice(tmp_path)
    yield b
    b.engine.dispose()


@pytest.fixture
def staff(bo):
    return StaffAccounts(bo, pin_hasher=fast_hasher())


def test_a_staff_account_keeps_its_pin_and_id_number_only_as_slow_hashes(bo, staff):
    m = staff.create("wang.li", "王丽", "100234", "clerk", [KIOSK], "246810", id_number="330106198511050138")
    assert m == {"staff_number": "100234", "name": "王丽", "username": "wang.li", "role": "clerk",
                 "stations": [KIOSK], "valid_until": None, "id_card": True, "disabled": False}
    with bo.engine.connect() as conn:
        row = conn.execute(select(db.staff_members)).one()
    assert row.pin_hash.startswith("$argon2id$") and "246810" not in row.pin_hash
    assert verify_pin(row.pin_hash, "246810")
    assert "330106198511050138" not in json.dumps(dict(row._mapping))
    assert row.id_key == id_key("330106198511050138", staff.id_salt)
    assert staff.accounts.get("wang.li").role == "clerk"


@pytest.mark.parametrize("change,match", [
    (dict(pin="123456"), "run"), (dict(pin="1234"), "6 to 12"), (dict(role="official"), "staff role"),
    (dict(stations=["33010600"]), "kiosk ids"), (dict(stations=[]), "at least one"),
    (dict(staff_number="no!"), "staff number"), (dict(id_number="12345"), "ID number"),
])
def test_staff_accounts_the_rules_refuse(staff, change, match):
    args = dict(username="wang.li", name="王丽", staff_number="100234", role="clerk", stations=[KIOSK], pin="246810")
    args.update(change)
    id_number = args.pop("id_number", None)
    with pytest.raises(AccountError, match=match):
        staff.create(**args, id_number=id_number)
    assert staff.accounts.get("wang.li") is None                 # no half-made account


def test_a_staff_number_is_unique(staff):
    staff.create("wang.li", "王丽", "100234", "clerk", [KIOSK], "246810")
    with pytest.raises(AccountError, match="taken"):
        staff.create("li.na", "李娜", "100234", "clerk", [KIOSK], "246810")
    assert staff.accounts.get("li.na") is None


def test_each_kiosk_gets_a_signed_list_of_its_own_active_staff(bo, staff):
    staff.create("wang.li", "王丽", "100234", "clerk", [KIOSK], "246810")
    staff.create("li.na", "李娜", "100235", "clerk", [OTHER], "246810")
    staff.create("zhao.qiang", "赵强", "100236", "supervisor", [KIOSK, OTHER], "135792")
    staff.create("old.hand", "老张", "100237", "clerk", [KIOSK], "246810", valid_until="2020-01-01")
    staff.create("gone", "离职", "100238", "clerk", [KIOSK], "246810")
    staff.accounts.set_disabled("gone", True)
    doc = staff.credentials_for(KIOSK)
    lst = verify_staff_list(proto.canonical_json(doc), bo.keys.signing.public_key(), KIOSK)
    assert [(m.staff_number, m.role) for m in lst.staff] == [("100234", "clerk"), ("100236", "supervisor")]
    assert "王丽" not in json.dumps(doc)                              # no names travel
    staff.set_pin("100234", "975310")
    lst = verify_staff_list(proto.canonical_json(staff.credentials_for(KIOSK)), bo.keys.signing.public_key(), KIOSK)
    assert verify_pin(lst.by_number("100234").pin_hash, "975310")


# --- audit trails ---------------------------------------------------------------------------------
@pytest.fixture
def kiosk_log(tmp_path, bo):
    key = enrol_kiosk(bo)
    store = Storage(tmp_path / "kiosk.sqlite3", RecordCipher(b"k" * 32))
    log = AuditLog(store, KIOSK, key)
    yield log, key, store
    store.close()


def _run(log, n=5):
    log.record("staff_sign_in", staff="100234", details={"method": "staff_number", "role": "clerk"})
    for i in range(n - 2):
        log.record("help_call", ref=f"S-{i}")
    log.record("override", staff="100234", ref="3301060001-20261123-0001", details={"reason": "face_check_failed_3"})
    return [e.as_dict() for e in log.entries()]


def test_a_chain_is_kept_once_and_a_resend_is_a_no_op(bo, kiosk_log):
    log, _key, _store = kiosk_log
    sent = _run(log)
    first = kiosk_audit.receive(bo, KIOSK, sent[:3])
    assert first == {"result": "stored", "stored": 3, "head_seq": 3, "head_hash": sent[2]["hash"]}
    again = kiosk_audit.receive(bo, KIOSK, sent)                 # 1-3 again, then 4-5
    assert again["result"] == "stored" and again["stored"] == 2 and again["head_seq"] == 5
    assert kiosk_audit.receive(bo, KIOSK, sent)["stored"] == 0
    assert kiosk_audit.verify_stored(bo, KIOSK).ok
    assert [r["type"] for r in kiosk_audit.entries(bo.engine, staff="100234")] == ["override", "staff_sign_in"]
    assert kiosk_audit.per_staff(bo.engine) == {"100234": {"override": 1, "staff_sign_in": 1}}


def test_a_broken_chain_is_refused_at_its_first_bad_entry(bo, kiosk_log):
    log, _key, _store = kiosk_log
    sent = _run(log)
    tampered = [dict(e) for e in sent]
    tampered[2]["details"] = {"reason": "nothing to see"}
    answer = kiosk_audit.receive(bo, KIOSK, tampered)
    assert answer["result"] == "refused" and answer["first_bad"] == 3 and "hash" in answer["detail"]
    assert answer["stored"] == 2 and answer["head_seq"] == 2      # the good part before it is kept
    gap = kiosk_audit.receive(bo, KIOSK, sent[3:])
    assert gap["result"] == "refused" and gap["first_bad"] == 3 and "missing" in gap["detail"]
    refusals = [r for r in audit.entries(bo.engine) if r["action"] == "kiosk_audit.refused"]
    assert len(refusals) == 2 and refusals[-1]["actor"] == f"kiosk:{KIOSK}"
    assert kiosk_audit.receive(bo, KIOSK, sent)["result"] == "stored"   # the genuine entries still go in


def test_history_rewritten_after_it_was_sent_is_refused(bo, kiosk_log):
    log, key, _store = kiosk_log
    sent = _run(log)
    kiosk_audit.receive(bo, KIOSK, sent)
    from kiosk.services.audit.chain import seal_entry
    e = AuditEntry.from_dict(sent[4])
    rewritten = seal_entry(key, e.seq, e.type, e.at, e.kiosk_id, "100999", e.ref, e.details, e.prev)  # kiosk key
    answer = kiosk_audit.receive(bo, KIOSK, [rewritten.as_dict()])
    assert answer["result"] == "refused" and answer["first_bad"] == 5 and "rewritten" in answer["detail"]


def test_another_kiosk_s_entries_are_refused(bo, kiosk_log):
    log, _key, _store = kiosk_log
    sent = _run(log)
    enrol_kiosk(bo, OTHER)
    answer = kiosk_audit.receive(bo, OTHER, sent)
    assert answer["result"] == "refused" and answer["first_bad"] == 1


def test_the_back_office_cli_names_an_edit_of_its_own_copy(bo, kiosk_log, tmp_path, capsys):
    log, _key, _store = kiosk_log
    kiosk_audit.receive(bo, KIOSK, _run(log))
    args = ["kiosk-audit", "verify", "--data-dir", str(tmp_path / "bo")]
    assert backoffice_main(args) == 0 and "intact, 5 entries" in capsys.readouterr().out
    with bo.engine.begin() as conn:
        conn.execute(update(db.kiosk_audit).where(db.kiosk_audit.c.seq == 4).values(staff="100999"))
    assert backoffice_main(args) == 1
    assert f"kiosk {KIOSK}: BROKEN at entry 4" in capsys.readouterr().err
