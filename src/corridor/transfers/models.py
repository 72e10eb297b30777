"""The five-step corridor as a state machine, one view per party (pure).

Each party keeps its own row per transfer and moves it only along the edges below, so a
retried or replayed call can never skip a step or go back. The steps follow the paper's
practice (figure 2) and BLUEPRINT §8.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from corridor.transfers.errors import WrongState

Role = Literal["portal", "sender", "center", "recipient"]


class TransferState(StrEnum):
    """Where a transfer stands at one party."""

    REQUESTED = "requested"  # step 1: consent signed and received
    FILED = "filed"  # step 2: both regulators permitted
    DENIED = "denied"  # step 2: a regulator denied; the flow stops here
    UPLOADED = "uploaded"  # step 3: ciphertext in the vault, key deposited
    PROCESSED = "processed"  # step 4: enclave produced the output for B
    REFUSED = "refused"  # step 4: the key broker refused release
    DELIVERED = "delivered"  # step 5: B verified and decrypted
    REVOKED = "revoked"  # the patient withdrew consent


_S = TransferState
# Each party sees only its part of the corridor, so each role has its own edges.
_EDGES: dict[Role, dict[TransferState, frozenset[TransferState]]] = {
    "portal": {_S.REQUESTED: frozenset({_S.REVOKED})},
    "sender": {
        _S.REQUESTED: frozenset({_S.FILED, _S.DENIED, _S.REVOKED}),
        _S.FILED: frozenset({_S.UPLOADED, _S.REVOKED}),
        _S.UPLOADED: frozenset({_S.REVOKED}),
    },
    "center": {
        _S.UPLOADED: frozenset({_S.PROCESSED, _S.REFUSED, _S.REVOKED}),
        _S.REFUSED: frozenset({_S.PROCESSED, _S.REVOKED}),
        _S.PROCESSED: frozenset({_S.REVOKED}),
    },
    "recipient": {
        _S.REQUESTED: frozenset({_S.DELIVERED, _S.REVOKED}),
        _S.DELIVERED: frozenset({_S.REVOKED}),
    },
}
INITIAL_STATE: dict[Role, TransferState] = {
    "portal": _S.REQUESTED,
    "sender": _S.REQUESTED,
    "center": _S.UPLOADED,
    "recipient": _S.REQUESTED,
}


def advance(role: Role, current: TransferState, target: TransferState) -> TransferState:
    """Return ``target`` if the corridor lets ``role`` move there from ``current``."""
    if target not in _EDGES[role].get(current, frozenset()):
        raise WrongState(
            f"a transfer that is {current.value} cannot become {target.value} at the {role}",
            detail={"state": current.value, "wanted": target.value, "role": role},
        )
    return target


def require_state(current: TransferState, *allowed: TransferState) -> None:
    """Raise unless the transfer is in one of ``allowed``."""
    if current not in allowed:
        raise WrongState(
            f"the transfer is {current.value}; expected {', '.join(s.value for s in allowed)}",
            detail={"state": current.value},
        )
