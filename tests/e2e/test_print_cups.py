"""End to end through a real CUPS spooler: CupsPrinter -> lp -> cupsd -> pdftopdf/pdftops -> cups-pdf.

The session fixture runs scripts/cups.sh `start_cups` (idempotent: starts cupsd when the scheduler
is not running, creates the OneVisitReceipts cups-pdf queue if missing, enables it) and FAILS
(never skips) when it cannot: CI must run these tests. A cupsd it starts keeps running afterwards,
like the pcscd of the card tests; scripts/test.sh stops the one it started itself.
"""
from __future__ import annotations

import os
import queue
import random
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from kiosk.devices.cups_printer import OUT_OF_PAPER, UNAVAILABLE, CupsPrinter, page_media, parse_active_jobs
from kiosk.devices.ports import PrinterError
from kiosk.domain.application import AnsweredField, Application, DepartmentRequest, application_number
from kiosk.domain.text import Text
from kiosk.services.receipts import ReceiptOptions, render_receipt

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
QUEUE = os.environ.get("ONEVISIT_CUPS_QUEUE", "OneVisitReceipts")     # as scripts/cups.sh
CUPS_PDF_CONF = Path("/etc/cups/cups-pdf-onevisit.conf")
C = {**os.environ, "LC_ALL": "C"}


def sh(*argv: str, timeout: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=C)


