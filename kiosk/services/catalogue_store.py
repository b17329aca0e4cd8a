"""The one owner of the catalogue in force: which of the shipped file, its last good copy and the
catalogue the back office signed the kiosk runs on, and the only code that writes those copies.

  choose_catalogue   what the composition root calls at start: the synced catalogue when it
                     verifies against the pinned back office key and parses; else the shipped
                     file (a copy is kept as the last good one); else that last good copy.
  verify_synced      a catalogue from the back office: its signature, then that it parses and
                     says the version it was signed as. Only what passed may be kept ...
  keep_synced        ... in the data folder, atomically (kiosk/services/atomic.py).
  load_catalogue     one file, for `kiosk catalogue check` and the tests.

The file names are the data folder's (kiosk/services/datafolder.py). No Qt; every function runs
on its caller's thread and reads or writes at most a few small files (fsync on writes).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.domain.catalogue import Catalogue, CatalogueError, parse_catalogue
from kiosk.services import safe_yaml
from kiosk.services.atomic import atomic_write
from kiosk.services.datafolder import DataFolder
from kiosk.services.sync import protocol as proto

log = logging.getLogger(__name__)

Source = Literal["shipped", "last-good", "synced"]


class CatalogueRefused(Exception):
    """A catalogue from the back office that does not verify or does not parse; the old one stays."""


@dataclass(frozen=True)
class SignedCatalogue:
    """A catalogue as the back office sends it: the exact bytes and what it signed over them."""
    content: bytes
    revision: int
    version: str
    signature: str


@dataclass(frozen=True)
class VerifiedCatalogue:
    """A SignedCatalogue whose signature verified and whose bytes parsed: only these are kept."""
    signed: SignedCatalogue
    catalogue: Catalogue


@dataclass(frozen=True)
class CatalogueChoice:
    catalogue: Catalogue
    source: Source
    problem: str | None = None      # what was refused on the way (for the log and staff), if anything
    revision: int | None = None     # the back office's revision when source == "synced"


# --- reading one catalogue ----------------------------------------------------------------------
def parse_catalogue_bytes(content: bytes, source: str, *, as_json: bool = False) -> Catalogue:
    """Parse and validate exactly these bytes (YAML, or JSON with `as_json`) within the safe
    loader's limits (size, depth, aliases: kiosk/services/safe_yaml.py). Raises CatalogueError
    naming `source`, the place and the problem."""
    return parse_catalogue(safe_yaml.parse_text(content, source, is_json=as_json), source)


def _read(path: Path) -> bytes:
    return safe_yaml.read_bytes(path)


def load_catalogue(path: Path) -> Catalogue:
    """Read and validate one file. Raises CatalogueError naming the file, the place and the problem."""
    path = Path(path)
    return parse_catalogue_bytes(_read(path), str(path), as_json=path.suffix.lower() == ".json")


# --- the back office's signed catalogue --------------------------------------------------------
def verify_synced(signed: SignedCatalogue, key: Ed25519PublicKey, source: str) -> VerifiedCatalogue:
    """The signature first (nothing unsigned is parsed), then the bytes must parse and say the
    version they were signed as. Raises CatalogueRefused saying which check failed."""
    if not proto.verify_catalogue(key, signed.revision, signed.version, signed.content, signed.signature):
        raise CatalogueRefused(f"{source}: the signature does not verify")
    try:
        catalogue = parse_catalogue_bytes(signed.content, source)
    except CatalogueError as exc:
        raise CatalogueRefused(f"{source} does not parse: {exc}") from None
    if catalogue.version != signed.version:
        raise CatalogueRefused(f"{source}: says version {catalogue.version!r}, signed as {signed.version!r}")
    return VerifiedCatalogue(signed, catalogue)


def keep_synced(folder: DataFolder, verified: VerifiedCatalogue) -> Path:
    """Keep a verified catalogue as the one to use from the next start: its bytes, then what was
    signed over them, each replaced atomically. A crash between the two leaves a pair that does
    not verify, which `choose_catalogue` refuses (and the next pull fetches the revision again)."""
    s = verified.signed
    folder.root.mkdir(parents=True, exist_ok=True)
    atomic_write(folder.synced_catalogue, s.content)
    atomic_write(folder.synced_catalogue_meta, proto.canonical_json(
        {"revision": s.revision, "version": s.version, "signature": s.signature}))
    return folder.synced_catalogue


def load_synced(folder: DataFolder, key: Ed25519PublicKey) -> VerifiedCatalogue | None:
    """The catalogue last kept from the back office, verified again against `key` (the pinned
    back office key, which may have changed since). None when there is none; raises
    CatalogueRefused when it is there but unusable."""
    content_path, meta_path = folder.synced_catalogue, folder.synced_catalogue_meta
    if not content_path.exists() and not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_bytes())
        signed = SignedCatalogue(content_path.read_bytes(), int(meta["revision"]), str(meta["version"]),
                                 str(meta["signature"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CatalogueRefused(f"{content_path.name}: unreadable ({type(exc).__name__})") from None
    return verify_synced(signed, key, str(content_path))


# --- the choice at start ------------------------------------------------------------------------
def _keep_last_good(folder: DataFolder, content: bytes) -> None:
    path = folder.last_good_catalogue
    try:
        if path.is_file() and path.read_bytes() == content:
            return                       # unchanged: no write (and no flash wear) at every start
        folder.root.mkdir(parents=True, exist_ok=True)
        atomic_write(path, content)
    except OSError as exc:               # the kiosk can still run on the file it just loaded
        log.warning("cannot keep the last good catalogue (%s): %s", path.name, exc.strerror or exc)


def choose_catalogue(shipped: Path, folder: DataFolder, verify_key: Ed25519PublicKey | None) -> CatalogueChoice:
    """The catalogue to run on, and where it came from. Runs on the caller's thread at start.

    1. The shipped file, read once: when it parses, those very bytes become the last good copy;
       when it does not, the last good copy stands in for it.
    2. With `verify_key` (a back office is enrolled), a catalogue it signed and the kiosk kept
       wins, if it verifies against that key and parses now; otherwise it is refused (logged).
    Raises CatalogueError (the shipped file's) only when no catalogue is usable at all."""
    shipped = Path(shipped)
    problems: list[str] = []
    base: CatalogueChoice | None = None
    shipped_error: CatalogueError | None = None
    try:
        content = _read(shipped)
        base = CatalogueChoice(parse_catalogue_bytes(content, str(shipped), as_json=shipped.suffix.lower() == ".json"),
                               "shipped")
        _keep_last_good(folder, content)
    except CatalogueError as exc:
        shipped_error = exc
        problems.append(str(exc))
        if folder.last_good_catalogue.exists():
            try:
                base = CatalogueChoice(load_catalogue(folder.last_good_catalogue), "last-good")
                log.error("catalogue refused, running on the last good one (%s): %s",
                          folder.last_good_catalogue.name, exc)
            except CatalogueError as last_exc:
                problems.append(str(last_exc))
                log.error("catalogue refused (%s), and so is the last good copy (%s)", exc, last_exc)
        else:
            log.error("catalogue refused, and there is no last good copy: %s", exc)
    if verify_key is not None:
        try:
            synced = load_synced(folder, verify_key)
        except CatalogueRefused as exc:
            problems.append(f"synced catalogue refused: {exc}")
            log.error("the synced catalogue is refused (%s); using the %s one", exc,
                      base.source if base else "no other")
        else:
            if synced is not None:
                return CatalogueChoice(synced.catalogue, "synced", "; ".join(problems) or None,
                                       synced.signed.revision)
    if base is None:
        assert shipped_error is not None
        raise shipped_error
    return replace(base, problem="; ".join(problems) or None)


class CatalogueStore:
    """Holds the catalogue in use. A bad new file is refused and the last good one stays."""

    def __init__(self, initial: Catalogue) -> None:
        self.current = initial
        self.last_error: CatalogueError | None = None

    def try_replace(self, path: Path) -> bool:
        try:
            self.current = load_catalogue(path)
            self.last_error = None
            return True
        except CatalogueError as exc:
            self.last_error = exc
            return False
