"""The small interfaces every device backend implements, real or simulated.

Each device has one owner thread (see kiosk/services/devices_runtime.py); the methods below
are called only from that thread unless a docstring says otherwise, and every blocking call
takes a timeout.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:   # numpy only names a type here; importing it costs ~0.1 s of every start
    import numpy as np

from kiosk.domain.identity import Identity
from kiosk.domain.text import Text


class DeviceError(Exception):
    """A device problem with a message the citizen can act on."""

    def __init__(self, reason: Text, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail   # for the operator log; never personal data
        super().__init__(detail or reason.en)


class CardError(DeviceError):
    pass


class AccessKeyRequired(CardError):
    """The chip needs its access key (the 6-digit CAN or the MRZ details) before it can be read;
    `wrong` is True when the key given did not open it."""

    def __init__(self, reason: Text, detail: str = "", wrong: bool = False) -> None:
        super().__init__(reason, detail)
        self.wrong = wrong


class CameraError(DeviceError):
    pass


class PrinterError(DeviceError):
    pass


@dataclass(frozen=True)
class CardReadResult:
    identity: Identity
    genuine: bool = True
    problem: Text | None = None
    apdu_count: int = 0
    seconds: float = 0.0


@runtime_checkable
class CardReader(Protocol):
    """A document reader. All methods run on the card thread."""

    name: str

    def wait_for_insert(self, timeout: float) -> bool:
        """Block up to `timeout` s; True once a card is present."""

    def wait_for_removal(self, timeout: float) -> bool:
        """Block up to `timeout` s; True once the card is gone."""

    def read(self, timeout: float) -> CardReadResult:
        """Read the present card. Raises CardError with a citizen-facing reason."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class AccessKey:
    """What the citizen typed to open the chip: a CAN, or the MRZ details (dates as YYMMDD)."""

    can: str = ""
    document_number: str = ""
    birth: str = ""
    expiry: str = ""

    def __repr__(self) -> str:   # never show the key in a log or traceback
        return "AccessKey(can)" if self.can else "AccessKey(mrz)"


@dataclass(frozen=True)
class Frame:
    """One camera frame. `image` is a read-only BGR array; it never leaves memory."""

    image: np.ndarray = field(repr=False, compare=False)
    seq: int
    timestamp: float


@runtime_checkable
class Camera(Protocol):
    """A camera with its own capture thread that keeps only the newest frame."""

    def start(self) -> None:
        """Start capturing (returns at once; errors surface through `latest`/`error`)."""

    def stop(self) -> None:
        """Stop capturing and join the capture thread (with a deadline)."""

    def latest(self) -> Frame | None:
        """The newest frame, or None. Safe to call from any thread; never blocks."""

    def error(self) -> CameraError | None:
        """The current problem, if the camera is failing. Safe from any thread."""


@dataclass(frozen=True)
class FaceDecision:
    matched: bool
    distance: float | None
    reason: Text | None = None   # what the citizen should do when not matched


@runtime_checkable
class FaceVerifier(Protocol):
    """Decides whether the live person matches the chip photo. Runs on the face worker thread."""

    def verify(self, reference_photo: bytes, camera: Camera, deadline: float, cancelled: "CancelToken",
               on_progress: Callable[[Text], None]) -> FaceDecision:
        """Watch the camera until a decision or `deadline` (time.monotonic()); check `cancelled` often.

        `on_progress` takes the one instruction the citizen should follow now ("come closer",
        "blink"); call it when the instruction changes. It is thread-safe and never blocks.
        """

    def prepare(self, reference_photo: bytes) -> None:
        """Get ready for checks against this chip photo (e.g. encode it). Face worker thread;
        called as soon as the card is read. Never raises: a bad photo is reported by `verify`."""

    def clear(self) -> None:
        """Forget any reference encoding (session end)."""


class CancelToken(Protocol):
    def is_set(self) -> bool: ...


@runtime_checkable
class DocumentCamera(Protocol):
    """Photographs a paper material the citizen holds under the document camera."""

    def capture(self, material_id: str, timeout: float) -> bytes:
        """Return one JPEG (in memory only). Runs on the face/camera worker; raises CameraError."""


@runtime_checkable
class Printer(Protocol):
    """A receipt printer. Runs on the printing thread."""

    name: str

    def print_pdf(self, pdf: bytes, job_name: str, timeout: float) -> str:
        """Print and return where it went (file path or job id). Raises PrinterError."""
