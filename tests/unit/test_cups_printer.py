"""The CUPS printer backend without a scheduler: parsing recorded client output and mapping every
failure to a plain reason. The samples are real output of CUPS 2.4.2 (Debian 12) under LC_ALL=C."""
from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence

import pytest

from kiosk.devices import cups_printer as cp
from kiosk.devices.cups_printer import (COVER_OPEN, JOB_CANCELLED, JOB_FAILED, NOT_RESPONDING, OUT_OF_PAPER, PAPER_JAM,
                                        UNAVAILABLE, CupsPrinter, Output, QueueStatus, page_media, parse_active_jobs,
                                        parse_ipptool_job, parse_job_id, parse_printer_status, queue_problem)
from kiosk.devices.ports import PrinterError

Q = "OneVisitReceipts"

LONG_TAIL = """\tForm mounted:
\tContent types: any
\tPrinter types: unknown
\tDescription: OneVisit receipts (cups-pdf)
\tAlerts: {alerts}
\tLocation:\x20
\tConnection: direct
\tInterface: /etc/cups/ppd/OneVisitReceipts.ppd
\tOn fault: no alert
\tAfter fault: continue
\tUsers allowed:
\t\t(all)
\tForms allowed:
\t\t(none)
\tBanner required
\tCharset sets:
\t\t(none)
\tDefault pitch:
\tDefault page size:
\tDefault port settings:
"""


def long_status(header: str, alerts: str = "none", message: str | None = None) -> str:
    return header + "\n" + (f"\t{message}\n" if message is not None else "") + LONG_TAIL.format(alerts=alerts)


IDLE = long_status(f"printer {Q} is idle.  enabled since Sun Nov 22 11:07:57 2026")
PRINTING = long_status(f"printer {Q} now printing {Q}-13.  enabled since Sun Nov 22 11:06:51 2026",
                       message="closed for maintenance")
DISABLED_NO_PAPER = long_status(f"printer {Q} disabled since Sun Nov 22 11:03:34 2026 -", "paused", "media-empty")
DISABLED_NO_REASON = long_status(f"printer {Q} disabled since Sun Nov 22 11:03:34 2026 -", "paused", "reason unknown")
MEDIA_EMPTY_ERROR = long_status(f"printer {Q} is idle.  enabled since Sun Nov 22 11:04:12 2026", "media-empty-error")
HOLDING = long_status(f"printer {Q} is holding new jobs.  enabled since Sun Nov 22 11:06:59 2026", "hold-new-jobs",
                      "Filter failed")
SHORT_DISABLED = f"printer {Q} disabled since Sun Nov 22 11:03:34 2026 -\n\tmedia-empty\n"

NO_DESTINATION = f'lpstat: Invalid destination name in list "{Q}".\n'
LP_NO_PRINTER = "lp: Error - The printer or class does not exist.\n"
LP_NOT_ACCEPTING = f'lp: Destination "{Q}" is not accepting jobs.\n'
LP_OK = f"request id is {Q}-16 (0 file(s))\n"
IPP = "job-state,job-state-reasons\n{}\n"
IPP_NO_JOB = "Job #99 does not exist.\n"
ACTIVE_JOBS = (f"{Q}-10                 root             45056   Sun Nov 22 11:05:58 2026\n"
               f"{Q}-16                 root              1024   Sun Nov 22 11:06:48 2026\n")
ACTIVE_JOBS_LONG = (f"{Q}-16                 root             45056   Sun Nov 22 11:05:58 2026\n"
                    "\tStatus: Filter failed\n\tAlerts: job-completed-with-errors\n\tqueued for OneVisitReceipts\n")

PDF = b"%PDF-1.4\n1 0 obj << /Type /Page /MediaBox [ 0 0 226.7717 898.6014 ] >> endobj\n%%EOF\n"


# --- parsing ------------------------------------------------------------------------------------
def test_parse_idle_long_listing():
    assert parse_printer_status(IDLE, Q) == QueueStatus(Q, "idle", "", (), False)


def test_parse_disabled_with_the_operators_reason():
    st = parse_printer_status(DISABLED_NO_PAPER, Q)
    assert (st.state, st.message, st.reasons) == ("stopped", "media-empty", ("paused",))
    assert parse_printer_status(SHORT_DISABLED, Q) == QueueStatus(Q, "stopped", "media-empty", (), False)
    assert parse_printer_status(DISABLED_NO_REASON, Q).message == ""


