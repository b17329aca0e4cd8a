"""The Qt binding must not use up references it does not own: on Python 3.11, where None, True
and False are ordinary objects, each lost reference brings the interpreter closer to freeing
one of them and aborting. PySide6 6.12.0 lost one on every call of a method returning nothing
(the kiosk's 1 s clock alone used up None's ~40,000 in about 11 hours; bench/soak.py aborted
after ~250 journeys) and one of True on every signal emitted with it."""
from __future__ import annotations

import subprocess
import sys
import textwrap

CALLS = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QApplication, QLabel
    app = QApplication([])
    label = QLabel()

    class Source(QObject):
        changed = Signal(object)

    source = Source()
    source.changed.connect(lambda value: None)
    before = [sys.getrefcount(x) for x in (None, True, False)]
    for _ in range(3000):
        label.setText("12:00")          # returns nothing, like the kiosk's clock every second
        label.setVisible(False)
        source.changed.emit(True)
        source.changed.emit(False)
    after = [sys.getrefcount(x) for x in (None, True, False)]
    print(*(a - b for a, b in zip(after, before)))
""")


def test_qt_calls_and_signals_do_not_use_up_references_to_none_true_or_false():
    res = subprocess.run([sys.executable, "-c", CALLS], capture_output=True, text=True, check=False, timeout=120)
    # With the bug the deltas are -6000 / -3000 / -3000 and the interpreter aborts at exit.
    assert res.returncode == 0, res.stderr[-1500:]
    none, true, false = (int(x) for x in res.stdout.split())
    assert none > -100 and true > -100 and false > -100, res.stdout
