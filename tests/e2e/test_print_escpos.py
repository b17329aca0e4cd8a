"""End to end to a virtual ESC/POS printer (testkit/escpos_printer): the configured kiosk's print
thread renders the signed receipt, EscposPrinter sends it over TCP (or a pty, as to a serial
printer), and the virtual printer parses the commands, answers DLE EOT and stores the job as a PNG,
which is checked as a citizen would: 576 dots wide, one raster, cut, and a QR that scans to what
the receipt's own QR says."""
from __future__ import annotations

import queue
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from kiosk.devices import escpos_status as st
from kiosk.devices.escpos_printer import EscposPrinter
from kiosk.devices.ports import PrinterError
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from tests.e2e.test_print_cups import make_receipt
from testkit.escpos_printer import VirtualEscposPrinter

pytestmark = pytest.mark.e2e


@pytest.fixture
def printer(tmp_path) -> Iterator[VirtualEscposPrinter]:
    p = VirtualEscposPrinter(tmp_path / "jobs")
    p.start()
    yield p
    p.stop()


def qr_texts(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image.convert("L")) if r.format == zxingcpp.BarcodeFormat.QRCode]


def pdf_qr(pdf: bytes) -> str:
    """What the receipt's own QR says, read from the PDF rendered at 300 dpi (not our raster)."""
    png = subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", "-"], input=pdf,
                         capture_output=True, check=True, timeout=20).stdout
    from io import BytesIO
    texts = qr_texts(Image.open(BytesIO(png)))
    assert len(texts) == 1
    return texts[0]


@pytest.fixture
def kiosk(tmp_path, printer):
    """The kiosk composed with devices.printer = "escpos" at the virtual printer, its runtime started."""
    from kiosk.compose import build_parts
    from kiosk.config import load_config
    from kiosk.runtime import Runtime
    parts = build_parts(load_config(env={}, overrides={
        "paths": {"data_dir": str(tmp_path / "data")},
        "devices": {"printer": "escpos", "escpos_address": printer.address, "face": "sim"}}))
    assert isinstance(parts.devices.printer, EscposPrinter)
    events: queue.Queue = queue.Queue()
    rt = Runtime(devices=parts.devices, catalogue=lambda: parts.catalogue, kiosk_id=parts.config.kiosk.id,
                 open_storage=parts.open_storage, render_receipt=parts.render_receipt, post=events.put,
                 timeouts=parts.timeouts)
    rt.start()
    yield parts, rt, events
    assert rt.shutdown(3.0)


def signed_number(parts, qr: str) -> str:
    """The application number the receipt QR carries: receipt-qr made the QR a payload signed
    with the kiosk's receipt key (OV1:...), so it is verified with that key, then read."""
    from kiosk.services.receipts.seal import verify_receipt_payload
    from kiosk.services.receipts.trust import own_receipt_key
    key = own_receipt_key(parts.files, parts.config.kiosk.id)
    assert key is not None
    verdict = verify_receipt_payload(qr, {key.key_id: key})
    assert verdict.genuine and verdict.summary is not None, verdict.reason
    return verdict.summary.number


def wait_for(events: queue.Queue, *kinds: type, timeout: float = 30) -> object:
    deadline = time.monotonic() + timeout
    while True:
        event = events.get(timeout=max(0.1, deadline - time.monotonic()))
        if isinstance(event, kinds):
            return event


def store_one(parts, rt, events):
    from kiosk.domain.drafting import build_draft
    now = datetime.now().replace(microsecond=0)
    bundle = parts.catalogue.bundles[0]
    draft = build_draft(parts.catalogue, bundle, {}, frozenset(), {}, drafted_at=now)
    rt.perform(fx.StoreApplication(1, replace(draft, consent=True), now))
    stored = wait_for(events, ev.ApplicationStored, ev.StoreFailed)
    assert isinstance(stored, ev.ApplicationStored), stored
    return stored.application


def test_the_configured_kiosk_prints_one_576_dot_raster_whose_qr_scans(kiosk, printer):
    parts, rt, events = kiosk
    app = store_one(parts, rt, events)
    rt.perform(fx.PrintReceipt(2, app))
    done = wait_for(events, ev.ReceiptPrinted, ev.PrintFailed)
    assert isinstance(done, ev.ReceiptPrinted), done
    [job] = printer.printed
    assert job.commands == ["init", "raster", "feed_lines", "cut"]      # ONE raster, then cut
    assert printer.unknown == b""                                        # nothing it did not understand
    png = Image.open(job.png)
    assert png.size[0] == 576 and png.size[1] > 1000
    assert qr_texts(png) == [pdf_qr(parts.render_receipt(app))]
    assert signed_number(parts, qr_texts(png)[0]) == app.number


