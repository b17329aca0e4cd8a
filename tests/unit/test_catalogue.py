"""Catalogue files are validated and problems are named precisely."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kiosk.domain.catalogue import CatalogueError, parse_catalogue
from kiosk.services.catalogue_store import CatalogueStore

FIX = Path(__file__).parent.parent / "fixtures"


@pytest.fixture
def data():
    return yaml.safe_load((FIX / "catalogue_small.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("mutate, place, words", [
    (lambda d: d["bundles"][0]["items"][1].__setitem__("promised_days", -1), "bundles[0].items[1].promised_days", "minimum"),
    (lambda d: d["bundles"][0]["items"][0]["fields"].append("no_such_field"), "bundles[0].items[0].fields[6]", "unknown field"),
    (lambda d: d["bundles"][0].__setitem__("life_stage", "moon"), "bundles[0].life_stage", "unknown life stage"),
    (lambda d: d["fields"]["child_name"].__setitem__("topic", "nope"), "fields.child_name.topic", "unknown topic"),
    (lambda d: d["bundles"][0]["items"][2].__setitem__("when", "spouse_age > 3 and"), "bundles[0].items[2].when", "cannot parse"),
    (lambda d: d["bundles"][0]["items"][2].__setitem__("when", "shoe_size > 3"), "bundles[0].items[2].when", "unknown name"),
    (lambda d: d["bundles"][0]["items"][0].__setitem__("promised_days", 99), "bundles[0].items[0].promised_days", "longer than the statutory"),
    (lambda d: d["fields"]["applicant_name"].__setitem__("source", "chip.shoe"), "fields.applicant_name.source", "the chip has no"),
    (lambda d: d["bundles"][0].pop("title"), "bundles[0]", "'title' is a required property"),
])
def test_malformed_catalogue_names_place_and_problem(data, mutate, place, words):
    bad = copy.deepcopy(data)
    mutate(bad)
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(bad, "test.yaml")
    assert info.value.place == place and words in info.value.problem
    assert str(info.value).startswith(f"test.yaml: {place}: ")


def test_store_keeps_last_good_catalogue(tmp_path, small_catalogue):
    store = CatalogueStore(small_catalogue)
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: [unclosed\n", encoding="utf-8")
    assert not store.try_replace(broken)
    assert store.current is small_catalogue and store.last_error.place.startswith("line ")


def test_cli_catalogue_check_reports_ok_and_problem(tmp_path, data):
    ok = subprocess.run([sys.executable, "-m", "kiosk", "catalogue", "check", str(FIX / "catalogue_small.yaml")],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("OK ") and "2 bundles" in ok.stdout
    bad = copy.deepcopy(data)
    bad["bundles"][1]["items"][0]["materials"] = ["passport_photo"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "kiosk", "catalogue", "check", str(path), "--json"],
                         capture_output=True, text=True)
    assert res.returncode == 1
    out = json.loads(res.stdout)
    assert out == {"ok": False, "file": str(path), "place": "bundles[1].items[0].materials[0]",
                   "problem": "unknown material 'passport_photo'"}


def test_shipped_catalogue_is_valid_and_has_real_bundles(real_catalogue):
    assert len(real_catalogue.bundles) >= 3
    for b in real_catalogue.bundles[:3]:
        assert len(b.departments()) >= 3, b.id
    assert [b.id for b in real_catalogue.bundles[:3]] == ["newborn", "retirement", "business_startup"]


@pytest.mark.parametrize("mutate, place, words", [
    (lambda d: d["topics"].append({"id": "child", "title": "again"}), "topics[5].id", "duplicate id"),
    (lambda d: d["fields"]["child_name"].__setitem__("pattern", "([a-z"), "fields.child_name.pattern", "regular expression"),
    (lambda d: d["fields"]["child_name"].update(min=5, max=1), "fields.child_name.min", "larger than max"),
    (lambda d: d["fields"]["child_name"].__setitem__("choices", [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]),
     "fields.child_name.choices", "only choice fields"),
])
def test_more_mistakes_are_caught_at_load(data, mutate, place, words):
    bad = copy.deepcopy(data)
    mutate(bad)
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(bad, "test.yaml")
    assert info.value.place == place and words in info.value.problem


def test_kiosk_runs_on_last_good_catalogue_when_the_new_one_is_broken(tmp_path):
    from kiosk.services.catalogue_store import choose_catalogue
    from kiosk.services.datafolder import DataFolder
    folder = DataFolder(tmp_path / "data")
    good = tmp_path / "c.yaml"
    good.write_bytes((FIX / "catalogue_small.yaml").read_bytes())
    choice = choose_catalogue(good, folder, None)
    assert (choice.catalogue.version, choice.source) == ("test.1", "shipped") and folder.last_good_catalogue.exists()
    good.write_text("version: [broken\n", encoding="utf-8")
    choice = choose_catalogue(good, folder, None)
    assert (choice.catalogue.version, choice.source) == ("test.1", "last-good") and "not valid YAML" in choice.problem
    folder.last_good_catalogue.unlink()
    with pytest.raises(CatalogueError):
        choose_catalogue(good, folder, None)


def test_cli_stats_shows_questions_saved_for_every_bundle(real_catalogue):
    res = subprocess.run([sys.executable, "-m", "kiosk", "catalogue", "stats", "--json"], capture_output=True, text=True)
    assert res.returncode == 0
    rows = {r["bundle_id"]: r for r in json.loads(res.stdout)}
    assert set(rows) == {b.id for b in real_catalogue.bundles}
    for r in rows.values():
        assert r["items"] >= 3 and r["combined_questions"] < r["separate_questions"]
        assert r["combined_questions"] == r["prefilled"] + r["computed"] + r["same_as"] + r["choice"] + r["typed"]
    # The goals for typing (the autopilot's journeys measure the real path: tests/ui/test_fewer_typing.py)
    assert rows["retirement"]["typed"] <= 2 and rows["newborn"]["typed"] <= 5


def test_published_schema_matches_the_code():
    from kiosk.domain.catalogue_schema import SCHEMA
    published = json.loads((FIX.parent.parent / "docs" / "catalogue.schema.json").read_text(encoding="utf-8"))
    assert published == SCHEMA


def test_a_material_the_government_may_hold_names_its_records_key(data):
    data = copy.deepcopy(data)
    data["materials"]["marriage_certificate"]["government_key"] = "marriage_record"
    cat = parse_catalogue(data, "t")
    assert cat.materials["marriage_certificate"].government_key == "marriage_record"
    assert cat.materials["birth_medical_certificate"].government_key == "birth_medical_certificate"   # default: its id
    assert cat.materials["bank_card_photo"].government_key is None
    data["materials"]["bank_card_photo"]["government_key"] = "bank_cards"     # a key, but never held: a mistake
    with pytest.raises(CatalogueError, match="government_key needs held_by_government"):
        parse_catalogue(data, "t")
