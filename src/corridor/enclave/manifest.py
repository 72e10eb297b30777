"""The enclave's key binding in attestation ``user_data`` and its signed processing manifests.

Pure. An attestation document vouches for ``public_key`` (the enclave's HPKE key) and
``user_data``; Corridor's ``user_data`` is the canonical JSON (RFC 8785) object
``{"v", "manifest_key", "deposit_key", "binding"}`` so that the enclave's Ed25519
manifest-signing key and its measurement-bound X25519 deposit key (docs/enclave.md) are
covered by the hardware signature too. Anyone holding the attestation can then check a
manifest offline: the signature under that key, and the measurement it claims.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from corridor.crypto.canonical import b64url_decode, b64url_encode, canonical_json, parse_json
from corridor.crypto.errors import CryptoError
from corridor.crypto.keys import ed25519_public_from_raw
from corridor.crypto.signing import verify_ed25519
from corridor.enclave.errors import ManifestInvalid, UserDataInvalid

USER_DATA_VERSION = 2
MANIFEST_TYPE = "corridor/processing-manifest/v1"
MAX_BINDING_BYTES = 256  # keeps user_data under Nitro's 512-byte content rule
_ED25519_KEY_BYTES = 32
_X25519_KEY_BYTES = 32
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_MEASUREMENT = re.compile(r"^sha384:[0-9a-f]{96}$")
_MANIFEST_KEYS = frozenset(
    {
        "type",
        "transfer",
        "input_digest",
        "output_digest",
        "measurement",
        "profile",
        "profile_digest",
        "resource_counts",
        "masked_fields",
        "consent_digest",
        "recipient",
    }
)


class AttestedEnclave(Protocol):
    """Verified evidence about one enclave: an ``AttestationResult`` or an ``Appraisal``."""

    @property
    def pcr0(self) -> str:
        """The attested measurement, lower-case hex."""
        ...

    @property
    def user_data(self) -> bytes | None:
        """The attested user_data."""
        ...


@dataclass(frozen=True)
class EnclaveUserData:
    """Decoded ``user_data``: the enclave's public keys and the caller's optional binding."""

    manifest_key: bytes
    binding: bytes | None
    deposit_key: bytes | None = None
    """The measurement-bound X25519 key hospitals seal deposits to, when the enclave has one."""


@dataclass(frozen=True)
class VerifiedManifest:
    """A processing manifest whose signature and measurement have been checked."""

    transfer: str
    input_digest: str
    output_digest: str
    measurement: str
    profile: str
    profile_digest: str
    """``sha256:<hex>`` of the de-identification configuration the enclave applied."""
    consent_digest: str
    recipient: str
    masked_fields: int
    resource_counts: dict[str, int] = field(hash=False)
    manifest_key: bytes = b""


def encode_user_data(
    *, manifest_key: bytes, binding: bytes | None, deposit_key: bytes | None = None
) -> bytes:
    """The ``user_data`` bytes an enclave asks its hardware to sign."""
    if len(manifest_key) != _ED25519_KEY_BYTES:
        raise UserDataInvalid("manifest_key must be a raw 32-byte Ed25519 public key")
    if deposit_key is not None and len(deposit_key) != _X25519_KEY_BYTES:
        raise UserDataInvalid("deposit_key must be a raw 32-byte X25519 public key")
    if binding is not None and len(binding) > MAX_BINDING_BYTES:
        raise UserDataInvalid(f"binding must be at most {MAX_BINDING_BYTES} bytes")
    return canonical_json(
        {
            "v": USER_DATA_VERSION,
            "manifest_key": b64url_encode(manifest_key),
            "deposit_key": None if deposit_key is None else b64url_encode(deposit_key),
            "binding": None if binding is None else b64url_encode(binding),
        }
    )


def parse_user_data(data: bytes | None) -> EnclaveUserData:
    """Inverse of :func:`encode_user_data`; refuses any other layout or non-canonical JSON."""
    if not data:
        raise UserDataInvalid("attestation carries no user_data")
    try:
        value = parse_json(data, require_canonical=True)
    except CryptoError as exc:
        raise UserDataInvalid(f"user_data is not canonical JSON: {exc.message}") from exc
    if not isinstance(value, dict) or set(value) != {"v", "manifest_key", "deposit_key", "binding"}:
        raise UserDataInvalid("user_data must be exactly {v, manifest_key, deposit_key, binding}")
    if value["v"] != USER_DATA_VERSION:
        raise UserDataInvalid(f"unsupported user_data version {value['v']!r}")
    try:
        manifest_key = b64url_decode(str(value["manifest_key"]))
        binding = None if value["binding"] is None else b64url_decode(str(value["binding"]))
        deposit_key = (
            None if value["deposit_key"] is None else b64url_decode(str(value["deposit_key"]))
        )
    except ValueError as exc:
        raise UserDataInvalid("user_data fields are not base64url") from exc
    if len(manifest_key) != _ED25519_KEY_BYTES:
        raise UserDataInvalid("manifest_key must be 32 bytes")
    if deposit_key is not None and len(deposit_key) != _X25519_KEY_BYTES:
        raise UserDataInvalid("deposit_key must be 32 bytes")
    return EnclaveUserData(manifest_key=manifest_key, binding=binding, deposit_key=deposit_key)


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The exact bytes a manifest signature covers: its canonical JSON (RFC 8785)."""
    return canonical_json(dict(manifest))


