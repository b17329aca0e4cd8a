"""A back office inside the kiosk process, for the demo (`kiosk run --simulate --with-backoffice`,
which `scripts/demo.sh` uses): uvicorn on its own thread on 127.0.0.1 (a free port), SQLite and
keys under <kiosk-data-dir>/demo-backoffice, the kiosk enrolled with it and pinned to it
(<kiosk-data-dir>/sync.toml), so the demo's applications really travel. Production runs the back
office as its own service (`python -m backoffice serve`).

Demo tooling that reaches into both products, so it lives in testkit/ (it was backoffice/demo.py);
the kiosk's demo composition (kiosk/demo.py) is the only product module that starts it.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from kiosk.services.datafolder import DataFolder

log = logging.getLogger(__name__)

THREAD_NAME = "backoffice"


@dataclass
class DemoBackoffice:
    url: str
    data_dir: Path
    _server: object
    _thread: threading.Thread
    _engine: object

    @property
    def officials_url(self) -> str:
        return self.url + "/officials"

    def stop(self, deadline: float = 5.0) -> bool:
        """Any thread. Ask uvicorn to exit and join its thread within `deadline` seconds."""
        self._server.should_exit = True   # type: ignore[attr-defined]
        self._thread.join(max(0.1, deadline))
        self._engine.dispose()            # type: ignore[attr-defined]
        return not self._thread.is_alive()


def start_demo_backoffice(kiosk_data_dir: Path | DataFolder, kiosk_id: str, timeout: float = 15.0) -> DemoBackoffice:
    """Start the back office on a thread, enrol this kiosk with it, and pin it in the kiosk's
    sync settings. `kiosk_data_dir`: the kiosk's DataFolder (or its data folder's path, keys in
    the default place). Caller's thread; blocks until the service answers (at most `timeout` s)."""
    import uvicorn

    from backoffice.app import create_app
    from backoffice.db import make_engine
    from backoffice.keys import BackofficeKeys
    from backoffice.service import Backoffice
    from kiosk.services.keystore import load_signing_key
    from kiosk.services.sync.protocol import ed25519_public_pem
    from kiosk.services.sync.settings import load_sync_settings, save_sync_settings

    files = kiosk_data_dir if isinstance(kiosk_data_dir, DataFolder) else DataFolder(Path(kiosk_data_dir))
    kiosk_data_dir = files.root
    data_dir = files.demo_backoffice
    data_dir.mkdir(parents=True, exist_ok=True)
    keys = BackofficeKeys.load_or_create(data_dir / "keys")
    engine = make_engine(f"sqlite:///{(data_dir / 'backoffice.sqlite3').resolve()}")
    bo = Backoffice(engine, keys)
    bo.enrol(kiosk_id, ed25519_public_pem(load_signing_key(files).public_key()), "demo kiosk")

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(create_app(bo), log_level="warning", access_log=False, lifespan="off",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=THREAD_NAME, daemon=True)
    thread.start()
    end = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > end:
            server.should_exit = True
            raise RuntimeError("the demo back office did not start")
        time.sleep(0.02)
    doc = keys.public_document()
    settings = replace(load_sync_settings(kiosk_data_dir, env={}), url=url,
                       backoffice_signing_key=doc["signing_key"], backoffice_encryption_key=doc["encryption_key"])
    if not settings.enrolled_at:
        settings = replace(settings, enrolled_at=datetime.now().replace(microsecond=0).isoformat())
    save_sync_settings(kiosk_data_dir, settings)
    log.info("demo back office at %s (officials' page %s/officials)", url, url)
    return DemoBackoffice(url, data_dir, server, thread, engine)
