"""Who is signed in to a party's pages: staff invitations, patient challenges, sessions.

Staff of an institution sign in with a link their node's operator asked for with a
signed request (RFC 9421, docs/identity.md): the session is bound to this node and to the
role the operator named. A patient signs in with his own key: his device (WebCrypto) or
his wallet signs a one-time challenge, so the portal learns only his ``did:key``.
Tokens are 256-bit random values; rows hold their SHA-256 only (OWASP Session Management
Cheat Sheet: session IDs of at least 64 bits of entropy, stored hashed).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

from sqlalchemy import delete

from corridor.clock import Clock
from corridor.crypto.canonical import b64url_decode
from corridor.crypto.errors import CryptoError
from corridor.crypto.hashing import sha256_hex
from corridor.crypto.keys import public_key_from_did_key
from corridor.crypto.signing import verify_ed25519
from corridor.storage.database import Database
from corridor.storage.unit_of_work import UnitOfWork
from corridor.web.errors import ChallengeInvalid, InvalidWebInput, InvitationInvalid
from corridor.web.tables import WebChallengeRow, WebInvitationRow, WebSessionRow

Role = Literal["patient", "desk", "clinician", "operator", "officer"]
ROLES: frozenset[str] = frozenset(get_args(Role))
STAFF_ROLES_BY_PARTY: dict[str, tuple[Role, ...]] = {
    "hospital": ("desk", "clinician"),
    "datacenter": ("operator",),
    "regulator": ("officer",),
    "portal": (),
}
"""Which staff roles each kind of node has; the portal has patients only."""

SESSION_LIFETIME = timedelta(hours=12)
CHALLENGE_LIFETIME = timedelta(minutes=5)
DEFAULT_INVITATION_LIFETIME = timedelta(minutes=15)
# Domain separation: a sign-in signature can never be replayed as a consent or a request.
SIGN_IN_CONTEXT = "corridor/web-sign-in/v1"


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser."""

    role: Role
    subject: str
    csrf: str
    expires_at: datetime

    @property
    def is_patient(self) -> bool:
        """True for a patient (his ``subject`` is his did:key)."""
        return self.role == "patient"


@dataclass(frozen=True)
class SignedIn:
    """A new session: the cookie value to set and what it stands for."""

    token: str
    session: WebSession


def _digest(token: str) -> str:
    return sha256_hex(token.encode("ascii"))


