from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from corridor.clock import FixedClock
from corridor.crypto import SigningKeyPair
from corridor.enclave import (
    PROGRAM_MODULE,
    ApproverContext,
    ReferenceProposal,
    ReferenceValuesInvalid,
    ReferenceValuesRefused,
    RegulatorApprovedReferenceValues,
    approve_reference_values,
    measure_program,
    sign_reference_values,
    verify_reference_values,
)
from corridor.enclave.reference import approved_by_all, missing_approvals
from corridor.identity import DidKeys, StaticDidResolver
from corridor.ledger.evidence import parse_signed_entry
from corridor.ledger.recorder import EvidenceRecorder

pytestmark = pytest.mark.filterwarnings("ignore:No path_separator found:DeprecationWarning")

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CONFIG = {"profiles": ["treatment"]}
REGULATOR_A, REGULATOR_B = "did:web:regulator-a.test", "did:web:regulator-b.test"


@pytest.fixture(scope="module")
def measurement():
    return measure_program(PROGRAM_MODULE, CONFIG).measurement


@pytest.fixture
def proposal(measurement):
    return ReferenceProposal(
        program=PROGRAM_MODULE,
        version="0.1.0",
        evidence_format="simulated",
        measurement=measurement,
        config=CONFIG,
    )


@dataclass
class _Appended:
    index: int


@dataclass
class _Outcome:
    entries: list[_Appended]


@dataclass
class MemoryLog:
    """An evidence sink that keeps leaves in memory (the log is not under test here)."""

    leaves: list[bytes] = field(default_factory=list)

    def append(self, leaves):
        start = len(self.leaves)
        self.leaves.extend(leaves)
        return _Outcome([_Appended(start + i) for i in range(len(leaves))])


class Regulator:
    """A regulator's approver, in process, with the key its DID document would publish."""

    def __init__(self, did, database, clock):
        self.did, self.key, self.log = did, SigningKeyPair.generate(), MemoryLog()
        self.context = ApproverContext(
            database=database,
            recorder=EvidenceRecorder(
                sink=self.log,
                key=self.key,
                did=did,
                kid=f"{did}#key-1",
                jurisdiction="CN",
                clock=clock,
            ),
            key=self.key,
            did=did,
            kid=f"{did}#key-1",
            clock=clock,
            programs=frozenset({PROGRAM_MODULE}),
        )
        self.refuse = False

    def approve(self, proposal):
        if self.refuse:
            raise ReferenceValuesRefused("this regulator is not answering approvals today")
        return approve_reference_values(context=self.context, proposal=proposal)

    def keys(self):
        return DidKeys(
            did=self.did,
            signing=self.key.public,
            agreement=None,
            signing_kid=f"{self.did}#key-1",
            assertion={f"{self.did}#key-1": self.key.public},
        )


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def regulators(database, clock):
    return {did: Regulator(did, database, clock) for did in (REGULATOR_A, REGULATOR_B)}


@pytest.fixture
def resolver(regulators):
    return StaticDidResolver({did: r.keys() for did, r in regulators.items()})


def _signed(proposal, key, regulator=REGULATOR_A, *, days=30):
    return sign_reference_values(
        proposal=proposal,
        regulator=regulator,
        key=key,
        kid=f"{regulator}#key-1",
        approved_at=NOW,
        expires_at=NOW + timedelta(days=days),
    )


def test_a_signed_statement_verifies_under_the_regulators_key(proposal):
    key = SigningKeyPair.generate()
    approved = verify_reference_values(_signed(proposal, key), regulator_key=key.public)
    assert approved.regulator == REGULATOR_A
    assert approved.measurements == {proposal.measurement}
    assert approved.evidence_format == "simulated"


def test_a_changed_statement_or_another_key_fails(proposal):
    key = SigningKeyPair.generate()
    signed = _signed(proposal, key)
    with pytest.raises(ReferenceValuesInvalid):
        verify_reference_values(signed, regulator_key=SigningKeyPair.generate().public)
    signed.body["measurements"] = ["00" * 48]
    with pytest.raises(ReferenceValuesInvalid):
        verify_reference_values(signed, regulator_key=key.public)


def test_a_statement_naming_another_regulator_than_its_signer_fails(proposal):
    key = SigningKeyPair.generate()
    signed = sign_reference_values(
        proposal=proposal,
        regulator=REGULATOR_B,
        key=key,
        kid=f"{REGULATOR_A}#key-1",
        approved_at=NOW,
        expires_at=NOW + timedelta(days=1),
    )
    with pytest.raises(ReferenceValuesInvalid, match="not signed by the regulator it names"):
        verify_reference_values(signed, regulator_key=key.public)


