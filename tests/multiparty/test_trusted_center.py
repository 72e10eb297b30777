"""The trusted joint data center at the corridor level (issue 5).

Key custody (the data key is unwrapped only inside the enclave process), reference values
both regulators approve, the key broker's KBS protocol over HTTP, and every refusal the
broker makes leaving ``key.refused`` evidence with its reason on the chain.
"""

from __future__ import annotations

import base64
import json
import warnings
from datetime import timedelta
from pathlib import Path

import cbor2
import pytest
from corridor_harness import (  # type: ignore[import-not-found]
    URLS,
    Corridor,
    clinical_displays,
    patient_identifiers,
)

from corridor.consent import SignedConsent, sign_revocation, verify_signed_consent
from corridor.crypto import b64url_decode, b64url_encode, envelopes
from corridor.crypto.signing import jws_kid
from corridor.enclave import (
    PROGRAM_MODULE,
    InsecureEnclaveWarning,
    SignedReferenceValues,
    SimulatedEnclaveBackend,
    SimulatedRoot,
    verify_attestation,
    verify_manifest,
    verify_reference_values,
)
from corridor.enclave.binding import x25519_jwk
from corridor.enclave.client import HttpKbsClient, released_bytes
from corridor.enclave.references import reference_subject
from corridor.errors import PolicyDenied, Unauthenticated
from corridor.storage.unit_of_work import UnitOfWork
from corridor.transfers import RevocationRequest, sender
from corridor.transfers.rows import payload, update_payload
from corridor.transfers.tables import TransferRow
from corridor.vault import get_object

CONFIG = {"profiles": ["treatment"]}  # the data center's enclave configuration
# Each test runs all six parties and launches enclave processes (seconds each); the
# database-specific parts (sessions, statements) are covered on PostgreSQL by unit tests.
pytestmark = pytest.mark.slow


def _upload(corridor: Corridor, bundle: bytes) -> str:
    transfer = corridor.request(bundle)
    corridor.hospital_a.file(transfer)
    corridor.hospital_a.upload(transfer)
    return transfer


def _entries(corridor: Corridor, transfer: str, entry_type: str) -> list[dict]:
    return [
        dict(entry.statement.details)
        for _, entry in corridor.ledger.entries_for_transfer(transfer)
        if entry.statement.type == entry_type
    ]


def _refusals(corridor: Corridor, transfer: str) -> list[str]:
    return [str(details["reasons"]) for details in _entries(corridor, transfer, "key.refused")]


def _backend(corridor: Corridor, root: SimulatedRoot, config: dict) -> SimulatedEnclaveBackend:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureEnclaveWarning)
        return SimulatedEnclaveBackend(PROGRAM_MODULE, config, root, corridor.clock)


def _public_key(evidence: bytes) -> bytes:
    """The enclave's HPKE key as its evidence states it (what an attestation agent sends)."""
    return cbor2.loads(cbor2.loads(evidence)[2])["public_key"]


def _attest(corridor: Corridor, transfer: str, session, *, wait: timedelta | None = None):
    """Request, Challenge, Attestation over HTTP, as the enclave host's agent does."""
    kbs = HttpKbsClient(corridor.http, URLS["datacenter"])
    nonce = kbs.auth(tee="simulated", transfer=transfer)
    if wait is not None:
        corridor.clock.advance(wait)
    evidence = session.evidence(nonce)
    runtime_data = {
        "nonce": base64.b64encode(nonce).decode(),
        "tee-pubkey": x25519_jwk(_public_key(evidence)),
    }
    return kbs, kbs.attest(evidence=evidence, runtime_data=runtime_data), evidence, runtime_data


def _scan(folder: Path, needles: list[bytes]) -> dict[str, int]:
    found: dict[str, int] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = sum(1 for needle in needles if needle in data)
            if hits:
                found[str(path)] = hits
    return found


def _encodings(secret: bytes) -> list[bytes]:
    return [
        secret,
        secret.hex().encode(),
        base64.b64encode(secret).rstrip(b"="),
        b64url_encode(secret).encode(),
    ]


class _RecordingSuite:
    """Wraps the HPKE suite to record what the parties in this process ever open."""

    def __init__(self, suite, opened: list[bytes]) -> None:
        self._suite, self._opened = suite, opened

    def encrypt(self, *args, **kwargs):
        return self._suite.encrypt(*args, **kwargs)

    def decrypt(self, *args, **kwargs):
        plaintext = self._suite.decrypt(*args, **kwargs)
        self._opened.append(plaintext)
        return plaintext


