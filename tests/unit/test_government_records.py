"""The government records port: which backend the configuration picks, and the demo's records."""
from __future__ import annotations

import pytest

from kiosk.compose import ConfigurationProblem, build_parts
from kiosk.config import load_config
from kiosk.devices.government import GovernmentRecords, NoGovernmentRecords
from kiosk.devices.sim.government import SimGovernmentRecords, load_demo_records


def parts_with(tmp_path, **devices):
    return build_parts(load_config(env={}, overrides={"paths": {"data_dir": str(tmp_path)},
                                                      "devices": {"face": "sim", **devices}}))


def test_by_default_no_records_backend_so_demo_citizens_get_nothing(tmp_path):
    parts = parts_with(tmp_path)
    records = parts.devices.records
    assert isinstance(records, NoGovernmentRecords) and isinstance(records, GovernmentRecords)
    for citizen in parts.demo_citizens:                   # the demo file is never a source of records
        data = records.lookup(citizen.identity, 1.0)
        assert not data.values and not data.materials


def test_the_demo_records_backend_answers_from_the_demo_citizens_file(tmp_path):
    parts = parts_with(tmp_path, government_records="sim")
    assert isinstance(parts.devices.records, SimGovernmentRecords)
    lin = next(c for c in parts.demo_citizens if c.id == "lin_xiaowen")
    data = parts.devices.records.lookup(lin.identity, 1.0)
    assert data.values["marital_status"] == "married" and "marriage_certificate" in data.materials
    assert parts.flow_config.records_timeout_seconds == 5.0


def test_an_unknown_records_backend_is_a_clear_configuration_problem(tmp_path):
    with pytest.raises(ConfigurationProblem, match="'none', 'sim' or 'backoffice'"):
        parts_with(tmp_path, government_records="registry")


def test_the_back_office_records_backend_needs_an_enrolled_back_office(tmp_path):
    with pytest.raises(ConfigurationProblem, match="needs an enrolled back office"):
        parts_with(tmp_path, government_records="backoffice")


def test_a_malformed_or_oversized_demo_records_file_is_refused(tmp_path):
    bad = tmp_path / "c.yaml"
    bad.write_text("citizens:\n  - personal_number: '1'\n    government: [a, b]\n", encoding="utf-8")
    with pytest.raises(ValueError):
        load_demo_records(bad)
    bad.write_bytes(b"#" * 2_000_000)
    with pytest.raises(ValueError, match="larger than"):
        load_demo_records(bad)
