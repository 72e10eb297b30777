"""Job specifications and acceptances: what a joint computation is, and who agreed to it.

Pure. A spec names the participants (hospital DIDs), the computation, the aggregation
mode, the utility used for measurement, the differential-privacy terms, the agreement it
runs under and the price to distribute. Its digest (SHA-256 of the RFC 8785 bytes) is what
each participant signs when it accepts, and what every evidence entry of the job cites.

```json
{"job": "job-2026-0001", "consumer": "research-consortium",
 "agreement": {"id": "AGR-2026-0007", "digest": "sha256:..."},
 "participants": ["did:web:hospital-a.example", "did:web:hospital-b.example"],
 "computation": {"kind": "mean", "observation": {"system": "http://loinc.org", "code": "39156-5"},
                 "bounds": [10, 60]},
 "aggregation": {"mode": "masking", "threshold": 2},
 "privacy": {"dataset": "bmi", "mechanism": "laplace", "epsilon": 1.0, "min_cell": 10},
 "utility": {"kind": "statistic-error"},
 "price": {"amount": 10000, "currency": "CNY", "floor_share": 0.05}}
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from corridor.crypto.canonical import canonical_json
from corridor.crypto.hashing import sha256_hex
from corridor.privacy.aggregation import AGGREGATION_MODES, AggregationMode
from corridor.privacy.computations import PrivacyTerms, Statistic, parse_statistic
from corridor.privacy.errors import InvalidJobSpec
from corridor.privacy.federated import LogisticRegression, parse_logistic

_JOB_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_ACCEPTANCE_CONTEXT = b"corridor/privacy/acceptance/v1\n"
MAX_PARTICIPANTS = 16
UTILITY_KINDS = ("statistic-error", "validation-loss")

Computation = Statistic | LogisticRegression


@dataclass(frozen=True)
class Price:
    """What the consumer pays, and the share each participant gets at least."""

    amount: float
    currency: str
    floor_share: float


@dataclass(frozen=True)
class JobSpec:
    """A parsed, validated job specification; ``document`` is the JSON as submitted."""

    job: str
    consumer: str
    agreement_id: str
    agreement_digest: str | None
    participants: tuple[str, ...]
    computation: Computation
    mode: AggregationMode
    threshold: int
    privacy: PrivacyTerms
    utility: str
    validation: str | None
    price: Price
    document: Mapping[str, Any]

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` of the spec's canonical JSON."""
        return "sha256:" + sha256_hex(canonical_json(dict(self.document)))

    @property
    def rounds(self) -> int:
        """Aggregation rounds the job runs."""
        return self.computation.rounds if isinstance(self.computation, LogisticRegression) else 1


def _text(value: Mapping[str, Any], key: str, limit: int = 128) -> str:
    item = value.get(key)
    if not isinstance(item, str) or not item or len(item) > limit:
        raise InvalidJobSpec(f"{key} must be a non-empty string of at most {limit} characters")
    return item


def _participants(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(p, str) and p.startswith("did:") for p in value
    ):
        raise InvalidJobSpec("participants is a list of DIDs")
    participants = tuple(sorted(set(value)))
    if len(participants) != len(value) or not 2 <= len(participants) <= MAX_PARTICIPANTS:  # noqa: PLR2004
        raise InvalidJobSpec(f"2 to {MAX_PARTICIPANTS} distinct participants are needed")
    return participants


def _computation(value: Any) -> Computation:
    if not isinstance(value, Mapping):
        raise InvalidJobSpec("computation must be an object")
    if value.get("kind") == "logistic-regression":
        return parse_logistic(value)
    return parse_statistic(value)


def _aggregation(value: Any, parties: int) -> tuple[AggregationMode, int]:
    if not isinstance(value, Mapping) or value.get("mode") not in AGGREGATION_MODES:
        raise InvalidJobSpec(f"aggregation.mode is one of {', '.join(AGGREGATION_MODES)}")
    # Default t = floor(n/2) + 1: an honest majority must help to unmask (Bonawitz et al. §4).
    threshold = int(value.get("threshold", max(2, parties // 2 + 1)))
    if not 2 <= threshold <= parties:  # noqa: PLR2004
        raise InvalidJobSpec("aggregation.threshold must be between 2 and the participant count")
    mode: AggregationMode = value["mode"]
    return mode, threshold


def _utility(value: Any, computation: Computation) -> tuple[str, str | None]:
    if not isinstance(value, Mapping) or value.get("kind") not in UTILITY_KINDS:
        raise InvalidJobSpec(f"utility.kind is one of {', '.join(UTILITY_KINDS)}")
    training = isinstance(computation, LogisticRegression)
    expected = "validation-loss" if training else "statistic-error"
    if value["kind"] != expected:
        raise InvalidJobSpec(f"this computation is measured with utility {expected!r}")
    validation = value.get("validation")
    if training and not isinstance(validation, str):
        raise InvalidJobSpec("validation-loss needs utility.validation, a validation set's name")
    return expected, str(validation) if validation else None


def _price(value: Any, parties: int) -> Price:
    try:
        price = Price(
            amount=float(value["amount"]),
            currency=str(value.get("currency", "CNY")),
            floor_share=float(value.get("floor_share", 0.0)),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidJobSpec(f"price is incomplete: {exc}") from exc
    if price.amount < 0 or not 0 <= price.floor_share * parties <= 1:
        raise InvalidJobSpec("price.amount >= 0 and floor_share * participants <= 1")
    return price


def parse_job_spec(document: Any) -> JobSpec:
    """Validate a job spec; raises :class:`InvalidJobSpec` with the first problem found."""
    if not isinstance(document, Mapping):
        raise InvalidJobSpec("a job spec is a JSON object")
    job = _text(document, "job", 64)
    if not _JOB_ID.fullmatch(job):
        raise InvalidJobSpec("job ids are 8-64 letters, digits or dashes")
    agreement = document.get("agreement")
    if not isinstance(agreement, Mapping):
        raise InvalidJobSpec("agreement must name the agreement the job runs under")
    agreement_digest = agreement.get("digest")
    if agreement_digest is not None and not _DIGEST.fullmatch(str(agreement_digest)):
        raise InvalidJobSpec("agreement.digest must be sha256:<hex>")
    participants = _participants(document.get("participants"))
    computation = _computation(document.get("computation"))
    mode, threshold = _aggregation(document.get("aggregation", {}), len(participants))
    privacy = PrivacyTerms.from_json(document.get("privacy"))
    if isinstance(computation, LogisticRegression) and privacy.mechanism != "gaussian":
        raise InvalidJobSpec("logistic regression releases with the Gaussian mechanism")
    utility, validation = _utility(document.get("utility", {}), computation)
    price = _price(document.get("price", {}), len(participants))
    return JobSpec(
        job=job,
        consumer=_text(document, "consumer"),
        agreement_id=_text(agreement, "id"),
        agreement_digest=str(agreement_digest) if agreement_digest else None,
        participants=participants,
        computation=computation,
        mode=mode,
        threshold=threshold,
        privacy=privacy,
        utility=utility,
        validation=validation,
        price=price,
        document=dict(document),
    )


def acceptance_bytes(*, job: str, spec_digest: str, participant: str) -> bytes:
    """What a participant signs to accept a job (domain-separated RFC 8785 bytes)."""
    return _ACCEPTANCE_CONTEXT + canonical_json(
        {"job": job, "spec": spec_digest, "participant": participant, "decision": "accept"}
    )
