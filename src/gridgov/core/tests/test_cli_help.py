"""`gridgov help` is the operator's list of commands (README): every command the project ships
must be on it, so a new command cannot be forgotten there."""

from __future__ import annotations

import re
from pathlib import Path

from gridgov.cli import OPERATOR_COMMANDS, main

SRC = Path(__file__).resolve().parents[2]


def shipped_commands() -> set[str]:
    return {
        path.stem.replace("_", "-")
        for path in SRC.glob("*/management/commands/*.py")
        if not path.stem.startswith("_")
    }


def test_every_shipped_command_is_listed_in_help() -> None:
    listed = set(re.findall(r"^  ([a-z][a-z0-9-]+)", OPERATOR_COMMANDS, re.M))
    assert shipped_commands() - listed == set()


def test_help_prints_the_list(capsys) -> None:
    main(["help"])
    assert "train-classifier" in capsys.readouterr().out
