"""What the enclave makes of a consented record for its recipient (blueprint §6, step 4).

Apply the destination profile (:mod:`corridor.records.destinations`) with the engine
(:mod:`corridor.records.deid`), free text scanned by presidio recognizers seeded with the
patient's own identity, then wrap the result as an International Patient Summary
document (:mod:`corridor.records.summary`). Time and randomness are arguments: the
evaluation date of the "age over 89" rule and the document time come from ``at``; the
per-transfer keys for pseudonyms, from ``rng``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from corridor.records.deid.config import AnonymizerConfig, load_config, read_config_json
from corridor.records.deid.engine import Anonymizer, CustomOperation, DeidResult
from corridor.records.deid.operations import CryptoHashReference
from corridor.records.destinations import CUSTOM_METHODS, load_profile
from corridor.records.summary import build_patient_summary


@dataclass(frozen=True)
class PreparedRecord:
    """The document for the recipient, how many elements changed, and the profile used."""

    document: dict[str, Any]
    changed: int
    profile: str
    profile_digest: str


def prepare_for_recipient(
    bundle: dict[str, Any], *, profile: str, at: datetime, rng: random.Random
) -> PreparedRecord:
    """De-identify ``bundle`` with ``profile`` and build the patient summary around it."""
    # presidio (and spaCy under it) take seconds to import: only when a record is prepared.
    from corridor.records.deid.text import PatientIdentity, ScrubText, build_analyzer  # noqa: PLC0415

    chosen = load_profile(profile)
    identity = PatientIdentity.from_bundle(bundle)
    engine = Anonymizer(
        chosen.config,
        rng=rng,
        custom={
            "scrubText": ScrubText(build_analyzer(identity)),
            "cryptoHashReference": CryptoHashReference(),
        },
    )
    result = engine.anonymize(bundle, at=at.date())
    document = build_patient_summary(result.resource, at=at, profile=chosen.name)
    return PreparedRecord(
        document=document, changed=result.changed, profile=chosen.name, profile_digest=chosen.digest
    )


def apply_configuration(
    resource: dict[str, Any],
    config: AnonymizerConfig,
    *,
    at: date,
    rng: random.Random,
    date_shift_prefix: str = "",
) -> DeidResult:
    """De-identify one resource or bundle with any configuration (``corridor deid apply``).

    The custom methods the shipped profiles use are available; ``scrubText`` looks for the
    identity of the patient found in ``resource`` itself.
    """
    custom: dict[str, CustomOperation] = {"cryptoHashReference": CryptoHashReference()}
    if any(rule.method == "scrubtext" for rule in config.rules):
        from corridor.records.deid.text import PatientIdentity, ScrubText, build_analyzer  # noqa: PLC0415

        custom["scrubText"] = ScrubText(build_analyzer(PatientIdentity.from_bundle(resource)))
    engine = Anonymizer(config, rng=rng, custom=custom, date_shift_prefix=date_shift_prefix)
    return engine.anonymize(resource, at=at)


def read_configuration(data: bytes) -> AnonymizerConfig:
    """Read and check a configuration file, allowing the profiles' custom methods."""
    return load_config(read_config_json(data), custom_methods=CUSTOM_METHODS)
