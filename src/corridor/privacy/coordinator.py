"""The data center's side of a privacy job: create it, gather acceptances, run, release, measure.

Every phase is evidence on the chain, signed by the party that acts: ``job.created`` (data
center), ``job.accepted`` (each hospital), ``attestation.appraised`` (the measuring
enclave), ``job.round`` per aggregation round, ``job.released`` (the DP figures or model)
and ``job.measured`` (the signed value-distribution statement). Entries carry digests
and counts, never a figure about a patient.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridor.clock import Clock
from corridor.crypto.canonical import b64url_decode, b64url_encode, canonical_json
from corridor.crypto.hashing import sha256_hex
from corridor.crypto.keys import SigningKeyPair
from corridor.crypto.signing import verify_ed25519
from corridor.enclave import (
    AttestationRefused,
    BrokerContext,
    EnclaveBackend,
    appraise_evidence,
    issue_challenge,
)
from corridor.errors import CorridorError
from corridor.identity import DidResolver
from corridor.ledger.recorder import EvidenceRecorder
from corridor.privacy.aggregation import RoundSpec, SecureAggregator
from corridor.privacy.budget import BudgetLimits, require_budget, spend_budget
from corridor.privacy.client import HttpParticipants, RoundChannel
from corridor.privacy.dp import rho_for
from corridor.privacy.enclave_mode import (
    EnclaveAggregator,
    EnclaveRunner,
    job_binding,
    verify_enclave_manifest,
)
from corridor.privacy.errors import JobNotFound, JobStateConflict, ProtocolViolation
from corridor.privacy.federated import FederatedTrainer, LogisticRegression, accuracy
from corridor.privacy.fixedpoint import ring_to_bytes
from corridor.privacy.masking import MaskingAggregator
from corridor.privacy.measurement import (
    PartyMeasurement,
    codec_for,
    distribute_value,
    statement_digest,
    value_statement,
)
from corridor.privacy.paillier import PaillierAggregator
from corridor.privacy.spec import JobSpec, acceptance_bytes, parse_job_spec
from corridor.privacy.tables import PrivacyJobRow
from corridor.privacy.wire import to_wire
from corridor.storage import Database, UnitOfWork

ValidationSets = Mapping[str, Callable[[], Mapping[str, Any]]]


@dataclass(frozen=True)
class CoordinatorContext:
    """Collaborators of the data center's privacy service; built by its composition root."""

    database: Database
    recorder: EvidenceRecorder
    resolver: DidResolver
    clock: Clock
    did: str
    signing: SigningKeyPair
    participants: HttpParticipants
    backend: EnclaveBackend
    broker: BrokerContext
    attestation_root_pem: str
    limits: BudgetLimits
    validation_sets: ValidationSets
    paillier_key_bits: int = 2048


def _load(uow: UnitOfWork, job: str) -> PrivacyJobRow:
    row = uow.session.get(PrivacyJobRow, job)
    if row is None:
        raise JobNotFound(f"no privacy job {job}")
    return row


def job_status(*, context: CoordinatorContext, job: str) -> dict[str, Any]:
    """The job's spec digest, state, acceptances and (once run) result."""
    with UnitOfWork(context.database.sessions) as uow:
        row = _load(uow, job)
        return {
            "job": row.id,
            "spec": row.spec_digest,
            "state": row.state,
            "acceptances": json.loads(row.acceptances_json),
            "result": json.loads(row.result_json),
        }


def _charge(spec: JobSpec) -> tuple[float, float]:
    return spec.privacy.epsilon, spec.privacy.delta


def _verify_acceptance(
    context: CoordinatorContext, spec: JobSpec, participant: str, answer: Mapping[str, Any]
) -> None:
    kid = str(answer.get("kid", ""))
    if kid.split("#", 1)[0] != participant or answer.get("spec") != spec.digest:
        raise ProtocolViolation(f"the acceptance of {participant} names another key or spec")
    try:
        key = context.resolver.resolve_key(kid)
        verify_ed25519(
            key,
            b64url_decode(str(answer["signature"])),
            acceptance_bytes(job=spec.job, spec_digest=spec.digest, participant=participant),
        )
    except CorridorError as exc:
        raise ProtocolViolation(f"the acceptance of {participant} does not verify") from exc


