"""Fixtures of the enclave tests: a simulated root, a fake records program, job factories."""

import importlib.util
import json
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from corridor.clock import FixedClock, SystemClock
from corridor.crypto import (
    AgreementKeyPair,
    SigningKeyPair,
    aead_seal,
    canonical_json,
    hpke_seal,
    new_data_key,
)
from corridor.crypto.canonical import b64url_encode
from corridor.crypto.keys import x25519_public_from_raw
from corridor.enclave import (
    RELEASE_INFO,
    BrokerContext,
    InsecureEnclaveWarning,
    PinnedReferenceValues,
    SimulatedEnclaveBackend,
    SimulatedRoot,
    encode_user_data,
    seal_deposit,
)
from corridor.enclave.simulated import build_attestation_document

FAKE_PROGRAM = Path(__file__).with_name("fake_records_program.py")
PATIENT_NAME = "Zhang Wei Testpatient"
BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "resource": {
                "resourceType": "Patient",
                "id": "p1",
                "name": [{"text": PATIENT_NAME}],
                "telecom": [{"system": "phone", "value": "+852 5555 0100"}],
                "gender": "male",
            }
        },
        {"resource": {"resourceType": "Condition", "id": "c1", "code": {"text": "asthma"}}},
        {"resource": {"resourceType": "Observation", "id": "o1", "status": "final"}},
    ],
}
SCOPE = {"resource_types": ["Patient", "Condition"], "data_from": None, "data_to": None}
TRANSFER = "transfer-0001-abcd"
CONSENT_DIGEST = "sha256:" + "ab" * 32
RECIPIENT = "did:web:hospital-b.example"


@pytest.fixture(scope="session")
def simulated_root(tmp_path_factory):
    folder = tmp_path_factory.mktemp("simulated-root")
    return SimulatedRoot.create(folder, b"test passphrase", now=datetime.now(UTC))


@pytest.fixture(scope="session")
def fake_records():
    spec = importlib.util.spec_from_file_location("fake_records_program", FAKE_PROGRAM)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FakeRecords()


@pytest.fixture(scope="session")
def simulated_backend(simulated_root):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureEnclaveWarning)
        return SimulatedEnclaveBackend(
            FAKE_PROGRAM, {"profile": "treatment"}, simulated_root, SystemClock()
        )


@pytest.fixture(scope="session")
def enclave_session(simulated_backend):
    session = simulated_backend.launch()
    yield session
    session.close()


@pytest.fixture
def recipient_keys():
    return AgreementKeyPair.generate()


@pytest.fixture
def case():
    """The constants of the worked transfer, for assertions."""
    return SimpleNamespace(
        bundle=BUNDLE,
        scope=SCOPE,
        transfer=TRANSFER,
        consent_digest=CONSENT_DIGEST,
        recipient=RECIPIENT,
        patient_name=PATIENT_NAME,
    )


@pytest.fixture
def seal_record():
    return _seal_record


@pytest.fixture
def make_job():
    return _make_job


def _seal_record(bundle=None, *, transfer=TRANSFER):
    """What hospital A does: encrypt the bundle under a fresh key bound to the transfer."""
    data_key = new_data_key()
    aad = canonical_json(
        {"transfer": transfer, "consent": CONSENT_DIGEST, "recipient": RECIPIENT, "kind": "record"}
    )
    ciphertext = aead_seal(data_key, json.dumps(bundle or BUNDLE).encode(), aad)
    return data_key, ciphertext, aad


def _make_job(
    *,
    enclave_public_key,
    deposit_public_key,
    recipient_public_raw,
    transfer=TRANSFER,
    record=None,
    release_info=None,
    deposit_recipient=None,
):
    """A job as the transfer flow builds it: hospital A's deposit, the broker's release.

    The deposit is sealed to the enclave's deposit key and names ``deposit_recipient``
    (by default the job's recipient); the capability is released to its ephemeral key.
    """
    data_key, ciphertext, aad = record or _seal_record(transfer=transfer)
    capability = new_data_key()
    sealed = seal_deposit(
        data_key=data_key,
        capability=capability,
        transfer=transfer,
        deposit_key=x25519_public_from_raw(deposit_public_key),
        broker_key=AgreementKeyPair.generate().public,
        recipient_key=deposit_recipient or recipient_public_raw,
    )
    released = hpke_seal(
        x25519_public_from_raw(enclave_public_key),
        capability,
        release_info or RELEASE_INFO + transfer.encode(),
    )
    return {
        "transfer": transfer,
        "ciphertext": b64url_encode(ciphertext),
        "aad": b64url_encode(aad),
        "sealed_deposit": b64url_encode(sealed.sealed_deposit),
        "sealed_capability": b64url_encode(released),
        "scope": SCOPE,
        "recipient_did": RECIPIENT,
        "recipient_agreement_key": b64url_encode(recipient_public_raw),
        "consent_digest": CONSENT_DIGEST,
        "profile": "treatment",
    }


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
        reference_values=PinnedReferenceValues(frozenset({GOOD_PCR0.hex()})),
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
