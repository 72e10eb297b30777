"""Trusted joint data center: attestation verifiers, enclave backends, key broker, manifests.

Modelled on IETF RATS (RFC 9334, background-check model) and Confidential Containers
Trustee. ``attestation``, ``cose`` and ``manifest`` are pure; ``simulated`` is an
INSECURE backend for machines without TEE hardware.
"""

from corridor.enclave.attestation import (
    AWS_NITRO_ROOT_G1_PEM,
    AttestationFormat,
    AttestationResult,
    aws_nitro_root,
    certificate_sha256,
    verify_attestation,
)
from corridor.enclave.errors import (
    AttestationRefused,
    DepositInvalid,
    EnclaveError,
    EnclaveUnavailable,
    EvidenceReason,
    EvidenceRejected,
    JobRejected,
    ManifestInvalid,
    RefusalReason,
    SimulatedRootInvalid,
    UserDataInvalid,
)
from corridor.enclave.interfaces import EnclaveBackend, EnclaveRuntime, EnclaveSession
from corridor.enclave.key_broker import (
    DEPOSIT_INFO,
    Appraisal,
    AppraisalRecord,
    BrokerContext,
    Challenge,
    appraise_evidence,
    issue_challenge,
    list_appraisals,
    release_data_key,
)
from corridor.enclave.manifest import (
    EnclaveUserData,
    VerifiedManifest,
    encode_user_data,
    manifest_bytes,
    parse_user_data,
    verify_manifest,
)
from corridor.enclave.program import OUTPUT_INFO, PROGRAM_MODULE, RELEASE_INFO, output_aad
from corridor.enclave.simulated import (
    InsecureEnclaveWarning,
    SimulatedEnclaveBackend,
    SimulatedEnclaveSession,
    SimulatedRoot,
    measure_program,
)

__all__ = [
    "AWS_NITRO_ROOT_G1_PEM",
    "DEPOSIT_INFO",
    "OUTPUT_INFO",
    "PROGRAM_MODULE",
    "RELEASE_INFO",
    "Appraisal",
    "AppraisalRecord",
    "AttestationFormat",
    "AttestationRefused",
    "AttestationResult",
    "BrokerContext",
    "Challenge",
    "DepositInvalid",
    "EnclaveBackend",
    "EnclaveError",
    "EnclaveRuntime",
    "EnclaveSession",
    "EnclaveUnavailable",
    "EnclaveUserData",
    "EvidenceReason",
    "EvidenceRejected",
    "InsecureEnclaveWarning",
    "JobRejected",
    "ManifestInvalid",
    "RefusalReason",
    "SimulatedEnclaveBackend",
    "SimulatedEnclaveSession",
    "SimulatedRoot",
    "SimulatedRootInvalid",
    "UserDataInvalid",
    "VerifiedManifest",
    "appraise_evidence",
    "aws_nitro_root",
    "certificate_sha256",
    "encode_user_data",
    "issue_challenge",
    "list_appraisals",
    "manifest_bytes",
    "measure_program",
    "output_aad",
    "parse_user_data",
    "release_data_key",
    "verify_attestation",
    "verify_manifest",
]
