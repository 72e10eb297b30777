"""Cryptographic building blocks: canonical bytes, digests, signatures and envelopes.

Every primitive comes from ``cryptography``; this package only fixes the encodings and
the bindings (what is signed, what is authenticated as associated data).
"""

from corridor.crypto.canonical import b64url_decode, b64url_encode, canonical_json, parse_json
from corridor.crypto.envelopes import (
    DATA_KEY_BYTES,
    aead_open,
    aead_seal,
    hpke_open,
    hpke_seal,
    new_data_key,
)
from corridor.crypto.errors import CryptoError, DecryptionFailed, SignatureInvalid
from corridor.crypto.hashing import commitment, new_salt, sha256_hex
from corridor.crypto.keys import (
    AgreementKeyPair,
    SigningKeyPair,
    did_key_from_public,
    public_key_from_did_key,
)
from corridor.crypto.signing import (
    jws_kid,
    sign_detached_jws,
    verify_detached_jws,
    verify_ed25519,
)

__all__ = [
    "DATA_KEY_BYTES",
    "AgreementKeyPair",
    "CryptoError",
    "DecryptionFailed",
    "SignatureInvalid",
    "SigningKeyPair",
    "aead_open",
    "aead_seal",
    "b64url_decode",
    "b64url_encode",
    "canonical_json",
    "commitment",
    "did_key_from_public",
    "hpke_open",
    "hpke_seal",
    "jws_kid",
    "new_data_key",
    "new_salt",
    "parse_json",
    "public_key_from_did_key",
    "sha256_hex",
    "sign_detached_jws",
    "verify_detached_jws",
    "verify_ed25519",
]
