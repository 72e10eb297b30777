"""The five steps of a transfer as read from its evidence entries."""

from __future__ import annotations

from typing import Any

from corridor.web.entries import EntryView
from corridor.web.timeline import build_timeline


def _entry(index: int, kind: str, **details: Any) -> EntryView:
    return EntryView(
        index=index,
        type=kind,
        transfer="t-1",
        actor="did:web:example.org",
        time="2026-01-02T03:04:05Z",
        jurisdiction="CN",
        digests={},
        details=details,
        kid="did:web:example.org#key-1",
    )


def test_a_fresh_request_has_only_its_first_step_done():
    timeline = build_timeline([_entry(0, "consent.granted")])
    assert [step.state for step in timeline.steps] == [
        "done",
        "waiting",
        "waiting",
        "waiting",
        "waiting",
    ]
    assert timeline.completed == 1
    assert timeline.revocation is None


def test_a_denial_stops_the_filing_step():
    timeline = build_timeline(
        [
            _entry(0, "consent.granted"),
            _entry(1, "filing.registered"),
            _entry(2, "compliance.decided", decision="PERMIT"),
            _entry(3, "filing.registered"),
            _entry(4, "compliance.decided", decision="DENY"),
        ]
    )
    assert timeline.steps[1].state == "stopped"
    assert len(timeline.steps[1].entries) == 4


def test_a_refused_key_release_stops_processing_and_a_revocation_is_reported():
    timeline = build_timeline(
        [
            _entry(0, "consent.granted"),
            _entry(5, "record.uploaded"),
            _entry(6, "attestation.appraised"),
            _entry(7, "key.refused"),
            _entry(8, "consent.revoked"),
        ]
    )
    assert timeline.steps[2].state == "done"
    assert timeline.steps[3].state == "stopped"
    assert timeline.revocation is not None
    assert timeline.revocation.index == 8


def test_every_step_is_done_when_the_summary_was_delivered():
    kinds = [
        "consent.granted",
        "filing.registered",
        "compliance.decided",
        "record.uploaded",
        "attestation.appraised",
        "key.released",
        "record.processed",
        "record.delivered",
        "record.accessed",
    ]
    timeline = build_timeline([_entry(i, kind) for i, kind in enumerate(kinds)])
    assert timeline.completed == 5
