"""TLV and MRZ parsing (ICAO 9303 parts 3-5, 10)."""
from __future__ import annotations

from datetime import date

import pytest

from kiosk.devices.icao import tlv
from kiosk.devices.icao.errors import MrzError, TlvError
from kiosk.devices.icao.mrz import (CanKey, MrzKey, check_digit, format_td1, format_td2, format_td3, parse_date,
                                    parse_mrz)

# ICAO 9303 part 4 specimen (Anna Maria Eriksson, Utopia)
SPECIMEN_TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
                "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
SPECIMEN_TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<\n"
                "7408122F1204159UTO<<<<<<<<<<<6\n"
                "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")


def test_tlv_round_trip_multibyte_tags_and_long_lengths():
    value = bytes(300)
    enc = tlv.encode(0x5F1F, value)
    assert enc[:4] == bytes.fromhex("5F1F82012C")[:4]
    assert tlv.parse_one(enc) == (0x5F1F, value, len(enc))
    nested = tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x02, b"\x01")))
    assert tlv.find_deep(nested, 0x02) == b"\x01"
    assert tlv.encoded_size(nested[:6]) == len(nested)


@pytest.mark.parametrize("bad", [b"", b"\x5f", b"\x5f\x1f", b"\x61\x05abc", b"\x61\x85\x00\x00\x00\x00\x01",
                                 b"\x61\x80", b"\x1f\xff\xff\xff\x01\x00"])
def test_tlv_malformed_raises_tlv_error(bad):
    with pytest.raises(TlvError):
        tlv.parse_all(bad) if bad else tlv.parse_one(bad)


def test_check_digits_from_the_specimen():
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2"
    assert check_digit("120415") == "9"


def test_td3_specimen_parses_with_every_check_digit():
    m = parse_mrz(SPECIMEN_TD3, strict=True)
    assert (m.format, m.document_code, m.issuing_state) == ("TD3", "P", "UTO")
    assert (m.surname, m.given_names, m.name_latin) == ("ERIKSSON", "ANNA MARIA", "ERIKSSON ANNA MARIA")
    assert (m.document_number, m.nationality, m.birth, m.sex, m.expiry) == ("L898902C3", "UTO", "740812", "F", "120415")
    assert m.optional_data == "ZE184226B"
    assert m.key().mrz_information() == "L898902C<369080619406236"[:0] + "L898902C36" + "7408122" + "1204159"


def test_td1_specimen_and_one_run_of_90_characters():
    m = parse_mrz(SPECIMEN_TD1.replace("\n", ""), strict=True)
    assert (m.format, m.document_number, m.birth, m.expiry, m.sex) == ("TD1", "D23145890", "740812", "120415", "F")
    assert m.name_latin == "ERIKSSON ANNA MARIA"


def test_td2_built_and_parsed():
    text = format_td2(doc_code="I", state="CHN", surname="LI", given="XIUYING", number="C0123456", nationality="CHN",
                      birth="620315", sex="F", expiry="360101")
    m = parse_mrz(text, strict=True)
    assert (m.format, m.document_number, m.surname, m.given_names) == ("TD2", "C0123456", "LI", "XIUYING")


def test_td1_with_optional_personal_number():
    text = format_td1(doc_code="ID", state="CHN", surname="WANG", given="FANG", number="A12345678", nationality="CHN",
                      birth="851231", sex="M", expiry="300101", optional1="330106198512", optional2="")
    m = parse_mrz(text, strict=True)
    assert m.optional_data.startswith("330106198512") and m.sex == "M"


def test_wrong_check_digit_is_reported_and_strict_raises():
    bad = SPECIMEN_TD3[:-1] + "1"
    assert parse_mrz(bad).check_errors == ("composite",)
    with pytest.raises(MrzError):
        parse_mrz(bad, strict=True)


@pytest.mark.parametrize("text", ["", "P<UTO", "X" * 88, "p<uto" + "<" * 83, "P<UTO" + "é" * 83])
def test_not_an_mrz(text):
    with pytest.raises(MrzError):
        parse_mrz(text)


def test_dates_pick_the_century():
    today = date(2026, 11, 23)
    assert parse_date("900315", today, past=True) == date(1990, 3, 15)
    assert parse_date("150101", today, past=True) == date(2015, 1, 1)
    assert parse_date("270101", today, past=True) == date(1927, 1, 1)     # not in the future
    assert parse_date("340101", today, past=False) == date(2034, 1, 1)
    assert parse_date("990101", today, past=False) == date(1999, 1, 1)     # 2099 is too far ahead
    with pytest.raises(MrzError):
        parse_date("901332", today, past=True)


def test_access_keys_validate_and_hide_themselves():
    assert repr(MrzKey("EA1234567", "900315", "340101")) == "MrzKey(***)"
    with pytest.raises(MrzError):
        MrzKey("EA1234567", "9003", "340101")
    with pytest.raises(MrzError):
        CanKey("12345")
    assert MrzKey("AB12", "900315", "340101").mrz_information().startswith("AB12<<<<<")


def test_td3_builder_round_trips():
    text = format_td3(doc_code="P", state="CHN", surname="ZHANG", given="XIAO MEI", number="EA1234567",
                      nationality="CHN", birth="900315", sex="F", expiry="340101", personal="11010119900315")
    m = parse_mrz(text, strict=True)
    assert m.given_names == "XIAO MEI" and m.optional_data == "11010119900315"