def test_only_the_enclave_process_ever_unwraps_a_data_key_and_none_rests_at_the_center(
    sqlite_corridor: Corridor, patient_bundle: bytes, monkeypatch: pytest.MonkeyPatch
):
    corridor = sqlite_corridor
    # Hospital A's side: every key it generates for the upload (data key and capability).
    generated: list[bytes] = []
    original = sender.new_data_key

    def recording_new_data_key() -> bytes:
        key = original()
        generated.append(key)
        return key

    monkeypatch.setattr(sender, "new_data_key", recording_new_data_key)
    # Every party but the enclave runs in this process: record all they ever unwrap.
    opened: list[bytes] = []
    used_aes_keys: list[bytes] = []
    monkeypatch.setattr(envelopes, "_HPKE_SUITE", _RecordingSuite(envelopes._HPKE_SUITE, opened))
    real_aesgcm = envelopes.AESGCM

    class RecordingAESGCM:
        generate_key = staticmethod(real_aesgcm.generate_key)

        def __new__(cls, key: bytes):
            used_aes_keys.append(bytes(key))
            return real_aesgcm(key)

    monkeypatch.setattr(envelopes, "AESGCM", RecordingAESGCM)
    transfer = corridor.run(patient_bundle)
    data_key, capability = generated
    # Hospital A sealed with the data key; nobody in these processes ever opened it.
    assert data_key not in opened
    assert used_aes_keys.count(data_key) == 1  # hospital A's encryption, nothing else
    assert capability in opened  # the broker handles the capability, never the data key
    # At rest at the data center: no plaintext record, no unwrapped data key or capability.
    needles = [n.encode() for n in patient_identifiers(patient_bundle)]
    needles += [n.encode() for n in clinical_displays(patient_bundle)]
    needles += [encoded for secret in (data_key, capability) for encoded in _encodings(secret)]
    assert len(needles) > 18
    folder = corridor.tmp_path / "datacenter"
    assert any(p.name.endswith(".db") for p in folder.rglob("*"))
    assert _scan(folder, needles) == {}
    # ... while the record did get through, decrypted at hospital B.
    assert corridor.hospital_b.open_record(transfer, viewer="dr-chan")["bundle"]


def test_both_regulators_approve_the_enclave_and_the_kbs_protocol_releases_to_it(
    sqlite_corridor: Corridor, patient_bundle: bytes
):
    corridor = sqlite_corridor
    transfer = _upload(corridor, patient_bundle)
    center = corridor.apps["datacenter"].state.center
    measurement = center.backend.measurement
    # Reference values: each regulator signed the measurement and put it on the chain.
    approvals = corridor.http.get(f"{URLS['datacenter']}/api/enclave/reference-values").json()
    signers = set()
    for raw in approvals:
        signed = SignedReferenceValues.from_json(raw)
        key = corridor.apps["datacenter"].state.node.resolver.resolve_key(jws_kid(signed.jws))
        approved = verify_reference_values(signed, regulator_key=key)
        assert measurement in approved.measurements
        signers.add(approved.regulator)
    assert signers == {corridor.did("regulator-a"), corridor.did("regulator-b")}
    on_chain = _entries(corridor, reference_subject(measurement), "reference.approved")
    assert [e["program"] for e in on_chain] == [PROGRAM_MODULE, PROGRAM_MODULE]
    # KBS: Request, Challenge, Attestation, Response over HTTP; then the enclave processes.
    with center.backend.launch() as session:
        kbs, token, evidence, _ = _attest(corridor, transfer, session)
        released = kbs.resource(f"corridor/data-key/{transfer}", token=token)
        with pytest.raises(Unauthenticated):  # one release per session: no replayable token
            kbs.resource(f"corridor/data-key/{transfer}", token=token)
        row = _center_row(corridor, transfer)
        recipient = corridor.apps["hospital-b"].state.node.keys.agreement.public_raw
        consent = verify_signed_consent(SignedConsent.from_json(json.loads(row.consent_json)))
        answer = session.run(
            {
                "transfer": transfer,
                "ciphertext": b64url_encode(
                    get_object(
                        context=corridor.apps["datacenter"].state.vault,
                        object_id=payload(row)["object_id"],
                    )
                ),
                "aad": payload(row)["aad"],
                "sealed_deposit": b64url_encode(released_bytes(released, "sealed_deposit")),
                "sealed_capability": b64url_encode(released_bytes(released, "sealed_capability")),
                "scope": consent.terms.scope.to_json(),
                "recipient_did": row.recipient_did,
                "recipient_agreement_key": b64url_encode(recipient),
                "consent_digest": row.consent_digest,
                "profile": "treatment",
            }
        )
    assert "token" not in released
    manifest = verify_manifest(
        answer["manifest"],
        b64url_decode(answer["manifest_signature"]),
        _appraised(corridor, evidence),
        transfer=transfer,
    )
    assert manifest.measurement == f"sha384:{measurement}"
    assert corridor.entry_types(transfer)[-2:] == ["attestation.appraised", "key.released"]


