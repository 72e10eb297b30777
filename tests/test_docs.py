"""Documentation is part of the product: every setting and command must be documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from corridor.cli import app
from corridor.config import ExportProfile, Settings

_DOCS = Path(__file__).resolve().parents[1] / "docs"


def _headings(page: str) -> set[str]:
    text = (_DOCS / page).read_text(encoding="utf-8")
    return {match.group(1) for match in re.finditer(r"^#+ `([^`]+)`", text, re.MULTILINE)}


def _commands(group: Any, prefix: str) -> list[str]:
    found: list[str] = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            found.extend(_commands(command, path))
        else:
            found.append(path)
    return found


def test_every_setting_has_a_heading_in_the_settings_page():
    documented = _headings("settings.md")
    nested = {"export"}
    expected = (set(Settings.model_fields) - nested) | {
        f"export.{name}" for name in ExportProfile.model_fields
    }
    assert expected - documented == set()


def test_every_command_has_a_heading_in_the_cli_page():
    root = typer.main.get_command(app)
    documented = _headings("cli.md")
    assert set(_commands(root, "corridor")) - documented == set()
