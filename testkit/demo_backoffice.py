"""A back office inside the kiosk process, for the demo (`kiosk run --simulate --with-backoffice`,
which `scripts/demo.sh` uses): uvicorn on its own thread on 127.0.0.1 (a free port), its own
folder beside the kiosk's data folder (DataFolder.demo_backoffice: never inside it, so nothing of
the back office's sits with the kiosk's files), the kiosk enrolled with it and pinned to it
(<kiosk-data-dir>/sync.toml), so the demo's applications really travel. The demo's government
records (assets/demo/government-records.yaml) feed its records API, an official account
"demo" for every department of the shipped catalogue gets a fresh random password at each start
(printed), and the demo clerk and supervisor (testkit/demo_staff.py) are staff accounts serving
this kiosk, their signed list kept on the kiosk at once. Production runs the back office as its own service (`python -m backoffice serve`).

Demo tooling that reaches into both products, so it lives in testkit/; the kiosk's demo
composition (kiosk/demo.py) is the only product module that starts it.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # the back office is imported only when the demo starts it
    from backoffice.service import Backoffice

from kiosk.services.datafolder import DataFolder

log = logging.getLogger(__name__)

THREAD_NAME = "backoffice"
ROOT = Path(__file__).resolve().parent.parent
DEMO_OFFICIAL = "demo"


@dataclass
class DemoBackoffice:
    url: str
    data_dir: Path
    _server: object
    _thread: threading.Thread
    _engine: object
    official: str = DEMO_OFFICIAL
    password: str = ""

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
    from backoffice.layout import BackofficeFolder, open_backoffice
    from backoffice.records import YamlRecordsSource
    from backoffice.web import WebSettings
    from kiosk.services.keystore import load_signing_key
    from kiosk.services.sync.protocol import ed25519_public_pem
    from kiosk.services.sync.settings import load_sync_settings, save_sync_settings

    files = kiosk_data_dir if isinstance(kiosk_data_dir, DataFolder) else DataFolder(Path(kiosk_data_dir))
    kiosk_data_dir = files.root
    data_dir = files.demo_backoffice
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    bo = open_backoffice(BackofficeFolder(data_dir), seal_plaintext=True)
    keys, engine = bo.keys, bo.engine
    password = _demo_official(bo)
    bo.enrol(kiosk_id, ed25519_public_pem(load_signing_key(files).public_key()), "demo kiosk")
    _demo_staff(bo, files, kiosk_id)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    from backoffice.identity import YamlIdentitySource
    web = WebSettings(records=YamlRecordsSource(ROOT / "assets" / "demo" / "government-records.yaml"),
                      identity=YamlIdentitySource(ROOT / "assets" / "demo" / "identity-references.yaml"))
    server = uvicorn.Server(uvicorn.Config(create_app(bo, web), log_level="warning", access_log=False, lifespan="off",
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
    print(f"demo back office sign-in: {DEMO_OFFICIAL} / {password} (every department; a new password each start)",
          flush=True)
    return DemoBackoffice(url, data_dir, server, thread, engine, DEMO_OFFICIAL, password)


def _demo_official(bo: Backoffice) -> str:
    """The demo's official account for every department of the shipped catalogue; a fresh password."""
    import secrets

    import yaml

    from backoffice.accounts import Accounts
    from backoffice.departments import department_id
    doc = yaml.safe_load((ROOT / "assets" / "catalogue" / "catalogue.yaml").read_text("utf-8"))
    depts = sorted({department_id(i["department"]) for b in doc["bundles"] for i in b["items"]})
    accounts = Accounts(bo.engine)
    password = secrets.token_urlsafe(12)
    if accounts.get(DEMO_OFFICIAL) is None:
        accounts.create(DEMO_OFFICIAL, password, "official", depts)
    else:
        accounts.set_password(DEMO_OFFICIAL, password)
        accounts.set_departments(DEMO_OFFICIAL, depts)
    return password


def _demo_staff(bo: Backoffice, files: DataFolder, kiosk_id: str) -> None:
    """The demo clerk and supervisor as back-office accounts serving this kiosk, and their signed
    list kept on the kiosk at once (as its first sync would), so staff sign in from the start."""
    from datetime import datetime

    from backoffice.staff import StaffAccounts
    from kiosk.services.crypto import RecordCipher
    from kiosk.services.keystore import load_storage_key
    from kiosk.services.staff.store import StaffStore
    from kiosk.services.storage import Storage
    from kiosk.services.sync import protocol as proto
    from testkit.demo_staff import create_demo_staff_accounts

    create_demo_staff_accounts(bo, kiosk_id)
    doc = StaffAccounts(bo).credentials_for(kiosk_id)
    store = Storage(files.db, RecordCipher(load_storage_key(files)))
    try:
        StaffStore(store).keep_list(proto.canonical_json(doc), int(doc["issued"]), datetime.now())
    finally:
        store.close()
