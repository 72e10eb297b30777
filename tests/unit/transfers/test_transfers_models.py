import pytest

from corridor.transfers.errors import WrongState
from corridor.transfers.models import INITIAL_STATE, TransferState, advance, require_state

S = TransferState


def test_sender_moves_from_request_to_filing_to_upload():
    assert advance("sender", S.REQUESTED, S.FILED) is S.FILED
    assert advance("sender", S.FILED, S.UPLOADED) is S.UPLOADED


def test_sender_cannot_upload_before_filing():
    with pytest.raises(WrongState, match="cannot become uploaded"):
        advance("sender", S.REQUESTED, S.UPLOADED)


def test_a_denied_transfer_goes_nowhere():
    for target in S:
        with pytest.raises(WrongState):
            advance("sender", S.DENIED, target)


def test_center_may_retry_after_a_refusal_but_never_go_back():
    assert advance("center", S.REFUSED, S.PROCESSED) is S.PROCESSED
    with pytest.raises(WrongState):
        advance("center", S.PROCESSED, S.UPLOADED)


def test_every_role_can_be_revoked_from_its_initial_state():
    for role, initial in INITIAL_STATE.items():
        assert advance(role, initial, S.REVOKED) is S.REVOKED


def test_require_state_names_the_current_state():
    with pytest.raises(WrongState, match="the transfer is filed"):
        require_state(S.FILED, S.REQUESTED)
