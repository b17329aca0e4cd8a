"""Builds the kiosk's parts from the configuration: catalogue, devices, storage, receipts.

The composition root for both the GUI (kiosk.ui.app) and the command line. No Qt here.
"""
from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.config import Config
from kiosk.devices.face.screen_flash import ScreenFlash
from kiosk.devices.government import GovernmentRecords, NoGovernmentRecords
from kiosk.devices.identity import IdentityService, NoIdentityService, RateLimited
from kiosk.devices.ports import Camera, CardReader, FaceVerifier, Printer, Speaker
from kiosk.devices.sim.camera import FileCamera
from kiosk.devices.sim.card_reader import SimCardReader
from kiosk.devices.sim.citizens import DemoCitizen, load_citizens
from kiosk.devices.sim.document_camera import SimDocumentCamera
from kiosk.devices.sim.face import SimFaceVerifier
from kiosk.devices.sim.printer import FolderPrinter
from kiosk.domain.application import Application
from kiosk.domain.catalogue import Catalogue
from kiosk.domain.text import Text
from kiosk.i18n import configure as configure_languages
from kiosk.i18n import LIST_SEPARATOR, tr
from kiosk.flows.journey import FlowConfig
from kiosk.compose_scan import receipt_check_codes, scan_setup
from kiosk.receipt_scan import ScanSetup
from kiosk.runtime import Devices, Timeouts
from kiosk.services.catalogue_store import CatalogueChoice, choose_catalogue
from kiosk.services.crypto import RecordCipher
from kiosk.services.datafolder import DataFolder
from kiosk.services.staff.authenticator import StaffPolicy
from kiosk.services.staff.services import StaffServices, open_staff_services
from kiosk.services.keystore import KeyProblem, load_face_failure_key, load_receipt_key, load_signing_key, load_storage_key
from kiosk.services.storage import Storage
from kiosk.services.sync.protocol import ProtocolError
from kiosk.services.sync.settings import SyncSettings, SyncSettingsError, settings_for

if TYPE_CHECKING:
    from kiosk.devices.idcard.photo import PhotoDecoder

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
    # make_sync(on_freeze=...) -> SyncWorker; None when no back office is enrolled (sync/worker.py)
    make_sync: Callable[..., Any] | None = None
    # shown to staff on the attract screen (e.g. an empty CSCA trust store)
    staff_warnings: tuple[Text, ...] = ()
    # the staff issue: open_staff(storage) -> StaffServices (audit log, staff sign-in, policy) on that
    # storage's thread (kiosk/services/staff/services.py); never used on the GUI thread
    open_staff: Callable[[Storage], StaffServices] | None = None
    # the voice (issue 13): None when voice.enabled is false. Whoever runs the window calls
    # speaker.clear() at every session end and speaker.close(timeout) at shutdown.
    speaker: Speaker | None = None
    # check_health() -> HealthReport: the running kiosk's health checks (kiosk/services/health.py)
    check_health: Callable[[], Any] | None = None
    # scan-to-check (issue 14 part 3): the camera that reads receipts, the trust, the back office
    scanning: ScanSetup | None = None
    # the face screen's colour flashes (face check -> face screen -> the demo's lit scene); None: off
    screen_flash: ScreenFlash | None = None
    # -> FaceFailures on a new connection: refused face checks counted per document (face worker)
    open_face_failures: Callable[[], Any] | None = None

    @property
    def files(self) -> DataFolder:
        """The kiosk's data folder layout (and where its keys are)."""
        return DataFolder.for_config(self.config)

    @property
    def kiosk_name(self) -> Text:
        return Text(self.config.kiosk.name_zh, self.config.kiosk.name_en)


def _camera_factory(config: Config, citizens: list[DemoCitizen],
                    flash: ScreenFlash | None = None) -> Callable[[bytes], Camera]:
    """Which camera a face check watches, by the chip photo: the demo citizen's clip or photo
    (camera = "sim"), or the one real camera (camera = "opencv"). A scripted demo person is lit
    by the screen's `flash`."""
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
        return FileCamera(c.camera_source, script=c.camera_script, flash=flash if c.camera_script else None)
    return camera_for


