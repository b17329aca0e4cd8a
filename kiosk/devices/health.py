"""Device probes for `kiosk health` and the staff line: is each configured device there and
answering? One probe per device, each `probe(timeout) -> Check` (kiosk/domain/health.py).

Threads: kiosk/services/health.py runs every probe on a thread of its own ("health-<name>") and
gives up on it after its timeout, never on the GUI thread. Each probe bounds its own waits by the
timeout too; the only call that cannot be bounded in-process, loading a vendor library (its
initialisers run arbitrary code), runs in a child process that is killed at the timeout.

Inside the running kiosk (`in_kiosk=True`) the probes that would take a device from its owner
thread are not run: the camera (a V4L2 device streams to one opener; the face check owns it) and
the SAM reader's serial port (locked by the card thread). Their failures reach the citizen and the
log through the journey itself; `kiosk health` from a shell probes them when the kiosk is stopped,
and says "in use" for a SAM port the kiosk holds.
"""
from __future__ import annotations

import glob
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.devices.ports import Printer, PrinterHealth
from kiosk.domain.health import Check, fault, note, ok
from kiosk.domain.text import Text
from kiosk.i18n import tr

if TYPE_CHECKING:
    from kiosk.config import Config

Probe = Callable[[float], Check]

SIMULATED = tr("模拟设备（演示用），不可用于真实办理。")
FIX_CABLE = tr("检查设备的电源和连接线；仍不行请联系运维。")
PRINTER_SIMULATED = tr("回执打印机：{simulated}").format(simulated=SIMULATED)


# --- card readers ---------------------------------------------------------------------------------
def pcsc_probe(reader_name: str) -> Probe:
    """The PC/SC service answers and lists the configured reader ("" = any reader)."""
    def probe(timeout: float) -> Check:
        from smartcard import scard
        name = "card_reader.pcsc"
        hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hr != scard.SCARD_S_SUCCESS:
            return fault(name, tr("读卡服务（pcscd）没有运行。"),
                         tr("启动 pcscd（systemctl start pcscd），然后重启自助终端。"))
        try:
            hr, readers = scard.SCardListReaders(ctx, [])
        finally:
            scard.SCardReleaseContext(ctx)
        readers = list(readers) if hr == scard.SCARD_S_SUCCESS else []
        wanted = [r for r in readers if reader_name in r]
        if not wanted:
            missing = tr("未找到读卡器 “{name}”。").format(name=reader_name) if reader_name else tr("未找到读卡器。")
            return fault(name, missing,
                         tr("检查读卡器的 USB 连接线；插好后等几秒再查。"),
                         readers=readers)
        return ok(name, tr("读卡器已连接：{name}").format(name=wanted[0]), readers=readers)
    return probe


def sam_probe(port: str, baud: int) -> Probe:
    """The SAM reader's serial port opens and the SAM answers its status command."""
    def probe(timeout: float) -> Check:
        import serial

        from kiosk.devices.idcard.sam_reader import AUTO_PORTS, SamCardReader
        name = "card_reader.sam"
        ports = [port] if port else sorted(p for pattern in AUTO_PORTS for p in glob.glob(pattern))
        if not ports:
            return fault(name, tr("未找到身份证阅读器的串口。"),
                         FIX_CABLE)
        problems = []
        for path in ports:
            try:     # the kiosk's card thread holds the port with an exclusive lock while it runs
                serial.Serial(path, baud, timeout=0.05, exclusive=True).close()
            except serial.SerialException as exc:
                if "lock" in str(exc):
                    return note(name, tr("身份证阅读器 {port} 正由自助终端使用，未检测。").format(port=path), port=path)
                problems.append(f"{path}: {type(exc).__name__}")
                continue
            reader = SamCardReader(path, baud, command_timeout=max(0.1, min(0.5, timeout / 3)))
            try:
                reader.check()
                return ok(name, tr("身份证阅读器在 {port} 上应答正常。").format(port=path), port=path)
            except Exception as exc:  # noqa: BLE001 - a CardError or a serial error: said below, probe goes on
                problems.append(f"{path}: {getattr(exc, 'detail', '') or type(exc).__name__}")
            finally:
                reader.close()
        return fault(name, tr("身份证阅读器没有应答。"), FIX_CABLE,
                     tried="; ".join(problems))
    return probe


