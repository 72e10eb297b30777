"""A regulator issues credentials to the institutions it licenses, and revokes them.

The regulator's settings list the institutions it licenses (``licensed_institutions``:
DID, credential type, name). An institution asks with a signed request; the regulator
issues to the DID that signed, never to a DID named in the body, so nobody can obtain
another institution's credential. Each credential takes a random free index in the
regulator's Bitstring Status List (random, so the index says nothing about issuance
order: Bitstring Status List §6.1); revocation sets that bit.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from corridor.clock import Clock
from corridor.crypto.keys import SigningKeyPair
from corridor.errors import InvalidInput
from corridor.identity.credentials import (
    PARTY_FOR_CREDENTIAL,
    VC_JWT_TYPE,
    build_credential,
    sign_jwt,
)
from corridor.identity.errors import (
    CredentialNotFound,
    IssuanceRefused,
    StatusListFull,
)
from corridor.identity.status_list import (
    MIN_LIST_BITS,
    encode_status_list,
    status_entry,
    status_list_credential,
)
from corridor.identity.tables import IssuedCredentialRow
from corridor.storage.database import Database
from corridor.storage.unit_of_work import UnitOfWork

STATUS_LIST_ID = "1"
_INDEX_ATTEMPTS = 32
_MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class Licence:
    """What a regulator's settings say about one institution it licenses."""

    did: str
    credential_type: str
    name: str


@dataclass(frozen=True)
class IssuerContext:
    """Collaborators of a regulator's credential service."""

    database: Database
    key: SigningKeyPair
    kid: str
    did: str
    jurisdiction: str
    clock: Clock
    base_url: str
    """The regulator's public URL; status lists are served under it."""
    licences: Mapping[str, tuple[Licence, ...]]
    """Licences by holder DID."""
    validity_days: int = 365

    def status_list_url(self, list_id: str = STATUS_LIST_ID) -> str:
        """Where the status list ``list_id`` is published."""
        return f"{self.base_url.rstrip('/')}/api/identity/status/{list_id}"


@dataclass(frozen=True)
class IssuedCredential:
    """One credential in the regulator's register."""

    id: str
    holder: str
    credential_type: str
    status_index: int
    token: str
    issued_at: datetime
    valid_until: datetime
    revoked_at: datetime | None
    revocation_reason: str

    @property
    def is_revoked(self) -> bool:
        """True once the regulator revoked it."""
        return self.revoked_at is not None


def _issued(row: IssuedCredentialRow) -> IssuedCredential:
    return IssuedCredential(
        id=row.id,
        holder=row.holder_did,
        credential_type=row.credential_type,
        status_index=row.status_index,
        token=row.jwt,
        issued_at=row.issued_at,
        valid_until=row.valid_until,
        revoked_at=row.revoked_at,
        revocation_reason=row.revocation_reason,
    )


def _aware(at: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def issue_credential(
    *, context: IssuerContext, holder: str, credential_type: str
) -> IssuedCredential:
    """Issue (or hand back the current) credential of ``credential_type`` to ``holder``."""
    if credential_type not in PARTY_FOR_CREDENTIAL:
        raise InvalidInput(f"unknown credential type {credential_type!r}")
    licence = next(
        (
            item
            for item in context.licences.get(holder, ())
            if item.credential_type == credential_type
        ),
        None,
    )
    if licence is None:
        raise IssuanceRefused(f"{holder} is not licensed here for {credential_type}")
    now = context.clock.now()
    with UnitOfWork(context.database.sessions) as uow:
        current = uow.session.scalars(
            select(IssuedCredentialRow)
            .where(
                IssuedCredentialRow.holder_did == holder,
                IssuedCredentialRow.credential_type == credential_type,
                IssuedCredentialRow.revoked_at.is_(None),
            )
            .order_by(IssuedCredentialRow.issued_at.desc())
        ).first()
        if current is not None and _aware(current.valid_until) - timedelta(days=1) > now:
            return _issued(current)
        taken = set(uow.session.scalars(select(IssuedCredentialRow.status_index)))
        index = _free_index(taken)
        credential_id = f"urn:uuid:{uuid.uuid4()}"
        valid_until = now + timedelta(days=context.validity_days)
        credential = build_credential(
            credential_id=credential_id,
            issuer=context.did,
            holder=holder,
            credential_type=credential_type,
            jurisdiction=context.jurisdiction,
            name=licence.name,
            valid_from=now,
            valid_until=valid_until,
            status=status_entry(context.status_list_url(), index),
        )
        row = IssuedCredentialRow(
            id=credential_id,
            holder_did=holder,
            credential_type=credential_type,
            status_list=STATUS_LIST_ID,
            status_index=index,
            jwt=sign_jwt(credential, context.key, kid=context.kid, typ=VC_JWT_TYPE),
            issued_at=now,
            valid_until=valid_until,
            revoked_at=None,
            revocation_reason="",
        )
        uow.session.add(row)
        uow.commit()
        return _issued(row)


def _free_index(taken: set[int]) -> int:
    if len(taken) >= MIN_LIST_BITS:
        raise StatusListFull("every index of the status list is in use")
    for _ in range(_INDEX_ATTEMPTS):
        index = secrets.randbelow(MIN_LIST_BITS)
        if index not in taken:
            return index
    return min(set(range(MIN_LIST_BITS)) - taken)


def revoke_credential(
    *, context: IssuerContext, credential_id: str, reason: str
) -> IssuedCredential:
    """Revoke a credential: its status bit is set from now on (revoking twice is a no-op)."""
    if len(reason) > _MAX_REASON_CHARS:
        raise InvalidInput(f"reason is longer than {_MAX_REASON_CHARS} characters")
    with UnitOfWork(context.database.sessions) as uow:
        row = uow.session.get(IssuedCredentialRow, credential_id)
        if row is None:
            raise CredentialNotFound(f"no credential {credential_id} was issued here")
        if row.revoked_at is None:
            row.revoked_at = context.clock.now()
            row.revocation_reason = reason
            uow.commit()
        return _issued(row)


def list_credentials(*, context: IssuerContext) -> list[IssuedCredential]:
    """Every credential issued here, newest first."""
    with UnitOfWork(context.database.sessions) as uow:
        rows = uow.session.scalars(
            select(IssuedCredentialRow).order_by(IssuedCredentialRow.issued_at.desc())
        )
        return [_issued(row) for row in rows]


def status_list_token(*, context: IssuerContext, list_id: str) -> str:
    """The signed ``BitstringStatusListCredential`` of list ``list_id`` as it stands now."""
    if list_id != STATUS_LIST_ID:
        raise CredentialNotFound(f"no status list {list_id} here")
    with UnitOfWork(context.database.sessions) as uow:
        revoked = list(
            uow.session.scalars(
                select(IssuedCredentialRow.status_index).where(
                    IssuedCredentialRow.status_list == list_id,
                    IssuedCredentialRow.revoked_at.is_not(None),
                )
            )
        )
    credential = status_list_credential(
        issuer=context.did,
        list_url=context.status_list_url(list_id),
        encoded=encode_status_list(revoked),
        valid_from=context.clock.now(),
    )
    return sign_jwt(credential, context.key, kid=context.kid, typ=VC_JWT_TYPE)
