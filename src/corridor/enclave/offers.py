"""Deposit offers: the data center proves its enclave's deposit key; hospital A appraises it.

Before it seals a record's data key (:mod:`corridor.enclave.deposit`), hospital A asks the
data center for fresh evidence of the enclave program's deposit key, with its own nonce,
and for the regulators' reference-values statements. Hospital A is the relying party
here (RFC 9334 §5.2): it verifies the evidence under the attestation root it pinned, the
statements under the regulators' DID keys, and seals only to a key that an enclave whose
measurement every regulator approved holds.

The data center answers from one long-lived enclave session (the deposit key is the same
for every instance of the program, and launching an enclave per upload would cost
seconds), relaunched if it dies.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509

from corridor.clock import Clock
from corridor.crypto.canonical import b64url_decode, b64url_encode
from corridor.crypto.signing import jws_kid
from corridor.enclave.deposit import DepositTarget, appraise_deposit_offer
from corridor.enclave.errors import AttestationRefused, EnclaveUnavailable
from corridor.enclave.interfaces import EnclaveBackend, EnclaveSession
from corridor.enclave.reference import (
    SignedReferenceValues,
    approved_by_all,
    verify_reference_values,
)
from corridor.enclave.references import RegulatorApprovedReferenceValues, parse_statements
from corridor.enclave.results import ATTESTATION_FORMATS, AttestationFormat
from corridor.errors import CorridorError
from corridor.identity import DidResolver

NONCE_BYTES = 32
_ROOT_FILE = "attestation-root.pem"


class DepositAttester:
    """Keeps one enclave of the program running to answer deposit-key evidence requests."""

    def __init__(self, backend: EnclaveBackend) -> None:
        self._backend = backend
        self._session: EnclaveSession | None = None
        self._lock = threading.Lock()

    @property
    def evidence_format(self) -> str:
        """The format of the evidence it produces."""
        return self._backend.evidence_format

    def evidence(self, nonce: bytes) -> bytes:
        """Evidence binding ``nonce`` and the enclave's deposit key (launches on first use)."""
        with self._lock:
            for attempt in (1, 2):
                if self._session is None:
                    self._session = self._backend.launch()
                try:
                    return self._session.evidence(nonce)
                except EnclaveUnavailable:
                    self._session.close()
                    self._session = None
                    if attempt == 2:  # noqa: PLR2004
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Stop the enclave; its ephemeral keys die with it."""
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None


@dataclass(frozen=True)
class DepositOffer:
    """Evidence of the deposit key, the root it chains to and the regulators' statements."""

    evidence: bytes
    evidence_format: AttestationFormat
    attestation_root: str
    reference_values: list[SignedReferenceValues]

    def to_json(self) -> dict[str, Any]:
        """Wire form."""
        return {
            "evidence": b64url_encode(self.evidence),
            "evidence_format": self.evidence_format,
            "attestation_root": self.attestation_root,
            "reference_values": [statement.to_json() for statement in self.reference_values],
        }

    @classmethod
    def from_json(cls, value: Any) -> DepositOffer:
        """Parse the wire form."""
        if not isinstance(value, dict):
            raise AttestationRefused("bad-user-data", "a deposit offer must be an object")
        evidence_format = value.get("evidence_format")
        statements = value.get("reference_values")
        if evidence_format not in ATTESTATION_FORMATS or not isinstance(statements, list):
            raise AttestationRefused("bad-user-data", "the deposit offer is malformed")
        try:
            evidence = b64url_decode(str(value.get("evidence", "")))
        except ValueError as exc:
            raise AttestationRefused("bad-user-data", "offer evidence is not base64url") from exc
        return cls(
            evidence=evidence,
            evidence_format=evidence_format,
            attestation_root=str(value.get("attestation_root", "")),
            reference_values=parse_statements(statements),
        )


@dataclass(frozen=True)
class OfferContext:
    """The data center's side."""

    attester: DepositAttester
    reference_values: RegulatorApprovedReferenceValues
    attestation_root_pem: str
    evidence_format: AttestationFormat


