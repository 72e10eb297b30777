"""Reference values approved by both regulators: issuing them, holding them, using them.

Flow (docs/enclave.md, "Reference values"): the data center proposes its enclave
program's measurement (program, version, evidence format, configuration) to every
required regulator; each regulator measures the same program from its own copy of the
code and, when the measurement reproduces, signs a statement listing it and records
``reference.approved`` on the monitoring chain. The data center stores the statements;
its key broker accepts an enclave only when every required regulator's unexpired,
verified statement lists the enclave's measurement, and hospital A checks the same
statements before it seals a deposit to the enclave.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import select

from corridor.clock import Clock
from corridor.crypto.keys import SigningKeyPair
from corridor.crypto.signing import jws_kid
from corridor.enclave.errors import ReferenceValuesInvalid, ReferenceValuesRefused
from corridor.enclave.reference import (
    ApprovedReferenceValues,
    ReferenceProposal,
    SignedReferenceValues,
    approved_by_all,
    missing_approvals,
    sign_reference_values,
    verify_reference_values,
)
from corridor.enclave.simulated import measure_program
from corridor.enclave.tables import ReferenceValuesRow
from corridor.errors import CorridorError
from corridor.identity import DidResolver
from corridor.ledger.recorder import EvidenceRecorder
from corridor.storage import Database, UnitOfWork

DEFAULT_VALIDITY = timedelta(days=365)


class ReferenceValues(Protocol):
    """Where the key broker learns which measurements it may accept."""

    def allowed(self, evidence_format: str) -> frozenset[str]:
        """The measurements accepted for ``evidence_format`` now."""
        ...

    def missing_for(self, measurement: str, evidence_format: str) -> list[str]:
        """Who has not approved ``measurement`` (for refusal reasons); empty if all did."""
        ...


class PinnedReferenceValues:
    """Measurements fixed by configuration, approved by nobody: tests and offline tools only.

    The data center uses :class:`RegulatorApprovedReferenceValues`.
    """

    def __init__(self, measurements: frozenset[str]) -> None:
        self._measurements = measurements

    def allowed(self, evidence_format: str) -> frozenset[str]:
        """The pinned set, whatever the format."""
        del evidence_format
        return self._measurements

    def missing_for(self, measurement: str, evidence_format: str) -> list[str]:
        """``["configuration"]`` when the measurement is not pinned."""
        return [] if measurement in self.allowed(evidence_format) else ["configuration"]


class ReferenceValuesClient(Protocol):
    """A regulator, as the data center reaches it."""

    def approve(self, proposal: ReferenceProposal) -> SignedReferenceValues:
        """Ask for a signed approval of ``proposal``."""
        ...


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _store(
    database: Database, signed: SignedReferenceValues, verified: ApprovedReferenceValues
) -> None:
    with UnitOfWork(database.sessions) as uow:
        if uow.session.get(ReferenceValuesRow, signed.digest) is None:
            uow.session.add(
                ReferenceValuesRow(
                    digest=signed.digest,
                    regulator=verified.regulator,
                    program=verified.program,
                    version=verified.version,
                    evidence_format=verified.evidence_format,
                    measurement=min(verified.measurements),
                    body_json=json.dumps(signed.body),
                    jws=signed.jws,
                    approved_at=verified.approved_at,
                    expires_at=verified.expires_at,
                )
            )
            uow.commit()


def _load(
    database: Database, *, regulator: str | None = None, measurement: str | None = None
) -> list[SignedReferenceValues]:
    with UnitOfWork(database.sessions) as uow:
        query = select(ReferenceValuesRow).order_by(ReferenceValuesRow.approved_at)
        if regulator is not None:
            query = query.where(ReferenceValuesRow.regulator == regulator)
        if measurement is not None:
            query = query.where(ReferenceValuesRow.measurement == measurement)
        return [
            SignedReferenceValues(body=json.loads(row.body_json), jws=row.jws)
            for row in uow.session.scalars(query)
        ]


class RegulatorApprovedReferenceValues:
    """Reference values the required regulators signed, held in the data center's database.

    ``allowed`` first asks any regulator that has not yet approved the data center's own
    ``proposal`` (a regulator that refuses or is unreachable simply stays missing, and
    the broker then refuses with ``wrong-measurement``), then verifies every stored
    statement with the regulator's DID key and intersects them.
    """

    def __init__(
        self,
        *,
        database: Database,
        resolver: DidResolver,
        clock: Clock,
        regulators: Mapping[str, ReferenceValuesClient],
        proposal: ReferenceProposal | None,
    ) -> None:
        self._database = database
        self._resolver = resolver
        self._clock = clock
        self._regulators = dict(regulators)
        self._proposal = proposal
        self._lock = threading.Lock()

    @property
    def required(self) -> frozenset[str]:
        """The DIDs of the regulators whose approval every measurement needs."""
        return frozenset(self._regulators)

    def _verified(
        self, statements: Sequence[SignedReferenceValues]
    ) -> list[ApprovedReferenceValues]:
        verified: list[ApprovedReferenceValues] = []
        for signed in statements:
            if signed.regulator not in self._regulators:
                continue
            try:
                key = self._resolver.resolve_key(jws_kid(signed.jws))
                verified.append(verify_reference_values(signed, regulator_key=key))
            except CorridorError:
                continue  # a statement that no longer verifies counts as no approval
        return verified

    def statements(self) -> list[SignedReferenceValues]:
        """The stored statements, after asking for any approval of the proposal still missing."""
        self._request_missing()
        return _load(self._database)

    def _request_missing(self) -> None:
        proposal = self._proposal
        if proposal is None:
            return
        with self._lock:
            held = self._verified(_load(self._database, measurement=proposal.measurement))
            missing = missing_approvals(
                held,
                required=self.required,
                evidence_format=proposal.evidence_format,
                measurement=proposal.measurement,
                at=self._clock.now(),
            )
            for regulator in missing:
                try:
                    signed = self._regulators[regulator].approve(proposal)
                    key = self._resolver.resolve_key(jws_kid(signed.jws))
                    verified = verify_reference_values(signed, regulator_key=key)
                except CorridorError:
                    continue
                if (
                    verified.regulator == regulator
                    and proposal.measurement in verified.measurements
                ):
                    _store(self._database, signed, verified)

    def approvals(self) -> list[ApprovedReferenceValues]:
        """Every verified statement held."""
        return self._verified(self.statements())

    def allowed(self, evidence_format: str) -> frozenset[str]:
        """Measurements every required regulator approves for ``evidence_format`` now."""
        return approved_by_all(
            self.approvals(),
            required=self.required,
            evidence_format=evidence_format,
            at=self._clock.now(),
        )

    def missing_for(self, measurement: str, evidence_format: str) -> list[str]:
        """The required regulators whose approval of ``measurement`` is missing."""
        return missing_approvals(
            self.approvals(),
            required=self.required,
            evidence_format=evidence_format,
            measurement=measurement,
            at=self._clock.now(),
        )


@dataclass(frozen=True)
class ApproverContext:
    """A regulator's side: its keys, its evidence recorder and what it can reproduce."""

    database: Database
    recorder: EvidenceRecorder
    key: SigningKeyPair
    did: str
    kid: str
    clock: Clock
    programs: frozenset[str]
    """Enclave programs this regulator measures from its own copy of the code."""
    validity: timedelta = DEFAULT_VALIDITY


