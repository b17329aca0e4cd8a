"""Which catalogue the kiosk runs on: the shipped file, its last good copy, or the one the back
office signed; and that only verified bytes are ever kept. Real files in a temp data folder."""
from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.domain.catalogue import CatalogueError
from kiosk.services.atomic import temp_name
from kiosk.services.catalogue_store import (CatalogueRefused, SignedCatalogue, choose_catalogue, keep_synced,
                                            verify_synced)
from kiosk.services.datafolder import DataFolder
from kiosk.services.sync import protocol as proto

FIX = Path(__file__).parent.parent / "fixtures"
SHIPPED = (FIX / "catalogue_small.yaml").read_bytes()
SYNCED = SHIPPED.replace(b'version: "test.1"', b'version: "bo.7"')
BACKOFFICE = Ed25519PrivateKey.generate()


@pytest.fixture
def folder(tmp_path) -> DataFolder:
    return DataFolder(tmp_path / "data")


@pytest.fixture
def shipped(tmp_path) -> Path:
    path = tmp_path / "catalogue.yaml"
    path.write_bytes(SHIPPED)
    return path


def signed(content: bytes = SYNCED, version: str = "bo.7", revision: int = 3,
           key: Ed25519PrivateKey = BACKOFFICE) -> SignedCatalogue:
    return SignedCatalogue(content, revision, version, proto.sign_catalogue(key, revision, version, content))


def keep(folder: DataFolder, s: SignedCatalogue | None = None) -> None:
    keep_synced(folder, verify_synced(s or signed(), BACKOFFICE.public_key(), "test"))


def test_the_shipped_file_is_used_and_its_exact_bytes_become_the_last_good_copy(shipped, folder):
    choice = choose_catalogue(shipped, folder, None)
    assert (choice.source, choice.catalogue.version, choice.problem) == ("shipped", "test.1", None)
    assert folder.last_good_catalogue.read_bytes() == SHIPPED


@pytest.mark.parametrize("broken", [b'version: [unclosed\n', b"\xff\xfe not text", b"version: x\nbundles: 3\n", None])
def test_a_broken_or_missing_shipped_file_falls_back_to_the_last_good_copy(shipped, folder, broken):
    choose_catalogue(shipped, folder, None)
    if broken is None:
        shipped.unlink()
    else:
        shipped.write_bytes(broken)
    choice = choose_catalogue(shipped, folder, None)
    assert (choice.source, choice.catalogue.version) == ("last-good", "test.1")
    assert str(shipped) in choice.problem
    assert folder.last_good_catalogue.read_bytes() == SHIPPED          # the broken file did not replace it


def test_with_nothing_usable_the_shipped_files_problem_is_raised(shipped, folder):
    shipped.write_bytes(b"version: [unclosed\n")
    with pytest.raises(CatalogueError) as info:
        choose_catalogue(shipped, folder, None)
    assert info.value.source == str(shipped) and "YAML" in info.value.problem
    folder.root.mkdir(parents=True)
    folder.last_good_catalogue.write_bytes(b"bundles: [")                # a damaged copy does not help either
    with pytest.raises(CatalogueError) as info:
        choose_catalogue(shipped, folder, None)
    assert info.value.source == str(shipped)


def test_the_catalogue_the_back_office_signed_wins_when_it_verifies_again_at_start(shipped, folder):
    keep(folder)
    assert folder.synced_catalogue.read_bytes() == SYNCED
    choice = choose_catalogue(shipped, folder, BACKOFFICE.public_key())
    assert (choice.source, choice.catalogue.version, choice.revision, choice.problem) == ("synced", "bo.7", 3, None)
    # Without a back office enrolled, a kept catalogue is not used.
    assert choose_catalogue(shipped, folder, None).source == "shipped"


def test_a_signed_catalogue_is_used_even_when_the_shipped_file_and_its_copy_are_gone(shipped, folder):
    keep(folder)
    shipped.unlink()
    choice = choose_catalogue(shipped, folder, BACKOFFICE.public_key())
    assert choice.source == "synced" and str(shipped) in choice.problem


