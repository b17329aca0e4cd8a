"""Configuration: packaged defaults (kiosk/defaults.toml) < --config file < environment < flags."""
from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs

from kiosk.domain.text import LANG_CODE
from kiosk.i18n.catalogues import PACKAGE_DIR, CatalogueError, Catalogues

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS = PROJECT_ROOT / "assets"
ENV_PREFIX = "ONEVISIT_"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class KioskSection:
    id: str
    name_zh: str
    name_en: str
    language: str
    languages: tuple[str, ...] = ("zh", "en")
    locale_dir: str = ""


@dataclass(frozen=True)
class SessionSection:
    timeout_seconds: float
    warning_seconds: float
    max_face_attempts: int
    face_check_seconds: float
    large_timeout_seconds: float


@dataclass(frozen=True)
class PathsSection:
    data_dir: str
    keys_dir: str
    catalogue: str
    demo_citizens: str


@dataclass(frozen=True)
class DevicesSection:
    card_reader: str
    camera: str
    face: str
    printer: str
    document_camera: str
    printer_queue: str
    card_reader_name: str
    vendor_sdk_path: str
    vendor_sdk_port: int
    photo_decoder_path: str
    sam_port: str
    sam_baud: int
    camera_source: str
    csca_dir: str
    card_extended_length: bool
    card_read_timeout: float
    print_timeout: float
    store_timeout: float
    government_records: str
    government_records_timeout: float
    escpos_address: str
    escpos_baud: int
    escpos_large_print: bool
    identity_service: str = "none"        # the no-card path's reference photos: "none", "sim", "backoffice"
    identity_per_hour: int = 20           # this kiosk's limit of reference requests in any hour


@dataclass(frozen=True)
class FaceSection:
    threshold: float
    min_good_frames: int
    liveness: bool
    challenges: str
    nonplanar_threshold: float
    challenge_seconds: float
    challenge_actions: int
    flash_check: bool
    depth_sensor: str


@dataclass(frozen=True)
class ReceiptSection:
    font_path: str
    verify_url: str


@dataclass(frozen=True)
class SyncSection:
    batch_size: int
    interval_seconds: float
    backoff_base_seconds: float
    backoff_max_seconds: float
    request_timeout_seconds: float
    freeze_after_days: float
    freeze_after_pending: int
    retention_days: float


@dataclass(frozen=True)
class StaffSection:
    offline_days: float
    max_failures: int
    lock_minutes: float
    idle_seconds: float
    override_flag_per_day: int = 5
    help_wait_seconds: float = 600.0
    counter_desk: bool = False            # a staffed counter: a clerk's sign-in switches on counter mode


@dataclass(frozen=True)
class VoiceSection:
    enabled: bool
    backend: str
    rate: int
    volume: int
    output_device: str
    headset_device: str
    voice_zh: str
    voice_en: str
    on_at_start: bool


@dataclass(frozen=True)
class NotifySection:
    backend: str
    sms_gateway_url: str
    sms_gateway_key: str = field(repr=False)      # a secret: never in a repr or a log line
    timeout_seconds: float = 10.0
    max_attempts: int = 8
    backoff_base_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0


@dataclass(frozen=True)
class HealthSection:
    interval_seconds: float
    probe_timeout_seconds: float
    min_free_disk_mb: float
    offline_fault_days: float


