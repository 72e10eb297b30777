"""Transfer lists fifty to a page: what each page holds and whether another follows."""

from __future__ import annotations

from datetime import UTC, datetime

from corridor.transfers.listing import TransferSummary
from corridor.web.paging import PAGE_SIZE, paged_transfers

_WHEN = datetime(2026, 1, 1, tzinfo=UTC)
_CONSENT = {"resource": {"provision": {"purpose": [{"code": "TREAT"}]}}, "jws": ""}


def _summary(number: int) -> TransferSummary:
    return TransferSummary(
        transfer=f"transfer-{number:04d}",
        role="sender",
        state="requested",
        consent=_CONSENT,
        consent_digest="sha256:00",
        sender_did="did:web:hospital-a.test",
        recipient_did="did:web:hospital-b.test",
        patient_ref="",
        evidence=(),
        details={},
        created_at=_WHEN,
        updated_at=_WHEN,
    )


def test_pages_hold_fifty_transfers_with_their_gists_and_say_when_more_follow():
    stored = [_summary(n) for n in range(120)]
    asked: list[tuple[int, int]] = []

    def fetch(limit: int, offset: int) -> list[TransferSummary]:
        asked.append((limit, offset))
        return stored[offset : offset + limit]

    first = paged_transfers(fetch, 0)
    assert [item.transfer for item, _ in first["transfers"]] == [
        s.transfer for s in stored[:PAGE_SIZE]
    ]
    assert first["transfers"][0][1].purpose == "TREAT"
    assert (first["page"], first["more"]) == (0, True)
    last = paged_transfers(fetch, 2)
    assert len(last["transfers"]) == 20
    assert (last["page"], last["more"]) == (2, False)
    assert paged_transfers(fetch, -3)["page"] == 0  # a negative page is the first
    assert asked == [(51, 0), (51, 100), (51, 0)]


def test_a_full_last_page_does_not_promise_another():
    stored = [_summary(n) for n in range(PAGE_SIZE)]
    page = paged_transfers(lambda limit, offset: stored[offset : offset + limit], 0)
    assert len(page["transfers"]) == PAGE_SIZE
    assert page["more"] is False
