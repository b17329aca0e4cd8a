"""The receipt's signed QR code: genuine receipts verify offline from the PDF, a PNG render and
the text; altered content, unknown and revoked keys, and a genuine QR on a forged page do not."""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from datetime import date

import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.cli import main
from kiosk.domain.text import Text
from kiosk.services.datafolder import DataFolder
from kiosk.services.keystore import load_receipt_key, load_signing_key
from kiosk.services.receipts import ReceiptOptions, render_receipt
from kiosk.services.receipts import layout
from kiosk.services.receipts.checkcode import normalize_check_code
from kiosk.services.receipts.seal import (FORGED, GENUINE, REVOKED, UNKNOWN_KEY, UNREADABLE, PREFIX, TrustedKey,
                                          _from_map, _to_map, key_id_of, raw_public, seal_receipt, summarize,
                                          verify_receipt_payload)
from kiosk.services.receipts.signer import ReceiptSigner
from tests.unit.test_receipts import make_app

KIOSK = "3301060001"
pytestmark = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs poppler-utils")


@pytest.fixture
def signer() -> ReceiptSigner:
    return ReceiptSigner(Ed25519PrivateKey.generate())


def trust_of(*signers: ReceiptSigner, revoked: str | None = None) -> dict[str, TrustedKey]:
    return {s.key_id: replace(s.trusted(KIOSK), revoked_at=revoked) for s in signers}


def receipt_pdf(signer: ReceiptSigner, app=None) -> bytes:
    app = app or make_app(3)
    qr, code = signer.seal(app, provisional=True)
    return render_receipt(app, ReceiptOptions(Text("西湖区政务服务中心", "Xihu kiosk"), "https://zwfw.example.gov.cn/verify",
                                              qr_text=qr, check_code=code))


def test_genuine_payload_verifies_and_shows_the_signed_public_summary(signer):
    app = make_app(3)
    qr, code = signer.seal(app, provisional=True)
    assert qr.startswith(PREFIX) and normalize_check_code(code) == code
    v = verify_receipt_payload(qr, trust_of(signer))
    assert v.status == GENUINE and v.exit_code == 0
    s = v.summary
    assert (s.number, s.bundle_id, s.kiosk_id, s.catalogue_version, s.check_code) == (
        app.number, "newborn", KIOSK, "2026.11", code)
    assert [(i.department, i.due) for i in s.items] == [(r.department.zh, r.due) for r in app.requests]
    assert s.provisional and all(i.approximate for i in s.items)
    assert s.items[2].fee_fen == 0 and summarize(make_app(4), check_code=code, provisional=False).items[3].fee_fen == 1000


def test_the_payload_holds_no_personal_data(signer):
    import base45
    import zlib
    app = make_app(3)
    raw = zlib.decompress(base45.b45decode(signer.seal(app, provisional=True)[0][len(PREFIX):]))
    for personal in ("张三丰", "330106199001011234", "文三路", "13800138000"):
        assert personal.encode() not in raw


def test_altered_content_unknown_key_and_revoked_key_do_not_verify(signer):
    app = make_app(3)
    qr, _ = signer.seal(app, provisional=True)
    # a different content signed by someone else, claiming this kiosk's key id
    impostor = Ed25519PrivateKey.generate()
    summary = _from_map(_to_map(summarize(app, check_code="X", provisional=False)))
    forged_items = (replace(summary.items[0], due=date(2026, 11, 22)),)
    forged = seal_receipt(replace(summary, items=forged_items), impostor)
    assert verify_receipt_payload(forged, trust_of(signer)).status == UNKNOWN_KEY
    # the same forgery with the genuine key id swapped in: the signature no longer matches
    import base45
    import zlib
    import cbor2
    tag = cbor2.loads(zlib.decompress(base45.b45decode(qr[len(PREFIX):])))
    mine = cbor2.loads(tag.value[2])
    mine["d"] = mine["d"][:1]
    tag.value[2] = cbor2.dumps(mine)
    altered = PREFIX + base45.b45encode(zlib.compress(cbor2.dumps(tag))).decode()
    v = verify_receipt_payload(altered, trust_of(signer))
    assert v.status == FORGED and v.summary is None and v.exit_code == 1
    assert verify_receipt_payload(qr, trust_of(signer, revoked="2026-11-23T00:00:00Z")).status == REVOKED
    assert verify_receipt_payload(qr, {}).status == UNKNOWN_KEY


