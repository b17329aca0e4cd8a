"""The CSCA trust store a kiosk starts with. Shipped empty; a kiosk with a real card reader refuses
to start when its store holds a TEST certificate (the test PKI's Document Signer key is in this
repository, so anyone could sign a forged chip under it), and warns staff when the store is empty.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.compose import ConfigurationProblem, build_parts
from kiosk.config import load_config
from kiosk.devices.icao import messages as msg
from kiosk.devices.icao.mrz import MrzKey
from testkit.vcard import pki
from testkit.vcard.card import VirtualPassport
from testkit.vcard.transport import InProcessTransport

ROOT = Path(__file__).resolve().parents[2]


# A production kiosk's other devices: real ones (or none), so that the only staff warning left is
# the trust store's (a simulated device beside a real reader is a warning of its own).
REAL = {"camera": "opencv", "face": "dlib", "printer": "cups", "document_camera": "none", "government_records": "none"}


def _config(tmp_path: Path, env: dict[str, str] | None = None, **devices: str):
    others = REAL if devices.get("card_reader") == "pcsc" else {"face": "sim"}
    return load_config(env=env or {}, overrides={"paths": {"data_dir": str(tmp_path / "data")},
                                                 "devices": {**others, **devices}})


def _ca(**names: str) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    oids = {"cn": NameOID.COMMON_NAME, "o": NameOID.ORGANIZATION_NAME, "ou": NameOID.ORGANIZATIONAL_UNIT_NAME}
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE")] +
                     [x509.NameAttribute(oids[k], v) for k, v in names.items()])
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=99))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(key, hashes.SHA256()))


def test_a_forged_chip_under_the_test_pki_is_not_genuine_on_a_real_reader_as_shipped(tmp_path):
    parts = build_parts(_config(tmp_path, card_reader="pcsc"))
    reader = parts.devices.card_reader
    chip = reader._read_chip(InProcessTransport(VirtualPassport()), MrzKey("EA1234567", "900315", "340101"),
                             time.monotonic() + 10)
    result = reader._result(chip)
    assert not result.genuine and result.problem == msg.NOT_GENUINE
    assert parts.staff_warnings == (msg.TRUST_STORE_EMPTY,)      # and staff are told why nobody passes


def test_real_reader_refuses_to_start_with_the_test_csca_in_its_trust_store(tmp_path):
    env = {"ONEVISIT_DEVICES_CSCA_DIR": str(pki.CSCA_DIR)}
    with pytest.raises(ConfigurationProblem) as err:
        build_parts(_config(tmp_path, env, card_reader="pcsc"))
    assert pki.CSCA_CERT in str(err.value) and "CN=TEST CSCA" in str(err.value)
    assert build_parts(_config(tmp_path, env, card_reader="sim")).staff_warnings == ()   # the demo is fine


def test_real_reader_starts_quietly_with_a_real_csca(tmp_path):
    store = tmp_path / "csca"
    store.mkdir()
    (store / "de.pem").write_bytes(_ca(cn="CSCA Germany", o="Bundesamt").public_bytes(serialization.Encoding.PEM))
    parts = build_parts(_config(tmp_path, card_reader="pcsc", csca_dir=str(store)))
    assert parts.staff_warnings == ()


def test_kiosk_run_names_the_test_certificate_and_exits_nonzero(tmp_path):
    env = {**os.environ, "ONEVISIT_DEVICES_CARD_READER": "pcsc", "ONEVISIT_DEVICES_CSCA_DIR": str(pki.CSCA_DIR),
           "ONEVISIT_DEVICES_FACE": "sim", "PYTHONPATH": str(ROOT)}
    try:
        out = subprocess.run([sys.executable, "-m", "kiosk", "run", "--offscreen", "--data-dir", str(tmp_path)],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("the kiosk started with the TEST CSCA in a real reader's trust store")
    assert out.returncode != 0
    assert "cannot start" in out.stderr and pki.CSCA_CERT in out.stderr and "TEST CSCA" in out.stderr


@pytest.mark.parametrize("names, marked", [
    ({"cn": "TEST CSCA"}, True),
    ({"cn": "CSCA", "o": "OneVisit Kiosk TEST - NOT A REAL AUTHORITY"}, True),
    ({"cn": "CSCA", "ou": "test"}, True),
    ({"cn": "test_csca"}, True),
    ({"cn": "Test-DS"}, True),
    ({"cn": "CSCA Germany", "o": "CONTEST authority"}, False),
    ({"cn": "Attestation CSCA", "ou": "Testing"}, False),
])
def test_test_certificates_are_recognised_by_a_test_word_in_cn_o_or_ou(names, marked):
    from kiosk.devices.icao.trust import is_test_certificate
    assert is_test_certificate(_ca(**names)) is marked
