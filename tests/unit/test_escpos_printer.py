"""The ESC/POS backend's parts: DLE EOT status decoding, the 576-dot raster of a real receipt,
large print, the address setting, and the virtual printer's command parser. The end-to-end
prints (backend -> TCP / pty -> virtual printer) are in tests/e2e/test_print_escpos.py."""
from __future__ import annotations

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from kiosk.devices import escpos_status as st
from kiosk.devices.escpos_printer import Address, EscposPrinter, parse_address
from kiosk.devices.escpos_raster import PRINT_WIDTH, RasterError, receipt_raster, reflow, snap_qr
from kiosk.devices.ports import PrinterError
from tests.e2e.test_print_cups import make_receipt
from testkit.escpos_printer import Parser

OK = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}


# --- status ---------------------------------------------------------------------------------------
def test_a_ready_printer_has_no_problem_and_no_warning():
    s = st.parse_status(OK)
    assert s.problem() is None and s.warning() is None and s.describe().startswith("ready")


@pytest.mark.parametrize("answers, reason", [
    ({4: 0x72}, st.OUT_OF_PAPER),                          # roll sensor: paper end
    ({1: 0x1A, 2: 0x32, 4: 0x7E}, st.OUT_OF_PAPER),        # what an Epson says with no paper
    ({2: 0x32}, st.OUT_OF_PAPER),                          # stopped at paper end, sensor not read
    ({1: 0x1A, 2: 0x16}, st.COVER_OPEN),
    ({1: 0x1A}, st.OFFLINE),
    ({3: 0x1A}, st.CUTTER_JAM),
    ({3: 0x32}, st.PRINTER_FAULT),
    ({3: 0x52}, st.OVERHEATED),
])
def test_each_problem_has_its_plain_reason(answers, reason):
    assert st.parse_status({**OK, **answers}).problem() == reason


def test_paper_near_end_still_prints_but_warns_the_staff():
    s = st.parse_status({**OK, 4: 0x1E})
    assert s.problem() is None and s.warning() == st.PAPER_NEAR_END
    assert st.parse_status({**OK, 4: 0x7E}).warning() is None     # empty, not "near end"


def test_out_of_paper_wins_over_the_cover_and_offline():
    s = st.parse_status({1: 0x1A, 2: 0x36, 3: 0x12, 4: 0x7E})
    assert s.cover_open and s.offline and s.problem() == st.OUT_OF_PAPER


@pytest.mark.parametrize("byte", [0x00, 0xFF, 0x13, 0x92, 0x10])
def test_a_byte_that_is_not_a_status_answer_is_refused(byte):
    with pytest.raises(st.StatusFormatError):
        st.parse_status({**OK, 2: byte})


def test_every_reason_is_bilingual_and_says_what_to_do():
    for reason in (st.OUT_OF_PAPER, st.COVER_OPEN, st.OFFLINE, st.CUTTER_JAM, st.PRINTER_FAULT, st.OVERHEATED,
                   st.PAPER_NEAR_END, st.NOT_RESPONDING, st.JOB_FAILED):
        assert reason.zh and reason.en and reason.zh != reason.en
        assert "请" in reason.zh and ("Staff:" in reason.en or "Please" in reason.en)


# --- the raster -----------------------------------------------------------------------------------
def decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image.convert("L")) if r.format == zxingcpp.BarcodeFormat.QRCode]


@pytest.fixture(scope="module")
def receipt() -> tuple[str, bytes]:
    return make_receipt(2)


def pdf_qr(pdf: bytes) -> str:
    """What the receipt's own QR says, read from the PDF rendered at 300 dpi (not our raster)."""
    import io
    import subprocess
    png = subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", "-"], input=pdf,
                         capture_output=True, check=True, timeout=20).stdout
    texts = decode(Image.open(io.BytesIO(png)))
    assert len(texts) == 1
    return texts[0]


def test_the_receipt_is_one_576_dot_raster_whose_qr_decodes(receipt):
    number, pdf = receipt
    r = receipt_raster(pdf)
    assert r.image.mode == "1" and r.image.width == PRINT_WIDTH == 576
    assert 1200 < r.image.height < 2600                     # one receipt: 150..325 mm at 8 dots/mm
    assert decode(r.image) == [pdf_qr(pdf)] and number in pdf_qr(pdf)
    assert len(r.packed()) == 576 // 8 * r.image.height


