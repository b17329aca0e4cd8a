"""Builds the kiosk's parts from the configuration: catalogue, devices, storage, receipts.

The composition root for both the GUI (kiosk.ui.app) and the command line. No Qt here.
"""
from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from kiosk.config import Config
from kiosk.devices.ports import Camera, CardReader, FaceVerifier
from kiosk.devices.sim.camera import FileCamera
from kiosk.devices.sim.card_reader import SimCardReader
from kiosk.devices.sim.citizens import DemoCitizen, load_citizens
from kiosk.devices.sim.document_camera import SimDocumentCamera
from kiosk.devices.sim.face import SimFaceVerifier
from kiosk.devices.sim.printer import FolderPrinter
from kiosk.domain.application import Application
from kiosk.domain.catalogue import Catalogue, CatalogueError
from kiosk.domain.text import Text
from kiosk.flows.journey import FlowConfig
from kiosk.runtime import Devices, Timeouts
from kiosk.services.catalogue_store import load_catalogue
from kiosk.services.crypto import RecordCipher, load_or_create_key
from kiosk.services.signing import load_or_create_signing_key, sign_receipt
from kiosk.services.storage import Storage

log = logging.getLogger(__name__)


class ConfigurationProblem(Exception):
    """The configuration asks for something this build cannot provide; the message says what."""


@dataclass
class KioskParts:
    config: Config
    catalogue: Catalogue
    flow_config: FlowConfig
    devices: Devices
    timeouts: Timeouts
    open_storage: Callable[[], Storage]
    render_receipt: Callable[[Application], bytes]
    demo_citizens: list[DemoCitizen] = field(default_factory=list)
    sim_reader: SimCardReader | None = None
    # make_sync(on_freeze=...) -> SyncWorker; None when no back office is enrolled (sync.py)
    make_sync: Callable[..., Any] | None = None

    @property
    def kiosk_name(self) -> Text:
        return Text(self.config.kiosk.name_zh, self.config.kiosk.name_en)


def load_catalogue_or_last_good(path: Path, last_good: Path) -> Catalogue:
    """Load the configured catalogue and keep a copy of it as the last good one; when the file
    is broken, log exactly what is wrong and run on the last good copy instead."""
    try:
        catalogue = load_catalogue(path)
    except CatalogueError as exc:
        if not last_good.exists():
            raise
        log.error("catalogue refused, running on the last good one (%s): %s", last_good.name, exc)
        return load_catalogue(last_good)
    tmp = last_good.with_suffix(".tmp")
    tmp.write_bytes(path.read_bytes())
    tmp.replace(last_good)
    return catalogue


def _camera_factory(config: Config, citizens: list[DemoCitizen]) -> Callable[[bytes], Camera]:
    """Which camera a face check watches, by the chip photo: the demo citizen's clip or photo
    (camera = "sim"), or the one real camera (camera = "opencv")."""
    d = config.devices
    if d.camera == "opencv":
        from kiosk.devices.face.camera import OpenCvCamera
        source: int | str = int(d.camera_source) if d.camera_source.strip().isdigit() else d.camera_source
        camera = OpenCvCamera(source)
        return lambda photo: camera
    if d.camera != "sim":
        raise ConfigurationProblem(f"devices.camera = {d.camera!r}: use 'sim' or 'opencv'")
    by_photo = {c.identity.photo: c for c in citizens}
    fallback = citizens[0] if citizens else None

    def camera_for(photo: bytes) -> Camera:
        c = by_photo.get(photo, fallback)
        if c is None:
            raise ConfigurationProblem("camera = 'sim' needs demo citizens")
        return FileCamera(c.camera_source, script=c.camera_script)
    return camera_for


