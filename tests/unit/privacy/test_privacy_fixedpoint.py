import numpy as np
import pytest

from corridor.privacy import FixedPoint, FixedPointOverflow, ProtocolViolation, SeededRandomSource
from corridor.privacy.fixedpoint import ring_from_bytes, ring_sum, ring_to_bytes
from corridor.privacy.shamir import combine_shares, split_secret


def test_sum_of_encoded_values_decodes_within_the_stated_precision():
    codec = FixedPoint(max_abs=1e6, parties=8, fraction_bits=24)
    rng = np.random.default_rng(3)
    vectors = [rng.uniform(-1e6, 1e6, 100) for _ in range(8)]
    total = codec.decode(ring_sum([codec.encode(v) for v in vectors]))
    assert np.max(np.abs(total - np.sum(vectors, axis=0))) <= codec.sum_error_bound


def test_negative_sums_survive_the_ring():
    codec = FixedPoint(max_abs=10.0, parties=2)
    total = ring_sum([codec.encode([-3.5]), codec.encode([-6.25])])
    assert codec.decode(total)[0] == -9.75


def test_a_range_that_could_wrap_the_ring_is_refused_when_declared():
    with pytest.raises(FixedPointOverflow, match="too wide"):
        FixedPoint(max_abs=2.0**40, parties=16, fraction_bits=24)


@pytest.mark.parametrize("value", [1001.0, -1001.0, float("nan"), float("inf")])
def test_values_outside_the_declared_range_are_refused(value):
    with pytest.raises(FixedPointOverflow):
        FixedPoint(max_abs=1000.0, parties=4).encode([0.0, value])


def test_ring_vectors_round_trip_through_bytes_and_lengths_are_checked():
    vector = FixedPoint(max_abs=5.0, parties=2).encode([1.0, -2.0, 3.0])
    assert np.array_equal(ring_from_bytes(ring_to_bytes(vector), length=3), vector)
    with pytest.raises(FixedPointOverflow):
        ring_from_bytes(ring_to_bytes(vector), length=4)


def test_shamir_reconstructs_from_any_threshold_subset_and_not_from_fewer():
    secret = b"\x00\x01 a seed with a leading zero byte"
    shares = split_secret(secret, threshold=3, holders=[1, 2, 3, 4, 5], rng=SeededRandomSource("s"))
    assert combine_shares({x: shares[x] for x in (2, 4, 5)}, threshold=3) == secret
    assert combine_shares({x: shares[x] for x in (1, 3, 5)}, threshold=3) == secret
    with pytest.raises(ProtocolViolation):
        combine_shares({x: shares[x] for x in (1, 2)}, threshold=3)
