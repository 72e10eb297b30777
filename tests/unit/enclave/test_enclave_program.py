import base64
import json
from types import SimpleNamespace

import pytest

from corridor.crypto import AgreementKeyPair, SigningKeyPair, aead_open, hpke_open
from corridor.crypto.canonical import b64url_decode, b64url_encode, canonical_json
from corridor.enclave import OUTPUT_INFO, JobRejected, encode_user_data, output_aad, verify_manifest
from corridor.enclave.program import CorridorRecords, process_transfer

MEASUREMENT = "ab" * 48


class FakeRuntime:
    """An in-process stand-in for the enclave's runtime, with the same key handling."""

    def __init__(self):
        self.agreement = AgreementKeyPair.generate()
        self.deposit = AgreementKeyPair.generate()
        self.signing = SigningKeyPair.generate()
        self.measurement = MEASUREMENT
        self.config = {}

    def open_sealed(self, sealed, info):
        return hpke_open(self.agreement.private, sealed, info)

    def open_deposit(self, sealed, info):
        return hpke_open(self.deposit.private, sealed, info)

    def sign_manifest(self, message):
        return self.signing.sign(message)

    def attested(self):
        return SimpleNamespace(
            pcr0=MEASUREMENT,
            user_data=encode_user_data(manifest_key=self.signing.public_raw, binding=None),
        )


@pytest.fixture
def runtime():
    return FakeRuntime()


@pytest.fixture
def job(runtime, recipient_keys, make_job):
    return make_job(
        enclave_public_key=runtime.agreement.public_raw,
        deposit_public_key=runtime.deposit.public_raw,
        recipient_public_raw=recipient_keys.public_raw,
    )


def test_job_output_decrypts_for_the_recipient_only(
    runtime, job, recipient_keys, fake_records, case
):
    answer = process_transfer(job, runtime=runtime, records=fake_records)
    aad = b64url_decode(answer["output_aad"])
    assert aad == output_aad(
        transfer=case.transfer, consent_digest=case.consent_digest, recipient=case.recipient
    )
    key = hpke_open(
        recipient_keys.private,
        b64url_decode(answer["sealed_output_key"]),
        OUTPUT_INFO + case.transfer.encode(),
    )
    bundle = json.loads(aead_open(key, b64url_decode(answer["output"]), aad))
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} == {"Patient", "Condition"}
    assert case.patient_name not in json.dumps(bundle)
    with pytest.raises(Exception, match="HPKE"):
        hpke_open(
            AgreementKeyPair.generate().private,
            b64url_decode(answer["sealed_output_key"]),
            OUTPUT_INFO + case.transfer.encode(),
        )


def test_manifest_names_digests_measurement_and_scope(runtime, job, fake_records, case):
    answer = process_transfer(job, runtime=runtime, records=fake_records)
    manifest = verify_manifest(
        answer["manifest"], b64url_decode(answer["manifest_signature"]), runtime.attested()
    )
    assert manifest.measurement == f"sha384:{MEASUREMENT}"
    assert manifest.input_digest.startswith("sha256:")
    assert manifest.consent_digest == case.consent_digest
    assert manifest.profile == "treatment"
    assert manifest.resource_counts == {"Condition": 1, "Patient": 1}
    assert manifest.masked_fields == 2


def test_rejects_job_with_missing_fields(runtime, job, fake_records):
    del job["scope"]
    with pytest.raises(JobRejected, match="missing"):
        process_transfer(job, runtime=runtime, records=fake_records)


def test_rejects_unknown_profile(runtime, job, fake_records):
    job["profile"] = "research"
    with pytest.raises(JobRejected, match="profile"):
        process_transfer(job, runtime=runtime, records=fake_records)


def test_rejects_key_released_for_another_transfer(
    runtime, recipient_keys, make_job, seal_record, fake_records
):
    job = make_job(
        enclave_public_key=runtime.agreement.public_raw,
        deposit_public_key=runtime.deposit.public_raw,
        recipient_public_raw=recipient_keys.public_raw,
        record=seal_record(),
        release_info=b"corridor/release/v1|another-transfer",
    )
    with pytest.raises(JobRejected, match="cannot open"):
        process_transfer(job, runtime=runtime, records=fake_records)


