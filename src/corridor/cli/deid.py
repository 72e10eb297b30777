"""``corridor deid``: apply a de-identification configuration to FHIR JSON."""

from __future__ import annotations

import json
import random
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.common import fail, read_bytes
from corridor.clock import SystemClock
from corridor.errors import CorridorError
from corridor.records.delivery import apply_configuration, read_configuration

app = typer.Typer(
    name="deid",
    help="De-identify FHIR resources with a Microsoft FHIR anonymizer configuration.",
    no_args_is_help=True,
)


@app.callback()
def deid() -> None:
    """De-identify FHIR resources and bundles."""


@app.command("apply")
def apply(
    input_file: Annotated[
        Path, typer.Argument(metavar="INPUT", help="a FHIR resource or bundle (JSON)")
    ],
    config: Annotated[
        Path, typer.Option("--config", help="configuration JSON (fhirPathRules, parameters)")
    ],
    output: Annotated[
        Path | None, typer.Option("--output", help="write here instead of standard output")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(help="evaluation date (YYYY-MM-DD) of the 'age over 89' rule; default today"),
    ] = None,
) -> None:
    """De-identify INPUT with CONFIG; print or write the result as JSON."""
    try:
        when = date.fromisoformat(at) if at is not None else SystemClock().now().date()
    except ValueError as exc:
        raise fail(f"--at is not a date (YYYY-MM-DD): {at}") from exc
    try:
        resource = json.loads(read_bytes(input_file, "input").decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"{input_file} is not JSON: {exc}") from exc
    if not isinstance(resource, dict):
        raise fail(f"{input_file} is not a FHIR resource (a JSON object)")
    try:
        loaded = read_configuration(read_bytes(config, "configuration"))
        # Upstream's dateShiftScope: a file or folder name makes shifts consistent across it.
        prefix = {
            "file": input_file.name,
            "folder": input_file.resolve().parent.name,
        }.get(loaded.parameters.date_shift_scope, "")
        result = apply_configuration(
            resource, loaded, at=when, rng=random.SystemRandom(), date_shift_prefix=prefix
        )
    except CorridorError as exc:
        raise fail(exc.diagnostics()) from exc
    text = json.dumps(result.resource, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
    print(f"{result.changed} elements changed with configuration {loaded.digest}", file=sys.stderr)
