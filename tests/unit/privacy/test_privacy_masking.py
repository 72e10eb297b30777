import numpy as np
import pytest
from privacy_parties import Hospitals

from corridor.privacy import (
    AggregationAborted,
    LocalChannel,
    MaskingAggregator,
    ProtocolViolation,
)
from corridor.privacy.fixedpoint import ring_to_bytes
from corridor.privacy.masking import MASKED_PHASE, SHARE_PHASE, UNMASK_PHASE


@pytest.mark.parametrize(
    ("dropped", "phase"),
    [
        ((), MASKED_PHASE),
        ((1,), MASKED_PHASE),
        ((1, 3), MASKED_PHASE),
        ((0, 4), SHARE_PHASE),
        ((2,), UNMASK_PHASE),
    ],
)
def test_masked_sum_equals_plain_sum_with_dropouts(dropped, phase):
    hospitals = Hospitals(5, 64)
    spec = hospitals.spec(threshold=3)
    gone = {hospitals.names[i] for i in dropped}
    channel = LocalChannel(hospitals.masking(spec), fail=frozenset((name, phase) for name in gone))
    outcome = MaskingAggregator().aggregate(spec=spec, channel=channel, opening={})
    if phase == UNMASK_PHASE:
        # Dropping after sending the masked input still counts the input.
        assert outcome.contributors == hospitals.names
    else:
        assert set(outcome.dropped) == gone
    expected = hospitals.plain_sum(outcome.contributors)
    decoded = hospitals.codec.decode(outcome.total)
    assert np.max(np.abs(decoded - expected)) <= hospitals.codec.sum_error_bound


def test_aggregator_receives_only_masked_inputs_keys_and_encrypted_shares():
    hospitals = Hospitals(4, 256)
    spec = hospitals.spec(threshold=3)
    outcome = MaskingAggregator().aggregate(
        spec=spec, channel=LocalChannel(hospitals.masking(spec)), opening={}
    )
    plain = {n: ring_to_bytes(hospitals.codec.encode(hospitals.inputs[n])) for n in hospitals.names}
    seen_phases = {(r.phase, r.participant) for r in outcome.received}
    assert len(seen_phases) == 16  # four phases from four hospitals, nothing else
    for received in outcome.received:
        fields = set(received.message) - {"extras"}
        allowed = {
            "open": {"cipher_key", "mask_key", "signature"},
            "share": {"shares"},
            "masked": {"masked"},
            "unmask": {"seed_shares", "key_shares"},
        }[received.phase]
        assert fields == allowed
        if received.phase == "masked":
            masked = received.message["masked"]
            assert masked != plain[received.participant]
            values = np.frombuffer(masked, dtype="<u8")
            # A masked ring vector is uniform: about half the top bits set, no plain value.
            assert 0.3 < np.mean(values >> np.uint64(63)) < 0.7
            for own in plain.values():
                assert not set(np.frombuffer(own, dtype="<u8")) & set(values)
        if received.phase == "unmask":
            # Survivors reveal self-mask seeds only; no pairwise key of a survivor.
            assert received.message["key_shares"] == {}


def test_participants_refuse_to_unmask_below_the_threshold():
    hospitals = Hospitals(4, 8)
    spec = hospitals.spec(threshold=3)
    contributors = hospitals.masking(spec)
    adverts = {n: contributors[n].respond("open", {}) for n in hospitals.names}
    adverts = {n: {k: v for k, v in a.items() if k != "extras"} for n, a in adverts.items()}
    shares = {
        n: contributors[n].respond("share", {"advertisements": adverts}) for n in hospitals.names
    }
    for n in hospitals.names:
        inbox = {s: shares[s]["shares"][n] for s in hospitals.names if s != n}
        contributors[n].respond("masked", {"inbox": inbox, "senders": list(hospitals.names)})
    with pytest.raises(ProtocolViolation, match="threshold"):
        contributors[hospitals.names[0]].respond("unmask", {"survivors": list(hospitals.names[:2])})


def test_a_substituted_key_advertisement_is_refused():
    hospitals = Hospitals(3, 8)
    spec = hospitals.spec(threshold=2)
    contributors = hospitals.masking(spec)
    adverts = {n: contributors[n].respond("open", {}) for n in hospitals.names}
    adverts = {n: {k: v for k, v in a.items() if k != "extras"} for n, a in adverts.items()}
    forged = dict(adverts)
    victim = hospitals.names[1]
    # The aggregator swaps in a signature that is not the victim's.
    forged[victim] = {**adverts[victim], "signature": adverts[hospitals.names[2]]["signature"]}
    with pytest.raises(ProtocolViolation):
        contributors[hospitals.names[0]].respond("share", {"advertisements": forged})


def test_round_aborts_when_too_many_drop():
    hospitals = Hospitals(4, 8)
    spec = hospitals.spec(threshold=3)
    gone = frozenset((n, MASKED_PHASE) for n in hospitals.names[:2])
    with pytest.raises(AggregationAborted):
        MaskingAggregator().aggregate(
            spec=spec, channel=LocalChannel(hospitals.masking(spec), fail=gone), opening={}
        )
