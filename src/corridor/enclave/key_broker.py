"""Key broker: Request / Challenge / Attestation / Response (CoCo Trustee KBS shape).

In RFC 9334's background-check model the key broker is the Relying Party: it hands the
enclave a fresh nonce (Challenge), receives evidence bound to that nonce (Attestation),
has it verified (:func:`corridor.enclave.attestation.verify_attestation`), appraises the
result against the reference values both regulators approved, and only then releases
the deposit's *capability* HPKE-sealed to the enclave's attested key (Response): the
data key itself is never unwrapped here (:mod:`corridor.enclave.deposit`). Nonces are
consumed atomically, so a piece of evidence opens at most one appraisal. Consent and
compliance checks belong to the caller (the transfer flow or the KBS release gate).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from cryptography import x509
from sqlalchemy import CursorResult, select, update

from corridor.clock import Clock
from corridor.crypto.envelopes import DATA_KEY_BYTES, hpke_open, hpke_seal
from corridor.crypto.errors import CryptoError
from corridor.crypto.hashing import sha256_hex
from corridor.crypto.keys import AgreementKeyPair, x25519_public_from_raw
from corridor.enclave.attestation import (
    AttestationFormat,
    AttestationResult,
    Collateral,
    verify_attestation,
)
from corridor.enclave.binding import bind_runtime_data
from corridor.enclave.deposit import CAPABILITY_INFO, RELEASE_INFO
from corridor.enclave.errors import (
    AttestationRefused,
    DepositInvalid,
    EvidenceRejected,
    RefusalReason,
    UserDataInvalid,
)
from corridor.enclave.manifest import parse_user_data
from corridor.enclave.references import ReferenceValues
from corridor.enclave.tables import AppraisalRow, ChallengeRow
from corridor.storage import Database, UnitOfWork

NONCE_BYTES = 32
_X25519_KEY = 32


@dataclass(frozen=True)
class BrokerContext:
    """What the key broker needs; built once by the data center's composition root."""

    database: Database
    broker_keys: AgreementKeyPair
    """The key hospitals seal deposit *capabilities* to (never a data key)."""
    trusted_roots: list[x509.Certificate]
    reference_values: ReferenceValues
    clock: Clock
    challenge_ttl: timedelta = timedelta(minutes=5)
    max_evidence_age: timedelta = timedelta(minutes=5)
    evidence_format: AttestationFormat = "nitro"
    allow_debug: bool = False
    collateral: Collateral | None = None
    """Intel PCS collateral or AMD VCEK/ASK, for TDX and SEV-SNP evidence."""


@dataclass(frozen=True)
class Challenge:
    """A nonce the enclave must put in its evidence before ``expires_at``."""

    transfer: str
    nonce: bytes
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Appraisal:
    """Affirmed evidence: which enclave, running what, holding which keys, for which transfer."""

    appraisal_id: str
    transfer: str
    result: AttestationResult
    enclave_public_key: bytes
    manifest_key: bytes
    evidence_digest: str
    appraised_at: datetime
    bound_user_data: bytes | None = None

    @property
    def pcr0(self) -> str:
        """The attested measurement, lower-case hex."""
        return self.result.pcr0

    @property
    def user_data(self) -> bytes | None:
        """The attested user_data (carries the manifest key), however the evidence bound it."""
        return self.bound_user_data if self.bound_user_data is not None else self.result.user_data


@dataclass(frozen=True)
class AppraisalRecord:
    """One stored appraisal outcome, for consoles and audits."""

    appraisal_id: str
    transfer: str
    evidence_digest: str
    outcome: str
    reason: str | None
    evidence_format: str
    measurement: str | None
    module_id: str | None
    appraised_at: datetime


def _aware(at: datetime) -> datetime:
    # SQLite hands DateTime(timezone=True) back naive; every stored instant is UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def issue_challenge(*, context: BrokerContext, transfer: str) -> Challenge:
    """Issue and store a fresh 32-byte nonce for ``transfer`` (the Challenge step)."""
    now = context.clock.now()
    challenge = Challenge(
        transfer=transfer,
        nonce=secrets.token_bytes(NONCE_BYTES),
        issued_at=now,
        expires_at=now + context.challenge_ttl,
    )
    with UnitOfWork(context.database.sessions) as uow:
        uow.session.add(
            ChallengeRow(
                nonce=challenge.nonce.hex(),
                transfer=transfer,
                issued_at=now,
                expires_at=challenge.expires_at,
                consumed_at=None,
            )
        )
        uow.commit()
    return challenge


