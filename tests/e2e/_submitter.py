"""Child process for the kill test: submits applications in a loop, announcing each commit.

Usage: python _submitter.py DATA_DIR CATALOGUE
A line "COMMITTED <number>" is printed (and flushed) only after `Storage.submit` returned,
i.e. at the point where the kiosk would start printing the receipt.
"""
import sys
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from kiosk.domain.drafting import build_draft
from kiosk.domain.form import prefill
from kiosk.domain.identity import Identity
from kiosk.services.catalogue_store import load_catalogue
from kiosk.services.crypto import RecordCipher, load_or_create_key
from kiosk.services.storage import Storage

data, cat_path = Path(sys.argv[1]), Path(sys.argv[2])
catalogue = load_catalogue(cat_path)
ident = Identity("E1", "李秀英", "LI XIUYING", "F", date(1962, 3, 15), personal_number="330106196203151234")
answers, verified = prefill(catalogue, ident)
answers.update({"applicant_marital_status": "married", "child_name": "王小宝", "child_birth_date": "2026-10-01",
                "applicant_phone": "13800138000", "spouse_name": "王大", "spouse_id_number": "330106196001011234"})
store = Storage(data / "kiosk.sqlite3", RecordCipher(load_or_create_key(data / "storage.key")))
bundle = catalogue.bundle("newborn")
print("READY", flush=True)
while True:
    now = datetime.now().replace(microsecond=0)
    draft = replace(build_draft(catalogue, bundle, answers, verified, dict(answers), drafted_at=now), consent=True)
    app = store.submit(draft, "3301060001", now)
    print("COMMITTED", app.number, flush=True)
