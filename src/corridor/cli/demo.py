"""``corridor demo``: run the five-step corridor with every party as its own process."""

from __future__ import annotations

import tempfile
import time
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

from corridor.apps.demo import DEMO_PARTIES, STEP_NAMES, StepReport, load_patient, run_transfer
from corridor.apps.demo_pages import SignInLink, demo_sign_in_links, operator_signers
from corridor.apps.launcher import demo_passphrase, run_parties
from corridor.apps.privacy_demo import run_privacy
from corridor.errors import CorridorError


def default_patient() -> Path:
    """The bundle shipped for the demo (a Synthea patient; source in its SOURCE.md)."""
    return Path(str(resources.files("corridor.apps").joinpath("data/demo-patient.json")))


def _print_step(console: Console, step: StepReport) -> None:
    console.print(f"[green]✔[/green] [bold]{STEP_NAMES[step.step]}[/bold]  {step.party}")
    console.print(f"    {step.action}")
    if step.evidence:
        refs = ", ".join(f"{kind} #{index}" for kind, index in step.evidence)
        console.print(f"    evidence: {refs}", soft_wrap=True)
    if step.decision:
        console.print(f"    decision: {step.decision}")
    if step.verified:
        console.print(f"    verified: {step.verified}")


def _serve_forever(
    console: Console, urls: dict[str, str], links: list[SignInLink], patient_id: str
) -> None:
    for name, url in urls.items():
        console.print(f"  {name:14} {url}")
    console.print(f"  {'log (tiles)':14} {urls['datacenter']}/api/ledger/tlog/")
    # docs/web.md: each link signs its holder in to that party's pages (24 h, 20 uses).
    console.print("[bold]pages[/bold] (open each link in a browser to sign in):")
    for item in links:
        console.print(f"  {item.party:14} {item.role:10} {item.who}", soft_wrap=True)
        console.print(f"  {'':14} {item.link}", soft_wrap=True)
    console.print(
        f"  to request a transfer yourself: open {urls['portal']}, sign in with a key on "
        f"your device, then at hospital-a's desk link that key to patient {patient_id}",
        soft_wrap=True,
    )
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
    privacy: Annotated[
        bool, typer.Option("--privacy", help="also run joint privacy jobs (docs/privacy.md)")
    ] = False,
) -> None:
    """Start all parties and move one patient's record from hospital A to hospital B."""
    console = Console()
    folder = workdir or Path(tempfile.mkdtemp(prefix="corridor-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    patient_file = patient or default_patient()
    try:
        load_patient(patient_file)
        console.print(f"[bold]Corridor demo[/bold]  workdir {folder}  patient {patient_file.name}")
        with ExitStack() as stack:
            with console.status("starting six parties, each its own process..."):
                parties = stack.enter_context(run_parties(folder, DEMO_PARTIES))
            client = stack.enter_context(httpx.Client(timeout=120.0))
            urls = {name: party.url for name, party in parties.items()}
            console.print(f"[green]✔[/green] parties running: {', '.join(parties)}")
            with console.status("moving the record through the corridor..."):
                outcome = run_transfer(
                    client=client,
                    parties=parties,
                    workdir=folder,
                    patient_file=patient_file,
                    passphrase=demo_passphrase(folder).encode(),
                    report=lambda step: _print_step(console, step),
                )
            console.print(
                f"[bold green]transfer {outcome.transfer} completed[/bold green]: "
                f"{len(outcome.checks)} evidence entries, every inclusion proof verified; "
                f"consent, trust file and receipts in {outcome.evidence_dir}"
            )
            if privacy:
                # Jobs and the hospitals' FHIR imports are operators' calls: signed as them.
                operators = stack.enter_context(
                    httpx.Client(timeout=120.0, auth=operator_signers(parties, folder))
                )
                with console.status("running privacy jobs across the hospitals..."):
                    run_privacy(
                        client=operators,
                        urls=urls,
                        stamp=outcome.transfer[:8],
                        report=lambda step: _print_step(console, step),
                    )
            if serve:
                links = demo_sign_in_links(client, parties)
                _serve_forever(console, urls, links, outcome.patient_id)
    except KeyboardInterrupt:
        console.print("stopped")
    except CorridorError as exc:
        console.print(f"[bold red]demo failed[/bold red]: {exc.diagnostics()}")
        raise typer.Exit(1) from exc
