"""Exports never write outside the chosen folder and never reach the kiosk's keys (issue "A back
office officials can trust", hole 3); the keys live outside the data folder; a sealed backup of
the storage key brings stored applications back."""
from __future__ import annotations

import os
import stat
from datetime import datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backoffice.keys import BackofficeKeys
from kiosk.services.crypto import CorruptRecord, RecordCipher, load_or_create_key
from kiosk.services.datafolder import DataFolder
from kiosk.services.storage import Storage
from kiosk.services.sync import protocol as proto
from kiosk.services.sync.export import export_pending
from kiosk.services.sync.settings import SyncSettings, save_sync_settings
from testkit.sync_drills import CITIZEN_NAME, DemoApplications

KIOSK = "3301060001"
WHEN = datetime(2026, 11, 23, 10, 0, 0)
PASSPHRASE = "correct horse battery staple"  # noqa: S105 - a test passphrase for a throwaway key


@pytest.fixture
def kiosk(tmp_path):
    """A kiosk data folder with three stored applications, enrolled with a back office."""
    files = DataFolder(tmp_path / "data")
    doc = BackofficeKeys.load_or_create(tmp_path / "bo-keys").public_document()
    save_sync_settings(files.root, SyncSettings(url="http://127.0.0.1:9", backoffice_signing_key=doc["signing_key"],
                                                backoffice_encryption_key=doc["encryption_key"]))
    from kiosk.services.signing import load_or_create_signing_key
    load_or_create_signing_key(files.signing_key)
    store = Storage(files.db, RecordCipher(load_or_create_key(files.storage_key)))
    numbers = DemoApplications(KIOSK).submit(store, 3)
    store.close()
    return files, numbers


def readable(files: DataFolder, numbers: list[str]) -> bool:
    store = Storage(files.db, RecordCipher(load_or_create_key(files.storage_key)))
    try:
        return all(store.load(n).number == n for n in numbers)
    except CorruptRecord:
        return False
    finally:
        store.close()


def settings(files: DataFolder) -> SyncSettings:
    from kiosk.services.sync.settings import load_sync_settings
    return load_sync_settings(files.root, env={})


def test_links_planted_on_the_stick_never_reach_the_keys(kiosk, tmp_path):
    files, numbers = kiosk
    key_before, signing_before = files.storage_key.read_bytes(), files.signing_key.read_bytes()
    usb = tmp_path / "usb"
    usb.mkdir()
    # Every name the export might write, with the time it will use, links to a key file.
    stem = f"onevisit-{KIOSK}-{WHEN:%Y%m%d%H%M%S}"
    (usb / f".{stem}{proto.EXPORT_SUFFIX}.tmp").symlink_to(files.storage_key)
    (usb / f".{stem}-1{proto.EXPORT_SUFFIX}.tmp").symlink_to(files.signing_key)
    planted = set(usb.iterdir())
    store = Storage(files.db, RecordCipher(load_or_create_key(files.storage_key)))
    try:
        report = export_pending(store, usb, settings(files), KIOSK, Ed25519PrivateKey.generate(), clock=lambda: WHEN)
    finally:
        store.close()
    assert files.storage_key.read_bytes() == key_before, "the export overwrote the storage key"
    assert files.signing_key.read_bytes() == signing_before
    assert readable(files, numbers)
    assert report.count == 3 and report.path is not None and report.path.parent == usb
    assert set(usb.iterdir()) == planted | {report.path}          # the links untouched, one new file
    st = os.lstat(report.path)
    assert stat.S_ISREG(st.st_mode) and st.st_mode & 0o077 == 0


def test_export_names_are_unpredictable_and_nothing_is_left_behind(kiosk, tmp_path):
    files, _ = kiosk
    usb = tmp_path / "usb"
    store = Storage(files.db, RecordCipher(load_or_create_key(files.storage_key)))
    try:
        first = export_pending(store, usb, settings(files), KIOSK, Ed25519PrivateKey.generate(), clock=lambda: WHEN)
        again = export_pending(store, usb, settings(files), KIOSK, Ed25519PrivateKey.generate(), clock=lambda: WHEN,
                               include_exported=True)
    finally:
        store.close()
    assert first.path and again.path and first.path != again.path
    for p in (first.path, again.path):
        random_part = p.name.removesuffix(proto.EXPORT_SUFFIX).rsplit("-", 1)[1]
        assert len(random_part) >= 16 and int(random_part, 16) >= 0     # 64 bits nobody can guess
    assert sorted(usb.iterdir()) == sorted([first.path, again.path])   # no temporary file left


def run_kiosk(*argv: str) -> tuple[int, str]:
    import contextlib
    import io

    from kiosk.cli import main
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue() + err.getvalue()


