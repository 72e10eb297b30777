from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from corridor.crypto import AgreementKeyPair, hpke_open, hpke_seal, new_data_key
from corridor.crypto.errors import CryptoError
from corridor.enclave import (
    DEPOSIT_INFO,
    RELEASE_INFO,
    AttestationRefused,
    DepositAttester,
    EvidenceRejected,
    SimulatedRoot,
    appraise_deposit_offer,
    parse_user_data,
    pin_attestation_root,
    seal_deposit,
    unwrap_deposit,
)

TRANSFER = "transfer-0001-abcd"


class KeyHolder:
    """The two keys of an enclave runtime, held in the test."""

    def __init__(self):
        self.ephemeral = AgreementKeyPair.generate()
        self.deposit = AgreementKeyPair.generate()

    def open_sealed(self, sealed, info):
        return hpke_open(self.ephemeral.private, sealed, info)

    def open_deposit(self, sealed, info):
        return hpke_open(self.deposit.private, sealed, info)


@pytest.fixture
def enclave():
    return KeyHolder()


@pytest.fixture
def broker():
    return AgreementKeyPair.generate()


def _deposit(enclave, broker, data_key, capability):
    return seal_deposit(
        data_key=data_key,
        capability=capability,
        transfer=TRANSFER,
        deposit_key=enclave.deposit.public,
        broker_key=broker.public,
        recipient_key=b"r" * 32,
    )


def _release(enclave, broker, sealed, transfer=TRANSFER):
    capability = hpke_open(
        broker.private, sealed.sealed_capability, b"corridor/capability/v1|" + transfer.encode()
    )
    return hpke_seal(enclave.ephemeral.public, capability, RELEASE_INFO + transfer.encode())


def test_the_enclave_unwraps_the_data_key_and_the_recipient_hospital_a_named(enclave, broker):
    data_key, capability = new_data_key(), new_data_key()
    sealed = _deposit(enclave, broker, data_key, capability)
    unwrapped = unwrap_deposit(
        opener=enclave,
        transfer=TRANSFER,
        sealed_deposit=sealed.sealed_deposit,
        released_capability=_release(enclave, broker, sealed),
    )
    assert unwrapped.data_key == data_key
    assert unwrapped.recipient_key == b"r" * 32
    assert data_key.hex() not in repr(unwrapped)


def test_the_broker_with_its_capability_cannot_open_the_deposit(enclave, broker):
    data_key, capability = new_data_key(), new_data_key()
    sealed = _deposit(enclave, broker, data_key, capability)
    with pytest.raises(CryptoError):
        hpke_open(broker.private, sealed.sealed_deposit, DEPOSIT_INFO + TRANSFER.encode())
    assert data_key not in sealed.sealed_deposit + sealed.sealed_capability


def test_an_enclave_without_the_released_capability_cannot_unwrap(enclave, broker):
    sealed = _deposit(enclave, broker, new_data_key(), new_data_key())
    forged = hpke_seal(enclave.ephemeral.public, new_data_key(), RELEASE_INFO + TRANSFER.encode())
    with pytest.raises(CryptoError):
        unwrap_deposit(
            opener=enclave,
            transfer=TRANSFER,
            sealed_deposit=sealed.sealed_deposit,
            released_capability=forged,
        )


def test_another_program_cannot_open_the_deposit(enclave, broker):
    sealed = _deposit(enclave, broker, new_data_key(), new_data_key())
    other = KeyHolder()
    with pytest.raises(CryptoError):
        unwrap_deposit(
            opener=other,
            transfer=TRANSFER,
            sealed_deposit=sealed.sealed_deposit,
            released_capability=_release(other, broker, sealed),
        )


def test_a_deposit_cannot_be_moved_to_another_transfer(enclave, broker):
    sealed = _deposit(enclave, broker, new_data_key(), new_data_key())
    with pytest.raises(CryptoError):
        unwrap_deposit(
            opener=enclave,
            transfer="transfer-9999-zzzz",
            sealed_deposit=sealed.sealed_deposit,
            released_capability=_release(enclave, broker, sealed),
        )


@pytest.fixture(scope="module")
def offer_enclave(simulated_backend):
    attester = DepositAttester(simulated_backend)
    yield attester
    attester.close()


def _appraise(simulated_root, evidence, nonce, allowed, **overrides):
    return appraise_deposit_offer(
        evidence,
        evidence_format="simulated",
        nonce=nonce,
        at=datetime.now(UTC),
        max_age=timedelta(minutes=5),
        trusted_roots=overrides.get("roots", [simulated_root.root_certificate]),
        allowed_measurements=allowed,
    )


def test_hospital_a_learns_the_deposit_key_of_an_approved_enclave(
    offer_enclave, simulated_backend, simulated_root
):
    nonce = b"n" * 32
    evidence = offer_enclave.evidence(nonce)
    target = _appraise(simulated_root, evidence, nonce, frozenset({simulated_backend.measurement}))
    assert target.deposit_key == parse_user_data(target.result.user_data).deposit_key
    assert target.measurement == simulated_backend.measurement
    # The same program keeps the same deposit key across evidence requests.
    again = _appraise(
        simulated_root,
        offer_enclave.evidence(b"m" * 32),
        b"m" * 32,
        frozenset({simulated_backend.measurement}),
    )
    assert again.deposit_key == target.deposit_key


def test_hospital_a_refuses_an_offer_that_is_not_fresh_approved_or_rooted(
    offer_enclave, simulated_backend, simulated_root, tmp_path
):
    evidence = offer_enclave.evidence(b"o" * 32)
    allowed = frozenset({simulated_backend.measurement})
    with pytest.raises(AttestationRefused) as caught:
        _appraise(simulated_root, evidence, b"p" * 32, allowed)
    assert caught.value.reason == "unknown-nonce"
    with pytest.raises(AttestationRefused) as caught:
        _appraise(simulated_root, evidence, b"o" * 32, frozenset({"ab" * 48}))
    assert caught.value.reason == "wrong-measurement"
    other = SimulatedRoot.create(tmp_path, b"pw", now=datetime.now(UTC))
    with pytest.raises(EvidenceRejected) as rejected:
        _appraise(simulated_root, evidence, b"o" * 32, allowed, roots=[other.root_certificate])
    assert rejected.value.reason == "unknown-root"


def test_the_attester_relaunches_a_dead_enclave(offer_enclave):
    offer_enclave.close()
    assert offer_enclave.evidence(b"q" * 32)


def test_the_attestation_root_is_pinned_on_first_use(simulated_root, tmp_path):
    pem = simulated_root.root_certificate.public_bytes(serialization.Encoding.PEM).decode()
    assert pin_attestation_root(tmp_path, pem) == simulated_root.root_certificate
    assert pin_attestation_root(tmp_path, pem) == simulated_root.root_certificate
    other = SimulatedRoot.create(tmp_path / "other", b"pw", now=datetime.now(UTC))
    changed = other.root_certificate.public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(AttestationRefused) as caught:
        pin_attestation_root(tmp_path, changed)
    assert caught.value.reason == "unknown-root"
