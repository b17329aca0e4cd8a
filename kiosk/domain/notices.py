"""The text messages (SMS) a citizen gets when a department's status of their application
changes: in the application's language, with only what is needed to act on it (the application
number, the department, the new status), never a name, an ID number or an address. No I/O.

Who gets one: the phone number answered in the form (`PHONE_FIELD`) when the form's consent
question (`CONSENT_FIELD`) was answered "yes"; without both, no message.
"""
from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from kiosk.domain.application import Application
from kiosk.domain.idnumber import is_valid_mobile
from kiosk.domain.text import Text, base_language
from kiosk.i18n import tr

PHONE_FIELD = "applicant_phone"
CONSENT_FIELD = "sms_consent"
CONSENT_YES = "yes"
FINAL_STATUSES = frozenset({"completed", "rejected"})

# The back office's statuses (backoffice/service.py STATUSES), as a citizen reads them.
STATUS_TEXT: Mapping[str, Text] = MappingProxyType({
    "received": tr("已收件"),
    "accepted": tr("已受理"),
    "in_progress": tr("办理中"),
    "more_materials_needed": tr("需补充材料，请留意部门联系"),
    "approved": tr("已批准"),
    "rejected": tr("未通过，详情请咨询部门"),
    "completed": tr("已办结"),
})


def recipient(app: Application) -> str | None:
    """The phone number to text about this application, or None (no consent, or no valid number)."""
    consent = app.answer(CONSENT_FIELD)
    phone = app.answer(PHONE_FIELD)
    if consent is None or consent.value != CONSENT_YES or phone is None:
        return None
    number = phone.value.strip()
    return number if is_valid_mobile(number) else None


def status_message(lang: str, number: str, department: Text, status: str) -> str:
    """The message for one department's new status, in `lang`'s base language ("zh" or "en")."""
    shown = STATUS_TEXT.get(status, Text(status, status))
    if base_language(lang) == "en":
        return f"OneVisit: application {number}, {department.en}: {shown.en}."
    return f"【一网通办】您的申请{number}，{department.zh}：{shown.zh}。"
