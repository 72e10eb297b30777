import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from corridor.clock import SystemClock
from corridor.crypto import AgreementKeyPair, hpke_open, hpke_seal, new_data_key
from corridor.crypto.canonical import b64url_decode, b64url_encode
from corridor.crypto.errors import CryptoError
from corridor.crypto.hashing import sha256_hex
from corridor.crypto.keys import x25519_public_from_raw
from corridor.enclave import (
    CAPABILITY_INFO,
    DEPOSIT_INFO,
    RELEASE_INFO,
    AttestationRefused,
    BrokerContext,
    DepositInvalid,
    PinnedReferenceValues,
    SimulatedRoot,
    appraise_evidence,
    issue_challenge,
    list_appraisals,
    parse_user_data,
    release_capability,
    seal_deposit,
    verify_manifest,
)

# Alembic 1.16+ warns when storage/migrate.py sets no path_separator (shared module, reported).
pytestmark = pytest.mark.filterwarnings("ignore:No path_separator found:DeprecationWarning")

TRANSFER = "transfer-0001-abcd"
GOOD_PCR0 = bytes.fromhex("5a" * 48)  # what the conftest's broker pins and forge() claims


def _refusal(broker, evidence, transfer=TRANSFER):
    with pytest.raises(AttestationRefused) as caught:
        appraise_evidence(context=broker, transfer=transfer, evidence=evidence)
    return caught.value.reason


def test_affirmed_appraisal_releases_the_capability_to_the_enclave_only(
    broker, forge, enclave_keys
):
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    assert len(challenge.nonce) == 32
    appraisal = appraise_evidence(
        context=broker, transfer=TRANSFER, evidence=forge(challenge.nonce)
    )
    assert appraisal.pcr0 == GOOD_PCR0.hex()
    capability = new_data_key()
    sealed = hpke_seal(broker.broker_keys.public, capability, CAPABILITY_INFO + TRANSFER.encode())
    released = release_capability(
        context=broker, appraisal=appraisal, sealed_capability=sealed, transfer=TRANSFER
    )
    assert capability not in released
    enclave_agreement, _ = enclave_keys
    assert (
        hpke_open(enclave_agreement.private, released, RELEASE_INFO + TRANSFER.encode())
        == capability
    )
    [record] = list_appraisals(context=broker, transfer=TRANSFER)
    assert record.outcome == "affirmed"
    assert record.measurement == GOOD_PCR0.hex()


def test_refuses_wrong_measurement(broker, forge):
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    assert _refusal(broker, forge(challenge.nonce, pcr0=b"\x01" * 48)) == "wrong-measurement"
    [record] = list_appraisals(context=broker, transfer=TRANSFER)
    assert (record.outcome, record.reason) == ("refused", "wrong-measurement")


def test_refuses_stale_nonce(broker, forge, clock):
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    clock.advance(timedelta(minutes=6))
    assert _refusal(broker, forge(challenge.nonce)) == "stale-nonce"


def test_refuses_reused_nonce(broker, forge):
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    appraise_evidence(context=broker, transfer=TRANSFER, evidence=forge(challenge.nonce))
    assert _refusal(broker, forge(challenge.nonce)) == "reused-nonce"


def test_refuses_nonce_never_issued(broker, forge):
    assert _refusal(broker, forge(os.urandom(32))) == "unknown-nonce"


def test_refuses_nonce_issued_for_another_transfer(broker, forge):
    challenge = issue_challenge(context=broker, transfer="transfer-other-0002")
    assert _refusal(broker, forge(challenge.nonce)) == "unknown-nonce"


def test_refuses_evidence_without_nonce(broker, forge):
    assert _refusal(broker, forge(None)) == "missing-nonce"


def test_refuses_bad_signature(broker, forge):
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    evidence = bytearray(forge(challenge.nonce))
    evidence[-5] ^= 0x01
    assert _refusal(broker, bytes(evidence)) == "bad-signature"


def test_refuses_evidence_from_an_unknown_root(broker, forge, tmp_path, clock):
    other = SimulatedRoot.create(tmp_path / "other", b"pw", now=clock.now())
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    assert _refusal(broker, forge(challenge.nonce, root=other)) == "unknown-root"


def test_refuses_debug_enclave(broker, forge):
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    assert _refusal(broker, forge(challenge.nonce, pcr0=bytes(48))) == "debug-mode"


def test_refuses_stale_evidence(broker, forge, clock):
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    evidence = forge(challenge.nonce)
    clock.advance(timedelta(minutes=6))
    assert _refusal(broker, evidence) == "stale-evidence"


def test_refuses_evidence_without_an_enclave_key(broker, forge):
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    assert _refusal(broker, forge(challenge.nonce, public_key=b"")) == "missing-enclave-key"


def test_refuses_evidence_without_the_manifest_key(broker, forge):
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    assert _refusal(broker, forge(challenge.nonce, user_data=b"hello")) == "bad-user-data"


def test_nonce_is_consumed_once_under_concurrency(broker, forge):
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    evidence = forge(challenge.nonce)

    def attempt(_):
        try:
            appraise_evidence(context=broker, transfer=TRANSFER, evidence=evidence)
        except AttestationRefused as exc:
            return exc.reason
        return "affirmed"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = sorted(pool.map(attempt, range(4)))
    assert outcomes == ["affirmed", "reused-nonce", "reused-nonce", "reused-nonce"]


