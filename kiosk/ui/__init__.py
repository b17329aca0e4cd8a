"""PySide6 screens and the bridge to the GUI thread: the only package that imports Qt."""
