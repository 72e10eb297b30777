"""Measurable privacy computing: joint statistics and models across hospitals, measured.

Pure numerics (``fixedpoint``, ``shamir``, ``masking``, ``paillier``, ``enclave_mode``,
``dp``, ``facts``, ``computations``, ``federated``, ``utilities``, ``shapley``,
``measurement``, ``spec``, ``datasets``, ``wire``) take randomness as arguments and touch
no database or network; ``participant`` (hospital), ``coordinator`` (data center),
``budget``, ``tables``, ``routes`` and ``client`` run jobs between the nodes. The
``enclave_program`` module is what the measuring enclave executes.
"""

from corridor.privacy.aggregation import (
    AGGREGATION_MODES,
    AggregateOutcome,
    AggregationMode,
    Contributor,
    LocalChannel,
    LocalInput,
    PartyChannel,
    Received,
    RoundSpec,
    SecureAggregator,
)
from corridor.privacy.budget import BudgetLimits, BudgetStatus, budget_status
from corridor.privacy.client import HttpParticipants, HttpPrivacyClient, node_url
from corridor.privacy.coordinator import CoordinatorContext, create_job, job_status, run_job
from corridor.privacy.enclave_mode import (
    PRIVACY_PROGRAM_CONFIG,
    PRIVACY_PROGRAM_MODULE,
    EnclaveAggregator,
    EnclaveContributor,
)
from corridor.privacy.errors import (
    AggregationAborted,
    BudgetExhausted,
    FixedPointOverflow,
    InvalidJobSpec,
    InvalidUtilities,
    JobNotFound,
    JobStateConflict,
    ParticipantDropped,
    PrivacyError,
    ProtocolViolation,
)
from corridor.privacy.fixedpoint import FixedPoint
from corridor.privacy.masking import MaskingAggregator, MaskingContributor
from corridor.privacy.paillier import PaillierAggregator, PaillierContributor
from corridor.privacy.participant import ParticipantContext, accept_job, respond_to_phase
from corridor.privacy.randomness import RandomSource, SeededRandomSource, SystemRandomSource
from corridor.privacy.shapley import (
    EXACT_LIMIT,
    SampledShapley,
    coalition_key,
    exact_shapley,
    parse_utilities,
    sampled_shapley,
    utility_range,
)
from corridor.privacy.spec import JobSpec, parse_job_spec

__all__ = [
    "AGGREGATION_MODES",
    "EXACT_LIMIT",
    "PRIVACY_PROGRAM_CONFIG",
    "PRIVACY_PROGRAM_MODULE",
    "AggregateOutcome",
    "AggregationAborted",
    "AggregationMode",
    "BudgetExhausted",
    "BudgetLimits",
    "BudgetStatus",
    "Contributor",
    "CoordinatorContext",
    "EnclaveAggregator",
    "EnclaveContributor",
    "FixedPoint",
    "FixedPointOverflow",
    "HttpParticipants",
    "HttpPrivacyClient",
    "InvalidJobSpec",
    "InvalidUtilities",
    "JobNotFound",
    "JobSpec",
    "JobStateConflict",
    "LocalChannel",
    "LocalInput",
    "MaskingAggregator",
    "MaskingContributor",
    "PaillierAggregator",
    "PaillierContributor",
    "ParticipantContext",
    "ParticipantDropped",
    "PartyChannel",
    "PrivacyError",
    "ProtocolViolation",
    "RandomSource",
    "Received",
    "RoundSpec",
    "SampledShapley",
    "SecureAggregator",
    "SeededRandomSource",
    "SystemRandomSource",
    "accept_job",
    "budget_status",
    "coalition_key",
    "create_job",
    "exact_shapley",
    "job_status",
    "node_url",
    "parse_job_spec",
    "parse_utilities",
    "respond_to_phase",
    "run_job",
    "sampled_shapley",
    "utility_range",
]