def create_job(*, context: CoordinatorContext, spec_json: Mapping[str, Any]) -> dict[str, Any]:
    """Validate, check the budget, record ``job.created`` and collect signed acceptances."""
    spec = parse_job_spec(spec_json)
    epsilon, delta = _charge(spec)
    require_budget(
        database=context.database,
        limits=context.limits,
        dataset=spec.privacy.dataset,
        consumer=spec.consumer,
        epsilon=epsilon,
        delta=delta,
        job=spec.job,
    )
    now = context.clock.now()
    with UnitOfWork(context.database.sessions) as uow:
        existing = uow.session.get(PrivacyJobRow, spec.job)
        if existing is not None:
            if existing.spec_digest != spec.digest:
                raise JobStateConflict("another spec already uses this job id")
            if existing.state != "created":
                return job_status(context=context, job=spec.job)
        else:
            uow.session.add(
                PrivacyJobRow(
                    id=spec.job,
                    spec_json=json.dumps(dict(spec.document)),
                    spec_digest=spec.digest,
                    dataset=spec.privacy.dataset,
                    consumer=spec.consumer,
                    state="created",
                    acceptances_json="{}",
                    result_json="{}",
                    created_at=now,
                    updated_at=now,
                )
            )
            uow.commit()
            context.recorder.record(
                "job.created",
                transfer=spec.job,
                digests={
                    "spec": spec.digest,
                    **({"agreement": spec.agreement_digest} if spec.agreement_digest else {}),
                },
                details={
                    "agreement": spec.agreement_id,
                    "computation": spec.computation.kind,
                    "mode": spec.mode,
                    "participants": len(spec.participants),
                    "utility": spec.utility,
                },
            )
    acceptances: dict[str, Any] = {}
    for participant in spec.participants:
        answer = context.participants.accept(participant, spec.document, context.did)
        _verify_acceptance(context, spec, participant, answer)
        acceptances[participant] = answer
    with UnitOfWork(context.database.sessions) as uow:
        row = _load(uow, spec.job)
        row.acceptances_json = json.dumps(acceptances)
        row.state = "accepted"
        row.updated_at = context.clock.now()
        uow.commit()
    return job_status(context=context, job=spec.job)


@dataclass
class _Tally:
    rows: dict[str, int]
    cpu: dict[str, float]

    def add(self, extras: Mapping[str, Mapping[str, Any]], first_round: bool) -> None:
        for participant, reported in extras.items():
            if first_round or participant not in self.rows:
                self.rows[participant] = int(reported.get("rows", 0))
            self.cpu[participant] = self.cpu.get(participant, 0.0) + float(
                reported.get("cpu_seconds", 0.0)
            )


def _aggregator(
    context: CoordinatorContext, spec: JobSpec, runner: EnclaveRunner, manifest_key: bytes
) -> SecureAggregator:
    if spec.mode == "masking":
        return MaskingAggregator()
    if spec.mode == "paillier":
        return PaillierAggregator(key_bits=context.paillier_key_bits)
    return EnclaveAggregator(runner=runner, manifest_key=manifest_key)