def test_a_kept_catalogue_changed_on_disk_is_refused_at_start(shipped, folder):
    keep(folder)
    folder.synced_catalogue.write_bytes(SYNCED.replace("出生".encode(), "死亡".encode(), 1))
    choice = choose_catalogue(shipped, folder, BACKOFFICE.public_key())
    assert choice.source == "shipped" and "signature does not verify" in choice.problem


def test_a_kept_catalogue_is_refused_after_enrolling_with_another_back_office(shipped, folder):
    keep(folder)
    choice = choose_catalogue(shipped, folder, Ed25519PrivateKey.generate().public_key())
    assert choice.source == "shipped" and "signature" in choice.problem


@pytest.mark.parametrize("damage", ["no meta", "garbled meta", "no content"])
def test_a_half_kept_catalogue_is_refused_not_fatal(shipped, folder, damage):
    keep(folder)
    if damage == "no meta":
        folder.synced_catalogue_meta.unlink()
    elif damage == "garbled meta":
        folder.synced_catalogue_meta.write_bytes(b'{"revision": "three"')
    else:
        folder.synced_catalogue.unlink()
    choice = choose_catalogue(shipped, folder, BACKOFFICE.public_key())
    assert choice.source == "shipped" and "synced catalogue refused" in choice.problem


def test_a_bad_signature_is_refused_and_nothing_is_kept(folder):
    forged = signed(key=Ed25519PrivateKey.generate())
    with pytest.raises(CatalogueRefused, match="signature does not verify"):
        verify_synced(forged, BACKOFFICE.public_key(), "revision 3")
    tampered = SignedCatalogue(SYNCED + b"\n# more\n", 3, "bo.7", signed().signature)
    with pytest.raises(CatalogueRefused, match="signature"):
        verify_synced(tampered, BACKOFFICE.public_key(), "revision 3")
    relabelled = SignedCatalogue(SYNCED, 4, "bo.7", signed().signature)     # signed as revision 3
    with pytest.raises(CatalogueRefused, match="signature"):
        verify_synced(relabelled, BACKOFFICE.public_key(), "revision 4")
    assert not folder.root.exists()


def test_signed_but_unusable_content_is_refused(folder):
    with pytest.raises(CatalogueRefused, match="does not parse"):
        verify_synced(signed(b"version: bo.7\nbundles: 3\n"), BACKOFFICE.public_key(), "revision 3")
    with pytest.raises(CatalogueRefused, match=r"signed as 'bo\.8'"):
        verify_synced(signed(version="bo.8"), BACKOFFICE.public_key(), "revision 3")


def test_keeping_a_catalogue_never_follows_a_link_planted_at_the_temporary_name(tmp_path, folder):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"untouched")
    folder.root.mkdir(parents=True)
    temp_name(folder.synced_catalogue).symlink_to(victim)
    keep(folder)
    assert victim.read_bytes() == b"untouched"
    assert folder.synced_catalogue.read_bytes() == SYNCED and not folder.synced_catalogue.is_symlink()
    assert not temp_name(folder.synced_catalogue).exists()


def test_the_composition_root_runs_on_the_owners_choice(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from kiosk.compose import ConfigurationProblem, build_parts
    from kiosk.config import load_config
    from kiosk.services.sync.settings import SyncSettings, save_sync_settings
    folder = DataFolder(tmp_path / "data")
    config = load_config(env={}, overrides={"paths": {"data_dir": str(folder.root)}, "devices": {"face": "sim"}})
    keep(folder)
    assert build_parts(config).catalogue.version != "bo.7"          # no back office enrolled: not used
    pinned = SyncSettings(url="http://127.0.0.1:9",
                          backoffice_signing_key=proto.b64e(proto.public_bytes(BACKOFFICE.public_key())),
                          backoffice_encryption_key=proto.b64e(proto.public_bytes(X25519PrivateKey.generate().public_key())))
    save_sync_settings(folder.root, pinned)
    assert build_parts(config).catalogue.version == "bo.7"
    save_sync_settings(folder.root, SyncSettings(**{**pinned.__dict__, "backoffice_signing_key": "bm90IGEga2V5"}))
    with pytest.raises(ConfigurationProblem, match="pinned back office key"):
        build_parts(config)