def _face_verifier(config: Config, citizens: list[DemoCitizen]) -> FaceVerifier:
    d, f = config.devices, config.face
    if d.face == "sim":
        return SimFaceVerifier({c.identity.photo for c in citizens if not c.face_genuine})
    if d.face != "dlib":
        raise ConfigurationProblem(f"devices.face = {d.face!r}: use 'dlib' or 'sim'")
    missing = [m for m in ("cv2", "dlib", "face_recognition_models") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigurationProblem(f"devices.face = 'dlib' needs {', '.join(missing)}: install requirements.txt")

    def build() -> FaceVerifier:   # on the face worker, after the first screen is drawn
        from kiosk.devices.face.encoder_process import ChipEncoder
        from kiosk.devices.face.liveness import Challenge, LivenessConfig
        from kiosk.devices.face.matching import MatchPolicy
        from kiosk.devices.face.verifier import DlibFaceVerifier, VerifierSettings
        liveness = LivenessConfig(nonplanar_threshold=f.nonplanar_threshold, challenge_seconds=f.challenge_seconds,
                                  challenges=tuple(Challenge(c.strip()) for c in f.challenges.split(",")))
        policy = MatchPolicy(threshold=f.threshold, min_good_frames=f.min_good_frames)
        return DlibFaceVerifier(VerifierSettings(policy=policy, liveness=liveness, require_liveness=f.liveness),
                                encoder=ChipEncoder())
    from kiosk.devices.face.deferred import DeferredFaceVerifier
    return DeferredFaceVerifier(build)


def build_parts(config: Config) -> KioskParts:
    data_dir = config.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    catalogue = load_catalogue_or_last_good(config.asset(config.paths.catalogue), data_dir / "catalogue.last-good.yaml")
    citizens = load_citizens(config.asset(config.paths.demo_citizens))
    d = config.devices
    if d.printer not in ("sim", "cups"):
        raise ConfigurationProblem(f"devices.printer = {d.printer!r}: use 'sim' or 'cups'")

    reader: SimCardReader | CardReader
    if d.card_reader == "pcsc":
        from kiosk.devices.icao.pcsc import PcscCardReader
        from kiosk.devices.icao.reader import ReadOptions
        reader = PcscCardReader(d.card_reader_name, trust_store=config.asset(d.csca_dir),
                                options=ReadOptions(extended_length=d.card_extended_length))
    elif d.card_reader == "sim":
        # The demo's cards are virtual ICAO chips read through the same reader code as PC/SC.
        from kiosk.devices.icao.reader import ReadOptions
        from kiosk.devices.sim.chip_reader import SimChipReader
        reader = SimChipReader(config.asset(d.csca_dir), ReadOptions(extended_length=d.card_extended_length))
    else:
        raise ConfigurationProblem(f"devices.card_reader = {d.card_reader!r}: use 'sim' or 'pcsc'")
    camera_for = _camera_factory(config, citizens)
    face = _face_verifier(config, citizens)
    if d.printer == "cups":
        from kiosk.devices.cups_printer import CupsPrinter
        try:
            printer: FolderPrinter | CupsPrinter = CupsPrinter(d.printer_queue)
        except ValueError as exc:
            raise ConfigurationProblem(f"devices.printer_queue: {exc}") from None
    else:
        printer = FolderPrinter(config.receipts_dir)
    devices = Devices(card_reader=reader, camera_for=camera_for, face=face, printer=printer,
                      documents=SimDocumentCamera())

    key_path = config.key_path
    signing_key = load_or_create_signing_key(key_path.parent / "kiosk_ed25519.key")

    def open_storage() -> Storage:
        return Storage(config.db_path, RecordCipher(load_or_create_key(key_path)))

    def render(app: Application) -> bytes:
        # Imported by the first receipt (print thread), not at start: reportlab costs ~0.1 s.
        from kiosk.services.receipts import ReceiptOptions, render_receipt
        code = sign_receipt(signing_key, app.number, app.bundle_id)
        return render_receipt(app, ReceiptOptions(kiosk_name=Text(config.kiosk.name_zh, config.kiosk.name_en),
                                                  verify_url=config.receipt.verify_url,
                                                  font_path=config.receipt.font_path or None, verify_code=code))

    make_sync = _sync_factory(config, open_storage)
    if make_sync is not None:
        from kiosk.services.sync import load_synced_catalogue, settings_for
        synced = load_synced_catalogue(data_dir, settings_for(config))
        if synced is not None:      # the newest catalogue the back office signed, re-verified
            catalogue = synced[0]
    government = {c.identity.personal_number: c.government for c in citizens if c.identity.personal_number}
    flow_config = FlowConfig(catalogue=catalogue, timeout_seconds=config.session.timeout_seconds,
                             warning_seconds=config.session.warning_seconds,
                             max_face_attempts=config.session.max_face_attempts, government=government)
    timeouts = Timeouts(card_read=d.card_read_timeout, face_check=config.session.face_check_seconds,
                        store=d.store_timeout, print=d.print_timeout)
    return KioskParts(config, catalogue, flow_config, devices, timeouts, open_storage, render, citizens,
                      reader if isinstance(reader, SimCardReader) else None, make_sync)


def _sync_factory(config: Config, open_storage: Callable[[], Storage]) -> Callable[..., Any] | None:
    """The sync worker's factory when this kiosk is enrolled with a back office, else None."""
    from kiosk.services.sync import SyncSettingsError, make_worker, settings_for
    try:
        settings = settings_for(config)
    except SyncSettingsError as exc:
        raise ConfigurationProblem(str(exc)) from None
    if not settings.configured:
        log.info("no back office enrolled: applications stay on this kiosk (kiosk sync enrol)")
        return None

    def make_sync(**kw: Any) -> Any:
        return make_worker(config.data_dir, config.kiosk.id, settings, open_storage=open_storage, **kw)
    return make_sync
