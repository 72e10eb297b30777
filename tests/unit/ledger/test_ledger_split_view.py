"""A split-view attack: the log shows regulator A one tree and regulator B another.

The attacker holds the real log key and keeps two databases that agree up to size 4 and
then diverge, both reaching size 9. It asks witness A to cosign view 1 and witness B view
2, then tries to complete each quorum with the other witness. It must fail: neither view
ever gets two cosignatures, each witness refuses the other view as a fork and records
an alert with the offending signed checkpoint, and no receipt from either view verifies
against the trust policy (quorum 2).
"""

from __future__ import annotations

import httpx
import pytest
from ledger_support import ORIGIN, HostRouter  # type: ignore[import-not-found]
from sqlalchemy import select

from corridor.ledger.client import HttpWitnessClient
from corridor.ledger.cosigning import CosigningContext, collect_cosignatures
from corridor.ledger.errors import InvalidReceipt, NotYetFinal
from corridor.ledger.note import open_checkpoint, parse_verifier_key
from corridor.ledger.receipt import TrustPolicy, format_receipt, verify_receipt
from corridor.ledger.service import (
    append_entries,
    build_receipt,
    latest_signed_checkpoint,
    prove_inclusion,
)
from corridor.ledger.tables import CosignatureRow
from corridor.storage.unit_of_work import UnitOfWork


def test_a_log_showing_two_trees_of_one_size_gets_no_quorum_and_raises_alerts(
    make_log, make_witness, host_router: HostRouter, make_entry
):
    view_1 = make_log("view-1", quorum=2)
    view_2 = make_log("view-2", quorum=2)
    shared = [make_entry(i).leaf for i in range(4)]
    append_entries(context=view_1, leaves=[*shared, *(make_entry(100 + i).leaf for i in range(5))])
    append_entries(context=view_2, leaves=[*shared, *(make_entry(200 + i).leaf for i in range(5))])
    vkey = parse_verifier_key(view_1.verifier_key)
    signed_1 = open_checkpoint(latest_signed_checkpoint(context=view_1), [vkey]).checkpoint
    signed_2 = open_checkpoint(latest_signed_checkpoint(context=view_2), [vkey]).checkpoint
    assert signed_1.size == signed_2.size == 9
    assert signed_1.root_hash != signed_2.root_hash  # same key, same origin, same size

    a = make_witness("regulator-a", pinned_logs={ORIGIN: view_1.verifier_key})
    b = make_witness("regulator-b", pinned_logs={ORIGIN: view_1.verifier_key})
    http = httpx.Client(transport=host_router)
    transport = HttpWitnessClient(http)

    def round_(view, *witnesses):
        urls = tuple(w.url for w in witnesses)
        return collect_cosignatures(
            context=CosigningContext(ledger=view, witness_urls=urls, transport=transport)
        )

    def cosignature_lines(view) -> str:
        with UnitOfWork(view.database.sessions) as uow:
            return "".join(uow.session.execute(select(CosignatureRow.line)).scalars())

    # Each regulator is shown its own view first: each cosigns it, but alone.
    first_1 = round_(view_1, a)
    first_2 = round_(view_2, b)
    assert first_1.cosigners == [a.context.name]
    assert not first_1.final
    assert first_2.cosigners == [b.context.name]
    assert not first_2.final

    # The attacker now asks the other regulator of each view to complete its quorum.
    second_1 = round_(view_1, a, b)
    second_2 = round_(view_2, a, b)
    assert not second_1.final
    assert not second_2.final
    assert b.url in second_1.failures
    assert a.url in second_2.failures

    # Both witnesses recorded the fork, with the signed checkpoint they were shown.
    for witness, shown in ((b, signed_1), (a, signed_2)):
        alerts = http.get(f"{witness.url}/api/ledger/witness/alerts").json()["alerts"]
        assert [alert["kind"] for alert in alerts] == ["fork"]
        assert alerts[0]["origin"] == ORIGIN
        evidence = open_checkpoint(alerts[0]["checkpoint"], [vkey]).checkpoint
        assert (evidence.size, evidence.root_hash) == (shown.size, shown.root_hash)

    # No view is final, so the log cannot issue receipts; one forged from what the attacker
    # holds (its signature and the one cosignature each view got) fails offline.
    trust = TrustPolicy(
        origin=ORIGIN,
        log_key=view_1.verifier_key,
        witness_keys=(a.context.verifier_key, b.context.verifier_key),
        quorum=2,
    )
    for view in (view_1, view_2):
        with pytest.raises(NotYetFinal):
            build_receipt(context=view, index=6)
        forged = format_receipt(
            leaf=make_entry(101).leaf if view is view_1 else make_entry(201).leaf,
            index=5,
            proof=prove_inclusion(context=view, index=5, tree_size=9),
            checkpoint_note=latest_signed_checkpoint(context=view) + cosignature_lines(view),
        )
        with pytest.raises(InvalidReceipt, match=r"has 1 witness cosignatures; .* needs 2"):
            verify_receipt(forged, trust)
