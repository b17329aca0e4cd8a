"""Encryption at rest in the back office: nothing personal readable in the database's files,
files only for their owner, sealed values bound to their row, key rotation that keeps every
record readable, and the upgrade of a database an older release stored in plain text."""
from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys

import pytest
from sqlalchemy import text

from backoffice import db
from backoffice.at_rest import AtRest, AtRestError, Keyring, record_context
from backoffice.layout import BackofficeFolder, LegacyDatabase, open_backoffice
from backoffice.migrate import keys_in_use, rewrap_rows
from backoffice.officials import Workbench
from tests.backoffice_support import (CHILD_NAME, CITIZEN_ID, CITIZEN_NAME, HR, KIOSK, POLICE, SPOUSE_ID, database_url,
                                      deliver, fast_hasher, new_backoffice)
from backoffice.accounts import Accounts

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent.parent
SECRETS = (CITIZEN_NAME.encode(), CITIZEN_ID.encode(), SPOUSE_ID.encode(), CHILD_NAME.encode(), "见面核对".encode())


def official(bo, name="alice", depts=(POLICE, HR)):
    return Accounts(bo.engine, hasher=fast_hasher()).create(name, "correct horse battery", "official", depts)


def raw_files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_records_notes_and_photos_are_not_readable_in_the_sqlite_files(tmp_path):
    bo = new_backoffice(tmp_path)
    first = deliver(bo)
    deliver(bo, "retirement", seq=2, photo_bytes=4096)
    bo.set_status(first, "hukou", "more_materials_needed", "见面核对 the applicant's papers")
    with bo.engine.connect() as conn:   # the rows hold only sealed text
        assert all(r.startswith("ov1.") for (r,) in conn.execute(text("SELECT record FROM applications")))
    folder = BackofficeFolder(tmp_path / "bo")
    files = raw_files(folder.db_dir)
    assert "backoffice.sqlite3" in files and "backoffice.sqlite3-wal" in files
    from testkit.sync_drills import DemoApplications
    photo = DemoApplications(photo_bytes=4096).photo
    for name, raw in files.items():
        for secret in SECRETS + (photo[100:132],):
            assert secret not in raw, f"{secret[:20]!r} readable in {name}"
    # ... and still readable by whoever holds the keyring
    acct = official(bo)
    item = Workbench(bo).item(acct, first, "hukou")
    assert {a["field_id"]: a["shown"]["zh"] for a in item["answers"]}["applicant_name"] == CITIZEN_NAME
    assert item["history"][0]["note"] == "见面核对 the applicant's papers"
    bo.engine.dispose()


@pytest.mark.parametrize("kind", ["postgresql"])
def test_records_and_notes_are_sealed_in_postgresql(tmp_path, kind):
    with database_url(kind, tmp_path) as url:
        bo = new_backoffice(tmp_path, url)
        number = deliver(bo)
        bo.set_status(number, "hukou", "accepted", "见面核对")
        with bo.engine.connect() as conn:
            stored = [r for (r,) in conn.execute(text("SELECT record FROM applications"))]
            stored += [r for (r,) in conn.execute(text("SELECT note FROM status_changes"))]
        assert stored and all(s.startswith("ov1.") for s in stored)
        assert not any(secret.decode() in s for s in stored for secret in SECRETS)
        assert Workbench(bo).item(official(bo), number, "hukou")["history"][0]["note"] == "见面核对"
        bo.engine.dispose()


def test_database_and_key_files_are_for_their_owner_only_and_the_keyring_sits_outside_the_database_folder(tmp_path):
    bo = new_backoffice(tmp_path)
    deliver(bo)
    folder = BackofficeFolder(tmp_path / "bo")
    for f in folder.db_dir.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f.name
    assert stat.S_IMODE(folder.db_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.keyring.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.keyring.parent.stat().st_mode) == 0o700
    assert folder.db_dir not in folder.keyring.parents
    bo.engine.dispose()
    os.chmod(folder.keyring, 0o644)                 # someone loosened it: refuse to use it
    with pytest.raises(AtRestError, match="readable by others"):
        Keyring(folder.keyring)