def test_a_key_trusted_for_another_kiosk_cannot_sign_for_this_one(signer):
    qr, _ = signer.seal(make_app(1), provisional=True)
    other = {signer.key_id: replace(signer.trusted("3301069999"))}
    assert verify_receipt_payload(qr, other).status == FORGED


@pytest.mark.parametrize("text", ["", "hello", "OV1:", "OV1:%%%%", "OV1:" + "A" * 5000, "ov1:00000000"])
def test_garbage_is_unreadable_not_an_exception(signer, text):
    v = verify_receipt_payload(text, trust_of(signer))
    assert v.status == UNREADABLE and v.exit_code == 2


def test_zlib_bomb_is_refused(signer):
    import base45
    import zlib
    bomb = PREFIX + base45.b45encode(zlib.compress(b"\0" * (50 << 20))).decode()
    assert verify_receipt_payload(bomb, trust_of(signer)).status == UNREADABLE


def test_qr_is_alphanumeric_and_every_module_is_a_whole_number_of_dots(signer, tmp_path):
    app = make_app(4)
    qr_text, _ = signer.seal(app, provisional=True)
    qr, dots = layout.qr_geometry(qr_text)
    assert qr.mode == "alphanumeric" and qr.error == "M"
    modules = qr.symbol_size(border=0)[0]
    assert (qr.version, modules, dots) == (16, 81, 4)        # docs/printing.md "Receipt QR"
    assert (modules + 2 * layout.QR_QUIET_MODULES) * dots <= layout.DOTS
    # rendered at the printer's 576 dots, the code has crisp edges: no grey pixel inside it
    import numpy as np
    import zxingcpp
    from PIL import Image
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(receipt_pdf(signer, app))
    subprocess.run(["pdftoppm", "-png", "-gray", "-scale-to-x", "576", "-scale-to-y", "-1", "-singlefile", str(pdf),
                    str(tmp_path / "r")], check=True)
    im = Image.open(tmp_path / "r.png").convert("L")
    found = zxingcpp.read_barcodes(im)[0]
    p = found.position
    block = np.array(im)[p.top_left.y:p.bottom_right.y, p.top_left.x:p.bottom_right.x]   # corners: one past
    assert block.shape == (modules * dots, modules * dots)
    assert not ((block > 30) & (block < 225)).any()
    assert found.text == qr_text


# --- `kiosk receipt verify` ------------------------------------------------------------------------
@pytest.fixture
def kiosk_dir(tmp_path):
    files = DataFolder(tmp_path / "data")
    files.root.mkdir()
    load_signing_key(files)
    return files


def verify_cli(capsys, *args: str) -> tuple[int, dict]:
    code = main(["receipt", "verify", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_cli_genuine_from_pdf_png_and_text(kiosk_dir, tmp_path, capsys):
    signer = ReceiptSigner(load_receipt_key(kiosk_dir))
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(receipt_pdf(signer))
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(pdf), str(tmp_path / "receipt")], check=True)
    d = ["--data-dir", str(kiosk_dir.root)]
    code, out = verify_cli(capsys, str(pdf), *d)
    assert code == 0, out
    assert out["status"] == "genuine" and out["key"]["source"] == "this kiosk"
    assert out["summary"]["number"] == make_app(3).number
    code, out = verify_cli(capsys, str(tmp_path / "receipt.png"), *d)
    assert code == 0 and out["summary"]["check_code"] == signer.check_code(make_app(3).number)
    qr, _ = signer.seal(make_app(3), provisional=True)
    assert verify_cli(capsys, "--text", qr, *d)[0] == 0
    # another kiosk's data folder does not know this key
    other = DataFolder(tmp_path / "other")
    other.root.mkdir()
    load_receipt_key(other)
    assert verify_cli(capsys, str(pdf), "--data-dir", str(other.root))[1]["status"] == "unknown-key"