def _center_row(corridor: Corridor, transfer: str) -> TransferRow:
    context = corridor.apps["datacenter"].state.center
    with UnitOfWork(context.database.sessions) as uow:
        row = uow.session.get(TransferRow, transfer)
        uow.session.expunge(row)
        return row


def _appraised(corridor: Corridor, evidence: bytes):
    center = corridor.apps["datacenter"].state.center
    return verify_attestation(
        evidence,
        at=corridor.clock.now(),
        max_age=timedelta(minutes=5),
        trusted_roots=center.broker.trusted_roots,
        evidence_format="simulated",
    )


def test_the_key_broker_refuses_bad_attestations_each_with_evidence_on_the_chain(
    sqlite_corridor: Corridor, patient_bundle: bytes, tmp_path: Path
):
    corridor = sqlite_corridor
    transfer = _upload(corridor, patient_bundle)
    center = corridor.apps["datacenter"].state.center
    rogue_root = SimulatedRoot.create(tmp_path / "rogue", b"pw", now=corridor.clock.now())
    scenarios = [
        # Same program and configuration, but "hardware" no one pinned.
        ("unknown-root", _backend(corridor, rogue_root, CONFIG)),
        # The operator launches a configuration the regulators never approved.
        ("wrong-measurement", _backend(corridor, center.backend.root, {"profiles": []})),
    ]
    for reason, backend in scenarios:
        with backend.launch() as session, pytest.raises(PolicyDenied) as refused:
            _attest(corridor, transfer, session)
        assert reason in json.dumps(refused.value.problem)  # type: ignore[attr-defined]
        assert f"attestation: {reason}" in _refusals(corridor, transfer)
    with center.backend.launch() as session:
        # Evidence answering a challenge after it expired.
        with pytest.raises(PolicyDenied, match="stale-nonce"):
            _attest(corridor, transfer, session, wait=timedelta(minutes=6))
        # A replayed Attestation message (same session, same evidence) reuses the nonce.
        kbs, _token, evidence, runtime_data = _attest(corridor, transfer, session)
        with pytest.raises(PolicyDenied, match="reused-nonce"):
            kbs.attest(evidence=evidence, runtime_data=runtime_data)
    assert "attestation: stale-nonce" in _refusals(corridor, transfer)
    assert "attestation: reused-nonce" in _refusals(corridor, transfer)
    assert "key.released" not in corridor.entry_types(transfer)


def test_the_key_broker_refuses_release_after_revocation_with_evidence(
    sqlite_corridor: Corridor, patient_bundle: bytes
):
    corridor = sqlite_corridor
    transfer = _upload(corridor, patient_bundle)
    center = corridor.apps["datacenter"].state.center
    with center.backend.launch() as session:
        kbs, token, _, _ = _attest(corridor, transfer, session)
        consent = verify_signed_consent(
            SignedConsent.from_json(_portal_consent(corridor, transfer))
        )
        revocation = sign_revocation(
            consent, corridor.wallet, revoked_at=corridor.clock.now(), reason="changed my mind"
        )
        corridor.portal.revoke(transfer, RevocationRequest(revocation=revocation.to_json()))
        with pytest.raises(PolicyDenied) as refused:
            kbs.resource(f"corridor/data-key/{transfer}", token=token)
    assert "revoked" in json.dumps(refused.value.problem)  # type: ignore[attr-defined]
    [reasons] = _refusals(corridor, transfer)
    assert "revoked" in reasons
    assert "key.released" not in corridor.entry_types(transfer)


def _portal_consent(corridor: Corridor, transfer: str) -> dict:
    context = corridor.apps["portal"].state.portal
    with UnitOfWork(context.database.sessions) as uow:
        return json.loads(uow.session.get(TransferRow, transfer).consent_json)


def test_a_missing_compliance_decision_stops_the_release_with_evidence(
    sqlite_corridor: Corridor, patient_bundle: bytes
):
    corridor = sqlite_corridor
    transfer = _upload(corridor, patient_bundle)
    context = corridor.apps["datacenter"].state.center
    regulator_b = corridor.did("regulator-b")
    with UnitOfWork(context.database.sessions) as uow:
        row = uow.session.get(TransferRow, transfer)
        kept = [d for d in payload(row)["decisions"] if d["body"]["regulator"] != regulator_b]
        update_payload(row, decisions=kept)
        uow.commit()
    with pytest.raises(PolicyDenied) as refused:
        corridor.center.process(transfer)
    assert f"no permit from {regulator_b}" in json.dumps(refused.value.problem)  # type: ignore[attr-defined]
    [reasons] = _refusals(corridor, transfer)
    assert f"no permit from {regulator_b}" in reasons
    assert "key.released" not in corridor.entry_types(transfer)