def test_the_qr_modules_are_a_whole_number_of_dots(receipt):
    _, pdf = receipt
    r = receipt_raster(pdf)
    assert r.qr_module_dots is not None and r.qr_module_dots >= 4
    dots = ~np.asarray(r.image, dtype=bool)
    rows = np.flatnonzero(dots.any(axis=1))
    # the QR's rows: the tallest run of dark rows; every run of equal rows inside it is a multiple
    # of the module size, which it would not be if a module row came out a dot thinner
    qr = max(_runs(dots.any(axis=1)), key=lambda ab: ab[1] - ab[0])
    block = dots[qr[0]:qr[1]]
    changes = np.flatnonzero((block[1:] != block[:-1]).any(axis=1)) + 1
    bounds = np.concatenate(([0], changes, [len(block)]))
    assert all(n % r.qr_module_dots == 0 for n in np.diff(bounds)), np.diff(bounds)
    assert rows.size


def test_snapping_fixes_a_qr_drawn_at_fractions_of_a_dot():
    """A 21-module QR of 6.4-dot modules at a fractional offset, rendered with anti-aliasing."""
    rng = np.random.default_rng(3)
    modules = rng.random((21, 21)) < 0.5
    finder = np.ones((7, 7), bool)
    finder[1:6, 1:6] = False
    finder[2:5, 2:5] = True
    for r, c in ((0, 0), (0, 14), (14, 0)):
        modules[r:r + 7, c:c + 7] = finder
    modules[7, :8] = modules[:8, 7] = modules[7, 13:] = modules[:8, 13] = modules[13, :8] = modules[13:, 7] = False
    hi = np.kron(modules, np.ones((64, 64)))                      # 10x supersampled, modules 6.4 dots
    canvas = np.zeros((300 * 10, 300 * 10))
    canvas[373:373 + hi.shape[0], 417:417 + hi.shape[1]] = hi     # offsets of 0.3 and 0.7 dots
    dark = canvas.reshape(300, 10, 300, 10).mean(axis=(1, 3)).astype(np.float32)
    mono = dark >= 0.33
    assert snap_qr(dark, mono) == 6
    ys, xs = np.nonzero(mono)
    y0, x0 = ys.min(), xs.min()
    assert np.array_equal(mono[y0:y0 + 126, x0:x0 + 126], np.kron(modules, np.ones((6, 6), bool)))


def test_no_qr_leaves_the_page_alone():
    dark = np.zeros((200, 576), np.float32)
    dark[50:60, 20:400] = 1.0                                    # a line of "text"
    mono = dark >= 0.33
    before = mono.copy()
    assert snap_qr(dark, mono) is None and np.array_equal(mono, before)


def test_large_print_is_larger_still_576_wide_and_its_qr_still_decodes(receipt):
    _, pdf = receipt
    normal, large = receipt_raster(pdf), receipt_raster(pdf, scale=1.5)
    assert large.image.width == 576 and large.image.height > normal.image.height * 1.4
    assert large.qr_module_dots is not None and large.qr_module_dots > normal.qr_module_dots
    assert decode(large.image) == [pdf_qr(pdf)]


