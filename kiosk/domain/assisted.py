"""Applications made with help (issue 12): for someone else (代办), at a staffed counter, or with
the ID number instead of the card (刷脸办). What travels with the application, as plain frozen
types; no I/O, any thread.

A proxy application names the principal (the person it is for) as the applicant, through the
answers prefilled from the principal's card, and carries the agent here: who applied in their
place, their relationship to the principal (a fixed list), and that an authorisation (a power of
attorney or the relationship proof) was photographed. The receipt says only the relationship,
never the agent's name or number (receipts get left behind); the department gets both.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from kiosk.domain.identity import Identity
from kiosk.domain.idnumber import birth_date_from_resident_id
from kiosk.domain.redaction import mask
from kiosk.domain.text import Text
from kiosk.i18n import tr

# How the agent is related to the person they apply for (the screen offers these and only these).
RELATIONSHIPS: Mapping[str, Text] = MappingProxyType({
    "spouse": tr("配偶"),
    "child": tr("子女"),
    "parent": tr("父母"),
    "sibling": tr("兄弟姐妹"),
    "grandchild": tr("孙子女、外孙子女"),
    "other_relative": tr("其他亲属"),
    "entrusted": tr("受托人（凭授权委托书）"),
})
# The same inside a sentence ("the applicant's son or daughter"): English in lower case there.
RELATIONSHIPS_IN_SENTENCE: Mapping[str, Text] = MappingProxyType({
    "spouse": tr("配偶", "inside a sentence"),
    "child": tr("子女", "inside a sentence"),
    "parent": tr("父母", "inside a sentence"),
    "sibling": tr("兄弟姐妹", "inside a sentence"),
    "grandchild": tr("孙子女、外孙子女", "inside a sentence"),
    "other_relative": tr("其他亲属", "inside a sentence"),
    "entrusted": tr("受托人（凭授权委托书）", "inside a sentence"),
})

# The attachment key of the photographed authorisation (parse_catalogue refuses it as a material
# id, so the two cannot clash); the back office shows it to each department of the application.
AUTHORISATION = "proxy_authorisation"

# How identity was established, as `Application.identity_source` records it.
CARD = "card"                 # the applicant's card read at the kiosk (the usual way)
ID_NUMBER = "id_number"       # no card: the ID number typed, the live face compared with the
                              # public-security platform's reference photo of that number


@dataclass(frozen=True)
class ProxyRecord:
    """Who applied in the principal's place. The agent's face was the one checked at the kiosk."""

    agent_name: str
    agent_id_number: str          # the agent's resident ID or document number, for the department
    relationship: str             # a key of RELATIONSHIPS
    authorisation: bool = True    # the power of attorney / relationship proof was photographed

    def __repr__(self) -> str:      # never print the agent into a traceback or log
        return f"ProxyRecord({self.relationship}, agent {mask(self.agent_id_number)})"

    @property
    def relationship_text(self) -> Text:
        return RELATIONSHIPS.get(self.relationship, Text(self.relationship, self.relationship))

    def shown(self) -> Text:
        """The review screen's line: the agent's name and masked number, and the relationship."""
        n = self.agent_id_number
        tail = f"****{n[-4:]}" if len(n) > 4 else "****"
        r = self.relationship_text
        return tr("代办人：{name}（证件号 {tail}），与申请人关系：{relationship}；已拍摄授权委托书或关系证明").format(
            name=self.agent_name, tail=tail, relationship=r)

    def receipt_line(self) -> Text:
        """The receipt's line: the relationship only (no name, no number)."""
        r = RELATIONSHIPS_IN_SENTENCE.get(self.relationship, Text(self.relationship, self.relationship))
        return tr("代办：由申请人的{relationship}代为申请（已核验代办人身份及授权）").format(relationship=r)

    def as_dict(self) -> dict[str, Any]:
        return {"agent_name": self.agent_name, "agent_id_number": self.agent_id_number,
                "relationship": self.relationship, "authorisation": self.authorisation}

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> ProxyRecord:
        return ProxyRecord(str(d["agent_name"]), str(d["agent_id_number"]), str(d["relationship"]),
                           bool(d.get("authorisation", True)))


def counter_line(staff_number: str) -> Text:
    """The review's and receipt's line for an application a clerk entered at the counter."""
    return tr("柜台办理：由工作人员（工号 {staff_number}）代为录入，申请人本人确认").format(staff_number=staff_number)


ID_NUMBER_LINE = tr("身份核验：身份证号码 + 人脸与公安人口库照片比对（活体）通过")


def identity_from_reference(id_number: str, name: str, photo: bytes) -> Identity:
    """The applicant's identity on the no-card path: what the resident ID number itself says
    (birth date; sex from its 17th digit, odd for men) and the name and photo the identity service
    holds for it. The photo is compared and dropped with the session, never stored."""
    n = id_number.strip().upper()
    return Identity(document_number=n, name=name, name_latin="", sex="M" if int(n[16]) % 2 else "F",
                    birth_date=birth_date_from_resident_id(n), personal_number=n, photo=photo,
                    card_type="no_card")
