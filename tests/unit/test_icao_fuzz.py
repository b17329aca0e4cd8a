"""Fuzzing the chip-data parsers: whatever bytes or text arrive, they raise only our ParseError.

A small run in CI (ICAO_FUZZ_EXAMPLES, default 300 per target); `bench/card_read.py fuzz` runs
>= 100,000 inputs per parser family.
"""
from __future__ import annotations

import os
from collections import Counter
from functools import lru_cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.devices.icao import lds, tlv
from kiosk.devices.icao.crypto.pace import parse_card_access
from kiosk.devices.icao.errors import ParseError
from kiosk.devices.icao.mrz import format_td1, format_td3, parse_mrz
from kiosk.devices.icao.sod import TrustStore, parse_sod, verify_passive

EXAMPLES = int(os.environ.get("ICAO_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
COUNTS: Counter[str] = Counter()     # inputs tried per target (read by the bench)


@lru_cache(maxsize=1)
def _real_files() -> dict[int, bytes]:
    from testkit.vcard import pki
    from testkit.vcard.document import DocumentProfile, build_files
    return build_files(DocumentProfile(), pki.default()).by_sfi


def _mutations(seed: bytes) -> st.SearchStrategy[bytes]:
    """Flip, cut, splice and overwrite bytes of a real structure."""
    @st.composite
    def mutate(draw) -> bytes:
        data = bytearray(seed)
        for _ in range(draw(st.integers(1, 6))):
            op = draw(st.sampled_from(["flip", "cut", "insert", "set"]))
            if not data:
                break
            i = draw(st.integers(0, len(data) - 1))
            if op == "flip":
                data[i] ^= 1 << draw(st.integers(0, 7))
            elif op == "cut":
                del data[i:i + draw(st.integers(1, 64))]
            elif op == "insert":
                data[i:i] = draw(st.binary(min_size=1, max_size=16))
            else:
                data[i] = draw(st.sampled_from([0x00, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0xFF]))
        return bytes(data)
    return mutate()


def _small_tlv() -> st.SearchStrategy[bytes]:
    leaf = st.builds(lambda t, v: tlv.encode(t, v), st.sampled_from([0x02, 0x04, 0x5F1F, 0x5C, 0x80, 0x87]),
                     st.binary(max_size=40))
    return st.recursive(leaf, lambda kids: st.builds(lambda t, vs: tlv.encode(t, b"".join(vs)),
                                                     st.sampled_from([0x30, 0x61, 0x75, 0x7F61, 0x7C]),
                                                     st.lists(kids, max_size=4)), max_leaves=8)


def _tlv_target(data: bytes) -> None:
    COUNTS["tlv"] += 1
    try:
        tlv.parse_all(data)
        tlv.find_deep(data, 0x5F2E)
        tlv.encoded_size(data[:8])
    except ParseError:
        pass


@FUZZ
@given(st.one_of(st.binary(max_size=300), _small_tlv(), _small_tlv().flatmap(_mutations)))
def test_tlv_raises_only_parse_errors(data):
    _tlv_target(data)


_MRZ_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
_VALID_MRZ = [
    format_td3(doc_code="P", state="CHN", surname="ZHANG", given="XIAOMEI", number="EA1234567", nationality="CHN",
               birth="900315", sex="F", expiry="340101", personal="11010119900315"),
    format_td1(doc_code="ID", state="CHN", surname="LI", given="NA", number="A12345678", nationality="CHN",
               birth="851231", sex="M", expiry="300101"),
]


@st.composite
def _mrz_like(draw) -> str:
    base = list(draw(st.sampled_from(_VALID_MRZ)))
    for _ in range(draw(st.integers(0, 5))):
        i = draw(st.integers(0, len(base) - 1))
        if base[i] != "\n":
            base[i] = draw(st.sampled_from(_MRZ_ALPHABET + "é张 \x00"))
    return "".join(base)


def _mrz_target(text: str) -> None:
    COUNTS["mrz"] += 1
    try:
        parse_mrz(text)
        parse_mrz(text, strict=True)
    except ParseError:
        pass


@FUZZ
@given(st.one_of(st.text(max_size=100), st.text(alphabet=_MRZ_ALPHABET + "\n", min_size=60, max_size=95), _mrz_like()))
def test_mrz_raises_only_parse_errors(text):
    _mrz_target(text)


def _sod_target(data: bytes) -> None:
    COUNTS["sod"] += 1
    try:
        sod = parse_sod(data)
    except ParseError:
        return
    # never raises on a parsed SOD, even when a mangled DS certificate meets the chain checks
    verify_passive(sod, {1: b"x"}, _test_trust(), issuing_state="CHN")


@lru_cache(maxsize=1)
def _test_trust() -> TrustStore:
    from testkit.vcard import pki
    return TrustStore.load(pki.CSCA_DIR)


@FUZZ
@given(st.one_of(st.binary(max_size=200), st.builds(lambda b: tlv.encode(0x77, b), st.binary(max_size=200)),
                 st.deferred(lambda: _mutations(_real_files()[0x1D]))))
def test_sod_raises_only_parse_errors(data):
    _sod_target(data)


def _lds_target(data: bytes) -> None:
    COUNTS["lds"] += 1
    for parse in (lds.parse_com, lds.parse_dg1, lds.parse_dg2, lds.parse_dg11, lds.parse_dg14_aa_algorithm,
                  lds.parse_dg15, parse_card_access):
        try:
            parse(data)
        except ParseError:
            pass


@FUZZ
@given(st.one_of(st.binary(max_size=120),
                 st.deferred(lambda: st.sampled_from([1, 2, 11, 14, 15, 0x1C, 0x1E]).flatmap(
                     lambda sfi: _mutations(_real_files()[sfi][:3000])))))
def test_lds_parsers_raise_only_parse_errors(data):
    _lds_target(data)


def test_regression_sod_with_an_invalid_certificate_version_gives_a_verdict():
    """Found by the bench fuzz run: a DS certificate whose version field is 127."""
    from kiosk.devices.icao import tlv as _tlv
    raw = bytearray(_real_files()[0x1D])
    marker = bytes.fromhex("a003020102")          # [0] { INTEGER 2 }: X.509 v3
    i = raw.index(marker)
    raw[i + 4] = 0x7F
    sod = parse_sod(bytes(raw))
    result = verify_passive(sod, {1: b"x"}, TrustStore([]), issuing_state="CHN")
    assert not result.data_integrity and not result.signer_trusted
    assert _tlv.encoded_size(bytes(raw[:8])) == len(raw)
