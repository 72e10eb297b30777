"""Keep signed consents and revocations at a node (hospital, portal or data center).

Everything stored was verified first; a stored row is re-verified when read, so a row
changed behind the node's back is refused rather than trusted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from corridor.clock import Clock
from corridor.consent.errors import ConsentConflict, ConsentNotFound, InvalidConsent
from corridor.consent.signing import (
    SignedConsent,
    SignedRevocation,
    VerifiedConsent,
    VerifiedRevocation,
    verify_revocation,
    verify_signed_consent,
)
from corridor.consent.tables import ConsentRow, RevocationRow
from corridor.storage.database import Database
from corridor.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ConsentContext:
    """What the consent service needs: the node's database and its clock."""

    database: Database
    clock: Clock


@dataclass(frozen=True)
class StoredConsent:
    """A recorded consent and, once the patient withdrew it, his revocation."""

    consent: VerifiedConsent
    revocation: VerifiedRevocation | None

    @property
    def is_revoked(self) -> bool:
        """True once a revocation is recorded."""
        return self.revocation is not None


def _signed_text(value: dict[str, object]) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def record_consent(*, context: ConsentContext, signed: SignedConsent) -> VerifiedConsent:
    """Verify and store ``signed``; recording the same consent twice is a no-op.

    A different consent under an id already used is a :class:`ConsentConflict`.
    """
    consent = verify_signed_consent(signed)
    terms = consent.terms
    with UnitOfWork(context.database.sessions) as uow:
        existing = uow.session.get(ConsentRow, terms.consent_id)
        if existing is not None:
            if existing.digest != consent.digest:
                raise ConsentConflict(f"consent id {terms.consent_id} is already used")
            return consent
        uow.session.add(
            ConsentRow(
                consent_id=terms.consent_id,
                digest=consent.digest,
                patient_did=terms.patient_did,
                custodian_did=terms.custodian_did,
                recipient_did=terms.recipient_did,
                issued_at=terms.issued_at,
                expires_at=terms.expires_at,
                signed_json=_signed_text(signed.to_json()),
                recorded_at=context.clock.now(),
            )
        )
        uow.commit()
    return consent


def record_revocation(*, context: ConsentContext, signed: SignedRevocation) -> VerifiedRevocation:
    """Verify ``signed`` against the recorded consent it names and store it.

    Revocation is final: the same revocation again is a no-op, a second different one
    is a :class:`ConsentConflict` (the first one already stopped the flow).
    """
    digest = signed.payload.get("consent")
    if not isinstance(digest, str):
        raise InvalidConsent("revocation payload names no consent digest")
    stored = require_consent(context=context, digest=digest)
    revocation = verify_revocation(signed, stored.consent)
    if stored.revocation is not None:
        if stored.revocation.digest != revocation.digest:
            raise ConsentConflict("this consent was already revoked by another revocation")
        return stored.revocation
    with UnitOfWork(context.database.sessions) as uow:
        uow.session.add(
            RevocationRow(
                consent_digest=digest,
                digest=revocation.digest,
                revoked_at=revocation.revoked_at,
                signed_json=_signed_text(signed.to_json()),
                recorded_at=context.clock.now(),
            )
        )
        uow.commit()
    return revocation


def get_consent(
    *, context: ConsentContext, digest: str | None = None, consent_id: str | None = None
) -> StoredConsent | None:
    """The consent with this digest (or id), re-verified, with its revocation if any."""
    if (digest is None) == (consent_id is None):
        raise InvalidConsent("name a consent by exactly one of digest or consent_id")
    with UnitOfWork(context.database.sessions) as uow:
        if digest is not None:
            row = uow.session.scalars(select(ConsentRow).where(ConsentRow.digest == digest)).first()
        else:
            row = uow.session.get(ConsentRow, consent_id)
        if row is None:
            return None
        revocation_row = uow.session.get(RevocationRow, row.digest)
        consent_json, revocation_json = (
            row.signed_json,
            revocation_row.signed_json if revocation_row else None,
        )
    consent = verify_signed_consent(SignedConsent.from_json(json.loads(consent_json)))
    revocation = None
    if revocation_json is not None:
        signed = SignedRevocation.from_json(json.loads(revocation_json))
        revocation = verify_revocation(signed, consent)
    return StoredConsent(consent=consent, revocation=revocation)


def require_consent(
    *, context: ConsentContext, digest: str | None = None, consent_id: str | None = None
) -> StoredConsent:
    """Like :func:`get_consent` but raise :class:`ConsentNotFound` when absent."""
    stored = get_consent(context=context, digest=digest, consent_id=consent_id)
    if stored is None:
        raise ConsentNotFound(f"no consent {digest or consent_id} is recorded here")
    return stored


def is_revoked(*, context: ConsentContext, digest: str) -> bool:
    """True when a revocation of the consent with ``digest`` is recorded here."""
    with UnitOfWork(context.database.sessions) as uow:
        return uow.session.get(RevocationRow, digest) is not None


def consents_of_patient(*, context: ConsentContext, patient_did: str) -> list[StoredConsent]:
    """Every consent the patient gave at this node, oldest first."""
    with UnitOfWork(context.database.sessions) as uow:
        digests = list(
            uow.session.scalars(
                select(ConsentRow.digest)
                .where(ConsentRow.patient_did == patient_did)
                .order_by(ConsentRow.issued_at, ConsentRow.consent_id)
            )
        )
    return [require_consent(context=context, digest=digest) for digest in digests]