def verify_manifest(
    manifest: Mapping[str, Any],
    signature: bytes,
    attestation: AttestedEnclave,
    *,
    transfer: str | None = None,
) -> VerifiedManifest:
    """Check a manifest against verified evidence of the enclave that signed it.

    The key comes from the attestation's ``user_data`` (covered by the hardware
    signature) and the manifest's measurement must be the attested PCR0, so a manifest
    signed by any other code, or by a key the hardware never vouched for, fails.
    ``attestation`` is an ``AttestationResult`` or the broker's ``Appraisal``.
    """
    problems = _manifest_problems(manifest)
    if problems:
        raise ManifestInvalid("processing manifest is malformed", detail={"problems": problems})
    user_data = parse_user_data(attestation.user_data)
    try:
        verify_ed25519(
            ed25519_public_from_raw(user_data.manifest_key), signature, manifest_bytes(manifest)
        )
    except CryptoError as exc:
        raise ManifestInvalid("manifest signature does not verify under the attested key") from exc
    if manifest["measurement"] != f"sha384:{attestation.pcr0}":
        raise ManifestInvalid("manifest measurement is not the attested PCR0")
    if transfer is not None and manifest["transfer"] != transfer:
        raise ManifestInvalid("manifest is for another transfer")
    return VerifiedManifest(
        transfer=manifest["transfer"],
        input_digest=manifest["input_digest"],
        output_digest=manifest["output_digest"],
        measurement=manifest["measurement"],
        profile=manifest["profile"],
        profile_digest=manifest["profile_digest"],
        consent_digest=manifest["consent_digest"],
        recipient=manifest["recipient"],
        masked_fields=manifest["masked_fields"],
        resource_counts=dict(manifest["resource_counts"]),
        manifest_key=user_data.manifest_key,
    )


def _manifest_problems(manifest: Mapping[str, Any]) -> list[str]:
    if set(manifest) != _MANIFEST_KEYS:
        return [f"manifest keys must be exactly {sorted(_MANIFEST_KEYS)}"]
    problems: list[str] = []
    if manifest["type"] != MANIFEST_TYPE:
        problems.append(f"type must be {MANIFEST_TYPE!r}")
    problems.extend(
        f"{name} must be a non-empty string"
        for name in ("transfer", "profile", "consent_digest", "recipient")
        if not isinstance(manifest[name], str) or not manifest[name]
    )
    problems.extend(
        f"{name} must be 'sha256:<hex>'"
        for name in ("input_digest", "output_digest", "profile_digest")
        if not isinstance(manifest[name], str) or not _DIGEST.fullmatch(manifest[name])
    )
    if not isinstance(manifest["measurement"], str) or not _MEASUREMENT.fullmatch(
        manifest["measurement"]
    ):
        problems.append("measurement must be 'sha384:<hex>'")
    masked = manifest["masked_fields"]
    if not isinstance(masked, int) or isinstance(masked, bool) or masked < 0:
        problems.append("masked_fields must be a non-negative integer")
    counts = manifest["resource_counts"]
    if not isinstance(counts, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
        for k, v in counts.items()
    ):
        problems.append("resource_counts must map resource types to counts")
    return problems