def test_parse_printing_holding_and_alerts():
    st = parse_printer_status(PRINTING, Q)
    assert (st.state, st.message, st.reasons) == ("processing", "closed for maintenance", ())
    st = parse_printer_status(HOLDING, Q)
    assert (st.state, st.holding, st.message, st.reasons) == ("idle", True, "Filter failed", ("hold-new-jobs",))
    assert parse_printer_status(MEDIA_EMPTY_ERROR, Q).reasons == ("media-empty-error",)
    two = long_status(f"printer {Q} is idle.  enabled since x", "media-low-warning cover-open-error")
    assert parse_printer_status(two, Q).reasons == ("media-low-warning", "cover-open-error")


def test_parse_another_queue_or_nothing():
    assert parse_printer_status(IDLE, "Other") is None
    assert parse_printer_status(IDLE.replace(Q, Q + "2"), Q) is None       # no prefix match
    assert parse_printer_status("", Q) is None
    assert parse_printer_status(NO_DESTINATION, Q) is None


def test_parse_job_id_ipptool_and_active_jobs():
    assert parse_job_id(LP_OK) == f"{Q}-16"
    assert parse_job_id(f"request id is {Q}-7 (1 file(s))") == f"{Q}-7"
    assert parse_job_id(LP_NO_PRINTER) is None and parse_job_id("") is None
    assert parse_ipptool_job(IPP.format("completed,processing-to-stop-point")) == ("completed", ("processing-to-stop-point",))
    assert parse_ipptool_job(IPP.format("canceled,none")) == ("canceled", ())
    assert parse_ipptool_job(IPP.format('processing-stopped,"job-completed-with-errors,job-stopped"')) == \
        ("processing-stopped", ("job-completed-with-errors", "job-stopped"))
    assert parse_ipptool_job(IPP_NO_JOB) is None and parse_ipptool_job("") is None
    assert parse_active_jobs(ACTIVE_JOBS) == {f"{Q}-10", f"{Q}-16"}
    assert parse_active_jobs(ACTIVE_JOBS_LONG) == {f"{Q}-16"} and parse_active_jobs("") == set()


def test_page_media_follows_the_receipt():
    assert page_media(PDF) == "Custom.226.77x898.60"
    assert page_media(b"%PDF-1.4 no box") is None



# --- mapping to reasons --------------------------------------------------------------------------
@pytest.mark.parametrize("sample, reason, words", [
    (IDLE, None, ""),
    (PRINTING, None, ""),
    (DISABLED_NO_PAPER, OUT_OF_PAPER, "disabled: media-empty"),
    (SHORT_DISABLED.replace("media-empty", "Out of paper"), OUT_OF_PAPER, "Out of paper"),
    (SHORT_DISABLED.replace("media-empty", "卡纸了"), PAPER_JAM, "disabled"),
    (DISABLED_NO_REASON, UNAVAILABLE, "reason unknown"),
    (SHORT_DISABLED.replace("media-empty", "closed for maintenance"), UNAVAILABLE, "closed for maintenance"),
    (MEDIA_EMPTY_ERROR, OUT_OF_PAPER, "media-empty-error"),
    (long_status(f"printer {Q} is idle.  enabled since x", "media-needed"), OUT_OF_PAPER, "media-needed"),
    (long_status(f"printer {Q} is idle.  enabled since x", "media-low-warning"), None, ""),
    (long_status(f"printer {Q} is idle.  enabled since x", "media-empty-report"), None, ""),
    (long_status(f"printer {Q} now printing {Q}-3.  enabled since x", "media-jam-error"), PAPER_JAM, "media-jam"),
    (long_status(f"printer {Q} is idle.  enabled since x", "cover-open-error"), COVER_OPEN, "cover-open"),
    (long_status(f"printer {Q} is idle.  enabled since x", "offline-report"), None, ""),
    (HOLDING, UNAVAILABLE, "holds new jobs"),
])
def test_queue_problem(sample, reason, words):
    got = queue_problem(parse_printer_status(sample, Q))
    if reason is None:
        assert got is None
    else:
        assert got[0] == reason and words in got[1]


def test_every_reason_is_bilingual_and_plain():
    for text in (UNAVAILABLE, OUT_OF_PAPER, PAPER_JAM, COVER_OPEN, JOB_FAILED, JOB_CANCELLED, NOT_RESPONDING):
        assert text.zh and text.en.startswith("The ") and text.en.endswith(".")
        assert "CUPS" not in text.en and "job-" not in text.en and "lp" not in text.en.split()