def _record(
    context: BrokerContext,
    *,
    transfer: str,
    evidence_digest: str,
    at: datetime,
    reason: RefusalReason | None,
    result: AttestationResult | None,
) -> str:
    appraisal_id = uuid.uuid4().hex
    with UnitOfWork(context.database.sessions) as uow:
        uow.session.add(
            AppraisalRow(
                appraisal_id=appraisal_id,
                transfer=transfer,
                evidence_digest=evidence_digest,
                outcome="refused" if reason else "affirmed",
                reason=reason,
                evidence_format=context.evidence_format,
                measurement=None if result is None else result.measurements.get(0),
                module_id=None if result is None else result.module_id,
                appraised_at=at,
            )
        )
        uow.commit()
    return appraisal_id


def _consume_nonce(
    context: BrokerContext, *, transfer: str, nonce: bytes, at: datetime
) -> RefusalReason | None:
    """Consume the challenge atomically; return why not, or ``None`` when consumed."""
    with UnitOfWork(context.database.sessions) as uow:
        row = uow.session.get(ChallengeRow, nonce.hex())
        if row is None or row.transfer != transfer:
            return "unknown-nonce"
        if row.consumed_at is not None:
            return "reused-nonce"
        if at >= _aware(row.expires_at):
            return "stale-nonce"
        # Compare-and-set: of two concurrent appraisals with the same nonce, one wins.
        outcome = cast(
            "CursorResult[Any]",
            uow.session.execute(
                update(ChallengeRow)
                .where(ChallengeRow.nonce == row.nonce, ChallengeRow.consumed_at.is_(None))
                .values(consumed_at=at)
                .execution_options(synchronize_session=False)
            ),
        )
        if outcome.rowcount != 1:
            return "reused-nonce"
        uow.commit()
    return None


def _refusal(
    context: BrokerContext,
    *,
    transfer: str,
    evidence_digest: str,
    at: datetime,
    reason: RefusalReason,
    result: AttestationResult | None = None,
    cause: str | None = None,
) -> AttestationRefused:
    """Record a refused appraisal and build the error to raise."""
    _record(
        context,
        transfer=transfer,
        evidence_digest=evidence_digest,
        at=at,
        reason=reason,
        result=result,
    )
    detail: dict[str, object] = {"transfer": transfer, "evidence": evidence_digest}
    if cause is not None:
        detail["cause"] = cause
    return AttestationRefused(reason, detail=detail)


