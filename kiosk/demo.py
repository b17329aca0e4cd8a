"""The demo composition: the one product module that may reach test and demo tooling (testkit/),
and through it the back office. Everything the demo needs beyond the simulated devices in
kiosk/devices/sim comes from here:

  - the demo's card reader (testkit.demo_card_reader): a demo citizen's card is a virtual ICAO
    9303 chip (testkit.vcard, signed with TEST-ONLY keys), read through the same reader code as
    PC/SC, or, for `card_type: resident_id`, a resident ID card in a SAM emulator on a pty, read
    by the product's SamCardReader with the demo-only photo decoder (DemoPhotoDecoder is composed
    here and nowhere else);
  - `--with-backoffice`: a back office inside the kiosk process (testkit.demo_backoffice);
  - the demo's staff (testkit.demo_staff): a clerk and a supervisor whose signed staff list is
    installed at start when no back office is enrolled, so staff sign in offline.

kiosk.compose asks for the reader only when the configuration says card_reader = "sim", and
kiosk.cli starts the back office only for --with-backoffice, so a production configuration never
imports testkit. The import-linter contracts in pyproject.toml name this module as the only
exception. testkit is not in the wheel: without it, asking for the demo fails with a message
instead of a traceback. No Qt here.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.compose import ConfigurationProblem
from kiosk.config import Config

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from kiosk.devices.sim.card_reader import SimCardReader
    from kiosk.domain.identity import Identity
    from kiosk.services.datafolder import DataFolder
    from testkit.demo_backoffice import DemoBackoffice


NO_TESTKIT = ("the demo needs the testkit package (run it from the project's folder); "
              "a production kiosk uses devices.card_reader = 'pcsc' and no --with-backoffice")


def _not_installed(exc: ModuleNotFoundError, module: str) -> bool:
    """True when `module` or a package above it is missing (not something `module` imports)."""
    return exc.name is not None and (module == exc.name or module.startswith(exc.name + "."))


def demo_card_reader(config: Config) -> SimCardReader:
    """The demo's card reader (card_reader = "sim"): virtual chips checked against the test PKI's
    CSCA and only it (the configured trust store is for real readers). Caller's thread; reads the
    trust store's files."""
    from kiosk.devices.icao.reader import ReadOptions
    try:
        from testkit.demo_card_reader import DemoCardReader
        from testkit.vcard.pki import CSCA_DIR as TEST_CSCA_DIR   # the virtual cards' signer, and only it
    except ModuleNotFoundError as exc:
        if not _not_installed(exc, "testkit.demo_card_reader"):
            raise
        raise ConfigurationProblem(NO_TESTKIT) from None
    d = config.devices
    return DemoCardReader(TEST_CSCA_DIR, ReadOptions(extended_length=d.card_extended_length))


def start_demo_backoffice(kiosk_data_dir: Path | DataFolder, kiosk_id: str) -> DemoBackoffice:
    """A back office on its own thread on 127.0.0.1, with this kiosk enrolled and pinned to it
    (testkit/demo_backoffice.py). Caller's thread; blocks until it answers (at most 15 s)."""
    try:
        from testkit.demo_backoffice import start_demo_backoffice as start
    except ModuleNotFoundError as exc:
        if not _not_installed(exc, "testkit.demo_backoffice"):
            raise
        raise ConfigurationProblem(NO_TESTKIT) from None
    return start(kiosk_data_dir, kiosk_id)


def demo_staff_trust(files: DataFolder, kiosk_id: str) -> Ed25519PublicKey:
    """Install the demo's staff list (demo clerk and supervisor, README) in the kiosk's store and
    return the TEST-ONLY key it is signed with. Only for the demo's card reader without a back
    office (kiosk/compose.py). Caller's thread; opens the store briefly."""
    try:
        from testkit.demo_staff import install_demo_staff
    except ModuleNotFoundError as exc:
        if not _not_installed(exc, "testkit.demo_staff"):
            raise
        raise ConfigurationProblem(NO_TESTKIT) from None
    return install_demo_staff(files, kiosk_id)


def demo_clerk_sign_in() -> tuple[str, str]:
    """The demo clerk's staff number and PIN (README), for the autopilot's staff_override
    scenario, which touches them into the pad. Demo only."""
    try:
        from testkit.demo_staff import DEMO_CLERK
    except ModuleNotFoundError as exc:
        if not _not_installed(exc, "testkit.demo_staff"):
            raise
        raise ConfigurationProblem(NO_TESTKIT) from None
    return DEMO_CLERK.staff_number, DEMO_CLERK.pin


def demo_clerk_card() -> Identity:
    """The demo clerk's own (fictional) resident ID card, for the demo tray: inserted while the
    staff sign-in is open, the clerk only types the PIN. Demo only."""
    try:
        from testkit.demo_staff import demo_clerk_card as card
    except ModuleNotFoundError as exc:
        if not _not_installed(exc, "testkit.demo_staff"):
            raise
        raise ConfigurationProblem(NO_TESTKIT) from None
    return card()
