"""What lists show of a consent, read straight from its FHIR ``Consent`` (pure).

Lists of hundreds of transfers must not validate every resource against the FHIR models
(about 10 ms each): the consent was verified, signature and form, when the transfer was
accepted, and pages that act on one transfer read it through ``corridor.consent``. This
only reads the few fields a list row shows, tolerating anything unexpected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ConsentGist:
    """The fields of a consent a list row shows."""

    purpose: str
    expires_at: str
    retention_days: int | None


def consent_gist(signed: dict[str, Any]) -> ConsentGist:
    """Purpose, end of validity and retention of a signed consent ``{"resource", "jws"}``."""
    raw = signed.get("resource") if isinstance(signed, dict) else None
    resource: dict[str, Any] = raw if isinstance(raw, dict) else {}
    raw = resource.get("provision")
    provision: dict[str, Any] = raw if isinstance(raw, dict) else {}
    purposes = provision.get("purpose") or [{}]
    purpose = purposes[0].get("code", "") if isinstance(purposes[0], dict) else ""
    raw = provision.get("period")
    period: dict[str, Any] = raw if isinstance(raw, dict) else {}
    retention = next(
        (
            ext.get("valueUnsignedInt")
            for ext in resource.get("extension") or []
            if isinstance(ext, dict) and "valueUnsignedInt" in ext
        ),
        None,
    )
    return ConsentGist(
        purpose=str(purpose),
        expires_at=str(period.get("end", "")),
        retention_days=retention if isinstance(retention, int) else None,
    )
