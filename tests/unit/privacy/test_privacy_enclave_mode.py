import warnings
from datetime import UTC, datetime

import numpy as np
import pytest
from privacy_parties import Hospitals

from corridor.clock import FixedClock
from corridor.enclave import SimulatedEnclaveBackend, SimulatedRoot
from corridor.privacy import (
    PRIVACY_PROGRAM_CONFIG,
    PRIVACY_PROGRAM_MODULE,
    EnclaveAggregator,
    EnclaveContributor,
    LocalChannel,
    LocalInput,
    ProtocolViolation,
)
from corridor.privacy.enclave_mode import (
    appraise_privacy_enclave,
    job_binding,
    seal_contribution,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def enclave(tmp_path_factory):
    root = SimulatedRoot.create(tmp_path_factory.mktemp("root"), b"pass", now=NOW)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backend = SimulatedEnclaveBackend(
            PRIVACY_PROGRAM_MODULE, PRIVACY_PROGRAM_CONFIG, root, FixedClock(NOW)
        )
    with backend.launch() as session:
        yield root, backend, session


def test_the_enclave_sums_sealed_inputs_and_signs_the_result(enclave):
    root, backend, session = enclave
    hospitals = Hospitals(3, 16)
    spec = hospitals.spec(threshold=2, job="job-enclave-unit")
    binding = job_binding(spec.job, "sha256:" + "0" * 64)
    evidence = session.evidence(b"n" * 32, binding)
    attested = appraise_privacy_enclave(
        evidence,
        root=root.root_certificate,
        expected_measurement=backend.measurement,
        binding=binding,
        at=NOW,
    )

    def provider(name):
        def provide(message):
            del message
            ring = hospitals.codec.encode(hospitals.inputs[name])
            sealed = seal_contribution(
                attested.public_key, ring, job=spec.job, round_number=0, participant=name
            )
            return LocalInput(ring, {"sealed": sealed, "rows": 1})

        return provide

    contributors = {n: EnclaveContributor(spec, n, provider(n)) for n in hospitals.names}
    outcome = EnclaveAggregator(runner=session, manifest_key=attested.manifest_key).aggregate(
        spec=spec, channel=LocalChannel(contributors), opening={}
    )
    decoded = hospitals.codec.decode(outcome.total)
    assert np.max(np.abs(decoded - hospitals.plain_sum(hospitals.names))) <= 1e-6
    # The host only ever held HPKE ciphertexts.
    for received in outcome.received:
        plain = hospitals.codec.encode(hospitals.inputs[received.participant]).tobytes()
        assert plain not in str(received.message).encode()
    forgotten = session.run({"op": "forget", "job": spec.job})
    assert forgotten["result"] == {"forgotten": spec.job}


def test_hospitals_refuse_an_enclave_with_another_measurement_or_binding(enclave):
    root, backend, session = enclave
    binding = job_binding("job-enclave-unit", "sha256:" + "1" * 64)
    evidence = session.evidence(b"m" * 32, binding)
    with pytest.raises(ProtocolViolation, match="privacy program"):
        appraise_privacy_enclave(
            evidence,
            root=root.root_certificate,
            expected_measurement="00" * 48,
            binding=binding,
            at=NOW,
        )
    with pytest.raises(ProtocolViolation, match="another job"):
        appraise_privacy_enclave(
            evidence,
            root=root.root_certificate,
            expected_measurement=backend.measurement,
            binding=job_binding("job-other-unit", "sha256:" + "1" * 64),
            at=NOW,
        )
