"""`python -m backoffice serve` as operators run it: HTTPS with a certificate and key (a
self-signed pair made here), a loud warning when bound beyond loopback without TLS, and an access
log (--verbose) that holds no citizen's name or ID number after lookups and officials' views."""
from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backoffice.cli import plain_http_warning
from tests.backoffice_support import (CITIZEN_ID, CITIZEN_NAME, KIOSK, PASSWORD, POLICE, deliver, enrol_kiosk,
                                      new_backoffice, sign_in)

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parent.parent.parent


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


class Serve:
    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.port_file = tmp_path / "port"
        self.log = tmp_path / "serve.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "backoffice", "serve", "--data-dir", str(tmp_path / "bo"),
                                          "--port", "0", "--port-file", str(self.port_file), *args],
                                         cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        end = time.monotonic() + 30
        while not self.port_file.exists():
            assert self.proc.poll() is None, self.output()
            assert time.monotonic() < end, "serve did not start"
            time.sleep(0.05)
        self.port = int(self.port_file.read_text())

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> str:
        self.proc.terminate()
        self.proc.wait(15)
        return self.output()


def test_serve_offers_https_with_a_certificate_and_key(tmp_path):
    cert, key = self_signed(tmp_path)
    s = Serve(tmp_path, "--tls-cert", str(cert), "--tls-key", str(key), "--host", "0.0.0.0")  # noqa: S104 - the test binds all interfaces on purpose
    try:
        url = f"https://127.0.0.1:{s.port}"
        trust = ssl.create_default_context(cafile=str(cert))
        end = time.monotonic() + 15
        while True:
            try:
                r = httpx.get(url + "/healthz", verify=trust, trust_env=False, timeout=5)
                break
            except httpx.ConnectError:
                assert time.monotonic() < end
                time.sleep(0.1)
        assert r.status_code == 200
        page = httpx.get(url + "/signin", verify=trust, trust_env=False)
        cookie = page.headers["set-cookie"]
        assert "Secure" in cookie and page.headers["strict-transport-security"].startswith("max-age=")
        with pytest.raises(httpx.HTTPError):                 # plain HTTP to the TLS port gets nothing
            httpx.get(f"http://127.0.0.1:{s.port}/healthz", trust_env=False, timeout=5).raise_for_status()
    finally:
        out = s.stop()
    assert "https://0.0.0.0" in out and "WITHOUT TLS" not in out


def test_serve_warns_loudly_when_bound_beyond_loopback_without_tls(tmp_path):
    s = Serve(tmp_path, "--host", "0.0.0.0")  # noqa: S104 - binding beyond loopback is what is tested
    out = s.stop()
    assert plain_http_warning("0.0.0.0") in out  # noqa: S104 - the address named in the warning, not a bind and "!" * 50 in out
    quiet = Serve(tmp_path, "--host", "127.0.0.1").stop()
    assert "WITHOUT TLS" not in quiet


def test_the_access_log_holds_no_citizen_data(tmp_path):
    bo = new_backoffice(tmp_path)                            # the same folder the server will use
    key = enrol_kiosk(bo)
    number = deliver(bo)
    from backoffice.accounts import Accounts
    Accounts(bo.engine).create("police", PASSWORD, "official", [POLICE])
    bo.engine.dispose()
    s = Serve(tmp_path, "--verbose", "--records-file", str(ROOT / "assets" / "demo" / "government-records.yaml"))
    try:
        url = f"http://127.0.0.1:{s.port}"
        from kiosk.services.records_client import lookup_government_records
        from kiosk.services.sync.client import SyncClient
        bo = new_backoffice(tmp_path)
        client = SyncClient(url, KIOSK, key, bo.keys.signing.public_key(), timeout=10)
        assert lookup_government_records(client, "33010619900821032X").found
        assert not lookup_government_records(client, CITIZEN_ID).found
        client.close()
        bo.engine.dispose()
        with httpx.Client(base_url=url, trust_env=False) as web:
            assert sign_in(web, "police").status_code == 303
            assert CITIZEN_NAME in web.get(f"/officials/items/{number}/hukou").text
            assert web.get(f"/officials?department={POLICE}").status_code == 200
    finally:
        out = s.stop()
    assert "/v1/records/lookup" in out and "/officials/items/" in out       # the access log is on
    for secret in (CITIZEN_NAME, CITIZEN_ID, "33010619900821032X", "林晓雯", CITIZEN_ID[-6:], "19900821"):
        assert secret not in out, secret
