"""Staff sign-in at the kiosk from the back office's signed staff list, offline: PIN and ID card,
lockout after five wrong PINs (surviving a restart), the list's offline life, lists the kiosk
must refuse, staff mode's idle end, and an audit entry for every attempt."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.services.audit.log import AuditLog
from kiosk.services.crypto import RecordCipher
from kiosk.services.datafolder import DataFolder
from kiosk.services.keystore import load_signing_key, load_storage_key
from kiosk.services.staff.authenticator import StaffAuthenticator, StaffPolicy
from kiosk.services.staff.credentials import (FORMAT, StaffListError, check_pin_rules, id_key, id_salt_for,
                                              sign_staff_list, verify_staff_list)
from kiosk.services.staff.mode import StaffMode
from kiosk.services.staff.store import StaffStore
from kiosk.services.storage import Storage
from kiosk.services.sync import protocol as proto

KIOSK = "3301060001"
T0 = 1_790_000_000.0
CLERK_ID = "330106198511050138"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
BACKOFFICE = Ed25519PrivateKey.generate()
SALT = id_salt_for(proto.public_bytes(BACKOFFICE.public_key()))


def staff_doc(issued=T0, kiosk_id=KIOSK, key=BACKOFFICE, **extra):
    doc = {"format": FORMAT, "v": 1, "kiosk_id": kiosk_id, "issued": int(issued), "id_salt": proto.b64e(SALT),
           "staff": [{"staff_number": "100234", "role": "clerk", "pin_hash": FAST.hash("246810"),
                      "id_key": id_key(CLERK_ID, SALT), "valid_until": None},
                     {"staff_number": "100777", "role": "supervisor", "pin_hash": FAST.hash("135792"),
                      "id_key": None, "valid_until": "2028-12-31"}], **extra}
    return sign_staff_list(key, doc)


class Clock:
    def __init__(self, t=T0 + 60):
        self.t = t

    def __call__(self):
        return self.t


class Kiosk:
    """A kiosk's store on disk; `restart()` opens it again as a new process would."""

    def __init__(self, tmp_path, clock, policy=None):
        self.files = DataFolder(tmp_path / "data")
        self.files.root.mkdir(exist_ok=True)
        self.clock, self.policy = clock, policy or StaffPolicy()
        self.store = None
        self.restart()

    def restart(self):
        if self.store is not None:
            self.store.close()
        self.store = Storage(self.files.db, RecordCipher(load_storage_key(self.files)))
        self.audit = AuditLog(self.store, KIOSK, load_signing_key(self.files))
        self.auth = StaffAuthenticator(self.store, self.audit, BACKOFFICE.public_key(), KIOSK, self.policy, self.clock)

    def keep(self, doc):
        return StaffStore(self.store).keep_list(proto.canonical_json(doc), int(doc["issued"]), datetime.now())

    def entries(self):
        return [(e.type, e.staff, dict(e.details)) for e in self.audit.entries()]


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def kiosk(tmp_path, clock):
    k = Kiosk(tmp_path, clock)
    assert k.keep(staff_doc())
    yield k
    k.store.close()


def test_a_clerk_signs_in_offline_with_number_and_pin_and_it_is_audited(kiosk):
    r = kiosk.auth.sign_in(" 100234 ", "246810")
    assert r.ok and r.member.staff_number == "100234" and r.member.role == "clerk"
    assert r.message.en == "Signed in."
    assert kiosk.entries() == [("staff_sign_in", "100234", {"method": "staff_number", "role": "clerk"})]


def test_a_clerk_signs_in_with_their_own_id_card_and_pin(kiosk):
    r = kiosk.auth.sign_in_with_id_card(CLERK_ID, "246810")
    assert r.ok and r.member.staff_number == "100234"
    assert not kiosk.auth.sign_in_with_id_card("330106195806120240", "246810").ok     # a citizen's card
    assert not kiosk.auth.sign_in_with_id_card(CLERK_ID, "135792").ok                 # someone else's PIN
    assert [t for t, _, _ in kiosk.entries()] == ["staff_sign_in", "staff_sign_in_failed", "staff_sign_in_failed"]
    assert CLERK_ID not in json.dumps([e.as_dict() for e in kiosk.audit.entries()])


