import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from corridor.clock import SystemClock
from corridor.crypto import aead_open, hpke_open
from corridor.crypto.canonical import b64url_decode, b64url_encode
from corridor.enclave import (
    OUTPUT_INFO,
    PROGRAM_MODULE,
    EnclaveUnavailable,
    EvidenceRejected,
    InsecureEnclaveWarning,
    JobRejected,
    SimulatedEnclaveBackend,
    SimulatedRoot,
    SimulatedRootInvalid,
    measure_program,
    parse_user_data,
    verify_attestation,
    verify_manifest,
)
from corridor.enclave.deposit import deposit_key_from_sealing_key


def _verify(evidence, root):
    return verify_attestation(
        evidence,
        at=datetime.now(UTC),
        max_age=timedelta(minutes=5),
        trusted_roots=[root.root_certificate],
        evidence_format="simulated",
    )


def test_root_is_stored_encrypted_and_loads_back(tmp_path):
    created = SimulatedRoot.create(tmp_path, b"secret", now=datetime.now(UTC))
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "root-key.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "nsm-key.pem").read_bytes()
    loaded = SimulatedRoot.load(tmp_path, b"secret")
    assert loaded.fingerprint == created.fingerprint


def test_root_refuses_wrong_passphrase(tmp_path):
    SimulatedRoot.create(tmp_path, b"secret", now=datetime.now(UTC))
    with pytest.raises(SimulatedRootInvalid):
        SimulatedRoot.load(tmp_path, b"not the secret")


def test_root_is_never_overwritten(tmp_path):
    SimulatedRoot.create(tmp_path, b"secret", now=datetime.now(UTC))
    with pytest.raises(SimulatedRootInvalid):
        SimulatedRoot.create(tmp_path, b"secret", now=datetime.now(UTC))
    assert SimulatedRoot.load_or_create(tmp_path, b"secret", now=datetime.now(UTC))


def test_backend_warns_that_it_is_insecure(simulated_root):
    with pytest.warns(InsecureEnclaveWarning):
        SimulatedEnclaveBackend("corridor.enclave.program", {}, simulated_root, SystemClock())


def test_measurement_covers_program_and_config():
    first = measure_program("corridor.enclave.program", {"profile": "treatment"})
    again = measure_program("corridor.enclave.program", {"profile": "treatment"})
    other_config = measure_program("corridor.enclave.program", {"profile": "research"})
    assert first.measurement == again.measurement
    assert first.measurement != other_config.measurement
    assert len(first.pcrs) == 16
    assert all(len(value) == 48 for value in first.pcrs.values())


def test_enclave_runs_in_a_separate_process(enclave_session):
    assert enclave_session.pid is not None
    assert enclave_session.pid != os.getpid()
    os.kill(enclave_session.pid, 0)  # raises if there is no such process


def test_evidence_verifies_under_the_simulated_root(
    enclave_session, simulated_backend, simulated_root
):
    nonce = os.urandom(32)
    result = _verify(enclave_session.evidence(nonce, b"binding"), simulated_root)
    assert result.format == "simulated"
    assert "simulated-insecure" in result.warnings
    assert result.nonce == nonce
    assert result.pcr0 == simulated_backend.measurement == enclave_session.measurement
    assert len(result.public_key) == 32
    user_data = parse_user_data(result.user_data)
    assert user_data.binding == b"binding"
    assert len(user_data.manifest_key) == 32


def test_simulated_evidence_is_refused_under_the_aws_root(enclave_session):
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(
            enclave_session.evidence(b"n" * 32), at=datetime.now(UTC), max_age=timedelta(minutes=5)
        )
    assert caught.value.reason == "unknown-root"


def test_each_launch_has_fresh_keys(simulated_backend, enclave_session, simulated_root):
    with simulated_backend.launch() as other:
        first = _verify(enclave_session.evidence(b"a" * 32), simulated_root)
        second = _verify(other.evidence(b"b" * 32), simulated_root)
        assert other.pid != enclave_session.pid
    assert first.public_key != second.public_key
    assert first.pcr0 == second.pcr0


