"""A regulator decides on filings with its registry and counters, and records it all."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from compliance_world import HOSPITAL_A, REGULATOR, World  # type: ignore[import-not-found]
from sqlalchemy import insert

from corridor.compliance import list_alerts, reconcile_counters, register_filing, tail_chain
from corridor.compliance.errors import FilingStateConflict, NotCompetent
from corridor.compliance.filings import (
    decide_mechanism_filing,
    invalidate_mechanism_filing,
    list_mechanism_filings,
    submit_mechanism_filing,
)
from corridor.compliance.pipia import render_pipia_html
from corridor.compliance.schemas import MechanismFilingRequest, ProfileIn
from corridor.compliance.service import filing_pipia, require_filing, review_filing
from corridor.compliance.tables import CounterEntryRow
from corridor.ledger.service import entries_for_transfer
from corridor.storage.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration


def _decision(response) -> dict:
    return response.signed_decision["body"]["decision"]


def test_a_transfer_under_a_filed_gba_contract_is_accepted_counted_and_on_the_chain(
    world: World,
):
    response = register_filing(context=world.compliance, request=world.request())
    assert response.state == "accepted"
    assert _decision(response)["mechanism"] == "GBA_SC"
    assert _decision(response)["pack_digest"] == world.compliance.pack.digest
    entries = entries_for_transfer(context=world.ledger, transfer=response.transfer)
    assert [e.statement.type for _, e in entries] == ["filing.registered", "compliance.decided"]
    registered = entries[0][1].statement
    assert registered.details["counted"] is True
    assert (registered.details["ytd_general"], registered.details["ytd_sensitive"]) == (1, 1)
    decided = entries[1][1].statement
    assert decided.digests["pack"] == world.compliance.pack.digest
    standing = list_mechanism_filings(registry=world.compliance.registry)
    assert [(f.kind, f.reference, f.state) for f in standing] == [
        ("gba_sc", "GBA-SC-1", "submitted")
    ]
    assert response.mechanism_filing_id == standing[0].id


def test_filing_again_is_idempotent(world: World):
    request = world.request()
    first = register_filing(context=world.compliance, request=request)
    again = register_filing(context=world.compliance, request=request)
    assert again == first


def test_the_registry_not_the_exporter_says_whether_a_contract_is_filed(world: World):
    # No contract named: the exporter's "gba_sc_filed" claim is not taken on trust.
    within = register_filing(
        context=world.compliance,
        request=world.request(contract=None, facts={"working_days_since_gba_sc_effective": 3}),
    )
    assert within.state == "accepted"
    assert "CN_GBA_FILE_WITHIN_10WD" in _decision(within)["obligations"]
    late = register_filing(
        context=world.compliance,
        request=world.request(
            contract=None, person="patient-2", facts={"working_days_since_gba_sc_effective": 11}
        ),
    )
    assert late.state == "rejected"
    assert "CN-R19G-GBA-SC-NOT-FILED" in _decision(late)["rule_ids"]


def test_working_days_since_a_contract_took_effect_follow_the_prc_calendar(world: World):
    # Effective Friday 26 Sept 2025; the 2025 National Day holiday and its two make-up
    # working days lie in between; filed on 20 Oct, 14 working days later: too late.
    world.clock._at = world.clock.now().replace(year=2025, month=10, day=20)
    filing = submit_mechanism_filing(
        registry=world.compliance.registry,
        request=MechanismFilingRequest(
            exporter=HOSPITAL_A, kind="cn_sc", reference="SC-7", effective_on=date(2025, 9, 26)
        ),
    )
    assert filing.filed_in_time is False


def test_one_person_exported_twice_counts_once(world: World):
    register_filing(context=world.compliance, request=world.request(person="same"))
    second = register_filing(context=world.compliance, request=world.request(person="same"))
    entries = entries_for_transfer(context=world.ledger, transfer=second.transfer)
    assert entries[0][1].statement.details["ytd_general"] == 1


def _seed(world: World, people: int, *, year: int = 2026) -> None:
    rows = [
        {
            "handler": HOSPITAL_A,
            "year": year,
            "person": f"seeded-{n}",
            "sensitive": True,
            "transfer": f"seeded-{n:06d}",
            "counted_at": world.clock.now(),
        }
        for n in range(people)
    ]
    with UnitOfWork(world.database.sessions) as uow:
        uow.session.execute(insert(CounterEntryRow), rows)
        uow.commit()


@pytest.mark.slow
def test_crossing_ten_thousand_sensitive_individuals_requires_a_security_assessment_next(
    world: World,
):
    _seed(world, 9_998)
    national = {"mechanism": "cn_sc", "gba_sc_filed": False}
    below = register_filing(
        context=world.compliance,
        request=world.request(person="p-9999", facts=national, contract="SC-1", kind="cn_sc"),
    )
    assert (_decision(below)["decision"], _decision(below)["mechanism"]) == (
        "PERMIT_WITH_OBLIGATIONS",
        "CN_SC",
    )
    crossing = register_filing(
        context=world.compliance,
        request=world.request(person="p-10000", facts=national, contract="SC-1", kind="cn_sc"),
    )
    assert (_decision(crossing)["decision"], _decision(crossing)["mechanism"]) == (
        "DENY",
        "SECURITY_ASSESSMENT",
    )
    assert "CN-R13-VOLUME-SA" in _decision(crossing)["rule_ids"]
    alerts = list_alerts(database=world.database, kind="counter-threshold")
    assert len(alerts) == 1
    assert "SECURITY_ASSESSMENT" in alerts[0].summary
    # A person already counted this year does not move the counter.
    again = register_filing(
        context=world.compliance,
        request=world.request(person="p-9999", facts=national, contract="SC-1", kind="cn_sc"),
    )
    assert _decision(again)["mechanism"] == "CN_SC"


def test_counters_reset_on_the_first_of_january_in_shanghai(world: World):
    _seed(world, 9_999, year=2025)
    response = register_filing(
        context=world.compliance,
        request=world.request(facts={"mechanism": "cn_sc"}, contract="SC-1", kind="cn_sc"),
    )
    assert _decision(response)["mechanism"] == "CN_SC"


def test_a_transfer_outside_the_filed_profile_is_a_material_change_until_refiled(world: World):
    register_filing(context=world.compliance, request=world.request(purpose="TREAT"))
    research = register_filing(
        context=world.compliance, request=world.request(purpose="HRESCH", person="p-2")
    )
    assert research.state == "rejected"
    assert "CN-R36-MATERIAL-CHANGE" in _decision(research)["rule_ids"]
    registry = world.compliance.registry
    standing = list_mechanism_filings(registry=registry)[0]
    expired = invalidate_mechanism_filing(
        registry=registry, filing_id=standing.id, reason="purpose extended to research"
    )
    assert expired.state == "expired"
    assert require_filing(context=world.compliance, transfer="transfer-0001").state == "expired"
    refiled = submit_mechanism_filing(
        registry=registry,
        request=MechanismFilingRequest(
            exporter=HOSPITAL_A,
            kind="gba_sc",
            reference="GBA-SC-1",
            profile=ProfileIn(
                importers=["did:web:hospital-b.test"],
                purposes=["TREAT", "HRESCH"],
                categories=["Condition", "Observation"],
            ),
        ),
    )
    assert refiled.state == "submitted"
    after = register_filing(
        context=world.compliance, request=world.request(purpose="HRESCH", person="p-3")
    )
    assert after.state == "accepted"


def test_regulators_accept_or_reject_standing_filings_and_assessments_expire(world: World):
    registry = world.compliance.registry
    assessment = submit_mechanism_filing(
        registry=registry,
        request=MechanismFilingRequest(
            exporter=HOSPITAL_A,
            kind="cn_security_assessment",
            reference="SA-2026-1",
            profile=ProfileIn(
                importers=["did:web:hospital-b.test"],
                purposes=["TREAT"],
                categories=["Condition", "Observation"],
            ),
        ),
    )
    facts = {"mechanism": "cn_security_assessment", "ytd_sensitive_individuals": 12_000}
    pending = register_filing(
        context=world.compliance,
        request=world.request(facts=facts, contract="SA-2026-1", kind="cn_security_assessment"),
    )
    assert _decision(pending)["decision"] == "DENY"
    accepted = decide_mechanism_filing(
        registry=registry, filing_id=assessment.id, accept=True, reason="approved"
    )
    assert accepted.state == "accepted"
    assert accepted.expires_on == world.clock.now().date() + timedelta(days=3 * 365)
    valid = register_filing(
        context=world.compliance,
        request=world.request(
            facts=facts, contract="SA-2026-1", kind="cn_security_assessment", person="p-2"
        ),
    )
    assert _decision(valid)["mechanism"] == "SECURITY_ASSESSMENT"
    assert valid.state == "accepted"
    with pytest.raises(FilingStateConflict):
        decide_mechanism_filing(registry=registry, filing_id=assessment.id, accept=False, reason="")
    world.clock.advance(timedelta(days=3 * 365 + 1))
    lapsed = register_filing(
        context=world.compliance,
        request=world.request(
            facts=facts, contract="SA-2026-1", kind="cn_security_assessment", person="p-3"
        ),
    )
    assert _decision(lapsed)["decision"] == "DENY"


def test_an_interpretive_permit_waits_for_an_officer(world: World):
    emergency = {
        "legal_basis": "emergency_life_health",
        "emergency": True,
        "pipia_done": False,
        "consents": [],
    }
    response = register_filing(context=world.compliance, request=world.request(facts=emergency))
    assert response.state == "submitted"
    assert _decision(response)["review_required"] is True
    accepted = review_filing(
        context=world.compliance, transfer=response.transfer, accept=True, reason="life at risk"
    )
    assert accepted.state == "accepted"
    rejected = review_filing(
        context=world.compliance, transfer=response.transfer, accept=False, reason="withdrawn"
    )
    assert rejected.state == "rejected"
    with pytest.raises(FilingStateConflict):
        review_filing(context=world.compliance, transfer=response.transfer, accept=True, reason="")


def test_a_filing_expires_with_its_consent(world: World):
    expires = world.clock.now() + timedelta(days=2)
    response = register_filing(context=world.compliance, request=world.request(expires_at=expires))
    assert response.state == "accepted"
    world.clock.advance(timedelta(days=3))
    later = require_filing(context=world.compliance, transfer=response.transfer)
    assert (later.state, later.state_reason) == ("expired", "the consent has expired")


def test_a_regulator_is_competent_only_for_its_places(world: World):
    with pytest.raises(NotCompetent):
        register_filing(
            context=world.compliance,
            request=world.request(facts={"origin": "HK", "destination": "JP"}),
        )


def test_counters_reconcile_with_the_entries_the_regulator_signed(world: World):
    for person in ("a", "b", "a"):
        register_filing(context=world.compliance, request=world.request(person=person))
    before = reconcile_counters(database=world.database, regulator=REGULATOR)
    assert before[0].counted_not_on_chain  # the monitor has not read the chain yet
    tail_chain(context=world.monitor)
    [reconciled] = reconcile_counters(database=world.database, regulator=REGULATOR)
    assert reconciled.is_reconciled
    assert (reconciled.general, reconciled.chain_general) == (2, 2)


def test_the_pipia_of_a_filed_transfer_comes_from_the_facts_decided_on(world: World):
    response = register_filing(context=world.compliance, request=world.request())
    report = filing_pipia(context=world.compliance, transfer=response.transfer)
    assert report.variant == "gba-sc"
    assert [s.number for s in report.sections] == [1, 2, 3, 4]
    assert response.transfer in render_pipia_html(report)
