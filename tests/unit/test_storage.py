"""The encrypted SQLite store: durable, atomic, unreadable without the key."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dataclasses import replace

from kiosk.domain.application import is_valid_application_number
from kiosk.domain.drafting import build_draft
from kiosk.services.crypto import CorruptRecord, RecordCipher, load_or_create_key
from kiosk.services.datafolder import DataFolder
from kiosk.services.storage import Storage


@pytest.fixture
def store(tmp_path):
    files = DataFolder(tmp_path)
    s = Storage(files.db, RecordCipher(load_or_create_key(files.storage_key)))
    yield s
    s.close()


KIOSK = "3301060001"


def make_draft(catalogue, identity, when, answers_extra=None, consent=True):
    from kiosk.domain.form import prefill
    answers, verified = prefill(catalogue, identity)
    answers.update({"applicant_marital_status": "single", "child_name": "王小宝", "child_birth_date": "2026-10-01",
                    "applicant_phone": "13800138000", **(answers_extra or {})})
    draft = build_draft(catalogue, catalogue.bundle("newborn"), answers, verified, dict(answers), drafted_at=when)
    return replace(draft, consent=consent)


def test_submit_assigns_sequential_unique_numbers_and_round_trips(store, small_catalogue, identity, now):
    a = store.submit(make_draft(small_catalogue, identity, now), KIOSK, now)
    b = store.submit(make_draft(small_catalogue, identity, now), KIOSK, now)
    assert a.number != b.number and a.number.split("-")[1] == "000001" and b.number.split("-")[1] == "000002"
    assert is_valid_application_number(a.number)
    loaded = store.load(a.number)
    assert loaded == a
    assert [r.item_id for r in loaded.requests] == ["birth_certificate", "hukou"]
    assert store.stats().pending_sync == 2


def test_citizen_data_is_not_readable_in_the_database_files(store, small_catalogue, identity, now, tmp_path):
    store.submit(make_draft(small_catalogue, identity, now), KIOSK, now)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob(DataFolder(tmp_path).db.name + "*"))   # the db and its WAL
    for secret in (identity.name, identity.personal_number, "王小宝", "13800138000"):
        assert secret.encode() not in raw, f"{secret!r} found in plain text"


def test_key_file_is_private_and_stable(tmp_path):
    path = DataFolder(tmp_path).storage_key
    k1 = load_or_create_key(path)
    assert load_or_create_key(path) == k1
    assert path.stat().st_mode & 0o077 == 0


def test_a_record_moved_to_another_row_does_not_decrypt(store, small_catalogue, identity, now):
    a = store.submit(make_draft(small_catalogue, identity, now), KIOSK, now)
    b = store.submit(make_draft(small_catalogue, identity, now), KIOSK, now)
    db = sqlite3.connect(store.path)
    payload = db.execute("SELECT payload FROM applications WHERE number=?", (a.number,)).fetchone()[0]
    db.execute("UPDATE applications SET payload=? WHERE number=?", (payload, b.number))
    db.commit()
    db.close()
    with pytest.raises(CorruptRecord):
        store.load(b.number)
    assert store.check_integrity() == [f"{b.number}: CorruptRecord"]


def test_failed_numbering_leaves_nothing_behind(store, small_catalogue, identity, now):
    with pytest.raises(ValueError):
        store.submit(make_draft(small_catalogue, identity, now), "not-a-kiosk", now)   # fails inside the transaction
    assert store.numbers() == [] and store.stats().pending_sync == 0
    a = store.submit(make_draft(small_catalogue, identity, now), KIOSK, now)
    assert a.number.split("-")[1] == "000001"   # the sequence did not advance either


def test_submit_only_numbers_the_reviewed_draft(store, small_catalogue, identity, now):
    """What the citizen reviewed is stored as it was: the store adds the number and the time of
    submission, and recomputes nothing (a day later, the promised dates stay the reviewed ones)."""
    from datetime import timedelta
    draft = make_draft(small_catalogue, identity, now)
    later = now + timedelta(days=1, hours=3)
    app = store.submit(draft, KIOSK, later)
    assert app.created_at == later and app.number.split("-")[2] == f"{later:%Y%m%d%H%M%S}"
    for field in ("bundle_id", "catalogue_version", "answers", "requests", "materials", "lang", "face_check"):
        assert getattr(app, field) == getattr(draft, field), field
    assert store.load(app.number).requests == draft.requests


def test_a_draft_without_consent_is_never_stored(store, small_catalogue, identity, now):
    with pytest.raises(ValueError):
        store.submit(make_draft(small_catalogue, identity, now, consent=False), KIOSK, now)
    assert store.numbers() == []


def test_reopening_keeps_records_and_sequence(tmp_path, small_catalogue, identity, now):
    key = load_or_create_key(tmp_path / "k")
    s = Storage(tmp_path / "db", RecordCipher(key))
    s.submit(make_draft(small_catalogue, identity, now), KIOSK, now)
    s.close()
    s = Storage(tmp_path / "db", RecordCipher(key))
    b = s.submit(make_draft(small_catalogue, identity, now), KIOSK, now)
    assert b.number.split("-")[1] == "000002" and len(s.numbers()) == 2
    s.save_rating(b.number, 4, now)
    assert s.rating(b.number) == 4
    s.close()


def test_material_photos_are_stored_encrypted_with_their_application(store, small_catalogue, identity, now, tmp_path):
    from kiosk.domain.form import prefill
    answers, verified = prefill(small_catalogue, identity)
    answers["applicant_phone"] = "13800138000"
    photo = b"\xff\xd8JPEG-BANK-CARD-4242424242424242"
    draft = build_draft(small_catalogue, small_catalogue.bundle("retirement"), answers, verified, dict(answers),
                        drafted_at=now, attachments={"bank_card_photo": photo, "not_needed": b"x"})
    app = store.submit(replace(draft, consent=True), KIOSK, now)
    assert dict(app.attachments) == {"bank_card_photo": photo}          # only what the bundle needs
    assert dict(store.load(app.number).attachments) == {"bank_card_photo": photo}
    raw = b"".join(p.read_bytes() for p in tmp_path.glob(DataFolder(tmp_path).db.name + "*"))
    assert b"BANK-CARD-4242" not in raw


def test_two_threads_creating_the_data_key_at_once_end_up_with_the_same_key(tmp_path):
    """On a kiosk's first start the store worker and the sync thread may both create the key;
    a record sealed by one must open with the other's key."""
    import threading

    from kiosk.services.crypto import load_or_create_key
    for round_ in range(20):
        path = tmp_path / f"k{round_}" / "storage.key"
        keys: list[bytes] = []
        barrier = threading.Barrier(4)

        def make(barrier: threading.Barrier, keys: list[bytes], path: Path) -> None:
            barrier.wait()
            keys.append(load_or_create_key(path))
        threads = [threading.Thread(target=make, args=(barrier, keys, path)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(5)
        assert len(set(keys)) == 1 and keys[0] == path.read_bytes()
        assert [p.name for p in path.parent.iterdir()] == ["storage.key"]     # no temp file left


def test_two_connections_opening_a_new_database_at_once_migrate_it_once(tmp_path):
    import threading

    from kiosk.services.crypto import RecordCipher, load_or_create_key
    from kiosk.services.storage import Storage
    for round_ in range(10):
        path = tmp_path / f"db{round_}" / "kiosk.sqlite3"
        key = load_or_create_key(tmp_path / "storage.key")
        errors: list[BaseException] = []
        barrier = threading.Barrier(3)

        def open_it(barrier: threading.Barrier, path: Path, key: bytes, errors: list[BaseException]) -> None:
            barrier.wait()
            try:
                Storage(path, RecordCipher(key)).close()
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)
        threads = [threading.Thread(target=open_it, args=(barrier, path, key, errors)) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert errors == []


def test_submitting_again_in_the_same_session_returns_the_first_application(store, small_catalogue, identity, now):
    """A save that outlived its timeout may still commit; the citizen, told to press Submit again,
    must not end up with two applications (two numbers, two departments' worth of work)."""
    draft = make_draft(small_catalogue, identity, now)
    first = store.submit(draft, KIOSK, now, submission_key="run1:7")
    again = store.submit(draft, KIOSK, now.replace(second=59), submission_key="run1:7")
    assert again.number == first.number
    assert store.sync_counts().pending == 1
    other = store.submit(draft, KIOSK, now, submission_key="run1:8")          # the next citizen's session
    assert other.number != first.number and store.sync_counts().pending == 2