def library_probe(name: str, path: str, what: Text) -> Probe:
    """A vendor library (card reader SDK, photo decoder) is an absolute file and loads, in a child
    process so that a library that crashes or hangs while loading cannot take the kiosk with it."""
    def probe(timeout: float) -> Check:
        act = tr("检查配置中的{what}路径，或重新安装厂家驱动。").format(what=what)
        if not (Path(path).is_absolute() and Path(path).is_file()):
            return fault(name, tr("{what}不存在：{path}").format(what=what, path=path or tr("（未配置）")), act)
        try:
            done = subprocess.run([sys.executable, "-I", "-c", "import ctypes, sys; ctypes.CDLL(sys.argv[1])", path],
                                  capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return fault(name, tr("{what}加载超时（{timeout:g} 秒）。").format(what=what, timeout=timeout), act)
        if done.returncode != 0:
            why = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
            return fault(name, tr("{what}无法加载。").format(what=what), act, error=why[0][:200])
        return ok(name, tr("{what}可以加载。").format(what=what), path=path)
    return probe


def _unknown_reader(kind: str) -> Probe:
    def probe(timeout: float) -> Check:
        return fault(f"card_reader.{kind}", tr("未知的读卡器类型：{kind}").format(kind=kind),
                     tr("改正配置 devices.card_reader。"))
    return probe


def card_reader_probes(config: Config, in_kiosk: bool) -> list[tuple[str, Probe]]:
    d = config.devices
    probes: list[tuple[str, Probe]] = []
    kinds = [k.strip() for k in d.card_reader.split(",")]
    for kind in kinds:
        if kind == "sim":
            probes.append(("card_reader.sim", lambda t: note("card_reader.sim", tr("读卡器：{simulated}").format(simulated=SIMULATED))))
        elif kind == "pcsc":
            probes.append(("card_reader.pcsc", pcsc_probe(d.card_reader_name)))
        elif kind == "sam" and in_kiosk:
            continue
        elif kind == "sam":
            probes.append(("card_reader.sam", sam_probe(d.sam_port, d.sam_baud)))
        elif kind == "vendor-sdk":
            probes.append(("card_reader.vendor_sdk", library_probe("card_reader.vendor_sdk", d.vendor_sdk_path,
                                                                   tr("读卡器厂家库"))))
        else:
            probes.append((f"card_reader.{kind}", _unknown_reader(kind)))
    if {"sam", "vendor-sdk"} & set(kinds):
        if d.photo_decoder_path:
            probes.append(("photo_decoder", library_probe("photo_decoder", d.photo_decoder_path,
                                                          tr("身份证照片解码库"))))
        else:
            probes.append(("photo_decoder", lambda t: note(
                "photo_decoder", tr("未配置身份证照片解码器：持身份证者需由工作人员核验。"),
                tr("配置 devices.photo_decoder_path。"))))
    return probes


# --- cameras ----------------------------------------------------------------------------------------
def opencv_camera_probe(source: int | str) -> Probe:
    """The camera opens and gives a frame within the timeout (its capture thread is joined)."""
    def probe(timeout: float) -> Check:
        from kiosk.devices.face.camera import OpenCvCamera
        camera = OpenCvCamera(source, retry_seconds=timeout)
        end = time.monotonic() + timeout
        waiter = threading.Event()
        camera.start()
        try:
            while time.monotonic() < end and camera.latest() is None:
                waiter.wait(0.05)
            frame, error = camera.latest(), camera.error()
        finally:
            camera.stop()
            camera.join(max(0.5, end - time.monotonic()))
        if frame is not None:
            return ok("camera", tr("摄像头工作正常。"), source=str(source))
        return fault("camera", tr("摄像头没有画面。"), FIX_CABLE,
                     source=str(source), error=error.detail if error else f"no frame within {timeout:g} s")
    return probe


def camera_probes(config: Config, in_kiosk: bool) -> list[tuple[str, Probe]]:
    d = config.devices
    probes: list[tuple[str, Probe]] = []
    if d.camera == "sim":
        probes.append(("camera", lambda t: note("camera", tr("摄像头：{simulated}").format(simulated=SIMULATED))))
    elif d.camera == "opencv" and not in_kiosk:
        src: int | str = int(d.camera_source) if d.camera_source.strip().isdigit() else d.camera_source
        probes.append(("camera", opencv_camera_probe(src)))
    if d.document_camera == "sim":
        probes.append(("document_camera", lambda t: note(
            "document_camera", tr("材料拍摄仪：{simulated}").format(simulated=SIMULATED))))
    elif d.document_camera == "none":
        probes.append(("document_camera", lambda t: note(
            "document_camera", tr("未配置材料拍摄仪：纸质材料请交工作人员。"))))
    return probes


# --- the printer ------------------------------------------------------------------------------------
def printer_check(printer: Printer, timeout: float, simulated: bool = False) -> Check:
    """A Check from `printer.health(timeout)`: a printer that cannot print now is a fault; paper
    running low is a note; a simulated printer that works is a note too."""
    h: PrinterHealth = printer.health(timeout)
    paper = {"ok": tr("纸张充足"), "low": tr("纸张将尽"),
             "out": tr("缺纸")}.get(h.paper or "", tr("纸张状态无法读取"))
    facts = {"printer": printer.name, "paper": h.paper, "state": h.detail}
    if not h.ready:
        problem = h.problem or tr("回执打印机无法打印。")
        if h.paper == "out":
            act = tr("装入新的打印纸卷；如果队列已停止，再启用它（cupsenable）。")
        else:
            act = tr("检查打印机电源、连接线和盖子；然后启用打印队列（cupsenable、cupsaccept）。")
        return fault("printer", problem, act, **facts)
    if h.paper == "low":
        return note("printer", tr("回执打印机可以打印，{paper}。").format(paper=paper),
                    tr("准备更换打印纸卷。"), **facts)
    if simulated:
        return note("printer", PRINTER_SIMULATED, **facts)
    return ok("printer", tr("回执打印机可以打印（{paper}）。").format(paper=paper), **facts)


# How `kiosk health` builds a printer it can ask, by `devices.printer`. A new backend adds itself
# here (it implements Printer.health); the running kiosk passes its own printer instead.
PRINTERS: dict[str, Callable[[Config], Printer]] = {}


def _cups(config: Config) -> Printer:
    from kiosk.devices.cups_printer import CupsPrinter
    return CupsPrinter(config.devices.printer_queue)


def _escpos(config: Config) -> Printer:
    from kiosk.devices.escpos_printer import EscposPrinter
    d = config.devices
    return EscposPrinter(d.escpos_address, baud=d.escpos_baud, large_print=d.escpos_large_print)


PRINTERS["cups"] = _cups
PRINTERS["escpos"] = _escpos


def printer_probes(config: Config, printer: Printer | None) -> list[tuple[str, Probe]]:
    kind = config.devices.printer
    if printer is None and kind == "sim":
        return [("printer", lambda t: note("printer", PRINTER_SIMULATED))]
    if printer is None and kind in PRINTERS:
        try:
            printer = PRINTERS[kind](config)
        except ValueError as exc:
            wrong = tr("打印机配置有误：{error}").format(error=str(exc))
            return [("printer", lambda t: fault("printer", wrong, tr("改正配置 devices.printer_queue。")))]
    if printer is None:
        return [("printer", lambda t: note("printer", tr("无法检测打印机“{kind}”。").format(kind=kind)))]
    chosen = printer
    return [("printer", lambda t: printer_check(chosen, t, simulated=kind == "sim"))]


def device_probes(config: Config, *, printer: Printer | None = None, in_kiosk: bool = False) -> list[tuple[str, Probe]]:
    """Every device probe for this configuration, in the order staff read them. `printer`: the
    running kiosk's own printer (asked through Printer.health); None builds one from the
    configuration. Main or health thread; builds nothing that opens a device."""
    return [*card_reader_probes(config, in_kiosk), *camera_probes(config, in_kiosk), *printer_probes(config, printer)]
