"""The autopilot's plan for N journeys (the soak benchmark's sessions)."""
from __future__ import annotations

from pathlib import Path

from kiosk.devices.sim.citizens import load_citizens
from kiosk.ui.autopilot import plan_journeys

ROOT = Path(__file__).resolve().parent.parent.parent


def test_sessions_cycle_every_bundle_with_citizens_whose_face_passes(real_catalogue):
    citizens = load_citizens(ROOT / "assets" / "demo" / "citizens.yaml")
    bundles = [b.id for b in real_catalogue.bundles]
    plan = plan_journeys(citizens, bundles, 2 * len(bundles) + 1)
    assert [j.bundle_id for j in plan] == bundles + bundles + bundles[:1]
    # The photo-attack cards are refused by design, and 周磊's resident-card photo is too poor for
    # the threshold (staff verify him); a soak of automated journeys leaves them out.
    assert {j.citizen.id for j in plan} == {c.id for c in citizens if c.face_genuine and not c.face_needs_staff}
    assert "zhou_lei" not in {j.citizen.id for j in plan} and "chen_hao" in {j.citizen.id for j in plan}


def test_a_chosen_citizen_and_bundle_are_used_for_every_session(real_catalogue):
    citizens = load_citizens(ROOT / "assets" / "demo" / "citizens.yaml")
    plan = plan_journeys(citizens, [b.id for b in real_catalogue.bundles], 3, citizen_id="lin_xiaowen", bundle_id="retirement")
    assert [(j.citizen.id, j.bundle_id) for j in plan] == [("lin_xiaowen", "retirement")] * 3
    assert len(plan_journeys(citizens, ["newborn"], 0)) == 1    # the plain --autopilot: one journey