def test_rejects_a_deposit_sealed_to_another_enclave_program(
    runtime, recipient_keys, make_job, fake_records
):
    job = make_job(
        enclave_public_key=runtime.agreement.public_raw,
        deposit_public_key=AgreementKeyPair.generate().public_raw,
        recipient_public_raw=recipient_keys.public_raw,
    )
    with pytest.raises(JobRejected, match="cannot open"):
        process_transfer(job, runtime=runtime, records=fake_records)


def test_refuses_to_write_the_output_for_a_recipient_hospital_a_did_not_name(
    runtime, recipient_keys, make_job, fake_records
):
    # The host swaps in its own key as "recipient": the deposit names hospital B's key.
    host = AgreementKeyPair.generate()
    job = make_job(
        enclave_public_key=runtime.agreement.public_raw,
        deposit_public_key=runtime.deposit.public_raw,
        recipient_public_raw=host.public_raw,
        deposit_recipient=recipient_keys.public_raw,
    )
    with pytest.raises(JobRejected, match="recipient key"):
        process_transfer(job, runtime=runtime, records=fake_records)


def test_rejects_record_bound_to_another_transfer(runtime, job, fake_records, case):
    job["aad"] = b64url_encode(
        canonical_json({"transfer": "other-transfer-1", "consent": case.consent_digest})
    )
    with pytest.raises(JobRejected, match="another transfer"):
        process_transfer(job, runtime=runtime, records=fake_records)


def test_rejects_a_record_that_is_not_a_bundle(
    runtime, recipient_keys, make_job, seal_record, fake_records
):
    record = seal_record({"resourceType": "Patient"})
    job = make_job(
        enclave_public_key=runtime.agreement.public_raw,
        deposit_public_key=runtime.deposit.public_raw,
        recipient_public_raw=recipient_keys.public_raw,
        record=record,
    )
    with pytest.raises(JobRejected, match="record refused") as caught:
        process_transfer(job, runtime=runtime, records=fake_records)
    assert caught.value.detail["cause"] == "invalid-input"


def test_accepts_standard_base64_fields(runtime, job, fake_records):
    job["ciphertext"] = base64.b64encode(b64url_decode(job["ciphertext"])).decode()
    assert process_transfer(job, runtime=runtime, records=fake_records)["manifest"]


SYNTHEA = "fhir/Carolee951_Sanford861_d88f994a-5efa-421d-9c40-5f116d2114a6.json"


def test_real_records_pipeline_masks_a_synthea_patient(
    runtime, recipient_keys, make_job, seal_record, asset
):
    bundle = json.loads(asset(SYNTHEA).read_text())
    job = make_job(
        enclave_public_key=runtime.agreement.public_raw,
        deposit_public_key=runtime.deposit.public_raw,
        recipient_public_raw=recipient_keys.public_raw,
        record=seal_record(bundle),
    )
    answer = process_transfer(job, runtime=runtime, records=CorridorRecords())
    key = hpke_open(
        recipient_keys.private,
        b64url_decode(answer["sealed_output_key"]),
        OUTPUT_INFO + job["transfer"].encode(),
    )
    output = aead_open(key, b64url_decode(answer["output"]), b64url_decode(answer["output_aad"]))
    # The treatment profile (corridor.records.destinations) removes phone, address lines, ids.
    for identifier in (b"555-657-5098", b"117 Orn Bypass", b"999-33-5538"):
        assert identifier not in output
    types = {e["resource"]["resourceType"] for e in json.loads(output)["entry"]}
    assert {"Patient", "Condition"} <= types
    assert answer["manifest"]["masked_fields"] > 0
    assert answer["manifest"]["resource_counts"]["Patient"] == 1


def test_real_records_pipeline_refuses_invalid_fhir(runtime, recipient_keys, make_job, seal_record):
    job = make_job(
        enclave_public_key=runtime.agreement.public_raw,
        deposit_public_key=runtime.deposit.public_raw,
        recipient_public_raw=recipient_keys.public_raw,
        record=seal_record({"resourceType": "Bundle", "type": "not-a-bundle-type"}),
    )
    with pytest.raises(JobRejected, match="record refused"):
        process_transfer(job, runtime=runtime, records=CorridorRecords())