# --- the printer with scripted clients ----------------------------------------------------------------
class Clients:
    """A stand-in for lp/lpstat/ipptool/cancel: each command answers from its script (the last
    answer repeats); every call is recorded."""

    def __init__(self, **script: list[Output | Callable[[], Output] | BaseException]) -> None:
        self.script = {k.replace("_", " "): list(v) for k, v in script.items()}
        self.calls: list[tuple[list[str], bytes | None, float]] = []

    def __call__(self, argv: Sequence[str], data: bytes | None, timeout: float) -> Output:
        argv = list(argv)
        self.calls.append((argv, data, timeout))
        key = "lpstat r" if argv[:2] == ["lpstat", "-r"] else "lpstat W" if argv[:2] == ["lpstat", "-W"] else argv[0]
        answers = self.script.get(key)
        if not answers:
            raise AssertionError(f"unexpected call {argv}")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer() if callable(answer) else answer

    def ran(self, name: str) -> list[list[str]]:
        return [argv for argv, _, _ in self.calls if argv[0] == name]


def ok(stdout: str = "") -> Output:
    return Output(0, stdout, "")


def fail(stderr: str, rc: int = 1) -> Output:
    return Output(rc, "", stderr)


def printer(clients: Clients, **kw) -> CupsPrinter:
    return CupsPrinter(Q, run=clients, poll_interval=(0.01, 0.02), **kw)


def test_prints_and_returns_the_job_id():
    c = Clients(lpstat=[ok(IDLE)], lp=[ok(LP_OK)],
                ipptool=[ok(IPP.format("pending,none")), ok(IPP.format("processing,job-printing")),
                         ok(IPP.format("completed,processing-to-stop-point"))])
    assert printer(c).print_pdf(PDF, "receipt-3301060001-000042-20261122093015-6", 5) == f"{Q}-16"
    [lp] = c.ran("lp")
    assert lp[:5] == ["lp", "-d", Q, "-t", "receipt-3301060001-000042-20261122093015-6"]
    assert "media=Custom.226.77x898.60" in lp and "document-format=application/pdf" in lp
    assert not any(a.endswith(".pdf") or a == "-" for a in lp[5:] if not a.startswith(("media=", "document-format=")))
    assert [data for argv, data, _ in c.calls if argv[0] == "lp"] == [PDF]      # on stdin: no file of ours
    ipp = c.ran("ipptool")[0]
    assert "job_id=16" in ipp and ipp[-2].endswith(f"/printers/{Q}") and ipp[-1] == "/dev/stdin"
    assert not c.ran("cancel")
    assert all(0 < t <= cp.CALL_TIMEOUT for _, _, t in c.calls)


def test_job_name_is_tamed_and_page_size_can_be_left_to_the_queue():
    c = Clients(lpstat=[ok(IDLE)], lp=[ok(LP_OK)], ipptool=[ok(IPP.format("completed,none"))])
    printer(c, match_page_size=False).print_pdf(PDF, "回执 $(rm -rf /); x", 5)
    [lp] = c.ran("lp")
    assert lp[4] == "_____rm_-rf_____x" and not any(a.startswith("media=") for a in lp)


def test_missing_queue_is_not_available():
    c = Clients(lpstat=[fail(NO_DESTINATION)], lpstat_r=[ok("scheduler is running\n")])
    with pytest.raises(PrinterError) as e:
        printer(c).print_pdf(PDF, "r", 5)
    assert e.value.reason == UNAVAILABLE and "does not exist" in e.value.detail
    assert e.value.reason.en.startswith("The receipt printer is not available")
    assert not c.ran("lp")


def test_scheduler_down_is_not_available():
    c = Clients(lpstat=[fail(NO_DESTINATION)], lpstat_r=[ok("scheduler is not running\n")])
    with pytest.raises(PrinterError) as e:
        printer(c).print_pdf(PDF, "r", 5)
    assert e.value.reason == UNAVAILABLE and "scheduler is not running" in e.value.detail


def test_clients_not_installed():
    c = Clients(lpstat=[FileNotFoundError("lpstat")])
    with pytest.raises(PrinterError) as e:
        printer(c).print_pdf(PDF, "r", 5)
    assert e.value.reason == UNAVAILABLE and "not installed" in e.value.detail


def test_disabled_out_of_paper_fails_before_submitting():
    c = Clients(lpstat=[ok(DISABLED_NO_PAPER)])
    t0 = time.monotonic()
    with pytest.raises(PrinterError) as e:
        printer(c).print_pdf(PDF, "r", 5)
    assert e.value.reason == OUT_OF_PAPER and time.monotonic() - t0 < 0.5
    assert not c.ran("lp") and not c.ran("cancel")


