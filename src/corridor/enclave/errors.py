"""Errors raised by the enclave domain: evidence, appraisal, key release, enclave processes."""

from __future__ import annotations

from typing import Literal

from corridor.errors import (
    ConfigurationError,
    CorridorError,
    InvalidInput,
    NotFound,
    PolicyDenied,
    Unauthenticated,
    Unavailable,
    VerificationFailed,
)

EvidenceReason = Literal[
    "malformed-evidence",
    "unsupported-algorithm",
    "bad-signature",
    "bad-chain",
    "unknown-root",
    "expired-chain",
    "chain-not-yet-valid",
    "stale-evidence",
    "future-evidence",
    "debug-mode",
    "missing-collateral",
    "bad-collateral",
    "stale-collateral",
    "revoked",
    "tcb-mismatch",
]
"""Why a verifier rejected evidence (machine-readable, stable)."""

RefusalReason = (
    EvidenceReason
    | Literal[
        "unknown-nonce",
        "stale-nonce",
        "reused-nonce",
        "missing-nonce",
        "wrong-measurement",
        "missing-enclave-key",
        "bad-user-data",
        "wrong-transfer",
        "stale-appraisal",
        "runtime-data-mismatch",
        "release-policy",
    ]
)
"""Why the key broker refused an appraisal or a release: evidence reasons and policy ones."""


class EnclaveError(CorridorError):
    """Root of the enclave family."""


class EvidenceRejected(EnclaveError, VerificationFailed):
    """Attestation evidence did not verify; ``reason`` says which check failed."""

    code = "evidence-rejected"

    def __init__(
        self, reason: EvidenceReason, message: str, *, detail: dict[str, object] | None = None
    ) -> None:
        super().__init__(message, detail={"reason": reason, **(detail or {})})
        self.reason: EvidenceReason = reason


class AttestationRefused(EnclaveError, PolicyDenied):
    """The key broker refused the enclave's evidence or a key release; see ``reason``."""

    code = "attestation-refused"

    def __init__(
        self,
        reason: RefusalReason,
        message: str | None = None,
        *,
        detail: dict[str, object] | None = None,
    ) -> None:
        super().__init__(
            message or f"attestation refused: {reason}", detail={"reason": reason, **(detail or {})}
        )
        self.reason: RefusalReason = reason


class ManifestInvalid(EnclaveError, VerificationFailed):
    """A processing manifest is malformed, not signed by the attested enclave, or mismatched."""

    code = "manifest-invalid"


class UserDataInvalid(EnclaveError, VerificationFailed):
    """The attestation's ``user_data`` is not Corridor's enclave binding layout."""

    code = "user-data-invalid"


class DepositInvalid(EnclaveError, VerificationFailed):
    """A data key deposited with the key broker could not be opened or has the wrong size."""

    code = "deposit-invalid"


class JobRejected(EnclaveError, InvalidInput):
    """The enclave program refused a job (bad input, failed decryption, invalid record)."""

    code = "job-rejected"


class EnclaveUnavailable(EnclaveError, Unavailable):
    """The enclave process is not running, died, or broke the wire protocol."""

    code = "enclave-unavailable"


class SimulatedRootInvalid(EnclaveError, ConfigurationError):
    """The simulated hardware root could not be created or loaded (wrong passphrase, damage)."""

    code = "simulated-root-invalid"


class ReferenceValuesInvalid(EnclaveError, VerificationFailed):
    """A reference-values statement is malformed or not signed by the regulator it names."""

    code = "reference-values-invalid"


class ReferenceValuesRefused(EnclaveError, PolicyDenied):
    """A regulator refused to approve a measurement (it could not reproduce it)."""

    code = "reference-values-refused"


class KbsRequestInvalid(EnclaveError, InvalidInput):
    """A key broker protocol message is malformed or out of order (Trustee KBS protocol)."""

    code = "kbs-request-invalid"


class KbsSessionInvalid(EnclaveError, Unauthenticated):
    """No valid key broker session or attestation token accompanies the request."""

    code = "kbs-session-invalid"


class KbsResourceNotFound(EnclaveError, NotFound):
    """The key broker holds no such resource."""

    code = "kbs-resource-not-found"
