"""Reading a party's transfers for its pages: lists, counts, one patient's transfers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from corridor.crypto import b64url_encode, commitment, new_salt
from corridor.storage.unit_of_work import UnitOfWork
from corridor.transfers.listing import (
    count_transfers,
    get_transfer,
    list_transfers,
    transfers_of_patient,
)
from corridor.transfers.tables import TransferRow

_START = datetime(2026, 3, 1, tzinfo=UTC)


def _add(database, ident: str, *, role: str, state: str, patient: str, minutes: int) -> None:
    salt = new_salt()
    at = _START + timedelta(minutes=minutes)
    with UnitOfWork(database.sessions) as uow:
        uow.session.add(
            TransferRow(
                id=ident,
                role=role,
                state=state,
                consent_json=json.dumps({"resource": {}, "jws": ""}),
                consent_digest="sha256:" + "0" * 64,
                subject=commitment(salt, patient),
                sender_did="did:web:a.example",
                recipient_did="did:web:b.example",
                patient_ref="p-1",
                salt_b64=b64url_encode(salt),
                payload_json=json.dumps(
                    {"decisions": [], "sealed_data_key": "secret", "upload": {"resources": 7}}
                ),
                created_at=at,
                updated_at=at,
            )
        )
        uow.commit()


def test_lists_a_roles_transfers_newest_first_without_keys_and_counts_states(database):
    _add(
        database, "transfer-0001", role="sender", state="requested", patient="did:key:zA", minutes=1
    )
    _add(
        database, "transfer-0002", role="sender", state="uploaded", patient="did:key:zA", minutes=2
    )
    _add(
        database,
        "transfer-0003",
        role="recipient",
        state="requested",
        patient="did:key:zA",
        minutes=3,
    )
    listed = list_transfers(database=database, role="sender")
    assert [item.transfer for item in listed] == ["transfer-0002", "transfer-0001"]
    assert "sealed_data_key" not in listed[0].details
    assert listed[0].details["resources"] == 7
    assert count_transfers(database=database, role="sender") == {"requested": 1, "uploaded": 1}
    assert get_transfer(database=database, transfer="transfer-0003", role="sender") is None


def test_finds_only_the_transfers_a_patient_consented_to(database):
    _add(
        database, "transfer-0001", role="portal", state="requested", patient="did:key:zA", minutes=1
    )
    _add(database, "transfer-0002", role="portal", state="revoked", patient="did:key:zB", minutes=2)
    _add(
        database, "transfer-0003", role="portal", state="requested", patient="did:key:zA", minutes=3
    )
    mine = transfers_of_patient(database=database, did="did:key:zA")
    assert [item.transfer for item in mine] == ["transfer-0003", "transfer-0001"]
    assert transfers_of_patient(database=database, did="did:key:zC") == []