def test_five_wrong_pins_lock_the_account_and_the_lock_survives_a_restart(kiosk, clock):
    left = [kiosk.auth.sign_in("100234", "000001").attempts_left for _ in range(4)]
    assert left == [4, 3, 2, 1]
    fifth = kiosk.auth.sign_in("100234", "000001")
    assert not fifth.ok and fifth.reason == "locked" and fifth.locked_until == clock.t + 15 * 60
    assert kiosk.auth.sign_in("100234", "246810").reason == "locked"          # the right PIN waits too
    kiosk.restart()
    assert kiosk.auth.sign_in("100234", "246810").reason == "locked"
    assert kiosk.auth.sign_in("100777", "135792").ok                         # others are not locked
    clock.t += 15 * 60 + 1
    assert kiosk.auth.sign_in("100234", "246810").ok
    failed = [d for t, s, d in kiosk.entries() if t == "staff_sign_in_failed"]
    assert [d.get("failures") for d in failed[:5]] == [1, 2, 3, 4, 5] and failed[4]["locked"] is True
    assert [d["reason"] for d in failed[5:]] == ["locked", "locked"]


def test_a_success_resets_the_count_of_wrong_pins(kiosk):
    for _ in range(4):
        kiosk.auth.sign_in("100234", "000001")
    assert kiosk.auth.sign_in("100234", "246810").ok
    assert kiosk.auth.sign_in("100234", "000001").attempts_left == 4


def test_the_lock_time_and_count_are_configurable(tmp_path, clock):
    k = Kiosk(tmp_path, clock, StaffPolicy(max_failures=2, lock_seconds=30))
    k.keep(staff_doc())
    k.auth.sign_in("100234", "000001")
    assert k.auth.sign_in("100234", "000001").reason == "locked"
    clock.t += 31
    assert k.auth.sign_in("100234", "246810").ok
    k.store.close()


def test_nothing_typed_is_logged_unless_it_is_a_staff_number_on_the_list(kiosk):
    r = kiosk.auth.sign_in("246810", "100234")                   # PIN and number swapped
    assert not r.ok and r.reason == "wrong" and r.attempts_left is None
    assert kiosk.entries() == [("staff_sign_in_failed", None, {"method": "staff_number", "reason": "wrong"})]
    assert "246810" not in json.dumps([e.as_dict() for e in kiosk.audit.entries()])


def test_the_list_is_usable_offline_for_the_configured_days_only(kiosk, clock):
    clock.t = T0 + 7 * 86400 - 1
    assert kiosk.auth.sign_in("100234", "246810").ok
    clock.t = T0 + 7 * 86400 + 1
    r = kiosk.auth.sign_in("100234", "246810")
    assert not r.ok and r.reason == "list_expired" and "sync" in r.message.en
    assert kiosk.keep(staff_doc(issued=clock.t))                 # the next sync issues a fresh one
    assert kiosk.auth.sign_in("100234", "246810").ok


def test_an_ended_account_cannot_sign_in(kiosk, clock):
    clock.t = datetime(2029, 1, 1, 9).timestamp()
    assert kiosk.keep(staff_doc(issued=clock.t))
    assert kiosk.auth.sign_in("100777", "135792").reason == "account_expired"


def test_no_list_nobody_signs_in(tmp_path, clock):
    k = Kiosk(tmp_path, clock)
    r = k.auth.sign_in("100234", "246810")
    assert not r.ok and r.reason == "no_list"
    k.store.close()


