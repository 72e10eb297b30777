"""Compliance monitoring: facts, policy packs, decisions, filings, counters, monitors, alerts."""

from corridor.compliance.alerts import (
    ALERT_KINDS,
    Alert,
    AlertKind,
    AlertRaiser,
    acknowledge_alert,
    list_alerts,
    raise_alert,
)
from corridor.compliance.client import HttpComplianceClient
from corridor.compliance.counters import counter_pseudonym, reconcile_counters
from corridor.compliance.engine import evaluate, evaluate_batch
from corridor.compliance.errors import (
    ComplianceError,
    DecisionInvalid,
    NotCompetent,
    PackInvalid,
)
from corridor.compliance.facts import Facts, FactsCase, parse_facts_document
from corridor.compliance.models import Decision
from corridor.compliance.monitor import MonitorContext, MonitorLoop, TailReport, tail_chain
from corridor.compliance.pack import PackSet, PolicyPack, load_packs
from corridor.compliance.schemas import (
    FilingRequest,
    FilingResponse,
    MechanismFilingRequest,
    MechanismFilingView,
    ProfileIn,
)
from corridor.compliance.service import (
    ComplianceContext,
    register_filing,
    signed_decision_of,
)
from corridor.compliance.verdicts import SignedDecision, VerifiedDecision, verify_signed_decision

__all__ = [
    "ALERT_KINDS",
    "Alert",
    "AlertKind",
    "AlertRaiser",
    "ComplianceContext",
    "ComplianceError",
    "Decision",
    "DecisionInvalid",
    "Facts",
    "FactsCase",
    "FilingRequest",
    "FilingResponse",
    "HttpComplianceClient",
    "MechanismFilingRequest",
    "MechanismFilingView",
    "MonitorContext",
    "MonitorLoop",
    "NotCompetent",
    "PackInvalid",
    "PackSet",
    "PolicyPack",
    "ProfileIn",
    "SignedDecision",
    "TailReport",
    "VerifiedDecision",
    "acknowledge_alert",
    "counter_pseudonym",
    "evaluate",
    "evaluate_batch",
    "list_alerts",
    "load_packs",
    "parse_facts_document",
    "raise_alert",
    "reconcile_counters",
    "register_filing",
    "signed_decision_of",
    "tail_chain",
    "verify_signed_decision",
]