@dataclass(frozen=True)
class Config:
    kiosk: KioskSection
    session: SessionSection
    paths: PathsSection
    devices: DevicesSection
    face: FaceSection
    receipt: ReceiptSection
    sync: SyncSection
    staff: StaffSection
    voice: VoiceSection
    notify: NotifySection
    health: HealthSection

    @property
    def data_dir(self) -> Path:
        """The kiosk's data folder; what lives in it is kiosk.services.datafolder.DataFolder's."""
        return Path(self.paths.data_dir) if self.paths.data_dir else Path(platformdirs.user_data_dir("onevisit-kiosk"))

    @property
    def keys_dir(self) -> Path | None:
        """Where the kiosk's secret keys live; None: beside the data folder (<data-dir>.keys)."""
        return Path(self.paths.keys_dir) if self.paths.keys_dir else None

    def asset(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else ASSETS / p


_SECTIONS = {"kiosk": KioskSection, "session": SessionSection, "paths": PathsSection,
             "devices": DevicesSection, "face": FaceSection, "receipt": ReceiptSection, "sync": SyncSection,
             "staff": StaffSection, "voice": VoiceSection, "notify": NotifySection,
             "health": HealthSection}


def _coerce(value: Any, like: Any, where: str) -> Any:
    if isinstance(like, list | tuple):      # a TOML array, or "a,b,c" from the environment
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(isinstance(x, str) for x in items):
            raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
        return [x.strip() for x in items]
    try:
        if isinstance(like, bool):
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")
        if isinstance(like, int) and not isinstance(like, bool):
            return int(value)
        if isinstance(like, float):
            return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected a number, got {value!r}") from None
    return str(value)


def _check_languages(k: KioskSection) -> None:
    """kiosk.languages: codes such as zh, en, zh-easy, each with a catalogue (kiosk/locale or
    kiosk.locale_dir), no repeats; kiosk.language one of them."""
    if not k.languages or len(set(k.languages)) != len(k.languages) or not all(LANG_CODE.match(x) for x in k.languages):
        raise ConfigError(f"kiosk.languages: language codes such as zh, en, zh-easy, each once; got {list(k.languages)}")
    if k.language not in k.languages:
        raise ConfigError(f"kiosk.language must be one of kiosk.languages ({', '.join(k.languages)}), got {k.language!r}")
    if k.locale_dir and not Path(k.locale_dir).is_dir():
        raise ConfigError(f"kiosk.locale_dir: not a folder: {k.locale_dir}")
    found = Catalogues(([Path(k.locale_dir)] if k.locale_dir else []) + [PACKAGE_DIR])
    missing = [x for x in k.languages if not found.available(x)]
    if missing:
        raise ConfigError(f"kiosk.languages: no catalogue <lang>/LC_MESSAGES/kiosk.po for {', '.join(missing)} "
                          f"(in kiosk.locale_dir or kiosk/locale)")
    try:
        for x in k.languages:
            found.chain(x)
    except CatalogueError as exc:
        raise ConfigError(f"kiosk.languages: {exc}") from None


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None,
                overrides: Mapping[str, Mapping[str, Any]] | None = None) -> Config:
    """Build the configuration. Unknown sections or keys are errors, so typos are caught."""
    env = os.environ if env is None else env
    raw: dict[str, dict[str, Any]] = tomllib.loads(resources.files("kiosk").joinpath("defaults.toml").read_text("utf-8"))
    layers: list[tuple[str, Mapping[str, Any]]] = []
    if path is None and env.get(ENV_PREFIX + "CONFIG"):
        path = Path(env[ENV_PREFIX + "CONFIG"])
    if path is not None:
        try:
            layers.append((str(path), tomllib.loads(Path(path).read_text("utf-8"))))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    env_layer: dict[str, dict[str, str]] = {}
    for section, keys in raw.items():
        for key in keys:
            name = f"{ENV_PREFIX}{section}_{key}".upper()
            if name in env:
                env_layer.setdefault(section, {})[key] = env[name]
    layers.append(("environment", env_layer))
    layers.append(("command line", overrides or {}))
    for where, layer in layers:
        for section, keys in layer.items():
            if section not in raw or not isinstance(keys, Mapping):
                raise ConfigError(f"{where}: unknown section [{section}]")
            for key, value in keys.items():
                if key not in raw[section]:
                    raise ConfigError(f"{where}: unknown key {section}.{key}")
                raw[section][key] = _coerce(value, raw[section][key], f"{where}: {section}.{key}")
    raw["kiosk"]["languages"] = tuple(raw["kiosk"]["languages"])
    cfg = Config(**{name: cls(**raw[name]) for name, cls in _SECTIONS.items()})
    if not (len(cfg.kiosk.id) == 10 and cfg.kiosk.id.isdigit()):
        raise ConfigError(f"kiosk.id must be 10 digits, got {cfg.kiosk.id!r}")
    _check_languages(cfg.kiosk)
    kinds = ("turn_left", "turn_right", "tilt_left", "tilt_right", "come_closer")
    chosen = [c.strip() for c in cfg.face.challenges.split(",")]
    if any(c not in kinds for c in chosen) or len(set(chosen)) < 4:
        # With the flash check off each check asks for four movements (challenge.actions_needed),
        # so four kinds are needed whatever challenge_actions says; the message says why.
        why = "" if cfg.face.flash_check else " (face.flash_check = false: each check asks for 4 different movements)"
        raise ConfigError("face.challenges: at least four different of " + ", ".join(kinds) + " (comma-separated)" + why)
    if not 3 <= cfg.face.challenge_actions <= len(set(chosen)):
        raise ConfigError("face.challenge_actions: at least 3, and no more than the kinds in face.challenges")
    if cfg.face.depth_sensor != "none":
        raise ConfigError("face.depth_sensor: 'none' (the only backend so far)")
    if not 0.0 < cfg.face.threshold < 2.0:
        raise ConfigError("face.threshold must be between 0 and 2 (face_recognition distances)")
    if cfg.devices.sam_baud not in (9600, 19200, 38400, 57600, 115200):
        raise ConfigError("devices.sam_baud: one of 9600, 19200, 38400, 57600, 115200 (what SAM readers offer)")
    if cfg.devices.escpos_baud not in (9600, 19200, 38400, 57600, 115200):
        raise ConfigError("devices.escpos_baud: one of 9600, 19200, 38400, 57600, 115200 (what thermal printers offer)")
    if cfg.sync.retention_days < 0:
        raise ConfigError("sync.retention_days must be 0 or more")
    if cfg.staff.offline_days <= 0 or cfg.staff.max_failures < 1 or cfg.staff.lock_minutes <= 0 \
            or cfg.staff.idle_seconds <= 0:
        raise ConfigError("staff: offline_days, lock_minutes and idle_seconds must be above 0, max_failures at least 1")
    if cfg.notify.backend not in ("none", "sim", "http"):
        raise ConfigError("notify.backend: one of none, sim, http")
    if cfg.notify.backend == "http" and not (cfg.notify.sms_gateway_url and cfg.notify.sms_gateway_key):
        raise ConfigError("notify.backend = 'http' needs notify.sms_gateway_url and notify.sms_gateway_key")
    if cfg.notify.max_attempts < 1 or cfg.notify.timeout_seconds <= 0:
        raise ConfigError("notify.max_attempts must be 1 or more and notify.timeout_seconds above 0")
    if cfg.health.probe_timeout_seconds <= 0 or cfg.health.interval_seconds < 0:
        raise ConfigError("health.probe_timeout_seconds must be positive and health.interval_seconds 0 or more")
    if cfg.staff.override_flag_per_day < 0 or cfg.staff.help_wait_seconds < cfg.session.timeout_seconds:
        raise ConfigError("staff: override_flag_per_day must be 0 or more, help_wait_seconds at least session.timeout_seconds")
    if cfg.session.warning_seconds >= cfg.session.timeout_seconds:
        raise ConfigError("session.warning_seconds must be shorter than session.timeout_seconds")
    if cfg.session.large_timeout_seconds < cfg.session.timeout_seconds:
        raise ConfigError("session.large_timeout_seconds must be at least session.timeout_seconds")
    if cfg.voice.backend not in ("sim", "espeak"):
        raise ConfigError("voice.backend must be 'sim' or 'espeak'")
    if not 80 <= cfg.voice.rate <= 450:
        raise ConfigError("voice.rate: words per minute, between 80 and 450 (espeak-ng's range)")
    if not 0 <= cfg.voice.volume <= 200:
        raise ConfigError("voice.volume: between 0 and 200 (100 is espeak-ng's normal loudness)")
    return cfg


def with_data_dir(cfg: Config, data_dir: Path) -> Config:
    return replace(cfg, paths=replace(cfg.paths, data_dir=str(data_dir)))


__all__ = ["Config", "ConfigError", "load_config", "with_data_dir", "fields"]
