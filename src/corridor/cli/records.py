"""``corridor records``: read medical records as a clinician would."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from corridor.clock import SystemClock
from corridor.errors import CorridorError
from corridor.records import build_patient_summary, parse_bundle
from corridor.records.summary import read_summary

app = typer.Typer(
    name="records",
    help="Read FHIR records: the International Patient Summary of a bundle.",
    no_args_is_help=True,
)


@app.callback()
def records() -> None:
    """Read FHIR records."""


@app.command("summary")
def summary(
    bundle_file: Annotated[
        Path,
        typer.Argument(
            metavar="BUNDLE",
            help="an IPS document bundle (what hospital B receives) or a patient's bundle",
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="print the IPS document bundle as JSON")
    ] = False,
) -> None:
    """Show the patient summary: one table per IPS section.

    A bundle that is not yet an IPS document is summarised first (it must hold one Patient).
    """
    try:
        data = bundle_file.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {bundle_file}: {exc.strerror}", file=sys.stderr)
        raise typer.Exit(code=1) from exc
    try:
        bundle = parse_bundle(data)
        document = (
            bundle
            if bundle.get("type") == "document"
            else build_patient_summary(bundle, at=SystemClock().now())
        )
    except CorridorError as exc:
        print(f"error: {exc.diagnostics()}", file=sys.stderr)
        raise typer.Exit(code=1) from exc
    if as_json:
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    console = Console()
    composition = document["entry"][0]["resource"]
    console.print(
        f"[bold]{composition.get('title', 'Patient summary')}[/bold]  {composition.get('date', '')}"
    )
    for view in read_summary(document):
        if not view.rows:
            console.print(f"[bold]{view.title}[/bold]: {view.empty_reason or 'no entries'}")
            continue
        table = Table(*view.columns, title=f"{view.title} ({len(view.rows)})", title_justify="left")
        for row in view.rows:
            table.add_row(*row)
        console.print(table)
