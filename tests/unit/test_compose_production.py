"""A production composition (a real card reader) never loads demo data and says so when a
simulated device is mixed in with real ones."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _compose(tmp_path: Path, **devices: str) -> str:
    """Build the parts in a fresh interpreter with these [devices] overrides; print what a
    production kiosk would show staff and whether the demo citizens file was read."""
    code = textwrap.dedent(f"""
        import builtins, json, pathlib
        opened = []
        real_read = pathlib.Path.read_text
        def spy(self, *a, **k):
            opened.append(str(self))
            return real_read(self, *a, **k)
        pathlib.Path.read_text = spy
        from kiosk.config import load_config, with_data_dir
        from kiosk.compose import build_parts
        cfg = with_data_dir(load_config(env={{}}, overrides={{"devices": {devices!r}}}), pathlib.Path({str(tmp_path)!r}))
        parts = build_parts(cfg)
        print(json.dumps({{"citizens": len(parts.demo_citizens),
                          "read_demo": any("citizens.yaml" in p for p in opened),
                          "documents": parts.devices.documents is not None,
                          "warnings": [w.en for w in parts.staff_warnings]}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_real_devices_read_no_demo_citizens_and_photograph_nothing_fake(tmp_path):
    import json
    got = json.loads(_compose(tmp_path, card_reader="pcsc", camera="opencv", face="dlib", printer="cups",
                              document_camera="none", government_records="none"))
    assert got["citizens"] == 0 and not got["read_demo"]
    assert not got["documents"]
    assert not any("simulated" in w for w in got["warnings"])


def test_a_simulated_device_beside_a_real_reader_is_shown_to_staff(tmp_path):
    import json
    got = json.loads(_compose(tmp_path, card_reader="pcsc", camera="opencv", face="dlib", printer="cups",
                              document_camera="sim", government_records="none"))
    assert any("simulated devices" in w and "document camera" in w for w in got["warnings"])


def test_a_vendor_sdk_reader_without_photo_decoder_tells_staff(tmp_path):
    import json
    lib = subprocess.run([str(ROOT / "testkit/termb_double/build.sh")], check=True, capture_output=True,
                         text=True, timeout=120).stdout.strip()
    got = json.loads(_compose(tmp_path, card_reader="vendor-sdk", vendor_sdk_path=str(ROOT / lib / "libtermb_double.so"),
                              camera="opencv", face="dlib", printer="cups", document_camera="none",
                              government_records="none"))
    assert got["citizens"] == 0 and not got["read_demo"]
    assert any("No ID card photo decoder configured" in w for w in got["warnings"])


def test_a_vendor_sdk_library_must_be_an_absolute_path(tmp_path):
    code = textwrap.dedent(f"""
        import pathlib
        from kiosk.config import load_config, with_data_dir
        from kiosk.compose import build_parts, ConfigurationProblem
        cfg = with_data_dir(load_config(env={{}}, overrides={{"devices": {{"card_reader": "vendor-sdk",
              "vendor_sdk_path": "libtermb.so"}}}}), pathlib.Path({str(tmp_path)!r}))
        try:
            build_parts(cfg)
        except ConfigurationProblem as exc:
            print("refused:", exc)
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "refused: devices.vendor_sdk_path = 'libtermb.so'" in out.stdout, out.stderr


def test_a_sam_reader_composes_without_demo_data_or_opening_its_port(tmp_path):
    import json
    # the port is opened on the first poll (card thread), not while composing: a kiosk whose
    # reader is unplugged still starts and shows the citizen "reader not connected"
    got = json.loads(_compose(tmp_path, card_reader="sam", sam_port="/dev/nonexistent-sam", camera="opencv",
                              face="dlib", printer="cups", document_camera="none", government_records="none"))
    assert got["citizens"] == 0 and not got["read_demo"]
