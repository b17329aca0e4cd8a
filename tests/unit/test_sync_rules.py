"""Freeze rules, back-off and sync settings: pure rules, no network."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from kiosk.services.storage import SyncCounts
from kiosk.services.sync.client import backoff_delay
from kiosk.services.sync.freeze import freeze_check
from kiosk.services.sync.settings import SyncSettings, SyncSettingsError, load_sync_settings, save_sync_settings

NOW = datetime(2026, 11, 23, 10, 0, 0)
CONFIGURED = SyncSettings(url="http://127.0.0.1:1", backoffice_signing_key="x", backoffice_encryption_key="y",
                          freeze_after_days=3, freeze_after_pending=10)


def counts(not_exported=0, exported=0):
    return SyncCounts(applications=not_exported + exported, pending=not_exported + exported, pending_since=None,
                      not_exported=not_exported, not_exported_since=None, exported=exported, failing=0, synced=0,
                      conflicts=0, last_error=None)


def test_a_kiosk_without_a_back_office_is_never_frozen():
    assert not freeze_check(counts(10_000), SyncSettings(), last_contact=None, last_export=None, now=NOW).frozen


def test_frozen_after_n_days_without_contact_and_says_why_in_both_languages():
    ok = freeze_check(counts(), CONFIGURED, last_contact=NOW - timedelta(days=2, hours=23), last_export=None, now=NOW)
    assert not ok.frozen and ok.reasons == ()
    st = freeze_check(counts(), CONFIGURED, last_contact=NOW - timedelta(days=3), last_export=None, now=NOW)
    assert st.frozen and len(st.reasons) == 1
    assert "3 days" in st.reasons[0].en and "3 天" in st.reasons[0].zh
    # a hand-carry export counts as reaching the back office for the days rule
    assert not freeze_check(counts(), CONFIGURED, last_contact=NOW - timedelta(days=9),
                            last_export=NOW - timedelta(hours=1), now=NOW).frozen


def test_never_synced_counts_from_enrolment():
    s = SyncSettings(**{**CONFIGURED.__dict__, "enrolled_at": (NOW - timedelta(days=4)).isoformat()})
    assert freeze_check(counts(), s, last_contact=None, last_export=None, now=NOW).frozen
    s = SyncSettings(**{**CONFIGURED.__dict__, "enrolled_at": (NOW - timedelta(days=1)).isoformat()})
    assert not freeze_check(counts(), s, last_contact=None, last_export=None, now=NOW).frozen


def test_frozen_when_more_than_m_are_neither_sent_nor_exported():
    recent = NOW - timedelta(minutes=5)
    assert not freeze_check(counts(10), CONFIGURED, last_contact=recent, last_export=None, now=NOW).frozen
    st = freeze_check(counts(11), CONFIGURED, last_contact=recent, last_export=None, now=NOW)
    assert st.frozen and "11 applications" in st.reasons[0].en
    # exported ones are on their way by hand: they do not count
    assert not freeze_check(counts(5, exported=50), CONFIGURED, last_contact=recent, last_export=None, now=NOW).frozen
    both = freeze_check(counts(11), CONFIGURED, last_contact=NOW - timedelta(days=30), last_export=None, now=NOW)
    assert len(both.reasons) == 2


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    rng = random.Random(1)
    assert backoff_delay(0, 1.0, 60, rng) == 0
    for n in range(1, 12):
        d = min(60.0, 2.0 ** (n - 1))
        samples = [backoff_delay(n, 1.0, 60.0, rng) for _ in range(50)]
        assert all(d / 2 <= s <= d for s in samples)
        assert len(set(samples)) > 40          # jitter: kiosks do not retry in lock-step
    assert backoff_delay(10_000, 1.0, 60.0, rng) <= 60.0


def test_settings_file_and_environment(tmp_path):
    save_sync_settings(tmp_path, SyncSettings(url="http://127.0.0.1:8750", batch_size=50))
    s = load_sync_settings(tmp_path, env={"ONEVISIT_SYNC_BATCH_SIZE": "25", "ONEVISIT_SYNC_FREEZE_AFTER_DAYS": "2.5"})
    assert (s.url, s.batch_size, s.freeze_after_days) == ("http://127.0.0.1:8750", 25, 2.5)
    assert not s.configured
    (tmp_path / "sync.toml").write_text('url = "x"\nbatchsize = 3\n')
    with pytest.raises(SyncSettingsError, match="batchsize"):
        load_sync_settings(tmp_path, env={})
    with pytest.raises(SyncSettingsError, match="number"):
        load_sync_settings(tmp_path / "none", env={"ONEVISIT_SYNC_BATCH_SIZE": "many"})


def test_a_frozen_kiosk_finishes_the_session_under_way_but_starts_no_new_one(small_catalogue, identity, now):
    from kiosk.domain.text import Text
    from kiosk.flows import events as ev
    from kiosk.flows import messages as msg
    from kiosk.flows.journey import FlowConfig, Step, handle, initial_state

    why = (Text("七天未同步", "no sync for 7 days"),)
    s = initial_state(FlowConfig(catalogue=small_catalogue, timeout_seconds=60, warning_seconds=15))
    s, _ = handle(s, ev.CardInserted(), now)
    s, _ = handle(s, ev.CardRead(s.attempt, identity), now)
    s, _ = handle(s, ev.IntakeChanged(why), now)                    # freezes mid-session
    assert s.step == Step.FACE_CHECK and s.intake_closed == why
    s, _ = handle(s, ev.CancelRequested(), now)                     # the session ends ...
    assert s.step == Step.ATTRACT and s.intake_closed == why
    s, effects = handle(s, ev.CardInserted(), now)                  # ... and no new one starts
    assert s.step == Step.ATTRACT and effects == [] and s.notice == msg.INTAKE_CLOSED
    s, _ = handle(s, ev.IntakeChanged(()), now)                     # synced again: open
    s, effects = handle(s, ev.CardInserted(), now)
    assert s.step == Step.READING_CARD and effects
