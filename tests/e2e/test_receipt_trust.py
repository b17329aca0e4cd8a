"""Receipts against the real back office (`python -m backoffice serve` on 127.0.0.1): the kiosk
registers its receipt key and pulls the signed trust list during sync; a genuine receipt verifies
from its PDF, a PNG render and its text, with the kiosk's data folder and with the downloaded
trust list; the public /verify page says the same and shows the statuses; staff find the receipt
by its check code; after the back office revokes the key, neither accepts the receipt."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from kiosk.domain.text import Text
from kiosk.services.datafolder import DataFolder
from kiosk.services.keystore import load_receipt_key
from kiosk.services.receipts import ReceiptOptions, render_receipt
from kiosk.services.receipts.signer import ReceiptSigner
from kiosk.services.receipts.trust import kept_trust_list
from kiosk.services.sync.upload import Syncer
from testkit.sync_drills import ROOT, BackofficeServer, DemoApplications, enrol_kiosk

KIOSK = "3301060001"
pytestmark = pytest.mark.e2e


def kiosk_cli(*args: str) -> tuple[int, dict]:
    r = subprocess.run([sys.executable, "-m", "kiosk", "receipt", "verify", *args, "--json"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    return r.returncode, json.loads(r.stdout)


@pytest.fixture
def server(tmp_path):
    s = BackofficeServer(f"sqlite:///{tmp_path / 'bo.sqlite3'}", tmp_path / "backoffice").start()
    yield s
    s.stop()


def test_receipt_trust_list_verify_lookup_and_revocation(server, tmp_path):
    kiosk = enrol_kiosk(server, tmp_path / "kiosk", KIOSK)
    files = DataFolder(kiosk.data_dir)
    signer = ReceiptSigner(load_receipt_key(files))
    store = kiosk.open_storage()
    try:
        app = DemoApplications(KIOSK).store_one(store)
        qr, code = signer.seal(app, provisional=True)
        pdf = tmp_path / "receipt.pdf"
        pdf.write_bytes(render_receipt(app, ReceiptOptions(Text("西湖区政务服务中心", "Xihu kiosk"),
                                                           f"{server.url}/verify", qr_text=qr, check_code=code)))
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(pdf), str(tmp_path / "receipt")],
                       check=True)
        png = tmp_path / "receipt.png"
        syncer = Syncer(store, kiosk.client(server.url), kiosk.settings(server.url), data_dir=kiosk.data_dir,
                        receipts=signer)
        assert syncer.drain(10**9).created == 1
        assert syncer.pull_trust()                       # registered, pulled, verified, kept
        kept = kept_trust_list(files, kiosk.settings(server.url).signing_public())
        assert kept is not None and kept.keys[signer.key_id].kiosk_id == KIOSK
        assert not syncer.pull_trust()                   # unchanged keys: the kept copy stays

        d = ["--data-dir", str(kiosk.data_dir)]
        for source in ([str(pdf)], [str(png)], ["--text", qr]):
            status, out = kiosk_cli(*source, *d)
            assert status == 0 and out["status"] == "genuine", (source, out)
            assert out["key"]["source"] == "trust list"  # the back office's list outranks the own copy
        # the trust list as anyone downloads it, without the kiosk's own key
        listing = httpx.get(f"{server.url}/verify/trust-list.json", timeout=10)
        assert listing.status_code == 200
        trust_file = tmp_path / "trust.json"
        trust_file.write_bytes(listing.content)
        stranger = enrol_kiosk(server, tmp_path / "stranger", "3301060002")   # knows nothing of our key
        status, out = kiosk_cli(str(png), "--trust-list", str(trust_file), "--data-dir", str(stranger.data_dir))
        assert status == 0 and out["summary"]["check_code"] == code
        assert kiosk_cli("--text", qr, "--data-dir", str(stranger.data_dir))[0] == 1   # unknown key

        # the public page: no sign-in, an upload, the statuses
        r = httpx.post(f"{server.url}/verify", files={"file": ("receipt.pdf", pdf.read_bytes(), "application/pdf")},
                       timeout=60)
        assert r.status_code == 200 and 'class="verdict genuine"' in r.text
        assert app.number in r.text and "received" in r.text
        for personal in ("李秀英", "330106196203151234", "13800138000"):
            assert personal not in r.text
        r = httpx.post(f"{server.url}/verify", data={"payload": qr[:-3] + "AAA"}, timeout=30)
        assert 'class="verdict genuine"' not in r.text

        # the check code reached the back office with the upload
        from sqlalchemy import create_engine, text
        engine = create_engine(server.db_url)
        with engine.connect() as conn:
            assert conn.execute(text("select number from receipt_codes where check_code = :c"),
                                {"c": code}).scalar() == app.number
        engine.dispose()

        # revocation: the back office revokes the key; after the next pull the kiosk refuses it too
        r = server.cli("revoke", "--kiosk-id", KIOSK, "--receipt-key", signer.key_id)
        assert r.returncode == 0, r.stderr
        assert syncer.pull_trust()
        status, out = kiosk_cli(str(pdf), *d)
        assert status == 1 and out["status"] == "revoked"
        r = httpx.post(f"{server.url}/verify", data={"payload": qr}, timeout=30)
        assert 'class="verdict revoked"' in r.text
    finally:
        store.close()


def test_verify_page_is_rate_limited_and_caps_uploads(server):
    big = b"%PDF-" + b"\0" * (5 << 20)
    r = httpx.post(f"{server.url}/verify", files={"file": ("big.pdf", big, "application/pdf")}, timeout=30)
    assert r.status_code == 413
    codes = [httpx.post(f"{server.url}/verify", data={"payload": "OV1:00"}, timeout=10).status_code for _ in range(25)]
    assert 429 in codes and codes[0] == 422


def test_an_older_trust_list_is_refused(server, tmp_path):
    """A replayed old list would undo a revocation."""
    import time

    from kiosk.services.receipts.trust import TrustListRefused, keep_trust_list, parse_trust_list
    from kiosk.services.sync import protocol as proto
    kiosk = enrol_kiosk(server, tmp_path / "kiosk", KIOSK)
    files = DataFolder(kiosk.data_dir)
    signer = ReceiptSigner(load_receipt_key(files))
    client = kiosk.client(server.url)
    client.call("POST", "/v1/receipt-keys", {"key_id": signer.key_id, "public_key": proto.b64e(signer.public_raw)})
    backoffice = kiosk.settings(server.url).signing_public()

    def fetch():
        return parse_trust_list(httpx.get(f"{server.url}/verify/trust-list.json", timeout=10).json(), backoffice)
    old = fetch()
    assert fetch().raw == old.raw                         # nothing changed: the same document
    time.sleep(1.1)
    assert server.cli("revoke", "--kiosk-id", KIOSK, "--receipt-key", "all").returncode == 0
    new = fetch()
    assert new.issued_at > old.issued_at and new.keys[signer.key_id].revoked_at
    assert keep_trust_list(files, new, backoffice)
    with pytest.raises(TrustListRefused):
        keep_trust_list(files, old, backoffice)           # the replayed list that did not revoke
    tampered = json.loads(new.raw)
    tampered["keys"][0]["revoked_at"] = None
    with pytest.raises(TrustListRefused):
        parse_trust_list(tampered, backoffice)
    assert Path(files.receipt_trust_list).read_bytes() == new.raw
    client.close()
