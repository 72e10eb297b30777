"""Compliance monitoring: facts, policy packs, signed decisions and the filings registry."""

from corridor.compliance.client import HttpComplianceClient
from corridor.compliance.errors import ComplianceError, DecisionInvalid, NotCompetent
from corridor.compliance.facts import Facts
from corridor.compliance.models import Decision
from corridor.compliance.rules import evaluate
from corridor.compliance.schemas import FilingRequest, FilingResponse
from corridor.compliance.service import ComplianceContext, register_filing, signed_decision_of
from corridor.compliance.verdicts import SignedDecision, VerifiedDecision, verify_signed_decision

__all__ = [
    "ComplianceContext",
    "ComplianceError",
    "Decision",
    "DecisionInvalid",
    "Facts",
    "FilingRequest",
    "FilingResponse",
    "HttpComplianceClient",
    "NotCompetent",
    "SignedDecision",
    "VerifiedDecision",
    "evaluate",
    "register_filing",
    "signed_decision_of",
    "verify_signed_decision",
]
