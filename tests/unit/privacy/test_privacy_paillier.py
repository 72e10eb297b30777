import numpy as np
import pytest
from privacy_parties import Hospitals

from corridor.privacy import AggregationAborted, LocalChannel, PaillierAggregator, ProtocolViolation
from corridor.privacy.paillier import (
    DECRYPT_PHASE,
    ENCRYPT_PHASE,
    pack,
    slots_per_ciphertext,
    unpack,
)


@pytest.mark.parametrize("dropped", [(), (2,), (2, 4)])
def test_paillier_sum_equals_plain_sum_with_dropouts(dropped):
    hospitals = Hospitals(5, 40)
    spec = hospitals.spec(threshold=3)
    gone = frozenset((hospitals.names[i], ENCRYPT_PHASE) for i in dropped)
    outcome = PaillierAggregator(key_bits=1024).aggregate(
        spec=spec, channel=LocalChannel(hospitals.paillier(spec), fail=gone), opening={}
    )
    assert len(outcome.dropped) == len(dropped)
    decoded = hospitals.codec.decode(outcome.total)
    expected = hospitals.plain_sum(outcome.contributors)
    assert np.max(np.abs(decoded - expected)) <= hospitals.codec.sum_error_bound


def test_aggregator_sees_ciphertexts_and_only_the_decrypted_sum():
    hospitals = Hospitals(3, 10)
    spec = hospitals.spec(threshold=2)
    outcome = PaillierAggregator(key_bits=1024).aggregate(
        spec=spec, channel=LocalChannel(hospitals.paillier(spec)), opening={}
    )
    phases = [(r.phase, set(r.message) - {"extras"}) for r in outcome.received]
    assert phases.count((ENCRYPT_PHASE, {"ciphertexts"})) == 3
    assert [p for p, _ in phases].count(DECRYPT_PHASE) == 1  # one aggregate, decrypted once
    for received in outcome.received:
        if received.phase == ENCRYPT_PHASE:
            ciphertexts = received.message["ciphertexts"]
            own = hospitals.codec.encode(hospitals.inputs[received.participant])
            assert own.tobytes() not in ciphertexts


def test_key_holder_decrypts_once_and_never_a_single_input():
    hospitals = Hospitals(3, 4)
    spec = hospitals.spec(threshold=2)
    contributors = hospitals.paillier(spec)
    holder = contributors[hospitals.names[0]]
    opened = holder.respond("open", {"key_holder": hospitals.names[0]})
    encrypted = holder.respond("encrypt", {"public_key": opened["public_key"]})
    with pytest.raises(ProtocolViolation, match="too few"):
        holder.respond(
            DECRYPT_PHASE,
            {"ciphertexts": encrypted["ciphertexts"], "contributors": [hospitals.names[0]]},
        )
    both = list(hospitals.names[:2])
    holder.respond(DECRYPT_PHASE, {"ciphertexts": encrypted["ciphertexts"], "contributors": both})
    with pytest.raises(ProtocolViolation, match="once"):
        holder.respond(
            DECRYPT_PHASE, {"ciphertexts": encrypted["ciphertexts"], "contributors": both}
        )


def test_round_aborts_without_the_key_holder():
    hospitals = Hospitals(3, 4)
    spec = hospitals.spec(threshold=2)
    with pytest.raises(AggregationAborted):
        PaillierAggregator(key_bits=1024).aggregate(
            spec=spec,
            channel=LocalChannel(
                hospitals.paillier(spec), fail=frozenset({(hospitals.names[0], "*")})
            ),
            opening={},
        )


def test_packing_carries_thirty_ring_elements_per_2048_bit_plaintext_without_carries():
    assert slots_per_ciphertext(2048, 5) == 30
    vector = np.array([2**64 - 1] * 70, dtype=np.uint64)
    packed = [
        sum(column) for column in zip(*[pack(vector, key_bits=2048, parties=5)] * 5, strict=True)
    ]
    summed = unpack(packed, length=70, key_bits=2048, parties=5)
    assert np.all(summed == np.uint64(2**64 - 5))  # 5 * (2^64 - 1) mod 2^64
