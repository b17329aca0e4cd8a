"""`kiosk keys ...`: where the kiosk's keys are, and the sealed backup of the storage key.

  kiosk keys show                              where the keys are and the storage key's fingerprint
  kiosk keys backup --to FILE [--passphrase-file F]
                                               the storage key sealed under a supervisor's
                                               passphrase (asked twice unless --passphrase-file)
  kiosk keys restore --from FILE [--passphrase-file F] [--force]
                                               put the backed-up key back; refused if it does not
                                               open the stored applications (unless --force)

All take --data-dir DIR and --config FILE like `kiosk run`. Exit codes: 0 done; 1 a restore
refused (a wrong passphrase, a key that does not fit); 2 bad configuration, or a backup that
cannot be made (a weak passphrase, a file that already exists, a folder inside the kiosk's own).
docs/security.md "Keys" says when to make a backup and how to keep it.
"""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING
import sys
from datetime import datetime
from pathlib import Path

if TYPE_CHECKING:
    from kiosk.config import Config
    from kiosk.services.datafolder import DataFolder


def add_keys_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    keys = subparsers.add_parser("keys", help="the kiosk's keys: where they are, sealed backup, restore")
    sub = keys.add_subparsers(dest="keys_action", required=True)

    from kiosk.cli import add_common_options as common

    common(sub.add_parser("show", help="where the keys are; the storage key's fingerprint"))
    p = common(sub.add_parser("backup", help="write the storage key, sealed under a passphrase, to FILE"))
    p.add_argument("--to", type=Path, required=True, help="a new file (never overwritten), e.g. on a USB stick")
    p.add_argument("--passphrase-file", type=Path, help="read the passphrase from this file's first line")
    p = common(sub.add_parser("restore", help="make the storage key the one sealed in FILE"))
    p.add_argument("--from", dest="source", type=Path, required=True)
    p.add_argument("--passphrase-file", type=Path, help="read the passphrase from this file's first line")
    p.add_argument("--force", action="store_true", help="even if it does not open the stored applications")
    return keys


def _passphrase(args: argparse.Namespace, confirm: bool) -> str:
    from kiosk.services.keystore import KeyProblem, read_backup
    if args.passphrase_file:
        # read_backup: the same bounded, link-refusing read as the backup itself.
        text = read_backup(args.passphrase_file).decode("utf-8", "strict")
        return text.splitlines()[0] if text else ""
    import getpass
    first = getpass.getpass("Supervisor passphrase: ")
    if confirm and getpass.getpass("Again: ") != first:
        raise KeyProblem("the two passphrases differ")
    return first


def run_keys(args: argparse.Namespace) -> int:
    """Entry for `kiosk keys` (main thread)."""
    from kiosk.config import ConfigError, load_config, with_data_dir
    from kiosk.services.datafolder import DataFolder
    from kiosk.services.keystore import KeyProblem

    try:
        config = load_config(args.config)
        if args.data_dir:
            config = with_data_dir(config, args.data_dir)
        files = DataFolder.for_config(config)
        return {"show": _show, "backup": _backup, "restore": _restore}[args.keys_action](args, config, files)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyProblem as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2 if args.keys_action == "backup" else 1


def _show(args: argparse.Namespace, config: Config, files: DataFolder) -> int:
    from kiosk.services.keystore import key_fingerprint, load_storage_key
    print(f"keys folder: {files.keys}")
    print(f"storage key: {files.storage_key} (fingerprint {key_fingerprint(load_storage_key(files))})")
    print(f"signing key: {files.signing_key}")
    return 0


def _backup(args: argparse.Namespace, config: Config, files: DataFolder) -> int:
    import os

    from kiosk.services import safe_files as sf
    from kiosk.services.keystore import (
        KeyProblem,
        check_passphrase,
        key_fingerprint,
        load_storage_key,
        seal_backup,
    )

    passphrase = _passphrase(args, confirm=True)
    check_passphrase(passphrase)
    key = load_storage_key(files)
    blob = seal_backup(key, passphrase, config.kiosk.id, datetime.now())
    target: Path = args.to
    try:
        dir_fd = sf.open_folder(target.parent)
    except (sf.RefusedFile, OSError) as exc:
        raise KeyProblem(f"{sf.safe_name(target.parent)}: {exc}") from None
    try:
        if sf.enclosing(dir_fd, (files.root, files.keys)) is not None:
            raise KeyProblem("keep the backup away from the kiosk's data and keys folders (a USB stick, a safe)")
        try:
            fd = sf.create_exclusive(dir_fd, target.name)
        except FileExistsError:
            raise KeyProblem(f"{sf.safe_name(target)} already exists: choose a new name") from None
        try:
            sf.write_all(fd, blob)
            os.fsync(fd)
        finally:
            os.close(fd)
        sf.fsync_folder(dir_fd)
    finally:
        os.close(dir_fd)
    print(f"wrote {sf.safe_name(target)}: storage key {key_fingerprint(key)} of kiosk {config.kiosk.id}, "
          "sealed under the passphrase. Keep the file and the passphrase in different places.")
    return 0


def _restore(args: argparse.Namespace, config: Config, files: DataFolder) -> int:
    from kiosk.services.keystore import (
        install_storage_key,
        key_fingerprint,
        read_backup,
        unseal_backup,
    )

    blob = read_backup(args.source)
    unsealed = unseal_backup(blob, _passphrase(args, confirm=False))
    if unsealed.kiosk_id != config.kiosk.id:
        print(f"note: the backup was made on kiosk {unsealed.kiosk_id}; this is kiosk {config.kiosk.id}",
              file=sys.stderr)
    opens = _opens_store(files, unsealed.key)
    if opens is False and not args.force:
        print("refused: this key does not open the applications stored on this kiosk (--force to install it anyway)",
              file=sys.stderr)
        return 1
    kept = install_storage_key(files, unsealed.key, datetime.now())
    print(f"storage key {key_fingerprint(unsealed.key)} (backed up {unsealed.created_at}) is in place"
          + (f"; the key it replaced is kept as {kept}" if kept else ""))
    return 0


def _opens_store(files: DataFolder, key: bytes) -> bool | None:
    """Whether `key` opens the stored applications; None when there are none to try."""
    if not files.db.exists():
        return None
    from kiosk.services.crypto import RecordCipher
    from kiosk.services.storage import Storage
    store = Storage(files.db, RecordCipher(key))
    try:
        return store.key_opens_records()
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk")
    add_keys_parser(parser.add_subparsers(dest="command", required=True))
    return run_keys(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
