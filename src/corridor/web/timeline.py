"""The five steps of a transfer, read from its evidence entries (pure).

Each step of the paper's practice (BLUEPRINT §8) is done when the entries that close it
are on the chain; a refusal or denial marks the step as stopped, a revocation the
whole transfer. Pages show this; they never infer a step from anything but evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from corridor.web.entries import EntryView
from corridor.web.i18n import mark

StepState = Literal["done", "stopped", "waiting"]


@dataclass(frozen=True)
class StepSpec:
    """One step: its number, its name, the entry types that belong to it and close it."""

    number: int
    title: str
    explanation: str
    types: frozenset[str]
    closing: frozenset[str]
    stopping: frozenset[str] = frozenset()


STEPS: tuple[StepSpec, ...] = (
    StepSpec(
        1,
        mark("Request and consent"),
        mark("The patient signed a consent naming the recipient, purpose and scope."),
        frozenset({"consent.granted"}),
        frozenset({"consent.granted"}),
    ),
    StepSpec(
        2,
        mark("Filing and decisions"),
        mark("Hospital A filed the transfer; each regulator decided under its own law."),
        frozenset({"filing.registered", "compliance.decided"}),
        frozenset({"compliance.decided"}),
    ),
    StepSpec(
        3,
        mark("Encrypted upload"),
        mark("Hospital A encrypted exactly the consented records and uploaded them."),
        frozenset({"record.uploaded"}),
        frozenset({"record.uploaded"}),
    ),
    StepSpec(
        4,
        mark("Processing in the enclave"),
        mark("The data center's attested enclave received the key and prepared the summary."),
        frozenset({"attestation.appraised", "key.released", "key.refused", "record.processed"}),
        frozenset({"record.processed"}),
        frozenset({"key.refused"}),
    ),
    StepSpec(
        5,
        mark("Display at hospital B"),
        mark("Hospital B verified and decrypted the summary; every view is recorded."),
        frozenset({"record.delivered", "record.accessed"}),
        frozenset({"record.delivered"}),
    ),
)

ENTRY_LABELS: dict[str, str] = {
    "consent.granted": mark("Consent granted"),
    "consent.revoked": mark("Consent withdrawn"),
    "filing.registered": mark("Filing registered"),
    "compliance.decided": mark("Regulator decided"),
    "record.uploaded": mark("Encrypted record uploaded"),
    "attestation.appraised": mark("Enclave attestation appraised"),
    "key.released": mark("Data key released to the enclave"),
    "key.refused": mark("Key release refused"),
    "record.processed": mark("Record processed in the enclave"),
    "record.delivered": mark("Summary delivered to hospital B"),
    "record.accessed": mark("Summary viewed at hospital B"),
}


@dataclass(frozen=True)
class Step:
    """A step of one transfer as the timeline shows it."""

    spec: StepSpec
    state: StepState
    entries: tuple[EntryView, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Timeline:
    """The five steps and the revocation, if any."""

    steps: tuple[Step, ...]
    revocation: EntryView | None

    @property
    def completed(self) -> int:
        """How many steps are done."""
        return sum(1 for step in self.steps if step.state == "done")


def _denied(entry: EntryView) -> bool:
    return entry.type == "compliance.decided" and entry.details.get("decision") == "DENY"


def build_timeline(entries: Sequence[EntryView]) -> Timeline:
    """Group a transfer's entries (log order) into the five steps."""
    steps = []
    for spec in STEPS:
        own = tuple(entry for entry in entries if entry.type in spec.types)
        types = {entry.type for entry in own}
        if types & spec.stopping or any(_denied(entry) for entry in own):
            state: StepState = "stopped"
        elif types & spec.closing:
            state = "done"
        else:
            state = "waiting"
        steps.append(Step(spec=spec, state=state, entries=own))
    revocation = next((entry for entry in entries if entry.type == "consent.revoked"), None)
    return Timeline(steps=tuple(steps), revocation=revocation)