def test_release_refuses_appraisal_of_another_transfer(broker, forge):
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    appraisal = appraise_evidence(
        context=broker, transfer=TRANSFER, evidence=forge(challenge.nonce)
    )
    with pytest.raises(AttestationRefused) as caught:
        release_capability(
            context=broker,
            appraisal=appraisal,
            sealed_capability=b"x",
            transfer="transfer-other-0002",
        )
    assert caught.value.reason == "wrong-transfer"


def test_release_refuses_stale_appraisal(broker, forge, clock):
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    appraisal = appraise_evidence(
        context=broker, transfer=TRANSFER, evidence=forge(challenge.nonce)
    )
    clock.advance(timedelta(minutes=6))
    with pytest.raises(AttestationRefused) as caught:
        release_capability(
            context=broker, appraisal=appraisal, sealed_capability=b"x", transfer=TRANSFER
        )
    assert caught.value.reason == "stale-appraisal"


def test_release_refuses_a_capability_deposited_for_another_transfer(broker, forge):
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    appraisal = appraise_evidence(
        context=broker, transfer=TRANSFER, evidence=forge(challenge.nonce)
    )
    sealed = hpke_seal(broker.broker_keys.public, new_data_key(), CAPABILITY_INFO + b"other")
    with pytest.raises(DepositInvalid):
        release_capability(
            context=broker, appraisal=appraisal, sealed_capability=sealed, transfer=TRANSFER
        )


@pytest.fixture
def real_broker(database, simulated_backend):
    return BrokerContext(
        database=database,
        broker_keys=AgreementKeyPair.generate(),
        trusted_roots=[simulated_backend.root.root_certificate],
        reference_values=PinnedReferenceValues(frozenset({simulated_backend.measurement})),
        clock=SystemClock(),
        evidence_format="simulated",
    )


def test_corridor_through_a_real_enclave_process(
    real_broker, enclave_session, recipient_keys, seal_record, case
):
    broker = real_broker
    # Data center: challenge, attestation, appraisal of a freshly evidenced enclave.
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    evidence = enclave_session.evidence(challenge.nonce)
    appraisal = appraise_evidence(context=broker, transfer=TRANSFER, evidence=evidence)
    # Hospital A: encrypt the record; seal the deposit to the enclave program's deposit
    # key (from the attested user_data) and the capability to the broker.
    data_key, ciphertext, aad = seal_record(transfer=TRANSFER)
    deposit_key = parse_user_data(appraisal.user_data).deposit_key
    sealed = seal_deposit(
        data_key=data_key,
        capability=new_data_key(),
        transfer=TRANSFER,
        deposit_key=x25519_public_from_raw(deposit_key),
        broker_key=broker.broker_keys.public,
        recipient_key=recipient_keys.public_raw,
    )
    # Data center: release the capability to the enclave only; the enclave unwraps.
    released = release_capability(
        context=broker,
        appraisal=appraisal,
        sealed_capability=sealed.sealed_capability,
        transfer=TRANSFER,
    )
    assert data_key not in released
    assert data_key not in sealed.sealed_deposit
    answer = enclave_session.run(
        {
            "transfer": TRANSFER,
            "ciphertext": b64url_encode(ciphertext),
            "aad": b64url_encode(aad),
            "sealed_deposit": b64url_encode(sealed.sealed_deposit),
            "sealed_capability": b64url_encode(released),
            "scope": case.scope,
            "recipient_did": case.recipient,
            "recipient_agreement_key": b64url_encode(recipient_keys.public_raw),
            "consent_digest": case.consent_digest,
            "profile": "treatment",
        }
    )
    # Hospital B (or a regulator): the manifest checks out against the appraisal.
    manifest = verify_manifest(
        answer["manifest"],
        b64url_decode(answer["manifest_signature"]),
        appraisal,
        transfer=TRANSFER,
    )
    assert manifest.input_digest == f"sha256:{sha256_hex(ciphertext)}"
    assert manifest.measurement == f"sha384:{enclave_session.measurement}"


def test_the_broker_alone_cannot_unwrap_a_deposit(real_broker, enclave_session, seal_record):
    data_key, _, _ = seal_record(transfer=TRANSFER)
    challenge = issue_challenge(context=real_broker, transfer=TRANSFER)
    appraisal = appraise_evidence(
        context=real_broker, transfer=TRANSFER, evidence=enclave_session.evidence(challenge.nonce)
    )
    capability = new_data_key()
    sealed = seal_deposit(
        data_key=data_key,
        capability=capability,
        transfer=TRANSFER,
        deposit_key=x25519_public_from_raw(parse_user_data(appraisal.user_data).deposit_key),
        broker_key=real_broker.broker_keys.public,
        recipient_key=bytes(32),
    )
    # Everything the broker holds (its key, hence the capability) does not open the outer
    # layer, which only the enclave program's deposit key opens.
    with pytest.raises(CryptoError):
        hpke_open(real_broker.broker_keys.private, sealed.sealed_deposit, DEPOSIT_INFO + b"x")
    assert data_key not in sealed.sealed_deposit + sealed.sealed_capability
