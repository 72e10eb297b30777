"""What every command does on failure and when it reads a file the user named."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer


def fail(reason: str) -> typer.Exit:
    """Print ``error: reason`` to stderr; raise the returned exit (status 1)."""
    print(f"error: {reason}", file=sys.stderr)
    return typer.Exit(code=1)


def read_bytes(path: Path, what: str = "") -> bytes:
    """The file's bytes, or a failure naming it (and ``what`` it should be)."""
    try:
        return path.read_bytes()
    except OSError as exc:
        label = f"{what} {path}" if what else str(path)
        raise fail(f"cannot read {label}: {exc.strerror}") from exc


def read_json(path: Path) -> Any:
    """The file parsed as JSON, or a failure saying why not."""
    try:
        return json.loads(read_bytes(path))
    except (ValueError, UnicodeDecodeError) as exc:
        raise fail(f"{path} is not JSON: {exc}") from exc
