"""What the receipt says, built from the Application: a pure model, no fonts and no drawing.

Receipts get left behind at kiosks, so they carry no personal data: no ID number, no address,
no values the citizen typed. The only answer-derived content is the *labels* of fields the
citizen changed after they were prefilled (so staff know what to check).

Pure functions of their arguments; any thread, never blocks.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from kiosk.domain.application import Application, DepartmentRequest, FaceCheckRecord
from kiosk.domain.assisted import ID_NUMBER, ID_NUMBER_LINE, counter_line
from kiosk.domain.text import Text
from kiosk.i18n import tr


@dataclass(frozen=True)
class ReceiptOptions:
    kiosk_name: Text
    verify_url: str                 # the public check page, printed under the QR
    font_path: str | None = None    # a TTF/TTC with CJK glyphs; None -> find_cjk_font()
    sync_pending: bool = True       # not yet at the back office: each department's clock has not started
    qr_text: str = ""               # the signed payload (seal.py); "" -> the verify URL with the number
    check_code: str = ""            # printed under the QR (checkcode.py); also inside the signed payload


# The fixed wording, the same on every receipt.
TITLE = tr("办事回执")
NUMBER_LABEL = tr("受理编号")
SERVICE_LABEL = tr("办理事项")


def identity_checked(face: FaceCheckRecord) -> Text:
    """How identity was established: exactly what the face check checked, or the clerk's override."""
    line = face.identity_line()
    return line if line is not None else face.summary()


MATERIALS_HEADING = tr("材料")
HELD_HEADING = tr("政府已掌握，无需您提供：")
PROVIDED_HEADING = tr("您已提供：")
EDITED_HEADING = tr("以下信息由您修改，待人工核对：")
SCAN_HINT = tr("扫码可离线核验本回执真伪及内容")
VERIFY_AT = tr("核验及查询进度：{url}")
PENDING_NOTE = tr("本申请尚未送达各部门（待同步）。各部门的办理时限自其收到申请之日起计算，以下日期为预计。")
HOTLINE = tr("政务服务热线 12345")
KEEP_IT = tr("请妥善保管本回执")


@dataclass(frozen=True)
class DepartmentItem:
    """One department's part of the application, as printed."""

    department: Text
    procedure: Text
    due: Text        # working days and the promised date
    fee: Text


@dataclass(frozen=True)
class ReceiptContent:
    """Every word and number on one receipt, in reading order; the layout only draws it."""

    kiosk_name: Text
    number: str
    submitted: Text
    service: Text
    status: Text
    catalogue: Text                  # the catalogue version the application was made under
    pending_note: Text | None        # the deadline caveat while the application waits for sync
    identity: Text | None            # said only when the live face check passed or staff checked identity
    departments_heading: Text
    departments: tuple[DepartmentItem, ...]
    materials_held: tuple[Text, ...]
    materials_provided: tuple[Text, ...]
    edited_fields: tuple[Text, ...]  # labels only, never the values
    qr_payload: str
    code_line: str                   # the check code people read out; "" when there is none
    verify_at: Text                  # where to check it
    # Issue 12: who applied for the applicant (the relationship only: no name, no number) and the
    # clerk who entered it at a counter (kiosk/domain/assisted.py).
    assisted: tuple[Text, ...] = ()


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date_zh(d: date) -> str:
    return f"{d:%Y-%m-%d}"


def _date_en(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _date(d: date) -> Text:
    """A date as each language writes it (a format, not words: a further language gets one of these)."""
    return Text(_date_zh(d), _date_en(d))


def _fee(fee: float) -> Text:
    if not fee:
        return tr("免费")
    return tr("{fee:.2f} 元").format(fee=fee)


def qr_payload(app: Application, options: ReceiptOptions) -> str:
    """What the receipt's QR code encodes: the signed payload (seal.py), or without one the
    verify URL with the number (an unsigned receipt, e.g. a preview)."""
    if options.qr_text:
        return options.qr_text
    sep = "&" if "?" in options.verify_url else "?"
    return f"{options.verify_url}{sep}n={quote(app.number, safe='-')}"


def _department(r: DepartmentRequest, pending: bool) -> DepartmentItem:
    fee = _fee(r.fee)
    if pending:
        # The department has not received it yet: its working days have not started, so the
        # date counted from today is an estimate (and said to be one, here and in the signed QR).
        due = tr("时限 {days} 个工作日，自部门收到申请起计；预计约 {due} 办结").format(
            days=r.promised_days, due=_date(r.due))
    elif r.due_approximate:
        due = tr("时限 {days} 个工作日，承诺办结 约 {due}").format(days=r.promised_days, due=_date(r.due))
    else:
        due = tr("时限 {days} 个工作日，承诺办结 {due}").format(days=r.promised_days, due=_date(r.due))
    return DepartmentItem(department=r.department, procedure=r.procedure, due=due,
                          fee=tr("费用：{fee}").format(fee=fee))


def _code_line(code: str) -> str:
    return f"核验码 / Check code  {code}" if code else ""


def receipt_content(app: Application, options: ReceiptOptions) -> ReceiptContent:
    """What the receipt for `app` says. Pure; any thread."""
    created = app.created_at
    status = (tr("已提交 — 待同步") if options.sync_pending
              else tr("已提交"))
    n = len(app.requests)
    return ReceiptContent(
        kiosk_name=options.kiosk_name,
        number=app.number,
        submitted=tr("提交时间  {date} {time}").format(date=_date(created.date()), time=f"{created:%H:%M}"),
        service=app.bundle_title,
        status=tr("状态：{status}").format(status=status),
        catalogue=tr("事项目录版本 {version}").format(version=app.catalogue_version),
        pending_note=PENDING_NOTE if options.sync_pending else None,
        # Tells the back office and the citizen how identity was established at the kiosk.
        # (a clerk's override reads "identity checked by staff No. X" instead)
        identity=_identity(app),
        departments_heading=tr("办理部门（共 {n} 项）").format(n=n),
        departments=tuple(_department(r, options.sync_pending) for r in app.requests),
        materials_held=tuple(title for _, title, gov in app.materials if gov),
        materials_provided=tuple(title for _, title, gov in app.materials if not gov),
        edited_fields=tuple(a.label for a in app.answers if a.edited),
        qr_payload=qr_payload(app, options),
        code_line=_code_line(options.check_code),
        verify_at=VERIFY_AT.format(url=options.verify_url),
        assisted=tuple(x for x in (app.proxy.receipt_line() if app.proxy else None,
                                   counter_line(app.counter_staff) if app.counter_staff else None) if x is not None),
    )


def _identity(app: Application) -> Text | None:
    """How identity was established at the kiosk: a clerk's override ("identity checked by staff
    No. X"), the ID number with the live face against the public-security reference photo, or the
    card with exactly what the face check checked; None when none of them happened."""
    if app.face_check is None:
        return None
    if app.identity_source == ID_NUMBER and app.face_check.matched and not app.face_check.by_staff:
        return ID_NUMBER_LINE
    return app.face_check.identity_line()