def test_reflow_breaks_a_long_line_between_words_and_keeps_its_indent():
    line = np.zeros((10, 300), bool)
    words = [(20, 80), (86, 150), (156, 230), (236, 290)]         # 6-dot gaps between words
    for a, b in words:
        line[:, a:b] = True
        line[:, (a + b) // 2] = False                             # a 1-dot gap inside each word
    out = reflow(line, 200, word_gap=4)
    assert out.shape[1] == 200
    pieces = [(a, b) for a, b in _runs(out.any(axis=1))]
    assert len(pieces) == 2
    first = np.flatnonzero(out[pieces[0][0]].astype(bool))
    second = np.flatnonzero(out[pieces[1][0]].astype(bool))
    assert first[0] == second[0] == 20                            # the indent, on both lines
    assert first[-1] - first[0] + 1 == 150 - 20                  # cut after word 2, not inside a word
    assert second[-1] - second[0] + 1 == 290 - 156


def test_not_a_pdf_is_refused():
    with pytest.raises(RasterError):
        receipt_raster(b"<html>")


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    from kiosk.devices.escpos_raster import _runs as runs
    return runs(flags)


# --- the address and the port -----------------------------------------------------------------------
@pytest.mark.parametrize("text, address", [
    ("192.168.1.50", Address("192.168.1.50", 9100)),
    ("printer.local:9101", Address("printer.local", 9101)),
    ("[fe80::1]:9100", Address("fe80::1", 9100)),
    ("/dev/ttyUSB0", Address(device="/dev/ttyUSB0")),
    ("/dev/usb/lp0", Address(device="/dev/usb/lp0")),
])
def test_addresses(text, address):
    assert parse_address(text) == address


@pytest.mark.parametrize("text", ["", "host:0", "host:70000", "/etc/passwd", "/tmp/x", "a b:9100", "-oProxy:1", "h:x"])
def test_bad_addresses_are_refused(text):
    with pytest.raises(ValueError):
        parse_address(text)


def test_a_printer_nobody_answers_for_is_not_responding_within_the_timeout(receipt):
    import socket
    import time
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)                     # accepts the connection, never answers DLE EOT
    try:
        t0 = time.monotonic()
        with pytest.raises(PrinterError) as e:
            EscposPrinter(f"127.0.0.1:{srv.getsockname()[1]}").print_pdf(receipt[1], "r", timeout=1.5)
        assert time.monotonic() - t0 < 3
        assert e.value.reason == st.NOT_RESPONDING and "DLE EOT 1" in e.value.detail
    finally:
        srv.close()


def test_a_refused_connection_is_not_responding(receipt):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                         # nothing listens there now
    with pytest.raises(PrinterError) as e:
        EscposPrinter(f"127.0.0.1:{port}").print_pdf(receipt[1], "r", timeout=3)
    assert e.value.reason == st.NOT_RESPONDING and "connect" in e.value.detail


# --- the virtual printer's parser ---------------------------------------------------------------------
def test_the_parser_reads_commands_split_anywhere():
    raster = b"\x1dv0\x00\x02\x00\x03\x00" + bytes(range(6))
    stream = b"\x1b@" + raster + b"\x1bd\x06\x1dV\x00\x10\x04\x04\x1dVA\x10\x0a"
    for cut in range(len(stream)):
        p = Parser()
        cmds = p.feed(stream[:cut]) + p.feed(stream[cut:])
        assert [c.name for c in cmds] == ["init", "raster", "feed_lines", "cut", "status", "cut", "line_feed"]
        assert cmds[1].args == (0, 2, 3) and cmds[1].data == bytes(range(6)) and cmds[4].args == (4,)
        assert p.pending == 0


def test_the_parser_reports_what_it_does_not_know():
    assert [(c.name, c.args) for c in Parser().feed(b"\x1b\x74\x10\x04\x09")][:2] == [("unknown", (0x1B,)), ("unknown", (0x74,))]


# --- configuration ---------------------------------------------------------------------------------
def test_configuration_selects_the_escpos_printer_and_checks_its_keys(tmp_path):
    from kiosk.compose import ConfigurationProblem, build_parts
    from kiosk.config import ConfigError, load_config
    base = {"paths": {"data_dir": str(tmp_path)}}
    parts = build_parts(load_config(env={"ONEVISIT_DEVICES_ESCPOS_ADDRESS": "10.0.0.9"}, overrides={
        **base, "devices": {"printer": "escpos", "escpos_large_print": True}}))
    printer = parts.devices.printer
    assert isinstance(printer, EscposPrinter)
    assert printer.address == Address("10.0.0.9", 9100) and printer.scale == 1.5
    with pytest.raises(ConfigurationProblem, match="escpos_address"):
        build_parts(load_config(env={}, overrides={**base, "devices": {"printer": "escpos"}}))
    with pytest.raises(ConfigurationProblem, match="escpos_address"):
        build_parts(load_config(env={}, overrides={**base, "devices": {"printer": "escpos", "escpos_address": "/etc/x"}}))
    with pytest.raises(ConfigError, match="escpos_baud"):
        load_config(env={}, overrides={"devices": {"escpos_baud": 12345}})
    with pytest.raises(ConfigError, match=r"unknown key devices\.escpos_host"):
        load_config(env={}, overrides={"devices": {"escpos_host": "10.0.0.9"}})
