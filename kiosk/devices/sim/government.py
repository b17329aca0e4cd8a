"""The demo's government records: the `government` values and `government_holds` materials of
the demo citizens (assets/demo/citizens.yaml), by resident ID number.

Only for the simulated kiosk (`[devices] government_records = "sim"`, set by `--simulate`): a
kiosk with real devices and no records backend uses NoGovernmentRecords and never reads this file.
"""
from __future__ import annotations

import time
from pathlib import Path

import yaml

from kiosk.devices.government import RecordsError
from kiosk.domain.government import GovernmentData
from kiosk.domain.identity import Identity

MAX_FILE_BYTES = 1_000_000   # the demo file is a few kB; refuse anything unreasonable before parsing


def load_demo_records(path: Path) -> dict[str, GovernmentData]:
    """The demo citizens' records by personal number. Raises ValueError for a malformed file."""
    raw = Path(path).read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(f"{path.name}: larger than {MAX_FILE_BYTES} bytes")
    data = yaml.safe_load(raw.decode("utf-8"))
    rows = data.get("citizens") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise ValueError(f"{path.name}: no list of citizens")
    records: dict[str, GovernmentData] = {}
    for row in rows:
        number = row.get("personal_number") if isinstance(row, dict) else None
        if not number:
            continue
        values = row.get("government") or {}
        holds = row.get("government_holds") or []
        if not isinstance(values, dict) or not isinstance(holds, list):
            raise ValueError(f"{path.name}: government must be a mapping and government_holds a list")
        records[str(number)] = GovernmentData.of(values, (str(h) for h in holds))
    return records


class SimGovernmentRecords:
    """Answers from the demo file, optionally slowly or not at all (tests and demos of failure)."""

    def __init__(self, records: dict[str, GovernmentData], delay: float = 0.0) -> None:
        self._records = dict(records)
        self.delay = delay
        self.fail_next = False

    @classmethod
    def from_file(cls, path: Path) -> SimGovernmentRecords:
        return cls(load_demo_records(path))

    def lookup(self, identity: Identity, timeout: float) -> GovernmentData:
        """Records worker thread; blocks for the simulated delay, at most `timeout` seconds."""
        if self.delay:
            time.sleep(min(self.delay, timeout))
            if self.delay > timeout:
                raise TimeoutError("simulated records lookup timed out")
        if self.fail_next:
            self.fail_next = False
            raise RecordsError("simulated records backend failure")
        return self._records.get(identity.personal_number or "", GovernmentData())