def test_export_into_the_data_folder_or_the_keys_is_refused(kiosk, tmp_path):
    files, _ = kiosk
    usb = tmp_path / "usb"
    usb.mkdir()
    (usb / "innocent").symlink_to(files.root)                 # a link on the stick into the data folder
    files.keys.mkdir(parents=True, exist_ok=True)
    targets = [files.root / "exports", files.keys, usb / "innocent" / "sub", usb / "innocent"]
    for target in targets:
        before = sorted(p.name for p in files.root.rglob("*")) + sorted(p.name for p in files.keys.rglob("*"))
        code, text = run_kiosk("sync", "export", str(target), "--data-dir", str(files.root), "--all")
        assert code == 1, f"exported into {target}: {text}"
        after = sorted(p.name for p in files.root.rglob("*")) + sorted(p.name for p in files.keys.rglob("*"))
        assert not [n for n in after if n.endswith(proto.EXPORT_SUFFIX)] and after == before, text
    code, text = run_kiosk("sync", "export", str(usb / "real"), "--data-dir", str(files.root), "--json")
    assert code == 0 and len(list((usb / "real").glob("*" + proto.EXPORT_SUFFIX))) == 1, text


def test_the_keys_live_outside_the_data_folder_and_old_ones_are_moved_there(tmp_path):
    from kiosk.services.keystore import load_signing_key, load_storage_key
    files = DataFolder(tmp_path / "data")
    assert files.root not in files.keys.parents and files.keys != files.root
    # A kiosk from before: its keys inside the data folder, its applications under that key.
    old_storage, old_signing = files.root / "keys" / "storage.key", files.root / "keys" / "kiosk_ed25519.key"
    store = Storage(files.db, RecordCipher(load_or_create_key(old_storage)))
    numbers = DemoApplications(KIOSK).submit(store, 2)
    store.close()
    from kiosk.services.signing import load_or_create_signing_key
    public = load_or_create_signing_key(old_signing).public_key()
    key = load_storage_key(files)
    assert key == files.storage_key.read_bytes() and not old_storage.exists() and not old_signing.exists()
    assert not (files.root / "keys").exists()
    assert proto.public_bytes(load_signing_key(files).public_key()) == proto.public_bytes(public)
    assert readable(files, numbers)
    assert stat.S_IMODE(files.keys.stat().st_mode) == 0o700
    assert stat.S_IMODE(files.storage_key.stat().st_mode) == 0o600
    # Configurable: [paths] keys_dir.
    from kiosk.config import load_config
    config = load_config(env={}, overrides={"paths": {"data_dir": str(tmp_path / "d2"), "keys_dir": str(tmp_path / "k2")}})
    assert DataFolder.for_config(config).storage_key == tmp_path / "k2" / "storage.key"


def test_a_sealed_backup_restores_the_storage_key_after_it_was_destroyed(kiosk, tmp_path):
    files, numbers = kiosk
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n")
    backup = tmp_path / "usb" / "kiosk-key.backup"
    backup.parent.mkdir()
    code, text = run_kiosk("keys", "backup", "--to", str(backup), "--passphrase-file", str(secret),
                           "--data-dir", str(files.root))
    assert code == 0, text
    key = files.storage_key.read_bytes()
    assert key not in backup.read_bytes() and proto.b64e(key).encode() not in backup.read_bytes()
    # What the old prepared stick did: the storage key overwritten. Nothing reads any more.
    files.storage_key.write_bytes(os.urandom(32))
    assert not readable(files, numbers)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase at all\n")
    code, text = run_kiosk("keys", "restore", "--from", str(backup), "--passphrase-file", str(wrong),
                           "--data-dir", str(files.root))
    assert code != 0 and not readable(files, numbers)
    code, text = run_kiosk("keys", "restore", "--from", str(backup), "--passphrase-file", str(secret),
                           "--data-dir", str(files.root))
    assert code == 0, text
    assert files.storage_key.read_bytes() == key and readable(files, numbers)
    assert CITIZEN_NAME not in text


def test_a_weak_passphrase_is_refused(kiosk, tmp_path):
    files, _ = kiosk
    weak = tmp_path / "weak.txt"
    weak.write_text("1234\n")
    code, text = run_kiosk("keys", "backup", "--to", str(tmp_path / "b"), "--passphrase-file", str(weak),
                           "--data-dir", str(files.root))
    assert code == 2 and not (tmp_path / "b").exists() and "passphrase" in text


def test_a_crafted_backup_cannot_make_restore_spend_gigabytes(tmp_path):
    import json
    import time

    from kiosk.services.keystore import KeyProblem, seal_backup, unseal_backup
    good = json.loads(seal_backup(os.urandom(32), PASSPHRASE, KIOSK, WHEN))
    start = time.monotonic()
    for n in (2 ** 30, 2 ** 20 + 1, "big"):
        with pytest.raises(KeyProblem, match="not a storage key backup"):
            unseal_backup(json.dumps({**good, "n": n}).encode(), PASSPHRASE)
    with pytest.raises(KeyProblem, match="passphrase"):                 # a tampered header does not open
        unseal_backup(json.dumps({**good, "kiosk_id": "3301069999"}).encode(), PASSPHRASE)
    assert time.monotonic() - start < 5
