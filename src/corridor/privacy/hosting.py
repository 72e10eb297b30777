"""Assemble the privacy service for a data center or a hospital (called by composition roots).

The data center hosts jobs: a second enclave program (the privacy program, measured
separately from the transfer program), a key-broker context whose reference value is
that program's measurement, the budget limits and the validation sets it holds for
measuring models. A hospital gets its participation context.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization

from corridor.clock import Clock
from corridor.crypto.keys import AgreementKeyPair, SigningKeyPair
from corridor.enclave import (
    BrokerContext,
    PinnedReferenceValues,
    SimulatedEnclaveBackend,
    SimulatedRoot,
    measure_program,
)
from corridor.identity import DidResolver
from corridor.ledger.recorder import EvidenceRecorder
from corridor.privacy.budget import BudgetLimits
from corridor.privacy.client import HttpParticipants
from corridor.privacy.coordinator import CoordinatorContext
from corridor.privacy.datasets import breast_cancer, validation_set, validation_split
from corridor.privacy.enclave_mode import PRIVACY_PROGRAM_CONFIG, PRIVACY_PROGRAM_MODULE
from corridor.privacy.participant import ParticipantContext
from corridor.privacy.randomness import SystemRandomSource
from corridor.records import RecordsContext
from corridor.storage import Database

WDBC_VALIDATION = "wdbc-holdout"


@cache
def privacy_program_measurement() -> str:
    """PCR0 of the privacy enclave program, computed from this installation's own copy."""
    return measure_program(PRIVACY_PROGRAM_MODULE, PRIVACY_PROGRAM_CONFIG).measurement


def _wdbc_holdout() -> Mapping[str, Any]:
    return validation_set(validation_split(breast_cancer())[1])


def default_validation_sets() -> dict[str, Callable[[], Mapping[str, Any]]]:
    """Validation sets a data center holds: the public WDBC hold-out (every fifth row)."""
    return {WDBC_VALIDATION: _wdbc_holdout}


def build_coordinator(
    *,
    database: Database,
    recorder: EvidenceRecorder,
    resolver: DidResolver,
    clock: Clock,
    did: str,
    signing: SigningKeyPair,
    http: httpx.Client,
    root: SimulatedRoot,
    limits: BudgetLimits | None = None,
) -> CoordinatorContext:
    """The data center's privacy service, with its own (simulated) measuring enclave."""
    with warnings.catch_warnings():
        # The transfer enclave already warned that simulated enclaves are insecure.
        warnings.simplefilter("ignore")
        backend = SimulatedEnclaveBackend(
            PRIVACY_PROGRAM_MODULE, PRIVACY_PROGRAM_CONFIG, root, clock
        )
    return CoordinatorContext(
        database=database,
        recorder=recorder,
        resolver=resolver,
        clock=clock,
        did=did,
        signing=signing,
        participants=HttpParticipants(http),
        backend=backend,
        broker=_broker(database, root, backend.measurement, clock),
        attestation_root_pem=root.root_certificate.public_bytes(
            serialization.Encoding.PEM
        ).decode(),
        limits=limits or BudgetLimits(),
        validation_sets=default_validation_sets(),
    )


def _broker(
    database: Database, root: SimulatedRoot, measurement: str, clock: Clock
) -> BrokerContext:
    return BrokerContext(
        database=database,
        broker_keys=AgreementKeyPair.generate(),  # never used: privacy jobs release no data key
        trusted_roots=[root.root_certificate],
        # Pinned to the measurement this installation computes from its own copy of the
        # program; regulator approval (RegulatorApprovedReferenceValues) is a follow-up.
        reference_values=PinnedReferenceValues(frozenset({measurement})),
        clock=clock,
        evidence_format="simulated",
    )


def build_participant(
    *,
    database: Database,
    records: RecordsContext,
    recorder: EvidenceRecorder,
    resolver: DidResolver,
    clock: Clock,
    did: str,
    kid: str,
    signing: SigningKeyPair,
    trust_folder: Path,
    coordinator: str,
) -> ParticipantContext:
    """A hospital's participation in the data center's privacy jobs."""
    return ParticipantContext(
        database=database,
        records=records,
        recorder=recorder,
        resolver=resolver,
        clock=clock,
        did=did,
        kid=kid,
        signing=signing,
        rng=SystemRandomSource(),
        trust_folder=trust_folder,
        expected_measurement=privacy_program_measurement,
        coordinator=coordinator,
    )