def test_out_of_paper_is_said_plainly_nothing_is_sent_and_the_stored_application_reprints(kiosk, printer):
    parts, rt, events = kiosk
    app = store_one(parts, rt, events)
    printer.mode = "out_of_paper"
    rt.perform(fx.PrintReceipt(2, app))
    failed = wait_for(events, ev.ReceiptPrinted, ev.PrintFailed)
    assert isinstance(failed, ev.PrintFailed)
    assert failed.reason == st.OUT_OF_PAPER
    assert "out of paper" in failed.reason.en and "纸" in failed.reason.zh
    assert set(printer.log) == {"status"} and printer.jobs == []          # asked, sent nothing

    db = parts.open_storage()                     # the application is kept ...
    try:
        again = db.load(app.number)
    finally:
        db.close()
    assert again.number == app.number
    printer.mode = "ok"                            # ... staff load paper, and it reprints
    rt.perform(fx.PrintReceipt(3, again))
    done = wait_for(events, ev.ReceiptPrinted, ev.PrintFailed)
    assert isinstance(done, ev.ReceiptPrinted), done
    [job] = printer.printed
    assert signed_number(parts, qr_texts(Image.open(job.png))[0]) == app.number


def test_a_cover_opened_mid_job_is_reported_after_printing_on_a_serial_line(printer):
    number, pdf = make_receipt(1)
    pty = printer.open_pty()
    printer.mode_after_raster = "cover_open"        # opened while the raster prints
    with pytest.raises(PrinterError) as e:
        EscposPrinter(pty, print_speed_mm_s=1000).print_pdf(pdf, f"receipt-{number}", timeout=15)
    assert e.value.reason == st.COVER_OPEN and "sent, then" in e.value.detail
    assert printer.printed == [] and printer.jobs[0].rasters         # it arrived, but did not come out whole
    printer.mode = "ok"
    EscposPrinter(pty, print_speed_mm_s=1000).print_pdf(pdf, f"receipt-{number}", timeout=15)
    assert len(printer.printed) == 1


def test_paper_near_end_prints_and_warns_the_staff(printer):
    number, pdf = make_receipt(1)
    printer.mode = "near_end"
    p = EscposPrinter(printer.address, print_speed_mm_s=1000)
    p.print_pdf(pdf, f"receipt-{number}", timeout=15)
    assert len(printer.printed) == 1 and p.last_warning == st.PAPER_NEAR_END


def test_large_print_comes_out_576_wide_longer_and_scannable(printer):
    _, pdf = make_receipt(2)
    EscposPrinter(printer.address, print_speed_mm_s=1000).print_pdf(pdf, "normal", timeout=15)
    EscposPrinter(printer.address, large_print=True, print_speed_mm_s=1000).print_pdf(pdf, "large", timeout=15)
    normal, large = (Image.open(j.png) for j in printer.printed)
    assert normal.width == large.width == 576 and large.height > normal.height * 1.4
    assert qr_texts(large) == qr_texts(normal) == [pdf_qr(pdf)]


def test_close_ends_a_job_waiting_on_a_silent_printer_at_once(tmp_path):
    import socket
    import threading
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)                                  # connects, never answers
    p = EscposPrinter(f"127.0.0.1:{srv.getsockname()[1]}")
    _, pdf = make_receipt(1)
    got: list[PrinterError] = []

    def job() -> None:
        try:
            p.print_pdf(pdf, "r", 20)
        except PrinterError as exc:
            got.append(exc)
    t = threading.Thread(target=job)
    try:
        t.start()
        time.sleep(0.8)
        t0 = time.monotonic()
        p.close()
        t.join(3)
        assert not t.is_alive() and time.monotonic() - t0 < 1.5
        assert got and got[0].reason == st.NOT_RESPONDING
    finally:
        srv.close()


def test_the_jobs_folder_holds_only_what_printed(printer, tmp_path):
    _, pdf = make_receipt(1)
    printer.mode = "cover_open"
    with pytest.raises(PrinterError):
        EscposPrinter(printer.address).print_pdf(pdf, "r", timeout=10)
    assert sorted(Path(printer.folder).iterdir()) == []


def test_health_reports_the_paper_and_cover_for_staff(printer):
    """`kiosk health` and the staff line ask the ESC/POS printer itself: ready with paper, a plain
    fault when it is out of paper or its cover is open, and not ready when nothing answers."""
    p = EscposPrinter(printer.address)
    ok = p.health(3.0)
    assert ok.ready and ok.paper == "ok" and ok.problem is None
    printer.mode = "out_of_paper"
    out = p.health(3.0)
    assert not out.ready and out.paper == "out" and out.problem == st.OUT_OF_PAPER
    printer.mode = "cover_open"
    assert not p.health(3.0).ready
    printer.stop()
    gone = p.health(2.0)
    assert not gone.ready and gone.problem is not None
