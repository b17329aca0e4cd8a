"""The SAM reader's text block for the three card types: what the kiosk shows and checks."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.devices.idcard.content import FOREIGN_PERMANENT, HMT_PERMIT, RESIDENT, ContentError, parse_text, to_identity
from kiosk.devices.idcard.nations import NATIONS, nation_name
from kiosk.domain.idnumber import is_valid_resident_id
from testkit.idcard_text import demo_number, foreigner_text, permit_text, resident_text


def test_the_documented_field_encoding_decodes() -> None:
    # the worked example's name bytes: 8B 73 8E 7F 1C 5A = U+738B U+7F8E U+5A1C, little-endian UCS-2
    block = bytearray(resident_text())
    block[0:30] = bytes.fromhex("8B738E7F1C5A") + b" \0" * 12
    assert parse_text(bytes(block)).name == "王美娜"


def test_resident_card_maps_to_identity() -> None:
    content = parse_text(resident_text())
    ident = to_identity(content)
    assert content.card_type == RESIDENT
    assert (ident.name, ident.sex, ident.nation, ident.birth_date) == ("林晓梅", "F", "汉族", date(1985, 3, 17))
    assert ident.address == "浙江省杭州市西湖区演示路1号" and ident.authority == "杭州市公安局西湖分局"
    assert ident.document_number == ident.personal_number and is_valid_resident_id(ident.document_number)
    assert (ident.valid_from, ident.expiry_date) == (date(2020, 1, 1), date(2040, 1, 1))
    assert ident.photo == b"" and ident.card_type == RESIDENT
    assert "林" not in repr(content) and "林" not in repr(ident)


def test_long_term_card_never_expires_and_expired_card_is_expired() -> None:
    assert to_identity(parse_text(resident_text(end="长期"))).expiry_date is None
    old = to_identity(parse_text(resident_text(start="20000101", end="20200101")))
    assert old.is_expired(date(2026, 11, 29)) and not old.is_expired(date(2019, 12, 31))


def test_hmt_residence_permit() -> None:
    content = parse_text(permit_text())
    assert content.card_type == HMT_PERMIT and content.number.startswith("81")
    assert (content.pass_number, content.issue_count, content.sex) == ("H12345678", 1, "M")
    assert to_identity(content).nation is None


def test_foreigners_permanent_residence_card_2017() -> None:
    content = parse_text(foreigner_text())
    ident = to_identity(content)
    assert content.card_type == FOREIGN_PERMANENT and ident.card_type == FOREIGN_PERMANENT
    assert (ident.name, ident.name_latin, ident.nationality) == ("亚历克斯", "DEMO, ALEX SAMPLE", "GBR")
    assert ident.document_number == "GBR310080902001" and ident.personal_number is None
    assert ident.birth_date == date(1980, 9, 2) and content.card_version == "01"


@pytest.mark.parametrize("block, problem", [
    (resident_text(number="330106198503170021"), "GB 11643"),
    (resident_text(birth="19850318", number=demo_number("330106", "19850317", "002")), "does not match"),
    (resident_text(nation="57"), "GB/T 3304"),
    (resident_text(sex="3"), "sex"),
    (resident_text(end="20190101"), "ends before"),
    (resident_text(start="2020-1-1"), "YYYYMMDD"),
    (resident_text(name="林\n晓梅"), "control"),
    (permit_text(number=demo_number("330106", "19900512", "001")), "Hong Kong"),
    (foreigner_text(number="GBR31008090200"), "2017"),
    (foreigner_text(nationality="gb"), "ISO 3166"),
])
def test_bad_cards_are_refused(block: bytes, problem: str) -> None:
    with pytest.raises(ContentError, match=problem):
        parse_text(block)


def test_2023_foreigners_card_is_refused_as_unsupported() -> None:
    with pytest.raises(ContentError) as err:
        parse_text(foreigner_text(marker="Y"))
    assert err.value.unsupported


def test_nation_table_is_gbt_3304() -> None:
    assert len(NATIONS) == 58 and nation_name("01") == "汉族" and nation_name("56") == "基诺族"
    assert nation_name("98") == "外国血统中国籍人士" and nation_name("00") is None


@given(st.binary(min_size=256, max_size=256))
def test_random_blocks_only_raise_content_error(block: bytes) -> None:
    try:
        parse_text(block)
    except ContentError:
        pass
