"""The combined application: one record, one sub-application per department.

Plain frozen types and the numbering; no building here (that is `kiosk.domain.drafting`, which
the flow calls and screens may not import). A `Draft` is what the citizen reviews; storing it
only gives it a number (`Draft.numbered`), so what was reviewed is what is stored and printed.

Application numbers are unique across a fleet without coordination, like MOSIP's
registration id: kiosk id (10 digits: 6-digit administrative division + 4-digit station),
a per-kiosk sequence (6 digits), the local submission time (14 digits), and a Luhn check digit
so a number read out over the phone can be checked.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from kiosk.domain.assisted import CARD, ProxyRecord
from kiosk.domain.text import Text
from kiosk.i18n import tr

# [0-9], not \d: \d also matches Arabic-Indic, full-width and other digits, which int() accepts.
KIOSK_ID_RE = re.compile(r"[0-9]{10}")
NUMBER_RE = re.compile(r"([0-9]{10})-([0-9]{6})-([0-9]{14})-([0-9])")


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def application_number(kiosk_id: str, sequence: int, when: datetime) -> str:
    if not KIOSK_ID_RE.fullmatch(kiosk_id):
        raise ValueError("kiosk id must be 10 digits (division code + station number)")
    if not 0 < sequence <= 999_999:
        raise ValueError("sequence out of range")
    body = f"{kiosk_id}{sequence:06d}{when:%Y%m%d%H%M%S}"
    return f"{kiosk_id}-{sequence:06d}-{when:%Y%m%d%H%M%S}-{luhn_digit(body)}"


def is_valid_application_number(number: str) -> bool:
    m = NUMBER_RE.fullmatch(number)
    return m is not None and luhn_digit(m[1] + m[2] + m[3]) == m[4]


@dataclass(frozen=True)
class AnsweredField:
    field_id: str
    label: Text
    value: str          # the stored answer
    shown: Text         # how it reads on the review screen and receipt, in each language
    verified: bool      # prefilled from the chip or government data and not edited
    edited: bool        # was prefilled but the citizen changed it


@dataclass(frozen=True)
class DepartmentRequest:
    item_id: str
    department: Text
    procedure: Text
    promised_days: int
    statutory_days: int
    due: date
    due_approximate: bool
    fee: float
    fields: tuple[str, ...]
    materials: tuple[str, ...]


@dataclass(frozen=True)
class FaceCheckRecord:
    """How the applicant's identity was checked at the kiosk: the outcome and the distance of the
    last face check and how many attempts it took. Never an image or an encoding."""

    matched: bool
    distance: float | None
    attempts: int
    checks: tuple[str, ...] = ()     # what a match established: "match", "moves:N", "flash"
    # Set when the automated check failed for good (or could not run) and a signed-in clerk
    # compared the person with the document instead: their staff number and the reason (a key of
    # OVERRIDE_REASONS). The department sees "identity checked by staff No. X", never "face passed".
    staff_number: str | None = None
    override_reason: str | None = None

    @property
    def by_staff(self) -> bool:
        return self.staff_number is not None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"matched": self.matched, "distance": self.distance, "attempts": self.attempts,
                             "checks": list(self.checks)}
        if self.by_staff:
            d.update(checked_by="staff", staff_number=self.staff_number, override_reason=self.override_reason)
        return d

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> FaceCheckRecord:
        return FaceCheckRecord(d["matched"], d["distance"], d["attempts"], tuple(d.get("checks", ())),
                               staff_number=d.get("staff_number"), override_reason=d.get("override_reason"))

    def summary(self, in_sentence: bool = False) -> Text:
        """Exactly what the face check checked, in plain words. `in_sentence`: as it reads after
        a colon inside a longer sentence (a separate catalogue entry: English starts it in lower
        case there, and another language may word it differently too)."""
        moves = next((int(c.split(":")[1]) for c in self.checks if c.startswith("moves:")), 0)
        flash = "flash" in self.checks
        if not self.matched:
            return tr("人脸核验未通过")
        if not moves:
            return (tr("人脸与证件芯片照片一致（未做活体检测）", "inside a sentence") if in_sentence
                    else tr("人脸与证件芯片照片一致（未做活体检测）"))
        if flash:
            said = (tr("人脸与证件芯片照片一致；活体检测：{moves} 个随机头部动作及屏幕光反射", "inside a sentence")
                    if in_sentence else tr("人脸与证件芯片照片一致；活体检测：{moves} 个随机头部动作及屏幕光反射"))
        else:
            said = (tr("人脸与证件芯片照片一致；活体检测：{moves} 个随机头部动作", "inside a sentence")
                    if in_sentence else tr("人脸与证件芯片照片一致；活体检测：{moves} 个随机头部动作"))
        return said.format(moves=moves)

    def identity_line(self) -> Text | None:
        """How identity was established, as the review, the receipt and the department read it:
        a clerk's override, or exactly what the face check checked; None when neither happened."""
        if self.by_staff:
            return tr("身份核验：证件芯片读取 + 工作人员人工核验（工号 {staff_number}）").format(
                staff_number=self.staff_number)
        if self.matched:
            return tr("身份核验：证件芯片读取；{what}").format(what=self.summary(in_sentence=True))
        return None


# Why a clerk confirmed identity in person (the fixed list the override screen offers).
OVERRIDE_REASONS: Mapping[str, Text] = MappingProxyType({
    "face_check_failed": tr("人脸比对多次未通过，工作人员当面核对本人与证件一致"),
    "photo_unreadable": tr("证件照片无法读取，工作人员当面核对"),
    "appearance_changed": tr("外貌变化较大（年龄、伤病、发型等）"),
    "camera_problem": tr("摄像头或光线问题，无法完成比对"),
    "disability": tr("因身体原因无法配合活体检测"),
})


