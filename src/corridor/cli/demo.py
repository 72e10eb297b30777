"""``corridor demo``: run the five-step corridor with every party as its own process."""

from __future__ import annotations

import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from corridor.apps.demo import DEMO_PARTIES, StepReport, load_patient, run_transfer
from corridor.apps.launcher import demo_passphrase, run_parties
from corridor.errors import CorridorError

_STEP_NAMES = {
    0: "setup",
    1: "1 request",
    2: "2 filing",
    3: "3 upload",
    4: "4 enclave",
    5: "5 display",
    6: "proofs",
}


def default_patient() -> Path:
    """The bundle shipped for the demo (a Synthea patient; source in its SOURCE.md)."""
    return Path(str(resources.files("corridor.apps").joinpath("data/demo-patient.json")))


def _serve_forever(console: Console, urls: dict[str, str]) -> None:
    for name, url in urls.items():
        console.print(f"  {name:14} {url}")
    console.print(f"  {'log (tiles)':14} {urls['datacenter']}/api/ledger/tlog/")
    console.print("parties are running; press Ctrl-C to stop")
    while True:
        time.sleep(3600)


def demo(
    workdir: Annotated[
        Path | None, typer.Option(help="where each party keeps its state (default: a temp folder)")
    ] = None,
    patient: Annotated[
        Path | None, typer.Option(help="a FHIR R4 patient bundle (default: shipped sample)")
    ] = None,
    serve: Annotated[
        bool, typer.Option("--serve", help="keep the parties running and print their URLs")
    ] = False,
) -> None:
    """Start all parties and move one patient's record from hospital A to hospital B."""
    console = Console()
    folder = workdir or Path(tempfile.mkdtemp(prefix="corridor-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    patient_file = patient or default_patient()
    load_patient(patient_file)
    console.print(f"[bold]Corridor demo[/bold]  workdir: {folder}  patient: {patient_file.name}")
    table = Table("step", "party", "what happened", "evidence", "decision / verified")

    def report(step: StepReport) -> None:
        evidence = ", ".join(f"{kind}#{index}" for kind, index in step.evidence) or "-"
        detail = " · ".join(part for part in (step.decision, step.verified) if part) or "-"
        table.add_row(
            _STEP_NAMES.get(step.step, str(step.step)), step.party, step.action, evidence, detail
        )
        console.print(
            f"  [green]✔[/green] {_STEP_NAMES.get(step.step)}: {step.party} {step.action}"
        )

    try:
        with run_parties(folder, DEMO_PARTIES) as parties, httpx.Client(timeout=120.0) as client:
            console.print(f"  [green]✔[/green] six parties running: {', '.join(parties)}")
            outcome = run_transfer(
                client=client,
                parties=parties,
                workdir=folder,
                patient_file=patient_file,
                passphrase=demo_passphrase(folder).encode(),
                report=report,
            )
            console.print(table)
            console.print(
                f"[bold green]transfer {outcome.transfer} completed[/bold green]: "
                f"{len(outcome.checks)} evidence entries, every inclusion proof verified; "
                f"receipts and trust file in {outcome.evidence_dir}"
            )
            if serve:
                _serve_forever(console, {name: party.url for name, party in parties.items()})
    except KeyboardInterrupt:
        console.print("stopped")
    except CorridorError as exc:
        console.print(table)
        console.print(f"[bold red]demo failed[/bold red]: {exc.diagnostics()}")
        raise typer.Exit(1) from exc