def _run_rounds(
    context: CoordinatorContext,
    spec: JobSpec,
    session: EnclaveRunner,
    manifest_key: bytes,
    enclave: dict[str, Any],
) -> tuple[Any, _Tally]:
    codec = codec_for(spec)
    aggregator = _aggregator(context, spec, session, manifest_key)
    tally = _Tally(rows={}, cpu={})
    trainer: FederatedTrainer | None = None
    if isinstance(spec.computation, LogisticRegression):
        rho = rho_for(spec.privacy.epsilon, spec.privacy.delta)
        trainer = FederatedTrainer(spec.computation, rho_total=rho)
    total: Any = None
    for round_number in range(spec.rounds):
        opening: dict[str, Any] = {
            "enclave": enclave,
            "key_holder": spec.participants[round_number % len(spec.participants)],
        }
        if trainer is not None:
            opening["point"] = trainer.query_point().tolist()
        round_spec = RoundSpec(
            spec.job, round_number, spec.participants, spec.threshold, spec.computation.length
        )
        outcome = aggregator.aggregate(
            spec=round_spec,
            channel=RoundChannel(context.participants, spec.job, round_number),
            opening=opening,
        )
        if spec.mode != "enclave":
            answer = session.run(
                {
                    "op": "record",
                    "job": spec.job,
                    "round": round_number,
                    "length": spec.computation.length,
                    "point": opening.get("point"),
                    "contributions": {p: outcome.extras[p]["sealed"] for p in outcome.contributors},
                }
            )
            verify_enclave_manifest(
                answer["manifest"],
                b64url_decode(answer["signature"]),
                manifest_key=manifest_key,
                result=answer["result"],
            )
        tally.add(outcome.extras, round_number == 0)
        total = codec.decode(outcome.total)
        if trainer is not None:
            trainer.absorb(total)
        context.recorder.record(
            "job.round",
            transfer=spec.job,
            digests={
                "aggregate": "sha256:" + sha256_hex(ring_to_bytes(outcome.total)),
                "view": "sha256:" + sha256_hex(canonical_json(_view_digests(outcome.received))),
            },
            details={
                "round": round_number,
                "mode": spec.mode,
                "contributors": len(outcome.contributors),
                "dropped": ",".join(outcome.dropped)[:512] or None,
            },
        )
    return (trainer if trainer is not None else total), tally


def _view_digests(received: Any) -> list[dict[str, str]]:
    """A compact commitment to everything the aggregator received in a round."""
    return [
        {
            "phase": r.phase,
            "participant": r.participant,
            "message": sha256_hex(canonical_json(to_wire(dict(r.message)))),
        }
        for r in received
    ]


def _release(context: CoordinatorContext, spec: JobSpec, outcome: Any) -> dict[str, Any]:
    if isinstance(outcome, FederatedTrainer):
        weights = outcome.released_weights()
        model = spec.computation
        assert isinstance(model, LogisticRegression)
        release: dict[str, Any] = {
            "kind": "logistic-regression",
            "weights": [round(float(w), 9) for w in weights],
            "features": [
                f.name or f.component.code if f.component else f.observation.code
                for f in model.features
            ],
            "rounds": outcome.round,
            "mechanism": "gaussian",
            "epsilon": spec.privacy.epsilon,
            "delta": spec.privacy.delta,
        }
        if spec.validation and spec.validation in context.validation_sets:
            validation = context.validation_sets[spec.validation]()
            design = model.validation_design(validation)
            # Accuracy of the already-private model on the data center's own set: post-processing.
            release["validation_accuracy"] = round(
                accuracy(weights, design, np.asarray(validation["labels"], dtype=np.float64)), 6
            )
        return release
    assert not isinstance(spec.computation, LogisticRegression)
    figures = spec.computation.release(np.asarray(outcome), spec.privacy)
    return {"kind": spec.computation.kind, **figures.to_json()}


