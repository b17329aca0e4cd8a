"""What the government's records hold for one citizen, as the records lookup returned it.

The records come from outside the kiosk (a data-sharing service, or the demo's stand-in), so
they are bounded here before anything uses them. Nothing in the kiosk counts as "held by the
government" or comes prefilled from government data unless a lookup for this citizen said so.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

MAX_KEYS = 200          # values and materials each; far more than any catalogue reads
MAX_KEY_LENGTH = 64
MAX_VALUE_LENGTH = 500

# The values a records lookup may hold, by the key a catalogue field reads with
# `prefill_from: records.<key>` (or the older `source: gov.<key>`), with the register that holds
# each. A catalogue naming any other key is refused (docs/catalogue.md); a lookup that lacks a key
# simply leaves that field for the citizen. Dates are year-month-day; choices use the catalogue's
# values (sex F/M, marital_status married/single/divorced/widowed, ...).
RECORD_KEYS: Mapping[str, str] = MappingProxyType({
    # household register (公安 户籍)
    "hukou_address": "the address of the citizen's household registration",
    "householder_name": "the head of the citizen's registered household",
    # marriage register (民政 婚姻登记)
    "marital_status": "married / single / divorced / widowed",
    "spouse_name": "the current spouse's name",
    "spouse_id_number": "the current spouse's resident ID number",
    "spouse_phone": "the mobile number the spouse registered for government services",
    # social security (人社 社保)
    "mobile_phone": "the mobile number the citizen registered for government services",
    "employer": "the employer paying the citizen's social insurance (same as employer_name)",
    "employer_name": "the employer paying the citizen's social insurance",
    "social_security_number": "the social security number (the resident ID number in mainland China)",
    "contribution_years": "whole years of pension contributions",
    "medical_insurance_type": "employee / resident",
    "retirement_category": "male / female_cadre / female_worker: which statutory retirement age applies",
    "pension_bank_name": "the bank of the social security card's bank account",
    "pension_bank_account": "the social security card's bank account number (pensions are paid to it)",
    # housing provident fund (公积金)
    "housing_fund_account": "the housing provident fund account number",
    # medical birth certificates the hospital uploaded (卫健 出生医学证明), for a parent
    "newborn_sex": "the sex (F/M) of the citizen's newborn child",
    "newborn_birth_date": "the newborn's date of birth",
    "newborn_birth_hospital": "the hospital where the newborn was born",
    "newborn_certificate_number": "the number of the newborn's medical birth certificate",
})


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH:
        raise ValueError("a government record key must be a short string")
    return key


@dataclass(frozen=True)
class GovernmentData:
    """values: by the key the catalogue reads (a field's `source: gov.<key>`);
    materials: the keys of the materials the government holds for this person (a material's
    `government_key`). Raises ValueError for data out of bounds (treat it as no answer)."""

    values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    materials: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if len(self.values) > MAX_KEYS or len(self.materials) > MAX_KEYS:
            raise ValueError("too many government records")
        values = {}
        for key, value in self.values.items():
            if not isinstance(value, str) or len(value) > MAX_VALUE_LENGTH:
                raise ValueError("a government record value must be a string of bounded length")
            values[_check_key(key)] = value
        object.__setattr__(self, "values", MappingProxyType(values))
        object.__setattr__(self, "materials", frozenset(_check_key(k) for k in self.materials))

    @staticmethod
    def of(values: Mapping[str, object], materials: Iterable[str] = ()) -> GovernmentData:
        """From loosely typed data (numbers and dates as text)."""
        return GovernmentData({str(k): str(v) for k, v in values.items()}, frozenset(materials))

    def __repr__(self) -> str:  # personal data: never into a log or a traceback
        return f"GovernmentData({len(self.values)} values, {len(self.materials)} materials)"
