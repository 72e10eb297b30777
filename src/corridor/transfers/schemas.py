"""Wire shapes exchanged between parties during a transfer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_TRANSFER = r"^[A-Za-z0-9-]{8,64}$"
_DID = r"^did:(web|key):[A-Za-z0-9.%:_-]+$"
_B64URL = r"^[A-Za-z0-9_-]*$"
_SHA256 = r"^sha256:[0-9a-f]{64}$"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PatientRequest(_Wire):
    """Step 1 at the portal: the patient's signed consent and where his record lives."""

    consent: dict[str, Any]
    patient_ref: str = Field(min_length=1, max_length=128)


class TransferRequest(_Wire):
    """Step 1 forwarded by the portal to hospital A (sender) and hospital B (recipient)."""

    transfer: str = Field(pattern=_TRANSFER)
    consent: dict[str, Any]
    salt: str = Field(pattern=_B64URL, min_length=43, max_length=64)
    patient_ref: str = Field(default="", max_length=128)


class RevocationRequest(_Wire):
    """The patient's signed withdrawal of consent."""

    revocation: dict[str, Any]


class DepositRequest(_Wire):
    """Step 3 from hospital A to the data center: the ciphertext's place and its sealed key."""

    transfer: str = Field(pattern=_TRANSFER)
    object_id: str = Field(pattern=r"^[0-9a-f]{64}$")
    sealed_capability: str = Field(pattern=_B64URL, min_length=16, max_length=512)
    """The capability, HPKE-sealed to the key broker (docs/enclave.md)."""
    sealed_deposit: str = Field(pattern=_B64URL, min_length=16, max_length=512)
    """Data key and recipient key, wrapped under the capability and sealed to the enclave."""
    aad: str = Field(pattern=_B64URL, max_length=4096)
    consent: dict[str, Any]
    decisions: list[dict[str, Any]] = Field(min_length=1, max_length=8)
    subject: str = Field(pattern=r"^hmac-sha256:[0-9a-f]{64}$")
    record_digest: str = Field(pattern=_SHA256)


class DeliveryPackage(_Wire):
    """Step 5 input for hospital B: the enclave's output and everything needed to verify it."""

    transfer: str
    output_object_id: str
    output_aad: str
    sealed_output_key: str
    manifest: dict[str, Any]
    manifest_signature: str
    evidence: str
    evidence_format: str
    attestation_root: str


class EvidenceRef(BaseModel):
    """An evidence entry a party wrote for the transfer."""

    type: str
    index: int


class TransferStatus(BaseModel):
    """One party's view of a transfer."""

    transfer: str
    role: str
    state: str
    consent_digest: str
    subject: str
    evidence: list[EvidenceRef] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)
