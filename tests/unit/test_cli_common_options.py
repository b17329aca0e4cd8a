"""Every `kiosk` subcommand takes --data-dir and --config, like `kiosk run` (issue 12).

The list of subcommands is read from the real parser, so a subcommand added without them fails
here without anyone having to remember to list it."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from kiosk.cli import build_parser, main


def leaf_commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """(("sync", "status"), its parser), ... for every command that runs something."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [(path, parser)]
    return [leaf for name, child in subs[0].choices.items() for leaf in leaf_commands(child, (*path, name))]


LEAVES = leaf_commands(build_parser())


def test_the_walk_finds_the_commands_we_know():
    names = {" ".join(p) for p, _ in LEAVES}
    assert {"run", "health", "sync status", "keys show", "card read", "card trust list", "catalogue stats",
            "face verify"} <= names


@pytest.mark.parametrize("path, parser", LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_every_subcommand_takes_data_dir_and_config(path, parser):
    options = parser._option_string_actions
    for flag, dest in (("--data-dir", "data_dir"), ("--config", "config")):
        assert flag in options, f"`kiosk {' '.join(path)}` has no {flag} (use kiosk.cli.add_common_options)"
        assert options[flag].dest == dest and options[flag].type is Path


def test_catalogue_stats_reads_the_catalogue_named_by_config(tmp_path, capsys):
    config = tmp_path / "kiosk.toml"
    config.write_text('[paths]\ncatalogue = "%s"\n' % (Path(__file__).parents[1] / "fixtures" / "catalogue_small.yaml"))
    assert main(["catalogue", "stats", "--json", "--config", str(config), "--data-dir", str(tmp_path / "d")]) == 0
    small = {row["bundle_id"] for row in json.loads(capsys.readouterr().out)}
    assert main(["catalogue", "stats", "--json"]) == 0
    shipped = {row["bundle_id"] for row in json.loads(capsys.readouterr().out)}
    assert small and small != shipped


def test_a_bad_config_file_is_exit_2_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[nonsense]\nx = 1\n")
    for argv in (["health"], ["catalogue", "stats"], ["card", "trust", "list"], ["sync", "status"], ["keys", "show"]):
        assert main([*argv, "--config", str(bad)]) == 2, argv
        assert "unknown section [nonsense]" in capsys.readouterr().err
