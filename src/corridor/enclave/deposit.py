"""Deposits: a record's data key wrapped so that only an attested enclave can unwrap it.

Pure. Hospital A wraps the data key twice (docs/enclave.md, "Key custody"):

* the *sealed deposit* is HPKE-sealed (RFC 9180) to the enclave program's **deposit
  key**, an X25519 key every instance of the approved program derives from the
  hardware's measurement-bound sealing key; hospital A learns it from attestation
  evidence whose measurement both regulators approved. Inside it, the data key and
  the recipient's key-agreement key are AES-256-GCM encrypted under a random
  *capability*;
* the *capability* is HPKE-sealed to the key broker, which releases it (re-sealed to
  the appraised enclave's ephemeral key) only when the release policy holds.

The broker alone holds the capability but cannot remove the enclave-only outer layer; an
enclave alone (without a release) holds the outer layer's key but not the capability.
The data key exists in plaintext only inside the enclave process, which also learns the
recipient key hospital A named, so the host cannot redirect the output to itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from corridor.crypto.canonical import canonical_json
from corridor.crypto.envelopes import DATA_KEY_BYTES, aead_open, aead_seal, hpke_seal
from corridor.crypto.errors import DecryptionFailed
from corridor.crypto.hashing import sha256_hex
from corridor.crypto.keys import AgreementKeyPair
from corridor.enclave.attestation import verify_attestation
from corridor.enclave.errors import AttestationRefused, UserDataInvalid
from corridor.enclave.manifest import parse_user_data
from corridor.enclave.results import AttestationFormat, AttestationResult

DEPOSIT_INFO = b"corridor/deposit/v2|"  # hospital A -> enclave deposit key (HPKE info prefix)
CAPABILITY_INFO = b"corridor/capability/v1|"  # hospital A -> key broker (HPKE info prefix)
RELEASE_INFO = b"corridor/release/v1|"  # key broker -> enclave ephemeral key (HPKE info prefix)
_DEPOSIT_KEY_INFO = b"corridor/deposit-key/v1"
_X25519_KEY_BYTES = 32


class DepositOpener(Protocol):
    """The two keys of an enclave runtime that unwrapping needs."""

    def open_sealed(self, sealed: bytes, info: bytes) -> bytes:
        """HPKE-open with the enclave's ephemeral (attested) key."""
        ...

    def open_deposit(self, sealed: bytes, info: bytes) -> bytes:
        """HPKE-open with the measurement-bound deposit key."""
        ...


def deposit_key_from_sealing_key(sealing_key: bytes) -> AgreementKeyPair:
    """The enclave's deposit key pair, derived (HKDF-SHA256) from its sealing key."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DEPOSIT_KEY_INFO).derive(
        sealing_key
    )
    return AgreementKeyPair(X25519PrivateKey.from_private_bytes(seed))


def deposit_aad(transfer: str) -> bytes:
    """Associated data of the inner layer: the deposit belongs to exactly this transfer."""
    return canonical_json({"kind": "deposit", "transfer": transfer})


@dataclass(frozen=True)
class SealedDeposit:
    """What hospital A hands the data center: two sealed halves, neither enough alone."""

    sealed_deposit: bytes
    sealed_capability: bytes


def seal_deposit(
    *,
    data_key: bytes,
    capability: bytes,
    transfer: str,
    deposit_key: X25519PublicKey,
    broker_key: X25519PublicKey,
    recipient_key: bytes,
) -> SealedDeposit:
    """Wrap ``data_key`` (and the recipient's raw X25519 key) for ``transfer``."""
    if len(data_key) != DATA_KEY_BYTES or len(capability) != DATA_KEY_BYTES:
        raise ValueError("data key and capability must be 32-byte AES-256 keys")
    if len(recipient_key) != _X25519_KEY_BYTES:
        raise ValueError("the recipient key must be a raw 32-byte X25519 public key")
    info = transfer.encode("utf-8")
    inner = aead_seal(capability, data_key + recipient_key, deposit_aad(transfer))
    return SealedDeposit(
        sealed_deposit=hpke_seal(deposit_key, inner, DEPOSIT_INFO + info),
        sealed_capability=hpke_seal(broker_key, capability, CAPABILITY_INFO + info),
    )


@dataclass(frozen=True)
class UnwrappedDeposit:
    """Inside the enclave only: the data key and the recipient key hospital A named."""

    data_key: bytes
    recipient_key: bytes

    def __repr__(self) -> str:
        return "UnwrappedDeposit(<secret>)"


def unwrap_deposit(
    *, opener: DepositOpener, transfer: str, sealed_deposit: bytes, released_capability: bytes
) -> UnwrappedDeposit:
    """Run inside the enclave: open both halves; raises ``CryptoError`` on any mismatch."""
    info = transfer.encode("utf-8")
    capability = opener.open_sealed(released_capability, RELEASE_INFO + info)
    inner = opener.open_deposit(sealed_deposit, DEPOSIT_INFO + info)
    if len(capability) != DATA_KEY_BYTES:
        raise DecryptionFailed("the released capability has the wrong length")
    plain = aead_open(capability, inner, deposit_aad(transfer))
    if len(plain) != DATA_KEY_BYTES + _X25519_KEY_BYTES:
        raise DecryptionFailed("the deposit has the wrong length")
    return UnwrappedDeposit(data_key=plain[:DATA_KEY_BYTES], recipient_key=plain[DATA_KEY_BYTES:])


@dataclass(frozen=True)
class DepositTarget:
    """An enclave deposit key hospital A may seal to, and why it may."""

    deposit_key: bytes
    measurement: str
    evidence_digest: str
    result: AttestationResult


def appraise_deposit_offer(
    evidence: bytes,
    *,
    evidence_format: AttestationFormat,
    nonce: bytes,
    at: datetime,
    max_age: timedelta,
    trusted_roots: list[x509.Certificate],
    allowed_measurements: frozenset[str],
    allow_debug: bool = False,
) -> DepositTarget:
    """Hospital A's appraisal of the enclave evidence that vouches for a deposit key.

    The evidence must verify under the pinned root, carry hospital A's own fresh nonce,
    name a measurement both regulators approved and bind a deposit key in ``user_data``.
    """
    result = verify_attestation(
        evidence,
        at=at,
        max_age=max_age,
        trusted_roots=trusted_roots,
        evidence_format=evidence_format,
        allow_debug=allow_debug,
    )
    if result.nonce != nonce:
        raise AttestationRefused("unknown-nonce", "the offer does not answer this nonce")
    if result.measurement not in allowed_measurements:
        raise AttestationRefused(
            "wrong-measurement", "the enclave's measurement is not approved by every regulator"
        )
    try:
        deposit_key = parse_user_data(result.user_data).deposit_key
    except UserDataInvalid as exc:
        raise AttestationRefused("bad-user-data", exc.message) from exc
    if deposit_key is None:
        raise AttestationRefused("missing-enclave-key", "the enclave binds no deposit key")
    return DepositTarget(
        deposit_key=deposit_key,
        measurement=result.measurement,
        evidence_digest=f"sha256:{sha256_hex(evidence)}",
        result=result,
    )