def test_not_accepting_jobs_and_other_lp_refusals():
    c = Clients(lpstat=[ok(IDLE)], lp=[fail(LP_NOT_ACCEPTING)])
    with pytest.raises(PrinterError) as e:
        printer(c).print_pdf(PDF, "r", 5)
    assert e.value.reason == UNAVAILABLE and "not accepting" in e.value.detail
    c = Clients(lpstat=[ok(IDLE)], lp=[fail(LP_NO_PRINTER)], lpstat_r=[ok("scheduler is not running\n")])
    with pytest.raises(PrinterError) as e:
        printer(c).print_pdf(PDF, "r", 5)
    assert e.value.reason == UNAVAILABLE and "not running" in e.value.detail
    c = Clients(lpstat=[ok(IDLE)], lp=[fail("lp: Unsupported document-format \"application/pdf\".\n")])
    with pytest.raises(PrinterError) as e:
        printer(c).print_pdf(PDF, "r", 5)
    assert e.value.reason == JOB_FAILED and "Unsupported" in e.value.detail


def test_not_a_pdf_is_refused_without_calling_cups():
    c = Clients()
    with pytest.raises(PrinterError) as e:
        printer(c).print_pdf(b"hello", "r", 5)
    assert e.value.reason == JOB_FAILED and not c.calls


@pytest.mark.parametrize("state, reason", [("canceled,job-canceled-by-user", JOB_CANCELLED),
                                           ("aborted,aborted-by-system", JOB_FAILED)])
def test_cancelled_or_aborted_job(state, reason):
    c = Clients(lpstat=[ok(IDLE)], lp=[ok(LP_OK)], ipptool=[ok(IPP.format("processing,none")), ok(IPP.format(state))])
    with pytest.raises(PrinterError) as e:
        printer(c).print_pdf(PDF, "r", 5)
    assert e.value.reason == reason and f"{Q}-16" in e.value.detail
    assert not c.ran("cancel")                    # it is over already


@pytest.mark.parametrize("state, reason", [('processing-stopped,"job-completed-with-errors"', JOB_FAILED),
                                           ("pending-held,job-hold-until-specified", UNAVAILABLE)])
def test_stuck_job_is_cancelled(state, reason):
    c = Clients(lpstat=[ok(IDLE)], lp=[ok(LP_OK)], ipptool=[ok(IPP.format(state))], cancel=[ok()])
    with pytest.raises(PrinterError) as e:
        printer(c).print_pdf(PDF, "r", 5)
    assert e.value.reason == reason
    assert c.ran("cancel") == [["cancel", f"{Q}-16"]]


def test_paper_runs_out_while_printing():
    c = Clients(lpstat=[ok(IDLE), ok(PRINTING.replace("\tAlerts: none", "\tAlerts: media-empty-error"))],
                lp=[ok(LP_OK)], ipptool=[ok(IPP.format("processing,job-printing"))], cancel=[ok()])
    with pytest.raises(PrinterError) as e:
        printer(c).print_pdf(PDF, "r", 5)
    assert e.value.reason == OUT_OF_PAPER and c.ran("cancel") == [["cancel", f"{Q}-16"]]


def test_queue_vanishing_mid_job_still_withdraws_the_job():
    c = Clients(lpstat=[ok(IDLE), fail(NO_DESTINATION)], lpstat_r=[ok("scheduler is running\n")], lp=[ok(LP_OK)],
                ipptool=[ok(IPP.format("pending,none"))], cancel=[ok()])
    with pytest.raises(PrinterError) as e:
        printer(c).print_pdf(PDF, "r", 5)
    assert e.value.reason == UNAVAILABLE and c.ran("cancel") == [["cancel", f"{Q}-16"]]


def test_timeout_cancels_the_job_and_stays_within_the_timeout():
    c = Clients(lpstat=[ok(PRINTING)], lp=[ok(LP_OK)], ipptool=[ok(IPP.format("processing,job-printing"))],
                cancel=[ok()])
    t0 = time.monotonic()
    with pytest.raises(PrinterError) as e:
        printer(c).print_pdf(PDF, "r", 0.6)
    took = time.monotonic() - t0
    assert e.value.reason == NOT_RESPONDING and "cancelled" in e.value.detail
    assert c.ran("cancel") == [["cancel", f"{Q}-16"]]
    assert 0.45 < took <= 0.65
    assert all(t <= 0.6 for _, _, t in c.calls)


