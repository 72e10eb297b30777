"""``corridor compliance``: evaluate the policy packs offline, list them, write a PIPIA.

``evaluate`` exits 0 whatever the packs decide (a DENY is an answer, not a failure) and 2
only for input it cannot read: a missing file, JSON that is not facts, an unknown pack.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import typer

from corridor.clock import SystemClock
from corridor.compliance.engine import evaluate_batch
from corridor.compliance.facts import FactsCase, parse_facts_document
from corridor.compliance.models import Decision, Role
from corridor.compliance.pack import PackSet, load_packs
from corridor.compliance.pipia import build_pipia, render_pipia_html, render_pipia_pdf
from corridor.errors import CorridorError

app = typer.Typer(
    name="compliance",
    help="Evaluate the CN, HK and EU policy packs, list them, and generate PIPIA reports.",
    no_args_is_help=True,
)

_INVALID_INPUT = 2


@app.callback()
def compliance() -> None:
    """Evaluate policy packs and generate compliance documents offline."""


def _invalid(reason: str) -> NoReturn:
    print(f"error: {reason}", file=sys.stderr)
    raise typer.Exit(code=_INVALID_INPUT)


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        _invalid(f"cannot read {file}: {exc.strerror}")
    except (ValueError, UnicodeDecodeError) as exc:
        _invalid(f"{file} is not JSON: {exc}")


def _as_of(text: str | None, packs: PackSet, code: str) -> date:
    if text is not None:
        try:
            return date.fromisoformat(text)
        except ValueError:
            _invalid(f"--as-of {text!r} is not an ISO date (YYYY-MM-DD)")
    # The day in the pack's own time zone: counters and deadlines run on local days.
    zone = ZoneInfo(packs.get(code).timezone)
    return SystemClock().now().astimezone(zone).date()


def _decide(
    packs: PackSet, cases: list[FactsCase], default_pack: str, role: Role, as_of: date
) -> list[Decision]:
    """Evaluate every case, batching those that share a pack (one Cedar call per pack)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for position, case in enumerate(cases):
        groups[case.pack or default_pack].append(position)
    decided: dict[int, Decision] = {}
    for code, positions in groups.items():
        pack = packs.get(code)
        facts = [cases[position].facts for position in positions]
        answers = evaluate_batch(pack, facts, as_of=as_of, role=role)
        decided.update(zip(positions, answers, strict=True))
    return [decided[position] for position in range(len(cases))]


@app.command("evaluate")
def evaluate_command(
    pack: Annotated[str, typer.Option("--pack", help="the pack to apply: CN, HK or EU")],
    facts: Annotated[
        Path,
        typer.Option(
            "--facts", help="one facts object, or a scenarios.json-shaped file of scenarios"
        ),
    ],
    role: Annotated[
        str, typer.Option(help="export (the pack's place is the origin) or import")
    ] = "export",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="decide as on this ISO date (default: today)")
    ] = None,
) -> None:
    """Print the pack's decision as JSON; for a scenarios file, one JSON line per scenario."""
    try:
        packs = load_packs()
    except CorridorError as exc:
        print(f"error: {exc.diagnostics()}", file=sys.stderr)
        raise typer.Exit(code=1) from exc
    if pack not in packs.packs:
        _invalid(f"unknown pack {pack!r}; loaded: {', '.join(sorted(packs.packs))}")
    if role not in {"export", "import"}:
        _invalid(f"--role must be export or import, not {role!r}")
    document = _read_json(facts)
    try:
        cases = parse_facts_document(document)
    except CorridorError as exc:
        _invalid(exc.diagnostics())
    unknown = sorted({c.pack for c in cases if c.pack is not None and c.pack not in packs.packs})
    if unknown:
        _invalid(f"scenarios name packs that are not loaded: {', '.join(unknown)}")
    day = _as_of(as_of, packs, pack)
    decisions = _decide(packs, cases, pack, "import" if role == "import" else "export", day)
    if cases[0].id is None:
        print(json.dumps(decisions[0].to_json(), indent=2, ensure_ascii=False))
        return
    # A scenarios file: one line per scenario, in file order, each naming its id. A
    # scenario that names its pack is decided by that pack (the file says which it tests).
    for case, decision in zip(cases, decisions, strict=True):
        print(json.dumps({"id": case.id, **decision.to_json()}, ensure_ascii=False))


@app.command("packs")
def packs_command() -> None:
    """Load and validate every policy pack; print each one's version and digest."""
    try:
        packs = load_packs()
    except CorridorError as exc:
        print(f"error: {exc.diagnostics()}", file=sys.stderr)
        raise typer.Exit(code=1) from exc
    print(json.dumps(packs.describe(), indent=2, ensure_ascii=False))


@app.command("pipia")
def pipia_command(
    facts: Annotated[Path, typer.Option("--facts", help="one facts object (JSON)")],
    html: Annotated[Path | None, typer.Option(help="write the report as HTML here")] = None,
    pdf: Annotated[Path | None, typer.Option(help="write the report as PDF here")] = None,
    transfer: Annotated[str, typer.Option(help="the transfer the report is for")] = "draft",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="assess as on this ISO date (default: today)")
    ] = None,
) -> None:
    """Generate a personal-information protection impact assessment from the flow's facts."""
    if html is None and pdf is None:
        _invalid("give --html FILE, --pdf FILE or both")
    cases = _cases_of(_read_json(facts))
    if len(cases) != 1 or cases[0].id is not None:
        _invalid("--facts must be one facts object, not a scenarios file")
    packs = load_packs()
    case = cases[0]
    origin = packs.governing(case.facts.origin)
    day = _as_of(as_of, packs, origin.code if origin else next(iter(sorted(packs.packs))))
    report = build_pipia(
        facts=case.facts,
        packs=packs,
        transfer=transfer,
        generated_at=datetime.combine(day, datetime.min.time()).astimezone(),
    )
    if html is not None:
        html.write_text(render_pipia_html(report), encoding="utf-8")
    if pdf is not None:
        pdf.write_bytes(render_pipia_pdf(report))
    print(json.dumps({"transfer": transfer, "html": str(html or ""), "pdf": str(pdf or "")}))


def _cases_of(document: Any) -> list[FactsCase]:
    try:
        return parse_facts_document(document)
    except CorridorError as exc:
        _invalid(exc.diagnostics())