def _screen_flash(config: Config) -> ScreenFlash | None:
    """The face screen's colour flashes, when the real verifier checks their reflection."""
    f = config.face
    return ScreenFlash() if config.devices.face == "dlib" and f.liveness and f.flash_check else None


def _face_verifier(config: Config, citizens: list[DemoCitizen], flash: ScreenFlash | None = None) -> FaceVerifier:
    d, f = config.devices, config.face
    if d.face == "sim":
        return SimFaceVerifier({c.identity.photo for c in citizens if not c.face_genuine})
    if d.face != "dlib":
        raise ConfigurationProblem(f"devices.face = {d.face!r}: use 'dlib' or 'sim'")
    missing = [m for m in ("cv2", "dlib", "face_recognition_models") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigurationProblem(f"devices.face = 'dlib' needs {', '.join(missing)}: install requirements.txt")

    def build() -> FaceVerifier:   # on the face worker, after the first screen is drawn
        from kiosk.devices.face.challenge import ChallengeConfig
        from kiosk.devices.face.cue import FlashConfig, NoDepthSensor
        from kiosk.devices.face.encoder_process import ChipEncoder
        from kiosk.devices.face.liveness import LivenessConfig
        from kiosk.devices.face.matching import MatchPolicy
        from kiosk.devices.face.verifier import DlibFaceVerifier, VerifierSettings
        liveness = LivenessConfig(nonplanar_threshold=f.nonplanar_threshold)
        challenge = ChallengeConfig.from_face_settings(f.challenges, f.challenge_actions, f.challenge_seconds,
                                                       flash_check=flash is not None)
        policy = MatchPolicy(threshold=f.threshold, min_good_frames=f.min_good_frames)
        settings = VerifierSettings(policy=policy, liveness=liveness, challenge=challenge,
                                    flash=FlashConfig() if flash is not None else None, require_liveness=f.liveness)
        return DlibFaceVerifier(settings, encoder=ChipEncoder(), flash=flash, depth=NoDepthSensor())
    from kiosk.devices.face.deferred import DeferredFaceVerifier
    return DeferredFaceVerifier(build)


def _government_records(config: Config, sync_settings: SyncSettings) -> GovernmentRecords:
    """The government records backend: the back office's records API ("backoffice", signed with
    this kiosk's key), the demo citizens' records ("sim"), or none at all."""
    choice = config.devices.government_records
    if choice == "none":
        return NoGovernmentRecords()
    if choice == "backoffice":
        if not sync_settings.configured:
            raise ConfigurationProblem("devices.government_records = 'backoffice' needs an enrolled back office "
                                       "(kiosk sync enrol)")
        from kiosk.services.records_client import BackofficeGovernmentRecords
        from kiosk.services.sync.client import SyncClient
        files = DataFolder.for_config(config)
        key, backoffice_key = load_signing_key(files), sync_settings.signing_public()
        return BackofficeGovernmentRecords(
            lambda timeout: SyncClient(sync_settings.url, config.kiosk.id, key, backoffice_key, timeout=timeout))
    if choice != "sim":
        raise ConfigurationProblem(f"devices.government_records = {choice!r}: use 'none', 'sim' or 'backoffice'")
    from kiosk.devices.sim.government import SimGovernmentRecords
    try:
        return SimGovernmentRecords.from_file(config.asset(config.paths.demo_citizens))
    except (OSError, ValueError) as exc:
        raise ConfigurationProblem(f"devices.government_records = 'sim': {exc}") from None


def _identity_service(config: Config, sync_settings: SyncSettings, citizens: list[DemoCitizen]) -> IdentityService:
    """The no-card path's reference photos (kiosk/devices/identity.py): the back office's
    /v1/identity/reference ("backoffice"), the demo citizens' photos ("sim"), or none; each
    wrapped in this kiosk's hourly limit."""
    d = config.devices
    choice = d.identity_service
    if choice == "none" or d.identity_per_hour <= 0:
        return NoIdentityService()
    inner: IdentityService
    if choice == "backoffice":
        if not sync_settings.configured:
            raise ConfigurationProblem("devices.identity_service = 'backoffice' needs an enrolled back office "
                                       "(kiosk sync enrol)")
        from kiosk.services.identity_client import BackofficeIdentityService
        from kiosk.services.sync.client import SyncClient
        key, backoffice_key = load_signing_key(DataFolder.for_config(config)), sync_settings.signing_public()
        inner = BackofficeIdentityService(
            lambda timeout: SyncClient(sync_settings.url, config.kiosk.id, key, backoffice_key, timeout=timeout))
    elif choice == "sim":
        from kiosk.devices.sim.identity import SimIdentityService
        inner = SimIdentityService(citizens)
    else:
        raise ConfigurationProblem(f"devices.identity_service = {choice!r}: use 'none', 'sim' or 'backoffice'")
    return RateLimited(inner, d.identity_per_hour)


NO_PHOTO_DECODER_STAFF = tr("未配置身份证照片解码器：无法核对持证人的人脸。")


def _photo_decoder(config: Config) -> tuple[PhotoDecoder, tuple[Text, ...]]:
    """The resident ID card photo decoder (the vendor's licensed WLT library) and, when none is
    configured, the staff warning: such a kiosk sends every resident ID card holder to the staff.
    The library must be an absolute path to a file: a relative one would load whatever the
    working directory or the loader's search path holds."""
    from kiosk.devices.idcard.photo import LibraryPhotoDecoder, NoPhotoDecoder
    path = config.devices.photo_decoder_path
    if not path:
        return NoPhotoDecoder(), (NO_PHOTO_DECODER_STAFF,)
    if not (Path(path).is_absolute() and Path(path).is_file()):
        raise ConfigurationProblem(f"devices.photo_decoder_path = {path!r}: the absolute path of the vendor's library")
    return LibraryPhotoDecoder(path), ()


def _vendor_sdk_reader(config: Config) -> tuple[CardReader, tuple[Text, ...]]:
    """The vendor-library reader and, when no photo decoder is configured, the staff warning."""
    from kiosk.devices.idcard.vendor_sdk import VendorSdkCardReader
    d = config.devices
    if not (Path(d.vendor_sdk_path).is_absolute() and Path(d.vendor_sdk_path).is_file()):
        raise ConfigurationProblem(f"devices.vendor_sdk_path = {d.vendor_sdk_path!r}: the absolute path of the vendor's library")
    decoder, warnings = _photo_decoder(config)
    return VendorSdkCardReader(d.vendor_sdk_path, port=d.vendor_sdk_port, photo_decoder=decoder), warnings


def _production_trust_store(config: Config) -> tuple[Any, tuple[Text, ...]]:
    """A real reader's CSCA trust store, and what staff are told about it. A TEST certificate in it
    stops the kiosk: the test PKI's keys are public, so forged documents would read as genuine."""
    from datetime import UTC, datetime

    from kiosk.devices.icao.errors import TrustStoreError
    from kiosk.devices.icao.trust import production_trust_store
    folder = config.asset(config.devices.csca_dir) if config.devices.csca_dir.strip() else None
    try:
        return production_trust_store(folder, datetime.now(UTC))
    except TrustStoreError as exc:
        raise ConfigurationProblem(str(exc)) from None


CARD_READERS = ("sim", "pcsc", "sam", "vendor-sdk")


def card_reader_kinds(value: str) -> tuple[str, ...]:
    """The card readers `[devices] card_reader` names: one, or a comma-separated list ("pcsc,sam")
    for a kiosk with several, where whichever card arrives starts the session."""
    kinds = tuple(k.strip() for k in value.split(","))
    unknown = [k for k in kinds if k not in CARD_READERS]
    if unknown or not kinds:
        raise ConfigurationProblem(f"devices.card_reader = {value!r}: use 'sim', 'pcsc', 'sam' or 'vendor-sdk', "
                                   "or several of the real ones separated by commas")
    if len(set(kinds)) != len(kinds):
        raise ConfigurationProblem(f"devices.card_reader = {value!r}: each reader once")
    if "sim" in kinds and len(kinds) > 1:
        # demo chips beside a real reader would put demo citizens into real applications
        raise ConfigurationProblem(f"devices.card_reader = {value!r}: 'sim' cannot be combined with real readers")
    return kinds


def _card_reader(config: Config, kinds: tuple[str, ...]) -> tuple[CardReader, tuple[Text, ...]]:
    """The card reader(s) `kinds` names and what staff are told about them; several are wrapped
    in an EitherCardReader. Built on the main thread; no reader opens its device here."""
    built = [_one_card_reader(config, kind) for kind in kinds]
    # one warning each, though a SAM and a vendor-SDK reader share the photo decoder's
    warnings = tuple(dict.fromkeys(w for _, ws in built for w in ws))
    if len(built) == 1:
        return built[0][0], warnings
    from kiosk.devices.dual_reader import EitherCardReader
    return EitherCardReader([r for r, _ in built]), warnings


def _one_card_reader(config: Config, kind: str) -> tuple[CardReader, tuple[Text, ...]]:
    d = config.devices
    if kind == "pcsc":
        from kiosk.devices.icao.pcsc import PcscCardReader
        from kiosk.devices.icao.reader import ReadOptions
        trust, warnings = _production_trust_store(config)
        return PcscCardReader(d.card_reader_name, trust_store=trust,
                              options=ReadOptions(extended_length=d.card_extended_length)), warnings
    if kind == "vendor-sdk":
        return _vendor_sdk_reader(config)
    if kind == "sam":
        from kiosk.devices.idcard.sam_reader import SamCardReader
        decoder, warnings = _photo_decoder(config)
        return SamCardReader(d.sam_port, d.sam_baud, photo_decoder=decoder), warnings
    # The demo's cards are virtual ICAO chips (test tooling): only the demo composition loads them.
    from kiosk.demo import demo_card_reader
    return demo_card_reader(config), ()


def _simulated_devices(config: Config) -> tuple[str, ...]:
    """The devices other than the card reader that the configuration simulates (names for staff)."""
    d = config.devices
    return tuple(name for name, sim in (("camera", d.camera == "sim"), ("face verifier", d.face == "sim"),
                                        ("printer", d.printer == "sim"), ("document camera", d.document_camera == "sim"),
                                        ("government records", d.government_records == "sim"),
                                        ("identity service", d.identity_service == "sim"),
                                        ("speaker", config.voice.enabled and config.voice.backend == "sim")) if sim)


def build_parts(config: Config) -> KioskParts:
    configure_languages(config.kiosk.locale_dir, config.kiosk.languages)   # the switch's languages, read now
    files = DataFolder.for_config(config)
    files.root.mkdir(parents=True, exist_ok=True)
    try:
        # Keys from before they moved out of the data folder are moved now, before any thread uses them.
        signing_key = load_signing_key(files)
        load_storage_key(files)
        receipt_key = load_receipt_key(files)   # created here for a data folder from before it existed
    except KeyProblem as exc:
        raise ConfigurationProblem(str(exc)) from None
    sync_settings = _sync_settings(config)
    choice = choose_catalogue(config.asset(config.paths.catalogue), files,
                              sync_settings.signing_public() if sync_settings.configured else None)
    catalogue = choice.catalogue
    _log_choice(choice)
    d = config.devices
    # Demo citizens feed only the simulated devices; a kiosk with real ones never reads the file.
    simulated = _simulated_devices(config)
    kinds = card_reader_kinds(d.card_reader)
    citizens = load_citizens(config.asset(config.paths.demo_citizens)) \
        if kinds == ("sim",) or {"camera", "face verifier", "identity service"} & set(simulated) else []
    if d.printer not in ("sim", "cups", "escpos"):
        raise ConfigurationProblem(f"devices.printer = {d.printer!r}: use 'sim', 'cups' or 'escpos'")

    reader, staff_warnings = _card_reader(config, kinds)
    flash = _screen_flash(config)
    camera_for = _camera_factory(config, citizens, flash)
    face = _face_verifier(config, citizens, flash)
    printer: Printer
    if d.printer == "cups":
        from kiosk.devices.cups_printer import CupsPrinter
        try:
            printer = CupsPrinter(d.printer_queue)
        except ValueError as exc:
            raise ConfigurationProblem(f"devices.printer_queue: {exc}") from None
    elif d.printer == "escpos":
        from kiosk.devices.escpos_printer import EscposPrinter
        try:
            printer = EscposPrinter(d.escpos_address, baud=d.escpos_baud, large_print=d.escpos_large_print)
        except ValueError as exc:
            raise ConfigurationProblem(f"devices.escpos_address: {exc}") from None
    else:
        printer = FolderPrinter(files.receipts)
    if d.document_camera not in ("sim", "none"):
        raise ConfigurationProblem(f"devices.document_camera = {d.document_camera!r}: use 'sim' or 'none'")
    devices = Devices(card_reader=reader, camera_for=camera_for, face=face, printer=printer,
                      documents=SimDocumentCamera() if d.document_camera == "sim" else None,
                      records=_government_records(config, sync_settings),
                      identity=_identity_service(config, sync_settings, citizens))
    if kinds != ("sim",) and simulated:
        # A real reader means real citizens: a simulated device among real ones would put demo
        # data (a drawn page, a scripted verdict) into real applications. Staff must see it.
        log.warning("real card reader with simulated devices: %s", ", ".join(simulated))
        staff_warnings += (tr("注意：以下设备为模拟设备，请勿用于真实办理：{devices}").format(
            devices=LIST_SEPARATOR.join(simulated)),)

    check_code = receipt_check_codes(receipt_key)

    def open_storage() -> Storage:
        return Storage(files.db, RecordCipher(load_storage_key(files)), check_code=check_code)

    def open_face_failures() -> Any:
        from kiosk.services.face_failures import FaceFailures
        return FaceFailures(open_storage(), load_face_failure_key(files))

    def render(app: Application) -> bytes:
        # Imported by the first receipt (print thread), not at start: reportlab costs ~0.1 s.
        from kiosk.services.receipts import ReceiptOptions, render_receipt
        from kiosk.services.receipts.signer import ReceiptSigner
        # The receipt is printed as the application is stored, before sync can deliver it: its
        # dates are always counted from the kiosk's day, so always marked provisional.
        qr, code = ReceiptSigner(receipt_key).seal(app, provisional=True)
        return render_receipt(app, ReceiptOptions(kiosk_name=Text(config.kiosk.name_zh, config.kiosk.name_en),
                                                  verify_url=config.receipt.verify_url,
                                                  font_path=config.receipt.font_path or None, sync_pending=True,
                                                  qr_text=qr, check_code=code))

    make_sync = _sync_factory(config, sync_settings, open_storage)
    flow_config = FlowConfig(catalogue=catalogue, timeout_seconds=config.session.timeout_seconds,
                             warning_seconds=config.session.warning_seconds,
                             max_face_attempts=config.session.max_face_attempts,
                             records_timeout_seconds=d.government_records_timeout,
                             help_wait_seconds=config.staff.help_wait_seconds,
                             staff_idle_seconds=config.staff.idle_seconds,
                             reference_timeout_seconds=d.government_records_timeout + 3.0,
                             language=config.kiosk.language, languages=config.kiosk.languages,
                             large_timeout_seconds=config.session.large_timeout_seconds)
    timeouts = Timeouts(card_read=d.card_read_timeout, face_check=config.session.face_check_seconds,
                        store=d.store_timeout, print=d.print_timeout)
    staff_trust = _staff_trust(config, files, sync_settings, kinds)
    policy = StaffPolicy.from_config(config)

    def open_staff(storage: Storage) -> StaffServices:
        return open_staff_services(storage, config.kiosk.id, signing_key, staff_trust, policy)

    return KioskParts(config, catalogue, flow_config, devices, timeouts, open_storage, render, citizens,
                      reader if isinstance(reader, SimCardReader) else None, make_sync, staff_warnings, open_staff,
                      speaker=build_speaker(config),
                      check_health=health_check(config, printer=printer, in_kiosk=True,
                                                catalogue_version=catalogue.version),
                      scanning=scan_setup(config, files, sync_settings, signing_key),
                      screen_flash=flash, open_face_failures=open_face_failures)


def _staff_trust(config: Config, files: DataFolder, sync_settings: SyncSettings, kinds: tuple[str, ...]) -> Any:
    """Whose signature a staff list needs: the enrolled back office's; in the demo (the demo's card
    reader, no back office) the demo's own staff list, installed now (kiosk/demo.py); else nobody's."""
    if sync_settings.configured:
        return sync_settings.signing_public()
    if kinds == ("sim",):
        from kiosk.demo import demo_staff_trust
        return demo_staff_trust(files, config.kiosk.id)
    log.info("no back office enrolled: no staff can sign in on this kiosk until it is (kiosk sync enrol)")
    return None


def build_speaker(config: Config) -> Speaker | None:
    """The speaker [voice] asks for: espeak-ng, the simulated one, or None (voice.enabled = false).
    Starts no thread or process (the first `say` does)."""
    v = config.voice
    if not v.enabled:
        return None
    if v.backend == "sim":
        from kiosk.devices.sim.speaker import SimSpeaker
        return SimSpeaker(headset=bool(v.headset_device))
    from kiosk.devices.speech.espeak import EspeakSettings, EspeakSpeaker
    from kiosk.devices.speech.queue import SpeechFailed
    try:
        return EspeakSpeaker(EspeakSettings(rate=v.rate, volume=v.volume, voice_zh=v.voice_zh, voice_en=v.voice_en),
                             output_device=v.output_device, headset_device=v.headset_device)
    except SpeechFailed as exc:
        raise ConfigurationProblem(f"voice.backend = 'espeak': {exc}") from None


def health_check(config: Config, *, printer: Any = None, in_kiosk: bool = False,
                 catalogue_version: str | None = None) -> Callable[[], Any]:
    """check() -> HealthReport for this configuration: the device probes (kiosk/devices/health.py;
    `printer` is the running kiosk's own, asked through Printer.health) and the disk, clock, keys,
    catalogue and sync checks (kiosk/services/health_checks.py). `in_kiosk`: leave out the probes
    that would take a device from its owner thread. check() blocks up to the probe timeout: call
    it on the health thread or the command line, never the GUI thread."""
    from kiosk.devices.health import device_probes
    from kiosk.services.health import run_probes
    from kiosk.services.health_checks import service_probes

    def check() -> Any:
        probes = [*device_probes(config, printer=printer, in_kiosk=in_kiosk),
                  *service_probes(config, catalogue_version=catalogue_version)]
        return run_probes(probes, config.health.probe_timeout_seconds, kiosk_id=config.kiosk.id)
    return check


def _sync_settings(config: Config) -> SyncSettings:
    """The sync settings (the [sync] section and the enrolment in the data folder); a pinned
    back office key that cannot be read is a configuration problem, said at start."""
    try:
        settings = settings_for(config)
        if settings.configured:
            settings.signing_public()
            settings.encryption_public()
    except SyncSettingsError as exc:
        raise ConfigurationProblem(str(exc)) from None
    except ProtocolError as exc:
        raise ConfigurationProblem(f"{DataFolder.for_config(config).sync_settings}: a pinned back office key: {exc}") from None
    return settings


def _log_choice(choice: CatalogueChoice) -> None:
    where = f"revision {choice.revision} from the back office" if choice.source == "synced" else choice.source
    log.info("catalogue %s (%s)", choice.catalogue.version, where)


def _sync_factory(config: Config, settings: SyncSettings,
                  open_storage: Callable[[], Storage]) -> Callable[..., Any] | None:
    """The sync worker's factory when this kiosk is enrolled with a back office, else None."""
    from kiosk.services.sync.worker import make_worker
    if not settings.configured:
        log.info("no back office enrolled: applications stay on this kiosk (kiosk sync enrol)")
        return None

    from kiosk.services.notify.settings import make_notifier, notify_policy
    try:
        notifier = make_notifier(config)
    except ValueError as exc:
        raise ConfigurationProblem(str(exc)) from None

    def make_sync(**kw: Any) -> Any:
        return make_worker(DataFolder.for_config(config), config.kiosk.id, settings, open_storage=open_storage,
                           notifier=notifier, notify_policy=notify_policy(config), **kw)
    return make_sync
