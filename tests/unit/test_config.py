"""Configuration: documented defaults, file, environment, with typos refused."""
from __future__ import annotations

import pytest

from kiosk.config import ConfigError, load_config


def test_defaults_are_usable():
    cfg = load_config(env={})
    assert cfg.kiosk.id == "3301060001" and cfg.session.timeout_seconds == 90 and cfg.devices.printer == "sim"


def test_file_then_environment_then_flags(tmp_path):
    f = tmp_path / "k.toml"
    f.write_text('[session]\ntimeout_seconds = 120\n[kiosk]\nlanguage = "en"\n', encoding="utf-8")
    cfg = load_config(f, env={"ONEVISIT_SESSION_TIMEOUT_SECONDS": "150"})
    assert cfg.session.timeout_seconds == 150 and cfg.kiosk.language == "en"
    cfg = load_config(f, env={"ONEVISIT_SESSION_TIMEOUT_SECONDS": "150"}, overrides={"session": {"timeout_seconds": 30}})
    assert cfg.session.timeout_seconds == 30
    assert load_config(env={"ONEVISIT_CONFIG": str(f)}).kiosk.language == "en"


@pytest.mark.parametrize("text, words", [
    ("[sesion]\ntimeout_seconds = 1\n", "unknown section [sesion]"),
    ("[session]\ntimeout = 1\n", "unknown key session.timeout"),
    ("[session]\ntimeout_seconds = 'soon'\n", "expected a number"),
    ("[session]\nwarning_seconds = 500\n", "warning_seconds must be shorter"),
    ("[kiosk\n", "not valid TOML"),
])
def test_mistakes_are_named(tmp_path, text, words):
    f = tmp_path / "k.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(f, env={})
    assert words in str(info.value)


def test_sam_reader_settings_and_a_baud_rate_no_reader_offers_is_refused():
    cfg = load_config(env={}, overrides={"devices": {"card_reader": "sam", "sam_port": "/dev/ttyUSB3", "sam_baud": "57600"}})
    assert (cfg.devices.sam_port, cfg.devices.sam_baud) == ("/dev/ttyUSB3", 57600)
    with pytest.raises(ConfigError, match="sam_baud"):
        load_config(env={}, overrides={"devices": {"sam_baud": 12345}})


def test_with_the_flash_check_off_fewer_than_four_kinds_of_movement_are_refused_and_the_reason_named():
    three = {"challenges": "turn_left,turn_right,come_closer", "challenge_actions": 3}
    with pytest.raises(ConfigError) as info:
        load_config(env={}, overrides={"face": {**three, "flash_check": False}})
    assert "face.challenges: at least four different" in str(info.value)
    assert "face.flash_check = false: each check asks for 4 different movements" in str(info.value)
    # Four kinds with the configured three movements is accepted: the check itself asks for four.
    cfg = load_config(env={}, overrides={"face": {"challenges": "turn_left,turn_right,tilt_left,come_closer",
                                                  "challenge_actions": 3, "flash_check": False}})
    assert cfg.face.challenge_actions == 3 and not cfg.face.flash_check
