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
from kiosk.domain.text import Text


@dataclass(frozen=True)
class ReceiptOptions:
    kiosk_name: Text
    verify_url: str                 # the QR encodes f"{verify_url}?n={number}&c={code}"
    font_path: str | None = None    # a TTF/TTC with CJK glyphs; None -> find_cjk_font()
    sync_pending: bool = True
    verify_code: str = ""           # printed under the QR and put in it


# The fixed wording, the same on every receipt.
TITLE = Text("办事回执", "Application receipt")
NUMBER_LABEL = Text("受理编号", "Application no.")
SERVICE_LABEL = Text("办理事项", "Service")


def identity_checked(face: FaceCheckRecord) -> Text:
    """How identity was established, saying exactly what the face check checked."""
    what = face.summary()
    return Text(f"身份核验：证件芯片读取；{what.zh}", f"Identity: ID chip read; {what.en[0].lower()}{what.en[1:]}")


MATERIALS_HEADING = Text("材料", "Materials")
HELD_HEADING = Text("政府已掌握，无需您提供：", "Already held by government — you need not bring:")
PROVIDED_HEADING = Text("您已提供：", "Provided by you:")
EDITED_HEADING = Text("以下信息由您修改，待人工核对：", "You changed these details; staff will check them:")
SCAN_HINT = Text("扫码查询办理进度", "Scan to check progress")
HOTLINE = Text("政务服务热线 12345", "Government service hotline 12345")
KEEP_IT = Text("请妥善保管本回执", "Please keep this receipt")


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
    identity: Text | None            # said only when the face check passed, saying what it checked
    departments_heading: Text
    departments: tuple[DepartmentItem, ...]
    materials_held: tuple[Text, ...]
    materials_provided: tuple[Text, ...]
    edited_fields: tuple[Text, ...]  # labels only, never the values
    qr_payload: str
    code_line: str                   # the verify code people read out; "" when there is none


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date_zh(d: date) -> str:
    return f"{d:%Y-%m-%d}"


def _date_en(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _fee(fee: float) -> Text:
    if not fee:
        return Text("免费", "Free")
    return Text(f"{fee:.2f} 元", f"¥{fee:.2f}")


def qr_payload(app: Application, options: ReceiptOptions) -> str:
    """What the receipt's QR code encodes: the verify URL with the number and verify code."""
    sep = "&" if "?" in options.verify_url else "?"
    payload = f"{options.verify_url}{sep}n={quote(app.number, safe='-')}"
    if options.verify_code:
        payload += f"&c={quote(options.verify_code, safe='')}"
    return payload


def _department(r: DepartmentRequest) -> DepartmentItem:
    approx_zh, approx_en = ("约 ", "approx. ") if r.due_approximate else ("", "")
    fee = _fee(r.fee)
    return DepartmentItem(
        department=r.department,
        procedure=r.procedure,
        due=Text(f"时限 {r.promised_days} 个工作日，承诺办结 {approx_zh}{_date_zh(r.due)}",
                 f"{r.promised_days} working days; promised by {approx_en}{_date_en(r.due)}"),
        fee=Text(f"费用：{fee.zh}", f"Fee: {fee.en}"),
    )


def _code_line(code: str) -> str:
    if not code:
        return ""
    # The QR carries the whole signature; people read out only its first 8 characters
    # (the back office finds the receipt by number and compares them).
    short = code if len(code) <= 16 else f"{code[:4]}-{code[4:8]}"
    return f"验证码 / Code  {short}"


def receipt_content(app: Application, options: ReceiptOptions) -> ReceiptContent:
    """What the receipt for `app` says. Pure; any thread."""
    created = app.created_at
    status = (Text("已提交 — 待同步", "Submitted — pending sync") if options.sync_pending
              else Text("已提交", "Submitted"))
    n = len(app.requests)
    return ReceiptContent(
        kiosk_name=options.kiosk_name,
        number=app.number,
        submitted=Text(f"提交时间  {created:%Y-%m-%d %H:%M}",
                       f"Submitted  {_date_en(created.date())} {created:%H:%M}"),
        service=app.bundle_title,
        status=Text(f"状态：{status.zh}", f"Status: {status.en}"),
        # Tells the back office and the citizen how identity was established at the kiosk.
        identity=identity_checked(app.face_check) if app.face_check is not None and app.face_check.matched else None,
        departments_heading=Text(f"办理部门（共 {n} 项）", f"Departments ({n})"),
        departments=tuple(_department(r) for r in app.requests),
        materials_held=tuple(title for _, title, gov in app.materials if gov),
        materials_provided=tuple(title for _, title, gov in app.materials if not gov),
        edited_fields=tuple(a.label for a in app.answers if a.edited),
        qr_payload=qr_payload(app, options),
        code_line=_code_line(options.verify_code),
    )
