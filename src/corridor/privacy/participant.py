"""A hospital's side of a privacy job: accept it (signed), then answer each round's phases.

The hospital computes over its own FHIR store (``corridor.records``) and only ever sends
masked, encrypted or enclave-sealed inputs. Round secrets (X25519 keys, self-mask seeds,
a Paillier private key) live in this process's memory only and die with the round: a
restarted hospital simply counts as a dropout, which the protocols tolerate.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from cryptography import x509

from corridor.clock import Clock
from corridor.crypto.canonical import b64url_decode, b64url_encode
from corridor.crypto.keys import SigningKeyPair
from corridor.crypto.signing import verify_ed25519
from corridor.errors import CorridorError
from corridor.identity import DidResolver
from corridor.ledger.recorder import EvidenceRecorder
from corridor.privacy.aggregation import OPEN_PHASE, Contributor, LocalInput, RoundSpec
from corridor.privacy.enclave_mode import (
    AttestedEnclaveKey,
    EnclaveContributor,
    appraise_privacy_enclave,
    job_binding,
    seal_contribution,
)
from corridor.privacy.errors import JobNotFound, JobStateConflict, ProtocolViolation
from corridor.privacy.facts import PatientFacts, patient_facts
from corridor.privacy.federated import LogisticRegression, local_gradient
from corridor.privacy.masking import MaskingContributor
from corridor.privacy.measurement import codec_for
from corridor.privacy.paillier import PaillierContributor
from corridor.privacy.randomness import RandomSource
from corridor.privacy.spec import JobSpec, acceptance_bytes, parse_job_spec
from corridor.privacy.tables import PrivacyParticipationRow
from corridor.records import RecordsContext, list_patients, search
from corridor.storage import Database, UnitOfWork

_ROOT_FILE = "attestation-root.pem"


@dataclass
class ParticipantContext:
    """Collaborators of a hospital's privacy participation; round state in memory."""

    database: Database
    records: RecordsContext
    recorder: EvidenceRecorder
    resolver: DidResolver
    clock: Clock
    did: str
    kid: str
    signing: SigningKeyPair
    rng: RandomSource
    trust_folder: Path
    expected_measurement: Callable[[], str]
    """PCR0 of the privacy enclave program, as this hospital computes it from its own copy."""
    coordinator: str
    """The DID of the data center whose jobs this hospital takes part in."""
    round_state: dict[tuple[str, int], Contributor] = field(default_factory=dict)
    fact_cache: dict[str, list[PatientFacts]] = field(default_factory=dict)
    enclave_cache: dict[tuple[str, bytes], AttestedEnclaveKey] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def accept_job(
    *, context: ParticipantContext, spec_json: Mapping[str, Any], coordinator: str
) -> dict[str, Any]:
    """Check the spec names this hospital, sign an acceptance and record ``job.accepted``."""
    if coordinator != context.coordinator:
        raise ProtocolViolation("only this hospital's data center may propose jobs")
    spec = parse_job_spec(spec_json)
    if context.did not in spec.participants:
        raise ProtocolViolation("this hospital is not a participant of the job")
    now = context.clock.now()
    with UnitOfWork(context.database.sessions) as uow:
        row = uow.session.get(PrivacyParticipationRow, spec.job)
        if row is not None and row.spec_digest != spec.digest:
            raise JobStateConflict("a different spec was already accepted under this job id")
        if row is None:
            uow.session.add(
                PrivacyParticipationRow(
                    job=spec.job,
                    spec_json=json.dumps(dict(spec.document)),
                    spec_digest=spec.digest,
                    coordinator=coordinator,
                    accepted_at=now,
                )
            )
            uow.commit()
            context.recorder.record(
                "job.accepted",
                transfer=spec.job,
                digests={"spec": spec.digest},
                details={"agreement": spec.agreement_id, "mode": spec.mode},
            )
    signature = context.signing.sign(
        acceptance_bytes(job=spec.job, spec_digest=spec.digest, participant=context.did)
    )
    return {
        "job": spec.job,
        "participant": context.did,
        "spec": spec.digest,
        "kid": context.kid,
        "signature": b64url_encode(signature),
    }


def _accepted_spec(context: ParticipantContext, job: str) -> JobSpec:
    with UnitOfWork(context.database.sessions) as uow:
        row = uow.session.get(PrivacyParticipationRow, job)
        if row is None:
            raise JobNotFound(f"this hospital has not accepted job {job}")
        return parse_job_spec(json.loads(row.spec_json))


def _patients(context: ParticipantContext, job: str) -> list[PatientFacts]:
    if job not in context.fact_cache:
        context.fact_cache[job] = [
            patient_facts(search(context=context.records, patient_id=patient))
            for patient in list_patients(context=context.records)
        ]
    return context.fact_cache[job]