def test_the_kiosk_refuses_lists_it_must_not_trust(kiosk):
    blob = proto.canonical_json(staff_doc())
    with pytest.raises(StaffListError, match="signature"):
        verify_staff_list(proto.canonical_json(staff_doc(key=Ed25519PrivateKey.generate())), BACKOFFICE.public_key(),
                          KIOSK)
    with pytest.raises(StaffListError, match="another kiosk"):
        verify_staff_list(proto.canonical_json(staff_doc(kiosk_id="3301060002")), BACKOFFICE.public_key(), KIOSK)
    doc = json.loads(blob)
    doc["staff"][0]["role"] = "supervisor"                        # an edit after signing
    with pytest.raises(StaffListError, match="signature"):
        verify_staff_list(proto.canonical_json(doc), BACKOFFICE.public_key(), KIOSK)
    greedy = staff_doc()
    greedy["staff"][0]["pin_hash"] = "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$" + "A" * 43
    with pytest.raises(StaffListError, match="malformed"):
        verify_staff_list(proto.canonical_json(sign_staff_list(BACKOFFICE, greedy)), BACKOFFICE.public_key(), KIOSK)


def test_a_forged_list_written_into_the_store_signs_nobody_in(kiosk):
    forged = staff_doc(issued=T0 + 10, key=Ed25519PrivateKey.generate())
    assert kiosk.keep(forged)                                    # the store keeps bytes; use verifies them
    assert kiosk.auth.sign_in("100234", "246810").reason == "no_list"


def test_an_older_list_never_replaces_a_newer_one(kiosk):
    assert not kiosk.keep(staff_doc(issued=T0 - 3600))
    assert kiosk.keep(staff_doc(issued=T0 + 3600))
    assert StaffStore(kiosk.store).issued() == int(T0 + 3600)


def test_staff_mode_ends_after_the_idle_time_and_touches_extend_it(kiosk):
    member = kiosk.auth.sign_in("100234", "246810").member
    mode = StaffMode.start(member, 100.0, 120.0)
    assert not mode.expired(219.9) and mode.seconds_left(160.0) == 60.0
    mode = mode.touched(200.0)
    assert not mode.expired(319.0) and mode.expired(320.0)
    assert mode.touched(150.0).last_touch == 200.0               # a late, older touch does not shorten it
    kiosk.auth.end_staff_mode(member, "idle")
    assert kiosk.entries()[-1] == ("staff_mode_end", "100234", {"reason": "idle"})


@pytest.mark.parametrize("pin", ["12345", "111111", "123456", "987654", "12345a", "1" * 13])
def test_weak_or_malformed_pins_are_refused(pin):
    with pytest.raises(ValueError):
        check_pin_rules(pin)


def test_the_demo_staff_sign_in_offline_on_a_fresh_data_folder(tmp_path):
    from kiosk.compose import build_parts
    from kiosk.config import load_config, with_data_dir
    from testkit.demo_staff import DEMO_CLERK, DEMO_SUPERVISOR

    config = with_data_dir(load_config(env={}, overrides={"devices": {
        "card_reader": "sim", "camera": "sim", "face": "sim", "printer": "sim", "document_camera": "sim"}}),
        tmp_path / "fresh")
    parts = build_parts(config)
    store = parts.open_storage()
    try:
        staff = parts.open_staff(store)
        assert staff.authenticator.sign_in(DEMO_CLERK.staff_number, DEMO_CLERK.pin).member.role == "clerk"
        assert staff.authenticator.sign_in(DEMO_SUPERVISOR.staff_number, DEMO_SUPERVISOR.pin).member.role == "supervisor"
        assert staff.authenticator.sign_in_with_id_card(DEMO_CLERK.id_number, DEMO_CLERK.pin).ok
        assert staff.audit.verify(load_signing_key(parts.files).public_key()).count == 3
    finally:
        store.close()


def test_the_demo_staff_constants_match_their_pins():
    from testkit.demo_staff import DEMO_STAFF, demo_signer
    salt = id_salt_for(proto.public_bytes(demo_signer().public_key()))
    for s in DEMO_STAFF:
        assert PasswordHasher().verify(s.pin_hash, s.pin)
        check_pin_rules(s.pin)
        assert s.id_key == (id_key(s.id_number, salt) if s.id_number else None)