def test_closing_the_printer_at_shutdown_ends_a_print_in_progress_at_once():
    """The kiosk's exit does not wait out a receipt the printer is still working on; the job is
    left with CUPS (no cancel call while the kiosk stops)."""
    import threading
    c = Clients(lpstat=[ok(PRINTING)], lp=[ok(LP_OK)], ipptool=[ok(IPP.format("processing,job-printing"))])
    p = CupsPrinter(Q, run=c, poll_interval=(0.5, 1.0))
    threading.Timer(0.3, p.close).start()
    t0 = time.monotonic()
    with pytest.raises(PrinterError) as e:
        p.print_pdf(PDF, "r", 30)
    assert time.monotonic() - t0 < 1.0
    assert e.value.reason == UNAVAILABLE and "shutting down" in e.value.detail
    assert not c.ran("cancel")
    with pytest.raises(PrinterError):
        p.print_pdf(PDF, "r", 30)                  # nothing new is sent once closed
    assert len(c.ran("lp")) == 1


def test_a_hanging_client_is_bounded():
    c = Clients(lpstat=[ok(IDLE)], lp=[subprocess.TimeoutExpired("lp", 0.5)])
    with pytest.raises(PrinterError) as e:
        printer(c).print_pdf(PDF, "r", 5)
    assert e.value.reason == NOT_RESPONDING and "lp did not answer" in e.value.detail


def test_a_failing_cancel_still_reports_the_real_problem():
    c = Clients(lpstat=[ok(IDLE)], lp=[ok(LP_OK)], ipptool=[ok(IPP.format("processing-stopped,none"))],
                cancel=[fail("cancel: Unable to connect to server.\n")])
    with pytest.raises(PrinterError) as e:
        printer(c).print_pdf(PDF, "r", 5)
    assert e.value.reason == JOB_FAILED


def test_without_ipptool_falls_back_to_lpstat():
    c = Clients(lpstat=[ok(IDLE)], lp=[ok(LP_OK)], ipptool=[FileNotFoundError("ipptool")],
                lpstat_W=[ok(ACTIVE_JOBS), ok("")])
    assert printer(c).print_pdf(PDF, "r", 5) == f"{Q}-16"
    assert len(c.ran("ipptool")) == 1            # not tried again
    assert next(a for a in c.calls if a[0][:2] == ["lpstat", "-W"])[0] == ["lpstat", "-W", "not-completed", "-o", Q]


def test_ipptool_that_cannot_find_the_job_falls_back_to_lpstat():
    c = Clients(lpstat=[ok(IDLE)], lp=[ok(LP_OK)], ipptool=[fail(IPP_NO_JOB)], lpstat_W=[ok("")])
    assert printer(c).print_pdf(PDF, "r", 5) == f"{Q}-16"


def test_printer_uri_for_ipptool(monkeypatch):
    monkeypatch.delenv("CUPS_SERVER", raising=False)
    assert CupsPrinter(Q, server="/run/cups/cups.sock")._printer_uri() == f"ipp://%2Frun%2Fcups%2Fcups.sock/printers/{Q}"
    assert CupsPrinter(Q, server="printhost:631")._printer_uri() == f"ipp://printhost:631/printers/{Q}"
    monkeypatch.setenv("CUPS_SERVER", "other:632")
    assert CupsPrinter(Q)._printer_uri() == f"ipp://other:632/printers/{Q}"


@pytest.mark.parametrize("name", ["", "has space", "a/b", "-d", "x#y", "q" * 128])
def test_queue_name_is_checked(name):
    with pytest.raises(ValueError):
        CupsPrinter(name)


def test_is_a_printer_port():
    from kiosk.devices.ports import Printer
    p = CupsPrinter(Q)
    assert isinstance(p, Printer) and Q in p.name


# --- configuration ---------------------------------------------------------------------------------
def test_configuration_selects_the_cups_printer(tmp_path):
    from kiosk.compose import ConfigurationProblem, build_parts
    from kiosk.config import load_config
    base = {"paths": {"data_dir": str(tmp_path)}}
    cfg = load_config(env={}, overrides=base)
    assert cfg.devices.printer_queue == "OneVisitReceipts"
    parts = build_parts(load_config(env={"ONEVISIT_DEVICES_PRINTER_QUEUE": "Thermal80"},
                                    overrides={**base, "devices": {"printer": "cups"}}))
    assert isinstance(parts.devices.printer, CupsPrinter) and parts.devices.printer.queue == "Thermal80"
    with pytest.raises(ConfigurationProblem, match="printer_queue"):
        build_parts(load_config(env={}, overrides={**base, "devices": {"printer": "cups", "printer_queue": "a b"}}))
    with pytest.raises(ConfigurationProblem, match="'sim', 'cups' or 'escpos'"):
        build_parts(load_config(env={}, overrides={**base, "devices": {"printer": "thermal"}}))
