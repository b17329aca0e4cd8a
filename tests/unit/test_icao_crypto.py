"""BAC key derivation, retail MAC and secure messaging against ICAO 9303 part 11's worked example,
and the PACE curve arithmetic against `cryptography`."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk.devices.icao.apdu import Command, Response, atr_supports_extended, parse_command
from kiosk.devices.icao.crypto.bac import basic_keys, session_from
from kiosk.devices.icao.crypto.ec import BRAINPOOL_P256R1, P256
from kiosk.devices.icao.crypto.primitives import SessionKeys, des3_cbc, pad, retail_mac
from kiosk.devices.icao.crypto.sm import protect_command, protect_response, unprotect_command, unprotect_response
from kiosk.devices.icao.errors import SecureMessagingError
from kiosk.devices.icao.mrz import MrzKey

H = bytes.fromhex
# ICAO 9303 part 11, appendix D (worked example of BAC and secure messaging)
KEY = MrzKey("L898902C", "690806", "940623")
RND_IC, RND_IFD = H("4608F91988702212"), H("781723860C06C226")
K_IFD, K_IC = H("0B795240CB7049B01C19B33E32804F0B"), H("0B4F80323EB3191CB04970CB4052790B")


def test_bac_keys_from_the_mrz():
    assert KEY.mrz_information() == "L898902C<369080619406236"
    k_enc, k_mac = basic_keys(KEY)
    assert k_enc == H("AB94FDECF2674FDFB9B391F85D7F76F2")
    assert k_mac == H("7962D9ECE03D1ACD4C76089DCE131543")


def test_external_authenticate_cryptogram_and_retail_mac():
    k_enc, k_mac = basic_keys(KEY)
    e_ifd = des3_cbc(k_enc, RND_IFD + RND_IC + K_IFD)
    assert e_ifd == H("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
    assert retail_mac(k_mac, pad(e_ifd, 8)) == H("5F1448EEA8AD90A7")


def test_session_keys_and_send_sequence_counter():
    keys = session_from(K_IFD, K_IC, RND_IC, RND_IFD)
    assert keys.enc == H("979EC13B1CBFE9DCD01AB0FED307EAE5")
    assert keys.mac == H("F1CB1F1FB5ADF208806B89DC579DC1F8")
    assert keys.ssc == 0x887022120C06C226


def test_protected_select_matches_the_worked_example():
    keys = session_from(K_IFD, K_IC, RND_IC, RND_IFD)
    protected = protect_command(keys, Command(0x00, 0xA4, 0x02, 0x0C, H("011E")))
    assert protected.encode() == H("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")


def _pair(alg: str) -> tuple[SessionKeys, SessionKeys]:
    size = 16
    enc, mac = bytes(range(size)), bytes(range(16, 16 + size))
    return SessionKeys(alg, enc, mac, 41), SessionKeys(alg, enc, mac, 41)   # type: ignore[arg-type]


@pytest.mark.parametrize("alg", ["3DES", "AES"])
@pytest.mark.parametrize("cmd", [Command(0, 0xB0, 0x81, 0, le=223), Command(0, 0xB0, 0, 5, le=2048),
                                 Command(0, 0x88, 0, 0, b"12345678", le=256), Command(0, 0xA4, 4, 0x0C, b"x" * 300)])
def test_sm_round_trip_both_sides(alg, cmd):
    terminal, chip = _pair(alg)
    wire = parse_command(protect_command(terminal, cmd).encode())
    plain = unprotect_command(chip, wire)
    assert (plain.ins, plain.p1, plain.p2, plain.data, plain.le) == (cmd.ins, cmd.p1, cmd.p2, cmd.data, cmd.le)
    answer = protect_response(chip, Response(b"hello chip" * 30, 0x9000))
    assert unprotect_response(terminal, Response.decode(answer.encode())) == Response(b"hello chip" * 30, 0x9000)


@pytest.mark.parametrize("alg", ["3DES", "AES"])
def test_sm_rejects_wrong_mac_replay_and_missing_protection(alg):
    terminal, chip = _pair(alg)
    unprotect_command(chip, protect_command(terminal, Command(0, 0xB0, 0, 0, le=16)))
    good = protect_response(chip, Response(b"data", 0x9000))
    tampered = bytearray(good.data)
    tampered[3] ^= 1
    with pytest.raises(SecureMessagingError):
        unprotect_response(terminal, Response(bytes(tampered), 0x9000))
    # the counter moved on: the same (genuine) response replayed later no longer verifies
    with pytest.raises(SecureMessagingError):
        unprotect_response(terminal, good)
    with pytest.raises(SecureMessagingError):
        unprotect_response(terminal, Response(b"", 0x9000))
    assert unprotect_response(terminal, Response(b"", 0x6988)).sw == 0x6988


@pytest.mark.parametrize("curve, theirs", [(P256, ec.SECP256R1()), (BRAINPOOL_P256R1, ec.BrainpoolP256R1())])
def test_curve_arithmetic_agrees_with_cryptography(curve, theirs):
    a, b = ec.generate_private_key(theirs), ec.generate_private_key(theirs)
    pub = b.public_key().public_numbers()
    shared = curve.mul(a.private_numbers().private_value, (pub.x, pub.y))
    assert shared is not None and shared[0].to_bytes(32, "big") == a.exchange(ec.ECDH(), b.public_key())
    mine = curve.mul(a.private_numbers().private_value, curve.g)
    assert mine == (a.public_key().public_numbers().x, a.public_key().public_numbers().y)
    assert curve.decode(curve.encode(mine)) == mine
    with pytest.raises(ValueError):
        curve.decode(b"\x04" + bytes(64))


def test_apdu_encoding_short_and_extended():
    assert Command(0, 0xB0, 0x81, 0, le=256).encode() == H("00B0810000")
    assert Command(0, 0xB0, 0x81, 0, le=2048).encode() == H("00B08100000800")
    assert Command(0, 0xA4, 4, 0x0C, H("A0000002471001")).encode() == H("00A4040C07A0000002471001")
    ext = Command(0, 0xD6, 0, 0, bytes(300), le=65536)
    assert parse_command(ext.encode()) == Command(0, 0xD6, 0, 0, bytes(300), 65536, extended=True)
    assert atr_supports_extended(H("3b8580018073000040b7"))
    assert not atr_supports_extended(H("3b8580018073000000f7"))
    assert not atr_supports_extended(H("3b00"))
