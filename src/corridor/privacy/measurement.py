"""Measuring contributions and turning them into a value-distribution statement.

Pure. Per participant a job records: the valid rows it contributed and the CPU seconds
its local computation took (both self-reported in each round's ``extras``), the size and
norm of its updates and its Shapley value (both computed inside the measuring enclave).
The value statement splits the job's price: every participant first gets
``floor_share`` of it, the rest goes in proportion to the positive Shapley values (an
equal split when none is positive). Shares are rounded to 6 decimals and the last
participant absorbs the rounding, so shares sum to exactly 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from corridor.crypto.canonical import canonical_json
from corridor.crypto.hashing import sha256_hex
from corridor.privacy.fixedpoint import DEFAULT_FRACTION_BITS, RING_BITS, FixedPoint
from corridor.privacy.spec import JobSpec, Price

VALUE_STATEMENT_TYPE = "corridor/privacy/value-distribution/v1"


def codec_for(spec: JobSpec) -> FixedPoint:
    """The fixed-point encoding of a job: as many fraction bits (<= 24) as the range allows."""
    parties = len(spec.participants)
    max_abs = spec.computation.max_abs()
    bits = DEFAULT_FRACTION_BITS
    while bits > 0 and parties * max_abs * 2.0**bits >= 2.0 ** (RING_BITS - 1):
        bits -= 1
    return FixedPoint(max_abs=max_abs, parties=parties, fraction_bits=bits)


def distribute_value(shapley: Mapping[str, float], price: Price) -> dict[str, float]:
    """Each participant's share of the price (floor first, then by positive Shapley value)."""
    players = sorted(shapley)
    positive = {p: max(float(shapley[p]), 0.0) for p in players}
    mass = sum(positive.values())
    rest = 1.0 - price.floor_share * len(players)
    shares: dict[str, float] = {}
    for player in players:
        weight = positive[player] / mass if mass > 0 else 1.0 / len(players)
        shares[player] = round(price.floor_share + rest * weight, 6)
    if players:
        shares[players[-1]] = round(1.0 - sum(shares[p] for p in players[:-1]), 6)
    return shares


@dataclass(frozen=True)
class PartyMeasurement:
    """What one participant contributed to a job."""

    participant: str
    valid_rows: int
    cpu_seconds: float
    update_size: int
    update_norm: float | None
    shapley: float
    share: float

    def to_json(self) -> dict[str, Any]:
        """The JSON form in results and statements."""
        return {
            "participant": self.participant,
            "valid_rows": self.valid_rows,
            "cpu_seconds": round(self.cpu_seconds, 6),
            "update_size": self.update_size,
            "update_norm": self.update_norm,
            "shapley": self.shapley,
            "share": self.share,
        }


def value_statement(
    *,
    spec: JobSpec,
    parties: list[PartyMeasurement],
    enclave_measurement: str,
    exact: bool,
    error_bound: float | None,
    utility_full: float,
    utility_empty: float,
) -> dict[str, Any]:
    """The value-distribution statement the data center signs and puts on the chain."""
    return {
        "type": VALUE_STATEMENT_TYPE,
        "job": spec.job,
        "spec": spec.digest,
        "agreement": spec.agreement_id,
        "price": {
            "amount": spec.price.amount,
            "currency": spec.price.currency,
            "floor_share": spec.price.floor_share,
        },
        "utility": spec.utility,
        "utility_full": utility_full,
        "utility_empty": utility_empty,
        "shapley_exact": exact,
        "shapley_error_bound": error_bound,
        "enclave_measurement": enclave_measurement,
        "parties": [party.to_json() for party in parties],
        "amounts": {
            party.participant: round(party.share * spec.price.amount, 2) for party in parties
        },
    }


def statement_digest(statement: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of a statement's canonical JSON."""
    return "sha256:" + sha256_hex(canonical_json(dict(statement)))
