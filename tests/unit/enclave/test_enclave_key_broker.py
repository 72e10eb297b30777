import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from corridor.clock import FixedClock, SystemClock
from corridor.crypto import AgreementKeyPair, SigningKeyPair, hpke_open, hpke_seal, new_data_key
from corridor.crypto.canonical import b64url_decode
from corridor.crypto.hashing import sha256_hex
from corridor.enclave import (
    DEPOSIT_INFO,
    RELEASE_INFO,
    AttestationRefused,
    BrokerContext,
    DepositInvalid,
    SimulatedRoot,
    appraise_evidence,
    encode_user_data,
    issue_challenge,
    list_appraisals,
    release_data_key,
    verify_manifest,
)
from corridor.enclave.simulated import build_attestation_document

# Alembic 1.16+ warns when storage/migrate.py sets no path_separator (shared module, reported).
pytestmark = pytest.mark.filterwarnings("ignore:No path_separator found:DeprecationWarning")

TRANSFER = "transfer-0001-abcd"
GOOD_PCR0 = bytes.fromhex("5a" * 48)


@pytest.fixture
def clock():
    # Read the wall clock when the test starts, not at collection: the simulated root's
    # certificates are issued from the wall clock when the fixture builds them.
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def broker(database, simulated_root, clock):
    return BrokerContext(
        database=database,
        broker_keys=AgreementKeyPair.generate(),
        trusted_roots=[simulated_root.root_certificate],
        reference_values=frozenset({GOOD_PCR0.hex()}),
        clock=clock,
        challenge_ttl=timedelta(minutes=5),
        max_evidence_age=timedelta(minutes=5),
        evidence_format="simulated",
    )


@pytest.fixture
def enclave_keys():
    return AgreementKeyPair.generate(), SigningKeyPair.generate()


@pytest.fixture
def forge(simulated_root, enclave_keys, clock):
    """Evidence as the simulated NSM would sign it, with every field under the test's control."""

    def _forge(nonce, *, root=simulated_root, pcr0=GOOD_PCR0, public_key=None, user_data=None):
        agreement, signing = enclave_keys
        at = clock.now()
        key, certificate = root.issue_signing_certificate(module_id="simulated-test-enc1", now=at)
        pcrs = dict.fromkeys(range(16), bytes(48))
        pcrs[0] = pcr0
        return build_attestation_document(
            signing_key=key,
            certificate=certificate,
            cabundle=root.cabundle,
            module_id="simulated-test-enc1",
            pcrs=pcrs,
            public_key=agreement.public_raw if public_key is None else public_key,
            user_data=user_data
            if user_data is not None
            else encode_user_data(manifest_key=signing.public_raw, binding=None),
            nonce=nonce,
            at=at,
        )

    return _forge


def _refusal(broker, evidence, transfer=TRANSFER):
    with pytest.raises(AttestationRefused) as caught:
        appraise_evidence(context=broker, transfer=transfer, evidence=evidence)
    return caught.value.reason


def test_affirmed_appraisal_releases_the_key_to_the_enclave_only(broker, forge, enclave_keys):
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    assert len(challenge.nonce) == 32
    appraisal = appraise_evidence(
        context=broker, transfer=TRANSFER, evidence=forge(challenge.nonce)
    )
    assert appraisal.pcr0 == GOOD_PCR0.hex()
    data_key = new_data_key()
    deposit = hpke_seal(broker.broker_keys.public, data_key, DEPOSIT_INFO + TRANSFER.encode())
    released = release_data_key(
        context=broker, appraisal=appraisal, sealed_data_key=deposit, transfer=TRANSFER
    )
    assert data_key not in released
    enclave_agreement, _ = enclave_keys
    assert (
        hpke_open(enclave_agreement.private, released, RELEASE_INFO + TRANSFER.encode()) == data_key
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
        release_data_key(
            context=broker,
            appraisal=appraisal,
            sealed_data_key=b"x",
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
        release_data_key(
            context=broker, appraisal=appraisal, sealed_data_key=b"x", transfer=TRANSFER
        )
    assert caught.value.reason == "stale-appraisal"


def test_release_refuses_deposit_made_for_another_transfer(broker, forge):
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    appraisal = appraise_evidence(
        context=broker, transfer=TRANSFER, evidence=forge(challenge.nonce)
    )
    deposit = hpke_seal(broker.broker_keys.public, new_data_key(), DEPOSIT_INFO + b"other")
    with pytest.raises(DepositInvalid):
        release_data_key(
            context=broker, appraisal=appraisal, sealed_data_key=deposit, transfer=TRANSFER
        )


@pytest.fixture
def real_broker(database, simulated_backend):
    return BrokerContext(
        database=database,
        broker_keys=AgreementKeyPair.generate(),
        trusted_roots=[simulated_backend.root.root_certificate],
        reference_values=frozenset({simulated_backend.measurement}),
        clock=SystemClock(),
        evidence_format="simulated",
    )


def test_corridor_through_a_real_enclave_process(
    real_broker, enclave_session, recipient_keys, make_job, seal_record
):
    broker = real_broker
    # Hospital A: encrypt the record, deposit its key with the broker.
    data_key, ciphertext, aad = seal_record(transfer=TRANSFER)
    deposit = hpke_seal(broker.broker_keys.public, data_key, DEPOSIT_INFO + TRANSFER.encode())
    # Data center: challenge, attestation, appraisal, release, processing.
    challenge = issue_challenge(context=broker, transfer=TRANSFER)
    evidence = enclave_session.evidence(challenge.nonce)
    appraisal = appraise_evidence(context=broker, transfer=TRANSFER, evidence=evidence)
    released = release_data_key(
        context=broker, appraisal=appraisal, sealed_data_key=deposit, transfer=TRANSFER
    )
    job = make_job(
        enclave_public_key=appraisal.enclave_public_key,
        recipient_public_raw=recipient_keys.public_raw,
        sealed_key=released,
        record=(data_key, ciphertext, aad),
    )
    answer = enclave_session.run(job)
    # Hospital B (or a regulator): the manifest checks out against the appraisal.
    manifest = verify_manifest(
        answer["manifest"],
        b64url_decode(answer["manifest_signature"]),
        appraisal,
        transfer=TRANSFER,
    )
    assert manifest.input_digest == f"sha256:{sha256_hex(ciphertext)}"
    assert manifest.measurement == f"sha384:{enclave_session.measurement}"
    assert manifest.output_digest == f"sha256:{sha256_hex(b64url_decode(answer['output']))}"