@pytest.fixture(scope="session")
def cups() -> Path:
    """The running scheduler with an enabled OneVisitReceipts queue; returns cups-pdf's output folder."""
    proc = subprocess.run(["bash", "-c", "source scripts/cups.sh && start_cups"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=C)
    if proc.returncode != 0:
        pytest.fail(f"could not start CUPS with the {QUEUE} queue: {proc.stdout}{proc.stderr}", pytrace=False)
    if sh("lpstat", "-r").stdout.strip() != "scheduler is running":
        pytest.fail("start_cups succeeded but the scheduler is not running", pytrace=False)
    out = re.search(r"^Out\s+(\S+)", CUPS_PDF_CONF.read_text(), re.M)
    if not out:
        pytest.fail(f"{CUPS_PDF_CONF} names no output folder", pytrace=False)
    return Path(out.group(1))


def make_app(departments: int = 2) -> Application:
    """An application like tests/unit/test_receipts.py's, with a fresh number (so no old PDF can pass
    for its receipt)."""
    when = datetime.now().replace(microsecond=0)
    number = application_number("3301060001", random.randint(1, 999_999), when)
    answers = (AnsweredField("name", Text("姓名", "Name"), "张三丰", Text("张三丰", "张三丰"), True, False),)
    depts = [(Text("杭州市西湖区卫生健康局", "Xihu District Health Commission"),
              Text("出生医学证明签发", "Birth medical certificate")),
             (Text("杭州市医疗保障局西湖分局", "Xihu Healthcare Security Bureau"),
              Text("城乡居民基本医疗保险参保登记", "Enrolment in basic medical insurance for residents"))]
    requests = tuple(DepartmentRequest(f"item{i}", d, p, promised_days=3 + i, statutory_days=20,
                                       due=date(2026, 11, 25 + i), due_approximate=False, fee=0.0,
                                       fields=("name",), materials=())
                     for i, (d, p) in enumerate(depts[:departments]))
    return Application(number=number, kiosk_id="3301060001", bundle_id="newborn",
                       bundle_title=Text("新生儿出生“一件事”联办", "Having a baby: one-visit bundle"),
                       catalogue_version="2026.11", created_at=when, answers=answers, requests=requests,
                       materials=(), consent=True)


def make_receipt(departments: int = 2) -> tuple[str, bytes]:
    """(application number, receipt PDF) as the kiosk renders it."""
    app = make_app(departments)
    options = ReceiptOptions(kiosk_name=Text("西湖区政务服务中心 自助终端", "Xihu District Service Centre kiosk"),
                             verify_url="https://zwfw.example.gov.cn/v", check_code="7K3M-QX9P-T")
    return app.number, render_receipt(app, options)


def output_of(folder: Path, job: str) -> Path:
    """The PDF cups-pdf wrote for `job` ("Label 2" names it …-job_<N>.pdf)."""
    n = job.rsplit("-", 1)[1]
    found = [p for p in folder.glob("*.pdf") if p.name.endswith(f"-job_{n}.pdf")]
    assert len(found) == 1, f"expected one PDF for {job} in {folder}, found {sorted(p.name for p in folder.iterdir())}"
    return found[0]


def not_completed() -> set[str]:
    """Ids of the queue's jobs still waiting or printing."""
    return parse_active_jobs(sh("lpstat", "-W", "not-completed", "-o", QUEUE).stdout)


@pytest.fixture
def enabled_queue(cups) -> Iterator[Path]:
    yield cups
    sh("cupsenable", QUEUE)          # whatever a test did, leave the queue printing


def test_a_receipt_prints_through_cups(cups):
    number, pdf = make_receipt()
    assert page_media(pdf) is not None
    t0 = time.monotonic()
    job = CupsPrinter(QUEUE).print_pdf(pdf, f"receipt-{number}", timeout=20)
    took = time.monotonic() - t0
    assert re.fullmatch(rf"{QUEUE}-\d+", job)
    out = output_of(cups, job)
    try:
        assert out.stat().st_mode & 0o777 == 0o600
        text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                              check=True, timeout=10).stdout
        flat = "".join(text.split()).replace("-", "")
        assert number.replace("-", "") in flat            # the number may wrap at a hyphen
        assert "Application receipt" in text
        info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True, timeout=10).stdout
        width, height = (float(v) for v in re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
        assert abs(width - 226.77) < 1.5 and height > 280      # 80 mm wide, one receipt long (not A4)
        assert "Pages:           1" in info
    finally:
        out.unlink()
    assert job not in not_completed()
    assert took < 15


def test_a_disabled_queue_fails_fast_and_cupsenable_recovers(enabled_queue):
    printer = CupsPrinter(QUEUE)
    number, pdf = make_receipt(1)
    assert sh("cupsdisable", "-r", "media-empty", QUEUE).returncode == 0
    t0 = time.monotonic()
    with pytest.raises(PrinterError) as e:
        printer.print_pdf(pdf, f"receipt-{number}", timeout=20)
    assert time.monotonic() - t0 < 2
    assert e.value.reason == OUT_OF_PAPER and "media-empty" in e.value.detail
    assert e.value.reason.en == "The receipt printer is out of paper." and e.value.reason.zh
    assert not_completed() == set()                      # nothing left to come out later

    assert sh("cupsdisable", "-r", "closed for maintenance", QUEUE).returncode == 0
    with pytest.raises(PrinterError) as e:
        printer.print_pdf(pdf, f"receipt-{number}", timeout=20)
    assert e.value.reason == UNAVAILABLE and "closed for maintenance" in e.value.detail

    assert sh("cupsenable", QUEUE).returncode == 0       # staff load paper: no restart of anything
    job = printer.print_pdf(pdf, f"receipt-{number}", timeout=20)
    output_of(enabled_queue, job).unlink()


def test_a_missing_queue_is_plainly_not_available(cups):
    _, pdf = make_receipt(1)
    t0 = time.monotonic()
    with pytest.raises(PrinterError) as e:
        CupsPrinter("OneVisitNoSuchQueue").print_pdf(pdf, "receipt-x", timeout=20)
    assert time.monotonic() - t0 < 2
    assert e.value.reason == UNAVAILABLE
    assert e.value.reason.en.startswith("The receipt printer is not available")
    assert "OneVisitNoSuchQueue does not exist" in e.value.detail


def test_an_unreachable_scheduler_is_plainly_not_available(cups, tmp_path):
    _, pdf = make_receipt(1)
    with pytest.raises(PrinterError) as e:
        CupsPrinter(QUEUE, server=str(tmp_path / "no-cupsd.sock")).print_pdf(pdf, "receipt-x", timeout=20)
    assert e.value.reason == UNAVAILABLE and "scheduler is not running" in e.value.detail


def test_the_configured_kiosk_prints_through_cups(cups, tmp_path):
    """compose selects CupsPrinter for devices.printer = "cups"; the runtime's print thread prints the
    signed receipt and posts ReceiptPrinted with the job id, then every thread stops."""
    from kiosk.compose import build_parts
    from kiosk.config import load_config
    from kiosk.flows import effects as fx
    from kiosk.flows import events as ev
    from kiosk.runtime import Runtime

    parts = build_parts(load_config(env={}, overrides={"paths": {"data_dir": str(tmp_path)},
                                                       "devices": {"printer": "cups", "printer_queue": QUEUE}}))
    assert isinstance(parts.devices.printer, CupsPrinter)
    events: queue.Queue = queue.Queue()
    rt = Runtime(devices=parts.devices, catalogue=lambda: parts.catalogue, kiosk_id=parts.config.kiosk.id,
                 open_storage=parts.open_storage, render_receipt=parts.render_receipt, post=events.put,
                 timeouts=parts.timeouts)
    rt.start()
    try:
        app = make_app()
        rt.perform(fx.PrintReceipt(7, app))
        deadline = time.monotonic() + 20
        while True:
            event = events.get(timeout=max(0.1, deadline - time.monotonic()))
            if isinstance(event, (ev.ReceiptPrinted, ev.PrintFailed)):
                break
    finally:
        assert rt.shutdown(3.0)
    assert isinstance(event, ev.ReceiptPrinted), event
    assert event.attempt == 7 and event.location.startswith(f"{QUEUE}-")
    out = output_of(cups, event.location)
    try:
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True, timeout=10).stdout
        assert app.number.replace("-", "") in "".join(text.split()).replace("-", "")
    finally:
        out.unlink()

