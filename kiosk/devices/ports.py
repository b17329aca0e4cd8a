"""The small interfaces every device backend implements, real or simulated.

A port is complete: every method kiosk/runtime.py calls is declared here and implemented by every
backend (tests/unit/test_ports.py checks it), so the runtime never probes with hasattr.

Each device has one owner thread (kiosk/runtime.py: card, face, print); the methods below are
called only from that thread unless a docstring says otherwise. Every blocking call takes a
timeout, and a method the GUI thread may call (`stop`, `clear`, `set_access_key`, ...) never
blocks beyond a short lock.
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
    # The card was read but its photo could not be decoded (identity.photo is then empty): the
    # citizen-facing reason. The flow sends the citizen to staff verification instead of failing.
    photo_problem: Text | None = None


@dataclass(frozen=True)
class AccessKey:
    """What the citizen typed to open the chip: a CAN, or the MRZ details (dates as YYMMDD)."""

    can: str = ""
    document_number: str = ""
    birth: str = ""
    expiry: str = ""

    def __repr__(self) -> str:   # never show the key in a log or traceback
        return "AccessKey(can)" if self.can else "AccessKey(mrz)"


@runtime_checkable
class CardReader(Protocol):
    """A document reader. Its methods run on the card thread unless a docstring says otherwise."""

    name: str

    def wait_for_insert(self, timeout: float) -> bool:
        """Block up to `timeout` s; True once a card is present."""

    def wait_for_removal(self, timeout: float) -> bool:
        """Block up to `timeout` s; True once the card is gone."""

    def read(self, timeout: float) -> CardReadResult:
        """Read the present card within `timeout` s. Raises CardError with a citizen-facing reason
        (AccessKeyRequired when the chip needs a key it was not given)."""

    def set_access_key(self, key: AccessKey | None) -> None:
        """The key the citizen typed for the next read, or None to forget it (session end).

        Any thread: the card thread before a read, the GUI thread when the session is wiped; never
        blocks beyond a short lock. Raises ValueError when the key is not well formed. A reader that
        finds the key on the document itself (an MRZ scanner, the demo's chips) may ignore it."""

    def close(self) -> None:
        """Release the reader (kiosk shutdown) and cancel a wait in progress. Called once, from the
        shutting-down thread after the card thread has been joined (with a deadline); never blocks
        for more than one short driver call."""


@dataclass(frozen=True)
class Frame:
    """One camera frame. `image` is a read-only BGR array; it never leaves memory."""

    image: np.ndarray = field(repr=False, compare=False)
    seq: int
    timestamp: float


@runtime_checkable
class Camera(Protocol):
    """A camera with its own capture thread that keeps only the newest frame.

    `start`, `stop`, `latest`, `error` and `perform` are called from the GUI thread (and the face
    worker) and never block beyond a short lock; only `join` waits, and never on the GUI thread."""

    def start(self) -> None:
        """Start capturing; returns at once. Safe right after `stop`, while the previous capture
        thread is still ending: the new one waits (bounded) for it to let go of the device, and
        nothing the old one captures is shown. Errors surface through `latest`/`error`."""

    def stop(self) -> None:
        """Ask the capture thread to stop and drop the last frame; returns at once (the GUI thread
        calls it). `join` waits for the thread to end."""

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` s for the capture thread(s) to end after `stop`; True once none is
        left. Shutdown or a worker thread only, never the GUI thread."""

    def latest(self) -> Frame | None:
        """The newest frame, or None. Safe to call from any thread; never blocks."""

    def error(self) -> CameraError | None:
        """The current problem, if the camera is failing. Safe from any thread."""

    def perform(self, action: str) -> None:
        """The face check just asked the citizen for `action` (e.g. "turn_left"). A real camera
        ignores it; the demo's recorded person acts it out. Any thread; never blocks."""


@dataclass(frozen=True)
class FaceDecision:
    matched: bool
    distance: float | None
    reason: Text | None = None   # what the citizen should do when not matched
    # The verifier saw a face and refused it (no match, not live, challenge failed): counts
    # against the document (kiosk/services/face_failures.py). A check that could not decide
    # (no face seen, camera trouble, cancelled) does not.
    refused: bool = False
    checks: tuple[str, ...] = ()  # what a match established: "match", "moves:3", "flash"
    # No camera check can ever decide for this document (its photo cannot be decoded or shows no
    # face): staff verify the citizen now, instead of after pointless retries.
    staff_only: bool = False


@runtime_checkable
class FaceVerifier(Protocol):
    """Decides whether the live person matches the chip photo. Runs on the face worker thread."""

    def verify(self, reference_photo: bytes, camera: Camera, deadline: float, cancelled: CancelToken,
               on_progress: Callable[[Text], None]) -> FaceDecision:
        """Watch the camera until a decision or `deadline` (time.monotonic()); check `cancelled` often.

        `on_progress` takes the one instruction the citizen should follow now ("come closer",
        "blink"); call it when the instruction changes. It is thread-safe and never blocks.
        """

    def warm_up(self) -> None:
        """Load what the first check needs (models, a helper process) before the first citizen
        comes. Face worker thread, at kiosk start; may block for seconds. Never raises: a verifier
        that cannot start says so through `verify`."""

    def prepare(self, reference_photo: bytes) -> None:
        """Get ready for checks against this chip photo (e.g. encode it). Face worker thread;
        called as soon as the card is read; blocks on the CPU for up to about a second. Never
        raises: a bad photo is reported by `verify`."""

    def clear(self) -> None:
        """Forget any reference encoding (session end). Any thread (the GUI thread when the
        session is wiped); never blocks beyond a short lock."""

    def close(self, timeout: float) -> None:
        """Release what `warm_up` started (kiosk shutdown). Any thread; returns within about
        `timeout` s even while `verify` or `prepare` runs on the face worker, which then ends
        promptly without a match."""


class CancelToken(Protocol):
    def is_set(self) -> bool: ...


@runtime_checkable
class DocumentCamera(Protocol):
    """Photographs a paper material the citizen holds under the document camera."""

    def capture(self, material_id: str, timeout: float) -> bytes:
        """Return one JPEG (in memory only) within `timeout` s. Runs on the face worker; raises
        CameraError."""

    def close(self) -> None:
        """Kiosk shutdown: a `capture` in progress ends soon with CameraError. Any thread; never
        blocks."""


@dataclass(frozen=True)
class PrinterHealth:
    """What a printer says about itself without printing (`Printer.health`)."""

    ready: bool                       # a receipt would print now
    problem: Text | None = None       # what is wrong, in plain words (None when ready)
    detail: str = ""                  # for the operator: queue state, reasons; never personal data
    paper: str | None = None          # "ok", "low" or "out"; None: this printer cannot tell


@runtime_checkable
class Printer(Protocol):
    """A receipt printer. Runs on the printing thread."""

    name: str

    def print_pdf(self, pdf: bytes, job_name: str, timeout: float) -> str:
        """Print within `timeout` s and return where it went (file path or job id). Raises
        PrinterError."""

    def close(self) -> None:
        """Kiosk shutdown: stop waiting on the printer, so a `print_pdf` in progress raises
        PrinterError soon (a job the printer already has is left to it). Any thread; never blocks."""

    def health(self, timeout: float) -> PrinterHealth:
        """Whether a receipt would print now, and the paper where the printer can tell, for
        `kiosk health` and the staff line. Any thread (the health thread), within `timeout` s; it
        must not disturb a print in progress: a printer with one owner thread answers from what
        that thread last saw. Never raises: a printer it cannot reach is `ready=False`."""


SPEECH_LANGUAGES = ("zh", "en")


@runtime_checkable
class Speaker(Protocol):
    """Speaks short texts aloud, one after another, on its own worker thread (issue 13, voice).

    Every method may be called from any thread (in practice the GUI thread) and returns at once,
    never blocking beyond a short lock; rendering and playing happen on the speaker's worker.
    Only `wait_idle` and `close` wait, each up to its timeout, and never on the GUI thread.
    The last utterance is kept for `repeat` until `clear`: call `clear` when a session ends, so
    the next citizen can never replay what was said to the one before.
    """

    def say(self, text: str, lang: str, interrupt: bool = False) -> None:
        """Queue `text` in `lang` ("zh" or "en"; ValueError otherwise) to be spoken after what is
        queued, or at once in place of it with `interrupt` (a new screen's instruction). Returns
        within a few ms. Empty text is ignored; very long text is cut (the backend's bound)."""

    def stop(self) -> None:
        """Stop what is being spoken now and drop the queue. The last utterance is kept."""

    def repeat(self) -> None:
        """Speak the last utterance again, in place of whatever is playing ("再听一遍")."""

    def clear(self) -> None:
        """Session end: stop, drop the queue and forget the last utterance."""

    def busy(self) -> bool:
        """True while something is being spoken or waits in the queue."""

    def headset_available(self) -> bool:
        """True when this kiosk has a headset output configured (voice.headset_device)."""

    def set_headset(self, on: bool) -> bool:
        """Send speech to the headset (on) or the loudspeaker (off), from the next utterance;
        returns whether the headset is now in use (False when none is configured)."""

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to `timeout` s until nothing is spoken or queued; True if idle. Not on the GUI
        thread (tests, the command line)."""

    def close(self, timeout: float) -> None:
        """Kiosk shutdown: stop, end the worker and join it within about `timeout` s. Further
        `say` calls are ignored."""