@dataclass(frozen=True)
class Draft:
    """The application as the citizen reviews it, before it has a number.

    `drafted_at` is when it was built for the review screen: the promised dates count from that
    day, so a submission that crosses midnight keeps the dates the citizen was shown.
    """

    bundle_id: str
    bundle_title: Text
    catalogue_version: str
    drafted_at: datetime
    answers: tuple[AnsweredField, ...]
    requests: tuple[DepartmentRequest, ...]
    materials: tuple[tuple[str, Text, bool], ...]   # (id, title, held by government for this citizen)
    consent: bool = False
    lang: str = "zh"
    attachments: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    face_check: FaceCheckRecord | None = None
    # Issue 12 (kiosk/domain/assisted.py): the agent when someone applied for the applicant, the
    # clerk who entered it at a counter, and how the applicant's identity was established.
    proxy: ProxyRecord | None = None
    counter_staff: str | None = None
    identity_source: str = CARD

    def __repr__(self) -> str:  # never print answers into a traceback or log
        return f"Draft(bundle={self.bundle_id}, {len(self.requests)} departments)"

    def answer(self, field_id: str) -> AnsweredField | None:
        return next((a for a in self.answers if a.field_id == field_id), None)

    def numbered(self, number: str, kiosk_id: str, created_at: datetime) -> Application:
        """The stored application: this draft, unchanged, with its number and submission time."""
        if not self.consent:
            raise ValueError("a draft without the citizen's consent cannot be submitted")
        return Application(
            number=number, kiosk_id=kiosk_id, bundle_id=self.bundle_id, bundle_title=self.bundle_title,
            catalogue_version=self.catalogue_version, created_at=created_at, answers=self.answers,
            requests=self.requests, materials=self.materials, consent=self.consent, lang=self.lang,
            attachments=self.attachments, face_check=self.face_check,
            proxy=self.proxy, counter_staff=self.counter_staff, identity_source=self.identity_source,
        )


@dataclass(frozen=True)
class Application:
    number: str
    kiosk_id: str
    bundle_id: str
    bundle_title: Text
    catalogue_version: str
    created_at: datetime        # when it was submitted: the time in its number
    answers: tuple[AnsweredField, ...]
    requests: tuple[DepartmentRequest, ...]
    materials: tuple[tuple[str, Text, bool], ...]   # (id, title, held by government for this citizen)
    consent: bool
    lang: str = "zh"
    attachments: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    face_check: FaceCheckRecord | None = None
    # Issue 12 (kiosk/domain/assisted.py): the agent when someone applied for the applicant, the
    # clerk who entered it at a counter, and how the applicant's identity was established.
    proxy: ProxyRecord | None = None
    counter_staff: str | None = None
    identity_source: str = CARD

    def __repr__(self) -> str:
        return f"Application({self.number}, bundle={self.bundle_id}, {len(self.requests)} departments)"

    def answer(self, field_id: str) -> AnsweredField | None:
        return next((a for a in self.answers if a.field_id == field_id), None)

    def to_record(self) -> dict[str, Any]:
        """A JSON-able dict; `from_record` reverses it exactly (attachments travel separately)."""
        def t(x: Text) -> dict[str, str]:
            return {"zh": x.zh, "en": x.en}

        return {
            "number": self.number, "kiosk_id": self.kiosk_id, "bundle_id": self.bundle_id,
            "bundle_title": t(self.bundle_title), "catalogue_version": self.catalogue_version,
            "created_at": self.created_at.isoformat(), "consent": self.consent, "lang": self.lang,
            "answers": [{"field_id": a.field_id, "label": t(a.label), "value": a.value, "shown": t(a.shown),
                         "verified": a.verified, "edited": a.edited} for a in self.answers],
            "requests": [{"item_id": r.item_id, "department": t(r.department), "procedure": t(r.procedure),
                          "promised_days": r.promised_days, "statutory_days": r.statutory_days,
                          "due": r.due.isoformat(), "due_approximate": r.due_approximate, "fee": r.fee,
                          "fields": list(r.fields), "materials": list(r.materials)} for r in self.requests],
            "materials": [[mid, t(title), held] for mid, title, held in self.materials],
            "face_check": None if self.face_check is None else self.face_check.as_dict(),
            "proxy": None if self.proxy is None else self.proxy.as_dict(),
            "counter_staff": self.counter_staff,
            "identity_source": self.identity_source,
        }

    @staticmethod
    def from_record(rec: Mapping[str, Any]) -> Application:
        T = Text.from_obj
        return Application(
            number=rec["number"], kiosk_id=rec["kiosk_id"], bundle_id=rec["bundle_id"],
            bundle_title=T(rec["bundle_title"]), catalogue_version=rec["catalogue_version"],
            created_at=datetime.fromisoformat(rec["created_at"]), consent=rec["consent"], lang=rec.get("lang", "zh"),
            answers=tuple(AnsweredField(a["field_id"], T(a["label"]), a["value"], T(a["shown"]), a["verified"], a["edited"])
                          for a in rec["answers"]),
            requests=tuple(DepartmentRequest(r["item_id"], T(r["department"]), T(r["procedure"]), r["promised_days"],
                                             r["statutory_days"], date.fromisoformat(r["due"]), r["due_approximate"],
                                             r["fee"], tuple(r["fields"]), tuple(r["materials"])) for r in rec["requests"]),
            materials=tuple((m[0], T(m[1]), m[2]) for m in rec["materials"]),
            face_check=FaceCheckRecord.from_dict(rec["face_check"]) if rec.get("face_check") else None,
            proxy=ProxyRecord.from_dict(rec["proxy"]) if rec.get("proxy") else None,
            counter_staff=rec.get("counter_staff"), identity_source=rec.get("identity_source", CARD),
        )