def _aware(at: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def create_invitation(
    *,
    database: Database,
    clock: Clock,
    role: Role,
    subject: str,
    created_by: str,
    lifetime: timedelta = DEFAULT_INVITATION_LIFETIME,
    uses: int = 1,
) -> str:
    """A sign-in token for ``subject`` in ``role``; valid ``uses`` times within ``lifetime``."""
    if role not in ROLES:
        raise InvalidWebInput(f"unknown role {role!r}")
    if not subject or len(subject) > 255:  # noqa: PLR2004
        raise InvalidWebInput("a sign-in link must name who it is for (1-255 characters)")
    if uses < 1 or lifetime <= timedelta(0):
        raise InvalidWebInput("a sign-in link needs at least one use and a positive lifetime")
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with UnitOfWork(database.sessions) as uow:
        uow.session.add(
            WebInvitationRow(
                id=_digest(token),
                role=role,
                subject=subject,
                uses_left=uses,
                created_by=created_by[:255],
                created_at=now,
                expires_at=now + lifetime,
            )
        )
        uow.commit()
    return token


def _new_session(database: Database, clock: Clock, role: Role, subject: str) -> SignedIn:
    token = secrets.token_urlsafe(32)
    now = clock.now()
    session = WebSession(
        role=role,
        subject=subject,
        csrf=secrets.token_urlsafe(32),
        expires_at=now + SESSION_LIFETIME,
    )
    with UnitOfWork(database.sessions) as uow:
        # Expired sessions and challenges go whenever someone signs in: no sweeper thread.
        uow.session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
        uow.session.execute(delete(WebChallengeRow).where(WebChallengeRow.expires_at < now))
        uow.session.add(
            WebSessionRow(
                id=_digest(token),
                role=role,
                subject=subject,
                csrf=session.csrf,
                created_at=now,
                expires_at=session.expires_at,
            )
        )
        uow.commit()
    return SignedIn(token=token, session=session)


def redeem_invitation(*, database: Database, clock: Clock, token: str) -> SignedIn:
    """Spend one use of a sign-in link and open a session for whom it names."""
    now = clock.now()
    with UnitOfWork(database.sessions) as uow:
        row = uow.session.get(WebInvitationRow, _digest(token)) if token else None
        if row is None or row.uses_left < 1 or _aware(row.expires_at) <= now:
            raise InvitationInvalid("this sign-in link is unknown, used up or expired")
        row.uses_left -= 1
        role, subject = row.role, row.subject
        uow.commit()
    return _new_session(database, clock, role, subject)  # type: ignore[arg-type]  # ROLES-checked


def issue_challenge(*, database: Database, clock: Clock) -> str:
    """A one-time nonce for a patient's key to sign (valid five minutes)."""
    nonce = secrets.token_urlsafe(32)
    with UnitOfWork(database.sessions) as uow:
        uow.session.add(
            WebChallengeRow(id=_digest(nonce), expires_at=clock.now() + CHALLENGE_LIFETIME)
        )
        uow.commit()
    return nonce


def challenge_message(*, audience: str, nonce: str) -> bytes:
    """What the patient's key signs: context, the portal's origin and the nonce, one a line.

    Naming the origin stops a page of another site from relaying a challenge of this
    portal to the patient's device and signing in with the answer.
    """
    return f"{SIGN_IN_CONTEXT}\n{audience}\n{nonce}\n".encode()


def sign_in_patient(
    *, database: Database, clock: Clock, audience: str, nonce: str, did: str, signature: str
) -> SignedIn:
    """Check the patient's Ed25519 signature over the challenge; open a session for his DID."""
    now = clock.now()
    with UnitOfWork(database.sessions) as uow:
        row = uow.session.get(WebChallengeRow, _digest(nonce)) if nonce else None
        if row is None or _aware(row.expires_at) <= now:
            raise ChallengeInvalid("the sign-in challenge is unknown or expired; try again")
        uow.session.delete(row)  # one answer per challenge, right or wrong
        uow.commit()
    try:
        verify_ed25519(
            public_key_from_did_key(did),
            b64url_decode(signature),
            challenge_message(audience=audience, nonce=nonce),
        )
    except (CryptoError, ValueError) as exc:
        raise ChallengeInvalid("the signature does not verify under that did:key") from exc
    return _new_session(database, clock, "patient", did)


def sign_in_as(*, database: Database, clock: Clock, role: Role, subject: str) -> SignedIn:
    """Open a session directly: for a caller already authenticated by other means."""
    return _new_session(database, clock, role, subject)


def find_session(*, database: Database, clock: Clock, token: str) -> WebSession | None:
    """The live session behind a cookie value, if any."""
    if not token or len(token) > 128:  # noqa: PLR2004
        return None
    with UnitOfWork(database.sessions) as uow:
        row = uow.session.get(WebSessionRow, _digest(token))
        if row is None or _aware(row.expires_at) <= clock.now():
            return None
        return WebSession(
            role=row.role,  # type: ignore[arg-type]  # only ROLES are ever written
            subject=row.subject,
            csrf=row.csrf,
            expires_at=_aware(row.expires_at),
        )


def end_session(*, database: Database, token: str) -> None:
    """Sign out: forget the session (idempotent)."""
    with UnitOfWork(database.sessions) as uow:
        uow.session.execute(delete(WebSessionRow).where(WebSessionRow.id == _digest(token)))
        uow.commit()


def csrf_matches(session: WebSession, presented: str | None) -> bool:
    """Constant-time comparison of the presented CSRF token with the session's."""
    return bool(presented) and hmac.compare_digest(session.csrf, presented or "")
