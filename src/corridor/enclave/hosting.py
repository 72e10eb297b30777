"""Assemble the enclave domain for the party that hosts it (composition-root helpers).

The data center hosts the enclave backend, the key broker (in-process and over the KBS
protocol) and the deposit-offer responder; a regulator hosts the reference-values
approver. ``apps/`` calls these so that its composition roots stay a few lines each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization

from corridor import __version__
from corridor.clock import Clock
from corridor.crypto.keys import AgreementKeyPair, SigningKeyPair
from corridor.enclave.client import HttpReferenceClient
from corridor.enclave.interfaces import ReleaseGate
from corridor.enclave.kbs import KbsContext
from corridor.enclave.key_broker import BrokerContext
from corridor.enclave.offers import DepositAttester, OfferContext
from corridor.enclave.program import PROGRAM_MODULE
from corridor.enclave.reference import ReferenceProposal
from corridor.enclave.references import ApproverContext, RegulatorApprovedReferenceValues
from corridor.enclave.simulated import SimulatedEnclaveBackend, SimulatedRoot
from corridor.identity import DidResolver
from corridor.ledger.recorder import EvidenceRecorder
from corridor.storage import Database


@dataclass(frozen=True)
class HostedEnclave:
    """The data center's enclave side: backend, broker, deposit offers."""

    backend: SimulatedEnclaveBackend
    broker: BrokerContext
    reference_values: RegulatorApprovedReferenceValues
    offers: OfferContext
    attestation_root_pem: str

    def close(self) -> None:
        """Stop the long-lived deposit-key enclave."""
        self.offers.attester.close()


def host_simulated_enclave(
    *,
    database: Database,
    resolver: DidResolver,
    clock: Clock,
    http: httpx.Client,
    root: SimulatedRoot,
    broker_keys: AgreementKeyPair,
    regulators: Mapping[str, str],
    config: dict[str, Any],
) -> HostedEnclave:
    """The simulated backend, a broker that accepts only what every regulator approved.

    ``regulators`` maps each required regulator's DID to its base URL.
    """
    backend = SimulatedEnclaveBackend(PROGRAM_MODULE, config, root, clock)
    reference_values = RegulatorApprovedReferenceValues(
        database=database,
        resolver=resolver,
        clock=clock,
        regulators={did: HttpReferenceClient(http, url) for did, url in regulators.items()},
        proposal=ReferenceProposal(
            program=PROGRAM_MODULE,
            version=__version__,
            evidence_format=backend.evidence_format,
            measurement=backend.measurement,
            config=config,
        ),
    )
    broker = BrokerContext(
        database=database,
        broker_keys=broker_keys,
        trusted_roots=[root.root_certificate],
        reference_values=reference_values,
        clock=clock,
        evidence_format="simulated",
    )
    root_pem = root.root_certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    offers = OfferContext(
        attester=DepositAttester(backend),
        reference_values=reference_values,
        attestation_root_pem=root_pem,
        evidence_format="simulated",
    )
    return HostedEnclave(
        backend=backend,
        broker=broker,
        reference_values=reference_values,
        offers=offers,
        attestation_root_pem=root_pem,
    )


def key_broker_service(
    *, broker: BrokerContext, gate: ReleaseGate, signing: SigningKeyPair, did: str, kid: str
) -> KbsContext:
    """The KBS protocol over ``broker``; tokens are signed with the data center's DID key."""
    return KbsContext(broker=broker, gate=gate, token_key=signing, issuer=did, kid=kid)


def reference_approver(
    *,
    database: Database,
    recorder: EvidenceRecorder,
    signing: SigningKeyPair,
    did: str,
    kid: str,
    clock: Clock,
) -> ApproverContext:
    """A regulator's approver of the shipped enclave program's measurement."""
    return ApproverContext(
        database=database,
        recorder=recorder,
        key=signing,
        did=did,
        kid=kid,
        clock=clock,
        programs=frozenset({PROGRAM_MODULE}),
    )
