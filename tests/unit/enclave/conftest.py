"""Fixtures of the enclave tests: a simulated root, a fake records program, job factories."""

import importlib.util
import json
import warnings
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from corridor.clock import SystemClock
from corridor.crypto import AgreementKeyPair, aead_seal, canonical_json, hpke_seal, new_data_key
from corridor.crypto.canonical import b64url_encode
from corridor.crypto.keys import x25519_public_from_raw
from corridor.enclave import (
    RELEASE_INFO,
    InsecureEnclaveWarning,
    SimulatedEnclaveBackend,
    SimulatedRoot,
)

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
    *, enclave_public_key, recipient_public_raw, transfer=TRANSFER, sealed_key=None, record=None
):
    """A job as the transfer flow builds it; by default the key is sealed to the enclave."""
    data_key, ciphertext, aad = record or _seal_record(transfer=transfer)
    if sealed_key is None:
        sealed_key = hpke_seal(
            x25519_public_from_raw(enclave_public_key), data_key, RELEASE_INFO + transfer.encode()
        )
    return {
        "transfer": transfer,
        "ciphertext": b64url_encode(ciphertext),
        "aad": b64url_encode(aad),
        "sealed_key": b64url_encode(sealed_key),
        "scope": SCOPE,
        "recipient_did": RECIPIENT,
        "recipient_agreement_key": b64url_encode(recipient_public_raw),
        "consent_digest": CONSENT_DIGEST,
        "profile": "treatment",
    }