def _pinned_root(context: ParticipantContext, presented: str) -> x509.Certificate:
    """Trust on first use of the data center's simulated root (as hospital B does)."""
    path = context.trust_folder / _ROOT_FILE
    if not path.exists():
        context.trust_folder.mkdir(parents=True, exist_ok=True)
        path.write_text(presented, encoding="utf-8")
    elif path.read_text(encoding="utf-8") != presented:
        raise ProtocolViolation("the data center presented a different attestation root")
    return x509.load_pem_x509_certificate(path.read_bytes())


def _enclave_key(
    context: ParticipantContext, spec: JobSpec, enclave: Mapping[str, Any]
) -> AttestedEnclaveKey:
    evidence = (
        bytes(enclave["evidence"])
        if isinstance(enclave["evidence"], bytes)
        else b64url_decode(str(enclave["evidence"]))
    )
    key = (spec.job, evidence)
    if key not in context.enclave_cache:
        context.enclave_cache[key] = appraise_privacy_enclave(
            evidence,
            root=_pinned_root(context, str(enclave["root"])),
            expected_measurement=context.expected_measurement(),
            binding=job_binding(spec.job, spec.digest),
            at=context.clock.now(),
            evidence_format=str(enclave.get("format", "simulated")),
        )
    return context.enclave_cache[key]


def _provider(
    context: ParticipantContext, spec: JobSpec, round_number: int
) -> Callable[[Mapping[str, Any]], LocalInput]:
    codec = codec_for(spec)

    def provide(opening: Mapping[str, Any]) -> LocalInput:
        started = time.process_time()
        patients = _patients(context, spec.job)
        if isinstance(spec.computation, LogisticRegression):
            point = np.asarray(opening.get("point"), dtype=np.float64)
            if point.shape != (len(spec.computation.features) + 1,):
                raise ProtocolViolation("the round's model point has the wrong size")
            design, labels = spec.computation.rows(patients)
            vector = local_gradient(point, design, labels, clip=spec.computation.clip)
            rows = int(labels.size)
        else:
            vector, rows = spec.computation.local_vector(patients)
        ring = codec.encode(vector)
        extras: dict[str, Any] = {"rows": rows}
        enclave = opening.get("enclave")
        if isinstance(enclave, Mapping):
            attested = _enclave_key(context, spec, enclave)
            extras["sealed"] = seal_contribution(
                attested.public_key,
                ring,
                job=spec.job,
                round_number=round_number,
                participant=context.did,
            )
        extras["cpu_seconds"] = time.process_time() - started
        return LocalInput(vector=ring, extras=extras)

    return provide


def _verifier(context: ParticipantContext) -> Callable[[str, bytes, bytes], None]:
    def verify(participant: str, message: bytes, signature: bytes) -> None:
        try:
            key = context.resolver.resolve(participant).signing
            verify_ed25519(key, signature, message)
        except CorridorError as exc:
            raise ProtocolViolation(f"the advertisement of {participant} does not verify") from exc

    return verify


def _contributor(context: ParticipantContext, spec: JobSpec, round_number: int) -> Contributor:
    round_spec = RoundSpec(
        job=spec.job,
        round=round_number,
        participants=spec.participants,
        threshold=spec.threshold,
        length=spec.computation.length,
    )
    provide = _provider(context, spec, round_number)
    if spec.mode == "masking":
        return MaskingContributor(
            round_spec, context.did, provide, context.rng, context.signing.sign, _verifier(context)
        )
    if spec.mode == "paillier":
        return PaillierContributor(round_spec, context.did, provide, context.rng)
    return EnclaveContributor(round_spec, context.did, provide)


def respond_to_phase(
    *,
    context: ParticipantContext,
    job: str,
    round_number: int,
    phase: str,
    message: Mapping[str, Any],
) -> dict[str, Any]:
    """Answer one phase of one round of an accepted job."""
    spec = _accepted_spec(context, job)
    if not 0 <= round_number < spec.rounds:
        raise ProtocolViolation(f"round {round_number} is outside the job's {spec.rounds} rounds")
    key = (job, round_number)
    with context.lock:
        if phase == OPEN_PHASE:
            if key in context.round_state:
                raise JobStateConflict("this round was already opened")
            context.round_state[key] = _contributor(context, spec, round_number)
        contributor = context.round_state.get(key)
    if contributor is None:
        raise JobStateConflict(f"round {round_number} of {job} is not open here")
    return contributor.respond(phase, message)


def finish_job(*, context: ParticipantContext, job: str) -> None:
    """Forget every round secret and cached fact of a finished job."""
    with context.lock:
        for round_key in [k for k in context.round_state if k[0] == job]:
            del context.round_state[round_key]
        context.fact_cache.pop(job, None)
        for enclave_key in [k for k in context.enclave_cache if k[0] == job]:
            del context.enclave_cache[enclave_key]
