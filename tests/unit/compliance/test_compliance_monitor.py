"""The chain monitor verifies every checkpoint and entry and raises each kind of alert."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from compliance_world import (  # type: ignore[import-not-found]
    DATACENTER,
    HOSPITAL_A,
    HOSPITAL_B,
    ORIGIN,
    PORTAL,
    World,
)

from corridor.compliance import list_alerts, register_filing, tail_chain
from corridor.compliance.monitor import monitor_status
from corridor.crypto import SigningKeyPair
from corridor.ledger.evidence import EvidenceStatement, sign_statement
from corridor.ledger.merkle import MemoryTree
from corridor.ledger.note import Checkpoint, Ed25519NoteSigner, format_note

pytestmark = pytest.mark.integration
_EVIDENCE = "sha256:" + "e" * 64


def _kinds(world: World) -> list[str]:
    return sorted(alert.kind for alert in list_alerts(database=world.database))


def _granted(world: World, transfer: str, recipient: str = HOSPITAL_B) -> None:
    world.recorder(PORTAL).record(
        "consent.granted",
        transfer=transfer,
        digests={"consent": "sha256:" + "2" * 64},
        details={"recipient": recipient, "custodian": HOSPITAL_A, "purpose": "TREAT"},
    )


def _release(world: World, transfer: str, *, appraise: bool = True) -> None:
    center = world.recorder(DATACENTER)
    if appraise:
        center.record(
            "attestation.appraised",
            transfer=transfer,
            digests={"evidence": _EVIDENCE},
            details={"outcome": "affirming"},
        )
    center.record("key.released", transfer=transfer, digests={"evidence": _EVIDENCE})


def _flow(world: World, **request) -> str:
    transfer = world.transfer_id()
    _granted(world, transfer)
    register_filing(context=world.compliance, request=world.request(transfer, **request))
    world.recorder(HOSPITAL_A).record("record.uploaded", transfer=transfer)
    _release(world, transfer)
    world.recorder(HOSPITAL_B).record("record.delivered", transfer=transfer)
    world.recorder(HOSPITAL_B).record("record.accessed", transfer=transfer)
    return transfer


def test_a_lawful_flow_verifies_entirely_and_raises_nothing(world: World):
    _flow(world)
    report = tail_chain(context=world.monitor)
    assert report.alerts == ()
    assert (report.previous_size, report.size, report.verified_entries) == (0, 8, 8)
    assert monitor_status(database=world.database)["size"] == 8
    again = tail_chain(context=world.monitor)
    assert (again.previous_size, again.size, again.alerts) == (8, 8, ())


def test_an_upload_without_a_filing_is_an_alert(world: World):
    transfer = world.transfer_id()
    _granted(world, transfer)
    world.recorder(HOSPITAL_A).record("record.uploaded", transfer=transfer)
    report = tail_chain(context=world.monitor)
    assert [a.kind for a in report.alerts] == ["transfer-without-filing"]
    assert report.alerts[0].transfer == transfer
    tail_chain(context=world.monitor)  # seen again: still one alert
    assert _kinds(world) == ["transfer-without-filing"]


def test_a_key_release_on_a_denied_filing_is_an_alert(world: World):
    transfer = world.transfer_id()
    _granted(world, transfer)
    register_filing(
        context=world.compliance,
        request=world.request(transfer, facts={"consents": ["cn_separate_sensitive"]}),
    )
    _release(world, transfer)
    assert _kinds(world) == []
    tail_chain(context=world.monitor)
    assert _kinds(world) == ["transfer-without-filing"]


def test_a_key_release_without_an_affirming_appraisal_is_an_alert(world: World):
    transfer = world.transfer_id()
    _granted(world, transfer)
    register_filing(context=world.compliance, request=world.request(transfer))
    _release(world, transfer, appraise=False)
    tail_chain(context=world.monitor)
    assert _kinds(world) == ["key-release-without-attestation"]


def test_a_key_release_after_revocation_or_expiry_is_an_alert(world: World):
    revoked = world.transfer_id()
    _granted(world, revoked)
    register_filing(context=world.compliance, request=world.request(revoked))
    world.recorder(PORTAL).record("consent.revoked", transfer=revoked)
    _release(world, revoked)
    expiring = world.transfer_id()
    _granted(world, expiring)
    register_filing(
        context=world.compliance,
        request=world.request(
            expiring, person="p-2", expires_at=world.clock.now() + timedelta(hours=1)
        ),
    )
    world.clock.advance(timedelta(hours=2))
    _release(world, expiring)
    tail_chain(context=world.monitor)
    by_transfer = {(a.kind, a.transfer) for a in list_alerts(database=world.database)}
    assert ("key-release-after-revocation", revoked) in by_transfer
    assert ("key-release-after-expiry", expiring) in by_transfer


def test_access_by_a_party_the_consent_does_not_name_is_an_alert(world: World):
    transfer = _flow(world)
    world.recorder(HOSPITAL_A).record("record.accessed", transfer=transfer)
    tail_chain(context=world.monitor)
    [alert] = list_alerts(database=world.database)
    assert (alert.kind, alert.transfer) == ("access-outside-consent", transfer)
    assert alert.details["actor"] == HOSPITAL_A


def test_access_after_revocation_and_after_expiry_are_alerts(world: World):
    transfer = _flow(world, expires_at=world.clock.now() + timedelta(days=1))
    world.recorder(PORTAL).record("consent.revoked", transfer=transfer)
    world.recorder(HOSPITAL_B).record("record.accessed", transfer=transfer)
    world.clock.advance(timedelta(days=2))
    world.recorder(HOSPITAL_B).record("record.accessed", transfer=transfer)
    tail_chain(context=world.monitor)
    assert {"access-after-revocation", "access-after-expiry"} <= set(_kinds(world))


class _ForgingLog:
    """A log that signs whatever tree it is told to: to show the monitor catches it."""

    def __init__(self, world: World, key: SigningKeyPair) -> None:
        self.signer = Ed25519NoteSigner(ORIGIN, key)
        self.tree = MemoryTree()
        self.leaves: list[bytes] = []
        self.served: list[bytes] | None = None
        self.checkpoint_override: str | None = None
        self.world = world

    def add(self, leaf: bytes) -> None:
        self.leaves.append(leaf)
        self.tree.append(leaf)

    def note(self, size: int, root: bytes) -> str:
        body = Checkpoint(ORIGIN, size, root).body()
        return format_note(body, [self.signer.sign(body)])

    def log_identity(self) -> tuple[str, str]:
        return ORIGIN, self.signer.verifier_key

    def checkpoint(self) -> str:
        if self.checkpoint_override is not None:
            return self.checkpoint_override
        return self.note(self.tree.size, self.tree.root())

    def entry(self, index: int) -> bytes:
        return (self.served or self.leaves)[index]

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        return self.tree.consistency_proof(old, new)


def _entry(world: World, actor: str, kind: str, transfer: str) -> bytes:
    statement = EvidenceStatement(
        type=kind,
        transfer=transfer,
        actor=actor,
        time="2026-11-20T02:00:00Z",
        jurisdiction="HK" if actor == HOSPITAL_B else "CN",
    )
    return sign_statement(statement, world.keys[actor], kid=f"{actor}#key-1").leaf


@pytest.fixture
def forged(world: World) -> tuple[World, _ForgingLog]:
    log = _ForgingLog(world, SigningKeyPair.generate())
    for n in range(3):
        log.add(_entry(world, PORTAL, "consent.granted", f"transfer-f{n:03d}"))
    monitored = replace(world, monitor=replace(world.monitor, source=log))
    assert tail_chain(context=monitored.monitor).size == 3
    return monitored, log


def test_a_second_root_for_a_verified_size_is_a_fork_alert(forged):
    world, log = forged
    log.checkpoint_override = log.note(3, b"\x07" * 32)
    report = tail_chain(context=world.monitor)
    assert [a.kind for a in report.alerts] == ["checkpoint-fork"]
    assert report.size == 3


def test_a_log_that_shrinks_or_cannot_prove_consistency_raises_an_alert(forged):
    world, log = forged
    log.checkpoint_override = log.note(2, log.tree.root(2))
    assert [a.kind for a in tail_chain(context=world.monitor).alerts] == ["checkpoint-inconsistent"]
    for n in (3, 4):
        log.add(_entry(world, PORTAL, "consent.granted", f"transfer-f{n:03d}"))
    log.checkpoint_override = log.note(5, b"\x09" * 32)
    report = tail_chain(context=world.monitor)
    assert "consistent" in report.alerts[0].summary
    assert monitor_status(database=world.database)["size"] == 3


def test_entries_that_do_not_hash_to_the_checkpoint_are_an_alert(forged):
    world, log = forged
    log.add(_entry(world, PORTAL, "consent.granted", "transfer-f003"))
    log.served = [*log.leaves[:3], _entry(world, PORTAL, "consent.granted", "transfer-other")]
    report = tail_chain(context=world.monitor)
    assert [a.kind for a in report.alerts] == ["checkpoint-inconsistent"]
    assert monitor_status(database=world.database)["size"] == 3


def test_a_checkpoint_signed_by_another_key_is_an_alert(forged):
    world, log = forged
    impostor = Ed25519NoteSigner(ORIGIN, SigningKeyPair.generate())
    body = Checkpoint(ORIGIN, 3, log.tree.root()).body()
    log.checkpoint_override = format_note(body, [impostor.sign(body)])
    assert [a.kind for a in tail_chain(context=world.monitor).alerts] == ["checkpoint-inconsistent"]


def test_an_entry_whose_signature_does_not_verify_is_an_alert(forged):
    world, log = forged
    leaf = _entry(world, HOSPITAL_B, "record.accessed", "transfer-f001")
    tampered = leaf.replace(b"record.accessed", b"record.delivered")
    log.add(tampered)
    report = tail_chain(context=world.monitor)
    assert [a.kind for a in report.alerts] == ["entry-invalid"]
    assert report.size == 4
