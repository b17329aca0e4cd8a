"""Start-up: the attract screen does not wait for the face or receipt libraries, and what the
kiosk imports behind it does not stay in memory as source text."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from kiosk.config import load_config

ROOT = Path(__file__).resolve().parent.parent.parent

FIRST_SCREEN = textwrap.dedent("""
    import os, sys, tempfile
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from kiosk.compose import build_parts
    from kiosk.config import load_config
    from kiosk.flows.journey import Step
    from kiosk.ui.app import build_ui, ensure_qapplication
    from kiosk.ui.startup import after_first_paint
    with tempfile.TemporaryDirectory() as tmp:
        parts = build_parts(load_config(env={}, overrides={"paths": {"data_dir": tmp}}))
        app = ensure_qapplication()
        ui = build_ui(parts, start=False)
        after_first_paint(ui.window.screens[Step.ATTRACT], app.quit)
        ui.window.show()
        app.exec()
        print(" ".join(sorted(m for m in ("numpy", "cv2", "dlib", "reportlab", "face_recognition_models")
                              if m in sys.modules)))
        ui.shutdown(1.0)
""")


def test_the_attract_screen_is_drawn_without_loading_the_face_or_receipt_libraries():
    # The real face check is configured (devices.face = dlib); its libraries load behind the screen.
    assert load_config(env={}).devices.face == "dlib"
    res = subprocess.run([sys.executable, "-c", FIRST_SCREEN], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == ""


PROBE = textwrap.dedent("""
    import linecache, os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from kiosk.ui.app import ensure_qapplication
    ensure_qapplication()
    from shibokensupport import feature
    folder = sys.argv[1]
    with open(os.path.join(folder, "kiosk_probe_qt.py"), "w") as f:
        f.write("import PySide6.QtCore\\nVALUE = 1\\n")
    with open(os.path.join(folder, "kiosk_probe_plain.py"), "w") as f:
        f.write("VALUE = 2\\n" * 2000)
    sys.path.insert(0, folder)
    for name in ("kiosk_probe_qt", "kiosk_probe_plain"):
        __import__(name)   # the import statement's path, which PySide6 hooks (importlib's is not)
    print(len([f for f in linecache.cache if "kiosk_probe" in f]),
          feature.pyside_feature_dict.get("kiosk_probe_qt"), feature.pyside_feature_dict.get("kiosk_probe_plain"))
""")


def test_modules_imported_after_pyside_keep_no_source_text_in_memory(tmp_path):
    """In a fresh interpreter (PySide6's import bookkeeping is process-wide, so other tests in the
    same process would change what this sees): no source text is kept, and PySide6 still knows
    which module uses it (what its check is for)."""
    res = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         check=False, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    kept, qt_module, plain_module = res.stdout.split()
    assert kept == "0"
    assert (qt_module, plain_module) == ("0", "-1")

