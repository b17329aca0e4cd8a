"""Demo citizens (assets/demo/citizens.yaml): fictional identities with public-domain photos."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from kiosk.devices.sim.camera import CameraScript
from kiosk.domain.identity import Identity


@dataclass(frozen=True)
class DemoCitizen:
    id: str
    identity: Identity
    camera_source: Path           # what the simulated camera shows for this person
    camera_kind: str              # "video" or "still"
    government: dict[str, str] = field(default_factory=dict)
    face_genuine: bool = True     # False: the camera shows a photo attack / someone else
    camera_script: CameraScript | None = None   # a clip that follows the face check's instructions
    # The genuine person, but a card photo too poor for the face threshold (a resident ID card's
    # 102x126 photo, ~1 KB): the check refuses them, as it would at a real kiosk, and a clerk
    # verifies them (the autopilot's staff_override scenario); journeys that need the automated
    # check to pass leave them out.
    face_needs_staff: bool = False


def load_citizens(path: Path) -> list[DemoCitizen]:
    # libyaml's safe loader (a SafeLoader, never the full one): ~7x faster than the pure-Python one
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    rows = data["citizens"] if isinstance(data, dict) else data
    base = path.parent
    out = []
    for row in rows:
        ident = Identity(
            document_number=str(row["document_number"]), name=row["name"], name_latin=row["name_latin"],
            sex=row["sex"], birth_date=date.fromisoformat(str(row["birth_date"])),
            nationality=row.get("nationality", "CHN"),
            expiry_date=date.fromisoformat(str(row["expiry_date"])) if row.get("expiry_date") else None,
            personal_number=str(row["personal_number"]) if row.get("personal_number") else None,
            address=row.get("address"), photo=(base / row["photo"]).read_bytes(),
            card_type=row.get("card_type", "emrtd"),
        )
        out.append(DemoCitizen(row["id"], ident, base / row["camera"], row.get("camera_kind", "still"),
                               {k: str(v) for k, v in (row.get("government") or {}).items()},
                               bool(row.get("face_genuine", True)),
                               CameraScript.from_dict(row["camera_script"]) if row.get("camera_script") else None,
                               bool(row.get("face_needs_staff", False))))
    return out