def test_a_loose_existing_database_file_is_tightened(tmp_path):
    path = tmp_path / "bo" / "db" / "backoffice.sqlite3"
    path.parent.mkdir(parents=True)
    sqlite3.connect(path).close()
    os.chmod(path, 0o644)
    new_backoffice(tmp_path).engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_sealed_record_moved_to_another_row_or_altered_does_not_open(tmp_path):
    bo = new_backoffice(tmp_path)
    a, b = deliver(bo, seq=1), deliver(bo, seq=2)
    with bo.engine.begin() as conn:
        rec_a = conn.execute(text("SELECT record FROM applications WHERE number=:n"), {"n": a}).scalar_one()
        conn.execute(text("UPDATE applications SET record=:r WHERE number=:n"), {"r": rec_a, "n": b})
    with pytest.raises(AtRestError):
        Workbench(bo).item(official(bo), b, "hukou")
    flipped = rec_a[:-5] + ("A" if rec_a[-5] != "A" else "B") + rec_a[-4:]
    with pytest.raises(AtRestError):
        bo.at_rest.open(flipped, record_context(a))
    bo.engine.dispose()


def test_rotating_the_key_rewraps_every_row_and_keeps_records_readable(tmp_path):
    bo = new_backoffice(tmp_path)
    numbers = [deliver(bo, seq=i) for i in range(1, 4)]
    bo.set_status(numbers[0], "hukou", "accepted", "note one")
    old = bo.at_rest.current_key_id
    other_process = AtRest(Keyring(bo.at_rest.keyring.path))       # a running server's view of the keyring
    folder = BackofficeFolder(tmp_path / "bo")
    r = subprocess.run([sys.executable, "-m", "backoffice", "rotate-key", "--data-dir", str(folder.root)],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    new = bo.at_rest.current_key_id
    assert new != old and new in r.stdout
    assert other_process.current_key_id == new                      # re-read without a restart
    assert keys_in_use(bo.engine) == {new}
    acct = official(bo)
    for n in numbers:
        assert Workbench(bo).item(acct, n, "hukou")["answers"][0]["shown"]["zh"] == CITIZEN_NAME
    assert Workbench(bo).item(acct, numbers[0], "hukou")["history"][0]["note"] == "note one"
    # the old key stays until pruned; pruning drops it once nothing needs it
    assert old in bo.at_rest.keyring.ring().keys
    r = subprocess.run([sys.executable, "-m", "backoffice", "prune-keys", "--data-dir", str(folder.root)],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and old in r.stdout, r.stderr
    assert set(bo.at_rest.keyring.ring().keys) == {new}
    assert Workbench(bo).item(acct, numbers[1], "hukou")["status"] == "received"
    # --reencrypt: new data keys too (the payload's ciphertext changes), still readable
    with bo.engine.connect() as conn:
        before = conn.execute(text("SELECT record FROM applications WHERE number=:n"), {"n": numbers[2]}).scalar_one()
    bo.at_rest.keyring.add_key()
    assert rewrap_rows(bo, reencrypt=True) == 4
    with bo.engine.connect() as conn:
        after = conn.execute(text("SELECT record FROM applications WHERE number=:n"), {"n": numbers[2]}).scalar_one()
    assert before.split(".")[3] != after.split(".")[3]
    assert Workbench(bo).item(acct, numbers[2], "hukou")["answers"][0]["shown"]["zh"] == CITIZEN_NAME
    bo.engine.dispose()


# --- a database from the release before encryption at rest --------------------------------------
OLD_SCHEMA = """
CREATE TABLE kiosks (kiosk_id VARCHAR(10) PRIMARY KEY, public_key VARCHAR(64) NOT NULL, name VARCHAR(200) NOT NULL,
    enrolled_at VARCHAR(32) NOT NULL, revoked_at VARCHAR(32));
CREATE TABLE applications (number VARCHAR(40) PRIMARY KEY, kiosk_id VARCHAR(10) NOT NULL, bundle_id VARCHAR(80) NOT NULL,
    created_at VARCHAR(32) NOT NULL, received_at VARCHAR(32) NOT NULL, source VARCHAR(10) NOT NULL,
    digest VARCHAR(64) NOT NULL, record TEXT NOT NULL);
CREATE TABLE department_requests (number VARCHAR(40) NOT NULL REFERENCES applications(number), item_id VARCHAR(80) NOT NULL,
    department VARCHAR(200) NOT NULL, procedure VARCHAR(200) NOT NULL, due VARCHAR(10) NOT NULL,
    status VARCHAR(32) NOT NULL, PRIMARY KEY (number, item_id));
CREATE TABLE status_changes (id INTEGER PRIMARY KEY, number VARCHAR(40) NOT NULL, item_id VARCHAR(80) NOT NULL,
    kiosk_id VARCHAR(10) NOT NULL, status VARCHAR(32) NOT NULL, note VARCHAR(500) NOT NULL, changed_at VARCHAR(32) NOT NULL);
CREATE TABLE conflicts (id INTEGER PRIMARY KEY, number VARCHAR(40) NOT NULL, kiosk_id VARCHAR(10) NOT NULL,
    digest VARCHAR(64) NOT NULL, record TEXT NOT NULL, received_at VARCHAR(32) NOT NULL, source VARCHAR(10) NOT NULL,
    resolved BOOLEAN NOT NULL, UNIQUE (number, digest));
"""


def _old_rows():
    from kiosk.services.sync import protocol as proto
    from tests.backoffice_support import DemoApplications
    app = DemoApplications().application("newborn", 1)
    rec = json.loads(__import__("tests.backoffice_support", fromlist=["record_bytes"]).record_bytes(app))
    body = proto.canonical_json(rec).decode()
    app_row = dict(number=app.number, kiosk_id=KIOSK, bundle_id="newborn", created_at=rec["created_at"],
                   received_at="2026-11-01T00:00:00Z", source="upload", digest=proto.record_digest(rec), record=body)
    reqs = [dict(number=app.number, item_id=r["item_id"], department=r["department"]["zh"],
                 procedure=r["procedure"]["zh"], due=r["due"], status="received") for r in rec["requests"]]
    note = dict(id=1, number=app.number, item_id="hukou", kiosk_id=KIOSK, status="accepted", note="见面核对",
                changed_at="2026-11-02T00:00:00Z")
    return app.number, app_row, reqs, note


def _write_old(conn, stmts):
    number, app_row, reqs, note = _old_rows()
    for s in stmts:
        conn.execute(text(s))
    conn.execute(text("INSERT INTO applications VALUES (:number,:kiosk_id,:bundle_id,:created_at,:received_at,:source,"
                      ":digest,:record)"), app_row)
    for r in reqs:
        conn.execute(text("INSERT INTO department_requests VALUES (:number,:item_id,:department,:procedure,:due,:status)"), r)
    conn.execute(text("INSERT INTO status_changes VALUES (:id,:number,:item_id,:kiosk_id,:status,:note,:changed_at)"), note)
    return number


def test_an_older_release_s_plaintext_sqlite_database_is_moved_and_sealed_by_migrate(tmp_path):
    data = tmp_path / "bo"
    data.mkdir()
    legacy = data / "backoffice.sqlite3"
    conn = sqlite3.connect(legacy)
    conn.isolation_level = None
    conn.execute("PRAGMA journal_mode=WAL")
    from sqlalchemy import create_engine
    eng = create_engine(f"sqlite:///{legacy}")
    with eng.begin() as c:
        number = _write_old(c, [s for s in OLD_SCHEMA.split(";") if s.strip()])
    eng.dispose()
    conn.close()
    assert CITIZEN_NAME.encode() in b"".join(p.read_bytes() for p in data.glob("backoffice.sqlite3*"))
    # the service will not start on it silently
    with pytest.raises(LegacyDatabase, match="migrate"):
        open_backoffice(BackofficeFolder(data))
    r = subprocess.run([sys.executable, "-m", "backoffice", "serve", "--data-dir", str(data), "--port", "0"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "python -m backoffice migrate" in r.stderr
    r = subprocess.run([sys.executable, "-m", "backoffice", "migrate", "--data-dir", str(data)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    folder = BackofficeFolder(data)
    assert not legacy.exists() and folder.db.exists()
    for name, raw in raw_files(folder.db_dir).items():
        for secret in SECRETS:
            assert secret not in raw, f"{secret!r} still in {name}"
    bo = open_backoffice(folder)
    acct = official(bo)
    item = Workbench(bo).item(acct, number, "hukou")
    assert item["department_id"] == POLICE and item["answers"][0]["shown"]["zh"] == CITIZEN_NAME
    assert item["history"][0]["note"] == "见面核对"
    assert [r["number"] for r in Workbench(bo).items(acct)] == [number]
    bo.engine.dispose()


@pytest.mark.parametrize("kind", ["postgresql"])
def test_an_older_release_s_postgresql_database_is_upgraded_and_sealed_at_start(tmp_path, kind):
    with database_url(kind, tmp_path) as url:
        from sqlalchemy import create_engine
        eng = create_engine(db.normalise_url(url))
        with eng.begin() as c:
            number = _write_old(c, [s.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY")
                                    for s in OLD_SCHEMA.split(";") if s.strip()])
        eng.dispose()
        bo = new_backoffice(tmp_path, url, seal_plaintext=True)     # what `serve` does
        with bo.engine.connect() as conn:
            stored = conn.execute(text("SELECT record FROM applications")).scalar_one()
        assert stored.startswith("ov1.") and CITIZEN_NAME not in stored
        item = Workbench(bo).item(official(bo), number, "hukou")
        assert item["answers"][0]["shown"]["zh"] == CITIZEN_NAME and item["history"][0]["note"] == "见面核对"
        bo.engine.dispose()
