"""Errors raised by the crypto package."""

from __future__ import annotations

from corridor.errors import CorridorError, InvalidInput, VerificationFailed


class CryptoError(CorridorError):
    """Root of the crypto family."""


class SignatureInvalid(CryptoError, VerificationFailed):
    """A signature did not verify under the given key."""

    code = "signature-invalid"


class DecryptionFailed(CryptoError, VerificationFailed):
    """Authenticated decryption failed: wrong key, wrong associated data or tampered bytes."""

    code = "decryption-failed"


class MalformedKey(CryptoError, InvalidInput):
    """Key material or a key identifier could not be decoded."""

    code = "malformed-key"


class NonCanonicalJson(CryptoError, InvalidInput):
    """JSON that must be in RFC 8785 canonical form is not."""

    code = "non-canonical-json"
