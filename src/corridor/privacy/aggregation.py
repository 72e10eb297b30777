"""One interface for three ways of summing vectors the aggregator must not see one by one.

A round starts with the same ``open`` phase in every mode: the coordinator sends the
round's public parameters (for federated training, the current model) and each
participant computes its local input, then answers with the mode's first message plus
``extras`` (its self-reported rows and CPU time, and a copy of its input sealed to the
measuring enclave). What follows depends on the mode:

* ``masking`` - pairwise masks from X25519-agreed seeds, dropout recovery through Shamir
  shares (Bonawitz et al., CCS 2017): :mod:`corridor.privacy.masking`;
* ``paillier`` - additively homomorphic encryption under a participant's key:
  :mod:`corridor.privacy.paillier`;
* ``enclave`` - inputs sealed (HPKE) to an attested enclave that sums them:
  :mod:`corridor.privacy.enclave_mode`.

Every coordinator returns an :class:`AggregateOutcome` whose ``received`` field is the
aggregator's complete view: each message it was sent, in order. Tests inspect it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from corridor.privacy.errors import AggregationAborted, InvalidJobSpec, ParticipantDropped
from corridor.privacy.fixedpoint import RingVector

AggregationMode = Literal["masking", "paillier", "enclave"]
AGGREGATION_MODES: tuple[AggregationMode, ...] = ("masking", "paillier", "enclave")
OPEN_PHASE = "open"

Signer = Callable[[bytes], bytes]
"""Signs bytes with the participant's node key (Ed25519)."""
Verifier = Callable[[str, bytes, bytes], None]
"""``verify(participant, message, signature)``: raises ``ProtocolViolation`` unless valid."""


@dataclass(frozen=True)
class RoundSpec:
    """One aggregation: which job and round, who takes part, how many must survive."""

    job: str
    round: int
    participants: tuple[str, ...]
    threshold: int
    length: int

    def __post_init__(self) -> None:
        if tuple(sorted(set(self.participants))) != self.participants:
            raise InvalidJobSpec("participants must be distinct and sorted")
        if not 1 <= self.threshold <= len(self.participants):
            raise InvalidJobSpec("threshold must be between 1 and the number of participants")
        if self.length < 1:
            raise InvalidJobSpec("vectors have at least one element")

    def index(self, participant: str) -> int:
        """The participant's Shamir x-coordinate (1-based position in the sorted list)."""
        return self.participants.index(participant) + 1

    def label(self) -> bytes:
        """Bytes that bind derived keys to this job and round."""
        return f"{self.job}|{self.round}".encode()


@dataclass(frozen=True)
class LocalInput:
    """What a participant contributes to a round: the encoded vector and what it reports."""

    vector: RingVector
    extras: Mapping[str, Any] = field(default_factory=dict)


InputProvider = Callable[[Mapping[str, Any]], LocalInput]
"""Computes the participant's input from the ``open`` message (the round's parameters)."""


@dataclass(frozen=True)
class Received:
    """One message the aggregator received."""

    phase: str
    participant: str
    message: Mapping[str, Any]


@dataclass(frozen=True)
class AggregateOutcome:
    """The ring sum of the contributors' inputs and everything the aggregator saw."""

    total: RingVector
    contributors: tuple[str, ...]
    dropped: tuple[str, ...]
    received: tuple[Received, ...]
    extras: Mapping[str, Mapping[str, Any]]
    evidence: Mapping[str, Any] = field(default_factory=dict)


class PartyChannel(Protocol):
    """How the coordinator reaches participants; raises ``ParticipantDropped`` on failure."""

    def exchange(self, participant: str, phase: str, message: Mapping[str, Any]) -> dict[str, Any]:
        """Send one phase message to ``participant`` and return its answer."""
        ...


class Contributor(Protocol):
    """A participant's side of one round, in any mode."""

    def respond(self, phase: str, message: Mapping[str, Any]) -> dict[str, Any]:
        """Answer one phase message."""
        ...


class SecureAggregator(Protocol):
    """A coordinator's side of one round, in any mode."""

    @property
    def mode(self) -> AggregationMode:
        """Which mode this is."""
        ...

    def aggregate(
        self, *, spec: RoundSpec, channel: PartyChannel, opening: Mapping[str, Any]
    ) -> AggregateOutcome:
        """Run the round's phases and return the sum of the surviving inputs."""
        ...


def require_quorum(spec: RoundSpec, alive: list[str], phase: str) -> None:
    """Abort when fewer than ``threshold`` participants answered ``phase``."""
    if len(alive) < spec.threshold:
        raise AggregationAborted(
            f"only {len(alive)} participants answered {phase!r}; {spec.threshold} needed",
            detail={"job": spec.job, "round": spec.round, "alive": alive},
        )


def split_extras(answer: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate the mode's message from the participant's ``extras``."""
    body = dict(answer)
    extras = body.pop("extras", {})
    return body, dict(extras) if isinstance(extras, Mapping) else {}


class LocalChannel:
    """Reaches in-process contributors directly (tests, benchmarks, the enclave's host).

    ``fail`` names (participant, phase) pairs that behave as a dropped connection.
    """

    def __init__(
        self,
        contributors: Mapping[str, Contributor],
        *,
        fail: frozenset[tuple[str, str]] = frozenset(),
    ) -> None:
        self._contributors = dict(contributors)
        self._fail = fail

    def exchange(self, participant: str, phase: str, message: Mapping[str, Any]) -> dict[str, Any]:
        """Deliver the message, or raise ``ParticipantDropped`` for a scripted failure."""
        if (participant, phase) in self._fail or (participant, "*") in self._fail:
            raise ParticipantDropped(f"{participant} did not answer {phase!r}")
        return self._contributors[participant].respond(phase, message)