def deposit_offer(*, context: OfferContext, nonce: bytes) -> DepositOffer:
    """Fresh evidence for ``nonce`` and every reference-values statement held."""
    if len(nonce) != NONCE_BYTES:
        raise AttestationRefused("missing-nonce", f"the nonce must be {NONCE_BYTES} bytes")
    return DepositOffer(
        evidence=context.attester.evidence(nonce),
        evidence_format=context.evidence_format,
        attestation_root=context.attestation_root_pem,
        reference_values=context.reference_values.statements(),
    )


class OfferSource(Protocol):
    """The data center, as hospital A reaches it."""

    def deposit_offer(self, nonce: bytes) -> DepositOffer:
        """Ask for an offer answering ``nonce``."""
        ...


@dataclass(frozen=True)
class DepositKeyContext:
    """Hospital A's side: whom it asks, whom it trusts, where it pins the root."""

    center: OfferSource
    resolver: DidResolver
    regulators: frozenset[str]
    trust_folder: Path
    clock: Clock
    max_evidence_age: timedelta = timedelta(minutes=10)


def pin_attestation_root(folder: Path, presented_pem: str) -> x509.Certificate:
    """The attestation root, pinned the first time it is presented (trust on first use).

    A deployment on real hardware pins the vendor's root in configuration; a simulated
    root exists per installation only, so it is pinned when first seen and any later
    change is refused.
    """
    path = folder / _ROOT_FILE
    presented = presented_pem.encode("ascii")
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(presented)
    elif path.read_bytes() != presented:
        raise AttestationRefused("unknown-root", "the data center presented a different root")
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError as exc:
        raise AttestationRefused(
            "unknown-root", "the pinned attestation root is unreadable"
        ) from exc


def approved_measurements(
    statements: Sequence[SignedReferenceValues],
    *,
    resolver: DidResolver,
    regulators: frozenset[str],
    evidence_format: str,
    at: datetime,
) -> frozenset[str]:
    """The measurements every one of ``regulators`` approved, from signatures checked here.

    Statements of other signers, or whose signature does not verify against the signer's
    DID document, are ignored: the data center that serves them cannot forge an approval.
    """
    verified = []
    for statement in statements:
        if statement.regulator not in regulators:
            continue
        try:
            key = resolver.resolve_key(jws_kid(statement.jws))
            verified.append(verify_reference_values(statement, regulator_key=key))
        except CorridorError:
            continue
    return approved_by_all(verified, required=regulators, evidence_format=evidence_format, at=at)


class ReferenceValuesSource(Protocol):
    """Where a hospital reads the reference-values statements (the data center, publicly)."""

    def reference_values(self) -> list[SignedReferenceValues]:
        """Every statement held, signatures not yet checked."""
        ...


@dataclass(frozen=True)
class MeasurementApprovals:
    """Hospital B's side: the measurements its regulators approved, checked at each delivery."""

    source: ReferenceValuesSource
    resolver: DidResolver
    regulators: frozenset[str]

    def approved(self, *, evidence_format: str, at: datetime) -> frozenset[str]:
        """What every configured regulator approves now, from statements verified here."""
        return approved_measurements(
            self.source.reference_values(),
            resolver=self.resolver,
            regulators=self.regulators,
            evidence_format=evidence_format,
            at=at,
        )


def attested_deposit_target(*, context: DepositKeyContext) -> DepositTarget:
    """Ask for an offer with a fresh nonce and appraise it; raise if anything is amiss."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    offer = context.center.deposit_offer(nonce)
    root = pin_attestation_root(context.trust_folder, offer.attestation_root)
    return appraise_deposit_offer(
        offer.evidence,
        evidence_format=offer.evidence_format,
        nonce=nonce,
        at=context.clock.now(),
        max_age=context.max_evidence_age,
        trusted_roots=[root],
        allowed_measurements=approved_measurements(
            offer.reference_values,
            resolver=context.resolver,
            regulators=context.regulators,
            evidence_format=offer.evidence_format,
            at=context.clock.now(),
        ),
    )