def _measure(
    context: CoordinatorContext,
    *,
    spec: JobSpec,
    session: EnclaveRunner,
    manifest_key: bytes,
    tally: _Tally,
    measurement: str,
) -> dict[str, Any]:
    validation = None
    if spec.validation is not None:
        if spec.validation not in context.validation_sets:
            raise ProtocolViolation(f"the data center holds no validation set {spec.validation!r}")
        validation = dict(context.validation_sets[spec.validation]())
    answer = session.run(
        {"op": "measure", "job": spec.job, "spec": dict(spec.document), "validation": validation}
    )
    verify_enclave_manifest(
        answer["manifest"],
        b64url_decode(answer["signature"]),
        manifest_key=manifest_key,
        result=answer["result"],
    )
    result = answer["result"]
    shares = distribute_value(result["shapley"], spec.price)
    parties = [
        PartyMeasurement(
            participant=participant,
            valid_rows=tally.rows.get(participant, 0),
            cpu_seconds=tally.cpu.get(participant, 0.0),
            update_size=int(result["parameters"][participant]["size"]),
            update_norm=result["parameters"][participant]["norm"],
            shapley=float(result["shapley"][participant]),
            share=shares[participant],
        )
        for participant in sorted(result["shapley"])
    ]
    statement = value_statement(
        spec=spec,
        parties=parties,
        enclave_measurement=measurement,
        exact=bool(result["exact"]),
        error_bound=result["error_bound"],
        utility_full=float(result["utility_full"]),
        utility_empty=float(result["utility_empty"]),
    )
    digest = statement_digest(statement)
    signature = context.signing.sign(canonical_json(statement))
    compact = json.dumps(
        {p.participant.rsplit(":", 1)[-1]: p.share for p in parties}, separators=(",", ":")
    )
    context.recorder.record(
        "job.measured",
        transfer=spec.job,
        digests={
            "statement": digest,
            "enclave_manifest": "sha256:" + sha256_hex(canonical_json(answer["manifest"])),
        },
        details={
            "price": str(spec.price.amount),
            "currency": spec.price.currency,
            "floor_share": str(spec.price.floor_share),
            "shares": compact if len(compact) <= 512 else None,  # noqa: PLR2004
            "exact": bool(result["exact"]),
        },
    )
    return {
        "statement": statement,
        "statement_digest": digest,
        "signature": b64url_encode(signature),
    }


def run_job(*, context: CoordinatorContext, job: str) -> dict[str, Any]:
    """Charge the budget, attest the measuring enclave, run every round, release, measure."""
    with UnitOfWork(context.database.sessions) as uow:
        row = _load(uow, job)
        if row.state == "measured":
            return job_status(context=context, job=job)
        if row.state != "accepted":
            raise JobStateConflict(f"job {job} is {row.state}; only accepted jobs run")
        spec = parse_job_spec(json.loads(row.spec_json))
    epsilon, delta = _charge(spec)
    spend_budget(
        database=context.database,
        limits=context.limits,
        dataset=spec.privacy.dataset,
        consumer=spec.consumer,
        epsilon=epsilon,
        delta=delta,
        job=spec.job,
        at=context.clock.now(),
    )
    with context.backend.launch() as session:
        challenge = issue_challenge(context=context.broker, transfer=spec.job)
        evidence = session.evidence(challenge.nonce, job_binding(spec.job, spec.digest))
        try:
            appraisal = appraise_evidence(
                context=context.broker, transfer=spec.job, evidence=evidence
            )
        except AttestationRefused as exc:
            raise ProtocolViolation(
                f"the measuring enclave failed attestation: {exc.reason}"
            ) from exc
        context.recorder.record(
            "attestation.appraised",
            transfer=spec.job,
            digests={
                "evidence": appraisal.evidence_digest,
                "measurement": f"sha384:{appraisal.pcr0}",
            },
            details={
                "format": appraisal.result.format,
                "outcome": "affirming",
                "purpose": "privacy",
            },
        )
        enclave = {
            "evidence": evidence,
            "root": context.attestation_root_pem,
            "format": appraisal.result.format,
        }
        try:
            outcome, tally = _run_rounds(context, spec, session, appraisal.manifest_key, enclave)
            release = _release(context, spec, outcome)
            context.recorder.record(
                "job.released",
                transfer=spec.job,
                digests={"release": "sha256:" + sha256_hex(canonical_json(release))},
                details={
                    "mechanism": spec.privacy.mechanism,
                    "epsilon": str(spec.privacy.epsilon),
                    "delta": str(spec.privacy.delta),
                    "suppressed": len(release.get("suppressed", [])),
                },
            )
            measured = _measure(
                context,
                spec=spec,
                session=session,
                manifest_key=appraisal.manifest_key,
                tally=tally,
                measurement=appraisal.pcr0,
            )
        finally:
            for participant in spec.participants:
                context.participants.finish(participant, spec.job)
    result = {"release": release, "measurement": measured}
    with UnitOfWork(context.database.sessions) as uow:
        row = _load(uow, job)
        row.result_json = json.dumps(result)
        row.state = "measured"
        row.updated_at = context.clock.now()
        uow.commit()
    return job_status(context=context, job=job)