def test_job_round_trips_through_the_enclave(
    enclave_session, simulated_root, recipient_keys, make_job, case
):
    result = _verify(enclave_session.evidence(b"c" * 32), simulated_root)
    job = make_job(
        enclave_public_key=result.public_key,
        deposit_public_key=parse_user_data(result.user_data).deposit_key,
        recipient_public_raw=recipient_keys.public_raw,
    )
    answer = enclave_session.run(job)
    manifest = verify_manifest(
        answer["manifest"],
        b64url_decode(answer["manifest_signature"]),
        result,
        transfer=case.transfer,
    )
    assert manifest.resource_counts == {"Condition": 1, "Patient": 1}
    assert manifest.masked_fields == 2
    output_key = hpke_open(
        recipient_keys.private,
        b64url_decode(answer["sealed_output_key"]),
        OUTPUT_INFO + case.transfer.encode(),
    )
    output = b64url_decode(answer["output"])
    bundle = json.loads(aead_open(output_key, output, b64url_decode(answer["output_aad"])))
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient", "Condition"]
    assert case.patient_name not in json.dumps(bundle)


def test_enclave_refuses_a_tampered_record_and_keeps_serving(
    enclave_session, simulated_root, recipient_keys, make_job
):
    result = _verify(enclave_session.evidence(b"d" * 32), simulated_root)
    job = make_job(
        enclave_public_key=result.public_key,
        deposit_public_key=parse_user_data(result.user_data).deposit_key,
        recipient_public_raw=recipient_keys.public_raw,
    )
    ciphertext = bytearray(b64url_decode(job["ciphertext"]))
    ciphertext[-1] ^= 1
    job["ciphertext"] = b64url_encode(bytes(ciphertext))
    with pytest.raises(JobRejected):
        enclave_session.run(job)
    assert enclave_session.evidence(b"e" * 32)


def test_closed_enclave_is_unavailable(simulated_backend):
    session = simulated_backend.launch()
    pid = session.pid
    session.close()
    with pytest.raises(EnclaveUnavailable):
        session.evidence(b"f" * 32)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_shipped_program_runs_a_real_bundle_in_the_enclave(
    simulated_root, recipient_keys, make_job, seal_record, asset
):
    bundle = json.loads(
        asset("fhir/Carolee951_Sanford861_d88f994a-5efa-421d-9c40-5f116d2114a6.json").read_text()
    )
    with pytest.warns(InsecureEnclaveWarning):
        backend = SimulatedEnclaveBackend(PROGRAM_MODULE, {}, simulated_root, SystemClock())
    with backend.launch() as session:
        result = _verify(session.evidence(b"g" * 32), simulated_root)
        job = make_job(
            enclave_public_key=result.public_key,
            deposit_public_key=parse_user_data(result.user_data).deposit_key,
            recipient_public_raw=recipient_keys.public_raw,
            record=seal_record(bundle),
        )
        answer = session.run(job)
    manifest = verify_manifest(
        answer["manifest"], b64url_decode(answer["manifest_signature"]), result
    )
    assert manifest.measurement == f"sha384:{backend.measurement}"
    assert manifest.resource_counts["Patient"] == 1


def test_every_instance_of_the_program_has_the_same_deposit_key(
    simulated_backend, enclave_session, simulated_root
):
    with simulated_backend.launch() as other:
        first = _verify(enclave_session.evidence(b"h" * 32), simulated_root)
        second = _verify(other.evidence(b"i" * 32), simulated_root)
    ours, theirs = parse_user_data(first.user_data), parse_user_data(second.user_data)
    assert ours.deposit_key == theirs.deposit_key
    assert ours.manifest_key != theirs.manifest_key
    assert first.public_key != second.public_key


def test_deposit_keys_are_bound_to_the_measurement_and_the_install(simulated_root, tmp_path):
    other_root = SimulatedRoot.create(tmp_path, b"pw", now=datetime.now(UTC))
    one, two = "aa" * 48, "bb" * 48
    keys = {
        deposit_key_from_sealing_key(root.derive_sealing_key(m)).public_raw
        for root in (simulated_root, other_root)
        for m in (one, two)
    }
    assert len(keys) == 4
    assert simulated_root.derive_sealing_key(one) == simulated_root.derive_sealing_key(one)
