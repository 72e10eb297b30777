"""What list rows show of a consent, read without FHIR validation."""

from __future__ import annotations

from corridor.web.consent_view import consent_gist


def test_a_consents_gist_reads_purpose_end_and_retention_and_tolerates_junk():
    gist = consent_gist(
        {
            "resource": {
                "extension": [{"url": "x", "valueUnsignedInt": 90}],
                "provision": {
                    "purpose": [{"code": "TREAT"}],
                    "period": {"end": "2026-04-01T00:00:00Z"},
                },
            },
            "jws": "",
        }
    )
    assert (gist.purpose, gist.expires_at, gist.retention_days) == (
        "TREAT",
        "2026-04-01T00:00:00Z",
        90,
    )
    assert consent_gist({"resource": "nonsense"}).purpose == ""