def appraise_evidence(
    *,
    context: BrokerContext,
    transfer: str,
    evidence: bytes,
    runtime_data: Mapping[str, Any] | None = None,
    expected_nonce: bytes | None = None,
) -> Appraisal:
    """Verify and appraise evidence for ``transfer`` (the Attestation step).

    ``runtime_data`` is the KBS protocol's ``{"nonce", "tee-pubkey"}`` (required for TDX
    and SEV-SNP, whose report data must hash it); ``expected_nonce`` ties the evidence to
    one KBS session's challenge. Raises :class:`AttestationRefused` with a reason code;
    every outcome is recorded.
    """
    now = context.clock.now()
    digest = f"sha256:{sha256_hex(evidence)}"
    try:
        result = verify_attestation(
            evidence,
            at=now,
            max_age=context.max_evidence_age,
            trusted_roots=context.trusted_roots,
            evidence_format=context.evidence_format,
            allow_debug=context.allow_debug,
            collateral=context.collateral,
        )
        claims = bind_runtime_data(result, runtime_data)
    except (EvidenceRejected, AttestationRefused) as exc:
        raise _refusal(
            context,
            transfer=transfer,
            evidence_digest=digest,
            at=now,
            reason=exc.reason,
            cause=exc.message,
        ) from exc
    problem: RefusalReason | None = None
    detail: str | None = None
    if not claims.nonce:
        problem = "missing-nonce"
    elif expected_nonce is not None and claims.nonce != expected_nonce:
        problem = "unknown-nonce"
    else:
        problem = _consume_nonce(context, transfer=transfer, nonce=claims.nonce, at=now)
    if problem is None and result.measurement not in context.reference_values.allowed(
        result.format
    ):
        problem = "wrong-measurement"
        missing = context.reference_values.missing_for(result.measurement, result.format)
        detail = f"not approved by {', '.join(missing)}" if missing else None
    if problem is None and (claims.public_key is None or len(claims.public_key) != _X25519_KEY):
        problem = "missing-enclave-key"
    manifest_key = b""
    if problem is None:
        try:
            manifest_key = parse_user_data(claims.user_data).manifest_key
        except UserDataInvalid:
            problem = "bad-user-data"
    if problem is not None:
        raise _refusal(
            context,
            transfer=transfer,
            evidence_digest=digest,
            at=now,
            reason=problem,
            result=result,
            cause=detail,
        )
    assert claims.public_key is not None
    appraisal_id = _record(
        context, transfer=transfer, evidence_digest=digest, at=now, reason=None, result=result
    )
    return Appraisal(
        appraisal_id=appraisal_id,
        transfer=transfer,
        result=result,
        enclave_public_key=claims.public_key,
        manifest_key=manifest_key,
        evidence_digest=digest,
        appraised_at=now,
        bound_user_data=claims.user_data,
    )


class ReleaseTarget(Protocol):
    """An affirmed appraisal, as the release needs it (an :class:`Appraisal` or a KBS session)."""

    @property
    def transfer(self) -> str:
        """The transfer the appraisal was for."""
        ...

    @property
    def enclave_public_key(self) -> bytes:
        """The attested X25519 key the release is sealed to."""
        ...

    @property
    def appraised_at(self) -> datetime:
        """When the evidence was affirmed."""
        ...


def release_capability(
    *, context: BrokerContext, appraisal: ReleaseTarget, sealed_capability: bytes, transfer: str
) -> bytes:
    """Re-seal a deposit's capability to the appraised enclave (the Response step).

    The capability is opened with the broker's key (info ``corridor/capability/v1|transfer``)
    and sealed to the enclave's attested key (info ``corridor/release/v1|transfer``). It
    unlocks nothing by itself: the deposit's outer layer opens only inside an enclave
    running the approved program (:mod:`corridor.enclave.deposit`).
    """
    if appraisal.transfer != transfer:
        raise AttestationRefused("wrong-transfer", "the appraisal is for another transfer")
    if context.clock.now() - appraisal.appraised_at > context.max_evidence_age:
        raise AttestationRefused("stale-appraisal", "the appraisal is too old; attest again")
    info = transfer.encode("utf-8")
    try:
        capability = hpke_open(
            context.broker_keys.private, sealed_capability, CAPABILITY_INFO + info
        )
    except CryptoError as exc:
        raise DepositInvalid("the deposited capability does not open for this transfer") from exc
    if len(capability) != DATA_KEY_BYTES:
        raise DepositInvalid("the deposited capability has the wrong length")
    enclave_key = x25519_public_from_raw(appraisal.enclave_public_key)
    return hpke_seal(enclave_key, capability, RELEASE_INFO + info)


def list_appraisals(*, context: BrokerContext, transfer: str) -> list[AppraisalRecord]:
    """Every appraisal recorded for ``transfer``, oldest first."""
    with UnitOfWork(context.database.sessions) as uow:
        rows = uow.session.scalars(
            select(AppraisalRow)
            .where(AppraisalRow.transfer == transfer)
            .order_by(AppraisalRow.appraised_at, AppraisalRow.appraisal_id)
        ).all()
        return [
            AppraisalRecord(
                appraisal_id=row.appraisal_id,
                transfer=row.transfer,
                evidence_digest=row.evidence_digest,
                outcome=row.outcome,
                reason=row.reason,
                evidence_format=row.evidence_format,
                measurement=row.measurement,
                module_id=row.module_id,
                appraised_at=_aware(row.appraised_at),
            )
            for row in rows
        ]
