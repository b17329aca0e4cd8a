"""The product (kiosk/, backoffice/) stays apart from test and demo tooling: it names no path
under tests/ or testkit/ (a kiosk installed from the wheel has neither), a production
configuration never loads the demo composition or testkit, and a demo asked for without testkit
says what is missing. The import rules themselves are import-linter contracts (pyproject.toml).
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("kiosk", "backoffice")
NOT_PRODUCT = {"tests", "fixtures", "testkit"}


def path_strings(source: str) -> list[str]:
    """The string literals in `source` that name a tests/, fixtures/ or testkit/ path: a path
    component equal to one of them ("tests/fixtures/x.yaml", or "tests" in ROOT / "tests").
    Docstrings are prose and are skipped."""
    tree = ast.parse(source)
    prose = {id(node.value) for node in ast.walk(tree)
             if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            parts = node.value.replace("\\", "/").split("/")
            if NOT_PRODUCT & {p.strip() for p in parts}:
                found.append(node.value)
    return found


def test_the_check_finds_the_ways_code_names_a_test_path():
    # Path parts joined with `/`, a path in an f-string, and prose (docstrings, messages) that must not count.
    source = '''
"""Docstrings may mention tests/fixtures/catalogue_small.yaml."""
ROOT = Path(__file__).parent.parent
CATALOGUE = ROOT / "tests" / "fixtures" / "catalogue_small.yaml"
KEYS = open(f"{ROOT}/testkit/pki/test-card/key.pem")
def f():
    """Nor is this one code."""
    return "the demo needs the testkit package"
'''
    assert sorted(path_strings(source)) == ["/testkit/pki/test-card/key.pem", "fixtures", "tests"]


@pytest.mark.parametrize("package", PRODUCT)
def test_product_code_names_no_path_under_tests_or_testkit(package):
    offenders = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        found = path_strings(path.read_text("utf-8"))
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}


def test_default_configuration_points_at_no_test_data():
    defaults = tomllib.loads((ROOT / "kiosk" / "defaults.toml").read_text("utf-8"))
    values = [v for section in defaults.values() for v in section.values() if isinstance(v, str)]
    assert [v for v in values if NOT_PRODUCT & set(v.replace("\\", "/").split("/"))] == []


def test_a_production_configuration_loads_no_demo_or_test_tooling(tmp_path):
    # A fresh interpreter, so that modules other tests imported do not hide a stray import.
    script = f'''
import json, sys
from kiosk.config import load_config
from kiosk.compose import build_parts
overrides = {{"paths": {{"data_dir": {str(tmp_path / "data")!r}}},
             "devices": {{"card_reader": "pcsc", "csca_dir": {str(tmp_path / "csca")!r}, "face": "sim"}}}}
parts = build_parts(load_config(env={{}}, overrides=overrides))
assert type(parts.devices.card_reader).__name__ == "PcscCardReader"
print(json.dumps(sorted(m for m in sys.modules if m == "kiosk.demo" or m.split(".")[0] in ("testkit", "backoffice"))))
'''
    (tmp_path / "csca").mkdir()
    res = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.splitlines()[-1]) == []


def test_the_demo_without_testkit_says_what_is_missing(tmp_path, monkeypatch):
    from kiosk.compose import ConfigurationProblem, build_parts
    from kiosk.config import load_config

    monkeypatch.setitem(sys.modules, "testkit.demo_card_reader", None)   # as in a wheel install: no testkit
    config = load_config(env={}, overrides={"paths": {"data_dir": str(tmp_path)},
                                            "devices": {"card_reader": "sim", "face": "sim"}})
    with pytest.raises(ConfigurationProblem, match=r"testkit.*'pcsc'"):
        build_parts(config)
