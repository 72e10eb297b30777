"""The clinician's view of a patient summary, by IPS section."""

from __future__ import annotations

from corridor.web.summary_view import summary_of


def _condition(ident: str, text: str, onset: str) -> dict:
    return {
        "resourceType": "Condition",
        "id": ident,
        "code": {"coding": [{"code": "1", "display": text}]},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "onsetDateTime": onset,
    }


def test_reads_sections_from_the_ips_composition_newest_first():
    bundle = {
        "resourceType": "Bundle",
        "type": "document",
        "entry": [
            {
                "resource": {
                    "resourceType": "Composition",
                    "section": [
                        {
                            "title": "Problem list",
                            "code": {"coding": [{"system": "http://loinc.org", "code": "11450-4"}]},
                            "entry": [{"reference": "Condition/a"}, {"reference": "urn:uuid:b"}],
                        },
                        {
                            "title": "Allergies",
                            "code": {"coding": [{"code": "48765-2"}]},
                            "emptyReason": {"text": "none"},
                        },
                    ],
                }
            },
            {"resource": _condition("a", "Asthma", "2001-01-01")},
            {"fullUrl": "urn:uuid:b", "resource": _condition("b", "Burn", "2020-05-05T10:00:00Z")},
        ],
    }
    problems, allergies = summary_of(bundle)
    assert problems.key == "problems"
    assert [row.what for row in problems.rows] == ["Burn", "Asthma"]
    assert problems.rows[0].when == "2020-05-05"
    assert problems.rows[0].status == "active"
    assert allergies.key == "allergies"
    assert allergies.rows == ()


def test_groups_a_plain_bundle_by_resource_type():
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": _condition("a", "Asthma", "2001-01-01")},
            {
                "resource": {
                    "resourceType": "Observation",
                    "code": {"text": "Body weight"},
                    "valueQuantity": {"value": 70, "unit": "kg"},
                    "effectiveDateTime": "2020-01-01",
                }
            },
        ],
    }
    sections = {section.key: section for section in summary_of(bundle)}
    assert [row.what for row in sections["problems"].rows] == ["Asthma"]
    assert sections["results"].rows[0].value == "70 kg"
    assert sections["procedures"].rows == ()
