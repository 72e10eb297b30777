"""Errors raised by the identity package."""

from __future__ import annotations

from corridor.errors import (
    ConfigurationError,
    Conflict,
    CorridorError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
    Unavailable,
    VerificationFailed,
)


class IdentityError(CorridorError):
    """Root of the identity family."""


class MalformedDid(IdentityError, InvalidInput):
    """A DID or DID document does not have the expected shape."""

    code = "malformed-did"


class UnknownDid(IdentityError, VerificationFailed):
    """A DID could not be resolved to keys."""

    code = "unknown-did"


class UnknownKey(IdentityError, VerificationFailed):
    """A DID document does not list the key a signature names (``kid``) for that purpose."""

    code = "unknown-key"


class ResolverUnavailable(IdentityError, Unavailable):
    """The host of a did:web document could not be reached."""

    code = "resolver-unavailable"


class KeyStoreLocked(IdentityError, ConfigurationError):
    """The key store cannot be opened: wrong passphrase, or its files were changed."""

    code = "key-store-locked"


class KeyStoreCorrupted(IdentityError, ConfigurationError):
    """A sealed key or the key store's header does not have the expected shape."""

    code = "key-store-corrupted"


class WalletError(IdentityError, InvalidInput):
    """A wallet file is missing, already exists, or cannot be opened with this passphrase."""

    code = "wallet-error"


class RequestUnsigned(IdentityError, Unauthenticated):
    """The request carries no HTTP message signature (RFC 9421) where one is required."""

    code = "request-unsigned"


class RequestSignatureInvalid(IdentityError, Unauthenticated):
    """The request's signature is malformed, does not verify, or misses a required component."""

    code = "request-signature-invalid"


class RequestStale(IdentityError, Unauthenticated):
    """The request's ``created`` time lies outside the accepted window."""

    code = "request-stale"


class RequestReplayed(IdentityError, Unauthenticated):
    """The request's nonce was already seen inside the window: a replay."""

    code = "request-replayed"


class CallerNotAllowed(IdentityError, Forbidden):
    """The caller is authenticated but may not make this call."""

    code = "caller-not-allowed"


class CredentialInvalid(IdentityError, VerificationFailed):
    """A verifiable credential or presentation is malformed or its signature does not verify."""

    code = "credential-invalid"


class CredentialMissing(IdentityError, Forbidden):
    """The caller holds no valid credential of the kind this call needs."""

    code = "credential-missing"


class CredentialExpired(IdentityError, Forbidden):
    """The credential is outside its ``validFrom``/``validUntil`` period."""

    code = "credential-expired"


class CredentialRevoked(IdentityError, Forbidden):
    """The issuer's Bitstring Status List marks the credential as revoked."""

    code = "credential-revoked"


class WrongJurisdiction(IdentityError, Forbidden):
    """The credential comes from a regulator that is not the one for the caller's jurisdiction."""

    code = "wrong-jurisdiction"


class IssuanceRefused(IdentityError, Forbidden):
    """The regulator does not license this institution for the requested credential."""

    code = "issuance-refused"


class CredentialNotFound(IdentityError, NotFound):
    """No credential with this id was issued here."""

    code = "credential-not-found"


class StatusListFull(IdentityError, Conflict):
    """Every index of the issuer's status list is allocated."""

    code = "status-list-full"
