"""Builds the 256-byte text block of the cards a SAM reader returns (fictional test and demo data).

The inverse of kiosk/devices/idcard/content.py, written independently from the layout table so a
wrong offset in one shows up as a failing test rather than cancelling out.
"""
from __future__ import annotations

from collections.abc import Sequence


def _put(block: bytearray, start: int, width: int, text: str) -> None:
    raw = text.encode("utf-16-le")
    if len(raw) > width:
        raise ValueError(f"{text!r} does not fit {width} bytes")
    block[start:start + width] = raw + " ".encode("utf-16-le") * ((width - len(raw)) // 2)


def _block(fields: Sequence[tuple[int, str]]) -> bytes:
    block = bytearray(" ".encode("utf-16-le") * 128)
    at = 0
    for width, text in fields:
        _put(block, at, width, text)
        at += width
    assert at == 256
    return bytes(block)


def resident_text(name: str = "林晓梅", sex: str = "2", nation: str = "01", birth: str = "19850317",
                  address: str = "浙江省杭州市西湖区演示路1号", number: str = "",
                  authority: str = "杭州市公安局西湖分局", start: str = "20200101", end: str = "20400101") -> bytes:
    number = number or demo_number("330106", birth, "002")
    return _block([(30, name), (2, sex), (4, nation), (16, birth), (70, address), (36, number), (30, authority),
                   (16, start), (16, end), (36, "")])


def permit_text(name: str = "陈家明", sex: str = "1", birth: str = "19900512", address: str = "广东省深圳市福田区演示路2号",
                number: str = "", authority: str = "深圳市公安局", start: str = "20210601", end: str = "20260601",
                pass_number: str = "H12345678", issues: str = "01",  # noqa: S107 - a travel permit number, not a secret
                marker: str = "J") -> bytes:
    number = number or demo_number("810000", birth, "001")
    return _block([(30, name), (2, sex), (4, ""), (16, birth), (70, address), (36, number), (30, authority),
                   (16, start), (16, end), (18, pass_number), (4, issues), (6, ""), (2, marker), (6, "")])


def foreigner_text(name_latin: str = "DEMO, ALEX SAMPLE", sex: str = "1", number: str = "GBR310080902001",
                   nationality: str = "GBR", name: str = "亚历克斯", start: str = "20190301", end: str = "20290301",
                   birth: str = "19800902", version: str = "01", authority: str = "3100", marker: str = "I") -> bytes:
    return _block([(120, name_latin), (2, sex), (30, number), (6, nationality), (30, name), (16, start), (16, end),
                   (16, birth), (4, version), (8, authority), (2, marker), (6, "")])


def demo_number(region: str, birth: str, seq: str) -> str:
    """An 18-character number with a valid GB 11643 check character (fictional)."""
    from kiosk.domain.idnumber import resident_id_check_char
    first17 = region + birth + seq
    return first17 + resident_id_check_char(first17)
