"""The SAM frame codec: worked frames from public documentation, and a byte stream that is split,
noisy or corrupt never makes the parser crash, hang or hand back a wrong frame."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.devices.idcard import frames
from kiosk.devices.idcard.frames import FrameBuffer, ParseError


def test_requests_match_the_documented_frames() -> None:
    assert frames.build_request(frames.CMD_FIND_CARD) == bytes.fromhex("AAAAAA9669 0003 2001 22")
    assert frames.build_request(frames.CMD_SELECT_CARD) == bytes.fromhex("AAAAAA9669 0003 2002 21")
    assert frames.build_request(frames.CMD_READ_BASE) == bytes.fromhex("AAAAAA9669 0003 3001 32")
    assert frames.build_request(frames.CMD_READ_WITH_FINGERPRINT) == bytes.fromhex("AAAAAA9669 0003 3010 23")


def test_documented_responses_parse() -> None:
    buf = FrameBuffer()
    buf.feed(bytes.fromhex("AAAAAA9669 0008 00009F 00000000 97") + bytes.fromhex("AAAAAA9669 0004 000041 45"))
    found = frames.parse_response(buf.pop() or b"")
    assert (found.sw3, found.data) == (frames.SW_FOUND, b"\0\0\0\0")
    failed = frames.parse_response(buf.pop() or b"")
    assert failed.sw3 == 0x41 and failed.meaning == "reading the card failed"
    assert buf.pop() is None


def test_garbage_split_and_bad_checksum_resynchronise() -> None:
    good = frames.build_response(frames.SW_OK, b"abc")
    bad = bytearray(good)
    bad[-1] ^= 0xFF
    stream = b"\x00\xaa\x96garbage" + bytes(bad) + b"\xaa\xaa" + good
    buf = FrameBuffer()
    got, errors = [], 0
    for b in stream:           # one byte at a time, as a slow serial line delivers them
        buf.feed(bytes([b]))
        while True:
            try:
                payload = buf.pop()
            except ParseError:
                errors += 1
                continue
            if payload is None:
                break
            got.append(frames.parse_response(payload))
    assert errors == 1
    assert [(r.sw3, r.data) for r in got] == [(frames.SW_OK, b"abc")]


def test_absurd_length_is_refused_without_waiting_for_it() -> None:
    buf = FrameBuffer()
    buf.feed(frames.PREAMBLE + b"\xff\xff")
    with pytest.raises(ParseError):
        buf.pop()


def test_base_message_round_trip_and_inconsistent_lengths() -> None:
    text, photo = bytes(range(256)), b"\x01" * 1024
    msg = frames.parse_base_message(frames.build_base_message(text, photo))
    assert (msg.text, msg.photo) == (text, photo)
    with pytest.raises(ParseError):
        frames.parse_base_message(frames.build_base_message(text, photo)[:-1])
    with pytest.raises(ParseError):
        frames.parse_base_message(frames.build_base_message(text[:100], photo))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=64) | st.sampled_from([frames.PREAMBLE, frames.build_response(0x90, b"x")]),
                max_size=30))
def test_fuzzed_streams_only_raise_parse_error_and_stay_bounded(chunks: list[bytes]) -> None:
    buf = FrameBuffer()
    for chunk in chunks:
        buf.feed(chunk)
        for _ in range(200):
            try:
                payload = buf.pop()
            except ParseError:
                continue
            if payload is None:
                break
            frames.parse_response(payload)
        assert len(buf._buf) <= frames.HEADER_LEN + frames.MAX_LEN + 64


@given(st.binary(max_size=3000))
def test_fuzzed_read_data_only_raises_parse_error(data: bytes) -> None:
    for fp in (False, True):
        try:
            frames.parse_base_message(data, with_fingerprint=fp)
        except ParseError:
            pass
