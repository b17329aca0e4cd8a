"""Ratings and text messages on the kiosk: the rating rules, the feedback outbox kept sealed
with the application, and the notification outbox (consent, one message per status change,
back-off, never twice, nothing personal left once sent)."""
from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta

import pytest

from kiosk.domain import notices, rating
from kiosk.domain.text import Text
from kiosk.services.crypto import RecordCipher
from kiosk.services.feedback_store import FeedbackStore
from kiosk.services.notify.outbox import NotificationOutbox, NotifyPolicy
from kiosk.services.notify.port import NotifyRefused, SimulatedNotifier, TextMessage
from kiosk.services.storage import Storage
from testkit.sync_drills import DemoApplications

KIOSK = "3301060001"
PHONE = "13800138000"
NOW = datetime(2026, 11, 23, 10, 0, 0)


@pytest.fixture
def store(tmp_path):
    s = Storage(tmp_path / "kiosk.sqlite3", RecordCipher(bytes(range(32))))
    yield s
    s.close()


def stored(store, consent: str | None = "yes"):
    answers = {} if consent is None else {"sms_consent": consent}
    return DemoApplications(KIOSK).store_one(store, "newborn", NOW, answers)


# --- the rating rules ---------------------------------------------------------------------------
def test_a_bad_rating_of_two_departments_with_reasons_and_a_call_back():
    fb = rating.make_feedback("N", 1, ["hukou", "birth_certificate"], ["long_wait"], True,
                              ["hukou", "birth_certificate", "spouse_consent"])
    assert [(r.item_id, r.score, r.reasons) for r in fb.ratings] == [("hukou", 1, ("long_wait",)),
                                                                      ("birth_certificate", 1, ("long_wait",))]
    assert fb.bad and fb.callback
    assert rating.make_feedback("N", 5, [], ["fast"], False, ["hukou"]).ratings == (rating.ItemRating("", 5, ("fast",)),)


@pytest.mark.parametrize("score, items, reasons, callback, why", [
    (0, [], [], False, "score"),
    (6, [], [], False, "score"),
    (5, [], [], True, "call back"),                       # a call back only with a bad rating
    (4, [], ["long_wait"], False, "reason"),              # a complaint with praise
    (1, [], ["fast"], False, "reason"),
    (1, [], ["free text the kiosk never offers"], False, "reason"),
    (1, ["pension"], [], False, "not an item of this application"),
    (1, ["Hukou; DROP TABLE"], [], False, "not an item id"),
    (1, [], list(rating.BAD_REASONS) + ["fast"], False, "reasons"),
])
def test_ratings_outside_the_rules_are_refused(score, items, reasons, callback, why):
    with pytest.raises(rating.RatingRefused, match=why):
        rating.make_feedback("N", score, items, reasons, callback, ["hukou"])


def test_a_score_that_is_not_an_integer_is_refused():
    for score in (True, 2.0, "2"):
        with pytest.raises(rating.RatingRefused):
            rating.check(rating.Feedback("N", (rating.ItemRating("", score, ()),)))   # type: ignore[arg-type]


# --- the feedback outbox -----------------------------------------------------------------------
def test_a_rating_is_kept_sealed_and_waits_until_its_application_reached_the_back_office(store, tmp_path):
    app = stored(store)
    fs = FeedbackStore(store)
    fb = rating.make_feedback(app.number, 1, ["hukou"], ["staff_attitude"], True, ["hukou"])
    assert fs.save(fb, NOW)
    assert not fs.save(rating.make_feedback(app.number, 5, [], [], False, []), NOW)   # the first one stays
    assert fs.get(app.number)["ratings"] == [{"item_id": "hukou", "score": 1, "reasons": ["staff_attitude"]}]
    raw = sqlite3.connect(tmp_path / "kiosk.sqlite3").execute("SELECT payload FROM feedback").fetchone()[0]
    assert b"staff_attitude" not in raw and b"hukou" not in raw                        # sealed
    assert fs.pending(10, NOW) == []                                                 # application not synced yet
    store.mark_synced([(app.number, "created")], NOW)
    [p] = fs.pending(10, NOW)
    assert p.wire == fb.to_wire(NOW.isoformat())
    fs.mark_failed([app.number], "not yet", NOW + timedelta(seconds=30))
    assert fs.pending(10, NOW) == [] and len(fs.pending(10, NOW + timedelta(seconds=31))) == 1
    fs.mark_synced([(app.number, "created")], NOW)
    assert fs.pending(10, NOW + timedelta(days=1)) == [] and fs.counts() == (0, 1)