def reference_subject(measurement: str) -> str:
    """The id that stands in for a transfer in ``reference.approved`` entries."""
    return f"refval-{measurement[:24]}"


def approve_reference_values(
    *, context: ApproverContext, proposal: ReferenceProposal
) -> SignedReferenceValues:
    """Reproduce the measurement, then sign it and record ``reference.approved``.

    Idempotent: an unexpired approval of the same program, version, format and
    measurement is answered again rather than signed twice.
    """
    if proposal.program not in context.programs:
        raise ReferenceValuesRefused(
            f"{proposal.program!r} is not a program this regulator measures"
        )
    if proposal.evidence_format != "simulated":
        # Nitro, TDX and SNP measurements come from a reproducible image build, which this
        # regulator does not run; see docs/enclave.md.
        raise ReferenceValuesRefused(f"cannot reproduce {proposal.evidence_format} measurements")
    measured = measure_program(proposal.program, proposal.config).measurement
    if measured != proposal.measurement:
        raise ReferenceValuesRefused(
            "the proposed measurement does not reproduce from this regulator's copy",
            detail={"measured": measured},
        )
    now = context.clock.now()
    for held in _load(context.database, regulator=context.did, measurement=proposal.measurement):
        body = held.body
        if (body["program"], body["version"], body["format"]) == (
            proposal.program,
            proposal.version,
            proposal.evidence_format,
        ) and _aware(datetime.fromisoformat(str(body["expires_at"]))) > now:
            return held
    signed = sign_reference_values(
        proposal=proposal,
        regulator=context.did,
        key=context.key,
        kid=context.kid,
        approved_at=now,
        expires_at=now + context.validity,
    )
    verified = verify_reference_values(signed, regulator_key=context.key.public)
    context.recorder.record(
        "reference.approved",
        transfer=reference_subject(proposal.measurement),
        digests={"measurement": f"sha384:{proposal.measurement}", "reference": signed.digest},
        details={
            "program": proposal.program,
            "version": proposal.version,
            "format": proposal.evidence_format,
            "config": proposal.config_digest,
            "expires_at": str(signed.body["expires_at"]),
        },
    )
    _store(context.database, signed, verified)
    return signed


def parse_statements(values: Sequence[object]) -> list[SignedReferenceValues]:
    """Parse statements from the wire; malformed ones raise :class:`ReferenceValuesInvalid`."""
    if len(values) > 64:  # noqa: PLR2004  # a handful per regulator, never more
        raise ReferenceValuesInvalid("too many reference-values statements")
    return [SignedReferenceValues.from_json(value) for value in values]