def test_only_measurements_every_regulator_approved_count(proposal):
    key = SigningKeyPair.generate()
    other = ReferenceProposal(**{**proposal.__dict__, "measurement": "cd" * 48})
    approvals = [
        verify_reference_values(_signed(proposal, key, REGULATOR_A), regulator_key=key.public),
        verify_reference_values(_signed(proposal, key, REGULATOR_B), regulator_key=key.public),
        verify_reference_values(_signed(other, key, REGULATOR_A), regulator_key=key.public),
    ]
    both = approved_by_all(
        approvals, required=[REGULATOR_A, REGULATOR_B], evidence_format="simulated", at=NOW
    )
    assert both == {proposal.measurement}
    assert missing_approvals(
        approvals,
        required=[REGULATOR_A, REGULATOR_B],
        evidence_format="simulated",
        measurement="cd" * 48,
        at=NOW,
    ) == [REGULATOR_B]


def test_expired_statements_other_formats_and_no_regulators_approve_nothing(proposal):
    key = SigningKeyPair.generate()
    approvals = [verify_reference_values(_signed(proposal, key, days=1), regulator_key=key.public)]
    later = NOW + timedelta(days=2)
    assert not approved_by_all(
        approvals, required=[REGULATOR_A], evidence_format="simulated", at=later
    )
    assert not approved_by_all(approvals, required=[REGULATOR_A], evidence_format="nitro", at=NOW)
    assert not approved_by_all(approvals, required=[], evidence_format="simulated", at=NOW)


def test_a_regulator_approves_a_measurement_it_reproduces_and_records_it(regulators, proposal):
    regulator = regulators[REGULATOR_A]
    signed = regulator.approve(proposal)
    assert verify_reference_values(signed, regulator_key=regulator.key.public).measurements == {
        proposal.measurement
    }
    [leaf] = regulator.log.leaves
    entry = parse_signed_entry(leaf).statement
    assert entry.type == "reference.approved"
    assert entry.digests["measurement"] == f"sha384:{proposal.measurement}"
    assert entry.digests["reference"] == signed.digest
    # Asking again answers the same statement, without a second entry.
    assert regulator.approve(proposal) == signed
    assert len(regulator.log.leaves) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"measurement": "ab" * 48},  # does not reproduce from the regulator's copy
        {"config": {"profiles": ["research"]}},  # measured config differs
        {"program": "corridor.enclave.process"},  # a program it does not measure
        {"evidence_format": "nitro"},  # an image build it does not run
    ],
)
def test_a_regulator_refuses_what_it_cannot_reproduce(regulators, proposal, change):
    changed = ReferenceProposal(**{**proposal.__dict__, **change})
    with pytest.raises(ReferenceValuesRefused):
        regulators[REGULATOR_A].approve(changed)
    assert regulators[REGULATOR_A].log.leaves == []


def test_the_data_center_accepts_what_both_regulators_approved(
    database, regulators, resolver, proposal, clock
):
    store = RegulatorApprovedReferenceValues(
        database=database, resolver=resolver, clock=clock, regulators=regulators, proposal=proposal
    )
    assert store.allowed("simulated") == {proposal.measurement}
    assert store.missing_for(proposal.measurement, "simulated") == []
    assert {s.regulator for s in store.statements()} == {REGULATOR_A, REGULATOR_B}


def test_the_data_center_accepts_nothing_one_regulator_did_not_approve(
    database, regulators, resolver, proposal, clock
):
    regulators[REGULATOR_B].refuse = True
    store = RegulatorApprovedReferenceValues(
        database=database, resolver=resolver, clock=clock, regulators=regulators, proposal=proposal
    )
    assert store.allowed("simulated") == frozenset()
    assert store.missing_for(proposal.measurement, "simulated") == [REGULATOR_B]
    # Once regulator B answers, the next appraisal asks again and the measurement counts.
    regulators[REGULATOR_B].refuse = False
    assert store.allowed("simulated") == {proposal.measurement}


def test_statements_expire_and_are_then_asked_for_again(
    database, regulators, resolver, proposal, clock
):
    store = RegulatorApprovedReferenceValues(
        database=database, resolver=resolver, clock=clock, regulators=regulators, proposal=proposal
    )
    store.allowed("simulated")
    clock.advance(timedelta(days=366))
    assert store.allowed("simulated") == {proposal.measurement}
    assert len(regulators[REGULATOR_A].log.leaves) == 2


def test_a_proposal_from_the_wire_is_checked():
    with pytest.raises(ReferenceValuesInvalid):
        ReferenceProposal.from_json({"program": "x"})
    with pytest.raises(ReferenceValuesInvalid):
        ReferenceProposal.from_json(
            {"program": "x", "version": "1", "format": "sgx", "measurement": "ab", "config": {}}
        )