def test_cli_unreadable_files_exit_2(kiosk_dir, tmp_path, capsys):
    d = ["--data-dir", str(kiosk_dir.root)]
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    assert verify_cli(capsys, str(junk), *d)[0] == 2
    blank = tmp_path / "blank.png"
    from PIL import Image
    Image.new("L", (200, 200), 255).save(blank)
    assert verify_cli(capsys, str(blank), *d)[0] == 2
    plain = tmp_path / "plain.png"
    segno.make_qr("https://example.org").save(plain, scale=4)
    code, out = verify_cli(capsys, str(plain), *d)
    assert code == 2 and "not a receipt" in out["reason"]
    # an image bomb: a small PNG whose header declares 30000 x 30000 pixels is never decoded
    bomb = tmp_path / "bomb.png"
    Image.new("1", (30000, 30000), 1).save(bomb, optimize=True)
    assert bomb.stat().st_size < 1 << 20
    code, out = verify_cli(capsys, str(bomb), *d)
    assert code == 2 and "too many pixels" in out["reason"]
    tall = tmp_path / "tall.png"
    Image.new("1", (100, 9000), 1).save(tall)
    code, out = verify_cli(capsys, str(tall), *d)
    assert code == 2 and "100x9000" in out["reason"]


def test_cli_detects_a_genuine_qr_on_a_forged_page(kiosk_dir, tmp_path, capsys):
    """The issue's forgery: the genuine QR on a page with a single department, due today (the
    next test rewrites the status line as "已批准，凭此回执直接领取户口簿")."""
    signer = ReceiptSigner(load_receipt_key(kiosk_dir))
    app = make_app(3)
    qr, code = signer.seal(app, provisional=True)
    forged_app = replace(app, requests=(replace(app.requests[0], due=app.created_at.date()),))
    page = render_receipt(forged_app, ReceiptOptions(Text("西湖区政务服务中心", "Xihu kiosk"), "https://x/verify",
                                                     qr_text=qr, check_code=code))
    f = tmp_path / "forged.pdf"
    f.write_bytes(page)
    exit_code, out = verify_cli(capsys, str(f), "--data-dir", str(kiosk_dir.root))
    assert exit_code == 1 and out["status"] == "forged"
    assert "3 department(s)" in out["reason"]
    assert len(out["summary"]["items"]) == 3        # the verifier shows what was really signed


def test_cli_detects_a_changed_status_line(kiosk_dir, tmp_path, capsys, monkeypatch):
    signer = ReceiptSigner(load_receipt_key(kiosk_dir))
    app = make_app(2)
    qr, code = signer.seal(app, provisional=True)
    from kiosk.services.receipts import content as content_mod
    real = content_mod.receipt_content

    def forged(a, o):
        return replace(real(a, o), status=Text("状态：已批准，凭此回执直接领取户口簿", "Status: approved, collect it"))
    monkeypatch.setattr("kiosk.services.receipts.receipt_content", forged)
    f = tmp_path / "forged.pdf"
    f.write_bytes(render_receipt(app, ReceiptOptions(Text("a", "a"), "u", qr_text=qr, check_code=code)))
    exit_code, out = verify_cli(capsys, str(f), "--data-dir", str(kiosk_dir.root))
    assert exit_code == 1 and "status differs" in out["reason"]


def test_cli_needs_exactly_one_input(kiosk_dir, capsys):
    assert main(["receipt", "verify", "--data-dir", str(kiosk_dir.root)]) == 2


def test_receipt_key_is_separate_from_the_sync_key_and_created_once(kiosk_dir):
    a, b = load_receipt_key(kiosk_dir), load_receipt_key(kiosk_dir)
    assert raw_public(a) == raw_public(b) != raw_public(load_signing_key(kiosk_dir))
    assert kiosk_dir.receipt_key.parent == kiosk_dir.keys and oct(kiosk_dir.receipt_key.stat().st_mode)[-3:] == "600"


def test_a_legacy_receipt_key_in_the_data_folder_is_moved(tmp_path):
    from kiosk.services.signing import load_or_create_signing_key
    files = DataFolder(tmp_path / "data")
    files.legacy_keys.mkdir(parents=True)
    old = load_or_create_signing_key(files.legacy_keys / files.receipt_key.name)
    assert raw_public(load_receipt_key(files)) == raw_public(old)
    assert not files.legacy_keys.exists()
    assert key_id_of(raw_public(old)) == ReceiptSigner(old).key_id
