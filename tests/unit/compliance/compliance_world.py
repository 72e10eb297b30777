"""A regulator, the log it tails and the parties writing to it, in one database.

Real services throughout: the ledger service appends and proves, the regulator's
compliance service decides, the monitor tails the log through :class:`LocalChain`, which
adapts the ledger service functions to the monitor's ``ChainSource`` port.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from corridor.clock import FixedClock
from corridor.compliance import (
    ComplianceContext,
    FilingRequest,
    MonitorContext,
    counter_pseudonym,
    load_packs,
)
from corridor.compliance.schemas import MechanismFilingRequest, ProfileIn
from corridor.crypto import SigningKeyPair
from corridor.identity import DidKeys, StaticDidResolver
from corridor.ledger.recorder import EvidenceRecorder
from corridor.ledger.service import (
    LedgerContext,
    LocalLedger,
    latest_checkpoint,
    prove_consistency,
    require_entry,
)
from corridor.storage import Database
from corridor.types import Did

ORIGIN = "datacenter.test/log"
REGULATOR = "did:web:regulator-a.test"
HOSPITAL_A = "did:web:hospital-a.test"
HOSPITAL_B = "did:web:hospital-b.test"
DATACENTER = "did:web:datacenter.test"
PORTAL = "did:web:portal.test"
JURISDICTIONS = {
    REGULATOR: "CN",
    HOSPITAL_A: "CN",
    HOSPITAL_B: "HK",
    DATACENTER: "JOINT",
    PORTAL: "CN",
}
PACKS = load_packs()
GBA_FACTS: dict[str, Any] = {
    "origin": "CN",
    "destination": "HK",
    "has_sensitive_pi": True,
    "has_health": True,
    "exporter_in_mainland_gba": True,
    "recipient_in_hk": True,
    "consents": ["cn_separate_cross_border", "cn_separate_sensitive"],
    "mechanism": "gba_sc",
    "gba_sc_filed": True,
    "ytd_sensitive_individuals": 1,
    "ytd_general_individuals": 1,
}
CARE = ["Condition", "Observation"]


class LocalChain:
    """The monitor's ``ChainSource`` port over the ledger service in this process."""

    def __init__(self, context: LedgerContext) -> None:
        self.context = context

    def log_identity(self) -> tuple[str, str]:
        return self.context.origin, self.context.verifier_key

    def checkpoint(self) -> str:
        return latest_checkpoint(context=self.context)

    def entry(self, index: int) -> bytes:
        return require_entry(context=self.context, index=index)

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        return prove_consistency(context=self.context, old=old, new=new)


@dataclass
class World:
    database: Database
    clock: FixedClock
    keys: dict[str, SigningKeyPair]
    ledger: LedgerContext
    compliance: ComplianceContext
    monitor: MonitorContext
    counter: list[int] = field(default_factory=lambda: [0])

    def recorder(self, did: str) -> EvidenceRecorder:
        return EvidenceRecorder(
            sink=LocalLedger(self.ledger),
            key=self.keys[did],
            did=did,
            kid=f"{did}#key-1",
            jurisdiction=JURISDICTIONS[did],
            clock=self.clock,
        )

    def transfer_id(self) -> str:
        self.counter[0] += 1
        return f"transfer-{self.counter[0]:04d}"

    def request(
        self,
        transfer: str | None = None,
        *,
        person: str = "patient-1",
        facts: dict[str, Any] | None = None,
        purpose: str = "TREAT",
        contract: str | None = "GBA-SC-1",
        kind: str = "gba_sc",
        expires_at: datetime | None = None,
        importer: str = HOSPITAL_B,
    ) -> FilingRequest:
        return FilingRequest(
            transfer=transfer or self.transfer_id(),
            exporter=HOSPITAL_A,
            importer=importer,
            facts={**GBA_FACTS, **(facts or {})},
            privacy_record_digest="sha256:" + "1" * 64,
            contract_ref=contract or "",
            person=counter_pseudonym(self.keys[HOSPITAL_A], person),
            consent_digest="sha256:" + "2" * 64,
            consent_expires_at=expires_at,
            purpose=purpose,
            categories=CARE,
            mechanism_filing=None
            if contract is None
            else MechanismFilingRequest(
                exporter=HOSPITAL_A,
                kind=kind,
                reference=contract,
                profile=ProfileIn(importers=[HOSPITAL_B], purposes=[purpose], categories=CARE),
            ),
        )


def build_world(database: Database) -> World:
    clock = FixedClock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    keys = {did: SigningKeyPair.generate() for did in JURISDICTIONS}
    resolver = StaticDidResolver(
        {
            did: DidKeys(
                did=Did(did), signing=key.public, agreement=None, signing_kid=f"{did}#key-1"
            )
            for did, key in keys.items()
        }
    )
    ledger = LedgerContext(
        database=database,
        resolver=resolver,
        log_key=SigningKeyPair.generate(),
        origin=ORIGIN,
        clock=clock,
        batch_size=64,
    )
    recorder = EvidenceRecorder(
        sink=LocalLedger(ledger),
        key=keys[REGULATOR],
        did=REGULATOR,
        kid=f"{REGULATOR}#key-1",
        jurisdiction="CN",
        clock=clock,
    )
    compliance = ComplianceContext(
        database=database,
        recorder=recorder,
        key=keys[REGULATOR],
        did=REGULATOR,
        kid=f"{REGULATOR}#key-1",
        jurisdiction="CN",
        clock=clock,
        packs=PACKS,
    )
    monitor = MonitorContext(
        database=database,
        clock=clock,
        source=LocalChain(ledger),
        key_for=resolver.resolve_key,
        regulator=REGULATOR,
        jurisdiction="CN",
    )
    return World(database, clock, keys, ledger, compliance, monitor)
