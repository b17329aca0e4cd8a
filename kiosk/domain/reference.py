"""A reference photo of a resident ID number (the no-card path, issue 12 part 6) and why there
may be none: shared by the IdentityService port (kiosk/devices/identity.py) and the back-office
client (kiosk/services/identity_client.py). Pure; any thread."""
from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.domain.text import Text
from kiosk.i18n import tr

NOT_FOUND = tr("未能找到该身份证号码的核验照片。请核对号码，或携带身份证件办理。")
UNAVAILABLE = tr("身份核验服务暂时不可用，请携带身份证件办理，或到人工窗口。")
TOO_MANY = tr("本机免证件核验次数已达上限，请稍后再试或到人工窗口。")
MAX_PHOTO_BYTES = 512 * 1024      # a reference photo is a few tens of kB; anything larger is refused unread


class IdentityUnavailable(Exception):
    """No reference photo. `reason` is what the citizen is told; `offline` when the service cannot
    be reached at all (the no-card path is then withdrawn); `detail` is for the log (no personal data)."""

    def __init__(self, reason: Text, detail: str, offline: bool = False) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.offline = reason, detail, offline


@dataclass(frozen=True)
class Reference:
    """What the service holds for an ID number: the name (for the application) and the photo."""
    name: str
    photo: bytes = field(repr=False)


def check_photo(photo: bytes) -> bytes:
    """A reference photo bounded and shaped like an image (JPEG or JPEG 2000) before any decoder
    sees it; else IdentityUnavailable. Pure."""
    if not photo or len(photo) > MAX_PHOTO_BYTES:
        raise IdentityUnavailable(UNAVAILABLE, f"a reference photo of {len(photo)} bytes")
    if not photo.startswith((b"\xff\xd8\xff", b"\x00\x00\x00\x0cjP  ", b"\xff\x4f\xff\x51")):
        raise IdentityUnavailable(UNAVAILABLE, "a reference photo that is not a JPEG or JPEG 2000 image")
    return photo
