"""Every device backend implements the whole of its port, so the runtime can call any port method
on any backend without probing (a missing method or a renamed parameter fails here, not on a
kiosk when a citizen first reaches the code path that calls it)."""
from __future__ import annotations

import inspect
from typing import Protocol

import pytest

from kiosk.devices import ports
from kiosk.devices.cups_printer import CupsPrinter
from kiosk.devices.escpos_printer import EscposPrinter
from kiosk.devices.dual_reader import EitherCardReader
from kiosk.devices.face.camera import OpenCvCamera
from kiosk.devices.face.deferred import DeferredFaceVerifier
from kiosk.devices.face.verifier import DlibFaceVerifier
from kiosk.devices.icao.pcsc import PcscCardReader
from kiosk.devices.idcard.vendor_sdk import VendorSdkCardReader
from kiosk.devices.idcard.sam_reader import SamCardReader
from kiosk.devices.ports import Camera, CancelToken, CardReader, DocumentCamera, FaceVerifier, Printer, Speaker
from kiosk.devices.sim.speaker import SimSpeaker
from kiosk.devices.speech.espeak import EspeakSpeaker
from kiosk.devices.speech.queue import QueuedSpeaker
from kiosk.devices.sim.camera import FileCamera
from kiosk.devices.sim.card_reader import SimCardReader
from testkit.chip_reader import SimChipReader
from kiosk.devices.sim.document_camera import SimDocumentCamera
from kiosk.devices.sim.receipt_camera import ReceiptCamera
from kiosk.devices.sim.face import SimFaceVerifier
from kiosk.devices.sim.printer import FolderPrinter

BACKENDS: dict[type, list[type]] = {
    CardReader: [SimCardReader, SimChipReader, PcscCardReader, VendorSdkCardReader, SamCardReader,
                 EitherCardReader],
    Camera: [FileCamera, OpenCvCamera, ReceiptCamera],
    FaceVerifier: [SimFaceVerifier, DlibFaceVerifier, DeferredFaceVerifier],
    DocumentCamera: [SimDocumentCamera],
    Printer: [FolderPrinter, CupsPrinter, EscposPrinter],
    Speaker: [SimSpeaker, QueuedSpeaker, EspeakSpeaker],
}


def port_methods(port: type) -> dict[str, inspect.Signature]:
    """The public methods a Protocol declares, with their signatures."""
    return {name: inspect.signature(getattr(port, name)) for name in dir(port)
            if not name.startswith("_") and callable(getattr(port, name))}


def params(sig: inspect.Signature) -> list[inspect.Parameter]:
    return [p for p in sig.parameters.values() if p.name != "self"]


def test_every_port_in_ports_py_has_its_backends_listed_here():
    declared = {obj for obj in vars(ports).values()
                if isinstance(obj, type) and getattr(obj, "_is_protocol", False)} - {CancelToken, Protocol}
    assert declared == set(BACKENDS)


@pytest.mark.parametrize("port, backend", [(p, b) for p, bs in BACKENDS.items() for b in bs],
                         ids=lambda x: x.__name__)
def test_backend_has_every_method_of_its_port_with_the_same_parameters(port, backend):
    methods = port_methods(port)
    assert methods, f"{port.__name__} declares no methods?"
    missing = sorted(name for name in methods if not callable(getattr(backend, name, None)))
    assert not missing, f"{backend.__name__} lacks {port.__name__}.{missing}"
    for name, sig in methods.items():
        wanted = [p.name for p in params(sig)]
        got = params(inspect.signature(getattr(backend, name)))
        assert [p.name for p in got[:len(wanted)]] == wanted, f"{backend.__name__}.{name}{inspect.signature(getattr(backend, name))}"
        extra = [p.name for p in got[len(wanted):] if p.default is inspect.Parameter.empty
                 and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        assert not extra, f"{backend.__name__}.{name} needs {extra}, which the runtime never passes"


def test_the_ports_declare_what_the_runtime_needs():
    """The lifecycle methods the runtime calls on every backend (no hasattr in kiosk/runtime.py)."""
    assert {"set_access_key", "close"} <= set(port_methods(CardReader))
    assert {"warm_up", "prepare", "clear", "close"} <= set(port_methods(FaceVerifier))
    assert {"start", "stop", "join", "perform"} <= set(port_methods(Camera))
    assert "close" in port_methods(Printer) and "close" in port_methods(DocumentCamera)
    assert {"say", "stop", "repeat", "clear", "busy", "close"} <= set(port_methods(Speaker))
