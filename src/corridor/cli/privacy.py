"""``corridor privacy``: run joint computations against running nodes; compute Shapley values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from corridor.cli.common import fail, read_json
from corridor.cli.signing import wallet_client
from corridor.errors import CorridorError
from corridor.privacy import (
    EXACT_LIMIT,
    HttpPrivacyClient,
    exact_shapley,
    parse_utilities,
    sampled_shapley,
    utility_range,
)

app = typer.Typer(
    name="privacy",
    help="Measurable privacy computing: joint jobs across hospitals and Shapley values.",
    no_args_is_help=True,
)


@app.command("run")
def run(
    spec: Annotated[Path, typer.Argument(help="a job spec (JSON; see docs/privacy.md)")],
    wallet: Annotated[
        Path,
        typer.Option("--wallet", "-w", help="wallet of one of the data center's operators"),
    ],
    datacenter: Annotated[
        str, typer.Option(help="base URL of the data center that coordinates the job")
    ] = "http://127.0.0.1:8003",
    timeout: Annotated[float, typer.Option(help="seconds to wait for the whole job")] = 600.0,
) -> None:
    """Submit SPEC, wait for every acceptance, run it and print the released result as JSON.

    The data center takes jobs only from its operators: the request is signed with
    ``--wallet`` (passphrase from CORRIDOR_WALLET_PASSPHRASE or a prompt).
    """
    document = read_json(spec)
    try:
        with wallet_client(wallet, timeout_seconds=timeout) as client:
            api = HttpPrivacyClient(client, datacenter)
            created = api.create(document)
            finished = api.run(str(created["job"]))
    except CorridorError as exc:
        raise fail(exc.diagnostics()) from exc
    print(json.dumps(finished, indent=2, sort_keys=True))


@app.command("shapley")
def shapley(
    utilities: Annotated[
        Path,
        typer.Option(
            "--utilities",
            help="JSON object: coalition (ids sorted, joined by '+'; '' = empty) -> utility",
        ),
    ],
    samples: Annotated[
        int | None,
        typer.Option(help=f"permutations to sample; required beyond {EXACT_LIMIT} participants"),
    ] = None,
    seed: Annotated[int, typer.Option(help="seed of the permutation sampler")] = 0,
    confidence: Annotated[float, typer.Option(help="confidence of the stated bound")] = 0.95,
) -> None:
    """Print each participant's Shapley value as JSON (exact up to 8 participants)."""
    table = read_json(utilities)
    if not isinstance(table, dict):
        raise fail("the utilities file must hold a JSON object")
    try:
        players, values = parse_utilities(table)
    except CorridorError as exc:
        raise fail(exc.diagnostics()) from exc
    if len(players) <= EXACT_LIMIT:
        exact = exact_shapley(players, values)
        print(json.dumps({p: float(v) for p, v in exact.items()}, indent=2))
        return
    if samples is None:
        raise fail(
            f"{len(players)} participants: exact values stop at {EXACT_LIMIT}; give --samples N"
        )
    estimate = sampled_shapley(
        players,
        lambda coalition: float(values[coalition]),
        samples=samples,
        rng=np.random.default_rng(seed),
        marginal_width=utility_range(values),
        confidence=confidence,
    )
    print(
        json.dumps(
            {
                "values": estimate.values,
                "samples": estimate.samples,
                "error_bound": estimate.error_bound,
                "confidence": estimate.confidence,
            },
            indent=2,
        )
    )


@app.command("budget")
def budget(
    dataset: Annotated[str, typer.Option(help="the dataset the budget protects")],
    consumer: Annotated[str, typer.Option(help="who receives the released figures")],
    wallet: Annotated[
        Path,
        typer.Option("--wallet", "-w", help="wallet of one of the data center's operators"),
    ],
    datacenter: Annotated[str, typer.Option(help="base URL of the data center")] = (
        "http://127.0.0.1:8003"
    ),
) -> None:
    """Print what CONSUMER has spent and has left of DATASET's privacy budget."""
    try:
        with wallet_client(wallet, timeout_seconds=30.0) as client:
            status = HttpPrivacyClient(client, datacenter).budget(dataset, consumer)
    except CorridorError as exc:
        raise fail(exc.diagnostics()) from exc
    print(json.dumps(status, indent=2, sort_keys=True))