def test_a_rating_survives_reopening_the_store(tmp_path):
    key = bytes(range(32))
    s = Storage(tmp_path / "k.sqlite3", RecordCipher(key))
    app = stored(s)
    FeedbackStore(s).save(rating.make_feedback(app.number, 2, [], ["long_wait"], False, []), NOW)
    s.mark_synced([(app.number, "created")], NOW)
    s.close()
    again = Storage(tmp_path / "k.sqlite3", RecordCipher(key))
    try:
        assert [p.number for p in FeedbackStore(again).pending(10, NOW)] == [app.number]
    finally:
        again.close()


# --- text messages -------------------------------------------------------------------------------
def change(app, item: str, status: str, cid: int):
    return (app.number, item, status, NOW.isoformat(), cid)


def pull(store, outbox, changes, cursor):
    store.apply_status_changes(changes, cursor, outbox.prepare(changes, NOW))


def test_a_status_change_makes_one_message_in_the_citizen_s_language_with_nothing_personal(store):
    app = stored(store)
    outbox = NotificationOutbox(store)
    pull(store, outbox, [change(app, "hukou", "accepted", 1), change(app, "hukou", "completed", 2)], 2)
    sim = SimulatedNotifier()
    assert outbox.send_due(sim, NOW).sent == 1                    # a burst is one message: the newest
    [m] = sim.sent
    assert m.to == PHONE and m.id == f"{app.number}/hukou/2"
    assert m.text == f"【一网通办】您的申请{app.number}，公安局：已办结。"
    assert "李秀英" not in m.text and "330106" not in m.text.replace(app.number, "")
    assert PHONE not in repr(m)
    pull(store, outbox, [change(app, "hukou", "completed", 2)], 2)          # the same change again
    pull(store, outbox, [change(app, "hukou", "completed", 3)], 3)          # a newer one, same status
    assert outbox.send_due(sim, NOW + timedelta(hours=1)).sent == 0 and len(sim.sent) == 1
    assert store.connection.execute("SELECT length(payload) FROM notifications").fetchall() == [(0,)]


def test_english_message_for_an_english_application():
    text = notices.status_message("en", "N-1", Text("公安局", "Public Security Bureau"), "more_materials_needed")
    assert text == "OneVisit: application N-1, Public Security Bureau: more papers needed; the department will contact you."


@pytest.mark.parametrize("consent", [None, "no"])
def test_no_message_without_consent(store, consent):
    app = stored(store, consent)
    outbox = NotificationOutbox(store)
    pull(store, outbox, [change(app, "hukou", "accepted", 1)], 1)
    sim = SimulatedNotifier()
    outbox.send_due(sim, NOW)
    assert sim.sent == [] and outbox.counts() == {"pending": 0, "sent": 0, "given_up": 0}


def test_a_failing_gateway_is_retried_with_back_off_then_given_up(store):
    app = stored(store)
    outbox = NotificationOutbox(store, NotifyPolicy(max_attempts=3, backoff_base_seconds=10, backoff_max_seconds=100),
                                rng=random.Random(1))
    pull(store, outbox, [change(app, "hukou", "accepted", 1)], 1)
    sim = SimulatedNotifier()
    sim.fail_next = 1
    assert outbox.send_due(sim, NOW).retry == 1
    assert outbox.send_due(sim, NOW + timedelta(seconds=4)).sent == 0          # still backing off (5-10 s)
    assert outbox.send_due(sim, NOW + timedelta(seconds=11)).sent == 1 and len(sim.sent) == 1
    pull(store, outbox, [change(app, "birth_certificate", "accepted", 2)], 2)
    sim.fail_next = 10
    t = NOW
    for _ in range(3):
        t += timedelta(hours=1)
        outbox.send_due(sim, t)
    assert outbox.counts() == {"pending": 0, "sent": 1, "given_up": 1}
    assert store.connection.execute("SELECT count(*) FROM notifications WHERE length(payload) > 0").fetchone()[0] == 0


def test_a_refused_message_is_given_up_at_once(store):
    app = stored(store)
    outbox = NotificationOutbox(store)
    pull(store, outbox, [change(app, "hukou", "accepted", 1)], 1)

    class Refusing(SimulatedNotifier):
        def send(self, message: TextMessage) -> None:
            raise NotifyRefused("HTTP 400")
    assert outbox.send_due(Refusing(), NOW).given_up == 1 and outbox.counts()["given_up"] == 1


def test_messages_wait_in_the_store_across_a_restart(tmp_path):
    key = bytes(range(32))
    s = Storage(tmp_path / "k.sqlite3", RecordCipher(key))
    app = stored(s)
    pull(s, NotificationOutbox(s), [change(app, "hukou", "approved", 7)], 7)
    s.close()                                                       # killed before sending
    s = Storage(tmp_path / "k.sqlite3", RecordCipher(key))
    try:
        sim = SimulatedNotifier()
        NotificationOutbox(s).send_due(sim, NOW)
        NotificationOutbox(s).send_due(sim, NOW + timedelta(days=1))
        assert [m.id for m in sim.sent] == [f"{app.number}/hukou/7"]
    finally:
        s.close()
